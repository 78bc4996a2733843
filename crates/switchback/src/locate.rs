//! Finds the bytes of a definition that a JSON pointer (`/States/A/Next`) names, so that
//! `switchback validate` can underline them.

use jsonc_parser::ast::{ObjectPropName, Value as Node};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

/// The byte range of the value a pointer names; for a key that is missing, the closest
/// enclosing value. `None` when the text does not parse.
pub fn locate(text: &str, pointer: &str) -> Option<std::ops::Range<usize>> {
    let parsed = parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()).ok()?;
    let mut node = parsed.value?;
    let mut range = node.range();
    let tokens = pointer
        .split('/')
        .skip(1)
        .filter(|token| !token.is_empty())
        .map(|token| token.replace("~1", "/").replace("~0", "~"));
    for token in tokens {
        let next = match &node {
            Node::Object(object) => object.properties.iter().find_map(|property| {
                let name = match &property.name {
                    ObjectPropName::String(name) => name.value.to_string(),
                    ObjectPropName::Word(word) => word.value.to_string(),
                };
                (name == token).then(|| property.value.clone())
            }),
            Node::Array(array) => token
                .parse::<usize>()
                .ok()
                .and_then(|index| array.elements.get(index).cloned()),
            _ => None,
        };
        match next {
            Some(child) => {
                range = child.range();
                node = child;
            }
            None => break,
        }
    }
    Some(range.start..range.end)
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn finds_nested_values() {
        let text = r#"{"States": {"A": {"Next": "B"}}}"#;
        let range = locate(text, "/States/A/Next").unwrap();
        assert_eq!(&text[range], "\"B\"");
        let range = locate(text, "/States/A/Missing").unwrap();
        assert_eq!(&text[range], r#"{"Next": "B"}"#);
    }
}
