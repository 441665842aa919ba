//! Parses the command line and runs the node or the chosen subcommand.

use std::path::PathBuf;

use polkadot_sdk::{
    sc_cli::{self, SubstrateCli},
    sc_consensus_grandpa, sc_network,
    sc_service::{self, PartialComponents},
    sp_runtime::traits::Block as BlockT,
};
use torus_runtime::opaque::Block;

use crate::{
    chain_spec::ChainSpec,
    cli::{builtin_chain_spec, Cli, Subcommand},
    service,
};

impl SubstrateCli for Cli {
    fn impl_name() -> String {
        "Torus Node".into()
    }

    fn impl_version() -> String {
        env!("SUBSTRATE_CLI_IMPL_VERSION").into()
    }

    fn description() -> String {
        env!("CARGO_PKG_DESCRIPTION").into()
    }

    fn author() -> String {
        env!("CARGO_PKG_AUTHORS").into()
    }

    fn support_url() -> String {
        "https://github.com/torus-network/torus/issues".into()
    }

    fn copyright_start_year() -> i32 {
        2026
    }

    fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
        builtin_chain_spec(id)
            .unwrap_or_else(|| Ok(Box::new(ChainSpec::from_json_file(PathBuf::from(id))?)))
    }
}

/// Runs the node, or the subcommand given on the command line.
/// Log directives appended after the operator's own (the last directive for a target wins):
/// Substrate's RPC metrics middleware writes every call's parameters and result at `trace`
/// under these targets, which for the Torus API are id tokens and encrypted shares, so they
/// are kept at `info` (where that middleware writes nothing; its timings are in the
/// `substrate_rpc_*` Prometheus metrics). `crate::rpc_server` logs calls itself, redacted.
const REDACTED_LOG_TARGETS: [&str; 2] = ["rpc_metrics=info", "rpc_metrics::extra=off"];

pub fn run() -> sc_cli::Result<()> {
    let mut cli = Cli::from_args();
    cli.run
        .shared_params
        .log
        .extend(REDACTED_LOG_TARGETS.map(String::from));

    match &cli.subcommand {
        Some(Subcommand::Key(cmd)) => cmd.run(&cli),
        #[allow(deprecated)]
        Some(Subcommand::BuildSpec(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
        }
        Some(Subcommand::ExportChainSpec(cmd)) => {
            let chain_spec = cli.load_spec(&cmd.chain)?;
            cmd.run(chain_spec)
        }
        Some(Subcommand::CheckBlock(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    import_queue,
                    ..
                } = service::new_partial(&config)?;
                Ok((cmd.run(client, import_queue), task_manager))
            })
        }
        Some(Subcommand::ExportBlocks(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    ..
                } = service::new_partial(&config)?;
                Ok((cmd.run(client, config.database), task_manager))
            })
        }
        Some(Subcommand::ExportState(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    ..
                } = service::new_partial(&config)?;
                Ok((cmd.run(client, config.chain_spec), task_manager))
            })
        }
        Some(Subcommand::ImportBlocks(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    import_queue,
                    ..
                } = service::new_partial(&config)?;
                Ok((cmd.run(client, import_queue), task_manager))
            })
        }
        Some(Subcommand::PurgeChain(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run(config.database))
        }
        Some(Subcommand::Revert(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    backend,
                    ..
                } = service::new_partial(&config)?;
                let aux_revert = Box::new(|client, _, blocks| {
                    sc_consensus_grandpa::revert(client, blocks)?;
                    Ok(())
                });
                Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
            })
        }
        Some(Subcommand::ChainInfo(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run::<Block>(&config))
        }
        #[cfg(feature = "runtime-benchmarks")]
        Some(Subcommand::Benchmark(crate::cli::BenchmarkSubcommand::Pallet(cmd))) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| {
                cmd.run_with_spec::<polkadot_sdk::sp_runtime::traits::HashingFor<Block>, ()>(Some(
                    config.chain_spec,
                ))
            })
        }
        None => {
            let runner = cli.create_runner(&cli.run)?;
            let misbehavior = cli.dkg_test_misbehavior;
            if let Some(url) = &cli.torus_api_url {
                if !torus_primitives::dkg::is_valid_endpoint(url.as_bytes()) {
                    return Err(sc_cli::Error::Input(format!(
                        "--torus-api-url {url:?} is not an http:// or https:// URL of at most {} printable ASCII characters",
                        torus_primitives::dkg::MAX_ENDPOINT_LEN
                    )));
                }
            }
            let api = crate::torus_api::ApiSettings {
                listen: cli.torus_api_addr.clone(),
                public_url: cli.torus_api_url.clone(),
                verifier_rate: cli.torus_api_verifier_rate,
                verifier_burst: cli.torus_api_verifier_burst,
                ip_rate: cli.torus_api_ip_rate,
                ip_burst: cli.torus_api_ip_burst,
            };
            runner.run_node_until_exit(|config| async move {
                let test_chain = matches!(
                    config.chain_spec.chain_type(),
                    sc_service::ChainType::Development | sc_service::ChainType::Local
                );
                let mut api = api;
                if api.public_url.is_none() && test_chain {
                    // Development and local chains run on this machine: publish the RPC port.
                    let port = config
                        .rpc
                        .addr
                        .as_ref()
                        .and_then(|endpoints| endpoints.first())
                        .map_or(config.rpc.port, |endpoint| endpoint.listen_addr.port());
                    api.public_url = Some(format!("http://127.0.0.1:{port}"));
                }
                if misbehavior.is_some() && !test_chain {
                    return Err(sc_cli::Error::Input(
                        "--dkg-test-misbehavior is honoured only on development and local chains"
                            .into(),
                    ));
                }
                match config.network.network_backend {
                    sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
                        sc_network::NetworkWorker<Block, <Block as BlockT>::Hash>,
                    >(
                        config,
                        misbehavior,
                        api.clone(),
                    )
                    .map_err(sc_cli::Error::Service),
                    sc_network::config::NetworkBackendType::Litep2p => {
                        service::new_full::<sc_network::Litep2pNetworkBackend>(
                            config,
                            misbehavior,
                            api.clone(),
                        )
                        .map_err(sc_cli::Error::Service)
                    }
                }
            })
        }
    }
}
