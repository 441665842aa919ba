//! The batched DKG as the chain runs it: the validators' DKG session key, the messages they
//! post (dealings, complaints, confirmations), what the chain records about each batch, and the
//! payload each message is signed over.
//!
//! A batch goes through two phases. **Dealing**: each member of the batch's committee (the
//! session's validators when the batch started) posts one dealing, its Feldman commitments and
//! its shares encrypted to every member's DKG session key. The phase ends when every member
//! has dealt or at its deadline. **Verifying**: each member decrypts and checks its shares
//! from every accepted dealing, posts a complaint against each dealer whose share to it is bad
//! (the runtime judges it), then posts a confirmation. The phase ends when every dealer has
//! confirmed or at its deadline. The runtime then computes the qualified set (dealers with an
//! accepted dealing and no upheld complaint, and no false complaint of their own); with at
//! least `threshold` of them the batch's keys enter the buffer, otherwise the batch is
//! abandoned and a new one starts.
//!
//! The wire formats of dealings and complaints are the SCALE encodings of [`DealingMessage`]
//! and [`ComplaintMessage`]; [`DealingMessage::into_dealing`] and friends convert to and from
//! `torus-crypto`'s types.

use crate::keys::{BatchId, KeyId};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::crypto::KeyTypeId;
use sp_runtime::traits::{BlakeTwo256, Hash};
use torus_crypto::{
    dkg::{Complaint, Dealing},
    dleq::{DleqProof, PROOF_LEN},
    ecies::Ciphertext,
    encoding::{PointBytes, UncompressedPointBytes},
};

/// The key type of the validators' DKG session key (secp256k1): shares are encrypted to it and
/// DKG messages are signed with it.
pub const DKG_KEY_TYPE: KeyTypeId = KeyTypeId(*b"tdkg");

/// The DKG session key as an application-specific secp256k1 (ECDSA) key.
pub mod app {
    use sp_runtime::app_crypto::{app_crypto, ecdsa};
    app_crypto!(ecdsa, super::DKG_KEY_TYPE);
}

/// A validator's DKG session key (compressed secp256k1 public key).
pub type DkgId = app::Public;
/// A signature by a DKG session key.
pub type DkgSignature = app::Signature;

/// A member's position in a batch's committee, from 1 (the DKG's participant index).
pub type MemberIndex = u16;

/// The number of an epoch: one committee (members and threshold) that holds keys. Epoch 0 is
/// the genesis committee; a new epoch starts when the session's validators change, and for a
/// proactive refresh (the same members) at the parameters' `refresh_interval`. Every key range
/// is held by one epoch at a time and handed over to the newest by verifiable resharing.
pub type EpochId = u32;

/// The tunable parameters of the key buffer's DKG (set by the chain's root origin).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub struct DkgParams<BlockNumber> {
    /// A new batch starts while the unassigned keys plus the keys of running batches are fewer.
    pub target_buffer: u64,
    /// The keys a batch generates (capped by what fits one dealing; see the pallet).
    pub batch_size: u32,
    /// How many batches may run at once (a new one starts at most once per block).
    pub max_concurrent_batches: u32,
    /// Blocks after its start by which every dealing must be in.
    pub deal_timeout: BlockNumber,
    /// Blocks after the dealing phase by which complaints and confirmations must be in.
    pub verify_timeout: BlockNumber,
    /// Blocks after an epoch's start at which, once every key range is held by that epoch, a
    /// new epoch with the same members starts and every key is refreshed (handed over to it);
    /// 0 never refreshes.
    pub refresh_interval: BlockNumber,
}

/// A committee that holds keys: an epoch's members and threshold.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct EpochInfo<BlockNumber> {
    /// The epoch.
    pub epoch: EpochId,
    /// The members' DKG keys: member `i` has `members[i − 1]`.
    pub members: Vec<DkgId>,
    /// Shares needed to reconstruct a key: ⌊n/2⌋ + 1.
    pub threshold: u16,
    /// The block the epoch started in.
    pub started_at: BlockNumber,
}

