//! Traits through which the Torus pallets ask each other questions without depending on each
//! other's crates.

use crate::verifier::{IdClaimRule, KeyType, VerifierName};
use codec::{Decode, Encode};
use scale_info::TypeInfo;

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
