//! The key buffer and key assignment.
//!
//! The DKG produces keys in batches. Each key gets the next [`KeyId`] (ids are consecutive and
//! never reused) and waits, unassigned, in the buffer. The first login of a user (verifier,
//! verifier_id) takes the unassigned key with the lowest id, once and for ever.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

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
    /// BLAKE2-256 of the SCALE-encoded public share commitments (see [`GeneratedKey`]).
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
}
