//! Batched distributed key generation, refresh and resharing (Pedersen's joint-Feldman DKG
//! with GJKR-style complaints), one state machine for all three.
//!
//! A *session* produces `B` keys at once. Each dealer of the dealer committee posts one
//! [`Dealing`]: Feldman commitments for `B` polynomials and, for every recipient, one ECIES
//! ciphertext (to the recipient's [`EncryptionPublicKey`]) of its `B` shares. Recipients
//! decrypt and verify *all* shares from *all* dealers with one multiscalar multiplication
//! (random 128-bit linear combination); on failure they fall back to per-dealer and per-key
//! checks and publish a [`Complaint`] that names the dealer and the key. A complaint reveals
//! the ECDH point of that ciphertext with a DLEQ proof, so anyone (the runtime) can decrypt
//! that one ciphertext and judge with [`verify_complaint`]: the dealer or the complainer is
//! the culprit. Every ciphertext carries a Schnorr proof of knowledge of its ephemeral key,
//! bound to (session, dealer, recipient) and checked by [`check_dealing`]: otherwise a
//! malicious dealer could reuse an honest ciphertext's ephemeral key `E` and use the
//! recipient's complaint as an oracle for `sk·E`, publishing honest shares. The qualified set is every dealer with a well-formed dealing and no upheld
//! complaint ([`qualified_dealers`]); at least the dealer committee's threshold must remain.
//!
//! | [`SessionKind`] | dealer `d` shares | constant term on the wire | new share of `j` |
//! |---|---|---|---|
//! | `Fresh` | a random secret | `a_0·G` (the key's part) | `Σ_{d∈Q} s_{d→j}` |
//! | `Refresh` | `0` (zero-sharing) | omitted (it is the identity) | `x_j + Σ_{d∈Q} s_{d→j}` |
//! | `Reshare` | its old share `x_d` | omitted (it must be the old public share `X_d`) | `Σ_{d∈Q} λ_d s_{d→j}` |
//!
//! In every kind the public key of each key is unchanged by refresh/resharing, and the new
//! group commitments follow from the dealings alone ([`group_commitments`]), so the runtime can
//! record them and the new committee can verify everything without trusting the old one.
//!
//! Rounds, as in ZF FROST: [`deal`] (dealer side; consumes the old shares), then for a
//! recipient [`Receiver::new`] → [`Receiver::receive`] (consumes the state, returns the next
//! state and complaints to post) → [`ReceivedShares::finalize`] (consumes the state, takes the
//! qualified set agreed on chain). Sending is the caller's job.
//!
//! ```
//! use rand::SeedableRng;
//! use torus_crypto::{dkg::{self, Committee, Receiver, SessionConfig, SessionKind}, ecies::EncryptionSecretKey};
//! # fn main() -> Result<(), torus_crypto::Error> {
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
//! // Three members, threshold 2, a batch of 4 keys.
//! let keys: Vec<EncryptionSecretKey> = (0..3).map(|_| EncryptionSecretKey::random(&mut rng)).collect();
//! let committee = Committee::new(2, keys.iter().map(|k| k.public_key()).collect())?;
//! let config = SessionConfig::new([0; 32], 4, committee.clone(), committee, SessionKind::Fresh)?;
//! // Round 1: every member deals (and posts its dealing on chain).
//! let dealings = (1..=3).map(|i| dkg::deal(&config, i, None, &mut rng)).collect::<Result<Vec<_>, _>>()?;
//! // Round 2: every member verifies everything and posts complaints (none here).
//! let mut states = Vec::new();
//! for (i, key) in keys.iter().enumerate() {
//!     let (state, complaints) = Receiver::new(config.clone(), i as u16 + 1, key.clone(), None)?.receive(&dealings, &mut rng)?;
//!     assert!(complaints.is_empty());
//!     states.push(state);
//! }
//! // The chain (and every node) computes the qualified set; members finish with it.
//! let q = dkg::qualified_dealers(&config, &dealings, &[]);
//! let outputs = states.into_iter().map(|s| s.finalize(&q.qualified)).collect::<Result<Vec<_>, _>>()?;
//! // Same public keys everywhere, and they are what the runtime records.
//! assert_eq!(outputs[0].commitments, dkg::group_commitments(&config, &dealings, &q.qualified)?);
//! # Ok(())
//! # }
//! ```
//!
//! Security notes (decisions recorded here): the dealing uses Feldman commitments, as the DKG
//! of FROST/RFC 9591 does, not GJKR's Pedersen-then-Feldman two-phase protocol; a rushing
//! adversary can bias the distribution of the public keys (Gennaro et al. 2007) but not learn
//! or choose them, which Gennaro et al. (CT-RSA 2003) show is sufficient for discrete-log
//! based use; a rogue-key choice of `a_0·G` is impossible because every dealer must give
//! verifiable shares to at least `t` honest recipients. The batching coefficients are 128-bit
//! and fresh per verification, so a batch with a bad share passes with probability ≤ 2⁻¹²⁸.

use alloc::{vec, vec::Vec};
use core::fmt;

use k256::{
    elliptic_curve::{
        ops::{LinearCombination, MulByGenerator},
        BatchNormalize,
    },
    AffinePoint, ProjectivePoint, Scalar,
};
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{
    dleq::{self, DleqProof},
    ecies::{self, Ciphertext, EncryptionPublicKey, EncryptionSecretKey},
    encoding::{
        affine_from_uncompressed, affine_to_uncompressed, index_scalar, point_from_bytes,
        point_to_bytes, scalar_from_bytes, PointBytes, UncompressedPointBytes, SCALAR_LEN,
    },
    error::{DealingFault, Error, Index, Result},
    msm::msm_vartime,
    vss::{lagrange_coefficients, FeldmanCommitment, SecretPolynomial},
};

/// Domain-separation tag of complaint proofs.
const COMPLAINT_TAG: &[u8] = b"torus-crypto/v1/dkg-complaint";

/// A committee: threshold and one encryption key per member (member `i` has `keys[i − 1]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committee {
    threshold: Index,
    keys: Vec<EncryptionPublicKey>,
}

