//! Hierarchical threshold secret sharing (Tassa / Birkhoff).

use k256::elliptic_curve::Field;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use torus_crypto::{
    htss::{self, Hierarchy, HtssShare},
    Error, Scalar,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

#[test]
fn device_and_two_of_three_validators() {
    let mut r = rng(1);
    let h = Hierarchy::new(vec![1, 3]).unwrap();
    let secret = Scalar::random(&mut r);
    // Device x=1 at level 0; validators x=2,3,4 at level 1 (monotone allocation).
    let (shares, commitment) =
        htss::deal(&h, secret, &[(1, 0), (2, 1), (3, 1), (4, 1)], &mut r).unwrap();
    for s in &shares {
        htss::verify_share(&h, &commitment, s).unwrap();
    }
    let pick = |idx: &[usize]| {
        idx.iter()
            .map(|i| shares[*i].clone())
            .collect::<Vec<HtssShare>>()
    };
    for set in [[0, 1, 2], [0, 1, 3], [0, 2, 3]] {
        assert_eq!(htss::reconstruct(&h, &pick(&set)).unwrap(), secret);
    }
    assert_eq!(htss::reconstruct(&h, &pick(&[0, 1, 2, 3])).unwrap(), secret);
    // Without the device, or with too few validators: refused.
    assert_eq!(
        htss::reconstruct(&h, &pick(&[1, 2, 3])),
        Err(Error::NotAdmissible)
    );
    assert_eq!(
        htss::reconstruct(&h, &pick(&[0, 1])),
        Err(Error::NotAdmissible)
    );
    // Tampered share fails the commitment check.
    let mut bad = shares[2].clone();
    bad.value += Scalar::ONE;
    assert_eq!(
        htss::verify_share(&h, &commitment, &bad),
        Err(Error::InvalidShare { index: 3 })
    );
    assert!(format!("{bad:?}").contains("<redacted>"));
}

#[test]
fn single_level_is_plain_shamir() {
    let mut r = rng(2);
    let h = Hierarchy::new(vec![3]).unwrap();
    let secret = Scalar::random(&mut r);
    let (shares, _) = htss::deal(
        &h,
        secret,
        &[(1, 0), (2, 0), (3, 0), (4, 0), (5, 0)],
        &mut r,
    )
    .unwrap();
    let plain: Vec<torus_crypto::vss::SecretShare> = shares
        .iter()
        .map(|s| torus_crypto::vss::SecretShare {
            index: s.index,
            value: s.value,
        })
        .collect();
    assert_eq!(
        torus_crypto::vss::reconstruct(&plain[2..], 3).unwrap(),
        secret
    );
    assert_eq!(htss::reconstruct(&h, &shares[1..4]).unwrap(), secret);
}

#[test]
fn invalid_inputs_are_typed_errors() {
    let mut r = rng(3);
    assert_eq!(Hierarchy::new(vec![]), Err(Error::InvalidHierarchy));
    assert_eq!(Hierarchy::new(vec![0, 2]), Err(Error::InvalidHierarchy));
    assert_eq!(Hierarchy::new(vec![2, 2]), Err(Error::InvalidHierarchy));
    let h = Hierarchy::new(vec![1, 2]).unwrap();
    assert_eq!(
        htss::deal(&h, Scalar::ONE, &[(1, 0), (1, 1)], &mut r).unwrap_err(),
        Error::DuplicateIndex { index: 1 }
    );
    assert_eq!(
        htss::deal(&h, Scalar::ONE, &[(0, 0)], &mut r).unwrap_err(),
        Error::ZeroIndex
    );
    assert_eq!(
        htss::deal(&h, Scalar::ONE, &[(1, 2)], &mut r).unwrap_err(),
        Error::InvalidHierarchy
    );
    let (shares, _) = htss::deal(&h, Scalar::ONE, &[(1, 0), (2, 1)], &mut r).unwrap();
    let dup = vec![shares[0].clone(), shares[0].clone()];
    assert_eq!(
        htss::reconstruct(&h, &dup),
        Err(Error::DuplicateIndex { index: 1 })
    );
}

/// Thresholds [1, 3] with shares f(x0), f(x1), f'(x2): the Birkhoff determinant is
/// (x1 − x0)(2·x2 − x1 − x0), zero for x2 = (x0 + x1)/2. Such a non-monotone allocation
/// (x0 = 1, x1 = 3 at level 0, x2 = 2 at level 1) satisfies the counting condition but cannot
/// determine the secret: it is refused, never answered with a wrong value.
#[test]
fn singular_birkhoff_system_is_refused() {
    let mut r = rng(4);
    let h = Hierarchy::new(vec![1, 3]).unwrap();
    let secret = Scalar::random(&mut r);
    let (shares, _) = htss::deal(&h, secret, &[(1, 0), (3, 0), (2, 1), (4, 1)], &mut r).unwrap();
    assert_eq!(
        htss::reconstruct(&h, &shares[..3]),
        Err(Error::NotAdmissible)
    );
    // With x2 = 4 instead the system is regular.
    assert_eq!(
        htss::reconstruct(
            &h,
            &[shares[0].clone(), shares[1].clone(), shares[3].clone()]
        )
        .unwrap(),
        secret
    );
    assert_eq!(htss::reconstruct(&h, &shares[1..]).unwrap(), secret);
    // No level-0 share: not admissible by counting.
    assert_eq!(
        htss::reconstruct(&h, &shares[2..]),
        Err(Error::NotAdmissible)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random hierarchies and random subsets: admissible sets reconstruct exactly, the others
    /// are refused with `NotAdmissible`.
    #[test]
    fn admissible_sets_reconstruct_and_others_are_refused(
        seed in any::<u64>(),
        increments in proptest::collection::vec(1u16..3, 1..4),
        sizes in proptest::collection::vec(1usize..4, 3),
        mask in any::<u32>(),
    ) {
        let mut r = rng(seed);
        let mut thresholds = Vec::new();
        let mut acc = 0;
        for inc in &increments { acc += inc; thresholds.push(acc); }
        let h = Hierarchy::new(thresholds.clone()).unwrap();
        // Monotone allocation: identities increase with the level.
        let mut members = Vec::new();
        let mut x = 1u16;
        for level in 0..h.levels() {
            for _ in 0..sizes[level % sizes.len()] + usize::from(level == h.levels() - 1) * usize::from(h.threshold()) {
                members.push((x, level as u8));
                x += 1;
            }
        }
        let secret = Scalar::random(&mut r);
        let (shares, _) = htss::deal(&h, secret, &members, &mut r).unwrap();
        let subset: Vec<HtssShare> =
            shares.iter().enumerate().filter(|(i, _)| mask >> (i % 32) & 1 == 1).map(|(_, s)| s.clone()).collect();
        let admissible = thresholds.iter().enumerate().all(|(level, k)| {
            subset.iter().filter(|s| usize::from(s.level) <= level).count() >= usize::from(*k)
        });
        match htss::reconstruct(&h, &subset) {
            Ok(v) => { prop_assert!(admissible); prop_assert_eq!(v, secret); }
            Err(e) => { prop_assert!(!admissible); prop_assert_eq!(e, Error::NotAdmissible); }
        }
    }
}
