//! Tests of `torus_node::id_token` with real RS256, PS256, ES256 and ES256K tokens signed by
//! test issuer keys: an RSA key committed under `tests/fixtures/` (test-only, see its README)
//! and fixed-scalar P-256 and secp256k1 keys.

use std::{collections::HashSet, fmt::Debug, time::Instant};

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use torus_node::id_token::{
    commitment, normalize, verify, IdTokenError, VerifiedToken, CLOCK_SKEW_SECS, MAX_TOKEN_LEN,
};
use torus_primitives::verifier::{
    EcCurve, IdClaim, IdClaimRule, Jwk, JwkAlg, JwkParams, KeyType, VerifierConfig,
};

const NOW: u64 = 1_700_000_000;
const MAX_AGE: u64 = 3600;
const SKEW: u64 = CLOCK_SKEW_SECS;
const ISSUER: &str = "https://issuer.test";
const RSA_PEM: &str = include_str!("fixtures/rsa2048-test-issuer.pem");

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Any bounded vector of the verifier types, from a `Vec`.
fn bv<T, B: TryFrom<Vec<T>>>(items: Vec<T>) -> B
where
    B::Error: Debug,
{
    B::try_from(items).expect("test value fits")
}

/// The test issuer's keys.
struct Keys {
    rsa_der: Vec<u8>,
    rsa_n: Vec<u8>,
    rsa_e: Vec<u8>,
    p256: p256::ecdsa::SigningKey,
    k256: k256::ecdsa::SigningKey,
}

impl Keys {
    fn new() -> Self {
        let body: String = RSA_PEM
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let rsa_der = STANDARD.decode(body).expect("fixture is PEM");
        let pair = ring::signature::RsaKeyPair::from_der(&rsa_der).expect("PKCS#1 RSA key");
        let public: ring::rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
        Keys {
            rsa_der,
            rsa_n: public.n,
            rsa_e: public.e,
            p256: p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).expect("scalar"),
            k256: k256::ecdsa::SigningKey::from_bytes(&[9u8; 32].into()).expect("scalar"),
        }
    }

    fn rsa_jwk(&self, kid: &str, alg: JwkAlg) -> Jwk {
        Jwk {
            kid: bv(kid.as_bytes().to_vec()),
            alg,
            params: JwkParams::Rsa {
                n: bv(self.rsa_n.clone()),
                e: bv(self.rsa_e.clone()),
            },
        }
    }

    fn p256_jwk(&self, kid: &str) -> Jwk {
        let point = self.p256.verifying_key().to_encoded_point(false);
        Jwk {
            kid: bv(kid.as_bytes().to_vec()),
            alg: JwkAlg::ES256,
            params: JwkParams::Ec {
                curve: EcCurve::P256,
                x: point
                    .x()
                    .expect("x")
                    .as_slice()
                    .try_into()
                    .expect("32 bytes"),
                y: point
                    .y()
                    .expect("y")
                    .as_slice()
                    .try_into()
                    .expect("32 bytes"),
            },
        }
    }

    fn k256_jwk(&self, kid: &str) -> Jwk {
        let point = self.k256.verifying_key().to_encoded_point(false);
        Jwk {
            kid: bv(kid.as_bytes().to_vec()),
            alg: JwkAlg::ES256K,
            params: JwkParams::Ec {
                curve: EcCurve::Secp256k1,
                x: point
                    .x()
                    .expect("x")
                    .as_slice()
                    .try_into()
                    .expect("32 bytes"),
                y: point
                    .y()
                    .expect("y")
                    .as_slice()
                    .try_into()
                    .expect("32 bytes"),
            },
        }
    }

    fn config(&self) -> VerifierConfig {
        VerifierConfig {
            issuer: bv(ISSUER.as_bytes().to_vec()),
            audiences: bv(vec![bv(b"client-1".to_vec()), bv(b"client-2".to_vec())]),
            jwks: bv(vec![
                self.rsa_jwk("rsa-1", JwkAlg::RS256),
                self.rsa_jwk("rsa-ps", JwkAlg::PS256),
                self.p256_jwk("ec-1"),
                self.k256_jwk("k1-1"),
            ]),
            id_claim: IdClaimRule {
                claim: IdClaim::Email,
                lowercase: true,
            },
            max_token_age_secs: MAX_AGE,
            key_type: KeyType::DirectAuth,
        }
    }

    /// The base64url signature of `message` by the key that `signer` names.
    fn sign(&self, signer: Signer, message: &[u8]) -> String {
        use p256::ecdsa::signature::Signer as _;
        match signer {
            Signer::Rsa(alg) => {
                jsonwebtoken::crypto::sign(message, &EncodingKey::from_rsa_der(&self.rsa_der), alg)
                    .expect("RSA signing")
            }
            Signer::P256 => {
                let signature: p256::ecdsa::Signature = self.p256.sign(message);
                b64(&signature.to_bytes())
            }
            Signer::K256 => {
                let signature: k256::ecdsa::Signature = self.k256.sign(message);
                b64(&signature.to_bytes())
            }
            Signer::Hmac(secret) => jsonwebtoken::crypto::sign(
                message,
                &EncodingKey::from_secret(secret),
                Algorithm::HS256,
            )
            .expect("HMAC signing"),
            Signer::Unsigned => String::new(),
        }
    }

    fn token(&self, header: &Value, claims: &Value, signer: Signer) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self.sign(signer, input.as_bytes());
        format!("{input}.{signature}")
    }
}

