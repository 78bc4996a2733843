//! A deployment preference: the type (CANARY, LINEAR, ALL_AT_ONCE), the interval, the
//! percentage, the alarms, and Switchback's own bake time (`spec/aws-semantics.md` §2.2).
//!
//! Two levels of checks, as on AWS. [`Preference::validate`] applies the resource schema's
//! rules (ranges, list sizes), every problem at once, and a failure refuses the request. The
//! handler's rules (LINEAR and CANARY need an interval and a percentage; a LINEAR deployment must
//! fit 2,100 minutes) run when the deployment starts and end it FAILED with AWS's message
//! ([`Preference::handler_check`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The longest a LINEAR deployment may take, in minutes (CloudFormation's handler limit).
pub const MAX_DEPLOYMENT_MINUTES: u32 = 2100;

/// How traffic moves to the target version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    /// `Percentage` at once, the rest after one `Interval`: exactly two shifts.
    Canary,
    /// `+Percentage` every `Interval` until 100 %.
    Linear,
    /// 100 % at once.
    AllAtOnce,
}

impl Kind {
    /// The name as CloudFormation writes it: `CANARY`, `LINEAR`, `ALL_AT_ONCE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Canary => "CANARY",
            Kind::Linear => "LINEAR",
            Kind::AllAtOnce => "ALL_AT_ONCE",
        }
    }

    /// Reads `CANARY`, `LINEAR` or `ALL_AT_ONCE`.
    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "CANARY" => Some(Kind::Canary),
            "LINEAR" => Some(Kind::Linear),
            "ALL_AT_ONCE" => Some(Kind::AllAtOnce),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `DeploymentPreference` without the target version (that is the deployment's own field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preference {
    /// `Type`.
    pub kind: Kind,
    /// `Interval`, minutes between shifts (1–2100). For ALL_AT_ONCE (beyond AWS): how long the
    /// alarms are watched after the switch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_minutes: Option<u32>,
    /// `Percentage` shifted per step (1–99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<u32>,
    /// `Alarms`: CloudWatch alarm names (1–100 distinct names of 1–256 characters). An alarm
    /// that does not exist counts as not in ALARM, as on AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<Vec<String>>,
    /// Switchback's `BakeMinutes` (1–2100): after 100 %, the alarms are still watched this long
    /// and can still roll the deployment back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_minutes: Option<u32>,
}

impl Preference {
    /// A preference of `kind` with nothing else set.
    pub fn new(kind: Kind) -> Preference {
        Preference {
            kind,
            interval_minutes: None,
            percentage: None,
            alarms: None,
            bake_minutes: None,
        }
    }

