//! The key buffer and key assignment.
//!
//! The DKG produces keys in batches. Each key gets the next [`KeyId`] (ids are consecutive and
//! never reused) and waits, unassigned, in the buffer. The first login of a user (verifier,
//! verifier_id) takes the unassigned key with the lowest id, once and for ever. Keys are
//! assigned under a [`UserId`]: a plain verifier id (a DirectAuth key, which the user
//! reconstructs), or a TSS key's name (the network key of a threshold-signing key, never
//! released), see [`UserIdKind`].

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    BoundedVec,
};

use crate::limits::{MaxUserIdLen, MAX_TSS_TAG_LEN, MAX_VERIFIER_ID_LEN};

/// The id a key is assigned under, in a verifier's namespace (see [`UserIdKind`]).
pub type UserId = BoundedVec<u8, MaxUserIdLen>;

/// Separates the user's verifier id from a TSS key's tag (torus.js's `extended_verifier_id`).
pub const TSS_TAG_SEPARATOR: u8 = 0x15;
/// Separates a TSS key's tag from its nonce.
pub const TSS_NONCE_SEPARATOR: u8 = 0x16;

/// What a [`UserId`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserIdKind<'a> {
    /// A user's own key: the id is the verifier id (no separator in it).
    Plain,
    /// The network key of the user's TSS key `tag`/`nonce`: the id is torus.js's
    /// `extended_verifier_id`, `verifier_id ‖ U+0015 ‖ tag ‖ U+0016 ‖ nonce`, with a
    /// non-empty verifier id, a tag of 1 to [`MAX_TSS_TAG_LEN`] printable ASCII characters
    /// and the nonce in canonical decimal (no leading zero) below 2³².
    Tss {
        /// The user's verifier id.
        verifier_id: &'a [u8],
        /// The key's tag (`default` in Web3Auth's SDKs).
        tag: &'a [u8],
        /// The key's nonce (Web3Auth's SDKs count it up to replace a key's factors).
        nonce: u32,
    },
    /// Separators in a form the rules above do not allow.
    Malformed,
}

/// The name of the user `verifier_id`'s TSS key `tag`/`nonce` (torus.js's
/// `extended_verifier_id`), under which its network key is assigned.
pub fn tss_key_name(verifier_id: &str, tag: &str, nonce: u32) -> alloc::string::String {
    alloc::format!(
        "{verifier_id}{}{tag}{}{nonce}",
        char::from(TSS_TAG_SEPARATOR),
        char::from(TSS_NONCE_SEPARATOR)
    )
}

/// Whether `name` is a well-formed name of one of the TSS keys of the user `verifier_id`
/// (what a lookup's `extended_verifier_id` must be: no user names another user's keys).
pub fn is_tss_key_name_of(name: &[u8], verifier_id: &[u8]) -> bool {
    name.len() <= crate::limits::MAX_USER_ID_LEN as usize
        && matches!(UserIdKind::of(name), UserIdKind::Tss { verifier_id: id, .. } if id == verifier_id)
}

impl<'a> UserIdKind<'a> {
    /// Classify the user id `id`.
    pub fn of(id: &'a [u8]) -> Self {
        let is_separator = |b: &u8| *b == TSS_TAG_SEPARATOR || *b == TSS_NONCE_SEPARATOR;
        if !id.iter().any(is_separator) {
            return UserIdKind::Plain;
        }
        let mut parts = id.splitn(2, |b| *b == TSS_TAG_SEPARATOR);
        let (Some(verifier_id), Some(rest)) = (parts.next(), parts.next()) else {
            return UserIdKind::Malformed;
        };
        let mut parts = rest.splitn(2, |b| *b == TSS_NONCE_SEPARATOR);
        let (Some(tag), Some(nonce)) = (parts.next(), parts.next()) else {
            return UserIdKind::Malformed;
        };
        let tag_ok = (1..=MAX_TSS_TAG_LEN as usize).contains(&tag.len())
            && tag.iter().all(|b| b.is_ascii_graphic());
        let id_ok = !verifier_id.is_empty()
            && verifier_id.len() <= MAX_VERIFIER_ID_LEN as usize
            && !verifier_id.iter().any(is_separator);
        let nonce = match nonce {
            [b'0'] => Some(0),
            [b'1'..=b'9', ..] if nonce.iter().all(u8::is_ascii_digit) => {
                core::str::from_utf8(nonce)
                    .ok()
                    .and_then(|n| n.parse::<u32>().ok())
            }
            _ => None,
        };
        match nonce {
            Some(nonce) if tag_ok && id_ok => UserIdKind::Tss {
                verifier_id,
                tag,
                nonce,
            },
            _ => UserIdKind::Malformed,
        }
    }
}