/// The longest Torus API URL a member can publish, in bytes.
pub const MAX_ENDPOINT_LEN: u32 = 256;

/// One member of an epoch as clients see it: where its Torus API is and whether it holds its
/// shares.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct NodeInfo {
    /// The member's index in the epoch (the x coordinate of its shares), from 1.
    pub index: MemberIndex,
    /// The member's DKG key: it signs the node's commitments (torus.js's node public key).
    pub key: DkgId,
    /// The URL of its Torus API that the member published, if any.
    pub endpoint: Option<Vec<u8>>,
    /// The member reported that it lost its shares of this epoch's keys: it serves none until
    /// a handover gives it new ones.
    pub lost: bool,
}

/// Whether `url` is a Torus API URL a member may publish: `http://` or `https://` followed by
/// at least one character, at most [`MAX_ENDPOINT_LEN`] bytes, printable ASCII without spaces.
pub fn is_valid_endpoint(url: &[u8]) -> bool {
    let rest = url
        .strip_prefix(b"https://")
        .or_else(|| url.strip_prefix(b"http://"));
    url.len() <= MAX_ENDPOINT_LEN as usize
        && rest.is_some_and(|rest| !rest.is_empty())
        && url.iter().all(|b| b.is_ascii_graphic())
}

/// The domain tag of [`endpoint_payload`].
pub const ENDPOINT_DOMAIN: [u8; 21] = *b"torus-dkg/endpoint/v1";

/// The bytes a member signs with its DKG key to publish `url` as its Torus API: the domain
/// tag, the chain's genesis hash, the key, the URL and the update's sequence number (one more
/// than the last published, from 0), so that an old update cannot be replayed.
pub fn endpoint_payload(
    genesis_hash: &[u8; 32],
    key: &DkgId,
    url: &[u8],
    sequence: u32,
) -> Vec<u8> {
    (ENDPOINT_DOMAIN, genesis_hash, key, url, sequence).encode()
}

/// The domain tag of [`lost_shares_payload`].
pub const LOST_SHARES_DOMAIN: [u8; 17] = *b"torus-dkg/lost/v1";

/// The bytes member `member` of epoch `epoch` signs with its DKG key to report that it lost
/// its shares of the epoch's keys.
pub fn lost_shares_payload(
    genesis_hash: &[u8; 32],
    epoch: EpochId,
    member: MemberIndex,
) -> Vec<u8> {
    (LOST_SHARES_DOMAIN, genesis_hash, epoch, member).encode()
}

/// The keys of one finished DKG batch (a key range) and the epoch that holds them now.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub struct KeyRange {
    /// The id of the DKG batch that generated the keys (the range's id).
    pub range: BatchId,
    /// The id of the first key; the keys are `first_key..first_key + key_count`.
    pub first_key: KeyId,
    /// The number of keys.
    pub key_count: u32,
    /// The epoch whose members hold the keys' shares now.
    pub holder: EpochId,
}

/// What a handover batch moves: the keys of `range`, from the members of epoch `from_epoch`
/// (the dealers, who reshare their shares) to the batch's members (the recipients).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct HandoverInfo {
    /// The key range handed over.
    pub range: BatchId,
    /// The id of its first key.
    pub first_key: KeyId,
    /// The epoch that holds the keys until the handover completes.
    pub from_epoch: EpochId,
    /// That epoch's members' DKG keys (the dealers): dealer `d` has `dealers[d − 1]`.
    pub dealers: Vec<DkgId>,
    /// That epoch's threshold (at least this many dealers must qualify).
    pub dealer_threshold: u16,
}

/// The public parameters of one batch, fixed when it starts.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct BatchInfo<BlockNumber> {
    /// The batch.
    pub batch: BatchId,
    /// Binds every proof of the batch to it (a hash of the batch id and the parent block).
    pub session_id: [u8; 32],
    /// The number of keys.
    pub batch_size: u32,
    /// Shares needed to reconstruct a key: ⌊n/2⌋ + 1.
    pub threshold: u16,
    /// The committee's DKG keys: member `i` has `members[i − 1]`. The recipients of the
    /// shares (and, for fresh keys, the dealers too).
    pub members: Vec<DkgId>,
    /// The block the batch started in.
    pub started_at: BlockNumber,
    /// The epoch whose members are `members`: it holds the keys once the batch completes.
    pub epoch: EpochId,
    /// `Some` for a handover (resharing of existing keys), `None` for fresh keys.
    pub handover: Option<HandoverInfo>,
}

