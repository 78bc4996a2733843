//! `switchback demo seed`: the seed scenario in one command, narrated, against a server started
//! in this process (its own data directory in a temporary folder, a loopback port the system
//! picks, timers `--time-scale` times faster).
//!
//! 1. deploy the seed's template (version 1, alias `main`, the alarm);
//! 2. run an execution of type B through `main`: it succeeds;
//! 3. deploy the faulty revision while type-B traffic runs through `main`: version 2 gets half of
//!    it and fails, the alarm fires, the alias goes back to version 1 and the stack rolls back;
//! 4. count every execution in the execution log, with its version, and run `main` once more.
//!
//! The template and both definitions are the seed's own files, built into the binary.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::deploy::{self, Outcome};
use crate::deployments::call;

const TEMPLATE: &str = include_str!("../demo/seed/template.yaml");
const DEFINITION: &str = include_str!("../demo/seed/statemachine/alias.asl.json");
const DEFECT: &str = include_str!("../demo/seed/statemachine/alias-defect.asl.json");
const ALIAS: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:SampleAliasMachine:main";
const LOG_GROUP: &str = "/aws/vendedlogs/states/SampleAliasMachine";

/// Writes what it is given with `prefix` at the start of every line.
struct Indented<'a, W: Write> {
    inner: &'a mut W,
    prefix: &'static str,
    at_line_start: bool,
}

impl<W: Write> Write for Indented<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        for line in bytes.split_inclusive(|byte| *byte == b'\n') {
            if self.at_line_start {
                self.inner.write_all(self.prefix.as_bytes())?;
            }
            self.inner.write_all(line)?;
            self.at_line_start = line.ends_with(b"\n");
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn indented<W: Write>(inner: &mut W) -> Indented<'_, W> {
    Indented {
        inner,
        prefix: "    | ",
        at_line_start: true,
    }
}

/// A temporary folder, removed when dropped.
struct Folder(PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_seed(folder: &Path, definition: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(folder.join("statemachine"))?;
    std::fs::write(folder.join("template.yaml"), TEMPLATE)?;
    std::fs::write(folder.join("statemachine/alias.asl.json"), definition)?;
    std::fs::write(folder.join("statemachine/alias-defect.asl.json"), DEFECT)?;
    Ok(folder.join("template.yaml"))
}

fn run_b(endpoint: &str) -> Result<Value> {
    call(
        endpoint,
        "AWSStepFunctions.StartSyncExecution",
        &json!({"stateMachineArn": ALIAS, "input": r#"{"type": "B"}"#}),
    )
}

fn version(arn: &Value) -> String {
    arn.as_str()
        .and_then(|arn| arn.rsplit(':').next())
        .map_or_else(|| "?".to_owned(), |number| format!("version {number}"))
}

/// Runs the seed scenario, narrating on `out`; answers whether every step went as the story
/// says.
pub fn seed(time_scale: f64, out: &mut impl Write) -> Result<bool> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let folder = Folder(
        std::env::temp_dir().join(format!("switchback-demo-{}-{nanos}", std::process::id())),
    );
    let data_dir = folder.0.join("data");
    let (endpoint, stop) = start_server(&data_dir, time_scale)?;
    let result = story(&endpoint, &folder.0, &data_dir, time_scale, out);
    let _ = stop.send(());
    result
}

/// Starts `switchback serve` on a thread of its own; answers its endpoint and what stops it.
fn start_server(
    data_dir: &Path,
    time_scale: f64,
) -> Result<(String, tokio::sync::oneshot::Sender<()>)> {
    let options = crate::serve::Options {
        bind: "127.0.0.1:0".parse().expect("a socket address"),
        data_dir: data_dir.to_path_buf(),
        database: None,
        node_name: None,
        node_lease_seconds: crate::serve::DEFAULT_NODE_LEASE_SECONDS,
        time_scale,
        account_id: "123456789012".to_owned(),
        region: "us-east-1".to_owned(),
        credentials: None,
        max_clock_skew_seconds: api::DEFAULT_MAX_CLOCK_SKEW_SECONDS,
        allow_unauthenticated: false,
        mock_config: None,
        lambda_endpoint: None,
        lambda_functions: None,
        connections: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready, address) = std::sync::mpsc::channel();
    let failed = ready.clone();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = failed.send(Err(anyhow::anyhow!(error)));
                return;
            }
        };
        let served = runtime.block_on(crate::serve::serve_until(
            options,
            move |address| {
                let _ = ready.send(Ok(address));
            },
            async move {
                let _ = stopped.await;
            },
        ));
        if let Err(error) = served {
            let _ = failed.send(Err(error));
        }
    });
    let address = address
        .recv()
        .context("the embedded server stopped before it served")??;
    Ok((format!("http://{address}"), stop))
}

