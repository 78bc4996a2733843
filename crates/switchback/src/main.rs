//! The `switchback` command: validate and run Amazon States Language definitions, and replay
//! conformance corpora, and serve the AWS Step Functions API (`serve`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use asl::model::StateMachine;
use asl::validate::{self, Diagnostic, MachineType, Severity};
use clap::{Parser, Subcommand, ValueEnum};
use engine::{ExecutionInfo, Status};
use serde_json::Value;
use switchback::local::{self, NoIntegrations, ScaledClock};
use switchback::{conformance, locate};

#[derive(Parser)]
#[command(
    name = "switchback",
    version,
    about = "AWS Step Functions, self-hosted"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the AWS Step Functions API (point the aws CLI, boto3 or any AWS SDK at it).
    Serve {
        /// Where to listen.
        #[arg(long, env = "SWITCHBACK_BIND", default_value = "127.0.0.1:8083")]
        bind: std::net::SocketAddr,
        /// Where data lives (an SQLite file in WAL mode inside).
        #[arg(long, env = "SWITCHBACK_DATA_DIR", default_value = "./switchback-data")]
        data_dir: PathBuf,
        /// Keep the data in this PostgreSQL database instead (postgres://user@host:port/db);
        /// the execution logs stay in --data-dir. Several nodes may serve one database.
        #[arg(long, env = "SWITCHBACK_DATABASE_URL")]
        database: Option<String>,
        /// With --database: this node's name in `switchback nodes` (default: the host name).
        #[arg(long, env = "SWITCHBACK_NODE_NAME")]
        node_name: Option<String>,
        /// With --database: how many seconds this node's lease runs without a renewal (it
        /// renews every third of it); the other nodes take its executions over once it ran out.
        #[arg(long, env = "SWITCHBACK_NODE_LEASE", default_value_t = switchback::serve::DEFAULT_NODE_LEASE_SECONDS)]
        node_lease: f64,
        /// Make Wait states, timeouts, heartbeats and retries go this many times faster.
        #[arg(long, env = "WAIT_TIME_SCALE", default_value_t = 1.0)]
        time_scale: f64,
        /// The account id in ARNs.
        #[arg(long, env = "SWITCHBACK_ACCOUNT_ID", default_value = "123456789012")]
        account_id: String,
        /// The region in ARNs.
        #[arg(long, env = "SWITCHBACK_REGION", default_value = "us-east-1")]
        region: String,
        /// An AWS credentials file: every request must then be signed (SigV4) with one of its
        /// keys.
        #[arg(long, env = "SWITCHBACK_CREDENTIALS")]
        credentials: Option<PathBuf>,
        /// With --credentials: how many seconds a request's signing time may be from the
        /// server's clock (AWS documents five minutes).
        #[arg(long, env = "SWITCHBACK_MAX_CLOCK_SKEW", default_value_t = api::DEFAULT_MAX_CLOCK_SKEW_SECONDS,
              value_parser = clap::value_parser!(i64).range(1..=86_400))]
        max_clock_skew: i64,
        /// Allow a non-loopback --bind without --credentials.
        #[arg(long, env = "SWITCHBACK_ALLOW_UNAUTHENTICATED")]
        allow_unauthenticated: bool,
        /// Mocked integrations in Step Functions Local's MockConfigFile format: an execution
        /// started through `...:stateMachine:Name#TestCase` gets its tasks' answers from it.
        #[arg(long, env = "SFN_MOCK_CONFIG")]
        mock_config: Option<PathBuf>,
        /// Where Lambda functions run: an endpoint that speaks Lambda's Invoke API (a local
        /// Lambda runtime emulator, say), as Step Functions Local's LAMBDA_ENDPOINT.
        #[arg(long, env = "LAMBDA_ENDPOINT")]
        lambda_endpoint: Option<String>,
        /// A JSON file mapping function names to Invoke URLs: {"Functions": {"name": "url"}}.
        #[arg(long, env = "SWITCHBACK_LAMBDA_FUNCTIONS")]
        lambda_functions: Option<PathBuf>,
        /// A JSON file of EventBridge connections, the credentials of the HTTP Task:
        /// {"Connections": {"<connection ARN>": {"AuthorizationType": ..., "AuthParameters": ...}}}.
        #[arg(long, env = "SWITCHBACK_CONNECTIONS")]
        connections: Option<PathBuf>,
    },
    /// Check a definition and report every problem, as ValidateStateMachineDefinition does.
    Validate {
        /// The definition file (JSON).
        definition: PathBuf,
        /// The kind of state machine it is for.
        #[arg(long = "type", value_enum, default_value = "standard")]
        machine_type: TypeArg,
        /// Report warnings too.
        #[arg(long)]
        warnings: bool,
    },
    /// Run a definition in this process and print its output (or its error and cause).
    Run {
        /// The definition file (JSON).
        definition: PathBuf,
        /// The execution input, as JSON.
        #[arg(long, default_value = "{}")]
        input: String,
        /// Make Wait states and other timers go this many times faster.
        #[arg(long, env = "WAIT_TIME_SCALE", default_value_t = 1.0)]
        time_scale: f64,
        /// Print the execution history (one JSON event per line) before the result.
        #[arg(long)]
        history: bool,
        /// Mocked integrations in Step Functions Local's MockConfigFile format (JSON or JSON5).
        #[arg(long, env = "SFN_MOCK_CONFIG")]
        mock_config: Option<PathBuf>,
        /// The test case of the mock configuration: `StateMachineName#TestCase`, or `TestCase`
        /// when the configuration has one state machine.
        #[arg(long, requires = "mock_config")]
        test_case: Option<String>,
    },
    /// Show a state machine's published versions, and the aliases routing to each.
    Versions {
        /// The state machine: its name or ARN.
        state_machine: String,
        /// The server's data directory.
        #[arg(long, env = "SWITCHBACK_DATA_DIR", default_value = "./switchback-data")]
        data_dir: PathBuf,
    },
    /// Show a state machine's aliases and how each routes executions among versions.
    Aliases {
        /// The state machine: its name or ARN.
        state_machine: String,
        /// The server's data directory.
        #[arg(long, env = "SWITCHBACK_DATA_DIR", default_value = "./switchback-data")]
        data_dir: PathBuf,
    },
    /// Show and follow gradual deployments of aliases on a running server.
    Deployments {
        #[command(subcommand)]
        command: DeploymentsCommand,
        /// The server.
        #[arg(long, global = true, env = "SWITCHBACK_ENDPOINT_URL", default_value = switchback::deployments::DEFAULT_ENDPOINT)]
        endpoint_url: String,
    },
    /// Apply a SAM or CloudFormation template to a running server, as `sam deploy` does: create
    /// or update the state machines, publish versions, put the alarms, move the aliases
    /// (gradually, with a DeploymentPreference) and delete what the template dropped. The
    /// stack is recorded on the server (`switchback stacks ...`); a failed deploy rolls it back.
    Deploy {
        /// The template (YAML or JSON); `DefinitionUri`s are relative to its folder.
        #[arg(long)]
        template_file: PathBuf,
        /// The stack's name (part of generated names).
        #[arg(long)]
        stack_name: String,
        /// Parameter values: `Key=Value` or `ParameterKey=Key,ParameterValue=Value`.
        #[arg(long, num_args = 1..)]
        parameter_overrides: Vec<String>,
        /// The server.
        #[arg(long, env = "SWITCHBACK_ENDPOINT_URL", default_value = switchback::deployments::DEFAULT_ENDPOINT)]
        endpoint_url: String,
        /// Print the change preview and stop.
        #[arg(long)]
        no_execute_changeset: bool,
        /// Start a gradual deployment and return without following it; the stack stays
        /// UPDATE_IN_PROGRESS until the next deploy or `stacks describe` after it ended.
        #[arg(long)]
        no_wait: bool,
        /// The region in ARNs (the server's --region).
        #[arg(long, env = "SWITCHBACK_REGION", default_value = "us-east-1")]
        region: String,
        /// The account in ARNs (the server's --account-id).
        #[arg(long, env = "SWITCHBACK_ACCOUNT_ID", default_value = "123456789012")]
        account_id: String,
    },
    /// A story told against a server started for it: `switchback demo seed`.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The stacks `switchback deploy` recorded on a running server.
    Stacks {
        #[command(subcommand)]
        command: StacksCommand,
        /// The server.
        #[arg(long, global = true, env = "SWITCHBACK_ENDPOINT_URL", default_value = switchback::deployments::DEFAULT_ENDPOINT)]
        endpoint_url: String,
    },
    /// List the nodes serving a PostgreSQL database: their leases and what each drives.
    Nodes {
        /// The database (postgres://user@host:port/db), as given to `serve --database`.
        #[arg(long, env = "SWITCHBACK_DATABASE_URL")]
        database: String,
    },
    /// Read execution logs (a state machine's loggingConfiguration) from the data directory.
    Logs {
        #[command(subcommand)]
        command: LogsCommand,
    },
    /// Replay a LocalStack-format corpus (manifest.json, templates, snapshots) through the engine.
    Conformance {
        /// The corpus folder (the one holding manifest.json).
        #[arg(long)]
        corpus: PathBuf,
        /// Ports of entries whose test changed the template in code (a JSON file; the project's
        /// own is tests/conformance/localstack-ports.json).
        #[arg(long)]
        ports: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// The seed scenario in a minute: deploy, run, deploy a faulty revision under traffic, watch
    /// the alarm roll it back, count every execution.
    Seed {
        /// Timers and deployment steps run this many times faster (100: a 2-minute step
        /// lasts 1.2 s).
        #[arg(long, default_value_t = 100.0)]
        time_scale: f64,
    },
}

