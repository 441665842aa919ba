//! Chaum–Pedersen proof of discrete-logarithm equality, made non-interactive with
//! Fiat–Shamir (SHA-512, wide reduction, domain-separation tag and caller context).
//!
//! Proves knowledge of `x` with `P = x·G` and `S = x·E` for public `G, P, E, S`. A complaint
//! uses it to show that a revealed ECDH point `S` is the recipient's `sk·E`.

use k256::{
    elliptic_curve::{bigint::U512, ops::MulByGenerator, ops::Reduce},
    ProjectivePoint, Scalar,
};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};

use crate::{
    encoding::{point_to_bytes, scalar_from_bytes, scalar_to_bytes, ScalarBytes, SCALAR_LEN},
    error::{Error, Result},
    vss::random_nonzero,
};

const DLEQ_TAG: &[u8] = b"torus-crypto/v1/dleq";

/// Length of an encoded proof: challenge ‖ response.
pub const PROOF_LEN: usize = 2 * SCALAR_LEN;

/// A DLEQ proof `(c, z)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DleqProof {
    /// The challenge `c`.
    pub challenge: ScalarBytes,
    /// The response `z = k + c·x`.
    pub response: ScalarBytes,
}

impl DleqProof {
    /// `c ‖ z`.
    pub fn to_bytes(&self) -> [u8; PROOF_LEN] {
        let mut out = [0u8; PROOF_LEN];
        out[..SCALAR_LEN].copy_from_slice(&self.challenge);
        out[SCALAR_LEN..].copy_from_slice(&self.response);
        out
    }

    /// Parse `c ‖ z` (both canonical scalars).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != PROOF_LEN {
            return Err(Error::WrongLength {
                expected: PROOF_LEN,
                actual: bytes.len(),
            });
        }
        let (c, z) = bytes.split_at(SCALAR_LEN);
        scalar_from_bytes(c)?;
        scalar_from_bytes(z)?;
        let mut proof = Self {
            challenge: [0u8; SCALAR_LEN],
            response: [0u8; SCALAR_LEN],
        };
        proof.challenge.copy_from_slice(c);
        proof.response.copy_from_slice(z);
        Ok(proof)
    }
}

fn challenge(context: &[u8], points: [&ProjectivePoint; 6]) -> Result<Scalar> {
    hash_points(DLEQ_TAG, context, &points)
}

fn hash_points(tag: &[u8], context: &[u8], points: &[&ProjectivePoint]) -> Result<Scalar> {
    let mut h = Sha512::new();
    h.update(tag);
    h.update((context.len() as u64).to_be_bytes());
    h.update(context);
    for p in points {
        h.update(point_to_bytes(p)?);
    }
    Ok(<Scalar as Reduce<U512>>::reduce_bytes(&h.finalize()))
}

/// Prove `log_G P = log_E S = x` where `P = x·G`, `S = x·E`; `context` binds the proof to
/// its use (session, dealer, recipient).
pub fn prove(
    x: &Scalar,
    e: &ProjectivePoint,
    context: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<DleqProof> {
    let p = ProjectivePoint::mul_by_generator(x);
    let s = e * x;
    let k = random_nonzero(rng);
    let a1 = ProjectivePoint::mul_by_generator(&k);
    let a2 = e * &k;
    let c = challenge(context, [&ProjectivePoint::GENERATOR, &p, e, &s, &a1, &a2])?;
    let z = k + c * x;
    Ok(DleqProof {
        challenge: scalar_to_bytes(&c),
        response: scalar_to_bytes(&z),
    })
}

/// Verify a proof that `log_G P = log_E S`.
pub fn verify(
    p: &ProjectivePoint,
    e: &ProjectivePoint,
    s: &ProjectivePoint,
    proof: &DleqProof,
    context: &[u8],
) -> Result<()> {
    let c = scalar_from_bytes(&proof.challenge).map_err(|_| Error::InvalidProof)?;
    let z = scalar_from_bytes(&proof.response).map_err(|_| Error::InvalidProof)?;
    let a1 = ProjectivePoint::mul_by_generator(&z) - p * &c;
    let a2 = e * &z - s * &c;
    if a1 == ProjectivePoint::IDENTITY || a2 == ProjectivePoint::IDENTITY {
        return Err(Error::InvalidProof);
    }
    let expected = challenge(context, [&ProjectivePoint::GENERATOR, p, e, s, &a1, &a2])
        .map_err(|_| Error::InvalidProof)?;
    if expected == c {
        Ok(())
    } else {
        Err(Error::InvalidProof)
    }
}

const DLOG_TAG: &[u8] = b"torus-crypto/v1/dlog";

/// Schnorr proof of knowledge of `x` with `P = x·G`, bound to `context` (same `(c, z)`
/// encoding as [`DleqProof`]). A dealing proves it knows the ephemeral key of each ECIES
/// ciphertext, so nobody can post (a variant of) someone else's ciphertext and make its
/// recipient reveal the ECDH point in a complaint.
pub fn prove_dlog(
    x: &Scalar,
    context: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<DleqProof> {
    let p = ProjectivePoint::mul_by_generator(x);
    let k = random_nonzero(rng);
    let r = ProjectivePoint::mul_by_generator(&k);
    let c = hash_points(DLOG_TAG, context, &[&ProjectivePoint::GENERATOR, &p, &r])?;
    let z = k + c * x;
    Ok(DleqProof {
        challenge: scalar_to_bytes(&c),
        response: scalar_to_bytes(&z),
    })
}

/// Verify a Schnorr proof of knowledge of `log_G P`.
pub fn verify_dlog(p: &ProjectivePoint, proof: &DleqProof, context: &[u8]) -> Result<()> {
    let c = scalar_from_bytes(&proof.challenge).map_err(|_| Error::InvalidProof)?;
    let z = scalar_from_bytes(&proof.response).map_err(|_| Error::InvalidProof)?;
    let r = ProjectivePoint::mul_by_generator(&z) - p * &c;
    if r == ProjectivePoint::IDENTITY {
        return Err(Error::InvalidProof);
    }
    let expected = hash_points(DLOG_TAG, context, &[&ProjectivePoint::GENERATOR, p, &r])
        .map_err(|_| Error::InvalidProof)?;
    if expected == c {
        Ok(())
    } else {
        Err(Error::InvalidProof)
    }
}
