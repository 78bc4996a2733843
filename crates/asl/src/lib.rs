//! The Amazon States Language, as AWS Step Functions reads it.
//!
//! This crate is pure: it never reads the clock, draws randomness or does I/O. Whatever a
//! definition needs from outside (the current time, random numbers, UUIDs) comes in through the
//! [`Entropy`] trait or as plain arguments, so that running the same definition on the same
//! inputs always gives the same result.
//!
//! The pieces, in the order a definition meets them:
//! - [`validate`] reads a definition's text and reports every problem at once, as AWS's
//!   `ValidateStateMachineDefinition` does;
//! - [`model`] turns a valid definition into typed states;
//! - [`jsonpath`] and [`intrinsics`] evaluate the paths and `States.*` functions found in
//!   fields ending in `.$`;
//! - [`choice`] evaluates Choice rules, and [`dataflow`] applies InputPath, Parameters,
//!   ResultSelector, ResultPath and OutputPath.
//!
//! ```
//! use asl::jsonpath::Path;
//! use asl::validate::{validate, Options};
//!
//! let definition = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#;
//! let diagnostics = validate(definition, &Options::default());
//! assert_eq!(diagnostics[0].code, "MISSING_TRANSITION_TARGET");
//!
//! let path = Path::parse("$.order.items[0]").unwrap();
//! let input = serde_json::json!({"order": {"items": ["book"]}});
//! assert_eq!(path.select(&input), Some(serde_json::json!("book")));
//! ```

pub mod choice;
pub mod dataflow;
pub mod intrinsics;
pub mod jsonata;
pub mod jsonpath;
pub mod model;
pub mod references;
pub mod validate;

/// A runtime failure raised while evaluating part of a definition, named as AWS names it
/// (`States.Runtime`, `States.IntrinsicFailure`, ...) with AWS's cause text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error name, such as `States.IntrinsicFailure`.
    pub error: String,
    /// The human-readable cause.
    pub cause: String,
}

impl Failure {
    /// A failure with the given error name and cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Failure {
        Failure {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

/// The source of every value a definition draws by chance.
///
/// The runtime backs it with the operating system's randomness and records what was drawn; tests
/// and replays back it with a fixed sequence.
pub trait Entropy {
    /// Fills `buf` with random bytes.
    fn fill_bytes(&mut self, buf: &mut [u8]);

    /// A random `u64`.
    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    /// A random version-4 UUID in its canonical lowercase text form.
    fn uuid_v4(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.fill_bytes(&mut bytes);
        uuid_v4_text(bytes)
    }
}

/// The canonical lowercase text of the version-4 UUID drawn as `bytes` (the version and variant
/// bits are set here). Every execution name without one is such a UUID, so this is on the start
/// path: one allocation, no formatting machinery.
pub fn uuid_v4_text(mut bytes: [u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    text
}

/// An [`Entropy`] that yields a fixed, seeded sequence (SplitMix64), for tests and replays.
#[derive(Debug, Clone)]
pub struct SeededEntropy {
    state: u64,
}

impl SeededEntropy {
    /// A sequence that starts from `seed`.
    pub fn new(seed: u64) -> SeededEntropy {
        SeededEntropy { state: seed }
    }
}

impl Entropy for SeededEntropy {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let value = splitmix64(&mut self.state).to_le_bytes();
            chunk.copy_from_slice(&value[..chunk.len()]);
        }
    }
}

/// One step of SplitMix64: a tiny, well-known generator, enough for seeded
/// `States.MathRandom` and for test entropy; pulling in a random-number crate for it would add a
/// dependency to a crate that must stay pure.
pub fn splitmix64(state: &mut u64) -> u64 {
    splitmix_step(state)
}

/// A UUID-shaped name (version 4 layout) that depends only on `text` and `number`: for names
/// that a replay must give again. FNV-1a, widened to 128 bits by two splitmix rounds; only
/// distinctness matters, and unlike std's hasher it never changes between builds.
pub fn stable_uuid(text: &str, number: u64) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes().chain(number.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut state = hash;
    let high = splitmix_step(&mut state);
    let low = splitmix_step(&mut state);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        0x8000 | ((low >> 48) & 0x3fff),
        low & 0xffff_ffff_ffff
    )
}

fn splitmix_step(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
