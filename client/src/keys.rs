//! The user's keys: public and private key types, reconstruction from node shares, and the
//! OneKey "v2" nonce that turns the network's (oAuth) key into the user's final key.
//!
//! - The nodes share the **oAuth key** `k` with a polynomial of degree `⌊n/2⌋`; any
//!   `⌊n/2⌋ + 1` correct shares interpolate to it. [`reconstruct`] tries every subset of that
//!   size, in lexicographic order as `@toruslabs/torus.js` does, and keeps the first whose
//!   result `k` satisfies `k·G == P` for the public key `P` the nodes agreed on, so wrong shares
//!   are tolerated as long as enough correct ones are present.
//! - The **final key** is `k + r mod N` with the key's metadata nonce `r`, and its public key
//!   `P + R` with `R = r·G` ([`apply_nonce`]). Every address the network shows a user is the
//!   final key's.

use core::fmt;

use k256::{
    elliptic_curve::{ops::MulByGenerator, PrimeField},
    AffinePoint, ProjectivePoint, Scalar,
};
use serde::{Serialize, Serializer};
use torus_crypto::vss::{interpolate, SecretShare};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::encoding::{eth_address, point_from_hex, point_to_hex, to_hex, EncodingError};

/// The most share subsets [`reconstruct`] tries. `C(n, ⌊n/2⌋+1)` stays below it up to n = 18;
/// beyond that a search could only take that long if many nodes sent wrong shares.
pub const MAX_SUBSETS: usize = 1 << 16;

/// A secp256k1 public key (never the identity).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(AffinePoint);

impl PublicKey {
    /// Wraps a point; `None` for the identity.
    pub fn from_point(point: &ProjectivePoint) -> Option<Self> {
        (*point != ProjectivePoint::IDENTITY).then(|| Self(point.to_affine()))
    }

    /// The key with the given hex coordinates (lenient hex, see [`crate::encoding`]).
    pub fn from_hex(x: &str, y: &str) -> Result<Self, EncodingError> {
        point_from_hex(x, y).map(Self)
    }

    /// The point.
    pub fn point(&self) -> ProjectivePoint {
        self.0.into()
    }

    /// The affine point.
    pub fn affine(&self) -> &AffinePoint {
        &self.0
    }

    /// X as 64 lowercase hex digits.
    pub fn x_hex(&self) -> String {
        point_to_hex(&self.0).0
    }

    /// Y as 64 lowercase hex digits.
    pub fn y_hex(&self) -> String {
        point_to_hex(&self.0).1
    }

    /// The EIP-55 checksummed Ethereum address of the key.
    pub fn address(&self) -> String {
        eth_address(&self.0)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("x", &self.x_hex())
            .field("y", &self.y_hex())
            .finish()
    }
}

impl Serialize for PublicKey {
    /// `{"x": "<64 hex digits>", "y": "<64 hex digits>"}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("PublicKey", 2)?;
        s.serialize_field("x", &self.x_hex())?;
        s.serialize_field("y", &self.y_hex())?;
        s.end()
    }
}

/// A secp256k1 private key (a non-zero scalar). Zeroized on drop; `Debug` never shows it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PrivateKey(Scalar);

impl PrivateKey {
    /// Wraps a scalar; `None` for zero.
    pub fn from_scalar(scalar: Scalar) -> Option<Self> {
        (!bool::from(scalar.is_zero())).then_some(Self(scalar))
    }

    /// Parses 32 big-endian bytes (non-zero, below the group order).
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<Self> {
        Option::<Scalar>::from(Scalar::from_repr((*bytes).into())).and_then(Self::from_scalar)
    }

    /// The scalar (secret).
    pub fn scalar(&self) -> &Scalar {
        &self.0
    }

    /// The 32 big-endian bytes (secret; zeroized when dropped).
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes().into())
    }

    /// 64 lowercase hex digits (secret; zeroized when dropped).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(to_hex(self.to_bytes().as_ref()))
    }

    /// The public key `k·G`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(ProjectivePoint::mul_by_generator(&self.0).to_affine())
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// Why the shares or the nonce do not give a key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Fewer shares than the threshold.
    #[error("need {needed} shares, have {got}")]
    NotEnoughShares {
        /// The threshold.
        needed: usize,
        /// Shares given.
        got: usize,
    },
    /// No subset of the shares interpolates to the public key (too many wrong shares).
    #[error("could not derive the private key: no {threshold} of the {shares} shares interpolate to the public key")]
    NoMatchingSubset {
        /// Shares given.
        shares: usize,
        /// Subset size.
        threshold: usize,
    },
    /// The search stopped after [`MAX_SUBSETS`] subsets.
    #[error("gave up after trying {MAX_SUBSETS} share subsets")]
    TooManySubsets,
    /// The public nonce is not `nonce·G`: the nodes' metadata is inconsistent.
    #[error("the nodes' pubNonce is not nonce·G")]
    NonceMismatch,
    /// The final key would be zero or the identity.
    #[error("the final key is degenerate (zero)")]
    DegenerateKey,
}

