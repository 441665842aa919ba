//! TSS keys: keys that need the user's factors *and* the network to sign, and are never
//! assembled. Threshold BIP340 (Schnorr/Taproot) signatures of them with FROST (RFC 9591,
//! the BIP340 ciphersuite of [`frost`] = `frost-secp256k1-tr`).
//!
//! # The access structure
//! A TSS key `x = f(0)` is defined by a user polynomial `f` of degree `k` (the number of user
//! factors required): `f(1) = d` is the **network key**, a DKG key shared `t`-of-`n` among the
//! committee that holds it (and reshared with it like every key), and `f(u)` for `u ≥ 2` are
//! the user's **factor shares** (`u = 2`: the device), created on the device by
//! [`create_factors`] and never sent anywhere. The key's public description
//! ([`TssPublicKey`]) is `D = d·G` and each factor's `f(u)·G`: anyone can derive `X = x·G`
//! from it and check every party's public share.
//!
//! - The whole committee together knows `d`, a single point of `f`: no information about
//!   `x` (with `k ≥ 1`), so it can neither sign nor learn the key.
//! - The user's `k` factors are `k` points of `f`: no information about `x` without `d`.
//! - The factors plus any `t` holders are `k + 1` points: they sign.
//!
//! # Signing without assembling the key
//! For a quorum — the key's factors `F` and holders `S` (`|S| ≥ t`) — the key is a sum of
//! per-party terms: `x = λ_1·Σ_{j∈S} μ_j·d_j + Σ_{u∈F} λ_u·f(u)`, with `λ` the Lagrange
//! coefficients at 0 over `{1} ∪ F` and `μ` those over `S`. FROST signs for a set of
//! identifiers with its own Lagrange coefficients `ℓ_i`, so each party hands FROST the share
//! `w_i/ℓ_i · s_i` (its weight `w_i` over `ℓ_i`, times its secret): FROST's `Σ ℓ_i·share_i` is
//! then `x`. The rescaled verifying shares are public (from `D_j`, the holders' public shares
//! in the network key's commitments, and the factors' points), so the coordinator — the
//! client — checks every signature share and names the party whose share is wrong
//! ([`TssError::InvalidSignatureShares`]). Holders keep their member index as FROST
//! identifier; factor `u` is identifier `2¹⁶ + u`, which no member index reaches.
//!
//! Holders need no channel between them: the client runs FROST's two rounds (commitments,
//! then signature shares) with each of them. A resharing changes `d_j` and `D_j` but not `D`,
//! so a key signs with the same public key across committee changes.

use alloc::{collections::BTreeMap, vec::Vec};

use k256::{
    elliptic_curve::{group::GroupEncoding, ops::MulByGenerator, point::AffineCoordinates},
    ProjectivePoint, Scalar,
};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

pub use frost_secp256k1_tr as frost;

use crate::{
    error::{Error, Index},
    vss::{lagrange_at, lagrange_coefficients, random_nonzero, FeldmanCommitment, SecretShare},
};

/// The index of the network key on a TSS key's user polynomial.
pub const NETWORK_INDEX: Index = 1;

/// The index of the first user factor (the device's).
pub const FIRST_FACTOR_INDEX: Index = 2;

/// FROST identifiers of factors start here, above every member index.
const FACTOR_IDENTIFIER_BASE: u64 = 1 << 16;

/// A party of a signing quorum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Signer {
    /// The member with this index in the committee that holds the network key.
    Holder(Index),
    /// The user's factor with this index (≥ [`FIRST_FACTOR_INDEX`]) on the user polynomial.
    Factor(Index),
}

/// Errors of TSS signing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TssError {
    /// Malformed or inconsistent inputs (indexes, points, a share that does not match).
    #[error(transparent)]
    Sharing(#[from] Error),
    /// The parties named sent signature shares that do not verify against their public
    /// shares.
    #[error("invalid signature shares from {0:?}")]
    InvalidSignatureShares(Vec<Signer>),
    /// The signer is not in the quorum.
    #[error("{0:?} is not in the signing quorum")]
    NotInQuorum(Signer),
    /// A quorum without the key's factors, or with too few holders.
    #[error("a quorum needs all {factors} factors of the key and at least {holders} holders")]
    IncompleteQuorum {
        /// Factors the key requires.
        factors: usize,
        /// Holders the network key requires (its threshold).
        holders: usize,
    },
    /// FROST refused (a malformed signing package, missing commitments or shares...).
    #[error("FROST: {0}")]
    Frost(frost::Error),
}