#[derive(Clone, Copy)]
enum Signer<'a> {
    Rsa(Algorithm),
    P256,
    K256,
    Hmac(&'a [u8]),
    Unsigned,
}

fn header(alg: &str, kid: &str) -> Value {
    json!({ "alg": alg, "kid": kid, "typ": "JWT" })
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": "client-1",
        "sub": "User-42",
        "email": "Alice@Example.COM",
        "email_verified": true,
        "iat": NOW - 100,
        "nbf": NOW - 100,
        "exp": NOW + 3500,
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().expect("object").remove(key);
    claims
}

fn rs256(keys: &Keys, claims: &Value) -> String {
    keys.token(
        &header("RS256", "rsa-1"),
        claims,
        Signer::Rsa(Algorithm::RS256),
    )
}

/// Replaces the payload segment of `token`, keeping its header and signature.
fn with_payload(token: &str, claims: &Value) -> String {
    let segments: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        segments[0],
        b64(claims.to_string().as_bytes()),
        segments[2]
    )
}

fn id(verified: &VerifiedToken) -> &str {
    std::str::from_utf8(&verified.verifier_id).expect("UTF-8 id")
}

/// The table of the issue: every case and the outcome it must have.
#[test]
fn each_failure_class_has_its_own_error() {
    use IdTokenError as E;
    let keys = Keys::new();
    let config = keys.config();
    let rsa_public_der = {
        let mut der = keys.rsa_n.clone();
        der.extend(&keys.rsa_e);
        der
    };
    let valid_rs256 = rs256(&keys, &claims());
    let valid_es256 = keys.token(&header("ES256", "ec-1"), &claims(), Signer::P256);
    let other_p256 = Keys {
        p256: p256::ecdsa::SigningKey::from_bytes(&[8u8; 32].into()).expect("scalar"),
        ..Keys::new()
    };

    let cases: Vec<(&str, String, Result<&str, IdTokenError>)> = vec![
        ("valid RS256", valid_rs256.clone(), Ok("alice@example.com")),
        ("valid ES256", valid_es256.clone(), Ok("alice@example.com")),
        (
            "valid PS256",
            keys.token(
                &header("PS256", "rsa-ps"),
                &claims(),
                Signer::Rsa(Algorithm::PS256),
            ),
            Ok("alice@example.com"),
        ),
        (
            "valid ES256K",
            keys.token(&header("ES256K", "k1-1"), &claims(), Signer::K256),
            Ok("alice@example.com"),
        ),
        (
            "alg none",
            keys.token(&header("none", "rsa-1"), &claims(), Signer::Unsigned),
            Err(E::AlgNone),
        ),
        (
            "alg None with a signature",
            format!(
                "{}.{}",
                keys.token(&header("None", "rsa-1"), &claims(), Signer::Unsigned),
                &valid_rs256[valid_rs256.rfind('.').expect("dot") + 1..]
            )
            .replace("..", "."),
            Err(E::AlgNone),
        ),
        (
            "HS256 signed with the RSA public key as secret",
            keys.token(
                &header("HS256", "rsa-1"),
                &claims(),
                Signer::Hmac(&rsa_public_der),
            ),
            Err(E::SymmetricAlg),
        ),
        (
            "HS256 signed with the PEM of the public key",
            keys.token(
                &header("HS256", "rsa-1"),
                &claims(),
                Signer::Hmac(RSA_PEM.as_bytes()),
            ),
            Err(E::SymmetricAlg),
        ),
        (
            "no kid",
            keys.token(
                &json!({ "alg": "RS256" }),
                &claims(),
                Signer::Rsa(Algorithm::RS256),
            ),
            Err(E::MissingKid),
        ),
        (
            "unknown kid",
            keys.token(
                &header("RS256", "rsa-2"),
                &claims(),
                Signer::Rsa(Algorithm::RS256),
            ),
            Err(E::UnknownKid),
        ),
        (
            "RS256 header naming the ES256 key",
            keys.token(
                &header("RS256", "ec-1"),
                &claims(),
                Signer::Rsa(Algorithm::RS256),
            ),
            Err(E::AlgMismatch {
                expected: JwkAlg::ES256,
            }),
        ),
        (
            "PS256 header naming the RS256 key",
            keys.token(
                &header("PS256", "rsa-1"),
                &claims(),
                Signer::Rsa(Algorithm::PS256),
            ),
            Err(E::AlgMismatch {
                expected: JwkAlg::RS256,
            }),
        ),
        (
            "lower-case alg",
            keys.token(
                &header("rs256", "rsa-1"),
                &claims(),
                Signer::Rsa(Algorithm::RS256),
            ),
            Err(E::AlgMismatch {
                expected: JwkAlg::RS256,
            }),
        ),
        (
            "crit header",
            keys.token(
                &json!({ "alg": "RS256", "kid": "rsa-1", "crit": ["exp"] }),
                &claims(),
                Signer::Rsa(Algorithm::RS256),
            ),
            Err(E::InvalidHeader("crit extensions are not supported")),
        ),
        (
            "header not JSON",
            format!(
                "{}.{}",
                b64(b"{not json"),
                &valid_rs256[valid_rs256.find('.').expect("dot") + 1..]
            ),
            Err(E::InvalidHeader("not a JSON object")),
        ),
        (
            "tampered payload (RS256)",
            with_payload(
                &valid_rs256,
                &with(claims(), "email", json!("mallory@example.com")),
            ),
            Err(E::InvalidSignature),
        ),
        (
            "tampered payload (ES256)",
            with_payload(
                &valid_es256,
                &with(claims(), "email", json!("mallory@example.com")),
            ),
            Err(E::InvalidSignature),
        ),
        (
            "signed by another P-256 key",
            other_p256.token(&header("ES256", "ec-1"), &claims(), Signer::P256),
            Err(E::InvalidSignature),
        ),
        (
            "payload not a JSON object",
            keys.token(
                &header("RS256", "rsa-1"),
                &json!(["iss"]),
                Signer::Rsa(Algorithm::RS256),
            ),
            Err(E::InvalidPayload),
        ),
        (
            "wrong iss",
            rs256(&keys, &with(claims(), "iss", json!("https://evil.test"))),
            Err(E::WrongIssuer),
        ),
        (
            "iss with a trailing slash",
            rs256(&keys, &with(claims(), "iss", json!("https://issuer.test/"))),
            Err(E::WrongIssuer),
        ),
        (
            "no iss",
            rs256(&keys, &without(claims(), "iss")),
            Err(E::MissingClaim("iss")),
        ),
        (
            "wrong aud",
            rs256(&keys, &with(claims(), "aud", json!("client-3"))),
            Err(E::WrongAudience),
        ),
        (
            "aud array without an accepted audience",
            rs256(&keys, &with(claims(), "aud", json!(["a", "b"]))),
            Err(E::WrongAudience),
        ),
        (
            "empty aud array",
            rs256(&keys, &with(claims(), "aud", json!([]))),
            Err(E::WrongAudience),
        ),
        (
            "aud a number",
            rs256(&keys, &with(claims(), "aud", json!(1))),
            Err(E::InvalidClaim("aud")),
        ),
        (
            "no aud",
            rs256(&keys, &without(claims(), "aud")),
            Err(E::MissingClaim("aud")),
        ),
        (
            "expired",
            rs256(&keys, &with(claims(), "exp", json!(NOW - 3600))),
            Err(E::Expired {
                exp: NOW - 3600,
                now: NOW,
            }),
        ),
        (
            "no exp",
            rs256(&keys, &without(claims(), "exp")),
            Err(E::MissingClaim("exp")),
        ),
        (
            "exp a string",
            rs256(&keys, &with(claims(), "exp", json!("1700003600"))),
            Err(E::InvalidClaim("exp")),
        ),
        (
            "not yet valid",
            rs256(&keys, &with(claims(), "nbf", json!(NOW + 600))),
            Err(E::NotYetValid {
                nbf: NOW + 600,
                now: NOW,
            }),
        ),
        (
            "issued in the future",
            rs256(
                &keys,
                &without(with(claims(), "iat", json!(NOW + 600)), "nbf"),
            ),
            Err(E::IssuedInFuture {
                iat: NOW + 600,
                now: NOW,
            }),
        ),
        (
            "too old iat",
            rs256(&keys, &with(claims(), "iat", json!(NOW - 2 * MAX_AGE))),
            Err(E::TooOld {
                iat: NOW - 2 * MAX_AGE,
                max_age: MAX_AGE,
                now: NOW,
            }),
        ),
        (
            "exp 1e300 (the number that once stopped every node)",
            rs256(&keys, &with(claims(), "exp", json!(1e300))),
            Err(E::LifetimeTooLong {
                lifetime: u64::MAX - (NOW - 100),
                max_age: MAX_AGE,
            }),
        ),
        (
            "exp 2^62",
            rs256(&keys, &with(claims(), "exp", json!(1u64 << 62))),
            Err(E::LifetimeTooLong {
                lifetime: (1u64 << 62) - (NOW - 100),
                max_age: MAX_AGE,
            }),
        ),
        (
            "exp u64::MAX",
            rs256(&keys, &with(claims(), "exp", json!(u64::MAX))),
            Err(E::LifetimeTooLong {
                lifetime: u64::MAX - (NOW - 100),
                max_age: MAX_AGE,
            }),
        ),
        (
            "exp one second past the verifier's maximum age",
            rs256(
                &keys,
                &with(claims(), "exp", json!(NOW - 100 + MAX_AGE + 1)),
            ),
            Err(E::LifetimeTooLong {
                lifetime: MAX_AGE + 1,
                max_age: MAX_AGE,
            }),
        ),
        (
            "exp before iat",
            rs256(
                &keys,
                &with(with(claims(), "iat", json!(NOW + 30)), "exp", json!(NOW)),
            ),
            Err(E::ExpiresBeforeIssued {
                iat: NOW + 30,
                exp: NOW,
            }),
        ),
        (
            "iat and exp in the far future",
            rs256(
                &keys,
                &with(with(claims(), "iat", json!(1e300)), "exp", json!(1e300)),
            ),
            Err(E::IssuedInFuture {
                iat: u64::MAX,
                now: NOW,
            }),
        ),
        (
            "email_verified false",
            rs256(&keys, &with(claims(), "email_verified", json!(false))),
            Err(E::EmailNotVerified),
        ),
        (
            "email_verified the string true",
            rs256(&keys, &with(claims(), "email_verified", json!("true"))),
            Err(E::EmailNotVerified),
        ),
        (
            "no email_verified",
            rs256(&keys, &without(claims(), "email_verified")),
            Err(E::EmailNotVerified),
        ),
        (
            "a Kelvin-sign look-alike keeps its own id",
            rs256(
                &keys,
                &with(claims(), "email", json!("\u{212A}ate@Example.com")),
            ),
            Ok("\u{212A}ate@example.com"),
        ),
        (
            "no iat",
            rs256(&keys, &without(claims(), "iat")),
            Err(E::MissingClaim("iat")),
        ),
        (
            "negative iat",
            rs256(&keys, &with(claims(), "iat", json!(-1))),
            Err(E::InvalidClaim("iat")),
        ),
        (
            "missing id claim",
            rs256(&keys, &without(claims(), "email")),
            Err(E::MissingIdClaim("email".into())),
        ),
        (
            "id claim a number",
            rs256(&keys, &with(claims(), "email", json!(42))),
            Err(E::InvalidIdClaim("not a string")),
        ),
        (
            "empty id claim",
            rs256(&keys, &with(claims(), "email", json!(""))),
            Err(E::InvalidIdClaim("empty")),
        ),
        (
            "id claim longer than 256 bytes",
            rs256(&keys, &with(claims(), "email", json!("a".repeat(257)))),
            Err(E::InvalidIdClaim("longer than 256 bytes")),
        ),
        ("garbage", "garbage".into(), Err(E::Malformed)),
        ("empty", String::new(), Err(E::Malformed)),
        ("two segments", "eyJh.eyJi".into(), Err(E::Malformed)),
        (
            "four segments",
            format!("{valid_rs256}.AAAA"),
            Err(E::Malformed),
        ),
        ("not base64url", "!!!.???.###".into(), Err(E::Malformed)),
        (
            "too long",
            format!("{}.{}.", "A".repeat(MAX_TOKEN_LEN), "A"),
            Err(E::TooLong),
        ),
    ];

    let mut codes = std::collections::HashMap::new();
    for (name, token, expected) in &cases {
        let outcome = verify(token, &config, NOW);
        match (expected, &outcome) {
            (Ok(expected_id), Ok(verified)) => {
                assert_eq!(id(verified), *expected_id, "{name}");
            }
            (Err(expected), Err(error)) => {
                assert_eq!(error, expected, "{name}");
                let message = error.to_string();
                assert!(!message.is_empty(), "{name}");
                assert!(
                    !message.contains("Alice") && !message.contains("eyJ"),
                    "{name}: message leaks the token: {message}"
                );
                // One code per variant: equal codes only for equal variants.
                let variant = format!("{error:?}");
                let variant = variant
                    .split(['(', ' ', '{'])
                    .next()
                    .expect("name")
                    .to_owned();
                if let Some(other) = codes.insert(error.code(), variant.clone()) {
                    assert_eq!(other, variant, "{name}: code {} reused", error.code());
                }
            }
            _ => panic!("{name}: expected {expected:?}, got {outcome:?}"),
        }
    }
    let distinct: HashSet<_> = codes.values().collect();
    assert_eq!(distinct.len(), codes.len());
}

