//! The template crate through its public surface: the seed scenario, each intrinsic, SAM's
//! naming, conditions, located errors, YAML caveats and the diff.

use std::path::{Path, PathBuf};

use template::plan::{DeploymentType, MachineType, Placeholder, Plan, Routing, Spec};
use template::{Action, Diagnostic, Options, Severity, diff, plan};

fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data")
}

/// Reads files under the test data folder (the loader the deploy command injects reads disk).
fn disk(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|error| error.to_string())
}

fn options() -> Options {
    Options {
        stack_name: "seed".into(),
        template_folder: test_data().join("seed"),
        ..Options::default()
    }
}

fn seed_text() -> String {
    disk(&test_data().join("seed/template.yaml")).unwrap()
}

fn plan_ok(text: &str) -> Plan {
    let (planned, diagnostics) = plan("template.yaml", text, &options(), &disk);
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    planned.expect("a plan")
}

fn errors(text: &str) -> Vec<Diagnostic> {
    let (planned, diagnostics) = plan("template.yaml", text, &options(), &disk);
    assert!(planned.is_none(), "expected errors, got a plan");
    diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

/// A one-resource template around a state machine whose `Name` property is `value`, to try
/// intrinsics; returns the resolved name.
fn name_of(parameters_and_more: &str, value: &str) -> String {
    let text = format!(
        "{parameters_and_more}\nResources:\n  Machine:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      StateMachineName: {value}\n      RoleArn: arn:aws:iam::123456789012:role/r\n      DefinitionString: '{{\"StartAt\": \"A\", \"States\": {{\"A\": {{\"Type\": \"Succeed\"}}}}}}'\n"
    );
    let planned = plan_ok(&text);
    match &planned.resource("Machine").unwrap().spec {
        Spec::StateMachine(machine) => machine.name.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_seed_plans() {
    let planned = plan_ok(&seed_text());
    let ids: Vec<&str> = planned
        .resources
        .iter()
        .map(|r| r.logical_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "StateMachineLogGroup",
            "AliasStateMachine",
            "AliasStateMachineVersion",
            "AliasStateMachineFailureAlarm",
            "AliasStateMachineAliasmain"
        ]
    );
    let Spec::StateMachine(machine) = &planned.resource("AliasStateMachine").unwrap().spec else {
        panic!()
    };
    assert_eq!(machine.name, "SampleAliasMachine");
    assert_eq!(
        machine.arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:SampleAliasMachine"
    );
    assert_eq!(machine.machine_type, MachineType::Express);
    assert_eq!(
        machine.definition,
        disk(&test_data().join("seed/statemachine/alias.asl.json")).unwrap()
    );
    assert!(
        machine
            .role_arn
            .starts_with("arn:aws:iam::123456789012:role/seed-StatesExecutionRole-"),
        "{}",
        machine.role_arn
    );
    let logging = machine.logging.as_ref().unwrap();
    assert_eq!(logging.level, "ALL");
    assert!(logging.include_execution_data);
    assert_eq!(
        logging.destinations,
        [
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/SampleAliasMachine:*"
        ]
    );
    assert_eq!(machine.tags[0].key, "stateMachine:createdBy");

    let version = planned.resource("AliasStateMachineVersion").unwrap();
    assert!(version.retain);
    let Spec::Version(version) = &version.spec else {
        panic!()
    };
    assert_eq!(version.state_machine.as_deref(), Some("AliasStateMachine"));
    assert_eq!(
        version.revision_id.as_deref(),
        Some("{{switchback:AliasStateMachine.StateMachineRevisionId}}")
    );

    let Spec::Alias(alias) = &planned.resource("AliasStateMachineAliasmain").unwrap().spec else {
        panic!()
    };
    assert_eq!(alias.name, "main");
    assert_eq!(
        alias.arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:SampleAliasMachine:main"
    );
    let Routing::Deployment(preference) = &alias.routing else {
        panic!()
    };
    assert_eq!(preference.deployment_type, DeploymentType::Linear);
    assert_eq!(
        (preference.percentage, preference.interval),
        (Some(50), Some(2))
    );
    assert_eq!(
        preference.version_arn,
        Placeholder::new("AliasStateMachineVersion", "Arn").text()
    );

    let Spec::Alarm(alarm) = &planned
        .resource("AliasStateMachineFailureAlarm")
        .unwrap()
        .spec
    else {
        panic!()
    };
    assert_eq!(preference.alarms, std::slice::from_ref(&alarm.name));
    assert!(
        alarm
            .name
            .starts_with("seed-AliasStateMachineFailureAlarm-")
    );
    assert_eq!(alarm.metric_name.as_deref(), Some("ExecutionsFailed"));
    assert_eq!(alarm.namespace.as_deref(), Some("AWS/States"));
    assert_eq!(
        alarm.dimensions,
        [
            ("StateMachineArn".into(), machine.arn.clone()),
            ("Alias".into(), "main".into())
        ]
    );
    assert_eq!(
        (alarm.threshold, alarm.evaluation_periods, alarm.period),
        (Some(1.0), 1, Some(300))
    );
    assert_eq!(alarm.comparison_operator, "GreaterThanOrEqualToThreshold");
    assert_eq!(alarm.treat_missing_data.as_deref(), Some("notBreaching"));

    assert_eq!(planned.unmanaged.len(), 1);
    assert_eq!(planned.unmanaged[0].logical_id, "StatesExecutionRole");
    assert_eq!(planned.unmanaged[0].referenced_by, ["AliasStateMachine"]);
    assert_eq!(planned.outputs[0].value, machine.arn);
}

#[test]
fn redeploying_the_seed_changes_nothing() {
    let first = plan_ok(&seed_text());
    let again = plan_ok(&seed_text());
    let changes = diff(&first, &again);
    assert!(changes.is_empty(), "{changes:#?}");
    assert_eq!(changes.unchanged.len(), 5);
}

#[test]
fn the_faulty_revision_is_one_definition_change_a_new_version_and_a_deployment() {
    let first = plan_ok(&seed_text());
    let faulty = seed_text().replace(
        "statemachine/alias.asl.json",
        "statemachine/alias-defect.asl.json",
    );
    let second = plan_ok(&faulty);
    let changes = diff(&first, &second);
    assert!(
        changes.create.is_empty() && changes.delete.is_empty(),
        "{changes:#?}"
    );
    let updates: Vec<(&str, Action, Vec<&str>)> = changes
        .update
        .iter()
        .map(|c| (c.logical_id.as_str(), c.action, c.properties.clone()))
        .collect();
    assert_eq!(
        updates,
        [
            ("AliasStateMachine", Action::Modify, vec!["Definition"]),
            (
                "AliasStateMachineVersion",
                Action::PublishVersion,
                vec!["StateMachineRevisionId"]
            ),
            (
                "AliasStateMachineAliasmain",
                Action::GradualDeployment,
                vec!["Routing"]
            ),
        ]
    );
    assert_eq!(
        changes.unchanged,
        ["StateMachineLogGroup", "AliasStateMachineFailureAlarm"]
    );
}

#[test]
fn a_first_deploy_creates_everything() {
    let planned = plan_ok(&seed_text());
    let empty = Plan {
        resources: Vec::new(),
        ..planned.clone()
    };
    let changes = diff(&empty, &planned);
    assert_eq!(changes.create.len(), 5);
    assert_eq!(changes.create[2].action, Action::PublishVersion);
    let gone = diff(&planned, &empty);
    let actions: Vec<(&str, Action)> = gone
        .delete
        .iter()
        .map(|c| (c.logical_id.as_str(), c.action))
        .collect();
    assert_eq!(actions[0], ("AliasStateMachineAliasmain", Action::Delete));
    assert!(actions.contains(&("AliasStateMachineVersion", Action::Retain)));
}

#[test]
fn sam_names_and_defaults() {
    let text = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  MyStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      AutoPublishAlias: test
      Definition:
        StartAt: A
        States:
          A:
            Type: Task
            Resource: !GetAtt Worker.Arn
            End: true
  Worker:
    Type: AWS::Lambda::Function
    Properties: {}
"#;
    let planned = plan_ok(text);
    let ids: Vec<&str> = planned
        .resources
        .iter()
        .map(|r| r.logical_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "MyStateMachine",
            "MyStateMachineVersion",
            "MyStateMachineAliastest"
        ]
    );
    let Spec::StateMachine(machine) = &planned.resources[0].spec else {
        panic!()
    };
    assert!(
        machine.name.starts_with("MyStateMachine-"),
        "{}",
        machine.name
    );
    assert_eq!(machine.machine_type, MachineType::Standard);
    // SAM's serialization: sorted keys, 4-space indent, the intrinsic substituted back.
    assert!(
        machine
            .definition
            .starts_with("{\n    \"StartAt\": \"A\",\n    \"States\": {"),
        "{}",
        machine.definition
    );
    assert!(
        machine.definition.contains(
            "\"Resource\": \"arn:aws:lambda:us-east-1:123456789012:function:seed-Worker-"
        )
    );
    assert!(
        machine.role_arn.contains(":role/seed-MyStateMachineRole-"),
        "{}",
        machine.role_arn
    );
    let unmanaged: Vec<&str> = planned
        .unmanaged
        .iter()
        .map(|u| u.logical_id.as_str())
        .collect();
    assert_eq!(unmanaged, ["MyStateMachineRole", "Worker"]);
    let Spec::Alias(alias) = &planned.resources[2].spec else {
        panic!()
    };
    let Routing::Deployment(preference) = &alias.routing else {
        panic!()
    };
    assert_eq!(preference.deployment_type, DeploymentType::AllAtOnce);
}

#[test]
fn sam_rules_in_sams_words() {
    let text = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/alias.asl.json
      Definition: {StartAt: A}
      Role: arn:aws:iam::123456789012:role/r
      Policies: []
      DeploymentPreference: {Type: ALL_AT_ONCE}
      Colour: blue
"#;
    let messages: Vec<String> = errors(text).into_iter().map(|d| d.message).collect();
    for expected in [
        "Resource with id [Machine] is invalid. Specify either 'Definition' or 'DefinitionUri' property and not both.",
        "Resource with id [Machine] is invalid. Specify either 'Role' or 'Policies' (but not both at the same time) or neither of them",
        "Resource with id [Machine] is invalid. 'DeploymentPreference' requires 'AutoPublishAlias' property to be specified.",
        "Resource with id [Machine] is invalid. property Colour not defined for resource of type AWS::Serverless::StateMachine",
    ] {
        assert!(
            messages.iter().any(|m| m == expected),
            "missing {expected:?} in {messages:#?}"
        );
    }
}

#[test]
fn serverless_types_need_the_transform() {
    let text = "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties: {}\n";
    let found = errors(text);
    assert_eq!(
        found[0].message,
        "Template format error: Unrecognized resource types: [AWS::Serverless::StateMachine]"
    );
}

#[test]
fn a_dangling_ref_names_its_line_and_column() {
    let text = seed_text().replace("- !Ref AliasStateMachineFailureAlarm", "- !Ref NoSuchAlarm");
    let found = errors(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    let line = text
        .lines()
        .position(|line| line.contains("!Ref NoSuchAlarm"))
        .unwrap()
        + 1;
    let column = text.lines().nth(line - 1).unwrap().find("!Ref").unwrap() + 1;
    assert_eq!(
        found[0].to_string(),
        format!(
            "template.yaml:{line}:{column}: error: Template format error: Unresolved resource dependencies [NoSuchAlarm] in the Resources block of the template"
        )
    );
}

#[test]
fn every_problem_at_once() {
    let text = r#"
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: !GetAtt Missing.Arn
      DefinitionString: !Sub "${Nope}"
      Colour: blue
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: X
      Namespace: Y
      Threshold: lots
      EvaluationPeriods: 1
      ComparisonOperator: Bigger
"#;
    let messages: Vec<String> = errors(text).into_iter().map(|d| d.to_string()).collect();
    for expected in [
        "template.yaml:6:16: error: Template error: instance of Fn::GetAtt references undefined resource Missing",
        "template.yaml:7:25: error: Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template",
        "template.yaml:14:18: error: Properties validation failed for resource Alarm with message: #/Threshold: expected type: Number, found: String",
        "template.yaml:16:27: error: Properties validation failed for resource Alarm with message: #/ComparisonOperator: Bigger is not a valid enum value",
    ] {
        assert!(
            messages.iter().any(|m| m.starts_with(expected)),
            "missing {expected:?} in {messages:#?}"
        );
    }
}

#[test]
fn unknown_properties_are_refused() {
    let text = "Resources:\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties:\n      Name: a\n      Colour: blue\n";
    let found = errors(text);
    assert_eq!(
        found[0].message,
        "Properties validation failed for resource A with message: #: extraneous key [Colour] is not permitted"
    );
    assert_eq!((found[0].location.line, found[0].location.column), (6, 15));
}

#[test]
fn each_intrinsic() {
    let parameters = r#"
Parameters:
  Env: {Type: String, Default: prod, AllowedValues: [prod, dev]}
  Sizes: {Type: CommaDelimitedList, Default: "a,b,c"}
  Count: {Type: Number, Default: 3}
Mappings:
  Regions:
    us-east-1: {Short: use1}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition IsDev, !Equals [1, 1]]]"#;
    assert_eq!(name_of(parameters, "!Ref Env"), "prod");
    assert_eq!(
        name_of(parameters, "!Sub '${AWS::StackName}-${Env}-${!Literal}'"),
        "seed-prod-${Literal}"
    );
    assert_eq!(
        name_of(parameters, "!Sub ['${A}-${Count}', {A: !Ref AWS::Region}]"),
        "us-east-1-3"
    );
    assert_eq!(
        name_of(
            parameters,
            "!Join ['-', [a, !Ref Env, !Select [1, !Ref Sizes]]]"
        ),
        "a-prod-b"
    );
    assert_eq!(
        name_of(parameters, "!Select [2, !Split [',', 'x,y,z']]"),
        "z"
    );
    assert_eq!(name_of(parameters, "!If [IsProd, big, small]"), "big");
    assert_eq!(name_of(parameters, "!If [IsDev, big, small]"), "small");
    assert_eq!(name_of(parameters, "!If [Both, yes-both, no]"), "yes-both");
    assert_eq!(
        name_of(
            parameters,
            "!FindInMap [Regions, !Ref 'AWS::Region', Short]"
        ),
        "use1"
    );
    assert_eq!(name_of(parameters, "!Base64 hi"), "aGk=");
    assert_eq!(
        name_of(
            parameters,
            "!Join ['', [!Ref AWS::Partition, '.', !Ref AWS::URLSuffix, '.', !Ref AWS::AccountId]]"
        ),
        "aws.amazonaws.com.123456789012"
    );
    // Long forms, as JSON templates write them.
    assert_eq!(
        name_of(
            parameters,
            r#"{"Fn::Join": ["+", [{"Ref": "Env"}, {"Fn::FindInMap": ["Regions", "us-east-1", "Short"]}]]}"#
        ),
        "prod+use1"
    );
    // GetAtt, dotted and list forms, of managed and unmanaged resources.
    let resources = "\nResources:\n  Activity:\n    Type: AWS::StepFunctions::Activity\n    Properties: {Name: work}\n  Topic:\n    Type: AWS::SNS::Topic\n";
    let text = format!(
        "{resources}  Alarm:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      AlarmName: !Join [',', [!GetAtt Activity.Arn, !GetAtt [Activity, Name], !Ref Topic]]\n      MetricName: m\n      Namespace: n\n      EvaluationPeriods: 1\n      ComparisonOperator: GreaterThanThreshold\n      AlarmActions: [!Ref Topic]\n"
    );
    let planned = plan_ok(&text);
    let Spec::Alarm(alarm) = &planned.resource("Alarm").unwrap().spec else {
        panic!()
    };
    let topic = "arn:aws:sns:us-east-1:123456789012:seed-Topic-";
    assert!(
        alarm
            .name
            .starts_with("arn:aws:states:us-east-1:123456789012:activity:work,work,arn:aws:sns:"),
        "{}",
        alarm.name
    );
    assert!(alarm.alarm_actions[0].starts_with(topic));
}

