//! # Torus primitives
//!
//! The SCALE types that the Torus runtime, the `torus-node` and Torus clients share, and the
//! runtime API declarations through which the node reads chain state.
//!
//! - [`verifier`]: what a dapp registers so that the network accepts its users' id tokens: the
//!   issuer, the accepted audiences, the JWKS, the claim that is the user's id, the maximum token
//!   age and the kind of key a login gets.
//! - [`dkg`]: the validators' batched DKG as the chain runs it (messages, records, the DKG
//!   session key).
//! - [`keys`]: the key buffer filled by the DKG and the assignment of keys to users.
//! - [`traits`]: how one Torus pallet asks another about verifiers, and how the DKG fills the
//!   key buffer.
//! - [`limits`]: every bound on a stored collection or byte string. They are fixed here, not in a
//!   runtime's configuration, because the node and the clients decode these types too.
//! - [`runtime_api`]: [`VerifiersApi`], [`VerifierChangesApi`], [`KeysApi`] and [`DkgApi`].
//!
//! Everything here is `no_std` and free of I/O; the crate builds for the runtime's wasm target.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod dkg;
pub mod keys;
pub mod limits;
pub mod runtime_api;
pub mod traits;
pub mod verifier;

pub use keys::{AssignedKey, BatchId, BatchRecord, GeneratedKey, KeyId, KeyRecord, PublicKey};
pub use runtime_api::*;
pub use traits::{KeyBuffer, VerifierInspect, VerifierPolicy};
pub use verifier::{
    Audience, EcCurve, IdClaim, IdClaimRule, Issuer, Jwk, JwkAlg, JwkKeyId, JwkParams, Jwks,
    KeyType, PendingChange, VerifierChange, VerifierConfig, VerifierId, VerifierName,
    VerifierRecord,
};