#[test]
fn a_verified_token_reports_what_it_matched() {
    let keys = Keys::new();
    let config = keys.config();
    let token = rs256(&keys, &with(claims(), "aud", json!(["other", "client-2"])));
    let verified = verify(&token, &config, NOW).expect("valid");
    assert_eq!(verified.audience.as_slice(), b"client-2");
    assert_eq!(verified.issuer.as_slice(), ISSUER.as_bytes());
    assert_eq!(verified.kid.as_slice(), b"rsa-1");
    assert_eq!(verified.alg, JwkAlg::RS256);
    assert_eq!(verified.iat, NOW - 100);
    assert_eq!(verified.exp, NOW + 3500);
    assert_eq!(verified.nbf, Some(NOW - 100));
    assert_eq!(verified.commitment, commitment(&token));
    let signed = &token[..token.rfind('.').expect("dot")];
    assert_eq!(verified.signed_digest, commitment(signed));
    assert_eq!(verified.verifier_id.as_slice(), b"alice@example.com");

    // A non-string element in an audience array is an error, even after a match.
    let token = rs256(&keys, &with(claims(), "aud", json!(["client-1", 7])));
    assert_eq!(
        verify(&token, &config, NOW),
        Err(IdTokenError::InvalidClaim("aud"))
    );

    // Fractional numeric dates are rounded down.
    let token = rs256(
        &keys,
        &with(claims(), "exp", json!((NOW + 10) as f64 + 0.9)),
    );
    assert_eq!(verify(&token, &config, NOW).expect("valid").exp, NOW + 10);
}