fn story(
    endpoint: &str,
    folder: &Path,
    data_dir: &Path,
    time_scale: f64,
    out: &mut impl Write,
) -> Result<bool> {
    writeln!(
        out,
        "Switchback demo: the seed scenario, on a server of its own at {endpoint}\n\
         (data in {}, timers {time_scale}x faster: a 2-minute deployment step lasts {:.1} s).\n",
        data_dir.display(),
        120.0 / time_scale
    )?;
    let options = |template: PathBuf| deploy::Options {
        template_file: template,
        stack_name: "seed".to_owned(),
        parameter_overrides: Vec::new(),
        endpoint: endpoint.to_owned(),
        no_execute: false,
        no_wait: false,
        region: "us-east-1".to_owned(),
        account_id: "123456789012".to_owned(),
    };

    writeln!(
        out,
        "1. Deploy the seed's template: state machine SampleAliasMachine (EXPRESS), version 1,\n   \
         alias main at 100 %, and the alarm on ExecutionsFailed of main.\n\n   \
         $ switchback deploy --template-file template.yaml --stack-name seed"
    )?;
    let good = write_seed(&folder.join("good"), DEFINITION)?;
    let outcome = deploy::deploy(&options(good), &mut indented(out), &mut std::io::sink())?;
    if outcome != Outcome::Succeeded {
        writeln!(out, "\n   The first deploy did not succeed: {outcome:?}")?;
        return Ok(false);
    }

    writeln!(
        out,
        "\n2. Run it through alias main with {{\"type\": \"B\"}}:\n\n   \
         $ aws stepfunctions start-sync-execution --state-machine-arn ...:SampleAliasMachine:main \
         --input '{{\"type\": \"B\"}}'"
    )?;
    let first = run_b(endpoint)?;
    writeln!(
        out,
        "    | {} on {}",
        first["status"].as_str().unwrap_or("?"),
        version(&first["stateMachineVersionArn"])
    )?;
    if first["status"] != "SUCCEEDED" {
        return Ok(false);
    }

    writeln!(
        out,
        "\n3. Deploy the faulty revision (statemachine/alias-defect.asl.json: type B now fails)\n   \
         while type-B traffic runs through main. The template asks for LINEAR 50 % every\n   \
         2 minutes, watched by the alarm.\n\n   \
         $ switchback deploy --template-file template.yaml --stack-name seed"
    )?;
    let faulty = write_seed(&folder.join("faulty"), DEFECT)?;
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = {
        let stop = Arc::clone(&stop);
        let endpoint = endpoint.to_owned();
        std::thread::spawn(move || -> Result<Vec<Value>> {
            let mut ran = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                ran.push(run_b(&endpoint)?);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(ran)
        })
    };
    let outcome = deploy::deploy(&options(faulty), &mut indented(out), &mut std::io::sink());
    stop.store(true, Ordering::Relaxed);
    let ran = traffic
        .join()
        .map_err(|_| anyhow::anyhow!("the traffic thread panicked"))??;
    let reason = match outcome? {
        Outcome::RolledBack(reason) => reason,
        other => {
            writeln!(
                out,
                "\n   The faulty deploy was expected to roll back, not {other:?}"
            )?;
            return Ok(false);
        }
    };
    writeln!(out, "\n   The command exits 1: stack rolled back: {reason}")?;

    writeln!(
        out,
        "\n4. Every execution started during the deployment, from the execution log the template\n   \
         configures ({LOG_GROUP}):"
    )?;
    let log = std::fs::read_to_string(runtime::logs::path(data_dir, LOG_GROUP))
        .context("the execution log is missing")?;
    let mut by_execution: BTreeMap<String, (String, String)> = BTreeMap::new();
    for line in log.lines() {
        let record: Value = serde_json::from_str(line).context("a log line is not JSON")?;
        let arn = record["execution_arn"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let entry = by_execution.entry(arn).or_default();
        match record["type"].as_str().unwrap_or_default() {
            "ExecutionStarted" => entry.0 = version(&record["details"]["stateMachineVersionArn"]),
            "ExecutionSucceeded" => entry.1 = "SUCCEEDED".to_owned(),
            "ExecutionFailed" => entry.1 = "FAILED".to_owned(),
            _ => {}
        }
    }
    let mut tally: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut consistent = true;
    for answer in &ran {
        let arn = answer["executionArn"].as_str().unwrap_or_default();
        let logged = by_execution.get(arn);
        let answered = (
            version(&answer["stateMachineVersionArn"]),
            answer["status"].as_str().unwrap_or_default().to_owned(),
        );
        consistent &= logged == Some(&answered);
        *tally.entry(answered).or_default() += 1;
    }
    for ((version, status), count) in &tally {
        writeln!(out, "    | {count:>4} on {version}: {status}")?;
    }
    writeln!(
        out,
        "    | {} of {} executions the traffic started are in the log with the same version and outcome",
        if consistent { "all" } else { "NOT all" },
        ran.len()
    )?;
    let alias = call(
        endpoint,
        "AWSStepFunctions.DescribeStateMachineAlias",
        &json!({"stateMachineAliasArn": ALIAS}),
    )?;
    let routes: Vec<String> = alias["routingConfiguration"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|route| {
            format!(
                "{} {}%",
                version(&route["stateMachineVersionArn"]),
                route["weight"]
            )
        })
        .collect();
    writeln!(out, "    | alias main routes {}", routes.join(", "))?;
    let last = run_b(endpoint)?;
    writeln!(
        out,
        "    | one more {{\"type\": \"B\"}} through main: {} on {}",
        last["status"].as_str().unwrap_or("?"),
        version(&last["stateMachineVersionArn"])
    )?;
    let stack = call(
        endpoint,
        "Switchback.DescribeStacks",
        &json!({"StackName": "seed"}),
    )?;
    let status = stack["Stacks"][0]["StackStatus"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    writeln!(out, "    | stack seed is {status}")?;
    let on_v2_failed = tally
        .iter()
        .any(|((version, status), _)| version == "version 2" && status == "FAILED");
    let as_told = consistent
        && on_v2_failed
        && last["status"] == "SUCCEEDED"
        && version(&last["stateMachineVersionArn"]) == "version 1"
        && status == "UPDATE_ROLLBACK_COMPLETE";
    if as_told {
        writeln!(
            out,
            "\nDone: version 2 failed under real traffic, the alarm fired, main went back to\n\
             version 1 by itself and the stack rolled back, with every execution accounted for."
        )?;
    } else {
        bail!("the demo did not go as the story says (see above)");
    }
    Ok(true)
}
