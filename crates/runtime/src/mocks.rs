//! Mocked integrations in Step Functions Local's `MockConfigFile` format (issue 9): test cases
//! per state machine name, each mapping state names to a mocked response; a mocked response maps
//! invocation ranges (`"0"`, `"1-2"`) to a `Return` (the task's result) or a `Throw` (`Error`,
//! `Cause`).
//!
//! ```json
//! {"StateMachines": {"Orders": {"TestCases": {"HappyPath": {"Charge": "ChargeOk"}}}},
//!  "MockedResponses": {"ChargeOk": {"0": {"Return": {"StatusCode": 200}}}}}
//! ```
//!
//! Every problem of a file is reported at once, with where it is. A test case is chosen as
//! `StateMachineName#TestCase`.

use std::collections::BTreeMap;

use serde_json::Value;

/// What a mocked invocation answers.
#[derive(Debug, Clone, PartialEq)]
pub enum MockedAnswer {
    /// `Return`: the task's result.
    Return(Value),
    /// `Throw`: the task fails.
    Throw {
        /// `Error`.
        error: String,
        /// `Cause`.
        cause: String,
    },
}

/// One mocked response: answers by invocation (0-based), in ranges.
#[derive(Debug, Clone, PartialEq)]
struct MockedResponse {
    /// (first, last, answer), in order.
    ranges: Vec<(u64, u64, MockedAnswer)>,
}

/// A parsed mock configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MockConfig {
    /// State machine name → test case → state name → mocked response name.
    machines: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    responses: BTreeMap<String, MockedResponse>,
}

fn range(key: &str) -> Option<(u64, u64)> {
    match key.split_once('-') {
        Some((first, last)) => {
            let (first, last) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
            (first <= last).then_some((first, last))
        }
        None => {
            let single = key.trim().parse().ok()?;
            Some((single, single))
        }
    }
}

