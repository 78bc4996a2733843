//! `switchback deployments list|describe|watch`: a small client of a running server's
//! deployment operations (`X-Amz-Target: Switchback.*`, `docs/deployments.md`), over plain
//! HTTP/1.1 on a `TcpStream` with AWS JSON 1.0 bodies, unsigned.
//!
//! `watch` redraws the deployment until it ends: the weights as a bar, the time to the next step,
//! the alarms, executions and failures per version, and the timeline; its exit status is 0 when
//! the deployment succeeded and 1 otherwise (rolled back, failed, stopped).

use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

/// The default endpoint: `switchback serve`'s default bind.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8083";

/// Calls `target` (`Switchback.DescribeDeployment`, `AWSStepFunctions.ListStateMachines`, ...)
/// with a JSON body; answers the JSON body of a 200, or an error with the AWS error's type and
/// message.
pub fn call(endpoint: &str, target: &str, body: &Value) -> Result<Value> {
    let address = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("only http:// endpoints are supported, not {endpoint}"))?;
    let address = address.split('/').next().unwrap_or(address);
    let mut stream =
        TcpStream::connect(address).with_context(|| format!("cannot connect to {endpoint}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let payload = body.to_string();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: {target}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("not an HTTP answer from {endpoint}: {status_line:?}"))?;
    let mut chunked = false;
    let mut length: Option<usize> = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse().ok();
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let bytes = if chunked {
        read_chunked(&mut reader)?
    } else if let Some(length) = length {
        let mut bytes = vec![0; length];
        reader.read_exact(&mut bytes)?;
        bytes
    } else {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        bytes
    };
    let value: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "the server answered {status} with a body that is not JSON: {}",
                String::from_utf8_lossy(&bytes)
            )
        })?
    };
    if status != 200 {
        bail!(
            "{}: {}",
            value["__type"].as_str().unwrap_or("error"),
            value["message"].as_str().unwrap_or("")
        );
    }
    Ok(value)
}

fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
            .context("a bad chunk size")?;
        if size == 0 {
            return Ok(bytes);
        }
        let start = bytes.len();
        bytes.resize(start + size, 0);
        reader.read_exact(&mut bytes[start..])?;
        let mut end = String::new();
        reader.read_line(&mut end)?;
    }
}

fn describe_call(endpoint: &str, id: &str) -> Result<Value> {
    call(
        endpoint,
        "Switchback.DescribeDeployment",
        &json!({ "deploymentId": id }),
    )
}

/// `deployments list`: one line per deployment, newest first.
pub fn list(endpoint: &str) -> Result<String> {
    let mut out = format!(
        "{:<36}  {:<11}  {:>7}  {:<40}  {}\n",
        "ID", "STATUS", "TARGET", "ALIAS", "VERSIONS"
    );
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({});
        if let Some(token) = &token {
            body["nextToken"] = json!(token);
        }
        let page = call(endpoint, "Switchback.ListDeployments", &body)?;
        for item in page["deployments"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "{:<36}  {:<11}  {:>6}%  {:<40}  {} -> {}\n",
                item["deploymentId"].as_str().unwrap_or(""),
                item["status"].as_str().unwrap_or(""),
                item["targetWeight"],
                short_alias(item["stateMachineAliasArn"].as_str().unwrap_or("")),
                version(&item["originVersionArn"]),
                version(&item["targetVersionArn"]),
            ));
        }
        match page["nextToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => return Ok(out),
        }
    }
}

/// `deployments describe`: the deployment's state, as `watch` draws it.
pub fn describe(endpoint: &str, id: &str) -> Result<String> {
    Ok(render(&describe_call(endpoint, id)?))
}

/// `deployments watch`: redraws until the deployment ends; answers whether it succeeded.
pub fn watch(endpoint: &str, id: &str, out: &mut impl Write) -> Result<bool> {
    watch_with(endpoint, id, out, || Ok(()))
}

/// [`watch`], calling `on_poll` after each look at the deployment (a deploy renews its hold
/// on the stack there).
pub fn watch_with(
    endpoint: &str,
    id: &str,
    out: &mut impl Write,
    mut on_poll: impl FnMut() -> Result<()>,
) -> Result<bool> {
    let terminal = std::io::stdout().is_terminal();
    let mut last = String::new();
    loop {
        let described = describe_call(endpoint, id)?;
        let frame = render(&described);
        if frame != last {
            if terminal {
                // Clear the screen and draw the frame from the top.
                write!(out, "\x1b[2J\x1b[H")?;
            } else if !last.is_empty() {
                writeln!(out, "---")?;
            }
            write!(out, "{frame}")?;
            out.flush()?;
            last = frame;
        }
        on_poll()?;
        match described["status"].as_str() {
            Some("IN_PROGRESS" | "PENDING") => std::thread::sleep(Duration::from_millis(500)),
            Some("SUCCEEDED") => return Ok(true),
            _ => return Ok(false),
        }
    }
}