#[test]
fn refused_intrinsics_say_so() {
    for (intrinsic, why) in [
        ("!GetAZs ''", "Fn::GetAZs is not supported"),
        ("!ImportValue Shared", "Fn::ImportValue is not supported"),
        ("!Cidr [a, 1, 2]", "Fn::Cidr is not supported"),
    ] {
        let text = format!(
            "Resources:\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties: {{Name: {intrinsic}}}\n"
        );
        let found = errors(&text);
        assert!(found[0].message.starts_with(why), "{found:#?}");
    }
    let found = errors(
        "Resources:\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties: {Name: !Frob x}\n",
    );
    assert!(
        found[0].message.starts_with("unknown tag !Frob"),
        "{found:#?}"
    );
}

#[test]
fn conditions_drop_resources_and_properties() {
    let text = r#"
Parameters:
  WithAlarm: {Type: String, Default: "false"}
Conditions:
  Alarmed: !Equals [!Ref WithAlarm, "true"]
Resources:
  Activity:
    Type: AWS::StepFunctions::Activity
    Properties:
      Name: work
      Tags: !If [Alarmed, [{Key: a, Value: b}], !Ref AWS::NoValue]
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Condition: Alarmed
    Properties: {MetricName: m, Namespace: n, EvaluationPeriods: 1, ComparisonOperator: GreaterThanThreshold}
"#;
    let planned = plan_ok(text);
    assert_eq!(planned.resources.len(), 1);
    let Spec::Activity(activity) = &planned.resources[0].spec else {
        panic!()
    };
    assert!(activity.tags.is_empty());
    let options = Options {
        parameter_overrides: vec![("WithAlarm".into(), "true".into())],
        ..options()
    };
    let (planned, _) = plan("t.yaml", text, &options, &disk);
    assert_eq!(planned.unwrap().resources.len(), 2);
}

