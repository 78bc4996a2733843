//! `loggingConfiguration` (issue 5): AWS's checks at `CreateStateMachine` and
//! `UpdateStateMachine`, and the runtime's [`runtime::logs::Logging`] of a stored configuration.
//!
//! The model checks the types and the `level` enum; AWS then requires exactly one destination
//! unless the level is `OFF`, and a CloudWatch Logs log group ARN in it
//! (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`), answering `InvalidLoggingConfiguration`
//! with the messages below (as LocalStack records them from AWS).

use std::sync::Arc;

use runtime::logs::{LogLevel, Logging};
use serde_json::Value;

use crate::Error;

const ONE_DESTINATION: &str =
    "Invalid Logging Configuration: Must specify exactly one Log Destination.";
const VALID_ARN: &str = "Invalid Logging Configuration: Must set valid CloudWatch Log Group ARN.";

fn level(configuration: &Value) -> LogLevel {
    LogLevel::of(configuration)
}

fn log_group_arn(destination: &Value) -> Option<&str> {
    runtime::logs::log_group_arn(destination)
}

/// Whether a log group ARN has CloudWatch Logs' form, ending in `:*`.
fn valid_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let [prefix, partition, service, region, account, kind, rest] = parts.as_slice() else {
        return false;
    };
    *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "logs"
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|byte| byte.is_ascii_digit())
        && *kind == "log-group"
        && rest
            .strip_suffix(":*")
            .is_some_and(|name| !name.is_empty() && name.len() <= 512)
}

/// AWS's checks of a `loggingConfiguration`.
pub(crate) fn check(configuration: &Value) -> Result<(), Error> {
    let destinations = configuration
        .get("destinations")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    if destinations.len() > 1 || (level(configuration) != LogLevel::Off && destinations.is_empty())
    {
        return Err(Error::InvalidLoggingConfiguration(
            ONE_DESTINATION.to_owned(),
        ));
    }
    for destination in destinations {
        if !log_group_arn(destination).is_some_and(valid_arn) {
            return Err(Error::InvalidLoggingConfiguration(VALID_ARN.to_owned()));
        }
    }
    Ok(())
}

/// What the runtime logs for a stored configuration: `None` when it logs nothing.
pub(crate) fn runtime_logging(configuration: Option<&str>) -> Option<Arc<Logging>> {
    Logging::from_configuration(configuration?).map(Arc::new)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ARN: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/O:*";

    #[test]
    fn aws_refuses_what_it_refuses() {
        let refused = |configuration: Value| match check(&configuration) {
            Err(Error::InvalidLoggingConfiguration(message)) => message,
            other => panic!("{configuration} gave {other:?}"),
        };
        assert_eq!(refused(json!({"level": "ALL"})), ONE_DESTINATION);
        assert_eq!(
            refused(json!({"level": "ERROR", "destinations": []})),
            ONE_DESTINATION
        );
        let destination = json!({"cloudWatchLogsLogGroup": {"logGroupArn": ARN}});
        assert_eq!(
            refused(json!({"level": "OFF", "destinations": [destination, destination]})),
            ONE_DESTINATION
        );
        for bad in [
            json!({}),
            json!({"cloudWatchLogsLogGroup": {}}),
            json!({"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:x"}}),
            json!({"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:s3:::bucket"}}),
        ] {
            assert_eq!(
                refused(json!({"level": "FATAL", "destinations": [bad]})),
                VALID_ARN
            );
        }
        check(&json!({"level": "OFF"})).unwrap();
        check(&json!({})).unwrap();
        check(
            &json!({"level": "ALL", "includeExecutionData": true, "destinations": [destination]}),
        )
        .unwrap();
    }

    #[test]
    fn stored_configurations_become_the_runtime_logging() {
        let text = json!({"level": "ERROR", "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": ARN}}]})
            .to_string();
        let logging = runtime_logging(Some(&text)).unwrap();
        assert_eq!(logging.level, LogLevel::Error);
        assert!(!logging.include_execution_data);
        assert_eq!(logging.log_group, "/aws/vendedlogs/states/O");
        assert!(runtime_logging(Some(r#"{"level":"OFF"}"#)).is_none());
        assert!(runtime_logging(None).is_none());
    }
}
