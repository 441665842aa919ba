//! Malformed input never panics; secrets never appear in `Debug`; wire formats are pinned.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use torus_crypto::{
    dkg::{self, Committee, Complaint, KeyShares, SessionConfig, SessionKind},
    dleq::DleqProof,
    ecies::{Ciphertext, EncryptionPublicKey, EncryptionSecretKey},
    encoding::{nonzero_scalar_from_bytes, point_from_bytes, scalar_from_bytes},
    vss, Error, Scalar,
};

fn session(seed: u64) -> (SessionConfig, Vec<EncryptionSecretKey>, ChaCha20Rng) {
    let mut r = ChaCha20Rng::seed_from_u64(seed);
    let keys: Vec<EncryptionSecretKey> = (0..3)
        .map(|_| EncryptionSecretKey::random(&mut r))
        .collect();
    let c = Committee::new(2, keys.iter().map(|k| k.public_key()).collect()).unwrap();
    (
        SessionConfig::new([3; 32], 2, c.clone(), c, SessionKind::Fresh).unwrap(),
        keys,
        r,
    )
}

#[test]
fn typed_errors_for_basic_encodings() {
    assert_eq!(
        nonzero_scalar_from_bytes(&[0u8; 32]),
        Err(Error::ZeroScalar)
    );
    assert_eq!(
        scalar_from_bytes(&[0u8; 31]),
        Err(Error::WrongLength {
            expected: 32,
            actual: 31
        })
    );
    assert_eq!(
        DleqProof::from_bytes(&[0u8; 63]),
        Err(Error::WrongLength {
            expected: 64,
            actual: 63
        })
    );
    assert_eq!(
        DleqProof::from_bytes(&[0xffu8; 64]),
        Err(Error::MalformedScalar)
    );
    assert_eq!(
        EncryptionPublicKey::from_bytes(&[4u8; 64]),
        Err(Error::WrongLength {
            expected: 33,
            actual: 64
        })
    );
    assert_eq!(
        KeyShares::from_bytes(&[0, 0, 0, 0, 0, 0]).unwrap_err(),
        Error::ZeroIndex
    );
    assert_eq!(
        KeyShares::from_bytes(&[0, 1, 0, 0, 0, 1, 5]).unwrap_err(),
        Error::WrongLength {
            expected: 38,
            actual: 7
        }
    );
    let shares = KeyShares {
        index: 4,
        values: vec![Scalar::ONE, Scalar::from(9u64)],
    };
    let back = KeyShares::from_bytes(&shares.to_bytes()).unwrap();
    assert_eq!(
        (back.index, back.values.clone()),
        (4, shares.values.clone())
    );
}

#[test]
fn debug_never_prints_secrets() {
    let mut r = ChaCha20Rng::seed_from_u64(9);
    let secret = Scalar::from(0x1234_5678_9abc_def0u64);
    let poly = vss::SecretPolynomial::random(secret, 3, &mut r).unwrap();
    let share = poly.share(1).unwrap();
    let (_, pedersen) = vss::deal_pedersen(secret, 2, 2, &mut r).unwrap();
    let ks = KeyShares {
        index: 1,
        values: vec![secret],
    };
    let sk = EncryptionSecretKey::from_scalar(secret).unwrap();
    for text in [
        format!("{poly:?}"),
        format!("{share:?}"),
        format!("{:?}", pedersen[0]),
        format!("{ks:?}"),
        format!("{sk:?}"),
    ] {
        assert!(text.contains("<redacted>"), "{text}");
        assert!(!text.to_lowercase().contains("123456789abcdef0"), "{text}");
        assert!(!text.contains("Scalar"), "{text}");
    }
}

/// Pins the dealing wire format and derivation: the same seed must give the same bytes.
#[test]
fn dealing_snapshot() {
    let (config, _, mut r) = session(77);
    let d = dkg::deal(&config, 2, None, &mut r).unwrap();
    let mut h = Sha256::new();
    h.update(d.dealer.to_be_bytes());
    for c in &d.commitments {
        h.update(c);
    }
    for ct in &d.ciphertexts {
        h.update(ct.to_bytes());
    }
    for p in &d.ephemeral_proofs {
        h.update(p.to_bytes());
    }
    assert_eq!(d.commitments.len(), 4);
    assert_eq!(d.ciphertexts[0].ciphertext.len(), 80);
    assert_eq!(
        hex::encode(h.finalize()),
        include_str!("fixtures/dealing-snapshot.txt").trim()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = point_from_bytes(&bytes);
        let _ = scalar_from_bytes(&bytes);
        let _ = Ciphertext::from_bytes(&bytes);
        let _ = DleqProof::from_bytes(&bytes);
        let _ = EncryptionPublicKey::from_bytes(&bytes);
        let _ = EncryptionSecretKey::from_bytes(&bytes);
        let _ = KeyShares::from_bytes(&bytes);
    }

    /// Random corruption of a dealing or a complaint: checking and judging never panic, and a
    /// corrupted dealing is either still well-formed or a `MalformedDealing` by its dealer.
    #[test]
    fn corrupted_dealings_and_complaints_never_panic(
        seed in 0u64..4, pos in any::<usize>(), byte in any::<u8>(), key in any::<u32>(), who in any::<u16>(),
    ) {
        let (config, keys, mut r) = session(seed);
        let mut d = dkg::deal(&config, 1, None, &mut r).unwrap();
        let complaint = dkg::complain(&config, 2, &keys[1], &d, 1, &mut r).unwrap();
        let ncom = d.commitments.len() * 65;
        let p = pos % (ncom + 16);
        if p < ncom { d.commitments[p / 65][p % 65] ^= byte | 1; } else { d.ciphertexts[1].iv[p - ncom] ^= byte | 1; }
        match dkg::check_dealing(&config, &d) {
            Ok(_) => {}
            Err(e) => {
                let by_dealer = matches!(e, Error::MalformedDealing { dealer: 1, .. });
                prop_assert!(by_dealer);
            }
        }
        let mut c: Complaint = complaint.clone();
        c.key = key;
        c.complainer = who;
        c.shared_point[pos % 33] ^= byte;
        let _ = dkg::verify_complaint(&config, &d, &c);
        let _ = dkg::verify_complaint(&config, &d, &complaint);
        let q = dkg::qualified_dealers(&config, &[d], &[c, complaint]);
        prop_assert!(q.qualified.len() <= 1);
    }
}