#[test]
fn parameters_are_checked() {
    let text = "Parameters:\n  Env: {Type: String, AllowedValues: [a, b]}\nResources:\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties: {Name: !Ref Env}\n";
    assert_eq!(
        errors(text)[0].message,
        "Parameters: [Env] must have values"
    );
    let options = Options {
        parameter_overrides: vec![("Env".into(), "c".into()), ("Other".into(), "x".into())],
        ..options()
    };
    let (_, found) = plan("t.yaml", text, &options, &disk);
    let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.contains(&"Parameters: [Other] do not exist in the template"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"Parameter 'Env' must be one of AllowedValues"),
        "{messages:?}"
    );
    assert_eq!(
        template::parse_overrides(&["A=1".into(), "ParameterKey=B,ParameterValue=x=y".into()])
            .unwrap(),
        [
            ("A".to_owned(), "1".to_owned()),
            ("B".to_owned(), "x=y".to_owned())
        ]
    );
}

#[test]
fn depends_on_orders_and_cycles_are_refused() {
    let text = "Resources:\n  B:\n    Type: AWS::StepFunctions::Activity\n    DependsOn: A\n    Properties: {Name: b}\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties: {Name: a}\n";
    let planned = plan_ok(text);
    assert_eq!(planned.resources[0].logical_id, "A");
    let cycle = "Resources:\n  B:\n    Type: AWS::StepFunctions::Activity\n    DependsOn: A\n    Properties: {Name: b}\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties: {Name: !GetAtt B.Name}\n";
    assert_eq!(
        errors(cycle)[0].message,
        "Template format error: Circular dependency between resources: [B, A]"
    );
}