/// The public description of a TSS key: the network key's public key and the user factors'
/// public shares, which define the user polynomial (its degree is the number of factors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TssPublicKey {
    network_key: ProjectivePoint,
    factors: Vec<(Index, ProjectivePoint)>,
    public_key: ProjectivePoint,
}

impl TssPublicKey {
    /// The key with network key `network_key` and factors `factors` (distinct indexes
    /// ≥ [`FIRST_FACTOR_INDEX`], at least one). Refused if a point or the resulting public
    /// key is the identity.
    pub fn new(
        network_key: ProjectivePoint,
        mut factors: Vec<(Index, ProjectivePoint)>,
    ) -> Result<Self, Error> {
        factors.sort_by_key(|(index, _)| *index);
        if factors.is_empty() {
            return Err(Error::NotEnoughShares { needed: 1, got: 0 });
        }
        if let Some((index, _)) = factors.iter().find(|(i, _)| *i < FIRST_FACTOR_INDEX) {
            return Err(Error::IndexOutOfRange {
                index: *index,
                n: Index::MAX,
            });
        }
        if network_key == ProjectivePoint::IDENTITY
            || factors.iter().any(|(_, p)| *p == ProjectivePoint::IDENTITY)
        {
            return Err(Error::IdentityPoint);
        }
        let indexes: Vec<Index> = core::iter::once(NETWORK_INDEX)
            .chain(factors.iter().map(|(i, _)| *i))
            .collect();
        let lambdas = lagrange_coefficients(&indexes, &Scalar::ZERO)?;
        let points = core::iter::once(&network_key).chain(factors.iter().map(|(_, p)| p));
        let public_key = points
            .zip(&lambdas)
            .fold(ProjectivePoint::IDENTITY, |acc, (p, l)| acc + p * l);
        if public_key == ProjectivePoint::IDENTITY {
            return Err(Error::IdentityPoint);
        }
        Ok(Self {
            network_key,
            factors,
            public_key,
        })
    }

    /// `X = x·G`, the key's public key.
    pub fn public_key(&self) -> ProjectivePoint {
        self.public_key
    }

    /// The key as a BIP340 (x-only) public key: the x coordinate of `X`.
    pub fn bip340_public_key(&self) -> [u8; 32] {
        self.public_key.to_affine().x().into()
    }

    /// `D = d·G`, the network key's public key.
    pub fn network_key(&self) -> ProjectivePoint {
        self.network_key
    }

    /// The factors' indexes and public shares, by index.
    pub fn factors(&self) -> &[(Index, ProjectivePoint)] {
        &self.factors
    }
}

/// Create the user's `required` factor shares (indexes 2, 3, ...) for the network key
/// `network_key`: random points of a new user polynomial of degree `required` through
/// `(1, d)`. Runs on the device; the shares never leave it.
pub fn create_factors(
    network_key: &ProjectivePoint,
    required: Index,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(Vec<SecretShare>, TssPublicKey), Error> {
    let last = FIRST_FACTOR_INDEX
        .checked_add(required)
        .and_then(|end| end.checked_sub(1))
        .ok_or(Error::InvalidConfig)?;
    let shares: Vec<SecretShare> = (FIRST_FACTOR_INDEX..=last)
        .map(|index| SecretShare {
            index,
            value: random_nonzero(rng),
        })
        .collect();
    let publics = shares
        .iter()
        .map(|s| (s.index, ProjectivePoint::mul_by_generator(&s.value)))
        .collect();
    let key = TssPublicKey::new(*network_key, publics)?;
    Ok((shares, key))
}

/// The key a signature verifies under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyTweak {
    /// The TSS key itself: a BIP340 signature under `X`'s x coordinate.
    Untweaked,
    /// BIP341's Taproot output key of `X` (a key-path spend): committing to the script tree
    /// with this Merkle root, or `None` for an output without scripts.
    Taproot(Option<[u8; 32]>),
}

