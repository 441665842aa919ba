//! `torus-node`: the Torus validator node.
//!
//! A Substrate node for the Torus proof-of-stake chain: Aura block authoring, GRANDPA finality,
//! ParityDB storage, the standard JSON-RPC API and Prometheus metrics. `torus-node --dev` runs a
//! single-validator development chain with no other setup; `--chain local` is the four-validator
//! (Alice, Bob, Charlie, Dave) local network that `scripts/local-net.sh` starts.

// `sc_cli::Error` is polkadot-sdk's error type, large by design.
#[allow(clippy::result_large_err)]
fn main() -> polkadot_sdk::sc_cli::Result<()> {
    torus_node::run()
}