/// The id of a generated key: consecutive from 0, in the order keys entered the buffer.
pub type KeyId = u64;
/// The id of the DKG batch a key came from.
pub type BatchId = u64;

/// A secp256k1 public key in compressed SEC1 form (`0x02`/`0x03` ‖ x, 33 bytes).
///
/// The DirectAuth client protocol sends the affine X and Y; the node decompresses.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub struct PublicKey(pub [u8; 33]);

impl PublicKey {
    /// Whether the first byte is a compressed-point tag (`0x02` or `0x03`). Whether the x
    /// coordinate is on the curve is the DKG's check; the runtime has no curve arithmetic.
    pub fn has_compressed_tag(&self) -> bool {
        matches!(self.0[0], 0x02 | 0x03)
    }
}

/// A key as the DKG hands it to the buffer.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub struct GeneratedKey {
    /// The public key.
    pub public_key: PublicKey,
    /// BLAKE2-256 of the SCALE-encoded public share commitments of the key (the Feldman
    /// commitments of its sharing polynomial); the commitments themselves are in the batch's
    /// DKG messages.
    pub commitments_hash: [u8; 32],
}

/// A key in the buffer, assigned or not.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub struct KeyRecord {
    /// The public key.
    pub public_key: PublicKey,
    /// The DKG batch the key came from.
    pub batch: BatchId,
    /// BLAKE2-256 of the SCALE-encoded public share commitments of the key's first sharing
    /// (see [`GeneratedKey`]); handovers reshare the key, and its current commitments are the
    /// DKG pallet's (`DkgApi::key_commitments`), with the same constant term (public key).
    pub commitments_hash: [u8; 32],
}

/// What the chain records about one finished DKG batch.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub struct BatchRecord<BlockNumber> {
    /// The id of the batch's first key; its keys are `first_key..first_key + key_count`.
    pub first_key: KeyId,
    /// The number of keys in the batch.
    pub key_count: u32,
    /// The block in which the keys entered the buffer.
    pub inserted_at: BlockNumber,
}

/// The key assigned to a user, as a lookup returns it.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub struct AssignedKey {
    /// The key's id.
    pub key_id: KeyId,
    /// The key's public key.
    pub public_key: PublicKey,
    /// The key's metadata nonce (see [`metadata_nonce`]), fixed when the key was assigned.
    pub nonce: [u8; 32],
}

/// What a validator signs with its DKG key to ask for the assignment of a key to
/// (`verifier`, `verifier_id`) in an unsigned `keys.assign` transaction.
pub fn assign_payload(verifier: &[u8], verifier_id: &[u8]) -> alloc::vec::Vec<u8> {
    (b"torus/keys.assign", verifier, verifier_id).encode()
}

