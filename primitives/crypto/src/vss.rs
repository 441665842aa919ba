//! Shamir sharing with Feldman and Pedersen verifiability, and Lagrange interpolation.
//!
//! Conventions: participant indexes are 1-based (`x = 1..=n`); "threshold `t`" means any `t`
//! shares reconstruct, so the sharing polynomial has degree `t − 1` and `t` coefficients.

use alloc::{vec, vec::Vec};
use core::fmt;

use k256::{
    elliptic_curve::{ops::MulByGenerator, Field},
    ProjectivePoint, Scalar,
};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{
    encoding::{affine_from_sec1, index_scalar, points_to_bytes, PointBytes},
    error::{Error, Index, Result},
};

/// Check `1 ≤ t ≤ n`.
pub fn check_threshold(t: Index, n: Index) -> Result<()> {
    if t == 0 || t > n {
        return Err(Error::InvalidThreshold { t, n });
    }
    Ok(())
}

/// The threshold the Torus client (`@toruslabs/torus.js`) reconstructs DirectAuth keys with:
/// `⌊n/2⌋ + 1` shares of `n`.
pub fn torus_client_threshold(n: Index) -> Index {
    n / 2 + 1
}

/// A draw of a uniformly random non-zero scalar.
pub fn random_nonzero(rng: &mut (impl RngCore + CryptoRng)) -> Scalar {
    loop {
        let s = Scalar::random(&mut *rng);
        if !bool::from(s.is_zero()) {
            return s;
        }
    }
}

/// One participant's secret share `(x, f(x))`. Zeroized on drop; `Debug` hides the value.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretShare {
    /// The participant index `x` (1-based).
    pub index: Index,
    /// The share value `f(x)`.
    pub value: Scalar,
}

impl fmt::Debug for SecretShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretShare")
            .field("index", &self.index)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// A secret polynomial `f(x) = a_0 + a_1 x + … + a_{t−1} x^{t−1}`. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretPolynomial {
    coefficients: Vec<Scalar>,
}

impl fmt::Debug for SecretPolynomial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretPolynomial")
            .field("degree", &self.coefficients.len().saturating_sub(1))
            .field("coefficients", &"<redacted>")
            .finish()
    }
}

impl SecretPolynomial {
    /// A random polynomial with `t` coefficients and `f(0) = secret`. The other coefficients
    /// are non-zero, so every Feldman commitment point has a compressed encoding.
    pub fn random(secret: Scalar, t: Index, rng: &mut (impl RngCore + CryptoRng)) -> Result<Self> {
        if t == 0 {
            return Err(Error::InvalidThreshold { t, n: 0 });
        }
        let mut coefficients = Vec::with_capacity(usize::from(t));
        coefficients.push(secret);
        for _ in 1..t {
            coefficients.push(random_nonzero(rng));
        }
        Ok(Self { coefficients })
    }

    /// Number of coefficients (`t`).
    pub fn threshold(&self) -> Index {
        // At most `Index::MAX` coefficients by construction.
        self.coefficients.len() as Index
    }

    /// `f(0)`.
    pub fn secret(&self) -> Scalar {
        self.coefficients.first().copied().unwrap_or(Scalar::ZERO)
    }

    /// `f(x)` by Horner's rule.
    pub fn evaluate(&self, x: &Scalar) -> Scalar {
        self.coefficients
            .iter()
            .rev()
            .fold(Scalar::ZERO, |acc, c| acc * x + c)
    }

    /// The share of participant `index` (1-based).
    pub fn share(&self, index: Index) -> Result<SecretShare> {
        let x = index_scalar(index)?;
        Ok(SecretShare {
            index,
            value: self.evaluate(&x),
        })
    }

    /// The Feldman commitment `(a_0·G, …, a_{t−1}·G)`.
    pub fn commit(&self) -> FeldmanCommitment {
        FeldmanCommitment {
            points: self
                .coefficients
                .iter()
                .map(ProjectivePoint::mul_by_generator)
                .collect(),
        }
    }

    /// The coefficients (secret).
    pub(crate) fn coefficients(&self) -> &[Scalar] {
        &self.coefficients
    }
}

/// Public Feldman commitments `C_k = a_k·G` to a polynomial; `C_0` is the public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeldmanCommitment {
    points: Vec<ProjectivePoint>,
}

impl FeldmanCommitment {
    /// Wrap commitment points (`points[k] = a_k·G`).
    pub fn new(points: Vec<ProjectivePoint>) -> Result<Self> {
        if points.is_empty() {
            return Err(Error::InvalidThreshold { t: 0, n: 0 });
        }
        Ok(Self { points })
    }

