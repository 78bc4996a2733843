//! The plan: the typed resources a template asks for, in the order they can be created.
//!
//! Every string may hold [`Placeholder`]s for values known only when the plan is applied (a
//! version's ARN, a state machine's revision id); the apply step fills them in with
//! [`Placeholder::fill`] as it creates resources in plan order, which is always after the
//! resources a placeholder names.

use serde_json::Value;

/// A value known only when the plan is applied: `{{switchback:<LogicalId>.<Attribute>}}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Placeholder {
    /// The resource whose attribute this is.
    pub logical_id: String,
    /// `Arn` (of a version) or `StateMachineRevisionId` (of a state machine).
    pub attribute: String,
}

const OPEN: &str = "{{switchback:";
const CLOSE: &str = "}}";

impl Placeholder {
    /// A placeholder for `logical_id`'s `attribute`.
    pub fn new(logical_id: &str, attribute: &str) -> Self {
        Placeholder {
            logical_id: logical_id.to_owned(),
            attribute: attribute.to_owned(),
        }
    }

    /// The text written into strings.
    pub fn text(&self) -> String {
        format!("{OPEN}{}.{}{CLOSE}", self.logical_id, self.attribute)
    }

    /// Every placeholder in `text`, in order.
    pub fn find(text: &str) -> impl Iterator<Item = Placeholder> + '_ {
        let mut rest = text;
        std::iter::from_fn(move || {
            loop {
                let start = rest.find(OPEN)?;
                let after = &rest[start + OPEN.len()..];
                let end = after.find(CLOSE)?;
                rest = &after[end + CLOSE.len()..];
                if let Some((logical_id, attribute)) = after[..end].split_once('.') {
                    return Some(Placeholder::new(logical_id, attribute));
                }
            }
        })
    }

    /// `text` with each placeholder replaced by what `value` gives for it (left as is where it
    /// gives nothing).
    pub fn fill(text: &str, value: impl Fn(&Placeholder) -> Option<String>) -> String {
        let mut out = text.to_owned();
        for placeholder in Placeholder::find(text) {
            if let Some(filled) = value(&placeholder) {
                out = out.replace(&placeholder.text(), &filled);
            }
        }
        out
    }
}

/// Everything a template asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The stack's name.
    pub stack_name: String,
    /// The managed resources, each after the resources it depends on.
    pub resources: Vec<Resource>,
    /// Resources of types Switchback does not run: accepted, given plausible ARNs, not created.
    pub unmanaged: Vec<Unmanaged>,
    /// The stack's outputs.
    pub outputs: Vec<Output>,
    /// The parameters' values, overrides applied (lists joined with commas); a `NoEcho`
    /// parameter's is [`crate::NO_ECHO_MASK`].
    pub parameters: Vec<(String, String)>,
}

impl Plan {
    /// The resource with this logical id.
    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|resource| resource.logical_id == logical_id)
    }
}

/// One managed resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Its logical id in the (transformed) template.
    pub logical_id: String,
    /// The logical ids it depends on (`DependsOn` and references), managed or not.
    pub depends_on: Vec<String>,
    /// `DeletionPolicy: Retain`: dropping it from the template leaves it in place.
    pub retain: bool,
    /// What it is.
    pub spec: Spec,
}

/// A managed resource's desired state.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// `AWS::StepFunctions::StateMachine`.
    StateMachine(StateMachine),
    /// `AWS::StepFunctions::StateMachineVersion`.
    Version(Version),
    /// `AWS::StepFunctions::StateMachineAlias`.
    Alias(Alias),
    /// `AWS::StepFunctions::Activity`.
    Activity(Activity),
    /// `AWS::CloudWatch::Alarm` (boxed: it is by far the largest).
    Alarm(Box<Alarm>),
    /// `AWS::Logs::LogGroup`.
    LogGroup(LogGroup),
}

impl Spec {
    /// The CloudFormation type.
    pub fn resource_type(&self) -> &'static str {
        match self {
            Spec::StateMachine(_) => "AWS::StepFunctions::StateMachine",
            Spec::Version(_) => "AWS::StepFunctions::StateMachineVersion",
            Spec::Alias(_) => "AWS::StepFunctions::StateMachineAlias",
            Spec::Activity(_) => "AWS::StepFunctions::Activity",
            Spec::Alarm(_) => "AWS::CloudWatch::Alarm",
            Spec::LogGroup(_) => "AWS::Logs::LogGroup",
        }
    }
}

/// `STANDARD` or `EXPRESS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineType {
    /// Durable executions (the default).
    Standard,
    /// Short, in-memory executions.
    Express,
}

/// A key and a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// A state machine (CreateStateMachine / UpdateStateMachine).
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    /// `StateMachineName`, or a stable generated one (`<LogicalId>-<SUFFIX>`).
    pub name: String,
    /// `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`.
    pub arn: String,
    /// `StateMachineType`.
    pub machine_type: MachineType,
    /// The definition text, `DefinitionSubstitutions` applied.
    pub definition: String,
    /// `RoleArn` (recorded, not enforced).
    pub role_arn: String,
    /// `LoggingConfiguration`.
    pub logging: Option<Logging>,
    /// `TracingConfiguration` (recorded).
    pub tracing: Option<Tracing>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// `LoggingConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logging {
    /// `ALL`, `ERROR`, `FATAL` or `OFF`.
    pub level: String,
    /// `IncludeExecutionData`.
    pub include_execution_data: bool,
    /// The log group ARNs of `Destinations[].CloudWatchLogsLogGroup.LogGroupArn`.
    pub destinations: Vec<String>,
}

