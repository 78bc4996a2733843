//! SAM and CloudFormation templates, read and planned: the pure core of `switchback deploy`.
//!
//! [`plan`] takes a template's text and returns a [`Plan`](plan::Plan) — the typed resources
//! Switchback must create (state machines, versions, aliases, activities, alarms, log groups) in
//! dependency order — or every problem at once, each naming the file, line and column, in AWS's
//! or SAM's words where they have some. [`diff::diff`] compares two plans into the changes a
//! deploy makes. The stages:
//!
//! 1. [`load`]: YAML (short-form tags become long forms) or JSON into a `serde_json::Value` with
//!    a position for each JSON pointer.
//! 2. `Parameters` (overrides, defaults, constraints) and the SAM transform ([`sam`]), which
//!    expands `AWS::Serverless::StateMachine` and names what it generates as SAM does.
//! 3. `Conditions`, then each resource in dependency order: intrinsics resolved (`resolve`), then
//!    read into the typed model, the definition checked by `asl`'s validator.
//!
//! The crate does no I/O: `DefinitionUri` files are read through [`Files`], injected. It never
//! reads the clock or draws randomness: names CloudFormation would draw at random
//! (`<stack>-<LogicalId>-<SUFFIX>`) are derived from the stack name and the logical id, so a
//! re-deploy finds the same resources. No input panics (a proptest feeds it arbitrary text).

pub mod diagnostic;
pub mod diff;
pub mod load;
pub mod plan;
pub mod sam;

mod build;
mod resolve;

pub use build::{NO_ECHO_MASK, Options, parse_overrides, plan};
pub use diagnostic::{Diagnostic, Location, Severity};
pub use diff::{Action, Change, Changes, diff};
pub use sam::Files;
