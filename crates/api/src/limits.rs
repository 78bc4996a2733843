//! What requests may hold at once, so that a flood of them slows callers down instead of
//! taking the server's memory:
//! - a request in progress holds a slot; the slots for long polls (`GetActivityTask`, which
//!   waits up to 60 seconds for a task, and `StartSyncExecution`) are counted apart from the
//!   others, so that 10,000 waiting workers never keep a `StartExecution` out;
//! - a request body holds the bytes that have arrived of it, out of a budget shared by every
//!   request, until its response is ready. Bytes are charged as they arrive, not as announced:
//!   a client that announces a large body and sends nothing holds nothing (it is cut off at
//!   [`BODY_READ_TIMEOUT`]);
//! - a body must arrive within [`BODY_READ_TIMEOUT`].
//!
//! A request that finds no slot is answered at once with `ThrottlingException`, before its body
//! is read, and one whose body finds the budget spent is answered the same way as soon as it
//! does; every AWS SDK retries it with back-off.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body_util::BodyExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Error, MAX_BODY_BYTES};

/// Requests other than long polls in progress at once.
pub const MAX_REQUESTS: usize = 4_096;

/// Long polls in progress at once: 10,000 activity workers and some to spare.
pub const MAX_POLLS: usize = 12_000;

/// The request body bytes held at once: 256 of the largest.
pub const BODY_BUDGET_BYTES: usize = 256 * MAX_BODY_BYTES;

/// How long a client has to send a request body once its head arrived. A 1 MB body needs
/// only 35 KB/s to make it.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The message of the `ThrottlingException` a request over the limits gets.
const RATE_EXCEEDED: &str = "Rate exceeded";

/// The most bytes of a too-large body read (and dropped) before it is refused: a client that
/// writes its whole body before it reads gets the 413 instead of a broken pipe. Past this the
/// answer goes out at once and the connection is closed under the client.
pub const DRAIN_BYTES: u64 = 8 * MAX_BODY_BYTES as u64;

/// The counters the limits above are kept with; one per server.
#[derive(Debug)]
pub struct Limits {
    requests: Arc<Semaphore>,
    polls: Arc<Semaphore>,
    body_bytes: Arc<Semaphore>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::new(MAX_REQUESTS, MAX_POLLS, BODY_BUDGET_BYTES)
    }
}

/// The slot an admitted request holds until its response is ready.
#[derive(Debug)]
pub struct Admission {
    _slot: OwnedSemaphorePermit,
}

/// A body read whole, and its share of the budget (given back when this is dropped).
#[derive(Debug)]
pub struct ReadBody {
    /// The bytes.
    pub bytes: Bytes,
    _held: Option<OwnedSemaphorePermit>,
}

/// Reads `body` and drops it, until its end or `at_most` bytes.
async fn drain(mut body: Body, at_most: u64) {
    let mut read = 0u64;
    while read < at_most {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    read += data.len() as u64;
                }
            }
            _ => return,
        }
    }
}

impl Limits {
    /// Limits of the given sizes (smaller than the defaults in tests).
    pub fn new(requests: usize, polls: usize, body_bytes: usize) -> Limits {
        Limits {
            requests: Arc::new(Semaphore::new(requests)),
            polls: Arc::new(Semaphore::new(polls)),
            body_bytes: Arc::new(Semaphore::new(body_bytes)),
        }
    }