impl Committee {
    /// A committee of `keys.len()` members with threshold `threshold` (`1 ≤ t ≤ n`).
    pub fn new(threshold: Index, keys: Vec<EncryptionPublicKey>) -> Result<Self> {
        let n = Index::try_from(keys.len()).map_err(|_| Error::InvalidConfig)?;
        crate::vss::check_threshold(threshold, n)?;
        Ok(Self { threshold, keys })
    }

    /// Number of members `n`.
    pub fn size(&self) -> Index {
        self.keys.len() as Index
    }

    /// Threshold `t`.
    pub fn threshold(&self) -> Index {
        self.threshold
    }

    /// Encryption key of member `index`.
    pub fn key(&self, index: Index) -> Result<&EncryptionPublicKey> {
        if index == 0 {
            return Err(Error::ZeroIndex);
        }
        self.keys
            .get(usize::from(index) - 1)
            .ok_or(Error::IndexOutOfRange {
                index,
                n: self.size(),
            })
    }
}

/// What a session does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// Generate `B` new keys.
    Fresh,
    /// Re-randomize the shares of `B` existing keys (same committee, same threshold);
    /// `previous[b]` are key `b`'s current group commitments.
    Refresh {
        /// Current group commitments, one per key.
        previous: Vec<FeldmanCommitment>,
    },
    /// Move `B` existing keys from the dealer committee (old, its threshold) to the recipient
    /// committee (new threshold); `previous[b]` are key `b`'s current group commitments.
    Reshare {
        /// Current group commitments, one per key.
        previous: Vec<FeldmanCommitment>,
    },
}

/// The public parameters of one session, agreed on chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    session_id: [u8; 32],
    batch_size: u32,
    dealers: Committee,
    recipients: Committee,
    kind: SessionKind,
}

impl SessionConfig {
    /// Validate and build a configuration. `session_id` must be unique per session (e.g. a
    /// hash of the chain's session record); it binds complaint proofs to this session.
    pub fn new(
        session_id: [u8; 32],
        batch_size: u32,
        dealers: Committee,
        recipients: Committee,
        kind: SessionKind,
    ) -> Result<Self> {
        if batch_size == 0 {
            return Err(Error::InvalidConfig);
        }
        match &kind {
            SessionKind::Fresh => {}
            SessionKind::Refresh { previous } => {
                if dealers != recipients {
                    return Err(Error::InvalidConfig);
                }
                Self::check_previous(previous, batch_size, dealers.threshold)?;
            }
            SessionKind::Reshare { previous } => {
                Self::check_previous(previous, batch_size, dealers.threshold)?
            }
        }
        Ok(Self {
            session_id,
            batch_size,
            dealers,
            recipients,
            kind,
        })
    }

    fn check_previous(previous: &[FeldmanCommitment], batch_size: u32, t: Index) -> Result<()> {
        if previous.len() != batch_size as usize {
            return Err(Error::LengthMismatch {
                expected: batch_size as usize,
                actual: previous.len(),
            });
        }
        if previous.iter().any(|c| c.threshold() != t) {
            return Err(Error::InvalidConfig);
        }
        Ok(())
    }

    /// Number of keys `B`.
    pub fn batch_size(&self) -> u32 {
        self.batch_size
    }

    /// The dealer committee.
    pub fn dealers(&self) -> &Committee {
        &self.dealers
    }

    /// The recipient committee.
    pub fn recipients(&self) -> &Committee {
        &self.recipients
    }

    /// The session kind.
    pub fn kind(&self) -> &SessionKind {
        &self.kind
    }

    /// The session id.
    pub fn session_id(&self) -> &[u8; 32] {
        &self.session_id
    }

    /// Commitment points per key on the wire: `t'` for fresh keys, `t' − 1` otherwise (the
    /// constant term is implied).
    pub fn points_per_key(&self) -> usize {
        let t = usize::from(self.recipients.threshold);
        match self.kind {
            SessionKind::Fresh => t,
            _ => t - 1,
        }
    }

    /// Length of each recipient's plaintext: `B` shares of 32 bytes.
    pub fn plaintext_len(&self) -> usize {
        self.batch_size as usize * SCALAR_LEN
    }

    /// Size in bytes of one well-formed dealing's payload (commitments, ciphertexts in the
    /// [`Ciphertext::to_bytes`] layout, proofs), without the dealer index and any container
    /// framing: what the runtime should bound a dealing extrinsic by.
    pub fn dealing_len(&self) -> usize {
        let points = self.batch_size as usize * self.points_per_key() * 65;
        let per_recipient =
            ecies::OVERHEAD + ecies::ciphertext_len(self.plaintext_len()) + dleq::PROOF_LEN;
        points + usize::from(self.recipients.size()) * per_recipient
    }

    /// Minimum size of the qualified set: the dealer committee's threshold (at least one
    /// honest dealer for fresh keys and refresh; enough old shares to interpolate for reshare).
    pub fn min_qualified(&self) -> usize {
        usize::from(self.dealers.threshold)
    }

    /// Index of the first implicit-or-explicit coefficient on the wire.
    fn first_power(&self) -> usize {
        match self.kind {
            SessionKind::Fresh => 0,
            _ => 1,
        }
    }

    /// The implied constant term of dealer `d`'s commitment for key `b` (not on the wire).
    fn implied_constant(&self, dealer: Index, key: usize) -> Result<ProjectivePoint> {
        match &self.kind {
            SessionKind::Fresh | SessionKind::Refresh { .. } => Ok(ProjectivePoint::IDENTITY),
            SessionKind::Reshare { previous } => previous
                .get(key)
                .ok_or(Error::InvalidConfig)?
                .public_share(dealer),
        }
    }
}

/// A member's secret shares of the `B` keys of a batch. Zeroized on drop; `Debug` redacts.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyShares {
    /// The member's index.
    pub index: Index,
    /// `values[b]` is the share of key `b`.
    pub values: Vec<Scalar>,
}

impl fmt::Debug for KeyShares {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyShares")
            .field("index", &self.index)
            .field("keys", &self.values.len())
            .field("values", &"<redacted>")
            .finish()
    }
}

