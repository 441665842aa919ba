//! Weights for `pallet_verifiers`.
//!
//! **PROVISIONAL.** These numbers were NOT produced by the benchmark CLI (the node has no
//! `benchmark pallet` command yet). They are upper bounds derived by hand from the storage
//! reads and writes of each call (counted in the comments), a generous 50 µs of execution for
//! decoding and validating a worst-case (~15 KiB) verifier configuration, and proof sizes from
//! the `MaxEncodedLen` of the touched items. Replace this file with the output of
//! `torus-node benchmark pallet --pallet pallet_verifiers --extrinsic '*'` once it exists; the
//! benchmarks in `benchmarking.rs` already cover every call.

#![allow(unused_parens)]
#![allow(unused_imports)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_verifiers`.
pub trait WeightInfo {
    /// Weight of `register`.
    fn register() -> Weight;
    /// Weight of `update_config`.
    fn update_config() -> Weight;
    /// Weight of `rotate_jwks`.
    fn rotate_jwks() -> Weight;
    /// Weight of `add_jwk`.
    fn add_jwk() -> Weight;
    /// Weight of `remove_jwk`.
    fn remove_jwk() -> Weight;
    /// Weight of `transfer_ownership`.
    fn transfer_ownership() -> Weight;
    /// Weight of `remove`.
    fn remove() -> Weight;
}

/// Execution time allowed for decoding and checking one worst-case configuration.
const BASE_REF_TIME: u64 = 50_000_000;
/// Proof size of one `Verifiers` entry (key + `MaxEncodedLen` of the record, rounded up).
const VERIFIER_PROOF: u64 = 16_000;
/// Proof size of one `RetiredNames` entry.
const RETIRED_PROOF: u64 = 200;
/// Proof size of `System::Account` plus `Balances::Holds` of one account.
const HOLD_PROOF: u64 = 8_000;

/// Provisional weights for a runtime, using its database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    /// Storage: `Verifiers::Verifiers` (r:1 w:1), `Verifiers::RetiredNames` (r:1 w:1),
    /// `System::Account` (r:1 w:1), `Balances::Holds` (r:1 w:1).
    fn register() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF + RETIRED_PROOF + HOLD_PROOF)
            .saturating_add(T::DbWeight::get().reads_writes(4, 4))
    }
    /// Storage: `Verifiers::Verifiers` (r:1 w:1).
    fn update_config() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    /// Storage: `Verifiers::Verifiers` (r:1 w:1).
    fn rotate_jwks() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    /// Storage: `Verifiers::Verifiers` (r:1 w:1).
    fn add_jwk() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    /// Storage: `Verifiers::Verifiers` (r:1 w:1).
    fn remove_jwk() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    /// Storage: `Verifiers::Verifiers` (r:1 w:1).
    fn transfer_ownership() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    /// Storage: `Verifiers::Verifiers` (r:1 w:1), `Verifiers::RetiredNames` (r:0 w:1),
    /// `System::Account` (r:1 w:1), `Balances::Holds` (r:1 w:1).
    fn remove() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF + HOLD_PROOF)
            .saturating_add(T::DbWeight::get().reads_writes(3, 4))
    }
}

/// The same provisional weights with RocksDB database weights, for tests.
impl WeightInfo for () {
    fn register() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF + RETIRED_PROOF + HOLD_PROOF)
            .saturating_add(RocksDbWeight::get().reads_writes(4, 4))
    }
    fn update_config() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(RocksDbWeight::get().reads_writes(1, 1))
    }
    fn rotate_jwks() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(RocksDbWeight::get().reads_writes(1, 1))
    }
    fn add_jwk() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(RocksDbWeight::get().reads_writes(1, 1))
    }
    fn remove_jwk() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(RocksDbWeight::get().reads_writes(1, 1))
    }
    fn transfer_ownership() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF)
            .saturating_add(RocksDbWeight::get().reads_writes(1, 1))
    }
    fn remove() -> Weight {
        Weight::from_parts(BASE_REF_TIME, VERIFIER_PROOF + HOLD_PROOF)
            .saturating_add(RocksDbWeight::get().reads_writes(3, 4))
    }
}