impl<BlockNumber> BatchInfo<BlockNumber> {
    /// The DKG keys of the dealers: the handover's old committee, or the members.
    pub fn dealers(&self) -> &[DkgId] {
        match &self.handover {
            Some(handover) => &handover.dealers,
            None => &self.members,
        }
    }

    /// Whether a fault recorded against index `index` concerns the dealer `index` (`as_dealer`)
    /// or the recipient `index`. Fresh batches have one committee: every fault concerns the
    /// member. In a handover the two committees differ: a malformed dealing or an upheld
    /// complaint names a dealer, a false complaint a recipient.
    pub fn fault_concerns(&self, fault: &Fault, as_dealer: bool) -> bool {
        self.handover.is_none() || fault.is_dealers() == as_dealer
    }
}

/// Where a running batch is.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub enum BatchPhase<BlockNumber> {
    /// Members post their dealings until `deadline` (inclusive).
    Dealing {
        /// The last block that accepts a dealing.
        deadline: BlockNumber,
    },
    /// Members post complaints, then their confirmation, until `deadline` (inclusive).
    Verifying {
        /// The last block that accepts a complaint or a confirmation.
        deadline: BlockNumber,
    },
}

/// Why a member was disqualified from a batch (evidence: the messages are in the blocks).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub enum Fault {
    /// Its dealing does not decode or fails the public checks (counts, lengths, points, proofs).
    MalformedDealing,
    /// A complaint against its dealing was upheld: it dealt `complainer` a bad share.
    BadShare {
        /// The member that complained.
        complainer: MemberIndex,
    },
    /// It complained falsely (or with a malformed complaint) against `dealer`.
    FalseComplaint {
        /// The accused member.
        dealer: MemberIndex,
    },
}

impl Fault {
    /// Whether the fault is a dealer's (a malformed dealing, a bad share), not a complainer's.
    pub fn is_dealers(&self) -> bool {
        !matches!(self, Fault::FalseComplaint { .. })
    }
}

/// A running batch, as the keyholder workers read it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ActiveBatch<BlockNumber> {
    /// The batch's parameters.
    pub info: BatchInfo<BlockNumber>,
    /// The current phase.
    pub phase: BatchPhase<BlockNumber>,
    /// Members whose dealing was accepted, ascending.
    pub dealt: Vec<MemberIndex>,
    /// Members that confirmed, ascending.
    pub confirmed: Vec<MemberIndex>,
    /// Members disqualified so far, with the reason.
    pub disqualified: Vec<(MemberIndex, Fault)>,
}

impl<BlockNumber> ActiveBatch<BlockNumber> {
    /// Whether dealer `dealer` (`as_dealer`) or recipient `dealer` is disqualified.
    pub fn is_disqualified(&self, index: MemberIndex, as_dealer: bool) -> bool {
        self.disqualified
            .iter()
            .any(|(m, fault)| *m == index && self.info.fault_concerns(fault, as_dealer))
    }
}

/// How a batch ended.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub enum BatchOutcome {
    /// Its keys entered the buffer with ids `first_key..first_key + key_count`.
    Completed {
        /// The id of the batch's first key.
        first_key: KeyId,
        /// The number of keys.
        key_count: u32,
    },
    /// Fewer than `threshold` members qualified; no key was generated.
    Abandoned,
}

