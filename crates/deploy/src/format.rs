//! The persisted forms: a deployment's whole state ([`Deployment::to_json`]) and each input
//! ([`Input::to_json`]), for a runtime that stores the state after each step or journals the
//! inputs and replays them.
//!
//! Versioned JSON: `"v": 1` first, then the fields in camelCase; enums as AWS writes them
//! (`LINEAR`, `IN_PROGRESS`, `ALARM`); tagged variants with `"type"`; times in epoch
//! milliseconds; routings as `[{"version": 1, "weight": 90}, ...]`. A newer build reads every
//! version an older one wrote (fields added later are optional); a record from a newer build is
//! refused rather than misread.
//!
//! ```json
//! {"v": 1, "aliasArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m:main",
//!  "target": 2, "preference": {"kind": "LINEAR", "intervalMinutes": 2, "percentage": 50},
//!  "status": "IN_PROGRESS", "origin": [{"version": 1, "weight": 100}],
//!  "expected": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], ...}
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{Deployment, Error, Input};

/// The format version this build writes.
pub const VERSION: u64 = 1;

fn to_json(value: &impl Serialize) -> Value {
    let mut object = Map::new();
    object.insert("v".to_owned(), Value::from(VERSION));
    match serde_json::to_value(value) {
        Ok(Value::Object(fields)) => object.extend(fields),
        // Every persisted type is a struct or a tagged enum: always an object.
        Ok(_) | Err(_) => unreachable!("a persisted deployment value is a JSON object"),
    }
    Value::Object(object)
}

fn from_json<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    let mut object = value
        .as_object()
        .cloned()
        .ok_or_else(|| Error::Format("not a JSON object".to_owned()))?;
    let version = object.remove("v").and_then(|v| v.as_u64()).unwrap_or(0);
    if version == 0 || version > VERSION {
        return Err(Error::Format(format!(
            "format version {version} (this build reads 1 to {VERSION})"
        )));
    }
    serde_json::from_value(Value::Object(object)).map_err(|error| Error::Format(error.to_string()))
}

impl Deployment {
    /// The whole state as versioned JSON.
    pub fn to_json(&self) -> Value {
        to_json(self)
    }

    /// Reads a state back.
    pub fn from_json(value: &Value) -> Result<Deployment, Error> {
        from_json(value)
    }
}

impl Input {
    /// The input as a versioned journal entry.
    pub fn to_json(&self) -> Value {
        to_json(self)
    }

    /// Reads a journal entry back.
    pub fn from_json(value: &Value) -> Result<Input, Error> {
        from_json(value)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{AlarmReading, AlarmState, Routing};

    #[test]
    fn every_input_round_trips() {
        let inputs = [
            Input::Start {
                routing: Routing::single(1),
            },
            Input::Tick {
                routing: Routing::single(1),
                alarms: vec![AlarmReading {
                    name: "errors".to_owned(),
                    state: AlarmState::InsufficientData,
                    reason: Some("no data".to_owned()),
                }],
            },
            Input::ObservedRouting {
                routing: Routing::single(2),
            },
            Input::Stop {
                cause: Some("bad".to_owned()),
            },
            Input::Stop { cause: None },
            Input::Promote,
        ];
        for input in inputs {
            let back = Input::from_json(&input.to_json()).unwrap();
            assert_eq!(back, input);
        }
    }

    #[test]
    fn the_journal_format_is_stable() {
        let tick = Input::Tick {
            routing: Routing::single(3),
            alarms: vec![AlarmReading {
                name: "errors".to_owned(),
                state: AlarmState::Alarm,
                reason: None,
            }],
        };
        assert_eq!(
            tick.to_json(),
            json!({"v": 1, "type": "Tick", "routing": [{"version": 3, "weight": 100}],
                   "alarms": [{"name": "errors", "state": "ALARM"}]})
        );
        assert_eq!(
            serde_json::to_string(&Input::Promote.to_json()).unwrap(),
            r#"{"v":1,"type":"Promote"}"#
        );
    }

    #[test]
    fn unreadable_records_are_errors() {
        let check = |value: Value| Input::from_json(&value).unwrap_err().to_string();
        assert_eq!(
            check(json!({"v": 2, "type": "Promote"})),
            "unreadable deployment record: format version 2 (this build reads 1 to 1)"
        );
        assert_eq!(
            check(json!({"type": "Promote"})),
            "unreadable deployment record: format version 0 (this build reads 1 to 1)"
        );
        assert!(check(json!({"v": 1, "type": "Nope"})).contains("unknown variant"));
        assert!(check(json!("text")).contains("not a JSON object"));
        // A routing is validated on the way in.
        assert!(
            check(json!({"v": 1, "type": "Start", "routing": [{"version": 1, "weight": 90}]}))
                .contains("weights must sum to 100")
        );
        assert!(Deployment::from_json(&json!({"v": 1})).is_err());
    }
}
