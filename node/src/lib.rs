//! The Torus node as a library: the node service, the chain specs, the command line, the RPC
//! and its server, the keyholder worker (the validator's part in the DKG that fills the key
//! buffer) and the id-token verification ([`id_token`]) that the RPC applies to logins.
//!
//! The `torus-node` binary is a thin wrapper around [`run`].

mod chain_spec;
mod cli;
// `sc_cli::Error` and `sc_service::Error` are polkadot-sdk's error types, large by design; the
// command and service functions return them as the SDK's traits require.
#[allow(clippy::result_large_err)]
mod command;
pub mod id_token;
mod keyholder;
pub mod node_details;
mod rpc;
#[allow(clippy::result_large_err)]
mod rpc_server;
#[allow(clippy::result_large_err)]
mod service;
pub mod torus_api;

pub use command::run;