#[test]
fn yaml_caveats_are_pointed_out() {
    let text = "Metadata:\n  Version: 1.10\n  Flag: yes\n  Quoted: '1.10'\nResources:\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties: {Name: a}\n";
    let (planned, found) = plan("t.yaml", text, &options(), &disk);
    assert!(planned.is_some());
    let warnings: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0]
            .starts_with("t.yaml:2:12: warning: the unquoted value 1.10 is read as the number 1.1"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("t.yaml:3:9: warning: the unquoted value yes is read as a string"),
        "{warnings:?}"
    );
    let (document, _) = template::load::load("t.yaml", text);
    let value = document.unwrap().value;
    assert_eq!(value["Metadata"]["Version"], serde_json::json!(1.1));
    assert_eq!(value["Metadata"]["Quoted"], "1.10");
}

#[test]
fn short_forms_become_long_forms() {
    let text = "A: !GetAtt Res.Attr.Deep\nB: !GetAtt [Res, Attr]\nC: !Sub [x, {}]\nD: !Ref X\nE: !Condition C\n";
    let (document, found) = template::load::load("t.yaml", text);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(
        document.unwrap().value,
        serde_json::json!({
            "A": {"Fn::GetAtt": ["Res", "Attr.Deep"]},
            "B": {"Fn::GetAtt": ["Res", "Attr"]},
            "C": {"Fn::Sub": ["x", {}]},
            "D": {"Ref": "X"},
            "E": {"Condition": "C"},
        })
    );
}