impl KeyShares {
    /// Serialize as `index (2 bytes BE) ‖ count (4 bytes BE) ‖ count × 32-byte scalars`, for
    /// the node's encrypted share store. The result is zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(6 + self.values.len() * SCALAR_LEN));
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&(self.values.len() as u32).to_be_bytes());
        for v in &self.values {
            out.extend_from_slice(&v.to_bytes());
        }
        out
    }

    /// Parse [`KeyShares::to_bytes`]'s format; checks lengths, the index and every scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < 6 {
            return Err(Error::WrongLength {
                expected: 6,
                actual: bytes.len(),
            });
        }
        let index = Index::from_be_bytes([bytes[0], bytes[1]]);
        if index == 0 {
            return Err(Error::ZeroIndex);
        }
        let count = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) as usize;
        let body = &bytes[6..];
        let expected = count.checked_mul(SCALAR_LEN).ok_or(Error::WrongLength {
            expected: usize::MAX,
            actual: body.len(),
        })?;
        if body.len() != expected {
            return Err(Error::WrongLength {
                expected: 6 + expected,
                actual: bytes.len(),
            });
        }
        let values = body
            .chunks_exact(SCALAR_LEN)
            .map(scalar_from_bytes)
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { index, values })
    }
}

/// A dealer's broadcast message. Public: it goes on chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dealing {
    /// The dealer's index in the dealer committee.
    pub dealer: Index,
    /// Feldman commitments, key-major: key `b` has points
    /// `[b·c, (b+1)·c)` with `c = SessionConfig::points_per_key()`. Uncompressed (65 bytes):
    /// every recipient decodes all `n·B·c` points of a session, and a compressed point costs
    /// a field square root (~8 µs here) where an uncompressed one costs an on-curve check
    /// (~0.3 µs); this is what keeps batch verification under 0.2 ms per key (see
    /// docs/BENCHMARKS.md). The group commitments recorded after the session can be stored
    /// compressed ([`FeldmanCommitment::to_bytes`]).
    pub commitments: Vec<UncompressedPointBytes>,
    /// `ciphertexts[j − 1]` encrypts recipient `j`'s `B` shares (32 bytes each, key order).
    pub ciphertexts: Vec<Ciphertext>,
    /// `ephemeral_proofs[j − 1]` proves knowledge of the ephemeral secret key of
    /// `ciphertexts[j − 1]`, bound to (session, dealer, recipient). Without it a malicious
    /// dealer could reuse an honest ciphertext's ephemeral key with a bogus body and make the
    /// recipient reveal `sk·E` (and so the honest plaintext) in a complaint.
    pub ephemeral_proofs: Vec<DleqProof>,
}

/// A dealing whose structure has been checked, with decoded commitment points.
#[derive(Clone, Debug)]
pub struct CheckedDealing {
    dealer: Index,
    /// Key-major affine commitment points (explicit coefficients only).
    points: Vec<AffinePoint>,
}

impl CheckedDealing {
    /// The dealer.
    pub fn dealer(&self) -> Index {
        self.dealer
    }

    fn key_points(&self, config: &SessionConfig, key: usize) -> &[AffinePoint] {
        let c = config.points_per_key();
        self.points.get(key * c..(key + 1) * c).unwrap_or(&[])
    }
}

/// What checking a dealing's public structure needs of a session ([`check_dealing_shape`]):
/// its id, batch size, committee sizes and commitment points per key, but not the reshared
/// keys' commitments, which a runtime would otherwise decode for every dealing it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealingShape {
    session_id: [u8; 32],
    batch_size: u32,
    dealers: Index,
    recipients: Index,
    points_per_key: usize,
}

impl DealingShape {
    /// The shape of the dealings of a session of `batch_size` keys from `dealers` to
    /// `recipients`; `fresh` if the session generates new keys (each dealing commits to every
    /// coefficient) rather than refreshing or resharing existing ones (the constant term is
    /// implied). Equal to [`SessionConfig::dealing_shape`] of the same session.
    pub fn new(
        session_id: [u8; 32],
        batch_size: u32,
        dealers: &Committee,
        recipients: &Committee,
        fresh: bool,
    ) -> Self {
        let t = usize::from(recipients.threshold);
        Self {
            session_id,
            batch_size,
            dealers: dealers.size(),
            recipients: recipients.size(),
            points_per_key: if fresh { t } else { t.saturating_sub(1) },
        }
    }
}

impl SessionConfig {
    /// The shape of this session's dealings.
    pub fn dealing_shape(&self) -> DealingShape {
        DealingShape::new(
            self.session_id,
            self.batch_size,
            &self.dealers,
            &self.recipients,
            matches!(self.kind, SessionKind::Fresh),
        )
    }
}

/// Check everything about a dealing that needs no secret: dealer index, counts, lengths and
/// point encodings. Any failure is the dealer's fault ([`Error::MalformedDealing`]).
pub fn check_dealing(config: &SessionConfig, dealing: &Dealing) -> Result<CheckedDealing> {
    check_dealing_shape(&config.dealing_shape(), dealing)
}

/// [`check_dealing`] against the session's [`DealingShape`] alone.
pub fn check_dealing_shape(shape: &DealingShape, dealing: &Dealing) -> Result<CheckedDealing> {
    let dealer = dealing.dealer;
    let fault = |fault| Error::MalformedDealing { dealer, fault };
    if dealer == 0 || dealer > shape.dealers {
        return Err(fault(DealingFault::UnknownDealer));
    }
    let points = (shape.batch_size as usize).checked_mul(shape.points_per_key);
    if points != Some(dealing.commitments.len()) {
        return Err(fault(DealingFault::CommitmentCount));
    }
    if dealing.ciphertexts.len() != usize::from(shape.recipients) {
        return Err(fault(DealingFault::CiphertextCount));
    }
    if dealing.ephemeral_proofs.len() != dealing.ciphertexts.len() {
        return Err(fault(DealingFault::EphemeralProof));
    }
    let expected_len = ecies::ciphertext_len(shape.batch_size as usize * SCALAR_LEN);
    for (j, (ct, proof)) in dealing
        .ciphertexts
        .iter()
        .zip(&dealing.ephemeral_proofs)
        .enumerate()
    {
        if ct.ciphertext.len() != expected_len {
            return Err(fault(DealingFault::Ciphertext));
        }
        let e = ct
            .ephemeral_point()
            .map_err(|_| fault(DealingFault::Ciphertext))?;
        let context = ephemeral_context(&shape.session_id, dealer, j as Index + 1);
        dleq::verify_dlog(&e, proof, &context).map_err(|_| fault(DealingFault::EphemeralProof))?;
    }
    let points = dealing
        .commitments
        .iter()
        .map(|b| affine_from_uncompressed(b))
        .collect::<Result<Vec<_>>>()
        .map_err(|_| fault(DealingFault::CommitmentPoint))?;
    Ok(CheckedDealing { dealer, points })
}