/// What the chain keeps about a finished batch.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct BatchResult<BlockNumber> {
    /// The batch's parameters.
    pub info: BatchInfo<BlockNumber>,
    /// How it ended.
    pub outcome: BatchOutcome,
    /// The dealers whose dealings make the keys, ascending.
    pub qualified: Vec<MemberIndex>,
    /// The members disqualified, with the reason.
    pub disqualified: Vec<(MemberIndex, Fault)>,
    /// The members that posted no dealing in time (offline; input for slashing).
    pub absent: Vec<MemberIndex>,
    /// The block it ended in.
    pub finished_at: BlockNumber,
}

/// Which message a signature covers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, TypeInfo, Debug)]
pub enum MessageKind {
    /// A dealing.
    Dealing,
    /// A complaint.
    Complaint,
    /// A confirmation.
    Confirmation,
}

/// The domain tag of [`signing_payload`]; its version changes whenever the payload's fields do.
pub const SIGNING_DOMAIN: [u8; 12] = *b"torus-dkg/v2";

/// The bytes a member signs with its DKG key for one message: the domain tag, the chain's
/// genesis hash, the batch's session id (see [`BatchInfo::session_id`]), the batch, the member,
/// the kind and the BLAKE2-256 hash of the message body (empty for a confirmation).
///
/// The genesis hash binds the message to one chain and the session id to one start of the
/// batch (it hashes the block the batch started on), so a message signed on another chain or
/// on a fork where the same batch id started elsewhere is not valid here, even though the
/// validators and their DKG keys are the same.
pub fn signing_payload(
    genesis_hash: &[u8; 32],
    session_id: &[u8; 32],
    batch: BatchId,
    member: MemberIndex,
    kind: MessageKind,
    body: &[u8],
) -> Vec<u8> {
    (
        SIGNING_DOMAIN,
        genesis_hash,
        session_id,
        batch,
        member,
        kind,
        BlakeTwo256::hash(body).0,
    )
        .encode()
}

/// A dealing on the wire (SCALE): [`Dealing`] without the dealer, which the message names.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
pub struct DealingMessage {
    /// Uncompressed Feldman commitment points, key-major.
    pub commitments: Vec<UncompressedPointBytes>,
    /// One eccrypto-layout ciphertext per recipient, in member order.
    pub ciphertexts: Vec<Vec<u8>>,
    /// One proof of knowledge of each ciphertext's ephemeral key.
    pub ephemeral_proofs: Vec<[u8; PROOF_LEN]>,
}

/// Why a message's bytes do not give a `torus-crypto` value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WireError {
    /// The bytes are not a SCALE encoding of the message (or have trailing bytes).
    Encoding,
    /// A ciphertext, point or proof inside is malformed.
    Content,
}

impl DealingMessage {
    /// The wire form of `dealing`.
    pub fn from_dealing(dealing: &Dealing) -> Self {
        Self {
            commitments: dealing.commitments.clone(),
            ciphertexts: dealing.ciphertexts.iter().map(|c| c.to_bytes()).collect(),
            ephemeral_proofs: dealing
                .ephemeral_proofs
                .iter()
                .map(|p| p.to_bytes())
                .collect(),
        }
    }

