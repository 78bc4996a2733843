//! What requests may hold at once, so that a flood of them slows callers down instead of
//! taking the server's memory:
//! - a request in progress holds a slot; the slots for long polls (`GetActivityTask`, which
//!   waits up to 60 seconds for a task, and `StartSyncExecution`) are counted apart from the
//!   others, so that 10,000 waiting workers never keep a `StartExecution` out;
//! - a request body being read holds its length (from `Content-Length`; a body of unknown
//!   length holds the most it may grow to) out of a budget shared by every request;
//! - a body must arrive within [`BODY_READ_TIMEOUT`].
//!
//! A request that finds no slot or no budget left is answered at once with
//! `ThrottlingException`, before its body is read, which every AWS SDK retries with back-off.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Error, MAX_BODY_BYTES};

/// Requests other than long polls in progress at once.
pub const MAX_REQUESTS: usize = 4_096;

/// Long polls in progress at once: 10,000 activity workers and some to spare.
pub const MAX_POLLS: usize = 12_000;

/// The request bodies being read or held at once, in bytes: 256 of the largest.
pub const BODY_BUDGET_BYTES: usize = 256 * MAX_BODY_BYTES;

/// How long a client has to send a request body once its head arrived. A 1 MB body needs
/// only 35 KB/s to make it.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The message of the `ThrottlingException` a request over the limits gets.
const RATE_EXCEEDED: &str = "Rate exceeded";

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

/// What an admitted request holds until its response is ready.
#[derive(Debug)]
pub struct Admission {
    _slot: OwnedSemaphorePermit,
    _body: Option<OwnedSemaphorePermit>,
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
    /// says why not. A body larger than the service accepts is refused here, unread.
    pub fn admit(&self, operation: &str, content_length: Option<u64>) -> Result<Admission, Error> {
        let body = match content_length {
            Some(length) if length > MAX_BODY_BYTES as u64 => {
                return Err(Error::RequestTooLarge(MAX_BODY_BYTES));
            }
            Some(length) => length as usize,
            None => MAX_BODY_BYTES,
        };
        let slots = if matches!(operation, "GetActivityTask" | "StartSyncExecution") {
            &self.polls
        } else {
            &self.requests
        };
        let slot = Arc::clone(slots)
            .try_acquire_owned()
            .map_err(|_| throttled(operation))?;
        let body = match body {
            0 => None,
            bytes => Some(
                Arc::clone(&self.body_bytes)
                    .try_acquire_many_owned(u32::try_from(bytes).unwrap_or(u32::MAX))
                    .map_err(|_| throttled(operation))?,
            ),
        };
        Ok(Admission {
            _slot: slot,
            _body: body,
        })
    }
}

fn throttled(operation: &str) -> Error {
    tracing::warn!(operation, "request refused: the server is at its limits");
    Error::Throttling(RATE_EXCEEDED.to_owned())
}

/// Reads a whole request body: at most [`MAX_BODY_BYTES`], within [`BODY_READ_TIMEOUT`].
pub async fn read_body(body: Body) -> Result<Bytes, Error> {
    match tokio::time::timeout(
        BODY_READ_TIMEOUT,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(Error::RequestTooLarge(MAX_BODY_BYTES)),
        Err(_) => Err(Error::RequestTimeout(BODY_READ_TIMEOUT.as_secs())),
    }
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

    #[test]
    fn bodies_share_one_budget_and_an_unknown_length_holds_the_largest() {
        let limits = Limits::new(100, 100, 2 * MAX_BODY_BYTES);
        let unknown = limits.admit("StartExecution", None).unwrap();
        let known = limits
            .admit("StartExecution", Some(MAX_BODY_BYTES as u64))
            .unwrap();
        assert_eq!(
            limits.admit("StartExecution", Some(1)).unwrap_err().code(),
            "ThrottlingException"
        );
        // An empty body needs no budget.
        limits.admit("ListActivities", Some(0)).unwrap();
        drop(unknown);
        drop(known);
        limits
            .admit("StartExecution", Some(MAX_BODY_BYTES as u64))
            .unwrap();
    }

    #[test]
    fn a_body_announced_larger_than_the_service_accepts_is_refused_unread() {
        let limits = Limits::default();
        let refused = limits
            .admit("StartExecution", Some(MAX_BODY_BYTES as u64 + 1))
            .unwrap_err();
        assert_eq!(refused.code(), "RequestEntityTooLargeException");
    }
}