/// Deal for a session as dealer `dealer`. `old_shares` are the dealer's current shares for
/// `Refresh` (ignored: a zero-sharing needs none, pass `None`) and required for `Reshare`.
pub fn deal(
    config: &SessionConfig,
    dealer: Index,
    old_shares: Option<KeyShares>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Dealing> {
    if dealer == 0 || dealer > config.dealers.size() {
        return Err(Error::IndexOutOfRange {
            index: dealer,
            n: config.dealers.size(),
        });
    }
    let b_count = config.batch_size as usize;
    let secrets: Zeroizing<Vec<Scalar>> = match &config.kind {
        SessionKind::Fresh => Zeroizing::new(
            (0..b_count)
                .map(|_| crate::vss::random_nonzero(rng))
                .collect(),
        ),
        SessionKind::Refresh { .. } => Zeroizing::new(vec![Scalar::ZERO; b_count]),
        SessionKind::Reshare { .. } => {
            let old = old_shares.ok_or(Error::InvalidConfig)?;
            if old.index != dealer {
                return Err(Error::InvalidConfig);
            }
            if old.values.len() != b_count {
                return Err(Error::LengthMismatch {
                    expected: b_count,
                    actual: old.values.len(),
                });
            }
            Zeroizing::new(old.values.clone())
        }
    };
    let t = config.recipients.threshold;
    let first = config.first_power();
    let n = usize::from(config.recipients.size());
    let mut plaintexts: Vec<Zeroizing<Vec<u8>>> = (0..n)
        .map(|_| Zeroizing::new(Vec::with_capacity(config.plaintext_len())))
        .collect();
    let xs = (1..=config.recipients.size())
        .map(index_scalar)
        .collect::<Result<Vec<_>>>()?;
    let mut projective = Vec::with_capacity(b_count * config.points_per_key());
    for secret in secrets.iter() {
        let poly = SecretPolynomial::random(*secret, t, rng)?;
        for c in poly.coefficients().iter().skip(first) {
            projective.push(ProjectivePoint::mul_by_generator(c));
        }
        for (x, pt) in xs.iter().zip(plaintexts.iter_mut()) {
            pt.extend_from_slice(&poly.evaluate(x).to_bytes());
        }
    }
    let affine = normalize(&projective);
    let commitments = affine
        .iter()
        .map(affine_to_uncompressed)
        .collect::<Result<Vec<_>>>()?;
    let mut ciphertexts = Vec::with_capacity(n);
    let mut ephemeral_proofs = Vec::with_capacity(n);
    for (j, pt) in plaintexts.iter().enumerate() {
        let (ct, proof) = encrypt_for_recipient(config, dealer, j as Index + 1, pt, rng)?;
        ciphertexts.push(ct);
        ephemeral_proofs.push(proof);
    }
    Ok(Dealing {
        dealer,
        commitments,
        ciphertexts,
        ephemeral_proofs,
    })
}

/// Encrypt `plaintext` to recipient `recipient` as dealer `dealer` would, with the proof of
/// knowledge of the ephemeral key that [`check_dealing`] requires. [`deal`] uses it; it is
/// public so that tests (and tools) can build dealings with chosen contents.
pub fn encrypt_for_recipient(
    config: &SessionConfig,
    dealer: Index,
    recipient: Index,
    plaintext: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(Ciphertext, DleqProof)> {
    let key = config.recipients.key(recipient)?;
    let ephemeral = EncryptionSecretKey::random(rng);
    let mut iv = [0u8; ecies::IV_LEN];
    rng.fill_bytes(&mut iv);
    let ct = ecies::encrypt_with(key, plaintext, &ephemeral, iv)?;
    let context = ephemeral_context(&config.session_id, dealer, recipient);
    let proof = dleq::prove_dlog(ephemeral.scalar(), &context, rng)?;
    Ok((ct, proof))
}

/// A recipient's complaint against a dealer: reveals the ECDH point of the recipient's
/// ciphertext with a DLEQ proof, and names the key whose share is bad. Public.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complaint {
    /// The complaining recipient.
    pub complainer: Index,
    /// The accused dealer.
    pub dealer: Index,
    /// The key (position in the batch) whose share is bad; any value if the ciphertext itself
    /// does not decrypt.
    pub key: u32,
    /// The ECDH point `sk_complainer · E` for the ciphertext's ephemeral key `E`.
    pub shared_point: PointBytes,
    /// Proof that `log_G PK_complainer = log_E shared_point`.
    pub proof: DleqProof,
}

/// The outcome of judging a complaint. Either way, the contained error names the culprit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComplaintVerdict {
    /// The complaint holds: the dealer is disqualified (and slashable).
    DealerFaulty(Error),
    /// The complaint is false or malformed: the complainer is the culprit.
    ComplainerFaulty(Error),
}

const EPHEMERAL_TAG: &[u8] = b"torus-crypto/v1/dkg-ephemeral";

fn ephemeral_context(session_id: &[u8; 32], dealer: Index, recipient: Index) -> Vec<u8> {
    let mut ctx = Vec::with_capacity(EPHEMERAL_TAG.len() + 32 + 4);
    ctx.extend_from_slice(EPHEMERAL_TAG);
    ctx.extend_from_slice(session_id);
    ctx.extend_from_slice(&dealer.to_be_bytes());
    ctx.extend_from_slice(&recipient.to_be_bytes());
    ctx
}

fn complaint_context(
    config: &SessionConfig,
    dealer: Index,
    complainer: Index,
    key: u32,
) -> Vec<u8> {
    let mut ctx = Vec::with_capacity(COMPLAINT_TAG.len() + 32 + 8);
    ctx.extend_from_slice(COMPLAINT_TAG);
    ctx.extend_from_slice(&config.session_id);
    ctx.extend_from_slice(&dealer.to_be_bytes());
    ctx.extend_from_slice(&complainer.to_be_bytes());
    ctx.extend_from_slice(&key.to_be_bytes());
    ctx
}

