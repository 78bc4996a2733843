//! Gradual deployments of an alias, pure: the weighted draw that routes an execution through an
//! alias, and the rollout reducer that moves an alias from its current version to a target
//! version (CANARY, LINEAR, ALL_AT_ONCE) while watching alarms, rolling back when one fires
//! (`spec/aws-semantics.md` §1.3–1.4, §2.2–2.3; issue 6).
//!
//! The crate never reads the clock, draws no randomness, does no I/O and depends on no async
//! runtime, HTTP stack or database (`scripts/check-purity`). `now` and the random draw are
//! arguments; the caller (the runtime) reads the alias and the alarms, persists each step,
//! performs the effects, and schedules the ticks on the server's (scaled) clock.
//!
//! * [`routing`] — [`Routing`] (one or two versions, weights summing to 100, AWS's checks) and
//!   [`Routing::pick`], the weighted draw from a random `u64`.
//! * [`preference`] — [`Preference`] and [`Kind`]: the schema's rules ([`Preference::validate`])
//!   and the handler's ([`Preference::handler_check`]), with AWS's messages.
//! * [`rollout`] — [`Deployment`], the reducer: [`Input`] in, [`Step`] (timeline [`Entry`]s and
//!   [`Effect`]s) out. Its module docs describe the protocol and where Switchback goes past
//!   AWS (ALL_AT_ONCE watching its alarms, bake time, stop and promote by hand).
//! * [`format`] — the versioned JSON of a deployment's state and of its inputs.
//!
//! # Example
//!
//! ```
//! use deploy::{Deployment, Effect, Input, Kind, Preference, Routing, Spec, Status};
//!
//! let mut deployment = Deployment::new(Spec {
//!     alias_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:Orders:main".into(),
//!     target: 2,
//!     preference: Preference {
//!         interval_minutes: Some(2),
//!         percentage: Some(50),
//!         alarms: Some(vec!["main-failures".into()]),
//!         ..Preference::new(Kind::Linear)
//!     },
//! })
//! .unwrap();
//! let t0 = 1_795_687_200_000;
//! let step = deployment.apply(Input::Start { routing: Routing::single(1) }, t0).unwrap();
//! assert!(matches!(step.effects[..], [Effect::ScheduleTick { at_ms, .. }] if at_ms == t0));
//!
//! // The first tick: no alarm in ALARM, so the first shift happens at once.
//! let step = deployment
//!     .apply(Input::Tick { routing: Routing::single(1), alarms: vec![] }, t0)
//!     .unwrap();
//! assert!(matches!(&step.effects[0], Effect::SetRouting { routing } if routing.weight_of(2) == 50));
//! assert_eq!(deployment.status(), Status::InProgress);
//! assert_eq!(deployment.next_tick_ms(), Some(t0 + 60_000));
//!
//! // Whoever runs executions through the alias draws the version with a recorded random value.
//! let routing = deployment.expected_routing().unwrap();
//! assert_eq!(routing.pick(0), 1);
//! assert_eq!(routing.pick(u64::MAX), 2);
//! ```

mod error;
pub mod format;
pub mod preference;
pub mod rollout;
pub mod routing;

pub use error::Error;
pub use preference::{Kind, MAX_DEPLOYMENT_MINUTES, Preference};
pub use rollout::{
    AlarmReading, AlarmState, CHECK_PERIOD_MS, Deployment, Effect, Entry, Event, Input, Outcome,
    Spec, Status, Step,
};
pub use routing::{Route, Routing};
