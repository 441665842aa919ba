//! The keyholder worker: this validator's part in the DKG that fills the key buffer and in the
//! handovers that move every key range to the current epoch (see `pallet-dkg`).
//!
//! A native task, started for validators. It follows two views of the chain:
//!
//! - **The best block**, for the protocol messages. For each running batch (read through
//!   [`DkgApi`](torus_primitives::DkgApi)) in which one of the node's DKG session keys is a
//!   member, it
//!   1. deals (Dealing phase): `torus_crypto::dkg::deal`, posted as `dkg.submit_dealing` — in a
//!      handover as a member of the old epoch, resharing its stored shares of the range (once
//!      they are settled: a dealer whose shares of that epoch are not stored deals nothing);
//!   2. verifies (Verifying phase, as a member of the batch's epoch): decrypts and checks its
//!      shares from every accepted dealing,
//!      posts a `dkg.submit_complaint` against each dealer whose share is bad and, once the
//!      chain has judged them, `dkg.confirm`.
//!
//!   These are judged on chain, so acting on a block that a fork takes back costs at most a
//!   message that the other fork never includes. Each message is signed over the chain's
//!   genesis hash and the batch's session id (`signing_payload`), so it is valid on no other
//!   chain and for no other start of the batch.
//! - **The finalized block**, for what it keeps. It settles each batch finished in a finalized
//!   block, in batch order: computes its final shares from the qualified dealings (verified in
//!   step 2 if they are of the same batch, otherwise recomputed from the chain as it was just
//!   before the batch finished: its dealings and, for a handover, the reshared commitments),
//!   checks every share against its key's commitments as the batch left them (`share·G` is
//!   the commitment polynomial at the member's index; a mismatch is logged, counted in
//!   `torus_keyholder_share_mismatches_total`, and nothing is stored) and stores them encrypted
//!   in the [`store::ShareStore`], replacing the range's older sharing. A completed handover of a
//!   range to an epoch without this node **erases** its shares of the range. A batch result
//!   seen only on a best block is never stored.
//!   Shares already stored under a batch id are checked the same way first: shares that are
//!   not this node's shares of the finalized batch (settled on a fork that lost, by a keyholder
//!   that settled from best blocks) are discarded. Decisions are pure functions (`next_step`,
//!   `settle_step`, `check_shares`) with unit tests.
//!
//! Messages are unsigned extrinsics signed by the DKG key (the runtime checks them). Nothing
//! is persisted before posting: a dealing lost in a crash is dealt again with fresh randomness
//! (the chain keeps the first one it includes), and a settled batch is recorded in the store's
//! cursor only after its shares are on disk, so a restart (even `kill -9`) never loses a
//! finished share and never settles a batch twice. The cursor only moves past batches settled
//! from finalized blocks; a cursor written by the earlier best-block keyholder reads as 0, so
//! every stored batch is checked again against the finalized chain.

pub mod keys;
mod metrics;
pub mod store;
mod worker;

use std::sync::Arc;

use polkadot_sdk::substrate_prometheus_endpoint::Registry;

pub use worker::run;

/// The log target of the keyholder.
pub const LOG_TARGET: &str = "keyholder";

/// A deliberate protocol violation for tests of the DKG's fault handling. The node honours it
/// only on development and local chains (see `command.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Misbehavior {
    /// In the first batch of fresh keys it deals in, give the next member shares that do not
    /// match the commitments (well encrypted, so only that member can tell and complain).
    BadShare,
    /// The same in the first handover it deals in (bad sub-shares to the next recipient).
    BadReshare,
}

/// What the keyholder worker needs from the node.
pub struct KeyholderParams<C, P> {
    /// The client, for runtime API calls and block notifications.
    pub client: Arc<C>,
    /// The transaction pool the worker submits its messages to.
    pub pool: Arc<P>,
    /// The DKG session keys of the node's keystore.
    pub keys: Arc<keys::DkgKeys>,
    /// Where final shares are kept.
    pub store: Arc<store::ShareStore>,
    /// The Prometheus registry, if metrics are on.
    pub registry: Option<Registry>,
    /// A test-only misbehaviour (dev/local chains only).
    pub misbehavior: Option<Misbehavior>,
    /// The public URL of the node's Torus API, published on chain while its DKG key is in the
    /// committee.
    pub public_url: Option<Vec<u8>>,
}
