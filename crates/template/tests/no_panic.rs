//! No input makes loading or planning panic.

use proptest::prelude::*;
use template::{Options, plan};

fn no_files(_: &std::path::Path) -> Result<String, String> {
    Err("no files here".into())
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        let _ = template::load::load("t.yaml", &text);
        let _ = plan("t.yaml", &text, &Options::default(), &no_files);
    }

    #[test]
    fn yaml_shaped_text_never_panics(text in "([ \\-:\\[\\]{}!&*,'\"\n]|Ref|GetAtt|Sub|Resources|Type|Properties|AWS::StepFunctions::StateMachine|a|1){0,80}") {
        let _ = plan("t.yaml", &text, &Options::default(), &no_files);
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = "- ".repeat(100_000) + "x";
    let (document, found) = template::load::load("t.yaml", &deep);
    assert!(document.is_none());
    assert!(found[0].message.contains("nested more than"), "{found:?}");
    let flow = "[".repeat(10_000);
    let _ = template::load::load("t.yaml", &flow);
}

#[test]
fn billion_laughs_is_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = level - 1;
        text.push_str(&format!("a{level}: &a{level} [*a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}]\n"));
    }
    let (document, found) = template::load::load("t.yaml", &text);
    assert!(document.is_none());
    assert!(
        found[0].message.contains("aliases copy more than"),
        "{found:?}"
    );
}