#[derive(Debug, Subcommand)]
enum StacksCommand {
    /// Every stack, by name: status, last update, reason.
    List,
    /// One stack: status, parameters, outputs, resources with their physical ids, events.
    Describe {
        /// The stack's name.
        name: String,
        /// How many of the newest events to show.
        #[arg(long, default_value_t = 20)]
        events: usize,
    },
    /// Delete a stack's resources (those with DeletionPolicy Retain stay) and the stack.
    Delete {
        /// The stack's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum DeploymentsCommand {
    /// Every deployment, newest first.
    List,
    /// One deployment: weights, next step, alarms, executions per version, timeline.
    Describe {
        /// The deployment id.
        id: String,
    },
    /// Follow a deployment until it ends: exit 0 when it succeeds, 1 otherwise.
    Watch {
        /// The deployment id.
        id: String,
    },
}

#[derive(Subcommand)]
enum LogsCommand {
    /// Print a log group's records (JSON lines), and with --follow what is written next.
    Tail {
        /// The log group: its name (`/aws/vendedlogs/states/Orders`) or ARN.
        group: String,
        /// Keep printing records as they are written.
        #[arg(long, short)]
        follow: bool,
        /// The server's data directory.
        #[arg(long, env = "SWITCHBACK_DATA_DIR", default_value = "./switchback-data")]
        data_dir: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TypeArg {
    Standard,
    Express,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Serve {
            bind,
            data_dir,
            database,
            node_name,
            node_lease,
            time_scale,
            account_id,
            region,
            credentials,
            max_clock_skew,
            allow_unauthenticated,
            mock_config,
            lambda_endpoint,
            lambda_functions,
            connections,
        } => serve_command(switchback::serve::Options {
            bind,
            data_dir,
            database,
            node_name,
            node_lease_seconds: node_lease,
            time_scale,
            account_id,
            region,
            credentials,
            max_clock_skew_seconds: max_clock_skew,
            allow_unauthenticated,
            mock_config,
            lambda_endpoint,
            lambda_functions,
            connections,
        }),
        Command::Validate {
            definition,
            machine_type,
            warnings,
        } => validate_command(&definition, machine_type, warnings),
        Command::Run {
            definition,
            input,
            time_scale,
            history,
            mock_config,
            test_case,
        } => match (&mock_config, &test_case) {
            (Some(_), None) => Err(anyhow::anyhow!(
                "--mock-config needs --test-case to say which test case to run"
            )),
            _ => run_command(
                &definition,
                &input,
                time_scale,
                history,
                mock_config.as_deref().zip(test_case.as_deref()),
            ),
        },
        Command::Deployments {
            command,
            endpoint_url,
        } => deployments_command(command, &endpoint_url),
        Command::Deploy {
            template_file,
            stack_name,
            parameter_overrides,
            endpoint_url,
            no_execute_changeset,
            no_wait,
            region,
            account_id,
        } => deploy_command(&switchback::deploy::Options {
            template_file,
            stack_name,
            parameter_overrides,
            endpoint: endpoint_url,
            no_execute: no_execute_changeset,
            no_wait,
            region,
            account_id,
        }),
        Command::Stacks {
            command,
            endpoint_url,
        } => stacks_command(command, &endpoint_url),
        Command::Demo {
            command: DemoCommand::Seed { time_scale },
        } => switchback::demo::seed(time_scale, &mut std::io::stdout()).map(|told| {
            if told {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }),
        Command::Nodes { database } => nodes_command(&database),
        Command::Logs {
            command:
                LogsCommand::Tail {
                    group,
                    follow,
                    data_dir,
                },
        } => switchback::logs::tail(&data_dir, &group, follow, &mut std::io::stdout().lock())
            .map(|()| ExitCode::SUCCESS),
        Command::Conformance { corpus, ports } => conformance_command(&corpus, ports.as_deref()),
        Command::Versions {
            state_machine,
            data_dir,
        } => table_command(&data_dir, &state_machine, false),
        Command::Aliases {
            state_machine,
            data_dir,
        } => table_command(&data_dir, &state_machine, true),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn deployments_command(command: DeploymentsCommand, endpoint: &str) -> Result<ExitCode> {
    use switchback::deployments;
    match command {
        DeploymentsCommand::List => print!("{}", deployments::list(endpoint)?),
        DeploymentsCommand::Describe { id } => print!("{}", deployments::describe(endpoint, &id)?),
        DeploymentsCommand::Watch { id } => {
            let succeeded = deployments::watch(endpoint, &id, &mut std::io::stdout())?;
            return Ok(if succeeded {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn stacks_command(command: StacksCommand, endpoint: &str) -> Result<ExitCode> {
    use switchback::stacks;
    match command {
        StacksCommand::List => print!("{}", stacks::list(endpoint)?),
        StacksCommand::Describe { name, events } => {
            print!("{}", stacks::describe(endpoint, &name, events)?);
        }
        StacksCommand::Delete { name } => stacks::delete(endpoint, &name, &mut std::io::stdout())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn deploy_command(options: &switchback::deploy::Options) -> Result<ExitCode> {
    use switchback::deploy::{Outcome, deploy};
    let outcome = deploy(
        options,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )?;
    Ok(match outcome {
        Outcome::Succeeded => ExitCode::SUCCESS,
        Outcome::Invalid => ExitCode::from(1),
        Outcome::RolledBack(reason) => {
            eprintln!("error: stack rolled back: {reason}");
            ExitCode::from(1)
        }
    })
}

fn serve_command(options: switchback::serve::Options) -> Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(switchback::serve::serve(options))?;
    Ok(ExitCode::SUCCESS)
}

fn nodes_command(database: &str) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    print!("{}", runtime.block_on(switchback::nodes::list(database))?);
    Ok(ExitCode::SUCCESS)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn print_diagnostics(path: &Path, text: &str, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        let severity = match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut report = miette::MietteDiagnostic::new(diagnostic.message.clone())
            .with_code(diagnostic.code)
            .with_severity(severity);
        if let Some(location) = &diagnostic.location {
            report = report.with_help(format!("at {location}"));
            if let Some(range) = locate::locate(text, location) {
                report = report.with_label(miette::LabeledSpan::at(range, diagnostic.code));
            }
        }
        let report = miette::Report::new(report).with_source_code(miette::NamedSource::new(
            path.display().to_string(),
            text.to_owned(),
        ));
        eprintln!("{report:?}");
    }
}

fn validate_command(path: &Path, machine_type: TypeArg, warnings: bool) -> Result<ExitCode> {
    let text = read(path)?;
    let options = validate::Options {
        machine_type: match machine_type {
            TypeArg::Standard => MachineType::Standard,
            TypeArg::Express => MachineType::Express,
        },
    };
    let mut diagnostics: Vec<Diagnostic> = validate::validate(&text, &options)
        .into_iter()
        .filter(|diagnostic| warnings || diagnostic.severity == Severity::Error)
        .collect();
    // Switchback's own warning (AWS's validator does not look): a variable no Assign sets.
    if let Ok(definition) = serde_json::from_str::<Value>(&text) {
        for unassigned in asl::references::unassigned_references(&definition) {
            diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                code: "UNASSIGNED_VARIABLE",
                message: format!(
                    "State '{}' reads the variable ${}, which no Assign in the definition sets",
                    unassigned.state, unassigned.variable
                ),
                location: Some(unassigned.pointer),
            });
        }
    }
    print_diagnostics(path, &text, &diagnostics);
    let errors = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .count();
    if errors > 0 {
        eprintln!("{}: {errors} error(s)", path.display());
        Ok(ExitCode::from(1))
    } else {
        println!("{}: OK", path.display());
        Ok(ExitCode::SUCCESS)
    }
}

/// The tasks of a `switchback run`: a mock configuration's test case when one is given.
fn task_handler(mocks: Option<(&Path, &str)>) -> Result<Box<dyn local::TaskHandler>> {
    let Some((path, test_case)) = mocks else {
        return Ok(Box::new(NoIntegrations));
    };
    let config = switchback::serve::read_mock_config(path)?;
    let (machine, case) = match test_case.split_once('#') {
        Some((machine, case)) => (machine.to_owned(), case.to_owned()),
        None => match config.machines().as_slice() {
            [only] => (only.clone(), test_case.to_owned()),
            machines => anyhow::bail!(
                "--test-case {test_case}: name the state machine too (NAME#{test_case}), one of: {}",
                machines.join(", ")
            ),
        },
    };
    if !config.has_test_case(&machine, &case) {
        anyhow::bail!(
            "{}: state machine '{machine}' has no test case '{case}' (it has: {})",
            path.display(),
            config.test_cases(&machine).join(", ")
        );
    }
    Ok(Box::new(local::Mocked::new(
        Arc::new(config),
        machine,
        case,
        NoIntegrations,
    )))
}

fn run_command(
    path: &Path,
    input: &str,
    time_scale: f64,
    history: bool,
    mocks: Option<(&Path, &str)>,
) -> Result<ExitCode> {
    let mut tasks = task_handler(mocks)?;
    let text = read(path)?;
    let diagnostics: Vec<Diagnostic> = validate::validate(&text, &validate::Options::default())
        .into_iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .collect();
    if !diagnostics.is_empty() {
        print_diagnostics(path, &text, &diagnostics);
        eprintln!("{}: the definition is not valid", path.display());
        return Ok(ExitCode::from(2));
    }
    let definition: Value = serde_json::from_str(&text)?;
    let machine = StateMachine::from_value(&definition)
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    if let Some(feature) = engine::unsupported(&machine) {
        anyhow::bail!(
            "{}: {feature} is not supported by Switchback yet",
            path.display()
        );
    }
    let input_text = input.to_owned();
    let input: Value = serde_json::from_str(input).context("--input is not valid JSON")?;
    if !time_scale.is_finite() || time_scale <= 0.0 {
        anyhow::bail!("--time-scale must be a positive number");
    }
    let name = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("local")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>();
    let mut clock = ScaledClock::new(time_scale);
    let mut entropy = local::process_entropy();
    let execution_name = asl::Entropy::uuid_v4(&mut entropy);
    let info = ExecutionInfo {
        execution_arn: format!(
            "arn:aws:states:us-east-1:123456789012:execution:{name}:{execution_name}"
        ),
        name: execution_name,
        state_machine_arn: format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}"),
        state_machine_name: name,
        role_arn: "arn:aws:iam::123456789012:role/switchback-local".to_owned(),
        region: "us-east-1".to_owned(),
        start_time_ms: local::wall_clock_ms(),
    };
    let outcome = local::run(
        Arc::new(machine),
        info,
        input,
        Some(input_text),
        &mut clock,
        tasks.as_mut(),
        &mut entropy,
    );
    if history {
        for event in &outcome.history {
            println!("{}", event.to_json());
        }
    }
    match &outcome.status {
        Status::Succeeded { output } => {
            println!("{output}");
            Ok(ExitCode::SUCCESS)
        }
        Status::Failed { error, cause }
        | Status::TimedOut { error, cause }
        | Status::Aborted { error, cause } => {
            eprintln!("{}", outcome.status.as_str());
            eprintln!("error: {}", error.as_deref().unwrap_or(""));
            eprintln!("cause: {}", cause.as_deref().unwrap_or(""));
            Ok(ExitCode::from(1))
        }
        Status::Running => {
            eprintln!("the execution did not finish");
            Ok(ExitCode::from(1))
        }
    }
}

/// `switchback versions` and `switchback aliases`.
fn table_command(data_dir: &Path, state_machine: &str, aliases: bool) -> Result<ExitCode> {
    if !data_dir.join(store_sqlite::FILE_NAME).exists() {
        anyhow::bail!("no Switchback data in {}", data_dir.display());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let store = store_sqlite::SqliteStore::open(data_dir)?;
        if aliases {
            switchback::versions::aliases_report(&store, state_machine).await
        } else {
            switchback::versions::versions_report(&store, state_machine).await
        }
    })?;
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}

fn conformance_command(corpus: &Path, ports: Option<&Path>) -> Result<ExitCode> {
    let ports = match ports {
        Some(path) => conformance::Ports::read(path)?,
        None => conformance::Ports::default(),
    };
    let report = conformance::run_corpus_with(corpus, &ports)?;
    println!("{report}");
    let (_, failed, _) = report.counts(None);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
