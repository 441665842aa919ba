//! Hierarchical threshold secret sharing (Tassa, "Hierarchical Threshold Secret Sharing",
//! J. Cryptology 2007) with Birkhoff interpolation over the secp256k1 scalar field.
//!
//! An access structure has levels `0..m` with cumulative thresholds `k_0 < k_1 < … < k_{m−1}`:
//! a set of shares is *admissible* iff for every level `ℓ` it holds at least `k_ℓ` shares of
//! levels `0..=ℓ` (level 0 is the most important). The secret is `f(0)` for a polynomial `f`
//! of degree `k − 1` (`k = k_{m−1}`); a participant of level `ℓ` with identity `x` holds the
//! `k_{ℓ−1}`-th derivative `f^{(k_{ℓ−1})}(x)` (level 0: `f(x)` itself).
//!
//! Example — "device AND 2 of 3 validators": thresholds `[1, 3]`, the device at level 0 and
//! the validators at level 1. Device + any 2 validators reconstruct; 3 validators alone are
//! refused with [`Error::NotAdmissible`].
//!
//! Reconstruction solves the Birkhoff system exactly (Gaussian elimination in the field) on the
//! `k` most important shares. Tassa proves the system is non-singular for every admissible set
//! when identities are allocated monotonically (more important levels get smaller `x`) and the
//! field is large, which secp256k1's is; for any other allocation a singular system is reported
//! as [`Error::NotAdmissible`] too, never as a wrong secret. Shares can be checked against
//! Feldman commitments to the coefficients of `f` ([`HtssShare`] + [`verify_share`]).

use alloc::{vec, vec::Vec};
use core::fmt;

use k256::{elliptic_curve::ops::MulByGenerator, ProjectivePoint, Scalar};
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{
    encoding::index_scalar,
    error::{Error, Index, Result},
    vss::{FeldmanCommitment, SecretPolynomial},
};

/// A hierarchical access structure: cumulative thresholds per level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hierarchy {
    thresholds: Vec<Index>,
}