    /// The commitment points.
    pub fn points(&self) -> &[ProjectivePoint] {
        &self.points
    }

    /// The threshold `t` (number of coefficients).
    pub fn threshold(&self) -> Index {
        self.points.len() as Index
    }

    /// The public key `C_0 = f(0)·G`.
    pub fn public_key(&self) -> ProjectivePoint {
        self.points
            .first()
            .copied()
            .unwrap_or(ProjectivePoint::IDENTITY)
    }

    /// The public share `f(x)·G = Σ x^k C_k` of participant `index` (Horner's rule, each step
    /// a multiplication by the small public `index`: a few doublings and additions instead of
    /// a full scalar multiplication, which the runtime does for every key of every reshare
    /// dealing). Equal to `evaluate(index)`.
    pub fn public_share(&self, index: Index) -> Result<ProjectivePoint> {
        index_scalar(index)?;
        Ok(self
            .points
            .iter()
            .rev()
            .fold(ProjectivePoint::IDENTITY, |acc, c| {
                mul_by_index(&acc, index) + c
            }))
    }

    /// `f(x)·G` at any `x`.
    pub fn evaluate(&self, x: &Scalar) -> ProjectivePoint {
        self.points
            .iter()
            .rev()
            .fold(ProjectivePoint::IDENTITY, |acc, c| acc * x + c)
    }

    /// Check a share against the commitments: `value·G == Σ index^k C_k`.
    pub fn verify_share(&self, share: &SecretShare) -> Result<()> {
        let expected = self.public_share(share.index)?;
        if ProjectivePoint::mul_by_generator(&share.value) == expected {
            Ok(())
        } else {
            Err(Error::InvalidShare { index: share.index })
        }
    }

    /// Coefficient-wise sum (the commitment of the sum of the polynomials).
    pub fn add(&self, other: &Self) -> Result<Self> {
        if self.points.len() != other.points.len() {
            return Err(Error::LengthMismatch {
                expected: self.points.len(),
                actual: other.points.len(),
            });
        }
        Ok(Self {
            points: self
                .points
                .iter()
                .zip(&other.points)
                .map(|(a, b)| a + b)
                .collect(),
        })
    }

    /// Compressed encodings; fails only if a point is the identity.
    pub fn to_bytes(&self) -> Result<Vec<PointBytes>> {
        points_to_bytes(&self.points)
    }

    /// Parse compressed encodings; refuses malformed points, the identity and an empty list.
    pub fn from_bytes(bytes: &[PointBytes]) -> Result<Self> {
        let points = bytes
            .iter()
            .map(|b| affine_from_sec1(b).map(ProjectivePoint::from))
            .collect::<Result<Vec<_>>>()?;
        Self::new(points)
    }
}

/// `index·point` by double-and-add: variable time in `index`, which is public (a
/// participant's index).
pub fn mul_by_index(point: &ProjectivePoint, index: Index) -> ProjectivePoint {
    let mut acc = ProjectivePoint::IDENTITY;
    for bit in (0..Index::BITS - index.leading_zeros()).rev() {
        acc = acc.double();
        if (index >> bit) & 1 == 1 {
            acc += point;
        }
    }
    acc
}