/// Build a complaint by recipient `me` against `dealing` about key `key` ([`Receiver::receive`]
/// does this itself; exposed for nodes that restart between rounds and for tests).
pub fn complain(
    config: &SessionConfig,
    me: Index,
    secret: &EncryptionSecretKey,
    dealing: &Dealing,
    key: u32,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Complaint> {
    if *config.recipients.key(me)? != secret.public_key() {
        return Err(Error::InvalidConfig);
    }
    let ct = dealing
        .ciphertexts
        .get(usize::from(me) - 1)
        .ok_or(Error::InvalidConfig)?;
    let e = ct.ephemeral_point()?;
    let shared = e * secret.scalar();
    let context = complaint_context(config, dealing.dealer, me, key);
    let proof = dleq::prove(secret.scalar(), &e, &context, rng)?;
    Ok(Complaint {
        complainer: me,
        dealer: dealing.dealer,
        key,
        shared_point: point_to_bytes(&shared)?,
        proof,
    })
}

/// Check recipient `j`'s share `s` of key `b` from `dealing` against its commitments.
fn share_matches(
    config: &SessionConfig,
    dealing: &CheckedDealing,
    recipient: Index,
    key: usize,
    share: &Scalar,
) -> Result<bool> {
    let x = index_scalar(recipient)?;
    let points = dealing.key_points(config, key);
    // Σ_k x^k C_k over the explicit coefficients, by Horner, plus the implied constant.
    let mut acc = ProjectivePoint::IDENTITY;
    for p in points.iter().rev() {
        acc = acc * x + p;
    }
    if config.first_power() == 1 {
        acc *= x;
    }
    acc += config.implied_constant(dealing.dealer, key)?;
    Ok(ProjectivePoint::mul_by_generator(share) == acc)
}

/// Judge a complaint against `dealing` (no secrets needed: this is what the runtime runs).
/// `Err` only if the complaint and dealing do not belong together (the complaint names another
/// dealer): such a pair must not be judged.
pub fn verify_complaint(
    config: &SessionConfig,
    dealing: &Dealing,
    complaint: &Complaint,
) -> Result<ComplaintVerdict> {
    let (dealer, complainer) = (complaint.dealer, complaint.complainer);
    if dealing.dealer != dealer {
        return Err(Error::MismatchedComplaint { complainer, dealer });
    }
    let false_complaint =
        ComplaintVerdict::ComplainerFaulty(Error::FalseComplaint { complainer, dealer });
    let complainer_key = match config.recipients.key(complainer) {
        Ok(k) => k,
        Err(_) => {
            return Ok(ComplaintVerdict::ComplainerFaulty(
                Error::MismatchedComplaint { complainer, dealer },
            ))
        }
    };
    if complaint.key >= config.batch_size {
        return Ok(ComplaintVerdict::ComplainerFaulty(
            Error::MismatchedComplaint { complainer, dealer },
        ));
    }
    let checked = match check_dealing(config, dealing) {
        Ok(c) => c,
        Err(e) => return Ok(ComplaintVerdict::DealerFaulty(e)),
    };
    let Some(ct) = dealing.ciphertexts.get(usize::from(complainer) - 1) else {
        return Ok(ComplaintVerdict::DealerFaulty(Error::MalformedDealing {
            dealer,
            fault: DealingFault::CiphertextCount,
        }));
    };
    let Ok(shared) = point_from_bytes(&complaint.shared_point) else {
        return Ok(false_complaint);
    };
    let Ok(e) = ct.ephemeral_point() else {
        return Ok(ComplaintVerdict::DealerFaulty(Error::MalformedDealing {
            dealer,
            fault: DealingFault::Ciphertext,
        }));
    };
    let context = complaint_context(config, dealer, complainer, complaint.key);
    if dleq::verify(
        &complainer_key.point(),
        &e,
        &shared,
        &complaint.proof,
        &context,
    )
    .is_err()
    {
        return Ok(false_complaint);
    }
    let undecryptable = ComplaintVerdict::DealerFaulty(Error::UndecryptableShares {
        dealer,
        recipient: complainer,
    });
    let Ok(plaintext) = ecies::decrypt_with_shared_point(&shared, ct) else {
        return Ok(undecryptable);
    };
    if plaintext.len() != config.plaintext_len() {
        return Ok(undecryptable);
    }
    let key = complaint.key as usize;
    let bad_share = ComplaintVerdict::DealerFaulty(Error::InvalidDealerShare {
        dealer,
        recipient: complainer,
        key: complaint.key,
    });
    let Ok(share) = scalar_from_bytes(&plaintext[key * SCALAR_LEN..(key + 1) * SCALAR_LEN]) else {
        return Ok(bad_share);
    };
    let share = Zeroizing::new(share);
    if share_matches(config, &checked, complainer, key, &share)? {
        Ok(false_complaint)
    } else {
        Ok(bad_share)
    }
}

/// The qualified set and the faults found while computing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qualification {
    /// Qualified dealers, ascending.
    pub qualified: Vec<Index>,
    /// Every fault found, each naming its culprit (malformed dealings, upheld and false
    /// complaints).
    pub faults: Vec<Error>,
}

/// Compute the qualified set from all dealings and complaints posted in a session, in posting
/// order: dealers whose *first* dealing is well-formed (any later one is a
/// [`Error::DuplicateDealing`] fault and ignored, as [`Receiver::receive`] does) and against
/// whom no complaint is upheld.
pub fn qualified_dealers(
    config: &SessionConfig,
    dealings: &[Dealing],
    complaints: &[Complaint],
) -> Qualification {
    let mut faults = Vec::new();
    let mut good: Vec<&Dealing> = Vec::new();
    let mut seen: Vec<Index> = Vec::new();
    for d in dealings {
        if seen.contains(&d.dealer) {
            faults.push(Error::DuplicateDealing { dealer: d.dealer });
            continue;
        }
        seen.push(d.dealer);
        match check_dealing(config, d) {
            Ok(_) => good.push(d),
            Err(e) => faults.push(e),
        }
    }
    let mut disqualified: Vec<Index> = Vec::new();
    for c in complaints {
        let Some(d) = good.iter().find(|g| g.dealer == c.dealer) else {
            continue;
        };
        match verify_complaint(config, d, c) {
            Ok(ComplaintVerdict::DealerFaulty(e)) => {
                disqualified.push(c.dealer);
                faults.push(e);
            }
            Ok(ComplaintVerdict::ComplainerFaulty(e)) => faults.push(e),
            Err(e) => faults.push(e),
        }
    }
    let mut qualified: Vec<Index> = good
        .iter()
        .map(|d| d.dealer)
        .filter(|d| !disqualified.contains(d))
        .collect();
    qualified.sort_unstable();
    Qualification { qualified, faults }
}