    /// Admits a request of `operation` whose head announces `content_length` body bytes, or
    /// says why not. A body announced larger than the service accepts is refused here, unread.
    pub fn admit(&self, operation: &str, content_length: Option<u64>) -> Result<Admission, Error> {
        if content_length.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
            return Err(Error::RequestTooLarge(MAX_BODY_BYTES));
        }
        let slots = if matches!(operation, "GetActivityTask" | "StartSyncExecution") {
            &self.polls
        } else {
            &self.requests
        };
        let slot = Arc::clone(slots)
            .try_acquire_owned()
            .map_err(|_| throttled(operation))?;
        Ok(Admission { _slot: slot })
    }

    /// Reads and drops a body refused for its announced length, when that is at most
    /// [`DRAIN_BYTES`], for as long as the body deadline allows.
    pub async fn drain_refused(body: Body, content_length: Option<u64>) {
        if content_length.is_some_and(|length| length <= DRAIN_BYTES) {
            let _ = tokio::time::timeout(BODY_READ_TIMEOUT, drain(body, DRAIN_BYTES)).await;
        }
    }

    /// Reads a whole request body: at most [`MAX_BODY_BYTES`], within [`BODY_READ_TIMEOUT`],
    /// each piece charged to the budget as it arrives.
    pub async fn read_body(&self, body: Body) -> Result<ReadBody, Error> {
        match tokio::time::timeout(BODY_READ_TIMEOUT, self.collect(body)).await {
            Ok(read) => read,
            Err(_) => Err(Error::RequestTimeout(BODY_READ_TIMEOUT.as_secs())),
        }
    }

    async fn collect(&self, mut body: Body) -> Result<ReadBody, Error> {
        let mut held: Option<OwnedSemaphorePermit> = None;
        let mut parts: Vec<Bytes> = Vec::new();
        let mut length = 0usize;
        while let Some(frame) = body.frame().await {
            // A body the client stopped sending in the middle: nothing to answer it with but
            // what a cut-off body is.
            let frame = frame.map_err(|_| Error::RequestTooLarge(MAX_BODY_BYTES))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if data.is_empty() {
                continue;
            }
            length += data.len();
            if length > MAX_BODY_BYTES {
                drop(parts);
                drain(body, DRAIN_BYTES.saturating_sub(length as u64)).await;
                return Err(Error::RequestTooLarge(MAX_BODY_BYTES));
            }
            let charge = Arc::clone(&self.body_bytes)
                .try_acquire_many_owned(data.len() as u32)
                .map_err(|_| throttled("(body)"))?;
            match &mut held {
                Some(held) => held.merge(charge),
                None => held = Some(charge),
            }
            parts.push(data);
        }
        let bytes = match parts.len() {
            0 => Bytes::new(),
            1 => parts.remove(0),
            _ => Bytes::from(parts.concat()),
        };
        Ok(ReadBody { bytes, _held: held })
    }
}

fn throttled(operation: &str) -> Error {
    tracing::debug!(operation, "request refused: the server is at its limits");
    Error::Throttling(RATE_EXCEEDED.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_over_the_slots_is_throttled_and_a_freed_slot_admits_the_next() {
        let limits = Limits::new(2, 1, 1 << 20);
        let first = limits.admit("StartExecution", Some(10)).unwrap();
        let _second = limits.admit("ListActivities", Some(0)).unwrap();
        let refused = limits.admit("StartExecution", Some(10)).unwrap_err();
        assert_eq!(refused.code(), "ThrottlingException");
        assert_eq!(refused.message(), "Rate exceeded");
        // Polls have their own slots.
        let poll = limits.admit("GetActivityTask", Some(40)).unwrap();
        assert!(limits.admit("GetActivityTask", Some(40)).is_err());
        drop(first);
        drop(poll);
        limits.admit("StartExecution", Some(10)).unwrap();
        limits.admit("GetActivityTask", Some(40)).unwrap();
    }

    #[tokio::test]
    async fn bodies_share_one_budget_charged_by_what_arrived() {
        let limits = Limits::new(100, 100, 1_000);
        // Announcing a large body holds nothing: only what arrives is charged.
        let _announced = limits.admit("StartExecution", Some(900)).unwrap();
        let first = limits.read_body(Body::from(vec![b' '; 600])).await.unwrap();
        assert_eq!(first.bytes.len(), 600);
        let refused = limits
            .read_body(Body::from(vec![b' '; 600]))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "ThrottlingException");
        // What a refused body had charged is given back, and so is a body that was answered.
        let second = limits.read_body(Body::from(vec![b' '; 400])).await.unwrap();
        drop(first);
        drop(second);
        limits
            .read_body(Body::from(vec![b' '; 1_000]))
            .await
            .unwrap();
        // An empty body needs no budget.
        assert!(
            limits
                .read_body(Body::empty())
                .await
                .unwrap()
                .bytes
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_body_larger_than_the_service_accepts_is_refused() {
        let limits = Limits::default();
        let refused = limits
            .admit("StartExecution", Some(MAX_BODY_BYTES as u64 + 1))
            .unwrap_err();
        assert_eq!(refused.code(), "RequestEntityTooLargeException");
        let refused = limits
            .read_body(Body::from(vec![b' '; MAX_BODY_BYTES + 1]))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "RequestEntityTooLargeException");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_arrives_times_out() {
        let limits = Limits::default();
        // The sender is kept and never used: the body never ends.
        let (_sender, body) =
            http_body_util::channel::Channel::<Bytes, std::convert::Infallible>::new(1);
        let refused = limits.read_body(Body::new(body)).await.unwrap_err();
        assert_eq!(refused.code(), "RequestTimeoutException");
    }
}