#[test]
fn the_id_claim_rule_is_applied() {
    let keys = Keys::new();
    let mut config = keys.config();
    let token = rs256(
        &keys,
        &with(
            with(claims(), "email", json!("ÉMILE.Zoë@Example.COM")),
            "preferred_username",
            json!("Zoë_42"),
        ),
    );

    // E-mail, its ASCII letters lower-cased (as the chain and the client do): `É` stays.
    assert_eq!(
        id(&verify(&token, &config, NOW).expect("valid")),
        "Émile.zoë@example.com"
    );
    // E-mail kept as is.
    config.id_claim.lowercase = false;
    assert_eq!(
        id(&verify(&token, &config, NOW).expect("valid")),
        "ÉMILE.Zoë@Example.COM"
    );
    // Subject.
    config.id_claim.claim = IdClaim::Sub;
    assert_eq!(id(&verify(&token, &config, NOW).expect("valid")), "User-42");
    config.id_claim.lowercase = true;
    assert_eq!(id(&verify(&token, &config, NOW).expect("valid")), "user-42");
    // A named claim.
    config.id_claim.claim = IdClaim::Named(bv(b"preferred_username".to_vec()));
    assert_eq!(id(&verify(&token, &config, NOW).expect("valid")), "zoë_42");
    // A named claim needs no email_verified; `email` does.
    let unverified = rs256(
        &keys,
        &with(
            without(claims(), "email_verified"),
            "preferred_username",
            json!("Zoë_42"),
        ),
    );
    assert_eq!(
        id(&verify(&unverified, &config, NOW).expect("valid")),
        "zoë_42"
    );
    config.id_claim.claim = IdClaim::Named(bv(b"wallet_address".to_vec()));
    assert_eq!(
        verify(&token, &config, NOW),
        Err(IdTokenError::MissingIdClaim("wallet_address".into()))
    );
    // Exactly 256 bytes fit.
    let token = rs256(&keys, &with(claims(), "email", json!("b".repeat(256))));
    config.id_claim.claim = IdClaim::Email;
    assert_eq!(
        verify(&token, &config, NOW)
            .expect("valid")
            .verifier_id
            .len(),
        256
    );
}

