//! The Torus node as a library: the node service, the chain specs, the command line, the RPC
//! and the id-token verification ([`id_token`]) that the RPC applies to logins.
//!
//! The `torus-node` binary is a thin wrapper around [`run`].

mod chain_spec;
mod cli;
mod command;
pub mod id_token;
mod rpc;
mod service;

pub use command::run;