/// The weight of dealer `d`'s contribution: 1, or the Lagrange coefficient over `qualified`
/// for resharing.
fn weights(config: &SessionConfig, qualified: &[Index]) -> Result<Vec<Scalar>> {
    match config.kind {
        SessionKind::Reshare { .. } => lagrange_coefficients(qualified, &Scalar::ZERO),
        _ => Ok(vec![Scalar::ONE; qualified.len()]),
    }
}

/// A weight as a small signed integer `(negative, magnitude)`, if it is one below 2⁶⁴.
fn small_weight(w: &Scalar) -> Option<(bool, u64)> {
    let magnitude = |s: &Scalar| {
        let bytes = s.to_bytes();
        let (high, low) = bytes.split_at(SCALAR_LEN - 8);
        high.iter().all(|b| *b == 0).then(|| {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(low);
            u64::from_be_bytes(buf)
        })
    };
    magnitude(w)
        .map(|m| (false, m))
        .or_else(|| magnitude(&-*w).map(|m| (true, m)))
}

/// Every weight as a small signed integer, if each is one. The Lagrange weights at 0 of the
/// indices `1..=m` are binomial coefficients (`±C(m, i)`, below 2⁶⁴ for m ≤ 67): a reshare in
/// which every dealer of a committee of up to 67 qualifies.
fn small_weights(w: &[Scalar]) -> Option<Vec<(bool, u64)>> {
    w.iter().map(small_weight).collect()
}

/// The bit length of the largest of small integer weights.
fn max_bits(weights: &[(bool, u64)]) -> u32 {
    weights
        .iter()
        .map(|(_, m)| u64::BITS - m.leading_zeros())
        .max()
        .unwrap_or(0)
}

/// `Σ wᵢ·pointsᵢ` for small signed integer weights, by one double-and-add over their bits
/// (variable time: the weights are public).
fn small_lincomb(points: &[AffinePoint], weights: &[(bool, u64)]) -> ProjectivePoint {
    let mut acc = ProjectivePoint::IDENTITY;
    for bit in (0..max_bits(weights)).rev() {
        acc = acc.double();
        for (p, (negative, m)) in points.iter().zip(weights) {
            if (m >> bit) & 1 == 1 {
                acc = if *negative { acc - p } else { acc + p };
            }
        }
    }
    acc
}

/// The bit length of the largest Lagrange weight with which a reshare from `dealers` combines
/// their commitments, if every weight is a small integer (see [`group_commitments`]): the new
/// commitments then cost `bits` doublings and at most `bits · dealers.len()` additions per
/// point; `None` if they take full scalar multiplications.
pub fn small_reshare_weight_bits(dealers: &[Index]) -> Result<Option<u32>> {
    let w = lagrange_coefficients(dealers, &Scalar::ZERO)?;
    Ok(small_weights(&w).map(|small| max_bits(&small)))
}

fn aggregate_commitments(
    config: &SessionConfig,
    qualified: &[&CheckedDealing],
) -> Result<Vec<FeldmanCommitment>> {
    let dealers: Vec<Index> = qualified.iter().map(|d| d.dealer).collect();
    let w = weights(config, &dealers)?;
    let small = small_weights(&w);
    let c = config.points_per_key();
    let first = config.first_power();
    let t = usize::from(config.recipients.threshold);
    (0..config.batch_size as usize)
        .map(|b| {
            let mut points = vec![ProjectivePoint::IDENTITY; t];
            if w.iter().all(|wd| *wd == Scalar::ONE) {
                // Fresh and refresh weights are all one (public): additions instead of scalar
                // multiplications, which in the runtime's wasm are ~1000× dearer.
                for d in qualified {
                    for (k, p) in d.key_points(config, b).iter().enumerate().take(c) {
                        points[first + k] += ProjectivePoint::from(*p);
                    }
                }
            } else if let Some(small) = &small {
                // Small integer weights: one double-and-add over their bits for all dealers.
                for (k, slot) in points.iter_mut().skip(first).take(c).enumerate() {
                    let terms = qualified
                        .iter()
                        .map(|d| d.key_points(config, b).get(k).copied())
                        .collect::<Option<Vec<_>>>()
                        .ok_or(Error::InvalidConfig)?;
                    *slot += small_lincomb(&terms, small);
                }
            } else {
                // Lagrange weights: two dealers at a time, sharing the doublings.
                for (pair, weights) in qualified.chunks(2).zip(w.chunks(2)) {
                    for (k, slot) in points.iter_mut().skip(first).take(c).enumerate() {
                        let point = |d: &CheckedDealing| {
                            d.key_points(config, b)
                                .get(k)
                                .map(|p| ProjectivePoint::from(*p))
                        };
                        *slot += match (pair, weights) {
                            ([x, y], [wx, wy]) => ProjectivePoint::lincomb(
                                &point(x).ok_or(Error::InvalidConfig)?,
                                wx,
                                &point(y).ok_or(Error::InvalidConfig)?,
                                wy,
                            ),
                            ([x], [wx]) => point(x).ok_or(Error::InvalidConfig)? * wx,
                            _ => return Err(Error::InvalidConfig),
                        };
                    }
                }
            }
            match &config.kind {
                SessionKind::Fresh => {}
                SessionKind::Refresh { previous } | SessionKind::Reshare { previous } => {
                    let prev = previous.get(b).ok_or(Error::InvalidConfig)?;
                    if matches!(config.kind, SessionKind::Refresh { .. }) {
                        for (k, p) in prev.points().iter().enumerate() {
                            points[k] += p;
                        }
                    } else {
                        points[0] = prev.public_key();
                    }
                }
            }
            FeldmanCommitment::new(points)
        })
        .collect()
}

