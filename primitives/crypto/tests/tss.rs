//! TSS keys and their threshold BIP340 signatures: every signature is checked with an
//! independent BIP340 verifier (Bitcoin Core's libsecp256k1, through the `secp256k1` crate),
//! which first passes BIP340's official test vectors.

use std::collections::BTreeMap;

use k256::elliptic_curve::{ops::MulByGenerator, point::AffineCoordinates, PrimeField};
use proptest::prelude::*;
use rand::{seq::SliceRandom, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use torus_crypto::{
    tss::{
        create_factors, frost, sign_share, KeyTweak, Quorum, Signer, TssError, TssPublicKey,
        FIRST_FACTOR_INDEX,
    },
    vss::{self, FeldmanCommitment, SecretShare},
    Error, Index, ProjectivePoint, Scalar,
};

/// A network key shared among `n` holders and a TSS key on it with `required` user factors.
struct Fixture {
    network: FeldmanCommitment,
    holder_shares: Vec<SecretShare>,
    factor_shares: Vec<SecretShare>,
    key: TssPublicKey,
}

fn fixture(n: Index, required: Index, rng: &mut ChaCha20Rng) -> Fixture {
    let d = vss::random_nonzero(rng);
    let (network, holder_shares) = vss::deal(d, n / 2 + 1, n, rng).unwrap();
    let (factor_shares, key) = create_factors(&network.public_key(), required, rng).unwrap();
    Fixture {
        network,
        holder_shares,
        factor_shares,
        key,
    }
}

impl Fixture {
    fn secret_of(&self, signer: Signer) -> SecretShare {
        let (shares, index) = match signer {
            Signer::Holder(j) => (&self.holder_shares, j),
            Signer::Factor(u) => (&self.factor_shares, u),
        };
        shares.iter().find(|s| s.index == index).unwrap().clone()
    }
}

/// Both FROST rounds with every party of the quorum of `f`'s factors and `holders`, the
/// client coordinating; the parties `tamper` picks send garbage instead of their signature
/// shares. Returns the
/// aggregated signature or the coordinator's error.
fn sign_with(
    f: &Fixture,
    network: &FeldmanCommitment,
    holders: &[Index],
    message: &[u8],
    tweak: KeyTweak,
    rng: &mut ChaCha20Rng,
    tamper: impl Fn(Signer) -> bool,
) -> Result<[u8; 64], TssError> {
    let quorum = Quorum::new(&f.key, network, holders)?;
    let mut round1 = Vec::new();
    let mut commitments = BTreeMap::new();
    for signer in quorum.signers().collect::<Vec<_>>() {
        let package = quorum.key_package(signer, &f.secret_of(signer))?;
        let (nonces, commitment) = frost::round1::commit(package.signing_share(), rng);
        commitments.insert(*package.identifier(), commitment);
        round1.push((signer, package, nonces));
    }
    let signing_package = frost::SigningPackage::new(commitments, message);
    let mut shares = BTreeMap::new();
    for (signer, package, nonces) in &round1 {
        let share = if tamper(*signer) {
            // A party that answers something else than its signature share.
            let garbage = vss::random_nonzero(rng).to_bytes();
            frost::round2::SignatureShare::deserialize(&garbage).unwrap()
        } else {
            sign_share(&signing_package, nonces, package, tweak)?
        };
        shares.insert(*package.identifier(), share);
    }
    quorum.aggregate(&signing_package, &shares, tweak)
}

fn sign(
    f: &Fixture,
    holders: &[Index],
    message: &[u8],
    tweak: KeyTweak,
    rng: &mut ChaCha20Rng,
) -> Result<[u8; 64], TssError> {
    sign_with(f, &f.network, holders, message, tweak, rng, |_| false)
}

/// BIP340 verification by libsecp256k1 of `signature` over `message` under the x-only key.
fn verifies(x_only: &[u8], message: &[u8], signature: &[u8]) -> bool {
    match (
        secp256k1::XOnlyPublicKey::from_slice(x_only),
        secp256k1::schnorr::Signature::from_slice(signature),
    ) {
        (Ok(key), Ok(signature)) => secp256k1::Secp256k1::verification_only()
            .verify_schnorr(&signature, message, &key)
            .is_ok(),
        _ => false,
    }
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

#[test]
fn the_verifier_passes_the_bip340_test_vectors() {
    let csv = include_str!("fixtures/bip340-test-vectors.csv");
    let mut count = 0;
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let [index, key, message, signature, result] = cols[..] else {
            panic!("malformed vector line {line}");
        };
        let decode = |h: &str| hex::decode(h).unwrap();
        let expected = result == "TRUE";
        assert_eq!(
            verifies(&decode(key), &decode(message), &decode(signature)),
            expected,
            "vector {index}"
        );
        count += 1;
    }
    assert_eq!(count, 19, "BIP340 has vectors 0..=18");
}

#[test]
fn the_device_and_every_threshold_of_holders_sign_under_the_key() {
    let mut rng = rng(1);
    let f = fixture(4, 1, &mut rng);
    let x_only = f.key.bip340_public_key();
    // Every 3 of the 4 holders, and all four.
    let quorums: [&[Index]; 5] = [
        &[1, 2, 3],
        &[1, 2, 4],
        &[1, 3, 4],
        &[2, 3, 4],
        &[1, 2, 3, 4],
    ];
    for holders in quorums {
        for message in [&b""[..], b"hello", &[0x99; 100]] {
            let signature = sign(&f, holders, message, KeyTweak::Untweaked, &mut rng).unwrap();
            assert!(verifies(&x_only, message, &signature), "{holders:?}");
            assert!(!verifies(&x_only, b"another message", &signature));
        }
    }
}

#[test]
fn a_key_with_two_required_factors_signs_with_both_and_a_threshold() {
    let mut rng = rng(2);
    let f = fixture(5, 2, &mut rng);
    assert_eq!(f.factor_shares.len(), 2);
    let signature = sign(&f, &[2, 4, 5], b"m", KeyTweak::Untweaked, &mut rng).unwrap();
    assert!(verifies(&f.key.bip340_public_key(), b"m", &signature));
    // The quorum always takes every factor of the key.
    let quorum = Quorum::new(&f.key, &f.network, &[2, 4, 5]).unwrap();
    assert_eq!(
        quorum.signers().collect::<Vec<_>>(),
        [
            Signer::Holder(2),
            Signer::Holder(4),
            Signer::Holder(5),
            Signer::Factor(2),
            Signer::Factor(3)
        ]
    );
}

/// BIP341's tweak of `key` computed here, independently of FROST: the x-only output key.
fn taproot_output_key(key: &ProjectivePoint, merkle_root: Option<[u8; 32]>) -> [u8; 32] {
    let affine = key.to_affine();
    let internal = if bool::from(affine.y_is_odd()) {
        -*key
    } else {
        *key
    };
    let tag = Sha256::digest(b"TapTweak");
    let mut hasher = Sha256::new();
    hasher.update(tag);
    hasher.update(tag);
    hasher.update(internal.to_affine().x());
    if let Some(root) = merkle_root {
        hasher.update(root);
    }
    let t = Option::<Scalar>::from(Scalar::from_repr(hasher.finalize())).unwrap();
    (internal + ProjectivePoint::mul_by_generator(&t))
        .to_affine()
        .x()
        .into()
}

#[test]
fn a_taproot_key_path_signature_verifies_under_the_output_key() {
    let mut rng = rng(3);
    for seed in 0..4 {
        // Several keys, so that both parities of X's y coordinate come up.
        let f = fixture(4, 1, &mut ChaCha20Rng::seed_from_u64(100 + seed));
        for root in [None, Some([7u8; 32])] {
            let output = taproot_output_key(&f.key.public_key(), root);
            let signature =
                sign(&f, &[1, 3, 4], b"spend", KeyTweak::Taproot(root), &mut rng).unwrap();
            assert!(verifies(&output, b"spend", &signature), "root {root:?}");
            assert!(!verifies(&f.key.bip340_public_key(), b"spend", &signature));
        }
    }
}

#[test]
fn neither_the_whole_network_nor_the_device_alone_has_the_key() {
    let mut rng = rng(4);
    let f = fixture(4, 1, &mut rng);
    let x = f.key.public_key();
    // All holders together reconstruct the network key d, which is not the user's key...
    let d = vss::reconstruct(&f.holder_shares, 4).unwrap();
    assert_eq!(ProjectivePoint::mul_by_generator(&d), f.key.network_key());
    assert_ne!(ProjectivePoint::mul_by_generator(&d), x);
    // ...and signs nothing under it: a BIP340 signature with d does not verify under X.
    let secp = secp256k1::Secp256k1::new();
    let with_d = secp256k1::Keypair::from_seckey_slice(&secp, &d.to_bytes()).unwrap();
    let signature = secp.sign_schnorr_no_aux_rand(b"m", &with_d);
    assert!(!verifies(
        &f.key.bip340_public_key(),
        b"m",
        signature.as_ref()
    ));
    // The device's share is not the key either.
    let device = f.secret_of(Signer::Factor(FIRST_FACTOR_INDEX));
    assert_ne!(ProjectivePoint::mul_by_generator(&device.value), x);
    // The holders cannot stand in for the device: a guess of its share is refused when the
    // package is made, and a share made with a guess is caught and blamed on the device.
    let quorum = Quorum::new(&f.key, &f.network, &[1, 2, 3]).unwrap();
    let guess = SecretShare {
        index: FIRST_FACTOR_INDEX,
        value: vss::random_nonzero(&mut rng),
    };
    assert_eq!(
        quorum.key_package(Signer::Factor(FIRST_FACTOR_INDEX), &guess),
        Err(TssError::Sharing(Error::InvalidShare {
            index: FIRST_FACTOR_INDEX
        }))
    );
    let refused = sign_with(
        &f,
        &f.network,
        &[1, 2, 3],
        b"m",
        KeyTweak::Untweaked,
        &mut rng,
        |s| s == Signer::Factor(FIRST_FACTOR_INDEX),
    );
    assert_eq!(
        refused,
        Err(TssError::InvalidSignatureShares(vec![Signer::Factor(
            FIRST_FACTOR_INDEX
        )]))
    );
}

#[test]
fn a_holder_that_sends_a_bad_signature_share_is_named() {
    let mut rng = rng(5);
    let f = fixture(4, 1, &mut rng);
    let refused = sign_with(
        &f,
        &f.network,
        &[1, 2, 4],
        b"m",
        KeyTweak::Taproot(None),
        &mut rng,
        |s| s == Signer::Holder(4),
    );
    assert_eq!(
        refused,
        Err(TssError::InvalidSignatureShares(vec![Signer::Holder(4)]))
    );
}

#[test]
fn a_key_signs_under_the_same_public_key_after_its_network_key_is_reshared() {
    let mut rng = rng(6);
    let mut f = fixture(4, 1, &mut rng);
    let x_only = f.key.bip340_public_key();
    // A new committee of 6 with threshold 4 holds the same network key d.
    let d = vss::reconstruct(&f.holder_shares, 3).unwrap();
    let (network, shares) = vss::deal(d, 4, 6, &mut rng).unwrap();
    f.network = network;
    f.holder_shares = shares;
    let signature = sign(&f, &[2, 3, 5, 6], b"after", KeyTweak::Untweaked, &mut rng).unwrap();
    assert!(verifies(&x_only, b"after", &signature));
    // Three holders are no longer a threshold.
    assert!(matches!(
        Quorum::new(&f.key, &f.network, &[2, 3, 5]),
        Err(TssError::IncompleteQuorum {
            factors: 1,
            holders: 4
        })
    ));
}

#[test]
fn malformed_keys_and_quorums_are_refused() {
    let mut rng = rng(7);
    let f = fixture(4, 1, &mut rng);
    let g = ProjectivePoint::GENERATOR;
    // A factor at the network's index, no factor, an identity point.
    assert!(TssPublicKey::new(g, vec![(1, g)]).is_err());
    assert!(TssPublicKey::new(g, vec![]).is_err());
    assert_eq!(
        TssPublicKey::new(g, vec![(2, ProjectivePoint::IDENTITY)]),
        Err(Error::IdentityPoint)
    );
    // f(1) = f(2) = G: the public key 2·G − G = G is fine; f(2) = 2·G gives X = 0: refused.
    assert_eq!(
        TssPublicKey::new(g, vec![(2, g.double())]),
        Err(Error::IdentityPoint)
    );
    assert_eq!(
        create_factors(&g, 0, &mut rng).map(|_| ()),
        Err(Error::NotEnoughShares { needed: 1, got: 0 })
    );
    // The commitments of another network key, a repeated holder.
    let (other, _) = vss::deal(Scalar::ONE, 3, 4, &mut rng).unwrap();
    assert!(Quorum::new(&f.key, &other, &[1, 2, 3]).is_err());
    assert!(matches!(
        Quorum::new(&f.key, &f.network, &[1, 2, 2]),
        Err(TssError::Sharing(Error::DuplicateIndex { index: 2 }))
    ));
    // A party outside the quorum, and a holder's share given under another index.
    let quorum = Quorum::new(&f.key, &f.network, &[1, 2, 3]).unwrap();
    assert_eq!(
        quorum.key_package(Signer::Holder(4), &f.secret_of(Signer::Holder(4))),
        Err(TssError::NotInQuorum(Signer::Holder(4)))
    );
    assert_eq!(
        quorum.key_package(Signer::Holder(1), &f.secret_of(Signer::Holder(2))),
        Err(TssError::Sharing(Error::InvalidShare { index: 1 }))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Any committee size, any threshold-or-larger subset of holders, one or two factors.
    #[test]
    fn any_quorum_signs_verifiably(
        seed in any::<u64>(),
        n in 1u16..8,
        extra in 0u16..4,
        required in 1u16..3,
        message in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut rng = rng(seed);
        let f = fixture(n, required, &mut rng);
        let t = n / 2 + 1;
        let mut holders: Vec<Index> = (1..=n).collect();
        holders.shuffle(&mut rng);
        holders.truncate(usize::from((t + extra).min(n)));
        let signature = sign(&f, &holders, &message, KeyTweak::Untweaked, &mut rng).unwrap();
        prop_assert!(verifies(&f.key.bip340_public_key(), &message, &signature));
    }
}
