//! The keyholder worker: this validator's part in the DKG that fills the key buffer.
//!
//! A native task, started for validators, woken by every new best block. For each running
//! batch (read through [`DkgApi`](torus_primitives::DkgApi)) in which one of the node's DKG
//! session keys is a member, it
//! 1. deals (Dealing phase): `torus_crypto::dkg::deal`, posted as `dkg.submit_dealing`;
//! 2. verifies (Verifying phase): decrypts and checks its shares from every accepted dealing,
//!    posts a `dkg.submit_complaint` against each dealer whose share is bad and, once the
//!    chain has judged them, `dkg.confirm`;
//! 3. settles each finished batch, in batch order: computes its final shares from the
//!    qualified dealings (kept in memory since step 2, or recomputed from the dealings the chain
//!    retains after a restart) and stores them encrypted in the [`store::ShareStore`].
//!
//! Messages are unsigned extrinsics signed by the DKG key (the runtime checks them). Nothing
//! is persisted before posting: a dealing lost in a crash is dealt again with fresh randomness
//! (the chain keeps the first one it includes), and a settled batch is recorded in the store's
//! cursor only after its shares are on disk, so a restart (even `kill -9`) never loses a
//! finished share and never settles a batch twice.

mod metrics;
pub mod store;
mod worker;

use std::sync::Arc;

use polkadot_sdk::{sc_keystore::LocalKeystore, substrate_prometheus_endpoint::Registry};

pub use worker::run;

/// The log target of the keyholder.
pub const LOG_TARGET: &str = "keyholder";

/// A deliberate protocol violation for tests of the DKG's fault handling. The node honours it
/// only on development and local chains (see `command.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Misbehavior {
    /// In the first batch it deals in, give the next member shares that do not match the
    /// commitments (well encrypted, so only that member can tell and complain).
    BadShare,
}

/// What the keyholder worker needs from the node.
pub struct KeyholderParams<C, P> {
    /// The client, for runtime API calls and block notifications.
    pub client: Arc<C>,
    /// The transaction pool the worker submits its messages to.
    pub pool: Arc<P>,
    /// The keystore holding the DKG session keys.
    pub keystore: Arc<LocalKeystore>,
    /// Where final shares are kept.
    pub store: Arc<store::ShareStore>,
    /// The Prometheus registry, if metrics are on.
    pub registry: Option<Registry>,
    /// A test-only misbehaviour (dev/local chains only).
    pub misbehavior: Option<Misbehavior>,
}