    /// Decode a dealing by member `dealer` from its wire bytes.
    pub fn decode_dealing(dealer: MemberIndex, bytes: &[u8]) -> Result<Dealing, WireError> {
        let message = Self::decode_all(bytes)?;
        let ciphertexts = message
            .ciphertexts
            .iter()
            .map(|c| Ciphertext::from_bytes(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| WireError::Content)?;
        let ephemeral_proofs = message
            .ephemeral_proofs
            .iter()
            .map(|p| DleqProof::from_bytes(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| WireError::Content)?;
        Ok(Dealing {
            dealer,
            commitments: message.commitments,
            ciphertexts,
            ephemeral_proofs,
        })
    }

    fn decode_all(mut bytes: &[u8]) -> Result<Self, WireError> {
        let message = Self::decode(&mut bytes).map_err(|_| WireError::Encoding)?;
        if bytes.is_empty() {
            Ok(message)
        } else {
            Err(WireError::Encoding)
        }
    }
}

/// A complaint on the wire (SCALE): [`Complaint`] without the complainer, which the message
/// names.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
pub struct ComplaintMessage {
    /// The accused dealer.
    pub dealer: MemberIndex,
    /// The key (position in the batch) whose share is bad.
    pub key: u32,
    /// The revealed ECDH point of the complainer's ciphertext (compressed).
    pub shared_point: PointBytes,
    /// The DLEQ proof that the point is the complainer's.
    pub proof: [u8; PROOF_LEN],
}

impl ComplaintMessage {
    /// The wire form of `complaint`.
    pub fn from_complaint(complaint: &Complaint) -> Self {
        Self {
            dealer: complaint.dealer,
            key: complaint.key,
            shared_point: complaint.shared_point,
            proof: complaint.proof.to_bytes(),
        }
    }

    /// Decode a complaint by member `complainer` from its wire bytes.
    pub fn decode_complaint(
        complainer: MemberIndex,
        mut bytes: &[u8],
    ) -> Result<Complaint, WireError> {
        let message = Self::decode(&mut bytes).map_err(|_| WireError::Encoding)?;
        if !bytes.is_empty() {
            return Err(WireError::Encoding);
        }
        Ok(Complaint {
            complainer,
            dealer: message.dealer,
            key: message.key,
            shared_point: message.shared_point,
            proof: DleqProof::from_bytes(&message.proof).map_err(|_| WireError::Content)?,
        })
    }
}

/// The threshold of a committee of `n` members: ⌊n/2⌋ + 1, the number of shares the Torus
/// client protocol reconstructs a DirectAuth key from.
pub fn threshold_for(n: u16) -> u16 {
    n / 2 + 1
}

/// The BLAKE2-256 hash the key buffer records for a key's group commitment (the SCALE encoding
/// of its compressed points).
pub fn commitments_hash(points: &[PointBytes]) -> [u8; 32] {
    BlakeTwo256::hash(&points.encode()).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use torus_crypto::{
        dkg::{self, Committee, SessionConfig, SessionKind},
        ecies::EncryptionSecretKey,
    };

    fn config(rng: &mut rand_chacha::ChaCha20Rng) -> (SessionConfig, Vec<EncryptionSecretKey>) {
        let keys: Vec<_> = (0..3).map(|_| EncryptionSecretKey::random(rng)).collect();
        let committee = Committee::new(2, keys.iter().map(|k| k.public_key()).collect()).unwrap();
        let config =
            SessionConfig::new([9; 32], 2, committee.clone(), committee, SessionKind::Fresh)
                .unwrap();
        (config, keys)
    }

    #[test]
    fn a_dealing_survives_the_wire() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let (config, _) = config(&mut rng);
        let dealing = dkg::deal(&config, 2, None, &mut rng).unwrap();
        let bytes = DealingMessage::from_dealing(&dealing).encode();
        assert_eq!(DealingMessage::decode_dealing(2, &bytes), Ok(dealing));
    }

    #[test]
    fn trailing_or_truncated_dealing_bytes_are_refused() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let (config, _) = config(&mut rng);
        let dealing = dkg::deal(&config, 1, None, &mut rng).unwrap();
        let mut bytes = DealingMessage::from_dealing(&dealing).encode();
        bytes.push(0);
        assert_eq!(
            DealingMessage::decode_dealing(1, &bytes),
            Err(WireError::Encoding)
        );
        bytes.truncate(bytes.len() - 10);
        assert_eq!(
            DealingMessage::decode_dealing(1, &bytes),
            Err(WireError::Encoding)
        );
    }

    #[test]
    fn a_ciphertext_too_short_to_parse_is_a_content_error() {
        let message = DealingMessage {
            commitments: Vec::new(),
            ciphertexts: alloc::vec![alloc::vec![1, 2, 3]],
            ephemeral_proofs: Vec::new(),
        };
        assert_eq!(
            DealingMessage::decode_dealing(1, &message.encode()),
            Err(WireError::Content)
        );
    }

    #[test]
    fn a_complaint_survives_the_wire() {
        let complaint = ComplaintMessage {
            dealer: 3,
            key: 5,
            shared_point: [2; 33],
            proof: [1; PROOF_LEN],
        };
        let decoded = ComplaintMessage::decode_complaint(2, &complaint.encode()).unwrap();
        assert_eq!(decoded.complainer, 2);
        assert_eq!(ComplaintMessage::from_complaint(&decoded), complaint);
    }