/// Round two of FROST for one party: its signature share of `signing_package` with the
/// nonces it committed to in round one, under `tweak`.
pub fn sign_share(
    signing_package: &frost::SigningPackage,
    nonces: &frost::round1::SigningNonces,
    key_package: &frost::keys::KeyPackage,
    tweak: KeyTweak,
) -> Result<frost::round2::SignatureShare, TssError> {
    match tweak {
        KeyTweak::Untweaked => frost::round2::sign(signing_package, nonces, key_package),
        KeyTweak::Taproot(root) => frost::round2::sign_with_tweak(
            signing_package,
            nonces,
            key_package,
            root.as_ref().map(|r| r.as_slice()),
        ),
    }
    .map_err(frost_error)
}

/// One party of a quorum: its FROST identifier, the factor that rescales its secret for
/// FROST (`w_i/ℓ_i`) and its rescaled public share.
#[derive(Clone, Debug)]
struct Party {
    signer: Signer,
    identifier: frost::Identifier,
    scale: Scalar,
    verifying_share: ProjectivePoint,
}

/// A signing quorum of a TSS key: all of its factors and at least a threshold of the
/// holders of its network key. Public; the client and every holder build the same one.
#[derive(Clone, Debug)]
pub struct Quorum {
    parties: Vec<Party>,
    public_key: ProjectivePoint,
}

fn identifier_scalar(signer: Signer) -> Scalar {
    match signer {
        Signer::Holder(j) => Scalar::from(u64::from(j)),
        Signer::Factor(u) => Scalar::from(FACTOR_IDENTIFIER_BASE + u64::from(u)),
    }
}

fn frost_error(e: frost::Error) -> TssError {
    TssError::Frost(e)
}

