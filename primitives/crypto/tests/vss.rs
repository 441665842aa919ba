//! Shamir/Feldman/Pedersen VSS and Lagrange interpolation.

use k256::elliptic_curve::{ops::MulByGenerator, Field};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use torus_crypto::{
    encoding::{point_from_bytes, point_to_bytes, scalar_from_bytes},
    vss::{self, FeldmanCommitment, SecretShare},
    Error, ProjectivePoint, Scalar,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Known answers: multiples of the secp256k1 generator (SEC 2 / widely published values).
#[test]
fn generator_multiples_known_answers() {
    let g = point_to_bytes(&ProjectivePoint::GENERATOR).unwrap();
    assert_eq!(
        hex::encode(g),
        "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    );
    let two = point_to_bytes(&ProjectivePoint::mul_by_generator(&Scalar::from(2u64))).unwrap();
    assert_eq!(
        hex::encode(two),
        "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
    );
    let three = point_to_bytes(&ProjectivePoint::mul_by_generator(&Scalar::from(3u64))).unwrap();
    assert_eq!(
        hex::encode(three),
        "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"
    );
}

#[test]
fn pedersen_generator_is_fixed_and_not_g() {
    let h = vss::pedersen_generator();
    assert_ne!(h, ProjectivePoint::GENERATOR);
    // Pin the derivation (changing it would break every stored Pedersen commitment).
    assert_eq!(
        hex::encode(point_to_bytes(&h).unwrap()),
        "0284c24cbf6d663dbf36a93339122bffa64e10976b5ac6c126c3c3d90bcfeadcb1"
    );
}

#[test]
fn feldman_shares_verify_and_tampered_ones_do_not() {
    let mut r = rng(1);
    let secret = Scalar::random(&mut r);
    let (commitment, shares) = vss::deal(secret, 3, 5, &mut r).unwrap();
    assert_eq!(
        commitment.public_key(),
        ProjectivePoint::mul_by_generator(&secret)
    );
    for s in &shares {
        commitment.verify_share(s).unwrap();
        assert_eq!(
            commitment.public_share(s.index).unwrap(),
            ProjectivePoint::mul_by_generator(&s.value)
        );
        let bad = SecretShare {
            index: s.index,
            value: s.value + Scalar::ONE,
        };
        assert_eq!(
            commitment.verify_share(&bad),
            Err(Error::InvalidShare { index: s.index })
        );
    }
    let wrong_index = SecretShare {
        index: 1,
        value: shares[1].value,
    };
    assert_eq!(
        commitment.verify_share(&wrong_index),
        Err(Error::InvalidShare { index: 1 })
    );
    let bytes = commitment.to_bytes().unwrap();
    assert_eq!(FeldmanCommitment::from_bytes(&bytes).unwrap(), commitment);
}

#[test]
fn pedersen_shares_verify_and_tampered_ones_do_not() {
    let mut r = rng(2);
    let secret = Scalar::random(&mut r);
    let (commitment, shares) = vss::deal_pedersen(secret, 3, 5, &mut r).unwrap();
    for s in &shares {
        commitment.verify_share(s).unwrap();
        let mut bad = s.clone();
        bad.blinding += Scalar::ONE;
        assert_eq!(
            commitment.verify_share(&bad),
            Err(Error::InvalidShare { index: s.index })
        );
    }
    let parsed = vss::PedersenCommitment::from_bytes(&commitment.to_bytes().unwrap()).unwrap();
    assert_eq!(parsed, commitment);
    let recovered: Vec<SecretShare> = shares
        .iter()
        .map(|s| SecretShare {
            index: s.index,
            value: s.value,
        })
        .collect();
    assert_eq!(vss::reconstruct(&recovered[2..], 3).unwrap(), secret);
}

#[test]
fn failure_paths_are_typed_errors() {
    let mut r = rng(3);
    assert_eq!(
        vss::deal(Scalar::ONE, 0, 5, &mut r).unwrap_err(),
        Error::InvalidThreshold { t: 0, n: 5 }
    );
    assert_eq!(
        vss::deal(Scalar::ONE, 6, 5, &mut r).unwrap_err(),
        Error::InvalidThreshold { t: 6, n: 5 }
    );
    let (c, shares) = vss::deal(Scalar::ONE, 2, 3, &mut r).unwrap();
    assert_eq!(c.public_share(0), Err(Error::ZeroIndex));
    let dup = [shares[0].clone(), shares[0].clone()];
    assert_eq!(
        vss::reconstruct(&dup, 2),
        Err(Error::DuplicateIndex { index: 1 })
    );
    assert_eq!(
        vss::reconstruct(&shares[..1], 2),
        Err(Error::NotEnoughShares { needed: 2, got: 1 })
    );
    let zero = [
        SecretShare {
            index: 0,
            value: Scalar::ONE,
        },
        shares[1].clone(),
    ];
    assert_eq!(
        vss::interpolate(&zero, &Scalar::ZERO),
        Err(Error::ZeroIndex)
    );
    assert_eq!(
        vss::interpolate(&[], &Scalar::ZERO),
        Err(Error::NotEnoughShares { needed: 1, got: 0 })
    );
    // Encodings.
    assert_eq!(
        point_from_bytes(&[2u8; 32]),
        Err(Error::WrongLength {
            expected: 33,
            actual: 32
        })
    );
    assert_eq!(point_from_bytes(&[5u8; 33]), Err(Error::MalformedPoint));
    let mut not_on_curve = [0u8; 33];
    not_on_curve[0] = 2;
    not_on_curve[32] = 5; // x = 5: 5^3 + 7 = 132 is not a square mod p
    assert_eq!(point_from_bytes(&not_on_curve), Err(Error::MalformedPoint));
    assert_eq!(
        point_to_bytes(&ProjectivePoint::IDENTITY),
        Err(Error::IdentityPoint)
    );
    assert_eq!(scalar_from_bytes(&[0xff; 32]), Err(Error::MalformedScalar));
    assert_eq!(
        FeldmanCommitment::from_bytes(&[]).unwrap_err(),
        Error::InvalidThreshold { t: 0, n: 0 }
    );
    assert_eq!(
        format!("{:?}", shares[0]),
        "SecretShare { index: 1, value: \"<redacted>\" }"
    );
}

#[test]
fn lagrange_interpolation_at_any_point_recovers_the_polynomial() {
    let mut r = rng(4);
    let poly = vss::SecretPolynomial::random(Scalar::random(&mut r), 4, &mut r).unwrap();
    let shares: Vec<SecretShare> = [2u16, 5, 7, 9]
        .iter()
        .map(|i| poly.share(*i).unwrap())
        .collect();
    for x in [0u64, 1, 3, 100] {
        let x = Scalar::from(x);
        assert_eq!(vss::interpolate(&shares, &x).unwrap(), poly.evaluate(&x));
    }
    // In the exponent too.
    let points: Vec<(u16, ProjectivePoint)> = shares
        .iter()
        .map(|s| (s.index, ProjectivePoint::mul_by_generator(&s.value)))
        .collect();
    assert_eq!(
        vss::interpolate_points(&points, &Scalar::ZERO).unwrap(),
        ProjectivePoint::mul_by_generator(&poly.secret())
    );
}

#[test]
fn reconstruct_matching_skips_wrong_shares_like_the_torus_client() {
    let mut r = rng(5);
    let secret = Scalar::random(&mut r);
    let (c, mut shares) = vss::deal(secret, 3, 5, &mut r).unwrap();
    // Random errors (errors like "+1 everywhere" can fit a polynomial vanishing at 0).
    shares[0].value += Scalar::random(&mut r);
    shares[3].value += Scalar::random(&mut r);
    // 2 of 5 wrong: the only good subset {2, 3, 5} is found.
    assert_eq!(
        vss::reconstruct_matching(&shares, 3, &c.public_key()).unwrap(),
        secret
    );
    shares[1].value += Scalar::ONE;
    assert_eq!(
        vss::reconstruct_matching(&shares, 3, &c.public_key()),
        Err(Error::NoMatchingSubset)
    );
    assert_eq!(
        vss::reconstruct_matching(&shares[..2], 3, &c.public_key()),
        Err(Error::NotEnoughShares { needed: 3, got: 2 })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Multiplying by a participant's index is the scalar multiplication, and a public share
    /// is the commitment polynomial evaluated at the index.
    #[test]
    fn public_shares_by_index_multiplication_equal_the_evaluation(seed in any::<u64>(), index in 1u16.., t in 1u16..6) {
        let mut r = rng(seed);
        let point = ProjectivePoint::mul_by_generator(&Scalar::random(&mut r));
        prop_assert_eq!(vss::mul_by_index(&point, index), point * Scalar::from(u64::from(index)));
        prop_assert_eq!(vss::mul_by_index(&point, 0), ProjectivePoint::IDENTITY);
        let (c, _) = vss::deal(Scalar::random(&mut r), t, t, &mut r).unwrap();
        prop_assert_eq!(
            c.public_share(index).unwrap(),
            c.evaluate(&Scalar::from(u64::from(index)))
        );
    }

    /// Any t shares reconstruct; t − 1 shares give a value unrelated to the secret.
    #[test]
    fn any_t_shares_reconstruct_and_t_minus_1_do_not(seed in any::<u64>(), n in 1u16..9, t_off in 0u16..8, pick in any::<u64>()) {
        let t = 1 + t_off % n;
        let mut r = rng(seed);
        let secret = Scalar::random(&mut r);
        let (c, shares) = vss::deal(secret, t, n, &mut r).unwrap();
        // A pseudo-random subset of size t, in pseudo-random order.
        let mut idx: Vec<usize> = (0..n as usize).collect();
        let mut p = pick;
        for i in (1..idx.len()).rev() { idx.swap(i, (p % (i as u64 + 1)) as usize); p = p.rotate_left(7) ^ 0x9e37; }
        let subset: Vec<SecretShare> = idx[..t as usize].iter().map(|i| shares[*i].clone()).collect();
        prop_assert_eq!(vss::reconstruct(&subset, t).unwrap(), secret);
        prop_assert_eq!(ProjectivePoint::mul_by_generator(&secret), c.public_key());
        if t > 1 {
            let fewer = &subset[..t as usize - 1];
            prop_assert_ne!(vss::interpolate(fewer, &Scalar::ZERO).unwrap(), secret);
            prop_assert_eq!(vss::reconstruct(fewer, t), Err(Error::NotEnoughShares { needed: t as usize, got: t as usize - 1 }));
        }
    }
}

/// Encoding a commitment normalizes all its points at once; the result is each point's own
/// encoding, and a commitment holding the identity is refused as a single point is.
#[test]
fn batch_encoding_matches_per_point_encoding() {
    let mut r = rng(77);
    let points: Vec<ProjectivePoint> = (0..5)
        .map(|_| ProjectivePoint::mul_by_generator(&Scalar::random(&mut r)))
        .collect();
    let commitment = FeldmanCommitment::new(points.clone()).unwrap();
    let each: Vec<_> = points.iter().map(|p| point_to_bytes(p).unwrap()).collect();
    assert_eq!(commitment.to_bytes().unwrap(), each);
    assert_eq!(FeldmanCommitment::from_bytes(&each).unwrap(), commitment);
    let with_identity =
        FeldmanCommitment::new(vec![points[0], ProjectivePoint::IDENTITY, points[1]]).unwrap();
    assert_eq!(
        with_identity.to_bytes().unwrap_err(),
        point_to_bytes(&ProjectivePoint::IDENTITY).unwrap_err()
    );
}