/// The first `threshold`-subset of `shares` (lexicographic order of positions) that interpolates
/// at 0 to the private key of `public_key`, with the indexes of that subset. Subsets with a
/// repeated or zero index are skipped (a lying node cannot make the search fail that way).
pub fn reconstruct(
    shares: &[SecretShare],
    threshold: usize,
    public_key: &PublicKey,
) -> Result<(PrivateKey, Vec<u16>), KeyError> {
    if threshold == 0 || shares.len() < threshold {
        return Err(KeyError::NotEnoughShares {
            needed: threshold.max(1),
            got: shares.len(),
        });
    }
    let n = shares.len();
    let mut pick: Vec<usize> = (0..threshold).collect();
    let target = public_key.point();
    for _ in 0..MAX_SUBSETS {
        let usable = pick.iter().enumerate().all(|(pos, &i)| {
            shares[i].index != 0
                && pick[..pos]
                    .iter()
                    .all(|&j| shares[j].index != shares[i].index)
        });
        if usable {
            let subset: Vec<SecretShare> = pick.iter().map(|&i| shares[i].clone()).collect();
            if let Ok(candidate) = interpolate(&subset, &Scalar::ZERO) {
                let candidate = Zeroizing::new(candidate);
                if ProjectivePoint::mul_by_generator(&*candidate) == target {
                    let key = PrivateKey::from_scalar(*candidate).ok_or(KeyError::DegenerateKey)?;
                    return Ok((key, subset.iter().map(|s| s.index).collect()));
                }
            }
        }
        // The next combination of `threshold` positions below `n`.
        let Some(i) = (0..threshold).rev().find(|&i| pick[i] < n - threshold + i) else {
            return Err(KeyError::NoMatchingSubset {
                shares: n,
                threshold,
            });
        };
        pick[i] += 1;
        for j in i + 1..threshold {
            pick[j] = pick[j - 1] + 1;
        }
    }
    Err(KeyError::TooManySubsets)
}

/// The final public key `oauth + pub_nonce`.
pub fn final_public_key(oauth: &PublicKey, pub_nonce: &PublicKey) -> Result<PublicKey, KeyError> {
    PublicKey::from_point(&(oauth.point() + pub_nonce.point())).ok_or(KeyError::DegenerateKey)
}

