//! # torus-crypto
//!
//! The cryptographic core of Torus. Pure functions and explicit state machines, no I/O and
//! no Substrate: the runtime *verifies* with it (no_std, wasm32), the node's keyholder worker
//! *drives* protocols with it, and the client *reconstructs* with it.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;

pub mod dkg;
pub mod dleq;
pub mod ecies;
pub mod encoding;
pub mod error;
pub mod htss;
pub mod msm;
pub mod vss;

pub use error::{DealingFault, Error, Index, Result};
pub use k256::{AffinePoint, ProjectivePoint, Scalar};