#[test]
fn clock_skew_edges() {
    let keys = Keys::new();
    let config = keys.config();
    let check = |claims: Value| verify(&rs256(&keys, &claims), &config, NOW);

    // exp: valid while now < exp + skew.
    assert!(check(with(claims(), "exp", json!(NOW - SKEW + 1))).is_ok());
    assert_eq!(
        check(with(claims(), "exp", json!(NOW - SKEW))),
        Err(IdTokenError::Expired {
            exp: NOW - SKEW,
            now: NOW
        })
    );
    // nbf: valid once nbf <= now + skew.
    assert!(check(with(claims(), "nbf", json!(NOW + SKEW))).is_ok());
    assert!(matches!(
        check(with(claims(), "nbf", json!(NOW + SKEW + 1))),
        Err(IdTokenError::NotYetValid { .. })
    ));
    // iat: not after now + skew.
    let no_nbf = without(claims(), "nbf");
    assert!(check(with(no_nbf.clone(), "iat", json!(NOW + SKEW))).is_ok());
    assert!(matches!(
        check(with(no_nbf, "iat", json!(NOW + SKEW + 1))),
        Err(IdTokenError::IssuedInFuture { .. })
    ));
    // iat: at most max age + skew ago (TooOld is checked before the lifetime).
    let old = |iat: u64| with(with(claims(), "iat", json!(iat)), "exp", json!(NOW));
    assert!(check(old(NOW - MAX_AGE)).is_ok());
    assert!(matches!(
        check(old(NOW - MAX_AGE - SKEW - 1)),
        Err(IdTokenError::TooOld { .. })
    ));
    // exp: at most max age after iat, exactly.
    let lives = |secs: u64| with(claims(), "exp", json!(NOW - 100 + secs));
    assert!(check(lives(MAX_AGE)).is_ok());
    assert!(matches!(
        check(lives(MAX_AGE + 1)),
        Err(IdTokenError::LifetimeTooLong { .. })
    ));
    // The global cap applies to a verifier whose own maximum is longer.
    let mut lenient = keys.config();
    lenient.max_token_age_secs = u64::MAX;
    let day = torus_node::id_token::MAX_TOKEN_AGE_SECS;
    let long = rs256(&keys, &with(claims(), "exp", json!(NOW - 100 + day + 1)));
    assert_eq!(
        verify(&long, &lenient, NOW),
        Err(IdTokenError::LifetimeTooLong {
            lifetime: day + 1,
            max_age: day
        })
    );
    let verified = verify(&rs256(&keys, &claims()), &lenient, NOW).expect("valid");
    assert_eq!(verified.replay_deadline(), NOW + 3500 + SKEW);
}

