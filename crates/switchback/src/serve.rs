//! `switchback serve`: the AWS Step Functions API on an embedded SQLite store, or on
//! PostgreSQL with `--database postgres://...`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use runtime::{Config, Runtime};
use store_sqlite::SqliteStore;

/// What `serve` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen.
    pub bind: SocketAddr,
    /// Where the SQLite file lives (and the execution logs, whatever the database).
    pub data_dir: PathBuf,
    /// A PostgreSQL URL: the store is there instead of the SQLite file, shared with any other
    /// node serving the same database.
    pub database: Option<String>,
    /// This node's name in `switchback nodes` (the host name when `None`).
    pub node_name: Option<String>,
    /// How long this node's lease runs without a renewal (renewed every third of it); the
    /// other nodes take its executions over once it ran out.
    pub node_lease_seconds: f64,
    /// Timers run this many times faster.
    pub time_scale: f64,
    /// The account in ARNs.
    pub account_id: String,
    /// The region in ARNs.
    pub region: String,
    /// An AWS credentials file: with it, every request must be signed with one of its keys.
    pub credentials: Option<PathBuf>,
    /// How far a signed request's time may be from the server's clock, in seconds.
    pub max_clock_skew_seconds: i64,
    /// Serve a non-loopback address without credentials anyway.
    pub allow_unauthenticated: bool,
    /// A mock configuration (Step Functions Local's MockConfigFile format).
    pub mock_config: Option<PathBuf>,
    /// The endpoint Lambda functions are invoked on.
    pub lambda_endpoint: Option<String>,
    /// Per-function Invoke URLs.
    pub lambda_functions: Option<PathBuf>,
    /// The HTTP Task's connections.
    pub connections: Option<PathBuf>,
}

/// The HTTP Task and Lambda, configured from the options; every file problem is an error.
pub fn integrations(options: &Options) -> Result<integrations::Integrations> {
    if let Some(endpoint) = &options.lambda_endpoint
        && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
    {
        bail!("--lambda-endpoint must be an http:// or https:// URL, not {endpoint}");
    }
    let mut functions = integrations::Functions::on_endpoint(options.lambda_endpoint.clone());
    if let Some(path) = &options.lambda_functions {
        functions = functions.with_file(path)?;
    }
    let connections = match &options.connections {
        Some(path) => integrations::Connections::from_file(path)?,
        None => integrations::Connections::default(),
    };
    Ok(integrations::Integrations::new(
        &options.region,
        connections,
        functions,
    ))
}

/// Reads a mock configuration file (JSON, or JSON5 for comments); every problem at once.
pub fn read_mock_config(path: &Path) -> Result<runtime::mocks::MockConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the mock configuration {}", path.display()))?;
    let value: serde_json::Value = json5::from_str(&text)
        .map_err(|error| anyhow::anyhow!("{}: not JSON: {error}", path.display()))?;
    runtime::mocks::MockConfig::from_value(&value)
        .map_err(|problems| anyhow::anyhow!("{}: {}", path.display(), problems.join("; ")))
}

