//! What the unit tests and the benchmarks share: deterministic member keys (in the keystore,
//! so that they sign, and as ECIES secrets, so that they decrypt), honest dealings and signed
//! messages.

use crate::{ActiveBatches, BatchState, Config, Pallet};
use alloc::{string::String, vec::Vec};
use codec::Encode;
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
use sp_runtime::RuntimeAppPublic;
use torus_crypto::{
    dkg::{self as crypto_dkg, Dealing, SessionConfig},
    ecies::EncryptionSecretKey,
};
use torus_primitives::{
    dkg::{
        signing_payload, DealingMessage, DkgId, DkgSignature, MemberIndex, MessageKind,
        DKG_KEY_TYPE,
    },
    BatchId,
};

/// The secret scalar of test member `i`'s DKG key (big-endian, non-zero, below the order).
pub fn member_secret(i: u32) -> [u8; 32] {
    let mut secret = [0u8; 32];
    secret[0] = 0x11;
    secret[28..].copy_from_slice(&(i + 1).to_be_bytes());
    secret
}

/// Test member `i`'s DKG key, created in the keystore from [`member_secret`] (an ECDSA
/// secret URI `0x…` is the secret key itself).
pub fn member_key(i: u32) -> DkgId {
    let mut seed = String::from("0x");
    for byte in member_secret(i) {
        for nibble in [byte >> 4, byte & 0xf] {
            seed.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    DkgId::from(sp_io::crypto::ecdsa_generate(
        DKG_KEY_TYPE,
        Some(seed.into_bytes()),
    ))
}

/// Test member `i`'s ECIES secret key (the same secret as [`member_key`]).
pub fn encryption_secret(i: u32) -> EncryptionSecretKey {
    EncryptionSecretKey::from_bytes(&member_secret(i)).expect("a test secret is a valid scalar")
}

/// A deterministic RNG.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// The state of a running batch.
pub fn state<T: Config>(batch: BatchId) -> BatchState<T> {
    ActiveBatches::<T>::get(batch).expect("the batch runs")
}

/// The DKG configuration of a running batch.
pub fn config<T: Config>(batch: BatchId) -> SessionConfig {
    Pallet::<T>::session_config(&state::<T>(batch).setup).expect("the batch has a valid committee")
}

/// An honest dealing by `dealer` for a running batch.
pub fn dealing<T: Config>(batch: BatchId, dealer: MemberIndex, rng: &mut ChaCha20Rng) -> Dealing {
    crypto_dkg::deal(&config::<T>(batch), dealer, None, rng).expect("an honest dealing")
}

/// The wire bytes of a dealing.
pub fn wire(dealing: &Dealing) -> Vec<u8> {
    DealingMessage::from_dealing(dealing).encode()
}

/// Member `member`'s signature of a message of the batch (its key must be in the keystore),
/// over the payload the chain checks: this chain's genesis hash and the batch's session id.
pub fn sign<T: Config>(
    batch: BatchId,
    member: MemberIndex,
    kind: MessageKind,
    body: &[u8],
) -> DkgSignature {
    let session_id = state::<T>(batch).setup.session_id;
    sign_for::<T>(
        &Pallet::<T>::genesis_hash(),
        &session_id,
        batch,
        member,
        kind,
        body,
    )
}

/// Member `member`'s signature of a message of the batch as if the chain had the genesis hash
/// `genesis_hash` and the batch the session id `session_id` (a message from another chain or
/// fork when they differ from the chain's).
pub fn sign_for<T: Config>(
    genesis_hash: &[u8; 32],
    session_id: &[u8; 32],
    batch: BatchId,
    member: MemberIndex,
    kind: MessageKind,
    body: &[u8],
) -> DkgSignature {
    let setup = state::<T>(batch).setup;
    let key = match kind {
        MessageKind::Dealing => setup.dealer_key(member),
        _ => setup.key(member),
    }
    .cloned()
    .expect("a member of the batch");
    key.sign(&signing_payload(
        genesis_hash,
        session_id,
        batch,
        member,
        kind,
        body,
    ))
    .expect("the member's key is in the keystore")
}
