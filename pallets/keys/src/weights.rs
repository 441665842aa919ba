//! Weights for `pallet_keys`.
//!
//! **PROVISIONAL.** These numbers were NOT produced by the benchmark CLI (the node has no
//! `benchmark pallet` command yet). They are upper bounds derived by hand from the storage
//! reads and writes of each call or function (counted in the comments), a generous execution
//! time per call and per key, and proof sizes from the `MaxEncodedLen` of the touched items.
//! Replace this file with the output of
//! `torus-node benchmark pallet --pallet pallet_keys --extrinsic '*'` once it exists; the
//! benchmarks in `benchmarking.rs` already cover every call and `insert_generated_keys`.

#![allow(unused_parens)]
#![allow(unused_imports)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_keys`.
pub trait WeightInfo {
    /// Weight of `assign` when it takes a key from the buffer.
    fn assign() -> Weight;
    /// Weight of `assign` when the user already has a key (the refunded weight).
    fn assign_existing() -> Weight;
    /// Weight of `insert_generated_keys` with `n` keys.
    fn insert_generated_keys(n: u32) -> Weight;
}

/// Execution time allowed for one `assign`.
const ASSIGN_REF_TIME: u64 = 40_000_000;
/// Execution time allowed per inserted key.
const PER_KEY_REF_TIME: u64 = 15_000_000;
/// Proof size of one `Assignments` entry (two hashed bounded keys and a key id).
const ASSIGNMENT_PROOF: u64 = 400;
/// Proof size of the verifier record read from `pallet-verifiers`.
const VERIFIER_PROOF: u64 = 16_000;
/// Proof size of the validator set read through `Assigners` (a generous bound).
const VALIDATORS_PROOF: u64 = 8_000;
/// Proof size of one `Keys` entry.
const KEY_PROOF: u64 = 100;
/// Proof size of one `KeyByPublicKey` entry.
const KEY_INDEX_PROOF: u64 = 80;

/// Provisional weights for a runtime, using its database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    /// Storage: validator set (r:1), `Keys::Assignments` (r:1 w:1), `Verifiers::Verifiers`
    /// (r:1), `Keys::NextUnassigned` (r:1 w:1), `Keys::NextKeyId` (r:1), `Keys::Keys` (r:1).
    fn assign() -> Weight {
        Weight::from_parts(
            ASSIGN_REF_TIME,
            VALIDATORS_PROOF + ASSIGNMENT_PROOF + VERIFIER_PROOF + KEY_PROOF + 100,
        )
        .saturating_add(T::DbWeight::get().reads_writes(6, 2))
    }
    /// Storage: validator set (r:1), `Keys::Assignments` (r:1).
    fn assign_existing() -> Weight {
        Weight::from_parts(ASSIGN_REF_TIME, VALIDATORS_PROOF + ASSIGNMENT_PROOF)
            .saturating_add(T::DbWeight::get().reads(2))
    }
    /// Storage: `Keys::Batches` (r:1 w:1), `Keys::NextKeyId` (r:1 w:1),
    /// `Keys::KeyByPublicKey` (r:n w:n), `Keys::Keys` (r:0 w:n).
    fn insert_generated_keys(n: u32) -> Weight {
        Weight::from_parts(ASSIGN_REF_TIME, 200)
            .saturating_add(
                Weight::from_parts(PER_KEY_REF_TIME, KEY_INDEX_PROOF).saturating_mul(n.into()),
            )
            .saturating_add(T::DbWeight::get().reads_writes(2, 2))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(1, 2)
                    .saturating_mul(n.into()),
            )
    }
}

/// The same provisional weights with RocksDB database weights, for tests.
impl WeightInfo for () {
    fn assign() -> Weight {
        Weight::from_parts(
            ASSIGN_REF_TIME,
            VALIDATORS_PROOF + ASSIGNMENT_PROOF + VERIFIER_PROOF + KEY_PROOF + 100,
        )
        .saturating_add(RocksDbWeight::get().reads_writes(6, 2))
    }
    fn assign_existing() -> Weight {
        Weight::from_parts(ASSIGN_REF_TIME, VALIDATORS_PROOF + ASSIGNMENT_PROOF)
            .saturating_add(RocksDbWeight::get().reads(2))
    }
    fn insert_generated_keys(n: u32) -> Weight {
        Weight::from_parts(ASSIGN_REF_TIME, 200)
            .saturating_add(
                Weight::from_parts(PER_KEY_REF_TIME, KEY_INDEX_PROOF).saturating_mul(n.into()),
            )
            .saturating_add(RocksDbWeight::get().reads_writes(2, 2))
            .saturating_add(
                RocksDbWeight::get()
                    .reads_writes(1, 2)
                    .saturating_mul(n.into()),
            )
    }
}