#[test]
fn unusable_keys_are_named() {
    let keys = Keys::new();
    let token = rs256(&keys, &claims());
    let mut config = keys.config();
    config.jwks = bv(vec![Jwk {
        params: JwkParams::Rsa {
            n: bv(keys.rsa_n[..128].to_vec()),
            e: bv(keys.rsa_e.clone()),
        },
        ..keys.rsa_jwk("rsa-1", JwkAlg::RS256)
    }]);
    assert!(matches!(
        verify(&token, &config, NOW),
        Err(IdTokenError::InvalidKey(_))
    ));
    config.jwks = bv(vec![Jwk {
        params: JwkParams::Rsa {
            n: bv(keys.rsa_n.clone()),
            e: bv(vec![1]),
        },
        ..keys.rsa_jwk("rsa-1", JwkAlg::RS256)
    }]);
    assert!(matches!(
        verify(&token, &config, NOW),
        Err(IdTokenError::InvalidKey(_))
    ));

    for (jwk, alg) in [
        (keys.p256_jwk("ec-1"), "ES256"),
        (keys.k256_jwk("ec-1"), "ES256K"),
    ] {
        let mut off_curve = jwk.clone();
        if let JwkParams::Ec { y, .. } = &mut off_curve.params {
            y[31] ^= 1;
        }
        config.jwks = bv(vec![off_curve]);
        let signer = if alg == "ES256" {
            Signer::P256
        } else {
            Signer::K256
        };
        let token = keys.token(&header(alg, "ec-1"), &claims(), signer);
        assert!(
            matches!(
                verify(&token, &config, NOW),
                Err(IdTokenError::InvalidKey(_))
            ),
            "{alg}"
        );
    }

    // A key whose alg does not fit its material (refused on chain, checked here too).
    config.jwks = bv(vec![Jwk {
        alg: JwkAlg::ES256,
        ..keys.rsa_jwk("rsa-1", JwkAlg::RS256)
    }]);
    let token = keys.token(&header("ES256", "rsa-1"), &claims(), Signer::P256);
    assert!(matches!(
        verify(&token, &config, NOW),
        Err(IdTokenError::InvalidKey(_))
    ));
}