#[test]
fn json_templates_are_located_too() {
    let text = "{\n  \"Resources\": {\n    \"A\": {\n      \"Type\": \"AWS::StepFunctions::Activity\",\n      \"Properties\": {\"Name\": {\"Ref\": \"Nope\"}}\n    }\n  }\n}\n";
    let found = errors(text);
    assert_eq!(
        (found[0].location.line, found[0].location.column),
        (5, 38),
        "{found:#?}"
    );
    let broken = errors("{\"Resources\": }");
    assert!(
        broken[0].message.starts_with("the JSON does not parse"),
        "{broken:?}"
    );
}

#[test]
fn definition_problems_point_into_the_definition_file() {
    let folder = tempdir_with(
        "bad.asl.json",
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"Nowhere\"}}\n}\n",
    );
    let text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: bad.asl.json\n      Role: arn:aws:iam::1:role/r\n";
    let options = Options {
        template_folder: folder.clone(),
        ..options()
    };
    let (planned, found) = plan("t.yaml", text, &options, &disk);
    assert!(planned.is_none());
    let error = found
        .iter()
        .find(|d| d.severity == Severity::Error)
        .unwrap();
    assert_eq!(
        error.file,
        folder.join("bad.asl.json").display().to_string()
    );
    assert_eq!(error.location.line, 3, "{error}");
    assert!(
        error.message.contains("MISSING_TRANSITION_TARGET"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn the_loader_is_injected() {
    let text = seed_text();
    let fake = |path: &Path| -> Result<String, String> {
        assert!(path.ends_with("statemachine/alias.asl.json"));
        Ok("{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}}".into())
    };
    let (planned, _) = plan(
        "template.yaml",
        &text,
        &Options {
            template_folder: "/nowhere".into(),
            ..options()
        },
        &fake,
    );
    let planned = planned.unwrap();
    let Spec::StateMachine(machine) = &planned.resource("AliasStateMachine").unwrap().spec else {
        panic!()
    };
    assert!(machine.definition.contains("Succeed"));
    let missing = |_: &Path| -> Result<String, String> { Err("No such file or directory".into()) };
    let (_, found) = plan(
        "template.yaml",
        &text,
        &Options {
            template_folder: "/nowhere".into(),
            ..options()
        },
        &missing,
    );
    assert_eq!(
        found[0].message,
        "cannot read DefinitionUri /nowhere/statemachine/alias.asl.json: No such file or directory"
    );
}

#[test]
fn definition_substitutions_apply() {
    let text = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello}
Resources:
  M:
    Type: AWS::Serverless::StateMachine
    Properties:
      Role: arn:aws:iam::1:role/r
      Definition:
        StartAt: A
        States:
          A: {Type: Pass, Result: "${Word}", End: true}
      DefinitionSubstitutions:
        Word: !Ref Greeting
"#;
    let planned = plan_ok(text);
    let Spec::StateMachine(machine) = &planned.resources[0].spec else {
        panic!()
    };
    assert!(
        machine.definition.contains("\"Result\": \"hello\""),
        "{}",
        machine.definition
    );
}

#[test]
fn placeholders_fill() {
    let text = format!("{}:7", Placeholder::new("V", "Arn").text());
    assert_eq!(
        Placeholder::find(&text).collect::<Vec<_>>(),
        [Placeholder::new("V", "Arn")]
    );
    assert_eq!(
        Placeholder::fill(&text, |_| Some("arn:x".into())),
        "arn:x:7"
    );
}

fn tempdir_with(name: &str, contents: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("template-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(name), contents).unwrap();
    folder
}

#[test]
fn a_no_echo_parameter_is_used_but_never_recorded() {
    let text = r#"
Parameters:
  Token: {Type: String, NoEcho: true, MinLength: 40}
  Plain: {Type: String, Default: shown}
Resources:
  A:
    Type: AWS::StepFunctions::Activity
    Properties: {Name: !Ref Token}
"#;
    let secret = "s3cr3t-value";
    let options = Options {
        parameter_overrides: vec![("Token".into(), secret.into())],
        ..options()
    };
    // A constraint it breaks is reported without the value.
    let (planned, diagnostics) = plan("t.yaml", text, &options, &disk);
    assert!(planned.is_none());
    assert!(
        diagnostics
            .iter()
            .all(|diagnostic| !diagnostic.message.contains(secret)),
        "{diagnostics:?}"
    );
    let text = text
        .replace("MinLength: 40", "NoEcho: \"TRUE\"")
        .replace("NoEcho: true, ", "");
    let (planned, _) = plan("t.yaml", &text, &options, &disk);
    let planned = planned.unwrap();
    let Spec::Activity(activity) = &planned.resources[0].spec else {
        panic!()
    };
    assert_eq!(activity.name, secret);
    assert_eq!(
        planned.parameters,
        vec![
            ("Plain".to_owned(), "shown".to_owned()),
            ("Token".to_owned(), template::NO_ECHO_MASK.to_owned())
        ]
    );
}