/// Deal `secret` to participants `1..=n` with threshold `t`: Feldman commitment and shares.
pub fn deal(
    secret: Scalar,
    t: Index,
    n: Index,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(FeldmanCommitment, Vec<SecretShare>)> {
    check_threshold(t, n)?;
    let poly = SecretPolynomial::random(secret, t, rng)?;
    let shares = (1..=n).map(|i| poly.share(i)).collect::<Result<Vec<_>>>()?;
    Ok((poly.commit(), shares))
}

fn check_distinct_nonzero(indexes: impl Iterator<Item = Index> + Clone) -> Result<()> {
    for (pos, i) in indexes.clone().enumerate() {
        if i == 0 {
            return Err(Error::ZeroIndex);
        }
        if indexes.clone().take(pos).any(|j| j == i) {
            return Err(Error::DuplicateIndex { index: i });
        }
    }
    Ok(())
}

/// The Lagrange coefficients `λ_i(at) = Π_{j≠i} (at − x_j)/(x_i − x_j)` for the given
/// distinct, non-zero indexes, in the same order.
pub fn lagrange_coefficients(indexes: &[Index], at: &Scalar) -> Result<Vec<Scalar>> {
    check_distinct_nonzero(indexes.iter().copied())?;
    let xs: Vec<Scalar> = indexes
        .iter()
        .map(|&i| Scalar::from(u64::from(i)))
        .collect();
    lagrange_at(&xs, at)
}

/// [`lagrange_coefficients`] for any x-coordinates, which the caller guarantees distinct
/// (equal ones are refused as [`Error::ZeroScalar`]: their denominator vanishes).
pub(crate) fn lagrange_at(xs: &[Scalar], at: &Scalar) -> Result<Vec<Scalar>> {
    let mut nums = Vec::with_capacity(xs.len());
    let mut dens = Vec::with_capacity(xs.len());
    for (i, xi) in xs.iter().enumerate() {
        let mut num = Scalar::ONE;
        let mut den = Scalar::ONE;
        for (j, xj) in xs.iter().enumerate() {
            if i != j {
                num *= at - xj;
                den *= xi - xj;
            }
        }
        nums.push(num);
        dens.push(den);
    }
    // Montgomery's trick: one inversion for all denominators (non-zero: distinct indexes
    // below the group order).
    let mut prefix = Vec::with_capacity(dens.len());
    let mut acc = Scalar::ONE;
    for d in &dens {
        prefix.push(acc);
        acc *= d;
    }
    let mut inv = Option::<Scalar>::from(acc.invert()).ok_or(Error::ZeroScalar)?;
    let mut out = vec![Scalar::ZERO; dens.len()];
    for i in (0..dens.len()).rev() {
        out[i] = nums[i] * inv * prefix[i];
        inv *= dens[i];
    }
    Ok(out)
}

/// Interpolate the polynomial through `shares` at `at` (`at = 0` reconstructs the secret).
/// Exactly the given shares are used: pass at least `t` for a meaningful result.
pub fn interpolate(shares: &[SecretShare], at: &Scalar) -> Result<Scalar> {
    if shares.is_empty() {
        return Err(Error::NotEnoughShares { needed: 1, got: 0 });
    }
    let indexes: Vec<Index> = shares.iter().map(|s| s.index).collect();
    let lambdas = lagrange_coefficients(&indexes, at)?;
    Ok(shares
        .iter()
        .zip(&lambdas)
        .fold(Scalar::ZERO, |acc, (s, l)| acc + s.value * l))
}

/// Reconstruct the secret `f(0)` from at least `t` shares (the shares beyond the first `t`
/// are ignored, as the Torus client does when it interpolates a subset).
pub fn reconstruct(shares: &[SecretShare], t: Index) -> Result<Scalar> {
    let t = usize::from(t);
    if t == 0 {
        return Err(Error::InvalidThreshold {
            t: 0,
            n: shares.len() as Index,
        });
    }
    if shares.len() < t {
        return Err(Error::NotEnoughShares {
            needed: t,
            got: shares.len(),
        });
    }
    check_distinct_nonzero(shares.iter().map(|s| s.index))?;
    interpolate(&shares[..t], &Scalar::ZERO)
}

/// How many `t`-subsets [`reconstruct_matching`] tries at most.
pub const MAX_SUBSETS: usize = 4096;

/// Reconstruct as the Torus client does: try every `t`-subset of `shares` in lexicographic
/// order and return the first secret `k` with `k·G == public_key` (so up to `n − t` wrong
/// shares are tolerated). [`Error::NoMatchingSubset`] if none matches within [`MAX_SUBSETS`].
pub fn reconstruct_matching(
    shares: &[SecretShare],
    t: Index,
    public_key: &ProjectivePoint,
) -> Result<Scalar> {
    let k = usize::from(t);
    if k == 0 {
        return Err(Error::InvalidThreshold {
            t,
            n: shares.len() as Index,
        });
    }
    if shares.len() < k {
        return Err(Error::NotEnoughShares {
            needed: k,
            got: shares.len(),
        });
    }
    check_distinct_nonzero(shares.iter().map(|s| s.index))?;
    let mut pick: Vec<usize> = (0..k).collect();
    for _ in 0..MAX_SUBSETS {
        let subset: Vec<SecretShare> = pick.iter().map(|&i| shares[i].clone()).collect();
        let candidate = interpolate(&subset, &Scalar::ZERO)?;
        if ProjectivePoint::mul_by_generator(&candidate) == *public_key {
            return Ok(candidate);
        }
        // Next combination of `k` positions below `shares.len()`.
        let n = shares.len();
        let Some(i) = (0..k).rev().find(|&i| pick[i] < n - k + i) else {
            break;
        };
        pick[i] += 1;
        for j in i + 1..k {
            pick[j] = pick[j - 1] + 1;
        }
    }
    Err(Error::NoMatchingSubset)
}

/// Interpolate public points `(x_i, P_i)` at `at` ("in the exponent").
pub fn interpolate_points(
    points: &[(Index, ProjectivePoint)],
    at: &Scalar,
) -> Result<ProjectivePoint> {
    if points.is_empty() {
        return Err(Error::NotEnoughShares { needed: 1, got: 0 });
    }
    let indexes: Vec<Index> = points.iter().map(|p| p.0).collect();
    let lambdas = lagrange_coefficients(&indexes, at)?;
    Ok(points
        .iter()
        .zip(&lambdas)
        .fold(ProjectivePoint::IDENTITY, |acc, ((_, p), l)| acc + p * l))
}

// ---- Pedersen VSS ----------------------------------------------------------------------------

const PEDERSEN_H_TAG: &[u8] = b"torus-crypto/v1/pedersen-generator-H";

/// The second generator `H` for Pedersen commitments: nothing-up-my-sleeve, the first
/// `x = SHA-256(tag ‖ counter_be32)` that is on the curve, with even `y`. Nobody knows
/// `log_G H`.
pub fn pedersen_generator() -> ProjectivePoint {
    let mut counter: u32 = 0;
    loop {
        let digest = Sha256::new()
            .chain_update(PEDERSEN_H_TAG)
            .chain_update(counter.to_be_bytes())
            .finalize();
        let mut candidate = [0u8; 33];
        candidate[0] = 0x02;
        candidate[1..].copy_from_slice(&digest);
        if let Ok(point) = affine_from_sec1(&candidate) {
            return ProjectivePoint::from(point);
        }
        counter = counter.wrapping_add(1);
    }
}

/// A Pedersen share: `(x, f(x), f'(x))`, with `f'` the blinding polynomial. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PedersenShare {
    /// The participant index.
    pub index: Index,
    /// `f(x)`.
    pub value: Scalar,
    /// `f'(x)`.
    pub blinding: Scalar,
}