/// `(r, s)` and `(r, n − s)` both verify, for ES256 (ring) and ES256K (k256): the two
/// spellings have different commitments but the same signed digest.
#[test]
fn both_ecdsa_s_values_verify_with_one_signed_digest() {
    let keys = Keys::new();
    let config = keys.config();
    for (alg, kid, signer) in [
        ("ES256", "ec-1", Signer::P256),
        ("ES256K", "k1-1", Signer::K256),
    ] {
        let token = keys.token(&header(alg, kid), &claims(), signer);
        let (input, signature) = token.rsplit_once('.').expect("dot");
        let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("b64");
        let s = negate_mod_order(&bytes[32..], alg);
        bytes[32..].copy_from_slice(&s);
        let flipped = format!("{input}.{}", b64(&bytes));
        let a = verify(&token, &config, NOW).expect("original verifies");
        let b = verify(&flipped, &config, NOW).expect("n - s verifies");
        assert_ne!(a.commitment, b.commitment, "{alg}");
        assert_eq!(a.signed_digest, b.signed_digest, "{alg}");
    }
}

fn negate_mod_order(s: &[u8], alg: &str) -> Vec<u8> {
    use p256::elliptic_curve::PrimeField;
    if alg == "ES256" {
        let s = p256::Scalar::from_repr(*p256::FieldBytes::from_slice(s)).expect("scalar");
        (-s).to_repr().to_vec()
    } else {
        let s = k256::Scalar::from_repr(*k256::FieldBytes::from_slice(s)).expect("scalar");
        (-s).to_repr().to_vec()
    }
}