/// The "v2" metadata nonce `r` of the client protocol for the key `key_id` assigned in the block
/// after `parent_hash`: a non-zero secp256k1 scalar, 32 bytes big-endian. The client's final key
/// is the DKG key plus `r` (its public key plus `r·G`).
///
/// `r` is public (it is in the chain state), which gives no one an advantage: the DKG key is
/// uniformly random and known to no party, so the final key `k + r` is exactly as secret as `k`
/// whatever `r` is, and a block author who could influence `parent_hash` gains nothing by it.
/// The nonce exists because the client protocol requires one; deciding it on chain makes every
/// node return the same value.
///
/// `r` = the first BLAKE2-256 of `("torus/v2-nonce", parent_hash, key_id, counter)`, for
/// counter = 0, 1, …, that is a canonical non-zero scalar (counter 0 fails with probability
/// below 2⁻¹²⁷).
pub fn metadata_nonce(parent_hash: &[u8], key_id: KeyId) -> [u8; 32] {
    (0u32..)
        .map(|counter| {
            BlakeTwo256::hash(&(b"torus/v2-nonce", parent_hash, key_id, counter).encode()).0
        })
        .find(|candidate| torus_crypto::encoding::nonzero_scalar_from_bytes(candidate).is_ok())
        .expect("a hash is a canonical non-zero scalar with probability 1 - 2^-127")
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::Encode;

    /// The node and clients decode these records: their SCALE encoding must not drift.
    #[test]
    fn the_scale_encoding_of_a_key_record_is_pinned() {
        let mut public_key = [0x11; 33];
        public_key[0] = 0x02;
        let record = KeyRecord {
            public_key: PublicKey(public_key),
            batch: 3,
            commitments_hash: [0xee; 32],
        };
        let mut expected = alloc::vec![0x02];
        expected.extend([0x11; 32]);
        expected.extend(3u64.to_le_bytes());
        expected.extend([0xee; 32]);
        assert_eq!(record.encode(), expected);
        assert_eq!(KeyRecord::max_encoded_len(), 33 + 8 + 32);
    }

    #[test]
    fn the_metadata_nonce_is_a_deterministic_nonzero_scalar_per_key_and_block() {
        let nonce = metadata_nonce(&[1; 32], 5);
        assert_eq!(nonce, metadata_nonce(&[1; 32], 5));
        assert!(torus_crypto::encoding::nonzero_scalar_from_bytes(&nonce).is_ok());
        assert_ne!(nonce, metadata_nonce(&[1; 32], 6));
        assert_ne!(nonce, metadata_nonce(&[2; 32], 5));
        // Pinned: nodes and the chain must derive the same value for ever.
        assert_eq!(
            nonce,
            BlakeTwo256::hash(&(b"torus/v2-nonce", &[1u8; 32][..], 5u64, 0u32).encode()).0
        );
    }

    #[test]
    fn a_tss_key_name_is_the_user_id_it_parses_from() {
        let name = tss_key_name("alice", "default", 7);
        assert!(is_tss_key_name_of(name.as_bytes(), b"alice"));
        assert!(!is_tss_key_name_of(name.as_bytes(), b"bob"));
        assert!(!is_tss_key_name_of(b"alice", b"alice"));
        assert_eq!(name, "alice\u{15}default\u{16}7");
        assert_eq!(
            UserIdKind::of(name.as_bytes()),
            UserIdKind::Tss {
                verifier_id: b"alice",
                tag: b"default",
                nonce: 7
            }
        );
    }

    #[test]
    fn user_ids_are_plain_or_well_formed_tss_names() {
        assert_eq!(UserIdKind::of(b"alice@example.com"), UserIdKind::Plain);
        assert_eq!(
            UserIdKind::of(b"alice\x15default\x160"),
            UserIdKind::Tss {
                verifier_id: b"alice",
                tag: b"default",
                nonce: 0
            }
        );
        assert_eq!(
            UserIdKind::of(b"a\x15t\x164294967295"),
            UserIdKind::Tss {
                verifier_id: b"a",
                tag: b"t",
                nonce: u32::MAX
            }
        );
        let long_tag = [b't'; MAX_TSS_TAG_LEN as usize + 1];
        let with_tag = |tag: &[u8]| [&b"a\x15"[..], tag, b"\x161"].concat();
        assert!(matches!(
            UserIdKind::of(&with_tag(&long_tag[1..])),
            UserIdKind::Tss { .. }
        ));
        for malformed in [
            &b"alice\x16default"[..],
            b"alice\x15default",
            b"\x15default\x160",
            b"alice\x15\x160",
            b"alice\x15de fault\x160",
            b"alice\x15default\x16",
            b"alice\x15default\x1601",
            b"alice\x15default\x16-1",
            b"alice\x15default\x164294967296",
            b"alice\x15default\x160\x15x",
            b"alice\x15de\x16fault\x160",
            &with_tag(&long_tag),
        ] {
            assert_eq!(
                UserIdKind::of(malformed),
                UserIdKind::Malformed,
                "{malformed:?}"
            );
        }
    }

    #[test]
    fn the_assign_payload_names_the_verifier_and_the_user() {
        assert_ne!(
            assign_payload(b"google", b"alice"),
            assign_payload(b"google", b"bob")
        );
        assert_ne!(
            assign_payload(b"google", b"alice"),
            assign_payload(b"googlealice", b"")
        );
    }
}
