//! `loadgen`: the benchmark suite's load generator (`scripts/bench`, issue 10).
//!
//! It sends one AWS JSON 1.0 call (`POST /` with `X-Amz-Target`) over keep-alive HTTP/1.1
//! connections, either closed-loop (each connection sends its next call when the last one is
//! answered, like wrk) or open-loop at a fixed rate. wrk (Debian's) cannot hold a rate, and a rate
//! is what "p99 at half the saturation rate" needs, so this exists; it also stops after a count,
//! which the parked-executions workload needs.
//!
//! At a fixed rate, call *i* is due at `start + i / rate` and its latency is measured from that
//! moment, not from when a connection got round to sending it: a server that falls behind shows
//! its queueing in the percentiles instead of hiding it (no coordinated omission).
//!
//! ```sh
//! loadgen --url http://127.0.0.1:8080/ --target AWSStepFunctions.StartExecution \
//!   --body '{"stateMachineArn":"arn:...","name":"run1-{n}"}' --connections 8 --duration 10
//! ```
//!
//! `{n}` in the body is replaced by the call's number (0, 1, ...), unique within a run. The result
//! is one JSON document on standard output: calls, calls/s, latency percentiles in milliseconds,
//! errors (with the first failed answer), and the generator's own CPU time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

#[derive(Parser, Debug)]
#[command(about = "AWS JSON 1.0 load generator: closed-loop or at a fixed rate")]
struct Args {
    /// The endpoint, `http://HOST:PORT/`.
    #[arg(long)]
    url: String,
    /// The `X-Amz-Target` header, for example `AWSStepFunctions.StartSyncExecution`.
    #[arg(long)]
    target: String,
    /// The request body; `{n}` is replaced by the call's number.
    #[arg(long)]
    body: String,
    /// Keep-alive connections, each driven by its own task.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Seconds to run (the default when neither this nor `--count` is given: 10).
    #[arg(long)]
    duration: Option<f64>,
    /// Calls to make, then stop.
    #[arg(long)]
    count: Option<u64>,
    /// Calls per second to send, open-loop; without it, as fast as the server answers.
    #[arg(long)]
    rate: Option<f64>,
    /// Worker threads of the generator's runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// What one connection task saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    status_errors: u64,
    io_errors: u64,
}