fn short_alias(arn: &str) -> String {
    // `...:stateMachine:NAME:ALIAS` -> `NAME:ALIAS`.
    arn.split(":stateMachine:").nth(1).unwrap_or(arn).to_owned()
}

fn version(arn: &Value) -> String {
    arn.as_str()
        .and_then(|arn| arn.rsplit(':').next())
        .map_or_else(|| "?".to_owned(), |number| format!("v{number}"))
}

fn duration(seconds: f64) -> String {
    let seconds = seconds.max(0.0).round() as u64;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m {:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h {:02}m", seconds / 3600, (seconds % 3600) / 60),
    }
}

/// The bar of a routing: `#` for the origin's share, `=` for the target's, 40 columns.
fn bar(origin_weight: u64, target_weight: u64) -> String {
    let width = 40;
    let target = (target_weight * width / 100) as usize;
    let origin = (origin_weight * width / 100) as usize;
    format!(
        "[{}{}{}]",
        "#".repeat(origin),
        "=".repeat(target),
        " ".repeat((width as usize).saturating_sub(origin + target))
    )
}

/// A deployment as text.
pub fn render(deployment: &Value) -> String {
    let mut out = String::new();
    let origin = version(&deployment["originVersionArn"]);
    let target = version(&deployment["targetVersionArn"]);
    let preference = &deployment["deploymentPreference"];
    let kind = preference["type"].as_str().unwrap_or("?");
    out.push_str(&format!(
        "deployment {}  {}  {origin} -> {target}\n",
        deployment["deploymentId"].as_str().unwrap_or(""),
        short_alias(deployment["stateMachineAliasArn"].as_str().unwrap_or("")),
    ));
    let mut how = kind.to_owned();
    if let Some(percentage) = preference["percentage"].as_u64() {
        how.push_str(&format!(" {percentage}%"));
    }
    if let Some(interval) = preference["interval"].as_u64() {
        how.push_str(&format!(" every {interval} min"));
    }
    if let Some(bake) = preference["bakeMinutes"].as_u64() {
        how.push_str(&format!(", bake {bake} min"));
    }
    out.push_str(&format!("  preference  {how}\n"));
    out.push_str(&format!(
        "  status      {}\n",
        deployment["status"].as_str().unwrap_or("?")
    ));
    let target_weight = deployment["targetWeight"].as_u64().unwrap_or(0);
    out.push_str(&format!(
        "  weights     {origin} {:>3}% {} {:>3}% {target}\n",
        100 - target_weight,
        bar(100 - target_weight, target_weight),
        target_weight
    ));
    if let Some(next) = deployment["nextStepInSeconds"].as_f64() {
        let scale = deployment["timeScale"].as_f64().unwrap_or(1.0);
        let mut line = format!("  next step   in {}", duration(next));
        if (scale - 1.0).abs() > f64::EPSILON {
            line.push_str(&format!(
                " (deployment clock; {} real at time scale {scale})",
                duration(next / scale)
            ));
        }
        out.push_str(&line);
        out.push('\n');
    }
    let alarms = deployment["alarms"].as_array().cloned().unwrap_or_default();
    if alarms.is_empty() {
        out.push_str("  alarms      none\n");
    } else {
        for (index, alarm) in alarms.iter().enumerate() {
            let label = if index == 0 { "alarms" } else { "" };
            let mut line = format!(
                "  {label:<10}  {:<24} {:<17}",
                alarm["name"].as_str().unwrap_or(""),
                alarm["state"].as_str().unwrap_or("")
            );
            if let Some(reason) = alarm["reason"].as_str() {
                line.push(' ');
                line.push_str(reason);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    let executions = deployment["executions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !executions.is_empty() {
        let counts: Vec<String> = executions
            .iter()
            .map(|entry| {
                format!(
                    "{} {} run, {} failed",
                    version(&entry["stateMachineVersionArn"]),
                    entry["executions"],
                    entry["failed"]
                )
            })
            .collect();
        out.push_str(&format!("  executions  {}\n", counts.join(" | ")));
    }
    let timeline = deployment["timeline"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let first = timeline
        .first()
        .and_then(|entry| entry["date"].as_f64())
        .unwrap_or(0.0);
    out.push_str("  timeline\n");
    for entry in &timeline {
        let at = entry["date"].as_f64().unwrap_or(first) - first;
        out.push_str(&format!("    +{:<8} {}\n", duration(at), event(entry)));
    }
    if let Some(message) = deployment["statusMessage"].as_str() {
        out.push_str(&format!("  outcome     {message}\n"));
    }
    out
}

fn routing_text(routing: &Value) -> String {
    routing
        .as_array()
        .into_iter()
        .flatten()
        .map(|route| format!("v{} {}%", route["version"], route["weight"]))
        .collect::<Vec<_>>()
        .join(", ")
}

fn event(entry: &Value) -> String {
    match entry["type"].as_str().unwrap_or("") {
        "Started" => format!(
            "started from {} towards v{}",
            routing_text(&entry["origin"]),
            entry["target"]
        ),
        "Shifted" => format!(
            "shifted: target at {}% ({})",
            entry["targetWeight"],
            routing_text(&entry["routing"])
        ),
        "AlarmChanged" => {
            let mut text = format!(
                "alarm {} is {}",
                entry["alarm"].as_str().unwrap_or(""),
                entry["state"].as_str().unwrap_or("")
            );
            if let Some(reason) = entry["reason"].as_str() {
                text.push_str(&format!(": {reason}"));
            }
            text
        }
        "Watching" => "at 100%: watching the alarms".to_owned(),
        "RolledBack" => format!("rolled back to {}", routing_text(&entry["routing"])),
        "Promoted" => "promoted by hand".to_owned(),
        "Finished" => entry["status"].as_str().unwrap_or("finished").to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollback_renders_with_its_bar_alarms_and_outcome() {
        let deployment = json!({
            "deploymentId": "d-1",
            "stateMachineAliasArn": "arn:aws:states:us-east-1:1:stateMachine:orders:main",
            "originVersionArn": "arn:aws:states:us-east-1:1:stateMachine:orders:1",
            "targetVersionArn": "arn:aws:states:us-east-1:1:stateMachine:orders:2",
            "deploymentPreference": {"type": "LINEAR", "interval": 2, "percentage": 50, "alarms": ["errors"]},
            "status": "ROLLED_BACK",
            "statusMessage": "Aborting deployment. The following CloudWatch alarms are in an 'ALARM' state: [errors].",
            "targetWeight": 0,
            "alarms": [{"name": "errors", "state": "ALARM", "reason": "Threshold Crossed"}],
            "executions": [
                {"stateMachineVersionArn": "arn:aws:states:us-east-1:1:stateMachine:orders:1", "executions": 5, "failed": 0},
                {"stateMachineVersionArn": "arn:aws:states:us-east-1:1:stateMachine:orders:2", "executions": 4, "failed": 1}
            ],
            "timeline": [
                {"type": "Started", "origin": [{"version": 1, "weight": 100}], "target": 2, "date": 100.0},
                {"type": "Shifted", "routing": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "targetWeight": 50, "date": 100.0},
                {"type": "AlarmChanged", "alarm": "errors", "state": "ALARM", "reason": "Threshold Crossed", "date": 160.0},
                {"type": "RolledBack", "routing": [{"version": 1, "weight": 100}], "date": 160.0},
                {"type": "Finished", "status": "ROLLED_BACK", "date": 160.0}
            ]
        });
        let text = render(&deployment);
        assert!(text.contains("orders:main  v1 -> v2"), "{text}");
        assert!(text.contains("LINEAR 50% every 2 min"), "{text}");
        assert!(
            text.contains(&format!("v1 100% [{}]   0% v2", "#".repeat(40))),
            "{text}"
        );
        assert!(
            text.contains("errors                   ALARM             Threshold Crossed"),
            "{text}"
        );
        assert!(
            text.contains("v1 5 run, 0 failed | v2 4 run, 1 failed"),
            "{text}"
        );
        assert!(text.contains("+1m 00s   rolled back to v1 100%"), "{text}");
        assert!(text.contains("outcome     Aborting deployment."), "{text}");
    }

    #[test]
    fn durations_and_bars() {
        assert_eq!(duration(59.4), "59s");
        assert_eq!(duration(61.0), "1m 01s");
        assert_eq!(duration(7260.0), "2h 01m");
        assert_eq!(
            bar(50, 50),
            format!("[{}{}]", "#".repeat(20), "=".repeat(20))
        );
    }
}