#[test]
fn one_token_has_one_spelling() {
    let keys = Keys::new();
    let config = keys.config();
    let token = rs256(&keys, &claims());

    // Surrounding ASCII whitespace is removed, so it cannot change the commitment.
    for spelling in [
        format!(" {token}"),
        format!("{token}\n"),
        format!("\t{token} \r\n"),
    ] {
        assert_eq!(normalize(&spelling), Ok(token.as_str()));
        assert_eq!(commitment(&spelling), commitment(&token));
        assert_eq!(
            verify(&spelling, &config, NOW).expect("valid").commitment,
            commitment(&token)
        );
    }

    // Every other variant is refused.
    let (input, signature) = token.rsplit_once('.').expect("dot");
    // A 256-byte signature leaves 4 unused bits in its last character.
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = alphabet
        .find(signature.chars().last().expect("char"))
        .expect("alphabet");
    let trailing_bits = format!(
        "{input}.{}{}",
        &signature[..signature.len() - 1],
        &alphabet[(last | 1)..=(last | 1)]
    );
    let standard_alphabet = {
        let mut header = json!({ "alg": "RS256", "kid": "rsa-1", "x": "" });
        // Find a header whose encoding contains `-` or `_`.
        let mut pad = String::new();
        loop {
            header["x"] = json!(pad);
            let encoded = b64(header.to_string().as_bytes());
            if encoded.contains(['-', '_']) {
                break encoded.replace('-', "+").replace('_', "/");
            }
            pad.push('\u{3ff}');
        }
    };
    let variants = [
        format!("{token}="),
        format!("{token}=="),
        format!(
            "{}=.{}",
            &input[..input.find('.').expect("dot")],
            &token[input.find('.').expect("dot") + 1..]
        ),
        trailing_bits,
        format!(
            "{standard_alphabet}.{}.{signature}",
            &input[input.find('.').expect("dot") + 1..]
        ),
        format!("{input}. {signature}"),
        format!("{input}.{signature}\u{a0}"),
        format!("\u{feff}{token}"),
        format!("{input}.{signature}."),
        format!(".{token}"),
    ];
    for variant in &variants {
        assert_eq!(
            normalize(variant),
            Err(IdTokenError::Malformed),
            "{variant}"
        );
        assert_eq!(verify(variant, &config, NOW), Err(IdTokenError::Malformed));
    }
    assert_eq!(normalize("garbage"), Err(IdTokenError::Malformed));
    assert_eq!(
        normalize(&"A".repeat(MAX_TOKEN_LEN + 1)),
        Err(IdTokenError::TooLong)
    );
}

#[test]
fn commitment_is_keccak256() {
    fn hex(bytes: [u8; 32]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    assert_eq!(
        hex(commitment("")),
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    );
    assert_eq!(
        hex(commitment("abc")),
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    );
    assert_eq!(commitment(" abc\n"), commitment("abc"));
}

/// Prints the cost of one verification (debug build); `--nocapture` shows it.
#[test]
fn verify_cost() {
    let keys = Keys::new();
    let config = keys.config();
    for (name, token) in [
        ("RS256", rs256(&keys, &claims())),
        (
            "ES256",
            keys.token(&header("ES256", "ec-1"), &claims(), Signer::P256),
        ),
        (
            "ES256K",
            keys.token(&header("ES256K", "k1-1"), &claims(), Signer::K256),
        ),
    ] {
        let rounds = 20;
        let start = Instant::now();
        for _ in 0..rounds {
            verify(&token, &config, NOW).expect("valid");
        }
        eprintln!("verify {name}: {:?} per token", start.elapsed() / rounds);
    }
}
