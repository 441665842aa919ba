//! The chain specs built into the node: `dev` (one validator) and `local` (four validators).

use polkadot_sdk::{sc_service::ChainType, sp_genesis_builder};
use torus_runtime::WASM_BINARY;

/// A chain spec whose genesis is built by the runtime from a named preset.
pub type ChainSpec = polkadot_sdk::sc_service::GenericChainSpec;

fn token_properties() -> polkadot_sdk::sc_service::Properties {
    let mut properties = polkadot_sdk::sc_service::Properties::new();
    properties.insert("tokenSymbol".into(), "TORUS".into());
    properties.insert("tokenDecimals".into(), 12.into());
    properties.insert("ss58Format".into(), 42.into());
    properties
}

fn from_preset(
    name: &str,
    id: &str,
    chain_type: ChainType,
    preset: &str,
) -> Result<ChainSpec, String> {
    let wasm = WASM_BINARY.ok_or_else(|| "the runtime's wasm binary was not built".to_string())?;
    Ok(ChainSpec::builder(wasm, None)
        .with_name(name)
        .with_id(id)
        .with_chain_type(chain_type)
        .with_genesis_config_preset_name(preset)
        .with_properties(token_properties())
        .build())
}

/// Single-validator development chain (Alice); what `--dev` runs.
pub fn development() -> Result<ChainSpec, String> {
    from_preset(
        "Torus Development",
        "torus_dev",
        ChainType::Development,
        sp_genesis_builder::DEV_RUNTIME_PRESET,
    )
}

/// Four-validator local network (Alice, Bob, Charlie, Dave).
pub fn local_testnet() -> Result<ChainSpec, String> {
    from_preset(
        "Torus Local Testnet",
        "torus_local",
        ChainType::Local,
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
    )
}