impl Hierarchy {
    /// `thresholds[ℓ]` = shares needed from levels `0..=ℓ`; strictly increasing, first ≥ 1.
    pub fn new(thresholds: Vec<Index>) -> Result<Self> {
        if thresholds.is_empty()
            || thresholds[0] == 0
            || thresholds.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(Error::InvalidHierarchy);
        }
        Ok(Self { thresholds })
    }

    /// Number of levels.
    pub fn levels(&self) -> usize {
        self.thresholds.len()
    }

    /// Total threshold `k` (the degree of the polynomial is `k − 1`).
    pub fn threshold(&self) -> Index {
        self.thresholds.last().copied().unwrap_or(0)
    }

    /// The derivative order of level `level`: `k_{ℓ−1}`, 0 for level 0.
    pub fn derivative(&self, level: u8) -> Result<Index> {
        let l = usize::from(level);
        if l >= self.thresholds.len() {
            return Err(Error::InvalidHierarchy);
        }
        Ok(if l == 0 { 0 } else { self.thresholds[l - 1] })
    }

    /// Whether shares of these `(identity, level)` pairs can reconstruct: distinct non-zero
    /// identities, known levels, enough shares at every level, and a `k`-subset with a regular
    /// Birkhoff system (the `k` most important shares whenever identities are allocated
    /// monotonically), whose positions are returned. [`Error::NotAdmissible`] otherwise.
    pub fn check_admissible(&self, members: &[(Index, u8)]) -> Result<Vec<usize>> {
        for (pos, (x, level)) in members.iter().enumerate() {
            if *x == 0 {
                return Err(Error::ZeroIndex);
            }
            if members[..pos].iter().any(|(y, _)| y == x) {
                return Err(Error::DuplicateIndex { index: *x });
            }
            self.derivative(*level)?;
        }
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by_key(|&i| (members[i].1, members[i].0));
        for (level, k) in self.thresholds.iter().enumerate() {
            let count = members
                .iter()
                .filter(|(_, l)| usize::from(*l) <= level)
                .count();
            if count < usize::from(*k) {
                return Err(Error::NotAdmissible);
            }
        }
        // The counting (Pólya) condition holds for the whole set. Use the first `k`-subset, in
        // lexicographic order of (level, identity), that satisfies it and whose Birkhoff
        // system is regular; with a monotone allocation that is always the first one.
        let k = usize::from(self.threshold());
        let mut pick: Vec<usize> = (0..k).collect();
        for _ in 0..MAX_SUBSETS {
            let subset: Vec<usize> = pick.iter().map(|&p| order[p]).collect();
            if self.counting_holds(members, &subset) && self.is_regular(members, &subset)? {
                return Ok(subset);
            }
            if !next_combination(&mut pick, order.len()) {
                break;
            }
        }
        Err(Error::NotAdmissible)
    }

    fn counting_holds(&self, members: &[(Index, u8)], subset: &[usize]) -> bool {
        self.thresholds.iter().enumerate().all(|(level, k)| {
            subset
                .iter()
                .filter(|&&i| usize::from(members[i].1) <= level)
                .count()
                >= usize::from(*k)
        })
    }

    fn is_regular(&self, members: &[(Index, u8)], subset: &[usize]) -> Result<bool> {
        let k = subset.len();
        let mut rows = subset
            .iter()
            .map(|&i| {
                let (x, level) = members[i];
                let mut row =
                    birkhoff_row(&index_scalar(x)?, usize::from(self.derivative(level)?), k);
                row.push(Scalar::ZERO);
                Ok(row)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(solve_first_unknown(&mut rows, k).is_ok())
    }
}

/// How many `k`-subsets [`Hierarchy::check_admissible`] tries before giving up (only reached
/// with non-monotone identity allocations and many shares).
pub const MAX_SUBSETS: usize = 1024;

/// Advance `pick` (strictly increasing positions below `n`) to the next combination.
fn next_combination(pick: &mut [usize], n: usize) -> bool {
    let k = pick.len();
    for i in (0..k).rev() {
        if pick[i] < n - k + i {
            pick[i] += 1;
            for j in i + 1..k {
                pick[j] = pick[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

/// A hierarchical share: identity, level and `f^{(d)}(x)`. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct HtssShare {
    /// The identity `x` (non-zero, distinct).
    pub index: Index,
    /// The level (0 = most important).
    pub level: u8,
    /// `f^{(d)}(x)` with `d` the level's derivative order.
    pub value: Scalar,
}

impl fmt::Debug for HtssShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HtssShare")
            .field("index", &self.index)
            .field("level", &self.level)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// `j! / (j − d)!` (0 when `d > j`).
fn falling_factorial(j: usize, d: usize) -> Scalar {
    if d > j {
        return Scalar::ZERO;
    }
    ((j - d + 1)..=j).fold(Scalar::ONE, |acc, v| acc * Scalar::from(v as u64))
}

/// The Birkhoff row of `(x, d)`: coefficient of `a_j` in `f^{(d)}(x)`, for `j < k`.
fn birkhoff_row(x: &Scalar, d: usize, k: usize) -> Vec<Scalar> {
    let mut row = vec![Scalar::ZERO; k];
    let mut power = Scalar::ONE; // x^{j−d}
    for (j, slot) in row.iter_mut().enumerate().skip(d) {
        *slot = falling_factorial(j, d) * power;
        power *= x;
    }
    row
}

/// Deal `secret` to `members` (`(identity, level)` pairs). Returns the shares, in the order
/// of `members`, and Feldman commitments to the coefficients (for [`verify_share`]).
pub fn deal(
    hierarchy: &Hierarchy,
    secret: Scalar,
    members: &[(Index, u8)],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(Vec<HtssShare>, FeldmanCommitment)> {
    for (pos, (x, level)) in members.iter().enumerate() {
        if *x == 0 {
            return Err(Error::ZeroIndex);
        }
        if members[..pos].iter().any(|(y, _)| y == x) {
            return Err(Error::DuplicateIndex { index: *x });
        }
        hierarchy.derivative(*level)?;
    }
    let k = usize::from(hierarchy.threshold());
    let poly = SecretPolynomial::random(secret, hierarchy.threshold(), rng)?;
    let shares = members
        .iter()
        .map(|(x, level)| {
            let d = usize::from(hierarchy.derivative(*level)?);
            let row = birkhoff_row(&index_scalar(*x)?, d, k);
            let value = row
                .iter()
                .zip(poly.coefficients())
                .fold(Scalar::ZERO, |acc, (r, a)| acc + r * a);
            Ok(HtssShare {
                index: *x,
                level: *level,
                value,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((shares, poly.commit()))
}

/// Check a hierarchical share against the Feldman commitments of the coefficients.
pub fn verify_share(
    hierarchy: &Hierarchy,
    commitment: &FeldmanCommitment,
    share: &HtssShare,
) -> Result<()> {
    let k = usize::from(hierarchy.threshold());
    if commitment.points().len() != k {
        return Err(Error::LengthMismatch {
            expected: k,
            actual: commitment.points().len(),
        });
    }
    let d = usize::from(hierarchy.derivative(share.level)?);
    let row = birkhoff_row(&index_scalar(share.index)?, d, k);
    let expected = row
        .iter()
        .zip(commitment.points())
        .fold(ProjectivePoint::IDENTITY, |acc, (r, c)| acc + c * r);
    if ProjectivePoint::mul_by_generator(&share.value) == expected {
        Ok(())
    } else {
        Err(Error::InvalidShare { index: share.index })
    }
}

/// Reconstruct the secret from an admissible set of shares (Birkhoff interpolation);
/// [`Error::NotAdmissible`] if the set cannot reconstruct.
pub fn reconstruct(hierarchy: &Hierarchy, shares: &[HtssShare]) -> Result<Scalar> {
    let members: Vec<(Index, u8)> = shares.iter().map(|s| (s.index, s.level)).collect();
    let chosen = hierarchy.check_admissible(&members)?;
    let k = chosen.len();
    // Augmented system [A | y] with A[i] the Birkhoff row of share i.
    let mut rows: Vec<Vec<Scalar>> = Vec::with_capacity(k);
    for &i in &chosen {
        let share = &shares[i];
        let d = usize::from(hierarchy.derivative(share.level)?);
        let mut row = birkhoff_row(&index_scalar(share.index)?, d, k);
        row.push(share.value);
        rows.push(row);
    }
    let result = solve_first_unknown(&mut rows, k);
    for row in rows.iter_mut() {
        row.zeroize();
    }
    result
}

/// Gauss–Jordan elimination on a `k × (k+1)` augmented matrix; returns unknown 0 (the secret).
/// A singular matrix means the share set does not determine the secret.
fn solve_first_unknown(rows: &mut [Vec<Scalar>], k: usize) -> Result<Scalar> {
    for col in 0..k {
        let pivot = (col..k)
            .find(|&r| !bool::from(rows[r][col].is_zero()))
            .ok_or(Error::NotAdmissible)?;
        rows.swap(col, pivot);
        let inv = Option::<Scalar>::from(rows[col][col].invert()).ok_or(Error::NotAdmissible)?;
        for v in rows[col].iter_mut() {
            *v *= inv;
        }
        let pivot_row = rows[col].clone();
        for (r, row) in rows.iter_mut().enumerate() {
            if r != col {
                let factor = row[col];
                if !bool::from(factor.is_zero()) {
                    for (v, p) in row.iter_mut().zip(&pivot_row) {
                        *v -= factor * p;
                    }
                }
            }
        }
    }
    Ok(rows
        .first()
        .and_then(|r| r.get(k))
        .copied()
        .unwrap_or(Scalar::ZERO))
}
