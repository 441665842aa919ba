//! Assembles the node: client, database, transaction pool, network, Aura authoring, GRANDPA
//! finality, off-chain workers and RPC (served by [`crate::rpc_server`]).

use std::{sync::Arc, time::Duration};

use futures::FutureExt;
use polkadot_sdk::{
    sc_basic_authorship,
    sc_client_api::{Backend, BlockBackend, HeaderBackend, UsageProvider},
    sc_consensus,
    sc_consensus_aura::{self, ImportQueueParams, SlotProportion, StartAuraParams},
    sc_consensus_grandpa::{self, SharedVoterState},
    sc_executor, sc_informant, sc_network, sc_offchain, sc_rpc, sc_rpc_spec_v2,
    sc_service::{
        self, config::PrometheusConfig, error::Error as ServiceError, Configuration, TaskManager,
        WarpSyncConfig,
    },
    sc_sysinfo,
    sc_telemetry::{Telemetry, TelemetryWorker},
    sc_transaction_pool,
    sc_transaction_pool_api::OffchainTransactionPoolFactory,
    sp_consensus_aura::{self, sr25519::AuthorityPair as AuraPair},
    sp_io, sp_runtime, sp_session, sp_timestamp, substrate_prometheus_endpoint,
};
use torus_runtime::{apis::RuntimeApi, opaque::Block};

use crate::keyholder::{store::ShareStore, KeyholderParams, Misbehavior};

/// The client of a full node, executing the runtime in wasm.
pub type FullClient = sc_service::TFullClient<
    Block,
    RuntimeApi,
    sc_executor::WasmExecutor<sp_io::SubstrateHostFunctions>,
>;
type FullBackend = sc_service::TFullBackend<Block>;
type Pool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type GrandpaBlockImport =
    sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;
type GrandpaLinkHalf = sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>;

/// The most `transaction_v1_broadcast` operations one RPC connection may run at once.
const MAX_BROADCASTS_PER_CONNECTION: usize = 16;

/// Blocks between two GRANDPA justifications kept for light clients and warp sync.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// The parts of a node that subcommands (import, export, revert, ...) need too.
pub type Service = sc_service::PartialComponents<
    FullClient,
    FullBackend,
    FullSelectChain,
    sc_consensus::DefaultImportQueue<Block>,
    Pool,
    (GrandpaBlockImport, GrandpaLinkHalf, Option<Telemetry>),
>;

/// Builds the client, database, import queue and transaction pool.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
    let telemetry = config
        .telemetry_endpoints
        .clone()
        .filter(|x| !x.is_empty())
        .map(
            |endpoints| -> Result<_, polkadot_sdk::sc_telemetry::Error> {
                let worker = TelemetryWorker::new(16)?;
                let telemetry = worker.handle().new_telemetry(endpoints);
                Ok((worker, telemetry))
            },
        )
        .transpose()?;

    let executor = sc_service::new_wasm_executor::<sp_io::SubstrateHostFunctions>(&config.executor);
    let (client, backend, keystore_container, task_manager) =
        sc_service::new_full_parts::<Block, RuntimeApi, _>(
            config,
            telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
            executor,
            Vec::new(),
        )?;
    let client = Arc::new(client);

    let telemetry = telemetry.map(|(worker, telemetry)| {
        task_manager
            .spawn_handle()
            .spawn("telemetry", None, worker.run());
        telemetry
    });

    let select_chain = sc_consensus::LongestChain::new(backend.clone());

    let transaction_pool = Arc::from(
        sc_transaction_pool::Builder::new(
            task_manager.spawn_essential_handle(),
            client.clone(),
            config.role.is_authority().into(),
        )
        .with_options(config.transaction_pool.clone())
        .with_prometheus(config.prometheus_registry())
        .build(),
    );

    let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
        client.clone(),
        GRANDPA_JUSTIFICATION_PERIOD,
        &client,
        select_chain.clone(),
        telemetry.as_ref().map(|x| x.handle()),
    )?;

    let cidp_client = client.clone();
    let import_queue = sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(
        ImportQueueParams {
            block_import: grandpa_block_import.clone(),
            justification_import: Some(Box::new(grandpa_block_import.clone())),
            client: client.clone(),
            create_inherent_data_providers: move |parent_hash, _| {
                let cidp_client = cidp_client.clone();
                async move {
                    let slot_duration = sc_consensus_aura::standalone::slot_duration_at(
                        &*cidp_client,
                        parent_hash,
                    )?;
                    let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
                    let slot =
                        sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
                            *timestamp,
                            slot_duration,
                        );
                    Ok((slot, timestamp))
                }
            },
            spawner: &task_manager.spawn_essential_handle(),
            registry: config.prometheus_registry(),
            check_for_equivocation: Default::default(),
            telemetry: telemetry.as_ref().map(|x| x.handle()),
            compatibility_mode: Default::default(),
        },
    )?;

    Ok(sc_service::PartialComponents {
        client,
        backend,
        task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other: (grandpa_block_import, grandpa_link, telemetry),
    })
}