/// The new group commitments of every key from the dealings of the qualified set (public:
/// the runtime records them). `commitments[b].public_key()` is key `b`'s public key and
/// `commitments[b].public_share(j)` member `j`'s public share.
pub fn group_commitments(
    config: &SessionConfig,
    dealings: &[Dealing],
    qualified: &[Index],
) -> Result<Vec<FeldmanCommitment>> {
    check_qualified(config, qualified)?;
    let checked = qualified
        .iter()
        .map(|q| {
            let d = dealings
                .iter()
                .find(|d| d.dealer == *q)
                .ok_or(Error::InvalidConfig)?;
            check_dealing(config, d)
        })
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&CheckedDealing> = checked.iter().collect();
    aggregate_commitments(config, &refs)
}

fn check_qualified(config: &SessionConfig, qualified: &[Index]) -> Result<()> {
    if qualified.len() < config.min_qualified() {
        return Err(Error::NotEnoughQualified {
            needed: config.min_qualified(),
            got: qualified.len(),
        });
    }
    for (pos, q) in qualified.iter().enumerate() {
        if *q == 0 || *q > config.dealers.size() {
            return Err(Error::IndexOutOfRange {
                index: *q,
                n: config.dealers.size(),
            });
        }
        if qualified[..pos].contains(q) {
            return Err(Error::DuplicateIndex { index: *q });
        }
    }
    Ok(())
}

/// A recipient at the start of a session.
pub struct Receiver {
    config: SessionConfig,
    me: Index,
    secret: EncryptionSecretKey,
    old_shares: Option<KeyShares>,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("me", &self.me)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A recipient after verifying the dealings: holds the verified shares (secret).
pub struct ReceivedShares {
    config: SessionConfig,
    me: Index,
    old_shares: Option<KeyShares>,
    /// Dealings whose shares to us all verified, with their (secret) shares.
    verified: Vec<(CheckedDealing, KeyShares)>,
    /// Dealers we complained about or whose dealing is malformed.
    rejected: Vec<Index>,
}

impl fmt::Debug for ReceivedShares {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedShares")
            .field("me", &self.me)
            .field(
                "verified_dealers",
                &self.verified.iter().map(|v| v.0.dealer).collect::<Vec<_>>(),
            )
            .field("rejected", &self.rejected)
            .finish()
    }
}

/// The result of a session for one recipient.
#[derive(Debug)]
pub struct SessionOutput {
    /// The recipient's new shares of the `B` keys (secret).
    pub shares: KeyShares,
    /// The new group commitments of every key (public; equal to [`group_commitments`]).
    pub commitments: Vec<FeldmanCommitment>,
    /// The qualified set that was used.
    pub qualified: Vec<Index>,
}

impl Receiver {
    /// Start as recipient `me` with its ECIES secret key. `old_shares` are required for
    /// `Refresh` (the member's current shares) and unused otherwise.
    pub fn new(
        config: SessionConfig,
        me: Index,
        secret: EncryptionSecretKey,
        old_shares: Option<KeyShares>,
    ) -> Result<Self> {
        let my_key = config.recipients.key(me)?;
        if *my_key != secret.public_key() {
            return Err(Error::InvalidConfig);
        }
        if let SessionKind::Refresh { .. } = config.kind {
            let old = old_shares.as_ref().ok_or(Error::InvalidConfig)?;
            if old.index != me || old.values.len() != config.batch_size as usize {
                return Err(Error::InvalidConfig);
            }
        }
        Ok(Self {
            config,
            me,
            secret,
            old_shares,
        })
    }

