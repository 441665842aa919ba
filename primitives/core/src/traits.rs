//! Traits through which the Torus pallets ask each other questions without depending on each
//! other's crates.

use crate::keys::{BatchId, GeneratedKey, KeyId};
use crate::verifier::{IdClaimRule, KeyType, VerifierName};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;
use sp_runtime::DispatchError;

/// What the key pallet needs to know about a verifier before it assigns a key under it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct VerifierPolicy {
    /// The kind of key a login under the verifier gets.
    pub key_type: KeyType,
    /// Which claim is the user's id, and whether it is lower-cased.
    pub id_claim: IdClaimRule,
}

/// Read access to the registered verifiers (implemented by `pallet-verifiers`).
pub trait VerifierInspect {
    /// The policy of the verifier `name`, or `None` if no such verifier is registered.
    fn policy(name: &VerifierName) -> Option<VerifierPolicy>;
}

/// No verifier exists.
impl VerifierInspect for () {
    fn policy(_name: &VerifierName) -> Option<VerifierPolicy> {
        None
    }
}

/// The key buffer as the DKG fills it (implemented by `pallet-keys`).
pub trait KeyBuffer {
    /// The number of keys waiting for a user.
    fn buffer_size() -> u64;
    /// The most keys one batch may add.
    fn max_batch_size() -> u32;
    /// Append a finished batch's keys (at most [`KeyBuffer::max_batch_size`]) and return the id
    /// of the first; nothing changes on error.
    fn insert_generated_keys(
        batch: BatchId,
        keys: Vec<GeneratedKey>,
    ) -> Result<KeyId, DispatchError>;
}