/// Builds and starts a full node (a validator when `--validator` or a dev key flag is given);
/// `misbehavior` is the keyholder's test-only misbehaviour (checked by the caller); `api` the
/// settings of the Torus JSON-RPC API that validators serve.
pub fn new_full<
    N: sc_network::NetworkBackend<Block, <Block as sp_runtime::traits::Block>::Hash>,
>(
    config: Configuration,
    misbehavior: Option<Misbehavior>,
    api: crate::torus_api::ApiSettings,
) -> Result<TaskManager, ServiceError> {
    let sc_service::PartialComponents {
        client,
        backend,
        mut task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other: (block_import, grandpa_link, mut telemetry),
    } = new_partial(&config)?;

    let mut net_config = sc_network::config::FullNetworkConfiguration::<
        Block,
        <Block as sp_runtime::traits::Block>::Hash,
        N,
    >::new(&config.network, config.prometheus_registry().cloned());
    let metrics = N::register_notification_metrics(config.prometheus_registry());

    let peer_store_handle = net_config.peer_store_handle();
    let genesis_hash = client
        .block_hash(0)
        .ok()
        .flatten()
        .ok_or_else(|| ServiceError::Other("the genesis block is missing".into()))?;
    let grandpa_protocol_name =
        sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);
    let (grandpa_protocol_config, grandpa_notification_service) =
        sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
            grandpa_protocol_name.clone(),
            metrics.clone(),
            peer_store_handle,
        );
    net_config.add_notification_protocol(grandpa_protocol_config);

    let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
        backend.clone(),
        grandpa_link.shared_authority_set().clone(),
        Vec::default(),
    ));

    let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
        sc_service::build_network(sc_service::BuildNetworkParams {
            config: &config,
            net_config,
            client: client.clone(),
            transaction_pool: transaction_pool.clone(),
            spawn_handle: task_manager.spawn_handle(),
            spawn_essential_handle: task_manager.spawn_essential_handle(),
            import_queue,
            block_announce_validator_builder: None,
            warp_sync_config: Some(WarpSyncConfig::WithProvider(warp_sync)),
            block_relay: None,
            metrics,
            gap_sync_body_policy: None,
        })?;

    if config.offchain_worker.enabled {
        let offchain_workers =
            sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
                runtime_api_provider: client.clone(),
                is_validator: config.role.is_authority(),
                keystore: Some(keystore_container.keystore()),
                offchain_db: backend.offchain_storage(),
                transaction_pool: Some(OffchainTransactionPoolFactory::new(
                    transaction_pool.clone(),
                )),
                network_provider: Arc::new(network.clone()),
                enable_http_requests: true,
                custom_extensions: |_| vec![],
            })?;
        task_manager.spawn_handle().spawn(
            "offchain-workers-runner",
            "offchain-worker",
            offchain_workers
                .run(client.clone(), task_manager.spawn_handle())
                .boxed(),
        );
    }

    let role = config.role;
    let force_authoring = config.force_authoring;
    let name = config.network.node_name.clone();
    let enable_grandpa = !config.disable_grandpa;
    let prometheus_registry = config.prometheus_registry().cloned();

    // Validators keep their key shares under the chain's directory, encrypted at rest.
    let share_store = if role.is_authority() {
        let dir = config
            .base_path
            .config_dir(config.chain_spec.id())
            .join("keyholder");
        Some(Arc::new(ShareStore::open(dir).map_err(|e| {
            ServiceError::Other(format!("cannot open the share store: {e}"))
        })?))
    } else {
        None
    };

    // Only validators serve the Torus API, so only they open its own listeners.
    let torus_api_listen = if role.is_authority() {
        api.listen.clone()
    } else {
        Vec::new()
    };
    let dkg_keys = Arc::new(crate::keyholder::keys::DkgKeys::new(
        keystore_container.local_keystore(),
    ));
    let rpc_extensions_builder = {
        let client = client.clone();
        let pool = transaction_pool.clone();
        let keyholder = share_store.clone().map(|store| (store, dkg_keys.clone()));
        // One API state (replay guards, rate limits) however often the RPC is built; its
        // replay journal beside the share store.
        let replay_journal = config
            .base_path
            .config_dir(config.chain_spec.id())
            .join("torus-api")
            .join("replay-guards");
        let torus_api = keyholder
            .clone()
            .map(|(store, keys)| {
                crate::torus_api::TorusApi::new(
                    client.clone(),
                    pool.clone(),
                    keys,
                    store,
                    &replay_journal,
                    &api,
                )
                .map(Arc::new)
            })
            .transpose()
            .map_err(|e| ServiceError::Other(format!("cannot open the Torus API's {e}")))?;
        Box::new(move |_| {
            let deps = crate::rpc::FullDeps {
                client: client.clone(),
                pool: pool.clone(),
                keyholder: keyholder.clone(),
                torus_api: torus_api.clone(),
            };
            crate::rpc::create_full(deps).map_err(Into::into)
        })
    };

    spawn_tasks(
        sc_service::SpawnTasksParams {
            network: network.clone(),
            client: client.clone(),
            keystore: keystore_container.keystore(),
            task_manager: &mut task_manager,
            transaction_pool: transaction_pool.clone(),
            rpc_builder: rpc_extensions_builder,
            backend,
            system_rpc_tx,
            tx_handler_controller,
            sync_service: sync_service.clone(),
            config,
            telemetry: telemetry.as_mut(),
            tracing_execute_block: None,
        },
        &torus_api_listen,
    )?;

    if let Some(store) = share_store {
        // The keyholder is a validator's duty: if it stops, the node stops.
        let keyholder = crate::keyholder::run(KeyholderParams {
            client: client.clone(),
            pool: transaction_pool.clone(),
            keys: dkg_keys,
            store,
            registry: prometheus_registry.clone(),
            misbehavior,
            public_url: api.public_url.clone().map(String::into_bytes),
        });
        task_manager.spawn_essential_handle().spawn_blocking(
            "keyholder",
            Some("keyholder"),
            keyholder,
        );
    }

    if role.is_authority() {
        let proposer_factory = sc_basic_authorship::ProposerFactory::new(
            task_manager.spawn_handle(),
            client.clone(),
            transaction_pool.clone(),
            prometheus_registry.as_ref(),
            telemetry.as_ref().map(|x| x.handle()),
        );

        let slot_duration = sc_consensus_aura::slot_duration(&*client)?;

        let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(
            StartAuraParams {
                slot_duration,
                client,
                select_chain,
                block_import,
                proposer_factory,
                create_inherent_data_providers: move |_, ()| async move {
                    let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
                    let slot =
                        sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
                            *timestamp,
                            slot_duration,
                        );
                    Ok((slot, timestamp))
                },
                force_authoring,
                backoff_authoring_blocks: Option::<()>::None,
                keystore: keystore_container.keystore(),
                sync_oracle: sync_service.clone(),
                justification_sync_link: sync_service.clone(),
                block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
                max_block_proposal_slot_portion: None,
                telemetry: telemetry.as_ref().map(|x| x.handle()),
                compatibility_mode: Default::default(),
            },
        )?;

        // Block authoring is essential: if it fails, the node stops.
        task_manager
            .spawn_essential_handle()
            .spawn_blocking("aura", Some("block-authoring"), aura);
    }

    if enable_grandpa {
        // Only an authority votes, so only an authority needs the keystore.
        let keystore = if role.is_authority() {
            Some(keystore_container.keystore())
        } else {
            None
        };

        let grandpa_config = sc_consensus_grandpa::Config {
            gossip_duration: Duration::from_millis(333),
            justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
            name: Some(name),
            observer_enabled: false,
            keystore,
            local_role: role,
            telemetry: telemetry.as_ref().map(|x| x.handle()),
            protocol_name: grandpa_protocol_name,
        };

        let grandpa_params = sc_consensus_grandpa::GrandpaParams {
            config: grandpa_config,
            link: grandpa_link,
            network,
            sync: Arc::new(sync_service),
            notification_service: grandpa_notification_service,
            voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
            prometheus_registry,
            shared_voter_state: SharedVoterState::empty(),
            telemetry: telemetry.as_ref().map(|x| x.handle()),
            offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
        };

        // The GRANDPA voter is essential: if it fails, the node stops.
        task_manager.spawn_essential_handle().spawn_blocking(
            "grandpa-voter",
            None,
            sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
        );
    }

    Ok(task_manager)
}

