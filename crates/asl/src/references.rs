//! The workflow variables each state reads, as `DescribeStateMachine` answers them in
//! `variableReferences` (state name → variable names, in order of name; states that read none
//! are left out).
//!
//! In JSONPath a state reads `$name` in the value of a `.$` key (at any depth of its payload
//! templates and `Assign`), in a `…Path` field (`InputPath`, `ItemsPath`,
//! `MaxConcurrencyPath`, a Choice rule's `…Path` operands, `ReaderConfig.MaxItemsPath`, ...)
//! and in a Choice rule's `Variable`, inside intrinsic calls too; a plain string such as
//! `"$bucket"` under a key without `.$` is a literal and reads nothing. In JSONata a state reads
//! the `$name`s of its `{% %}` expressions that the expression does not bind itself. The states
//! of Parallel branches and Map processors are listed under their own names.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::jsonata::Expression;

/// The variables each state of a definition reads.
pub fn variable_references(definition: &Value) -> BTreeMap<String, Vec<String>> {
    let mut references = BTreeMap::new();
    let top = query_language(definition, false);
    collect_machine(definition, top, &mut references);
    references
}

/// A state that reads a variable no state of the definition assigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unassigned {
    /// The state's JSON pointer (`/States/Check`).
    pub pointer: String,
    /// The state's name.
    pub state: String,
    /// The variable's name.
    pub variable: String,
}

/// The variables states read that no `Assign` anywhere in the definition (states, Choice
/// rules, catchers, any branch or processor) gives a value: each would be missing when read.
pub fn unassigned_references(definition: &Value) -> Vec<Unassigned> {
    let mut assigned = BTreeSet::new();
    collect_assigned(definition, &mut assigned);
    let mut pointers = Vec::new();
    state_pointers(definition, "", &mut pointers);
    let references = variable_references(definition);
    let mut unassigned = Vec::new();
    for (pointer, state) in pointers {
        for variable in references.get(&state).into_iter().flatten() {
            if !assigned.contains(variable) {
                unassigned.push(Unassigned {
                    pointer: pointer.clone(),
                    state: state.clone(),
                    variable: variable.clone(),
                });
            }
        }
    }
    unassigned
}

/// Every name an `Assign` object anywhere below `value` gives (`.$` removed).
fn collect_assigned(value: &Value, assigned: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                if key == "Assign"
                    && let Value::Object(fields) = value
                {
                    assigned.extend(
                        fields
                            .keys()
                            .map(|name| name.strip_suffix(".$").unwrap_or(name).to_owned()),
                    );
                }
                collect_assigned(value, assigned);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_assigned(item, assigned)),
        _ => {}
    }
}

/// The JSON pointer and name of every state, branches and processors included.
fn state_pointers(machine: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    let Some(states) = machine.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        let escaped = name.replace('~', "~0").replace('/', "~1");
        let pointer = format!("{prefix}/States/{escaped}");
        out.push((pointer.clone(), name.clone()));
        if let Some(branches) = state.get("Branches").and_then(Value::as_array) {
            for (index, branch) in branches.iter().enumerate() {
                state_pointers(branch, &format!("{pointer}/Branches/{index}"), out);
            }
        }
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(processor) = state.get(key) {
                state_pointers(processor, &format!("{pointer}/{key}"), out);
            }
        }
    }
}

fn query_language(object: &Value, inherited: bool) -> bool {
    match object.get("QueryLanguage").and_then(Value::as_str) {
        Some("JSONata") => true,
        Some("JSONPath") => false,
        _ => inherited,
    }
}

