//! Runtime APIs through which the node reads Torus state.
//!
//! Names and ids are passed as plain bytes; a value longer than its bound cannot be stored, so
//! the lookups return `None` for it.

use crate::{
    dkg::{ActiveBatch, BatchResult, DkgId, DkgParams, MemberIndex},
    keys::{AssignedKey, BatchId, KeyId, KeyRecord},
    verifier::{PendingChange, VerifierRecord},
};
use alloc::vec::Vec;
use codec::Codec;

sp_api::decl_runtime_apis! {
    /// Read the registered verifiers.
    pub trait VerifiersApi<AccountId, Balance>
    where
        AccountId: Codec,
        Balance: Codec,
    {
        /// The verifier registered under `name`, if any, with the configuration in effect.
        fn verifier(name: Vec<u8>) -> Option<VerifierRecord<AccountId, Balance>>;
    }

    /// Read the announced changes of verifiers: a change of a verifier's configuration takes
    /// effect only after an announcement delay, so that users and watchers see it coming.
    pub trait VerifierChangesApi<BlockNumber>
    where
        BlockNumber: Codec,
    {
        /// The change announced for the verifier `name` and not in effect yet, if any.
        fn pending_change(name: Vec<u8>) -> Option<PendingChange<BlockNumber>>;
        /// The announcement delay in blocks: a change announced in block `n` takes effect at
        /// block `n + config_delay()` at the earliest.
        fn config_delay() -> BlockNumber;
    }

    /// Read the key buffer and the key assignments.
    pub trait KeysApi {
        /// The key assigned to the user `verifier_id` of the verifier `verifier`, if any.
        fn lookup(verifier: Vec<u8>, verifier_id: Vec<u8>) -> Option<AssignedKey>;
        /// The number of generated keys that are not yet assigned.
        fn buffer_size() -> u64;
        /// The key with id `key_id`, if it exists.
        fn key(key_id: KeyId) -> Option<KeyRecord>;
        /// The keys of allowance the verifier `verifier` has left: how many more new users it
        /// can get keys for (0 for an unknown verifier).
        fn allowance(verifier: Vec<u8>) -> u32;
    }

    /// Read the key buffer's DKG: what the keyholder workers act on, and what anyone can check.
    pub trait DkgApi<BlockNumber>
    where
        BlockNumber: Codec,
    {
        /// The batches running now, oldest first.
        fn active_batches() -> Vec<ActiveBatch<BlockNumber>>;
        /// The accepted dealings (wire bytes) of a running or recently finished batch, by
        /// dealer, ascending; empty once they have been pruned.
        fn dealings(batch: BatchId) -> Vec<(MemberIndex, Vec<u8>)>;
        /// How a finished batch ended, if it has.
        fn batch_result(batch: BatchId) -> Option<BatchResult<BlockNumber>>;
        /// The group Feldman commitment of a generated key (compressed points, constant term
        /// first): member `j`'s public share is its evaluation at `j`.
        fn key_commitments(key_id: KeyId) -> Option<Vec<[u8; 33]>>;
        /// The DKG's current parameters.
        fn params() -> DkgParams<BlockNumber>;
        /// The DKG keys of the current committee (the session's validators); member `i` is
        /// entry `i − 1`.
        fn committee() -> Vec<DkgId>;
    }
}
