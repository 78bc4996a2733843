//! ARNs and names as the Step Functions API checks them.
//!
//! An ARN that does not start with `arn:` gets AWS's recorded `Invalid Arn: 'Invalid ARN prefix:
//! <arn>'`; one of the wrong resource type gets `Invalid Arn: 'Resource type not valid in this
//! context: <type>'` (recorded for express execution ARNs given to DescribeExecution). Names follow
//! AWS's rules (`/work/shared/spec/aws-semantics.md` §1.5); a bad one is `Invalid Name: '<name>'`.

use crate::error::Error;

/// What an ARN names, after `arn:<partition>:states:<region>:<account>:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `stateMachine:<name>` (unqualified).
    StateMachine,
    /// `stateMachine:<name>:<version or alias>`.
    QualifiedStateMachine,
    /// `execution:<machine>:<name>`.
    Execution,
    /// `express:<machine>:<name>:<id>`.
    Express,
    /// `activity:<name>`.
    Activity,
    /// `mapRun:<machine>/<label>:<id>`.
    MapRun,
    /// Anything else (a type we do not know).
    Other,
}

/// A parsed ARN: what it names, and its resource type as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    /// The kind of resource.
    pub kind: Kind,
    /// The resource type as written (`stateMachine`, `express`, ...).
    pub resource_type: &'a str,
    /// The parts after the resource type.
    pub parts: Vec<&'a str>,
}

/// Parses an ARN of Step Functions.
pub fn parse(arn: &str) -> Result<Arn<'_>, Error> {
    if !arn.starts_with("arn:") {
        return Err(Error::InvalidArn(format!("Invalid ARN prefix: {arn}")));
    }
    let fields: Vec<&str> = arn.split(':').collect();
    if fields.len() < 7 || fields[2] != "states" || fields.iter().skip(6).any(|f| f.is_empty()) {
        return Err(Error::InvalidArn(format!("Invalid ARN format: {arn}")));
    }
    let resource_type = fields[5];
    let parts = fields[6..].to_vec();
    let kind = match (resource_type, parts.len()) {
        ("stateMachine", 1) => Kind::StateMachine,
        ("stateMachine", 2) => Kind::QualifiedStateMachine,
        ("execution", 2) => Kind::Execution,
        ("express", 3) => Kind::Express,
        ("activity", 1) => Kind::Activity,
        ("mapRun", 2) => Kind::MapRun,
        _ => Kind::Other,
    };
    Ok(Arn {
        kind,
        resource_type,
        parts,
    })
}

/// Parses an ARN that must be one of `kinds`.
pub fn expect<'a>(arn: &'a str, kinds: &[Kind]) -> Result<Arn<'a>, Error> {
    let parsed = parse(arn)?;
    if kinds.contains(&parsed.kind) {
        Ok(parsed)
    } else {
        Err(Error::InvalidArn(format!(
            "Resource type not valid in this context: {}",
            parsed.resource_type
        )))
    }
}

/// A role ARN (`arn:<partition>:iam::<account>:role/<name>`): only its shape is checked.
pub fn check_role(arn: &str) -> Result<(), Error> {
    if !arn.starts_with("arn:") {
        return Err(Error::InvalidArn(format!("Invalid ARN prefix: {arn}")));
    }
    if arn.split(':').count() < 6 {
        return Err(Error::InvalidArn(format!("Invalid ARN format: {arn}")));
    }
    Ok(())
}

/// Checks a name of a state machine, execution or activity: 1 to 80 characters, none of them
/// whitespace, `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /`, or a control character.
pub fn check_name(name: &str) -> Result<(), Error> {
    let n_chars = name.chars().count();
    let bad = |c: char| {
        c.is_whitespace()
            || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
            || ('\u{0}'..='\u{1f}').contains(&c)
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || c == '\u{fffe}'
            || c == '\u{ffff}'
    };
    if n_chars == 0 || n_chars > 80 || name.chars().any(bad) {
        return Err(Error::InvalidName(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns() {
        let arn = parse("arn:aws:states:us-east-1:123456789012:stateMachine:m").unwrap();
        assert_eq!(arn.kind, Kind::StateMachine);
        assert_eq!(arn.parts, ["m"]);
        let arn = parse("arn:aws:states:us-east-1:123456789012:express:m:e:id").unwrap();
        assert_eq!(arn.kind, Kind::Express);
        assert_eq!(
            parse("not_a_valid_arn").unwrap_err().message(),
            "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"
        );
        assert_eq!(
            expect(
                "arn:aws:states:us-east-1:123456789012:express:m:e:id",
                &[Kind::Execution]
            )
            .unwrap_err()
            .message(),
            "Invalid Arn: 'Resource type not valid in this context: express'"
        );
    }

    #[test]
    fn names() {
        for good in ["a", "state.machine_1", "activity-name_123", "é"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "", "a b", "a<b", "a:b", "a/b", "\u{0}a", "a\u{7f}", "a\u{85}", "a\tb",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"a".repeat(81)).is_err());
    }
}