    /// Decrypt and verify every dealing (one batched check for all of them), and return the
    /// complaints to post. Malformed dealings are skipped (everyone sees them; no complaint is
    /// needed); a second dealing from the same dealer is ignored.
    pub fn receive(
        self,
        dealings: &[Dealing],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(ReceivedShares, Vec<Complaint>)> {
        let Self {
            config,
            me,
            secret,
            old_shares,
        } = self;
        let mut complaints = Vec::new();
        let mut rejected = Vec::new();
        let mut candidates: Vec<(CheckedDealing, KeyShares)> = Vec::new();
        let b_count = config.batch_size as usize;
        for dealing in dealings {
            if candidates.iter().any(|c| c.0.dealer == dealing.dealer)
                || rejected.contains(&dealing.dealer)
            {
                continue;
            }
            let Ok(checked) = check_dealing(&config, dealing) else {
                rejected.push(dealing.dealer);
                continue;
            };
            let ct = dealing
                .ciphertexts
                .get(usize::from(me) - 1)
                .ok_or(Error::InvalidConfig)?;
            let plaintext = match ecies::decrypt(&secret, ct) {
                Ok(p) if p.len() == config.plaintext_len() => p,
                _ => {
                    complaints.push(complain(&config, me, &secret, dealing, 0, rng)?);
                    rejected.push(dealing.dealer);
                    continue;
                }
            };
            let mut values = Vec::with_capacity(b_count);
            let mut bad_key = None;
            for (b, chunk) in plaintext.chunks_exact(SCALAR_LEN).enumerate() {
                match scalar_from_bytes(chunk) {
                    Ok(s) => values.push(s),
                    Err(_) => {
                        bad_key = Some(b as u32);
                        break;
                    }
                }
            }
            let shares = KeyShares { index: me, values };
            if let Some(key) = bad_key {
                complaints.push(complain(&config, me, &secret, dealing, key, rng)?);
                rejected.push(dealing.dealer);
                continue;
            }
            candidates.push((checked, shares));
        }

        // One batched check of everything; on failure, per dealer, then per key.
        let all: Vec<&(CheckedDealing, KeyShares)> = candidates.iter().collect();
        let mut bad_dealers: Vec<(Index, u32)> = Vec::new();
        if !batch_verify(&config, me, &all, rng)? {
            for cand in &candidates {
                if batch_verify(&config, me, &[cand], rng)? {
                    continue;
                }
                let mut culprit_key = None;
                for (b, s) in cand.1.values.iter().enumerate() {
                    if !share_matches(&config, &cand.0, me, b, s)? {
                        culprit_key = Some(b as u32);
                        break;
                    }
                }
                // A failed batch always has a failing key; use 0 defensively otherwise.
                bad_dealers.push((cand.0.dealer, culprit_key.unwrap_or(0)));
            }
        }
        let mut verified = Vec::with_capacity(candidates.len());
        for cand in candidates {
            if let Some((dealer, key)) = bad_dealers.iter().find(|(d, _)| *d == cand.0.dealer) {
                let dealing = dealings
                    .iter()
                    .find(|d| d.dealer == *dealer)
                    .ok_or(Error::InvalidConfig)?;
                complaints.push(complain(&config, me, &secret, dealing, *key, rng)?);
                rejected.push(*dealer);
            } else {
                verified.push(cand);
            }
        }
        Ok((
            ReceivedShares {
                config,
                me,
                old_shares,
                verified,
                rejected,
            },
            complaints,
        ))
    }
}

/// Batch-verify the shares of recipient `me` from the given dealings with one MSM:
/// `Σ r_{d,b} s_{d,b}·G == Σ r_{d,b} (K_{d,b} + Σ_k me^k C_{d,b,k})` with random 128-bit `r`.
fn batch_verify(
    config: &SessionConfig,
    me: Index,
    items: &[&(CheckedDealing, KeyShares)],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<bool> {
    let x = index_scalar(me)?;
    let c = config.points_per_key();
    let first = config.first_power();
    let powers: Vec<Scalar> = {
        let mut p = Vec::with_capacity(c);
        let mut acc = if first == 1 { x } else { Scalar::ONE };
        for _ in 0..c {
            p.push(acc);
            acc *= x;
        }
        p
    };
    let total: usize = items.iter().map(|i| i.0.points.len()).sum();
    let mut scalars = Vec::with_capacity(total);
    let mut points = Vec::with_capacity(total);
    let mut lhs = Scalar::ZERO;
    // Reshare: Σ_d r_{d,b} X_{d,b} = Σ_k (Σ_d r_{d,b} d^k) A_{b,k}, accumulated per key.
    let reshare_prev = match &config.kind {
        SessionKind::Reshare { previous } => Some(previous),
        _ => None,
    };
    let t_old = usize::from(config.dealers.threshold);
    let mut old_coeffs = if reshare_prev.is_some() {
        vec![Scalar::ZERO; config.batch_size as usize * t_old]
    } else {
        Vec::new()
    };
    for (dealing, shares) in items.iter().map(|i| (&i.0, &i.1)) {
        let d = index_scalar(dealing.dealer)?;
        for (b, s) in shares.values.iter().enumerate() {
            let r = random_128(rng);
            lhs += r * s;
            for (p, pw) in dealing.key_points(config, b).iter().zip(&powers) {
                scalars.push(r * pw);
                points.push(*p);
            }
            if reshare_prev.is_some() {
                let mut dk = r;
                for k in 0..t_old {
                    if let Some(slot) = old_coeffs.get_mut(b * t_old + k) {
                        *slot += dk;
                    }
                    dk *= d;
                }
            }
        }
    }
    if let Some(previous) = reshare_prev {
        let old_points: Vec<ProjectivePoint> = previous
            .iter()
            .flat_map(|c| c.points().iter().copied())
            .collect();
        let old_affine = normalize(&old_points);
        scalars.extend_from_slice(&old_coeffs);
        points.extend_from_slice(&old_affine);
    }
    let rhs = msm_vartime(&scalars, &points)?;
    Ok(ProjectivePoint::mul_by_generator(&lhs) == rhs)
}

/// Batch conversion to affine (one field inversion); k256 panics on an empty batch, so that
/// case is handled here.
fn normalize(points: &[ProjectivePoint]) -> Vec<AffinePoint> {
    if points.is_empty() {
        return Vec::new();
    }
    <ProjectivePoint as BatchNormalize<[ProjectivePoint]>>::batch_normalize(points)
}

fn random_128(rng: &mut (impl RngCore + CryptoRng)) -> Scalar {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes[16..]);
    // 128-bit values are always below the group order.
    scalar_from_bytes(&bytes).unwrap_or(Scalar::ONE)
}

impl ReceivedShares {
    /// Dealers whose shares to us verified.
    pub fn verified_dealers(&self) -> Vec<Index> {
        self.verified.iter().map(|v| v.0.dealer).collect()
    }

    /// Finish with the qualified set agreed on chain (e.g. from [`qualified_dealers`]).
    /// Fails with [`Error::QualifiedDealerFaulty`] if it contains a dealer whose shares to us
    /// did not verify (our complaint was not counted): the node must not use such a result.
    pub fn finalize(self, qualified: &[Index]) -> Result<SessionOutput> {
        check_qualified(&self.config, qualified)?;
        let mut chosen: Vec<&(CheckedDealing, KeyShares)> = Vec::with_capacity(qualified.len());
        for q in qualified {
            match self.verified.iter().find(|v| v.0.dealer == *q) {
                Some(v) => chosen.push(v),
                None => return Err(Error::QualifiedDealerFaulty { dealer: *q }),
            }
        }
        let dealers: Vec<Index> = chosen.iter().map(|c| c.0.dealer).collect();
        let w = weights(&self.config, &dealers)?;
        let b_count = self.config.batch_size as usize;
        let mut values = match (&self.config.kind, &self.old_shares) {
            (SessionKind::Refresh { .. }, Some(old)) => old.values.clone(),
            (SessionKind::Refresh { .. }, None) => return Err(Error::InvalidConfig),
            _ => vec![Scalar::ZERO; b_count],
        };
        for ((_, shares), wd) in chosen.iter().map(|c| (&c.0, &c.1)).zip(&w) {
            for (acc, s) in values.iter_mut().zip(&shares.values) {
                *acc += s * wd;
            }
        }
        let refs: Vec<&CheckedDealing> = chosen.iter().map(|c| &c.0).collect();
        let commitments = aggregate_commitments(&self.config, &refs)?;
        Ok(SessionOutput {
            shares: KeyShares {
                index: self.me,
                values,
            },
            commitments,
            qualified: dealers,
        })
    }
}