    /// The schema's rules, every violation at once, in Coral's words (`Value '0' at 'interval'
    /// failed to satisfy constraint: ...`). The API layer prefixes `N validation error(s)
    /// detected: ` and joins them with `; ` ([`Error::Validation`] displays them so).
    pub fn validate(&self) -> Result<(), Error> {
        let mut violations = Vec::new();
        let mut range = |member: &str, value: Option<u32>, min: u32, max: u32| match value {
            Some(value) if value < min => violations.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: \
                 Member must have value greater than or equal to {min}"
            )),
            Some(value) if value > max => violations.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: \
                 Member must have value less than or equal to {max}"
            )),
            _ => {}
        };
        range("interval", self.interval_minutes, 1, MAX_DEPLOYMENT_MINUTES);
        range("percentage", self.percentage, 1, 99);
        range("bakeMinutes", self.bake_minutes, 1, MAX_DEPLOYMENT_MINUTES);
        if let Some(alarms) = &self.alarms {
            let shown = format!("[{}]", alarms.join(", "));
            if alarms.is_empty() {
                violations.push(format!(
                    "Value '{shown}' at 'alarms' failed to satisfy constraint: \
                     Member must have length greater than or equal to 1"
                ));
            }
            if alarms.len() > 100 {
                violations.push(format!(
                    "Value '{shown}' at 'alarms' failed to satisfy constraint: \
                     Member must have length less than or equal to 100"
                ));
            }
            for (index, alarm) in alarms.iter().enumerate() {
                let length = alarm.chars().count();
                if length == 0 || length > 256 {
                    let bound = if length == 0 {
                        "greater than or equal to 1"
                    } else {
                        "less than or equal to 256"
                    };
                    violations.push(format!(
                        "Value '{alarm}' at 'alarms.{}.member' failed to satisfy constraint: \
                         Member must have length {bound}",
                        index + 1
                    ));
                }
                if alarms[..index].contains(alarm) {
                    violations.push(format!(
                        "Value '{shown}' at 'alarms' failed to satisfy constraint: \
                         Member must have unique items ('{alarm}' appears twice)"
                    ));
                }
            }
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(violations))
        }
    }

    /// CloudFormation's handler checks, run when the deployment starts: the message a failed
    /// deployment ends with, or `None`.
    pub fn handler_check(&self) -> Option<String> {
        if self.kind == Kind::AllAtOnce {
            return None;
        }
        let kind = self.kind;
        let (interval, percentage) = match (self.interval_minutes, self.percentage) {
            (Some(interval), Some(percentage)) => (interval, percentage),
            (None, None) => {
                return Some(format!(
                    "Deployments of type '{kind}' require an interval and percentage for traffic \
                     shifting. Configure the deployment preference with the 'interval' and \
                     'percentage' properties and try again."
                ));
            }
            (None, Some(_)) => {
                return Some(format!(
                    "Deployments of type '{kind}' require an interval for traffic shifting. \
                     Configure the deployment preference with the 'interval' property and try \
                     again."
                ));
            }
            (Some(_), None) => {
                return Some(format!(
                    "Deployments of type '{kind}' require a percentage for traffic shifting. \
                     Configure the deployment preference with the 'percentage' property and try \
                     again."
                ));
            }
        };
        if kind == Kind::Linear {
            let estimate = 100u32.div_ceil(percentage.max(1)) * interval;
            if estimate > MAX_DEPLOYMENT_MINUTES {
                return Some(format!(
                    "The linear deployment configured is estimated to take {estimate} minutes, \
                     which exceeds the maximum allowable deployment time of \
                     {MAX_DEPLOYMENT_MINUTES} minutes. Configure the deployment preference to use \
                     a higher shift percentage or lower time interval and try again."
                ));
            }
        }
        None
    }

    /// The alarm names, empty when none were given.
    pub fn alarm_names(&self) -> &[String] {
        self.alarms.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_violations(preference: Preference, expected: &[&str]) {
        match preference.validate() {
            Ok(()) => assert!(expected.is_empty(), "valid, expected {expected:?}"),
            Err(Error::Validation(violations)) => assert_eq!(violations, expected),
            Err(other) => panic!("unexpected {other}"),
        }
    }

    fn linear(interval: u32, percentage: u32) -> Preference {
        Preference {
            interval_minutes: Some(interval),
            percentage: Some(percentage),
            ..Preference::new(Kind::Linear)
        }
    }

    #[test]
    fn schema_rules() {
        check_violations(linear(1, 1), &[]);
        check_violations(linear(2100, 99), &[]);
        check_violations(
            linear(0, 100),
            &[
                "Value '0' at 'interval' failed to satisfy constraint: Member must have value greater than or equal to 1",
                "Value '100' at 'percentage' failed to satisfy constraint: Member must have value less than or equal to 99",
            ],
        );
        check_violations(
            Preference {
                bake_minutes: Some(2101),
                alarms: Some(vec!["a".into(), String::new(), "a".into()]),
                ..linear(2101, 0)
            },
            &[
                "Value '2101' at 'interval' failed to satisfy constraint: Member must have value less than or equal to 2100",
                "Value '0' at 'percentage' failed to satisfy constraint: Member must have value greater than or equal to 1",
                "Value '2101' at 'bakeMinutes' failed to satisfy constraint: Member must have value less than or equal to 2100",
                "Value '' at 'alarms.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
                "Value '[a, , a]' at 'alarms' failed to satisfy constraint: Member must have unique items ('a' appears twice)",
            ],
        );
        check_violations(
            Preference {
                alarms: Some(vec![]),
                ..Preference::new(Kind::AllAtOnce)
            },
            &[
                "Value '[]' at 'alarms' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ],
        );
        let many: Vec<String> = (0..101).map(|i| format!("a{i}")).collect();
        let error = Preference {
            alarms: Some(many),
            ..Preference::new(Kind::AllAtOnce)
        }
        .validate()
        .unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("Member must have length less than or equal to 100")
        );
        let long = "x".repeat(257);
        let error = Preference {
            alarms: Some(vec![long]),
            ..Preference::new(Kind::AllAtOnce)
        }
        .validate()
        .unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("Member must have length less than or equal to 256")
        );
    }

    #[test]
    fn handler_rules() {
        let check = |preference: Preference| preference.handler_check().unwrap_or_default();
        assert_eq!(check(linear(2, 50)), "");
        assert_eq!(check(linear(21, 1)), "");
        assert_eq!(check(Preference::new(Kind::AllAtOnce)), "");
        assert_eq!(
            check(linear(22, 1)),
            "The linear deployment configured is estimated to take 2200 minutes, which exceeds the \
             maximum allowable deployment time of 2100 minutes. Configure the deployment preference \
             to use a higher shift percentage or lower time interval and try again."
        );
        // ceil(100 / 33) = 4 shifts: 0 -> 33 -> 66 -> 99 -> 100.
        assert_eq!(check(linear(525, 33)), "");
        assert!(check(linear(526, 33)).contains("2104 minutes"));
        // CANARY has no total-time rule.
        let canary = Preference {
            kind: Kind::Canary,
            ..linear(2100, 1)
        };
        assert_eq!(check(canary), "");
        assert_eq!(
            check(Preference::new(Kind::Canary)),
            "Deployments of type 'CANARY' require an interval and percentage for traffic shifting. \
             Configure the deployment preference with the 'interval' and 'percentage' properties \
             and try again."
        );
        assert_eq!(
            check(Preference {
                percentage: Some(10),
                ..Preference::new(Kind::Linear)
            }),
            "Deployments of type 'LINEAR' require an interval for traffic shifting. Configure the \
             deployment preference with the 'interval' property and try again."
        );
        assert_eq!(
            check(Preference {
                interval_minutes: Some(10),
                ..Preference::new(Kind::Linear)
            }),
            "Deployments of type 'LINEAR' require a percentage for traffic shifting. Configure the \
             deployment preference with the 'percentage' property and try again."
        );
    }
}
