//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (Alice, Bob,
//! Charlie and Dave, each bonded as a validator).

use crate::*;

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_staking::StakerStatus;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Free balance of every endowed development account.
pub const ENDOWMENT: Balance = 1_000_000 * UNIT;
/// What each genesis validator bonds.
pub const VALIDATOR_BOND: Balance = 100_000 * UNIT;
/// How many validators each era's election picks, leaving room for validators that join.
pub const VALIDATOR_COUNT: u32 = 16;

/// One genesis validator: its stash account and session keys.
struct GenesisValidator {
    stash: AccountId,
    keys: SessionKeys,
}

/// The DKG (secp256k1) public keys of `//Alice`, `//Bob`, `//Charlie` and `//Dave`: there is no
/// ECDSA keyring that works in the runtime, so they are written out (a test derives them).
pub const DEV_DKG_KEYS: [(&str, [u8; 33]); 4] = [
    (
        "Alice",
        hex_literal::hex!("020a1091341fe5664bfa1782d5e04779689068c916b04cb365ec3153755684d9a1"),
    ),
    (
        "Bob",
        hex_literal::hex!("0390084fdbf27d2b79d26a4f13f0ccd982cb755a661969143c37cbc49ef5b91f27"),
    ),
    (
        "Charlie",
        hex_literal::hex!("0389411795514af1627765eceffcbd002719f031604fadd7d188e2dc585b4e1afb"),
    ),
    (
        "Dave",
        hex_literal::hex!("03bc9d0ca094bd5b8b3225d7651eac5d18c1c04bf8ae8f8b263eebca4e1410ed0c"),
    ),
];

/// Keys the DKG of the test chains keeps ready in the buffer.
pub const DKG_TARGET_BUFFER: u64 = 1024;
/// Keys per DKG batch on the test chains.
pub const DKG_BATCH_SIZE: u32 = 256;
/// DKG batches (fresh or handovers) that run at once on the test chains (the runtime's most):
/// a batch lasts three to five blocks and up to eight start per block.
pub const DKG_CONCURRENT_BATCHES: u32 = 32;
/// Blocks each DKG phase may last on the test chains (phases end early when every member has
/// acted; the deadline matters only when one is offline).
pub const DKG_PHASE_TIMEOUT: BlockNumber = 8;
/// The test chains refresh every key once an era (two sessions of `SESSION_LENGTH` blocks).
pub const DKG_REFRESH_INTERVAL: BlockNumber = 2 * crate::SESSION_LENGTH;
/// The announcement delay of verifier changes on the test chains: 10 blocks (30 s), so that
/// tests can watch a change take effect.
pub const VERIFIER_CONFIG_DELAY: BlockNumber = 10;

/// A development validator whose account and keys all derive from `//Name` (`dkg`: the index
/// of its DKG key in [`DEV_DKG_KEYS`]).
fn dev_validator(sr: Sr25519Keyring, ed: Ed25519Keyring, dkg: usize) -> GenesisValidator {
    GenesisValidator {
        stash: sr.to_account_id(),
        keys: SessionKeys {
            aura: AuraId::from(sr.public()),
            grandpa: GrandpaId::from(ed.public()),
            dkg: torus_primitives::dkg::DkgId::from(sp_core::ecdsa::Public::from_raw(
                DEV_DKG_KEYS[dkg].1,
            )),
        },
    }
}

fn genesis(validators: Vec<GenesisValidator>, endowed: Vec<AccountId>, root: AccountId) -> Value {
    build_struct_json_patch!(RuntimeGenesisConfig {
        balances: BalancesConfig {
            balances: endowed
                .iter()
                .cloned()
                .map(|a| (a, ENDOWMENT))
                .collect::<Vec<_>>(),
        },
        session: SessionConfig {
            keys: validators
                .iter()
                .map(|v| (v.stash.clone(), v.stash.clone(), v.keys.clone()))
                .collect::<Vec<_>>(),
        },
        staking: StakingConfig {
            validator_count: VALIDATOR_COUNT,
            minimum_validator_count: 1,
            invulnerables: validators
                .iter()
                .map(|v| v.stash.clone())
                .collect::<Vec<_>>(),
            stakers: validators
                .iter()
                .map(|v| (
                    v.stash.clone(),
                    v.stash.clone(),
                    VALIDATOR_BOND,
                    StakerStatus::Validator
                ))
                .collect::<Vec<_>>(),
        },
        sudo: SudoConfig { key: Some(root) },
        dkg: DkgConfig {
            target_buffer: DKG_TARGET_BUFFER,
            batch_size: DKG_BATCH_SIZE,
            max_concurrent_batches: DKG_CONCURRENT_BATCHES,
            deal_timeout: DKG_PHASE_TIMEOUT,
            verify_timeout: DKG_PHASE_TIMEOUT,
            refresh_interval: DKG_REFRESH_INTERVAL,
        },
        verifiers: VerifiersConfig {
            config_delay: VERIFIER_CONFIG_DELAY,
        },
    })
}

fn endowed_dev_accounts() -> Vec<AccountId> {
    Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// Single validator (Alice) for `--dev`.
pub fn development_config_genesis() -> Value {
    genesis(
        vec![dev_validator(
            Sr25519Keyring::Alice,
            Ed25519Keyring::Alice,
            0,
        )],
        endowed_dev_accounts(),
        Sr25519Keyring::Alice.to_account_id(),
    )
}

/// Four validators, Alice to Dave, for a local network.
pub fn local_config_genesis() -> Value {
    genesis(
        vec![
            dev_validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice, 0),
            dev_validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob, 1),
            dev_validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie, 2),
            dev_validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave, 3),
        ],
        endowed_dev_accounts(),
        Sr25519Keyring::Alice.to_account_id(),
    )
}

/// The JSON of a named preset, if this runtime has it.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
        _ => return None,
    };
    Some(
        serde_json::to_string(&patch)
            .expect("serialization to json is expected to work. qed.")
            .into_bytes(),
    )
}

/// The names of the presets this runtime has.
pub fn preset_names() -> Vec<PresetId> {
    vec![
        PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
        PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sp_core::{ecdsa, Pair};

    #[test]
    fn the_dev_dkg_keys_derive_from_the_dev_seeds() {
        for (name, public) in DEV_DKG_KEYS {
            let pair = ecdsa::Pair::from_string(&alloc::format!("//{name}"), None).unwrap();
            assert_eq!(pair.public().0, public, "{name}");
        }
    }
}