    #[test]
    fn signing_payloads_differ_by_every_field() {
        let payload = |genesis: u8, session: u8, batch, member, kind, body: &[u8]| {
            signing_payload(&[genesis; 32], &[session; 32], batch, member, kind, body)
        };
        let base = payload(7, 8, 1, 2, MessageKind::Dealing, b"body");
        assert_eq!(base, payload(7, 8, 1, 2, MessageKind::Dealing, b"body"));
        assert!(base.starts_with(b"torus-dkg/v2"));
        let others = [
            payload(6, 8, 1, 2, MessageKind::Dealing, b"body"),
            payload(7, 9, 1, 2, MessageKind::Dealing, b"body"),
            payload(7, 8, 2, 2, MessageKind::Dealing, b"body"),
            payload(7, 8, 1, 3, MessageKind::Dealing, b"body"),
            payload(7, 8, 1, 2, MessageKind::Complaint, b"body"),
            payload(7, 8, 1, 2, MessageKind::Confirmation, b"body"),
            payload(7, 8, 1, 2, MessageKind::Dealing, b"bodY"),
        ];
        for (i, other) in others.iter().enumerate() {
            assert_ne!(&base, other, "field {i} does not change the payload");
        }
        // The genesis hash and the session id are not interchangeable.
        assert_ne!(
            payload(7, 8, 1, 2, MessageKind::Dealing, b"body"),
            payload(8, 7, 1, 2, MessageKind::Dealing, b"body")
        );
    }

    #[test]
    fn only_printable_http_urls_are_endpoints() {
        let longest = [
            b"https://".as_slice(),
            &[b'a'; MAX_ENDPOINT_LEN as usize - 8],
        ]
        .concat();
        let too_long = [
            b"https://".as_slice(),
            &[b'a'; MAX_ENDPOINT_LEN as usize - 7],
        ]
        .concat();
        for good in [
            &b"http://127.0.0.1:9944"[..],
            b"https://torus.example.com/jrpc",
            &longest,
        ] {
            assert!(
                is_valid_endpoint(good),
                "{:?}",
                String::from_utf8_lossy(good)
            );
        }
        for bad in [
            &b""[..],
            b"http://",
            b"ftp://example.com",
            b"example.com",
            b"http://exa mple.com",
            b"http://example.com\n",
            "http://ex\u{e4}mple.com".as_bytes(),
            &too_long,
        ] {
            assert!(
                !is_valid_endpoint(bad),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn endpoint_and_lost_share_payloads_name_every_field() {
        let key = DkgId::from(sp_core::ecdsa::Public::from_raw([2; 33]));
        let other = DkgId::from(sp_core::ecdsa::Public::from_raw([3; 33]));
        let base = endpoint_payload(&[1; 32], &key, b"http://a", 0);
        assert!(base.starts_with(b"torus-dkg/endpoint/v1"));
        for other in [
            endpoint_payload(&[2; 32], &key, b"http://a", 0),
            endpoint_payload(&[1; 32], &other, b"http://a", 0),
            endpoint_payload(&[1; 32], &key, b"http://b", 0),
            endpoint_payload(&[1; 32], &key, b"http://a", 1),
        ] {
            assert_ne!(base, other);
        }
        let lost = lost_shares_payload(&[1; 32], 3, 2);
        assert!(lost.starts_with(b"torus-dkg/lost/v1"));
        assert_ne!(lost, lost_shares_payload(&[1; 32], 4, 2));
        assert_ne!(lost, lost_shares_payload(&[1; 32], 3, 1));
        assert_ne!(lost, lost_shares_payload(&[2; 32], 3, 2));
    }

    #[test]
    fn thresholds_are_a_strict_majority() {
        assert_eq!([1, 2, 3, 4, 5, 7].map(threshold_for), [1, 2, 2, 3, 3, 4]);
    }
}
