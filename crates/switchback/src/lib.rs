//! The `switchback` command's library: what the subcommands do, kept apart from argument
//! parsing so that tests can call it directly.
//!
//! - [`local`] runs one execution in this process (`switchback run`, the conformance runner);
//! - [`conformance`] replays a LocalStack-format corpus recorded against AWS;
//! - [`locate`] maps a JSON pointer to the bytes of a definition, to underline problems;
//! - [`serve`] runs the Step Functions API server on the embedded SQLite store;
//! - [`demo`] runs the seed scenario, narrated, against a server in this process;
//! - [`deploy`] applies a SAM/CloudFormation template to a running server (`switchback deploy`);
//! - [`deployments`] is the client of a server's deployment operations (`switchback deployments`);
//! - [`stacks`] records stacks on the server and deletes them (`switchback stacks`);
//! - [`nodes`] lists the nodes serving a PostgreSQL database (`switchback nodes`);
//! - [`versions`] prints a state machine's versions and aliases as tables.

pub mod conformance;
pub mod demo;
pub mod deploy;
pub mod deployments;
pub mod local;
pub mod locate;
pub mod logs;
pub mod nodes;
pub mod serve;
pub mod stacks;
pub mod versions;