/// Starts what every node runs besides consensus — session keys of `--dev`, telemetry, the
/// transaction pool's notifications, Prometheus metrics, the informant and the RPC server — as
/// `sc_service::spawn_tasks` does, except that the RPC server is the node's own
/// ([`crate::rpc_server`]), which tells the Torus API each caller's IP address. (polkadot-sdk
/// offers no way to start that task set with another server, nor to build its RPC module
/// alone: `gen_rpc_module`'s parameters are private.)
fn spawn_tasks(
    params: sc_service::SpawnTasksParams<'_, Block, FullClient, Pool, (), FullBackend>,
    torus_api_only: &[std::net::SocketAddr],
) -> Result<(), ServiceError> {
    let sc_service::SpawnTasksParams {
        mut config,
        task_manager,
        client,
        backend,
        keystore,
        transaction_pool,
        rpc_builder,
        network,
        system_rpc_tx,
        tx_handler_controller,
        sync_service,
        telemetry,
        tracing_execute_block,
    } = params;
    let chain = client.usage_info().chain;
    sp_session::generate_initial_session_keys(
        client.clone(),
        chain.best_hash,
        config.dev_key_seed.clone().into_iter().collect(),
        keystore.clone(),
    )
    .map_err(|e| ServiceError::Application(Box::new(e)))?;

    let sysinfo = sc_sysinfo::gather_sysinfo();
    sc_sysinfo::print_sysinfo(&sysinfo);
    let telemetry = telemetry
        .map(|telemetry| {
            sc_service::init_telemetry(
                config.network.node_name.clone(),
                config.impl_name.clone(),
                config.impl_version.clone(),
                config.chain_spec.name().to_string(),
                config.role.is_authority(),
                network.clone(),
                client.clone(),
                telemetry,
                Some(sysinfo),
            )
        })
        .transpose()?;
    log::info!("📦 Highest known block at #{}", chain.best_number);

    let spawn = task_manager.spawn_handle();
    spawn.spawn(
        "txpool-notifications",
        Some("transaction-pool"),
        sc_transaction_pool::notification_future(
            client.clone(),
            transaction_pool.clone(),
            config.transaction_pool.use_all_block_notifications(),
        ),
    );
    spawn.spawn(
        "on-transaction-imported",
        Some("transaction-pool"),
        sc_service::propagate_transaction_notifications(
            transaction_pool.clone(),
            tx_handler_controller,
            telemetry.clone(),
        ),
    );
    let metrics = match config.prometheus_config.clone() {
        Some(PrometheusConfig { port, registry }) => {
            let metrics = sc_service::MetricsService::with_prometheus(
                telemetry,
                &registry,
                config.role,
                &config.network.node_name,
                &config.impl_version,
            )?;
            spawn.spawn(
                "prometheus-endpoint",
                None,
                substrate_prometheus_endpoint::init_prometheus(port, registry).map(drop),
            );
            metrics
        }
        None => sc_service::MetricsService::new(telemetry),
    };
    spawn.spawn(
        "telemetry-periodic-send",
        None,
        metrics.run(
            client.clone(),
            transaction_pool.clone(),
            network.clone(),
            sync_service.clone(),
        ),
    );

    let transaction_metrics = config
        .prometheus_registry()
        .map(sc_rpc_spec_v2::transaction::TransactionMetrics::new)
        .transpose()?;
    // Substrate's standard RPC (what `sc_service::spawn_tasks` serves), then the node's own.
    let registry = config.prometheus_registry().cloned();
    let genesis_hash = client.info().genesis_hash;
    let system_info = sc_rpc::system::SystemInfo {
        chain_name: config.chain_spec.name().into(),
        impl_name: config.impl_name.clone(),
        impl_version: config.impl_version.clone(),
        properties: config.chain_spec.properties(),
        chain_type: config.chain_spec.chain_type(),
    };
    // `archive_v1_*` needs every block's body and state.
    let archive = config
        .state_pruning
        .as_ref()
        .is_some_and(|pruning| pruning.is_archive())
        && config.blocks_pruning.is_archive();
    let rpc_server = crate::rpc_server::start(
        &mut config.rpc,
        torus_api_only,
        registry.as_ref(),
        |spawner| {
            use sc_rpc::{
                author::AuthorApiServer,
                chain::ChainApiServer,
                offchain::OffchainApiServer,
                state::{ChildStateApiServer, StateApiServer},
                system::SystemApiServer,
            };
            use sc_rpc_spec_v2::{
                archive::{self, ArchiveApiServer},
                bitswap::{self, BitswapApiServer},
                chain_head::{self, ChainHeadApiServer},
                chain_spec::{self, ChainSpecApiServer},
                transaction::{self, TransactionApiServer, TransactionBroadcastApiServer},
            };
            let (state, child_state) =
                sc_rpc::state::new_full(client.clone(), spawner.clone(), tracing_execute_block);
            let mut parts: Vec<jsonrpsee::Methods> = vec![
                sc_rpc::chain::new_full(client.clone(), spawner.clone())
                    .into_rpc()
                    .into(),
                state.into_rpc().into(),
                child_state.into_rpc().into(),
                sc_rpc::author::Author::new(
                    client.clone(),
                    transaction_pool.clone(),
                    keystore,
                    spawner.clone(),
                )
                .into_rpc()
                .into(),
                sc_rpc::system::System::new(system_info, system_rpc_tx)
                    .into_rpc()
                    .into(),
                transaction::Transaction::new(
                    client.clone(),
                    transaction_pool.clone(),
                    spawner.clone(),
                    transaction_metrics,
                )
                .into_rpc()
                .into(),
                transaction::TransactionBroadcast::new(
                    client.clone(),
                    transaction_pool.clone(),
                    spawner.clone(),
                    MAX_BROADCASTS_PER_CONNECTION,
                )
                .into_rpc()
                .into(),
                chain_head::ChainHead::new(
                    client.clone(),
                    backend.clone(),
                    spawner.clone(),
                    chain_head::ChainHeadConfig::default(),
                )
                .into_rpc()
                .into(),
                chain_spec::ChainSpec::new(
                    config.chain_spec.name().into(),
                    genesis_hash,
                    config.chain_spec.properties(),
                )
                .into_rpc()
                .into(),
                bitswap::Bitswap::new(client.clone(), sync_service.clone())
                    .into_rpc()
                    .into(),
            ];
            if let Some(storage) = backend.offchain_storage() {
                parts.push(sc_rpc::offchain::Offchain::new(storage).into_rpc().into());
            }
            if archive {
                parts.push(
                    archive::Archive::new(
                        client.clone(),
                        backend.clone(),
                        genesis_hash,
                        spawner.clone(),
                    )
                    .into_rpc()
                    .into(),
                );
            }
            parts.push(rpc_builder(spawner)?.into());
            let mut module = jsonrpsee::RpcModule::new(());
            for part in parts {
                module
                    .merge(part)
                    .map_err(|e| ServiceError::Application(e.into()))?;
            }
            Ok(module)
        },
    )?;

    spawn.spawn(
        "informant",
        None,
        sc_informant::build(client, network, sync_service),
    );
    task_manager.keep_alive((config.base_path, rpc_server));
    Ok(())
}