impl MockConfig {
    /// Reads a configuration; `Err` lists every problem, each with where it is.
    pub fn from_value(value: &Value) -> Result<MockConfig, Vec<String>> {
        let mut problems = Vec::new();
        let mut config = MockConfig::default();
        let Some(root) = value.as_object() else {
            return Err(vec![
                "the mock configuration must be a JSON object".to_owned(),
            ]);
        };
        for key in root.keys() {
            if key != "StateMachines" && key != "MockedResponses" {
                problems.push(format!(
                    "/{key}: unknown member (StateMachines, MockedResponses)"
                ));
            }
        }
        for (name, response) in root
            .get("MockedResponses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let place = format!("/MockedResponses/{name}");
            let Some(response) = response.as_object() else {
                problems.push(format!("{place}: must be an object of invocation ranges"));
                continue;
            };
            let mut ranges = Vec::new();
            for (key, answer) in response {
                let place = format!("{place}/{key}");
                let Some((first, last)) = range(key) else {
                    problems.push(format!(
                        "{place}: an invocation range is \"N\" or \"N-M\" with N <= M"
                    ));
                    continue;
                };
                let answer = match (answer.get("Return"), answer.get("Throw")) {
                    (Some(value), None) => MockedAnswer::Return(value.clone()),
                    (None, Some(thrown)) => MockedAnswer::Throw {
                        error: thrown["Error"].as_str().unwrap_or_default().to_owned(),
                        cause: thrown["Cause"].as_str().unwrap_or_default().to_owned(),
                    },
                    _ => {
                        problems.push(format!("{place}: needs exactly one of Return and Throw"));
                        continue;
                    }
                };
                if ranges
                    .iter()
                    .any(|(a, b, _): &(u64, u64, MockedAnswer)| first <= *b && *a <= last)
                {
                    problems.push(format!("{place}: overlaps another range"));
                    continue;
                }
                ranges.push((first, last, answer));
            }
            ranges.sort_by_key(|(first, _, _)| *first);
            config
                .responses
                .insert(name.clone(), MockedResponse { ranges });
        }
        for (machine, entry) in root
            .get("StateMachines")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(cases) = entry.get("TestCases").and_then(Value::as_object) else {
                problems.push(format!("/StateMachines/{machine}: needs TestCases"));
                continue;
            };
            let mut parsed = BTreeMap::new();
            for (case, states) in cases {
                let mut mapped = BTreeMap::new();
                for (state, response) in states.as_object().into_iter().flatten() {
                    let place = format!("/StateMachines/{machine}/TestCases/{case}/{state}");
                    match response.as_str() {
                        Some(response) if config.responses.contains_key(response) => {
                            mapped.insert(state.clone(), response.to_owned());
                        }
                        Some(response) => problems
                            .push(format!("{place}: no mocked response is named '{response}'")),
                        None => problems.push(format!("{place}: must name a mocked response")),
                    }
                }
                parsed.insert(case.clone(), mapped);
            }
            config.machines.insert(machine.clone(), parsed);
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// The state machine names it has test cases for, in order of name.
    pub fn machines(&self) -> Vec<String> {
        self.machines.keys().cloned().collect()
    }

    /// Whether the configuration has this test case for this state machine.
    pub fn has_test_case(&self, machine: &str, case: &str) -> bool {
        self.machines
            .get(machine)
            .is_some_and(|cases| cases.contains_key(case))
    }

    /// The test cases of a state machine, in order of name.
    pub fn test_cases(&self, machine: &str) -> Vec<String> {
        self.machines
            .get(machine)
            .map(|cases| cases.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// What the `invocation`-th (0-based) call of `state` answers in the test case, if the test
    /// case mocks the state. An invocation past every range answers the last range's answer,
    /// as Step Functions Local does.
    pub fn answer(
        &self,
        machine: &str,
        case: &str,
        state: &str,
        invocation: u64,
    ) -> Option<&MockedAnswer> {
        let response = self.machines.get(machine)?.get(case)?.get(state)?;
        let ranges = &self.responses.get(response)?.ranges;
        ranges
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&invocation))
            .or_else(|| ranges.last())
            .map(|(_, _, answer)| answer)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample() -> Value {
        json!({
            "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
                "HappyPath": {"LambdaState": "MockedLambdaSuccess"},
                "RetryPath": {"LambdaState": "MockedLambdaRetry"}}}},
            "MockedResponses": {
                "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200}}},
                "MockedLambdaRetry": {
                    "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "not ready"}},
                    "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}},
                    "3": {"Return": {"StatusCode": 200}}}}
        })
    }

    #[test]
    fn answers_by_invocation_range() {
        let config = MockConfig::from_value(&sample()).unwrap();
        let answer = |invocation| {
            config
                .answer(
                    "LambdaSQSIntegration",
                    "RetryPath",
                    "LambdaState",
                    invocation,
                )
                .cloned()
        };
        assert!(
            matches!(answer(0), Some(MockedAnswer::Throw { error, .. }) if error == "Lambda.ResourceNotReadyException")
        );
        assert!(
            matches!(answer(2), Some(MockedAnswer::Throw { error, .. }) if error == "Lambda.TimeoutException")
        );
        assert_eq!(
            answer(3),
            Some(MockedAnswer::Return(json!({"StatusCode": 200})))
        );
        assert_eq!(
            answer(9),
            Some(MockedAnswer::Return(json!({"StatusCode": 200})))
        );
        assert_eq!(
            config.answer("LambdaSQSIntegration", "HappyPath", "SQSState", 0),
            None
        );
        assert!(config.has_test_case("LambdaSQSIntegration", "HappyPath"));
        assert!(!config.has_test_case("LambdaSQSIntegration", "Nope"));
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let problems = MockConfig::from_value(&json!({
            "StateMachines": {"M": {"TestCases": {"T": {"S": "Missing"}}}},
            "MockedResponses": {"R": {"x": {"Return": 1}, "0": {"Return": 1, "Throw": {}},
                                      "1-3": {"Return": 1}, "2": {"Return": 2}}},
            "Extra": true
        }))
        .unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("/Extra")));
        assert!(
            problems
                .iter()
                .any(|p| p
                    == "/StateMachines/M/TestCases/T/S: no mocked response is named 'Missing'")
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("/MockedResponses/R/x:"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p == "/MockedResponses/R/0: needs exactly one of Return and Throw")
        );
        assert!(
            problems
                .iter()
                .any(|p| p == "/MockedResponses/R/2: overlaps another range")
        );
    }
}