struct Plan {
    authority: String,
    target: String,
    body_head: String,
    body_tail: Option<String>,
    count: Option<u64>,
    deadline: Option<Instant>,
    rate: Option<f64>,
    start: Instant,
    next: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Plan {
    fn body(&self, n: u64) -> Bytes {
        match &self.body_tail {
            Some(tail) => Bytes::from(format!("{}{n}{tail}", self.body_head)),
            None => Bytes::from(self.body_head.clone()),
        }
    }

    /// The next call's number and the moment it is due, or None when the run is over.
    fn take(&self) -> Option<(u64, Instant)> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        if self.count.is_some_and(|count| n >= count) {
            return None;
        }
        let due = match self.rate {
            Some(rate) => self.start + Duration::from_secs_f64(n as f64 / rate),
            None => Instant::now(),
        };
        if self.deadline.is_some_and(|deadline| due >= deadline) {
            return None;
        }
        Some((n, due))
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(authority: &str) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(authority)
        .await
        .with_context(|| format!("cannot connect to {authority}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn drive(plan: Arc<Plan>) -> Tally {
    let mut tally = Tally::default();
    let mut sender: Option<Sender> = None;
    while let Some((n, due)) = plan.take() {
        if plan.rate.is_some() {
            tokio::time::sleep_until(due.into()).await;
        }
        let sent = if plan.rate.is_some() {
            due
        } else {
            Instant::now()
        };
        let outcome = call(&plan, &mut sender, n).await;
        let elapsed = sent.elapsed();
        match outcome {
            Ok(None) => tally
                .latencies_us
                .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX)),
            Ok(Some(answer)) => {
                tally.status_errors += 1;
                remember(&plan, answer).await;
            }
            Err(error) => {
                tally.io_errors += 1;
                sender = None;
                remember(&plan, format!("{error:#}")).await;
                // A refused connection must not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    tally
}

async fn remember(plan: &Plan, what: String) {
    let mut first = plan.first_error.lock().await;
    if first.is_none() {
        *first = Some(what);
    }
}

/// One call: Ok(None) when the server answered 200, Ok(Some(answer)) for another status.
async fn call(plan: &Plan, sender: &mut Option<Sender>, n: u64) -> anyhow::Result<Option<String>> {
    if sender.as_ref().is_none_or(|sender| sender.is_closed()) {
        *sender = Some(connect(&plan.authority).await?);
    }
    let connection = sender.as_mut().expect("connected above");
    connection.ready().await?;
    let request = http::Request::post("/")
        .header(http::header::HOST, &plan.authority)
        .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.0")
        .header("x-amz-target", &plan.target)
        .body(Full::new(plan.body(n)))?;
    let response = connection.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if status == http::StatusCode::OK {
        Ok(None)
    } else {
        Ok(Some(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(500)])
        )))
    }
}

/// The process's user and system CPU seconds, from `/proc/self/stat` (Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on; reading sysconf would need libc.
    Some(ticks / 100.0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let authority = args
        .url
        .strip_prefix("http://")
        .context("--url must start with http://")?
        .trim_end_matches('/')
        .to_owned();
    if args.connections == 0 || args.threads == 0 {
        bail!("--connections and --threads must be at least 1");
    }
    if args
        .rate
        .is_some_and(|rate| !(rate > 0.0 && rate.is_finite()))
    {
        bail!("--rate must be a positive number");
    }
    let duration = match (args.duration, args.count) {
        (Some(seconds), _) => Some(seconds),
        (None, None) => Some(10.0),
        (None, Some(_)) => None,
    };
    let (body_head, body_tail) = match args.body.split_once("{n}") {
        Some((head, tail)) => (head.to_owned(), Some(tail.to_owned())),
        None => (args.body.clone(), None),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()?;
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let plan = Arc::new(Plan {
        authority,
        target: args.target.clone(),
        body_head,
        body_tail,
        count: args.count,
        deadline: duration.map(|seconds| start + Duration::from_secs_f64(seconds)),
        rate: args.rate,
        start,
        next: AtomicU64::new(0),
        first_error: Mutex::new(None),
    });
    let tallies = runtime.block_on(async {
        let tasks: Vec<_> = (0..args.connections)
            .map(|_| tokio::spawn(drive(plan.clone())))
            .collect();
        let mut tallies = Vec::new();
        for task in tasks {
            tallies.push(task.await?);
        }
        anyhow::Ok(tallies)
    })?;
    let elapsed = start.elapsed().as_secs_f64();
    let client_cpu = cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let mut latencies: Vec<u32> = tallies
        .iter()
        .flat_map(|tally| tally.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();
    let status_errors: u64 = tallies.iter().map(|tally| tally.status_errors).sum();
    let io_errors: u64 = tallies.iter().map(|tally| tally.io_errors).sum();
    let ok = latencies.len() as u64;
    let first_error = runtime.block_on(async { plan.first_error.lock().await.clone() });
    let report = json!({
        "requests": ok + status_errors + io_errors,
        "ok": ok,
        "duration_s": (elapsed * 1000.0).round() / 1000.0,
        "calls_per_s": (ok as f64 / elapsed * 10.0).round() / 10.0,
        "rate": args.rate,
        "connections": args.connections,
        "p50_ms": percentile(&latencies, 50.0),
        "p90_ms": percentile(&latencies, 90.0),
        "p99_ms": percentile(&latencies, 99.0),
        "max_ms": percentile(&latencies, 100.0),
        "errors": {"status": status_errors, "io": io_errors},
        "first_error": first_error,
        "client_cpu_s": client_cpu,
        "client_cpu_util_pct": client_cpu.map(|cpu| (1000.0 * cpu / elapsed).round() / 10.0),
    });
    println!("{report}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(count: Option<u64>, rate: Option<f64>, seconds: Option<f64>) -> Plan {
        let start = Instant::now();
        Plan {
            authority: "127.0.0.1:1".to_owned(),
            target: "T".to_owned(),
            body_head: "{\"name\":\"r-".to_owned(),
            body_tail: Some("\"}".to_owned()),
            count,
            deadline: seconds.map(|seconds| start + Duration::from_secs_f64(seconds)),
            rate,
            start,
            next: AtomicU64::new(0),
            first_error: Mutex::new(None),
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&sorted, 50.0), 50.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&sorted, 100.0), 100.0);
        assert_eq!(percentile(&[1500], 99.0), 1.5);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }

    #[test]
    fn a_count_stops_the_run_and_numbers_every_call_once() {
        let plan = plan(Some(3), None, None);
        let numbers: Vec<u64> = std::iter::from_fn(|| plan.take().map(|(n, _)| n)).collect();
        assert_eq!(numbers, [0, 1, 2]);
        assert_eq!(plan.body(7), Bytes::from("{\"name\":\"r-7\"}"));
    }

    #[test]
    fn at_a_rate_each_call_is_due_on_its_own_schedule_until_the_deadline() {
        // 10 calls a second for 1 s: calls 0..9, call n due n/10 s after the start.
        let plan = plan(None, Some(10.0), Some(1.0));
        let calls: Vec<(u64, Instant)> = std::iter::from_fn(|| plan.take()).collect();
        assert_eq!(calls.len(), 10);
        for (n, due) in calls {
            assert_eq!(due - plan.start, Duration::from_millis(100 * n));
        }
    }
}