/// The final private key `oauth + nonce mod N`, after checking `pub_nonce == nonce·G` (the
/// client protocol's own client does not check it; a node that got it wrong would otherwise
/// hand out a key whose address differs from the one lookups show).
pub fn apply_nonce(
    oauth: &PrivateKey,
    nonce: &Scalar,
    pub_nonce: &PublicKey,
) -> Result<PrivateKey, KeyError> {
    if ProjectivePoint::mul_by_generator(nonce) != pub_nonce.point() {
        return Err(KeyError::NonceMismatch);
    }
    PrivateKey::from_scalar(oauth.0 + nonce).ok_or(KeyError::DegenerateKey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use torus_crypto::vss::{random_nonzero, SecretPolynomial};

    fn shares_of(secret: Scalar, t: u16, n: u16, rng: &mut StdRng) -> Vec<SecretShare> {
        let poly = SecretPolynomial::random(secret, t, rng).expect("t > 0");
        (1..=n)
            .map(|i| poly.share(i).expect("non-zero index"))
            .collect()
    }

    #[test]
    fn reconstructs_despite_wrong_shares_up_to_the_limit() {
        let mut rng = StdRng::seed_from_u64(7);
        for n in 1u16..=9 {
            let t = n / 2 + 1;
            for _ in 0..4 {
                let secret = random_nonzero(&mut rng);
                let key = PrivateKey::from_scalar(secret).expect("non-zero");
                let mut shares = shares_of(secret, t, n, &mut rng);
                // Corrupt up to n − t shares at random positions: still enough correct ones.
                let bad = rng.gen_range(0..=(n - t)) as usize;
                let mut positions: Vec<usize> = (0..n as usize).collect();
                for k in 0..bad {
                    let j = rng.gen_range(k..positions.len());
                    positions.swap(k, j);
                    shares[positions[k]].value = random_nonzero(&mut rng);
                }
                let (found, indexes) =
                    reconstruct(&shares, t as usize, &key.public_key()).expect("enough good");
                assert_eq!(found.scalar(), key.scalar());
                assert_eq!(indexes.len(), t as usize);
                assert!(indexes
                    .iter()
                    .all(|i| !positions[..bad].iter().any(|&p| shares[p].index == *i)));
            }
        }
    }

    #[test]
    fn the_first_matching_subset_in_lexicographic_order_wins() {
        let mut rng = StdRng::seed_from_u64(1);
        let secret = random_nonzero(&mut rng);
        let key = PrivateKey::from_scalar(secret).expect("non-zero");
        let mut shares = shares_of(secret, 3, 5, &mut rng);
        shares[1].value += Scalar::ONE;
        let (_, indexes) = reconstruct(&shares, 3, &key.public_key()).expect("found");
        assert_eq!(indexes, vec![1, 3, 4]);
    }

    #[test]
    fn too_many_wrong_shares_is_a_clear_error() {
        let mut rng = StdRng::seed_from_u64(2);
        let secret = random_nonzero(&mut rng);
        let key = PrivateKey::from_scalar(secret).expect("non-zero");
        let mut shares = shares_of(secret, 3, 4, &mut rng);
        // Random wrong values: errors with λ₁e₁ + λ₃e₃ = 0 would cancel out.
        shares[0].value = random_nonzero(&mut rng);
        shares[2].value = random_nonzero(&mut rng);
        let err = reconstruct(&shares, 3, &key.public_key()).expect_err("2 of 4 wrong");
        assert_eq!(
            err,
            KeyError::NoMatchingSubset {
                shares: 4,
                threshold: 3
            }
        );
        assert!(err.to_string().contains("could not derive the private key"));
        assert_eq!(
            reconstruct(&shares[..2], 3, &key.public_key()).expect_err("too few"),
            KeyError::NotEnoughShares { needed: 3, got: 2 }
        );
    }

    #[test]
    fn duplicate_indexes_are_skipped_not_fatal() {
        let mut rng = StdRng::seed_from_u64(3);
        let secret = random_nonzero(&mut rng);
        let key = PrivateKey::from_scalar(secret).expect("non-zero");
        let mut shares = shares_of(secret, 2, 3, &mut rng);
        // A lying node claims index 2 with a wrong value, ahead of the honest ones.
        let liar = SecretShare {
            index: 2,
            value: random_nonzero(&mut rng),
        };
        shares.insert(0, liar);
        let (found, _) = reconstruct(&shares, 2, &key.public_key()).expect("found");
        assert_eq!(found.scalar(), key.scalar());
    }

    #[test]
    fn the_nonce_moves_the_key_and_is_checked() {
        let oauth = PrivateKey::from_scalar(Scalar::from(5u64)).expect("non-zero");
        let nonce = Scalar::from(3u64);
        let pub_nonce = PrivateKey::from_scalar(nonce)
            .expect("non-zero")
            .public_key();
        let final_key = apply_nonce(&oauth, &nonce, &pub_nonce).expect("consistent");
        assert_eq!(*final_key.scalar(), Scalar::from(8u64));
        assert_eq!(
            final_public_key(&oauth.public_key(), &pub_nonce).expect("non-degenerate"),
            final_key.public_key()
        );
        let wrong = PrivateKey::from_scalar(Scalar::from(4u64))
            .expect("non-zero")
            .public_key();
        assert_eq!(
            apply_nonce(&oauth, &nonce, &wrong).expect_err("mismatch"),
            KeyError::NonceMismatch
        );
        // k + r = N (mod N) = 0 is refused.
        let minus_five = -Scalar::from(5u64);
        let pub_minus_five = PrivateKey::from_scalar(minus_five)
            .expect("non-zero")
            .public_key();
        assert_eq!(
            apply_nonce(&oauth, &minus_five, &pub_minus_five).expect_err("zero"),
            KeyError::DegenerateKey
        );
        assert_eq!(
            final_public_key(&oauth.public_key(), &pub_minus_five).expect_err("identity"),
            KeyError::DegenerateKey
        );
    }

    #[test]
    fn private_keys_never_print() {
        let key = PrivateKey::from_scalar(Scalar::from(42u64)).expect("non-zero");
        assert_eq!(format!("{key:?}"), "PrivateKey(<redacted>)");
        assert_eq!(
            key.to_hex().as_str(),
            "000000000000000000000000000000000000000000000000000000000000002a"
        );
        let one = PrivateKey::from_scalar(Scalar::ONE).expect("non-zero");
        assert_eq!(
            one.public_key().address(),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
        );
        assert!(PrivateKey::from_bytes(&[0u8; 32]).is_none());
        assert!(
            PrivateKey::from_bytes(&[0xffu8; 32]).is_none(),
            "above the order"
        );
    }
}