/// `TracingConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracing {
    /// `Enabled`.
    pub enabled: bool,
}

/// A version to publish (PublishStateMachineVersion).
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// `StateMachineArn`.
    pub state_machine_arn: String,
    /// The managed state machine it publishes, when the template has it.
    pub state_machine: Option<String>,
    /// `StateMachineRevisionId` (usually a placeholder).
    pub revision_id: Option<String>,
    /// `Description`.
    pub description: Option<String>,
}

/// An alias (CreateStateMachineAlias / UpdateStateMachineAlias).
#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    /// `Name`.
    pub name: String,
    /// `<state machine ARN>:<name>`.
    pub arn: String,
    /// `Description`.
    pub description: Option<String>,
    /// Where its traffic goes.
    pub routing: Routing,
}

/// `RoutingConfiguration` or `DeploymentPreference` (exactly one).
#[derive(Debug, Clone, PartialEq)]
pub enum Routing {
    /// `RoutingConfiguration`: one or two versions and their weights.
    Weights(Vec<Route>),
    /// `DeploymentPreference`: one version, reached at once or gradually.
    Deployment(DeploymentPreference),
}

impl Routing {
    /// The version ARNs the alias routes to (the target of a deployment).
    pub fn version_arns(&self) -> Vec<&str> {
        match self {
            Routing::Weights(routes) => routes
                .iter()
                .map(|route| route.version_arn.as_str())
                .collect(),
            Routing::Deployment(preference) => vec![preference.version_arn.as_str()],
        }
    }
}

/// One entry of a `RoutingConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `StateMachineVersionArn`.
    pub version_arn: String,
    /// `Weight`, 0 to 100.
    pub weight: u8,
}

/// `LINEAR`, `CANARY` or `ALL_AT_ONCE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentType {
    /// Shift `Percentage` more every `Interval` minutes.
    Linear,
    /// Shift `Percentage`, then the rest after `Interval` minutes.
    Canary,
    /// Shift everything at once.
    AllAtOnce,
}

/// An alias's `DeploymentPreference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentPreference {
    /// `StateMachineVersionArn`: the version to reach.
    pub version_arn: String,
    /// `Type`.
    pub deployment_type: DeploymentType,
    /// `Percentage`, 1 to 99.
    pub percentage: Option<u8>,
    /// `Interval` in minutes, 1 to 2100.
    pub interval: Option<u32>,
    /// `Alarms`: alarm names.
    pub alarms: Vec<String>,
}

/// An activity (CreateActivity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// `Name`.
    pub name: String,
    /// `arn:aws:states:REGION:ACCOUNT:activity:NAME`.
    pub arn: String,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// A metric alarm: every field of CloudWatch's PutMetricAlarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// `AlarmName`, or a stable generated one (`<stack>-<LogicalId>-<SUFFIX>`).
    pub name: String,
    /// `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`.
    pub arn: String,
    /// `AlarmDescription`.
    pub description: Option<String>,
    /// `ActionsEnabled` (default true).
    pub actions_enabled: bool,
    /// `OKActions`.
    pub ok_actions: Vec<String>,
    /// `AlarmActions`.
    pub alarm_actions: Vec<String>,
    /// `InsufficientDataActions`.
    pub insufficient_data_actions: Vec<String>,
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `Statistic`: `SampleCount`, `Average`, `Sum`, `Minimum` or `Maximum`.
    pub statistic: Option<String>,
    /// `ExtendedStatistic` (`p99`, ...).
    pub extended_statistic: Option<String>,
    /// `Dimensions`, in order.
    pub dimensions: Vec<(String, String)>,
    /// `Period` in seconds.
    pub period: Option<u32>,
    /// `Unit`.
    pub unit: Option<String>,
    /// `EvaluationPeriods`.
    pub evaluation_periods: u32,
    /// `DatapointsToAlarm`.
    pub datapoints_to_alarm: Option<u32>,
    /// `Threshold`.
    pub threshold: Option<f64>,
    /// `ComparisonOperator`.
    pub comparison_operator: String,
    /// `TreatMissingData`: `breaching`, `notBreaching`, `ignore` or `missing`.
    pub treat_missing_data: Option<String>,
    /// `EvaluateLowSampleCountPercentile`.
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// `Metrics` (metric math), as written.
    pub metrics: Option<Value>,
    /// `ThresholdMetricId`.
    pub threshold_metric_id: Option<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// A log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroup {
    /// `LogGroupName`, or a stable generated one.
    pub name: String,
    /// `arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`.
    pub arn: String,
    /// `RetentionInDays`.
    pub retention_in_days: Option<u32>,
    /// `KmsKeyId` (recorded).
    pub kms_key_id: Option<String>,
    /// `LogGroupClass`.
    pub log_group_class: Option<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// A resource of a type Switchback does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmanaged {
    /// Its logical id.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// What `Ref` gives for it (plausible, not real).
    pub reference: String,
    /// The managed resources that refer to it.
    pub referenced_by: Vec<String>,
}

/// One of the stack's outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Its logical id.
    pub name: String,
    /// The value, as text (lists joined with commas); may hold placeholders.
    pub value: String,
    /// `Description`.
    pub description: Option<String>,
}