/// Reads access key pairs from an AWS shared-credentials file (`aws_access_key_id` and
/// `aws_secret_access_key` under any profile).
pub fn read_credentials(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the credentials file {}", path.display()))?;
    let mut pairs = Vec::new();
    let mut key_id: Option<String> = None;
    let mut secret: Option<String> = None;
    let mut flush = |key_id: &mut Option<String>, secret: &mut Option<String>| {
        if let (Some(id), Some(secret)) = (key_id.take(), secret.take()) {
            pairs.push((id, secret));
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            flush(&mut key_id, &mut secret);
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        match name.trim() {
            "aws_access_key_id" => key_id = Some(value.trim().to_owned()),
            "aws_secret_access_key" => secret = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    flush(&mut key_id, &mut secret);
    if pairs.is_empty() {
        bail!(
            "{} holds no aws_access_key_id / aws_secret_access_key pair",
            path.display()
        );
    }
    Ok(pairs)
}

/// How long a node's lease runs without a renewal, by default.
pub const DEFAULT_NODE_LEASE_SECONDS: f64 = 10.0;

/// Connects to the PostgreSQL database at `url`, migrating it under a lock.
pub async fn open_postgres(url: &str) -> Result<store_postgres::PgStore> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!(
            "--database must be a PostgreSQL URL (postgres://user@host:port/database), not {url:?}; \
             leave it out to use the SQLite file in --data-dir"
        );
    }
    let shown = redact_password(url);
    store_postgres::PgStore::connect(url)
        .await
        .with_context(|| format!("cannot use the PostgreSQL database {shown}"))
}

/// The file in the data directory that names the node id of the process that serves from it.
const NODE_ID_FILE: &str = "node-id";

/// The file locked while a process serves from the data directory.
const NODE_LOCK_FILE: &str = "node.lock";

/// Locks the data directory for this process (creating it, owner-only, if needed) and
/// answers the lock and the id of the node that served from it before, if any: holding the
/// lock proves that node's process is gone.
fn lock_data_dir(data_dir: &Path) -> Result<(std::fs::File, Option<i64>)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700));
    }
    let path = data_dir.join(NODE_LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another switchback process serves from the data directory {}: give each node a              data directory of its own",
            data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(error)) => {
            return Err(error).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    let predecessor = std::fs::read_to_string(data_dir.join(NODE_ID_FILE))
        .ok()
        .and_then(|text| text.trim().parse().ok());
    Ok((file, predecessor))
}

/// This machine's host name, for `switchback nodes`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "switchback".to_owned())
}

/// `url` with its password, if any, replaced by `****`, for messages.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((user_info, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match user_info.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_owned(),
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(options: Options) -> Result<()> {
    serve_until(options, |_| {}, shutdown_signal()).await
}

