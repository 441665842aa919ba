//! Weights for `pallet_dkg`.
//!
//! **PROVISIONAL PLACEHOLDERS.** These numbers were NOT measured. They are hand-counted storage
//! reads and writes with generous execution times, to be replaced by the file that
//! `scripts/bench-weights.sh dkg` generates from `benchmarking.rs` (same function names and
//! parameters). Components: `n` = committee size, `b` = keys in the batch, `c` = running
//! batches.
//!
//! The crypto behind the times (secp256k1 in wasm, rough upper bounds): a DLEQ/Schnorr proof
//! check ~0.5 ms, an uncompressed point decode ~0.05 ms, a point addition/scalar step ~0.1 ms.
//! `finish_batch` checks every qualified dealing again (`n` proofs each), so its true cost grows
//! with `n²`; the placeholder's time per dealer covers committees of up to about 100.

#![allow(unused_parens)]
#![allow(unused_imports)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::ParityDbWeight, Weight},
};

/// The weight of each call and benchmarked function of `pallet_dkg`.
pub trait WeightInfo {
    /// `submit_dealing` (validity check and dispatch) with `n` members and `b` keys.
    fn submit_dealing(n: u32, b: u32) -> Weight;
    /// `submit_complaint` (validity check and dispatch, upheld) with `n` members and `b` keys.
    fn submit_complaint(n: u32, b: u32) -> Weight;
    /// `confirm` (validity check and dispatch) with `n` members.
    fn confirm(n: u32) -> Weight;
    /// `set_params`.
    fn set_params() -> Weight;
    /// `on_initialize` with `c` running batches and nothing to do.
    fn on_initialize_idle(c: u32) -> Weight;
    /// Starting a batch with a committee of `n` members.
    fn start_batch(n: u32) -> Weight;
    /// Ending a batch's dealing phase (`n` members).
    fn end_dealing(n: u32) -> Weight;
    /// Completing a batch of `b` keys with `n` qualified dealers.
    fn finish_batch(n: u32, b: u32) -> Weight;
    /// Abandoning a batch of `n` members, all absent.
    fn abandon_batch(n: u32) -> Weight;
    /// Removing the `n` dealings of a finished batch.
    fn prune_dealings(n: u32) -> Weight;
}

/// Base time of a call or hook step.
const BASE: u64 = 50_000_000;
/// Time per member for the checks of one message (a proof check and a key decode).
const PER_MEMBER: u64 = 2_000_000;
/// Time per key for the checks of one message (commitment points of one key).
const PER_KEY: u64 = 5_000_000;
/// Time per qualified dealer when finishing (its dealing checked again: `n` proofs).
const FINISH_PER_DEALER: u64 = 100_000_000;
/// Time per key when finishing (aggregation and the buffer insert).
const FINISH_PER_KEY: u64 = 20_000_000;
/// Proof size of one batch state with `MaxCommittee` 100 (members, lists).
const STATE_PROOF: u64 = 10_000;
/// Proof size of one dealing (a generous `MaxDealingLen`).
const DEALING_PROOF: u64 = 1_048_576;

macro_rules! weights {
    ($db:expr) => {
        fn submit_dealing(n: u32, b: u32) -> Weight {
            // r: ActiveBatches; w: ActiveBatches, Dealings.
            Weight::from_parts(BASE, STATE_PROOF)
                .saturating_add(Weight::from_parts(PER_MEMBER, 0).saturating_mul(n.into()))
                .saturating_add(
                    Weight::from_parts(PER_KEY, 0)
                        .saturating_mul(n.into())
                        .saturating_mul(b.into()),
                )
                .saturating_add($db.reads_writes(1, 2))
        }
        fn submit_complaint(n: u32, b: u32) -> Weight {
            // r: ActiveBatches, Dealings; w: ActiveBatches.
            Weight::from_parts(BASE, STATE_PROOF + DEALING_PROOF)
                .saturating_add(Weight::from_parts(PER_MEMBER, 0).saturating_mul(n.into()))
                .saturating_add(
                    Weight::from_parts(PER_KEY, 0)
                        .saturating_mul(n.into())
                        .saturating_mul(b.into()),
                )
                .saturating_add($db.reads_writes(2, 1))
        }
        fn confirm(_n: u32) -> Weight {
            // r: ActiveBatches; w: ActiveBatches.
            Weight::from_parts(BASE, STATE_PROOF).saturating_add($db.reads_writes(1, 1))
        }
        fn set_params() -> Weight {
            // w: Params.
            Weight::from_parts(BASE / 2, 0).saturating_add($db.writes(1))
        }
        fn on_initialize_idle(c: u32) -> Weight {
            // r: RunningBatches, PruneQueueRange, Params, buffer size, ActiveBatches × c.
            Weight::from_parts(BASE / 5, 1_000)
                .saturating_add(Weight::from_parts(1_000_000, STATE_PROOF).saturating_mul(c.into()))
                .saturating_add($db.reads(4))
                .saturating_add($db.reads(c.into()))
        }
        fn start_batch(n: u32) -> Weight {
            // r: RunningBatches, buffer size, Committee, NextBatch, parent hash;
            // w: RunningBatches, NextBatch, ActiveBatches.
            Weight::from_parts(BASE, STATE_PROOF)
                .saturating_add(Weight::from_parts(PER_MEMBER, 0).saturating_mul(n.into()))
                .saturating_add($db.reads_writes(5, 3))
        }
        fn end_dealing(_n: u32) -> Weight {
            // w: ActiveBatches.
            Weight::from_parts(BASE / 5, 0).saturating_add($db.writes(1))
        }
        fn finish_batch(n: u32, b: u32) -> Weight {
            // r: Dealings × n, key buffer; w: key buffer (keys), KeyCommitments × b, Results,
            // PruneQueue, PruneQueueRange, ActiveBatches, RunningBatches.
            Weight::from_parts(BASE, STATE_PROOF)
                .saturating_add(
                    Weight::from_parts(FINISH_PER_DEALER, DEALING_PROOF).saturating_mul(n.into()),
                )
                .saturating_add(Weight::from_parts(FINISH_PER_KEY, 200).saturating_mul(b.into()))
                .saturating_add(
                    Weight::from_parts(PER_KEY, 0)
                        .saturating_mul(n.into())
                        .saturating_mul(b.into()),
                )
                .saturating_add($db.reads_writes(4, 6))
                .saturating_add($db.reads(n.into()))
                .saturating_add($db.reads_writes(1, 3).saturating_mul(b.into()))
        }
        fn abandon_batch(n: u32) -> Weight {
            // r/w: Absences × n; w: Results, PruneQueue, PruneQueueRange, ActiveBatches,
            // RunningBatches.
            Weight::from_parts(BASE, STATE_PROOF)
                .saturating_add($db.reads_writes(2, 5))
                .saturating_add($db.reads_writes(1, 1).saturating_mul(n.into()))
        }
        fn prune_dealings(n: u32) -> Weight {
            // r: PruneQueue; w: Dealings × n, PruneQueue, PruneQueueRange.
            Weight::from_parts(BASE / 2, 100)
                .saturating_add($db.reads_writes(1, 2))
                .saturating_add($db.writes(n.into()))
        }
    };
}

/// Provisional weights for a runtime, using its database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    weights!(T::DbWeight::get());
}

/// The same provisional weights with ParityDB's database weights, for tests.
impl WeightInfo for () {
    weights!(ParityDbWeight::get());
}
