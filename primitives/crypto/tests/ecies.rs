//! ECIES: interoperability with the published `@toruslabs/eccrypto` and failure paths.

use rand::SeedableRng;
use serde_json::Value;
use torus_crypto::{
    ecies::{self, Ciphertext, EncryptionPublicKey, EncryptionSecretKey},
    Error,
};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// A file of `tests/fixtures/eccrypto/`, found at run time (`cargo test` sets the variable), so a
/// test binary built from another checkout of the same sources reads this one's files.
fn fixture_path(name: &str) -> std::path::PathBuf {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test");
    std::path::Path::new(&crate_dir)
        .join("tests/fixtures/eccrypto")
        .join(name)
}

fn fixture() -> Value {
    let text = std::fs::read_to_string(fixture_path("eccrypto-fixture.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn ct_from_case(case: &Value) -> Ciphertext {
    Ciphertext {
        iv: h(case["iv"].as_str().unwrap()).try_into().unwrap(),
        ephemeral_public_key: h(case["ephemPublicKey"].as_str().unwrap())
            .try_into()
            .unwrap(),
        ciphertext: h(case["ciphertext"].as_str().unwrap()),
        mac: h(case["mac"].as_str().unwrap()).try_into().unwrap(),
    }
}

#[test]
fn decrypts_every_case_made_by_npm_eccrypto() {
    let f = fixture();
    let sk =
        EncryptionSecretKey::from_bytes(&h(f["recipientPrivateKey"].as_str().unwrap())).unwrap();
    let pk =
        EncryptionPublicKey::from_bytes(&h(f["recipientPublicKey"].as_str().unwrap())).unwrap();
    assert_eq!(sk.public_key(), pk);
    let cases = f["cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let ct = ct_from_case(case);
        let pt = ecies::decrypt(&sk, &ct).unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        assert_eq!(
            hex::encode(&*pt),
            case["plaintext"].as_str().unwrap(),
            "{}",
            case["name"]
        );
        // Serialization round trip.
        assert_eq!(Ciphertext::from_bytes(&ct.to_bytes()).unwrap(), ct);
    }
}

#[test]
fn reproduces_npm_eccrypto_ciphertexts_with_the_same_ephemeral_key_and_iv() {
    let f = fixture();
    let pk =
        EncryptionPublicKey::from_bytes(&h(f["recipientPublicKey"].as_str().unwrap())).unwrap();
    let mut checked = 0;
    for case in f["cases"].as_array().unwrap() {
        let Some(eph) = case["ephemPrivateKey"].as_str() else {
            continue;
        };
        if case["name"].as_str().unwrap().contains("unpadded") {
            continue; // eccrypto's legacy KDF form; we only decrypt it.
        }
        let eph = EncryptionSecretKey::from_bytes(&h(eph)).unwrap();
        let ct = ecies::encrypt_with(
            &pk,
            &h(case["plaintext"].as_str().unwrap()),
            &eph,
            h(case["iv"].as_str().unwrap()).try_into().unwrap(),
        )
        .unwrap();
        assert_eq!(ct, ct_from_case(case), "{}", case["name"]);
        checked += 1;
    }
    assert!(checked >= 1);
}

/// The vector of `reference/torus-client-protocol.md` §4 (made with eccrypto 7.0.0).
#[test]
fn torus_client_protocol_known_answer() {
    let mut seven = [0u8; 32];
    seven[31] = 7;
    let mut eleven = [0u8; 32];
    eleven[31] = 11;
    let mut share = [0u8; 32];
    share[31] = 0x2a;
    let recipient = EncryptionSecretKey::from_bytes(&seven).unwrap();
    let pk = recipient.public_key();
    let mut uncompressed = vec![4u8];
    uncompressed.extend(h(
        "5cbdf0646e5db4eaa398f365f2ea7a0e3d419b7e0330e39ce92bddedcac4f9bc",
    ));
    uncompressed.extend(h(
        "6aebca40ba255960a3178d6d861a54dba813d0b813fde7b5a5082628087264da",
    ));
    assert_eq!(EncryptionPublicKey::from_bytes(&uncompressed).unwrap(), pk);
    let iv: [u8; 16] = h("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
    let ct = ecies::encrypt_with(
        &pk,
        &share,
        &EncryptionSecretKey::from_bytes(&eleven).unwrap(),
        iv,
    )
    .unwrap();
    assert_eq!(hex::encode(ct.ephemeral_public_key), "04774ae7f858a9411e5ef4246b70c65aac5649980be5c17891bbec17895da008cbd984a032eb6b5e190243dd56d7b7b365372db1e2dff9d6a8301d74c9c953c61b");
    assert_eq!(hex::encode(&ct.ciphertext), "fa5b604631c0a50456c58214952b5981c903842356a24ab94f97cac5b9ecd7c7fd5ab8e901a8605ce1840af4d2f5edbe");
    assert_eq!(
        hex::encode(ct.mac),
        "5b983e4a8a5933148bf1bc8d4ee23c5b8c8676c5a31e458124b50cd19c48dc1c"
    );
    assert_eq!(*ecies::decrypt(&recipient, &ct).unwrap(), share.to_vec());
}

/// Ciphertexts made by Rust, decrypted by `check-rust.mjs` with npm eccrypto (run by CI when
/// Node is available). This test pins them: it fails if the Rust output changes.
#[test]
fn rust_made_ciphertexts_for_the_js_check_are_reproducible() {
    let path = fixture_path("rust-ciphertexts.json");
    let f = fixture();
    let pk =
        EncryptionPublicKey::from_bytes(&h(f["recipientPublicKey"].as_str().unwrap())).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2026);
    let mut cases = Vec::new();
    for len in [1usize, 16, 32, 33, 1000] {
        let pt: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
        let ct = ecies::encrypt(&pk, &pt, &mut rng).unwrap();
        cases.push(serde_json::json!({
            "plaintext": hex::encode(&pt),
            "iv": hex::encode(ct.iv),
            "ephemPublicKey": hex::encode(ct.ephemeral_public_key),
            "ciphertext": hex::encode(&ct.ciphertext),
            "mac": hex::encode(ct.mac),
        }));
    }
    let json = serde_json::to_string_pretty(
        &serde_json::json!({ "generator": "torus-crypto tests/ecies.rs", "cases": cases }),
    )
    .unwrap()
        + "\n";
    if std::env::var_os("TORUS_REGENERATE_FIXTURES").is_some() {
        std::fs::write(&path, &json).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        json,
        "set TORUS_REGENERATE_FIXTURES=1 to regenerate"
    );
}

#[test]
fn round_trip_and_tamper_detection() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let sk = EncryptionSecretKey::random(&mut rng);
    let other = EncryptionSecretKey::random(&mut rng);
    for len in [0usize, 1, 15, 16, 17, 32, 32_000] {
        let msg: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let ct = ecies::encrypt(&sk.public_key(), &msg, &mut rng).unwrap();
        assert_eq!(ct.ciphertext.len(), ecies::ciphertext_len(len));
        assert_eq!(*ecies::decrypt(&sk, &ct).unwrap(), msg);
        assert_eq!(ecies::decrypt(&other, &ct), Err(Error::BadMac));
        let mut bad = ct.clone();
        bad.ciphertext[0] ^= 1;
        assert_eq!(ecies::decrypt(&sk, &bad), Err(Error::BadMac));
        let mut bad = ct.clone();
        bad.mac[31] ^= 1;
        assert_eq!(ecies::decrypt(&sk, &bad), Err(Error::BadMac));
        let mut bad = ct.clone();
        bad.iv[0] ^= 1;
        assert_eq!(ecies::decrypt(&sk, &bad), Err(Error::BadMac));
    }
}

#[test]
fn malformed_ciphertexts_are_typed_errors() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let sk = EncryptionSecretKey::random(&mut rng);
    let ct = ecies::encrypt(&sk.public_key(), b"hello", &mut rng).unwrap();
    let bytes = ct.to_bytes();
    assert!(matches!(
        Ciphertext::from_bytes(&bytes[..50]),
        Err(Error::WrongLength { .. })
    ));
    assert!(matches!(
        Ciphertext::from_bytes(&bytes[..bytes.len() - 1]),
        Err(Error::WrongLength { .. })
    ));
    let mut bad = bytes.clone();
    bad[16] = 0x02; // compressed prefix in the 65-byte slot
    assert_eq!(Ciphertext::from_bytes(&bad), Err(Error::MalformedPoint));
    let mut bad = bytes.clone();
    bad[17] ^= 0xff; // X no longer on the curve with that Y
    assert_eq!(Ciphertext::from_bytes(&bad), Err(Error::MalformedPoint));
    let mut empty = ct.clone();
    empty.ciphertext.clear();
    assert!(matches!(
        ecies::decrypt(&sk, &empty),
        Err(Error::WrongLength { .. })
    ));
    assert_eq!(
        EncryptionSecretKey::from_bytes(&[0u8; 32]).unwrap_err(),
        Error::ZeroScalar
    );
    assert_eq!(
        EncryptionSecretKey::from_bytes(&[0xffu8; 32]).unwrap_err(),
        Error::MalformedScalar
    );
    assert!(matches!(
        EncryptionSecretKey::from_bytes(&[1u8; 31]),
        Err(Error::WrongLength {
            expected: 32,
            actual: 31
        })
    ));
    assert_eq!(format!("{sk:?}"), "EncryptionSecretKey(<redacted>)");
}
