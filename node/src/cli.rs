//! Command-line interface.

use polkadot_sdk::{sc_cli, sc_service};

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
    /// Key management: generate, inspect and insert keys into the keystore.
    #[command(subcommand)]
    Key(sc_cli::KeySubcommand),

    /// Build a chain specification (deprecated; use `export-chain-spec`).
    #[deprecated(note = "build-spec will be removed; use export-chain-spec instead")]
    BuildSpec(sc_cli::BuildSpecCmd),

    /// Export a chain specification.
    ExportChainSpec(sc_cli::ExportChainSpecCmd),

    /// Validate blocks.
    CheckBlock(sc_cli::CheckBlockCmd),

    /// Export blocks.
    ExportBlocks(sc_cli::ExportBlocksCmd),

    /// Export the state of a given block into a chain spec.
    ExportState(sc_cli::ExportStateCmd),

    /// Import blocks.
    ImportBlocks(sc_cli::ImportBlocksCmd),

    /// Remove the whole chain.
    PurgeChain(sc_cli::PurgeChainCmd),

    /// Revert the chain to a previous state.
    Revert(sc_cli::RevertCmd),

    /// Print the database's metadata.
    ChainInfo(sc_cli::ChainInfoCmd),

    /// Benchmark the runtime (only in a node built with `--features runtime-benchmarks`).
    #[cfg(feature = "runtime-benchmarks")]
    #[command(subcommand)]
    Benchmark(BenchmarkSubcommand),
}

/// What `torus-node benchmark` measures.
#[cfg(feature = "runtime-benchmarks")]
#[derive(Debug, clap::Subcommand)]
pub enum BenchmarkSubcommand {
    /// Run the pallets' benchmarks in the runtime and write their `weights.rs`.
    Pallet(frame_benchmarking_cli::PalletCmd),
}

/// `torus-node` arguments: a subcommand, or the flags of a running node.
#[derive(Debug, clap::Parser)]
pub struct Cli {
    /// A subcommand; without one, the node runs.
    #[command(subcommand)]
    pub subcommand: Option<Subcommand>,

    /// Flags of the running node (chain, ports, keystore, database, ...).
    #[clap(flatten)]
    pub run: sc_cli::RunCmd,

    /// TEST ONLY: make this validator's keyholder misbehave, to exercise the DKG's complaints.
    /// Refused unless the chain is a development or local chain.
    #[arg(long, value_enum, value_name = "MISBEHAVIOR")]
    pub dkg_test_misbehavior: Option<crate::keyholder::Misbehavior>,

    /// Torus JSON-RPC API (validators): an address (e.g. `0.0.0.0:8545`) that serves the Torus
    /// API's four methods and `GET /health` only, so that the full RPC port never has to face
    /// the internet. Repeat for several addresses. Limits, CORS and proxy settings are those of
    /// the RPC port's `--rpc-*` flags.
    #[arg(long, value_name = "SOCKET_ADDR")]
    pub torus_api_addr: Vec<std::net::SocketAddr>,

    /// Torus JSON-RPC API (validators): the public URL at which clients reach this node's Torus
    /// API (e.g. `https://torus.example.com`, or the `--torus-api-addr` behind a proxy). The
    /// keyholder publishes it on chain (`dkg.set_endpoint`, signed with the DKG session key)
    /// whenever its key is in the committee, so that clients find the holders of their keys
    /// from any node (`torus_nodeDetails`). Default on development and local chains:
    /// `http://127.0.0.1:<--rpc-port>`; elsewhere nothing is published.
    #[arg(long, value_name = "URL")]
    pub torus_api_url: Option<String>,

    /// Torus JSON-RPC API (validators): requests per second allowed per verifier from one
    /// caller IP address (IPv6: per /64), per node (0: unlimited). Keyed per caller, so that
    /// one address cannot use up a popular verifier's requests for its other users;
    /// `--rpc-rate-limit-whitelisted-ips` (a dapp's backend) are exempt.
    #[arg(long, value_name = "PER_SECOND", default_value_t = 20)]
    pub torus_api_verifier_rate: u32,

    /// Torus JSON-RPC API (validators): the burst of requests allowed per verifier and caller
    /// above its rate.
    #[arg(long, value_name = "REQUESTS", default_value_t = 100)]
    pub torus_api_verifier_burst: u32,

    /// Torus JSON-RPC API (validators): requests per second allowed per caller IP address
    /// (IPv6: per /64), per node (0: unlimited). Behind a proxy, see
    /// `--rpc-rate-limit-trust-proxy-headers`; `--rpc-rate-limit-whitelisted-ips` are exempt.
    #[arg(long, value_name = "PER_SECOND", default_value_t = 20)]
    pub torus_api_ip_rate: u32,

    /// Torus JSON-RPC API (validators): the burst of requests allowed per caller IP address
    /// above its rate.
    #[arg(long, value_name = "REQUESTS", default_value_t = 100)]
    pub torus_api_ip_burst: u32,
}

/// The chain specs built into the binary, by the `--chain` name that selects them.
pub fn builtin_chain_spec(id: &str) -> Option<Result<Box<dyn sc_service::ChainSpec>, String>> {
    use crate::chain_spec;
    let spec = match id {
        "dev" => chain_spec::development(),
        "" | "local" => chain_spec::local_testnet(),
        _ => return None,
    };
    Some(spec.map(|s| Box::new(s) as Box<dyn sc_service::ChainSpec>))
}