impl fmt::Debug for PedersenShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PedersenShare")
            .field("index", &self.index)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// Pedersen commitments `E_k = a_k·G + b_k·H` (information-theoretically hiding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PedersenCommitment {
    points: Vec<ProjectivePoint>,
}

impl PedersenCommitment {
    /// The commitment points.
    pub fn points(&self) -> &[ProjectivePoint] {
        &self.points
    }

    /// Check `value·G + blinding·H == Σ index^k E_k`.
    pub fn verify_share(&self, share: &PedersenShare) -> Result<()> {
        let x = index_scalar(share.index)?;
        let expected = self
            .points
            .iter()
            .rev()
            .fold(ProjectivePoint::IDENTITY, |acc, c| acc * x + c);
        let h = pedersen_generator();
        let lhs = ProjectivePoint::mul_by_generator(&share.value) + h * share.blinding;
        if lhs == expected {
            Ok(())
        } else {
            Err(Error::InvalidShare { index: share.index })
        }
    }

    /// Compressed encodings; fails only if a point is the identity.
    pub fn to_bytes(&self) -> Result<Vec<PointBytes>> {
        points_to_bytes(&self.points)
    }

    /// Parse compressed encodings.
    pub fn from_bytes(bytes: &[PointBytes]) -> Result<Self> {
        if bytes.is_empty() {
            return Err(Error::InvalidThreshold { t: 0, n: 0 });
        }
        let points = bytes
            .iter()
            .map(|b| affine_from_sec1(b).map(ProjectivePoint::from))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { points })
    }
}

/// Deal `secret` with Pedersen VSS: commitments (hiding) and `(f(i), f'(i))` shares.
pub fn deal_pedersen(
    secret: Scalar,
    t: Index,
    n: Index,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(PedersenCommitment, Vec<PedersenShare>)> {
    check_threshold(t, n)?;
    let f = SecretPolynomial::random(secret, t, rng)?;
    let blind = SecretPolynomial::random(random_nonzero(rng), t, rng)?;
    let h = pedersen_generator();
    let points = f
        .coefficients()
        .iter()
        .zip(blind.coefficients())
        .map(|(a, b)| ProjectivePoint::mul_by_generator(a) + h * b)
        .collect();
    let shares = (1..=n)
        .map(|i| {
            let x = index_scalar(i)?;
            Ok(PedersenShare {
                index: i,
                value: f.evaluate(&x),
                blinding: blind.evaluate(&x),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((PedersenCommitment { points }, shares))
}