/// Runs the server until `shutdown` completes; `ready` hears the address it listens on (the
/// port the system chose, for a bind to port 0) once it accepts requests.
pub async fn serve_until(
    options: Options,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let credentials = options
        .credentials
        .as_deref()
        .map(read_credentials)
        .transpose()?;
    if credentials.is_none() && !options.bind.ip().is_loopback() && !options.allow_unauthenticated {
        bail!(
            "refusing to serve {} without credentials: anyone who can reach it could run workflows. \
             Give --credentials FILE, bind to a loopback address, or pass --allow-unauthenticated",
            options.bind
        );
    }
    if !options.time_scale.is_finite() || options.time_scale <= 0.0 {
        bail!("--time-scale must be a positive number");
    }
    if !options.node_lease_seconds.is_finite()
        || !(0.3..=3600.0).contains(&options.node_lease_seconds)
    {
        bail!("--node-lease must be a number of seconds from 0.3 to 3600");
    }
    raise_open_files_limit();
    let lease = std::time::Duration::from_secs_f64(options.node_lease_seconds);
    // Held while the server runs, on PostgreSQL: this process's claim to its data directory.
    let mut _data_dir_lock = None;
    let (store, cluster): (Arc<dyn store::Store>, Option<Arc<dyn store::Cluster>>) =
        match &options.database {
            Some(url) => {
                let (lock, predecessor) = lock_data_dir(&options.data_dir)?;
                _data_dir_lock = Some(lock);
                let store = Arc::new(open_postgres(url).await?);
                let node = store
                    .join(store_postgres::Membership {
                        name: options.node_name.clone().unwrap_or_else(host_name),
                        address: Some(format!("http://{}", options.bind)),
                        lease,
                    })
                    .await
                    .context("cannot join the nodes serving the PostgreSQL database")?;
                tracing::info!(node, "joined the nodes serving the PostgreSQL database");
                if let Some(predecessor) = predecessor.filter(|&old| old != node) {
                    // The node that ran on this data directory before is gone (its lock was
                    // free): its executions come back here now, not when its lease runs out.
                    store::Cluster::retire(store.as_ref(), predecessor)
                        .await
                        .context("cannot retire this data directory's previous node")?;
                    tracing::info!(predecessor, "took the place of the previous node");
                }
                std::fs::write(options.data_dir.join(NODE_ID_FILE), node.to_string())
                    .context("cannot write the node id into the data directory")?;
                (store.clone(), Some(store))
            }
            None => {
                let store = SqliteStore::open(&options.data_dir).with_context(|| {
                    format!(
                        "cannot open the data directory {}",
                        options.data_dir.display()
                    )
                })?;
                (Arc::new(store), None)
            }
        };
    let runtime = Runtime::new(
        store,
        Config {
            account_id: options.account_id.clone(),
            region: options.region.clone(),
            time_scale: options.time_scale,
            mocks: options
                .mock_config
                .as_deref()
                .map(read_mock_config)
                .transpose()?
                .map(Arc::new),
            ..Config::default()
        },
    );
    runtime.set_invoker(Arc::new(integrations(&options)?));
    runtime.write_logs_to(options.data_dir.clone());
    let loaded = runtime
        .observer()
        .load(runtime.store().as_ref())
        .await
        .context("cannot load the stored metrics")?;
    tracing::debug!(rows = loaded, "metrics loaded");
    let flusher = tokio::spawn(flush_metrics_every_second(runtime.clone()));
    // The router is built before executions resume: it wires in the StartExecution rules that
    // resumed nested tasks need.
    let mut state = api::AppState::new(runtime.clone());
    if let Some(pairs) = credentials {
        state = state.with_credentials(
            pairs,
            &api::SigningRules {
                region: options.region.clone(),
                max_clock_skew_seconds: options.max_clock_skew_seconds,
            },
        );
    }
    let router = api::router(state.clone());
    // On one node every open execution is this node's; among several, those no live node
    // drives are, and the others' as their nodes die.
    let (resumed, keeper) = match &cluster {
        Some(cluster) => {
            runtime
                .set_cluster(cluster.clone())
                .await
                .context("cannot listen to the other nodes")?;
            let resumed = runtime
                .claim_orphans(cluster.as_ref())
                .await
                .context("cannot resume open executions")?;
            let keeper = tokio::spawn(runtime.clone().run_cluster(lease / 3));
            (resumed, Some(keeper))
        }
        None => (
            runtime
                .recover()
                .await
                .context("cannot resume open executions")?,
            None,
        ),
    };
    // Deployments read the CloudWatch alarms the evaluator below keeps current.
    runtime.set_alarm_source(Arc::new(runtime::deployments::StoredAlarms::new(
        Arc::clone(runtime.store()),
    )));
    let deployments = match &cluster {
        Some(cluster) => runtime
            .claim_orphan_deployments(cluster.as_ref())
            .await
            .context("cannot resume open deployments")?,
        None => runtime
            .recover_deployments()
            .await
            .context("cannot resume open deployments")?,
    };
    let evaluator = api::cloudwatch::spawn_evaluator(state);
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .with_context(|| format!("cannot listen on {}", options.bind))?;
    tracing::info!(
        address = %format!("http://{}", listener.local_addr()?),
        data = %options.data_dir.display(),
        resumed,
        deployments,
        time_scale = options.time_scale,
        "switchback is serving the Step Functions API"
    );
    ready(listener.local_addr()?);
    api::server::serve(listener, router, shutdown).await;
    flusher.abort();
    evaluator.abort();
    if let Some(keeper) = keeper {
        keeper.abort();
    }
    if let Some(cluster) = &cluster {
        // The others claim this node's executions at once rather than after its lease.
        match cluster.leave().await {
            Ok(()) => tracing::info!("left the nodes serving the PostgreSQL database"),
            Err(error) => tracing::error!(%error, "cannot leave the cluster; its lease runs out"),
        }
    }
    if let Err(error) = runtime.observer().flush(runtime.store().as_ref()).await {
        tracing::error!(%error, "cannot store the last metrics");
    }
    tracing::info!("switchback stopped");
    Ok(())
}

/// Raises the soft limit on open files to the hard one: every connection is a file, and the
/// default soft limit (1,024 on many systems) is far below the 10,000 long-polling workers a
/// server should hold.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open files limit"),
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}

/// Writes the metrics recorded since the last flush, every second (see `runtime::observe`).
async fn flush_metrics_every_second(runtime: Runtime) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = runtime.observer().flush(runtime.store().as_ref()).await {
            tracing::error!(%error, "cannot store metrics");
        }
    }
}
