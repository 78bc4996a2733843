//! What the SDK tests share: a real `switchback serve` process on a free 127.0.0.1 port with its
//! own data directory, and an `aws_sdk_sfn::Client` pointed at it.
//!
//! The client is built from `aws_sdk_sfn::Config` alone, not `aws-config`: nothing is read from
//! the environment or `~/.aws`, so a developer's profile cannot change what a test does. It
//! speaks plain HTTP through `aws-smithy-http-client` (the SDK's default HTTPS client is left
//! out of the build) and drops the `sync-` host prefix of StartSyncExecution ([`NoHostPrefix`]).

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_sfn::error::BoxError;

/// The access key the tests sign with.
pub const ACCESS_KEY: &str = "AKIDSWITCHBACKTEST";
/// Its secret.
pub const SECRET_KEY: &str = "switchback-test-secret";
/// The role every test state machine is created with.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/switchback-sdk-tests";

/// A file of `../shared` (beside the project folder).
pub fn shared(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(path)
}

/// Copies a folder and everything in it (the seed's template and definitions, to edit).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            // ../shared is read-only: the copies are for editing.
            let mut permissions = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)] // Test files of our own.
            permissions.set_readonly(false);
            std::fs::set_permissions(&target, permissions).unwrap();
        }
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A running `switchback serve`; killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The port it listens on.
    pub port: u16,
    log: PathBuf,
}

/// Plain `GET path` over HTTP/1.1: the status code and body, or `None` when nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

impl Server {
    /// Starts a server on 127.0.0.1 with `data_dir` and the extra arguments, and waits until
    /// `/health` answers.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        // Another process may take the port between our probe and the server's bind: try again
        // on a new port then.
        let mut last_log = String::new();
        for _ in 0..3 {
            let port = free_port();
            match Server::try_start(data_dir, port, extra) {
                Ok(server) => return server,
                Err(log) => last_log = log,
            }
        }
        panic!("switchback serve did not come up:\n{last_log}");
    }

    fn try_start(data_dir: &Path, port: u16, extra: &[&str]) -> Result<Server, String> {
        let log = data_dir.join(format!("server-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_switchback"))
            .arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .env_remove("SWITCHBACK_CREDENTIALS")
            .env_remove("SWITCHBACK_ALLOW_UNAUTHENTICATED")
            .env_remove("WAIT_TIME_SCALE")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("the switchback binary starts");
        let mut server = Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("exited with {status}: {}", server.log()));
            }
            if let Some((200, body)) = http_get(port, "/health")
                && body.trim() == "ok"
            {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("no answer on /health in 30 s: {}", server.log()))
    }

    /// What the server wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A client signing with the test keys.
    pub fn client(&self) -> aws_sdk_sfn::Client {
        self.client_with(ACCESS_KEY, SECRET_KEY)
    }

    /// A client signing with these keys.
    pub fn client_with(&self, access_key: &str, secret_key: &str) -> aws_sdk_sfn::Client {
        client(&self.endpoint, access_key, secret_key)
    }

    /// Sends SIGTERM and waits (up to 30 s) for the server to exit.
    pub fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("the server can be waited for") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop on SIGTERM: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A Step Functions client for `endpoint`, in us-east-1, signing with these keys, with no
/// retries (a test must see the first answer).
pub fn client(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::from_conf(config(endpoint, access_key, secret_key).build())
}

/// The configuration [`client`] builds, to change before building (region, clock).
pub fn config(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_sfn::config::Builder {
    aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            access_key,
            secret_key,
            None,
            None,
            "switchback-tests",
        ))
        .endpoint_url(endpoint)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
        .interceptor(NoHostPrefix)
}

/// Undoes the `sync-` host prefix the SDK puts in front of the endpoint's host for
/// StartSyncExecution (and TestState): `sync-127.0.0.1` does not resolve. The Rust SDK has no
/// setting for this (botocore has `inject_host_prefix=False`, the CLI and other SDKs
/// `AWS_DISABLE_HOST_PREFIX_INJECTION`), so this interceptor rewrites the URI after the endpoint
/// is applied and before the request is signed, which keeps the signature valid.
#[derive(Debug)]
pub struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri().to_owned();
        for scheme in ["http://", "https://"] {
            if let Some(rest) = uri.strip_prefix(&format!("{scheme}sync-")) {
                context.request_mut().set_uri(format!("{scheme}{rest}"))?;
            }
        }
        Ok(())
    }
}

/// Waits (up to 30 s) until the execution has ended, and returns its description.
pub async fn wait_done(
    client: &aws_sdk_sfn::Client,
    execution_arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let described = client
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .expect("DescribeExecution works");
        if described.status != aws_sdk_sfn::types::ExecutionStatus::Running {
            return described;
        }
        assert!(
            Instant::now() < deadline,
            "{execution_arn} still runs after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A stack's events, newest first, as "LOGICAL_ID STATUS" (`Switchback.DescribeStackEvents`).
pub fn stack_events(endpoint: &str, stack: &str) -> Vec<String> {
    switchback::deployments::call(
        endpoint,
        "Switchback.DescribeStackEvents",
        &serde_json::json!({ "StackName": stack }),
    )
    .unwrap()["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            format!(
                "{} {}",
                event["LogicalResourceId"].as_str().unwrap(),
                event["ResourceStatus"].as_str().unwrap()
            )
        })
        .collect()
}