fn collect_machine(machine: &Value, jsonata: bool, references: &mut BTreeMap<String, Vec<String>>) {
    let Some(states) = machine.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        let jsonata = query_language(state, jsonata);
        let mut read = BTreeSet::new();
        if let Some(fields) = state.as_object() {
            for (key, value) in fields {
                match key.as_str() {
                    "Branches" => {
                        for branch in value.as_array().into_iter().flatten() {
                            collect_machine(branch, jsonata, references);
                        }
                    }
                    "ItemProcessor" | "Iterator" => collect_machine(value, jsonata, references),
                    _ => collect_field(key, value, jsonata, &mut read),
                }
            }
        }
        if !read.is_empty() {
            references.insert(name.clone(), read.into_iter().collect());
        }
    }
}

fn collect_field(key: &str, value: &Value, jsonata: bool, read: &mut BTreeSet<String>) {
    match value {
        Value::String(text) if jsonata => {
            if let Some(source) = text
                .strip_prefix("{%")
                .and_then(|rest| rest.strip_suffix("%}"))
                && let Ok(expression) = Expression::parse(source.trim())
            {
                read.extend(expression.variables());
            }
        }
        Value::String(text)
            if key.ends_with(".$") || key.ends_with("Path") || key == "Variable" =>
        {
            read.extend(jsonpath_variables(text));
        }
        Value::Object(object) => {
            for (key, value) in object {
                collect_field(key, value, jsonata, read);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_field(key, item, jsonata, read);
            }
        }
        _ => {}
    }
}

/// The `$name`s of a JSONPath path or intrinsic call: not `$` (the input), `$$` (the Context
/// object), nor anything inside a quoted string.
fn jsonpath_variables(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut names = Vec::new();
    let mut index = 0;
    let mut quoted = false;
    while index < chars.len() {
        let c = chars[index];
        if c == '\\' && quoted {
            index += 2;
            continue;
        }
        if c == '\'' {
            quoted = !quoted;
        } else if c == '$' && !quoted {
            if chars.get(index + 1) == Some(&'$') {
                index += 2;
                continue;
            }
            let start = index + 1;
            let mut end = start;
            while chars
                .get(end)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                end += 1;
            }
            if end > start {
                names.push(chars[start..end].iter().collect());
            }
            index = end.max(index + 1);
            continue;
        }
        index += 1;
    }
    names
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn references_no_assign_gives_a_value() {
        let definition = json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Assign": {"known.$": "$.x"}, "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"a.$": "$known", "b.$": "$typo"},
                      "End": true}
            }
        });
        assert_eq!(
            unassigned_references(&definition),
            [Unassigned {
                pointer: "/States/B".to_owned(),
                state: "B".to_owned(),
                variable: "typo".to_owned()
            }]
        );
    }

    #[test]
    fn jsonpath_and_jsonata_references_per_state() {
        let definition = json!({
            "StartAt": "Start",
            "States": {
                "Start": {"Type": "Pass", "Assign": {"x": 1, "copy.$": "$x"},
                          "Parameters": {"literal": "$bucket",
                                         "f.$": "States.Format('{} $no', $name, $$.Execution.Id, $.in)"},
                          "Next": "Each"},
                "Each": {"Type": "Map", "ItemsPath": "$items", "MaxConcurrencyPath": "$limit",
                         "ItemProcessor": {"StartAt": "Inner", "States": {
                             "Inner": {"Type": "Choice", "Default": "Ata",
                                       "Choices": [{"Variable": "$flag", "BooleanEquals": true,
                                                    "Next": "Ata"}]},
                             "Ata": {"Type": "Pass", "QueryLanguage": "JSONata", "End": true,
                                     "Output": {"v": "{% ($k := 1; $k + $total) %}"}}}},
                         "End": true}
            }
        });
        let references = variable_references(&definition);
        assert_eq!(
            references,
            BTreeMap::from([
                ("Ata".to_owned(), vec!["total".to_owned()]),
                (
                    "Each".to_owned(),
                    vec!["items".to_owned(), "limit".to_owned()]
                ),
                ("Inner".to_owned(), vec!["flag".to_owned()]),
                ("Start".to_owned(), vec!["name".to_owned(), "x".to_owned()]),
            ])
        );
    }
}
