//! Variable-time multi-scalar multiplication (Pippenger's bucket method) over public points.
//!
//! k256 0.13 offers a constant-time Straus `lincomb` whose cost per term stays close to a
//! scalar multiplication; batch verification only handles public data, so it can use the
//! bucket method, whose cost per term falls with the number of terms (and with the scalars'
//! bit length: the random batching coefficients are 128-bit).

use alloc::{vec, vec::Vec};

use k256::{AffinePoint, ProjectivePoint, Scalar};

use crate::error::{Error, Result};

/// `Σ scalars[i]·points[i]`, variable time: use it only when scalars and points are public,
/// or (batch verification) when timing reveals nothing useful about the scalars.
pub fn msm_vartime(scalars: &[Scalar], points: &[AffinePoint]) -> Result<ProjectivePoint> {
    if scalars.len() != points.len() {
        return Err(Error::LengthMismatch {
            expected: scalars.len(),
            actual: points.len(),
        });
    }
    let n = scalars.len();
    if n == 0 {
        return Ok(ProjectivePoint::IDENTITY);
    }
    // Little-endian bytes of every scalar and the longest bit length.
    let mut max_bits = 0usize;
    let digits_src: Vec<[u8; 32]> = scalars
        .iter()
        .map(|s| {
            let mut le: [u8; 32] = s.to_bytes().into();
            le.reverse();
            let top = le
                .iter()
                .rposition(|b| *b != 0)
                .map(|i| i * 8 + (8 - le[i].leading_zeros() as usize));
            max_bits = max_bits.max(top.unwrap_or(0));
            le
        })
        .collect();
    if max_bits == 0 {
        return Ok(ProjectivePoint::IDENTITY);
    }
    let log_n = (usize::BITS - n.leading_zeros()) as usize;
    let c = log_n.saturating_sub(3).clamp(2, 16);
    let windows = max_bits.div_ceil(c);
    let mut buckets = vec![ProjectivePoint::IDENTITY; (1usize << c) - 1];
    let mut result = ProjectivePoint::IDENTITY;
    for w in (0..windows).rev() {
        if w + 1 != windows {
            for _ in 0..c {
                result = result.double();
            }
        }
        buckets
            .iter_mut()
            .for_each(|b| *b = ProjectivePoint::IDENTITY);
        let start = w * c;
        for (bytes, point) in digits_src.iter().zip(points) {
            let d = window(bytes, start, c);
            if d != 0 {
                buckets[d - 1] += point;
            }
        }
        let mut running = ProjectivePoint::IDENTITY;
        let mut acc = ProjectivePoint::IDENTITY;
        for b in buckets.iter().rev() {
            running += b;
            acc += running;
        }
        result += acc;
    }
    Ok(result)
}

/// Bits `[start, start + c)` of a little-endian 256-bit number.
fn window(le: &[u8; 32], start: usize, c: usize) -> usize {
    let mut v: u32 = 0;
    let first = start / 8;
    for k in 0..3 {
        if let Some(b) = le.get(first + k) {
            v |= u32::from(*b) << (8 * k);
        }
    }
    let shifted = v >> (start % 8);
    // c ≤ 16 and start % 8 < 8, so 24 bits suffice.
    (shifted & ((1u32 << c) - 1)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::elliptic_curve::Field;
    use rand::SeedableRng;

    #[test]
    fn msm_matches_naive_sum() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        for n in [0usize, 1, 2, 3, 17, 100, 300] {
            let scalars: Vec<Scalar> = (0..n).map(|_| Scalar::random(&mut rng)).collect();
            let points: Vec<AffinePoint> = (0..n)
                .map(|_| (ProjectivePoint::GENERATOR * Scalar::random(&mut rng)).to_affine())
                .collect();
            let naive = scalars
                .iter()
                .zip(&points)
                .fold(ProjectivePoint::IDENTITY, |acc, (s, p)| {
                    acc + ProjectivePoint::from(*p) * s
                });
            assert_eq!(msm_vartime(&scalars, &points).unwrap(), naive, "n = {n}");
            // Short scalars (the batching coefficients) and zeros.
            let short: Vec<Scalar> = (0..n)
                .map(|i| Scalar::from((i as u64) * 0x1_0000_0001 % 7))
                .collect();
            let naive = short
                .iter()
                .zip(&points)
                .fold(ProjectivePoint::IDENTITY, |acc, (s, p)| {
                    acc + ProjectivePoint::from(*p) * s
                });
            assert_eq!(
                msm_vartime(&short, &points).unwrap(),
                naive,
                "short n = {n}"
            );
        }
    }

    #[test]
    fn msm_length_mismatch_is_an_error() {
        assert_eq!(
            msm_vartime(&[Scalar::ONE], &[]),
            Err(Error::LengthMismatch {
                expected: 1,
                actual: 0
            })
        );
    }
}