impl Quorum {
    /// The quorum of `key`'s factors and the holders `holders` (member indexes of the
    /// committee whose commitments to the network key are `network`).
    pub fn new(
        key: &TssPublicKey,
        network: &FeldmanCommitment,
        holders: &[Index],
    ) -> Result<Self, TssError> {
        if network.public_key() != key.network_key {
            return Err(Error::NoMatchingSubset.into());
        }
        let t = usize::from(network.threshold());
        if holders.len() < t {
            return Err(TssError::IncompleteQuorum {
                factors: key.factors.len(),
                holders: t,
            });
        }
        let user_indexes: Vec<Index> = core::iter::once(NETWORK_INDEX)
            .chain(key.factors.iter().map(|(i, _)| *i))
            .collect();
        let lambdas = lagrange_coefficients(&user_indexes, &Scalar::ZERO)?;
        let mus = lagrange_coefficients(holders, &Scalar::ZERO)?;
        let lambda_network = lambdas.first().copied().ok_or(Error::InvalidConfig)?;
        // (signer, weight w_i, public share).
        let mut weighted: Vec<(Signer, Scalar, ProjectivePoint)> = Vec::new();
        for (j, mu) in holders.iter().zip(&mus) {
            weighted.push((
                Signer::Holder(*j),
                lambda_network * mu,
                network.public_share(*j)?,
            ));
        }
        for ((u, point), lambda) in key.factors.iter().zip(lambdas.iter().skip(1)) {
            weighted.push((Signer::Factor(*u), *lambda, *point));
        }
        let xs: Vec<Scalar> = weighted
            .iter()
            .map(|(s, _, _)| identifier_scalar(*s))
            .collect();
        let ells = lagrange_at(&xs, &Scalar::ZERO)?;
        let parties = weighted
            .into_iter()
            .zip(xs.iter().zip(&ells))
            .map(|((signer, weight, point), (x, ell))| {
                let inverse = Option::<Scalar>::from(ell.invert()).ok_or(Error::ZeroScalar)?;
                let scale = weight * inverse;
                let identifier =
                    frost::Identifier::deserialize(&x.to_bytes()).map_err(|_| Error::ZeroScalar)?;
                Ok(Party {
                    signer,
                    identifier,
                    scale,
                    verifying_share: point * scale,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Self {
            parties,
            public_key: key.public_key,
        })
    }

    /// The parties, holders first.
    pub fn signers(&self) -> impl Iterator<Item = Signer> + '_ {
        self.parties.iter().map(|p| p.signer)
    }

    fn party(&self, signer: Signer) -> Result<&Party, TssError> {
        self.parties
            .iter()
            .find(|p| p.signer == signer)
            .ok_or(TssError::NotInQuorum(signer))
    }

    /// `signer`'s FROST identifier.
    pub fn identifier(&self, signer: Signer) -> Result<frost::Identifier, TssError> {
        Ok(self.party(signer)?.identifier)
    }

    /// The signer with FROST identifier `identifier`, if it is in the quorum.
    pub fn signer_of(&self, identifier: &frost::Identifier) -> Option<Signer> {
        self.parties
            .iter()
            .find(|p| p.identifier == *identifier)
            .map(|p| p.signer)
    }

    /// `signer`'s FROST key package for this quorum, from its secret `share` (a holder's
    /// share of the network key, or a factor share), checked against its public share.
    pub fn key_package(
        &self,
        signer: Signer,
        share: &SecretShare,
    ) -> Result<frost::keys::KeyPackage, TssError> {
        let party = self.party(signer)?;
        let index = match signer {
            Signer::Holder(i) | Signer::Factor(i) => i,
        };
        if share.index != index {
            return Err(Error::InvalidShare { index }.into());
        }
        let scaled = Zeroizing::new(share.value * party.scale);
        if ProjectivePoint::mul_by_generator(&*scaled) != party.verifying_share {
            return Err(Error::InvalidShare { index }.into());
        }
        let signing_share =
            frost::keys::SigningShare::deserialize(&scaled.to_bytes()).map_err(frost_error)?;
        Ok(frost::keys::KeyPackage::new(
            party.identifier,
            signing_share,
            verifying_share(&party.verifying_share)?,
            verifying_key(&self.public_key)?,
            self.min_signers()?,
        ))
    }

    /// The quorum's FROST public key package: every party's rescaled public share, for the
    /// coordinator to check each signature share.
    pub fn public_key_package(&self) -> Result<frost::keys::PublicKeyPackage, TssError> {
        let shares = self
            .parties
            .iter()
            .map(|p| Ok((p.identifier, verifying_share(&p.verifying_share)?)))
            .collect::<Result<BTreeMap<_, _>, TssError>>()?;
        Ok(frost::keys::PublicKeyPackage::new(
            shares,
            verifying_key(&self.public_key)?,
            Some(self.min_signers()?),
        ))
    }

    fn min_signers(&self) -> Result<u16, TssError> {
        u16::try_from(self.parties.len()).map_err(|_| Error::InvalidConfig.into())
    }

    /// Aggregate the quorum's signature shares (made with [`sign_share`] and the same
    /// `tweak`) into a BIP340 signature, 64 bytes. Every share is checked first; the parties
    /// whose shares are wrong are named ([`TssError::InvalidSignatureShares`]).
    pub fn aggregate(
        &self,
        signing_package: &frost::SigningPackage,
        shares: &BTreeMap<frost::Identifier, frost::round2::SignatureShare>,
        tweak: KeyTweak,
    ) -> Result<[u8; 64], TssError> {
        let package = self.public_key_package()?;
        let signature = match tweak {
            KeyTweak::Untweaked => frost::aggregate(signing_package, shares, &package),
            KeyTweak::Taproot(root) => frost::aggregate_with_tweak(
                signing_package,
                shares,
                &package,
                root.as_ref().map(|r| r.as_slice()),
            ),
        }
        .map_err(|e| match e {
            frost::Error::InvalidSignatureShare { culprits } => TssError::InvalidSignatureShares(
                culprits.iter().filter_map(|c| self.signer_of(c)).collect(),
            ),
            other => TssError::Frost(other),
        })?;
        let bytes = signature.serialize().map_err(frost_error)?;
        bytes
            .try_into()
            .map_err(|_| TssError::Sharing(Error::MalformedPoint))
    }
}

fn verifying_share(point: &ProjectivePoint) -> Result<frost::keys::VerifyingShare, TssError> {
    frost::keys::VerifyingShare::deserialize(point.to_affine().to_bytes().as_slice())
        .map_err(frost_error)
}

fn verifying_key(point: &ProjectivePoint) -> Result<frost::VerifyingKey, TssError> {
    frost::VerifyingKey::deserialize(point.to_affine().to_bytes().as_slice()).map_err(frost_error)
}
