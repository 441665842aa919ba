//! A test OpenID issuer: real RS256 and ES256 id tokens, signed by keys whose JWKS the tests
//! register on chain, and tokens deliberately wrong in one way each.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use p256::ecdsa::{signature::Signer as _, Signature as P256Signature, SigningKey};
use serde_json::{json, Value};
use torus_primitives::{
    EcCurve, IdClaim, IdClaimRule, Jwk, JwkAlg, JwkParams, KeyType, VerifierConfig,
};

/// The RSA-2048 test key of the node's id-token tests (PKCS#1 PEM; never used elsewhere).
const RSA_PEM: &str = include_str!("../../node/tests/fixtures/rsa2048-test-issuer.pem");

/// The issuer URL in every token.
pub const ISSUER: &str = "https://issuer.torus.test";
/// The audience of every token.
pub const AUDIENCE: &str = "torus-test-dapp";
/// The `kid` of the RSA key.
pub const RSA_KID: &str = "rsa-1";
/// The `kid` of the P-256 key.
pub const EC_KID: &str = "ec-1";

/// The issuer's keys.
pub struct TestIssuer {
    rsa: ring::signature::RsaKeyPair,
    ec: SigningKey,
}

impl Default for TestIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl TestIssuer {
    /// The issuer with the fixed RSA key and a fixed P-256 key.
    pub fn new() -> Self {
        let body: String = RSA_PEM
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("the fixture is PEM");
        Self {
            rsa: ring::signature::RsaKeyPair::from_der(&der).expect("a PKCS#1 RSA key"),
            ec: SigningKey::from_bytes(&[0x42; 32].into()).expect("a P-256 scalar"),
        }
    }

    /// The issuer's keys as the chain records them.
    pub fn jwks(&self) -> Vec<Jwk> {
        let public: ring::rsa::PublicKeyComponents<Vec<u8>> = self.rsa.public().into();
        let point = self.ec.verifying_key().to_encoded_point(false);
        vec![
            Jwk {
                kid: bounded(RSA_KID.as_bytes()),
                alg: JwkAlg::RS256,
                params: JwkParams::Rsa {
                    n: bounded(&public.n),
                    e: bounded(&public.e),
                },
            },
            Jwk {
                kid: bounded(EC_KID.as_bytes()),
                alg: JwkAlg::ES256,
                params: JwkParams::Ec {
                    curve: EcCurve::P256,
                    x: bounded(point.x().expect("affine").as_slice()),
                    y: bounded(point.y().expect("affine").as_slice()),
                },
            },
        ]
    }

    /// A DirectAuth verifier for this issuer whose user id is the `sub` claim.
    pub fn verifier_config(&self) -> VerifierConfig {
        VerifierConfig {
            issuer: bounded(ISSUER.as_bytes()),
            audiences: vec![bounded(AUDIENCE.as_bytes())]
                .try_into()
                .expect("one audience"),
            jwks: self.jwks().try_into().expect("two keys"),
            id_claim: IdClaimRule {
                claim: IdClaim::Sub,
                lowercase: false,
            },
            max_token_age_secs: 3600,
            key_type: KeyType::DirectAuth,
        }
    }

    /// The claims of a fresh token for `sub`, issued now, valid for an hour; `jti` makes every
    /// token distinct.
    pub fn claims(sub: &str) -> Value {
        let now = now_secs();
        json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": sub,
            "iat": now,
            "exp": now + 3600,
            "jti": format!("{:032x}", rand::random::<u128>()),
        })
    }

    /// A valid token for `sub`, signed with RS256 (`rsa`) or ES256.
    pub fn token(&self, sub: &str, rsa: bool) -> String {
        let kid = if rsa { RSA_KID } else { EC_KID };
        let alg = if rsa { "RS256" } else { "ES256" };
        self.sign(
            &json!({"alg": alg, "kid": kid, "typ": "JWT"}),
            &Self::claims(sub),
        )
    }

    /// `header.claims` signed with the key its `alg` names (RS256, else ES256).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = if header["alg"] == "RS256" {
            let mut signature = vec![0; self.rsa.public().modulus_len()];
            self.rsa
                .sign(
                    &ring::signature::RSA_PKCS1_SHA256,
                    &ring::rand::SystemRandom::new(),
                    input.as_bytes(),
                    &mut signature,
                )
                .expect("RSA signing");
            signature
        } else {
            let signature: P256Signature = self.ec.sign(input.as_bytes());
            signature.to_bytes().to_vec()
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// Unix seconds now.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn bounded<T: TryFrom<Vec<u8>>>(bytes: &[u8]) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(bytes.to_vec()).expect("within bounds")
}
