//! The dev issuer over real HTTP on 127.0.0.1: its discovery document and JWKS, tokens that
//! verify with the fetched keys (with `jsonwebtoken` and with the node's own id-token verifier
//! against the JWKS converted to the chain's verifier configuration), and kept keys.

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::net::TcpListener;
use torus_client::{
    dev_issuer::{DevIssuer, DevKeys, TokenRequest, ES256_KID, RS256_KID},
    http::{get, HttpError},
    jwks::jwks_from_json,
    verifier::VerifierSpec,
};
use torus_node::id_token::{verify, IdTokenError};
use torus_primitives::verifier::{JwkAlg, VerifierConfig};

const TIMEOUT: Duration = Duration::from_secs(10);

/// RSA key generation takes a moment: one set of keys for every test of this binary.
fn keys() -> &'static (String, String) {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile_dir();
        DevKeys::load_or_generate(&dir).expect("keys");
        let pems = (
            std::fs::read_to_string(dir.join("dev-rs256.pem")).expect("saved"),
            std::fs::read_to_string(dir.join("dev-es256.pem")).expect("saved"),
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
        pems
    })
}

fn tempfile_dir() -> std::path::PathBuf {
    let mut random = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    std::env::temp_dir().join(format!("torus-dev-issuer-test-{}", hex::encode(random)))
}

/// A dev issuer serving on a free port of 127.0.0.1, with the shared keys.
async fn start() -> (Arc<DevIssuer>, String) {
    let (rsa, ec) = keys();
    let dir = tempfile_dir();
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("dev-rs256.pem"), rsa).expect("write");
    std::fs::write(dir.join("dev-es256.pem"), ec).expect("write");
    let (keys, generated) = DevKeys::load_or_generate(&dir).expect("loads");
    assert!(!generated);
    std::fs::remove_dir_all(&dir).expect("cleanup");

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let issuer = Arc::new(DevIssuer::new(base.clone(), "torus-dev", keys).expect("issuer"));
    tokio::spawn(issuer.clone().serve(listener));
    (issuer, base)
}

async fn get_json(url: &str) -> Value {
    serde_json::from_slice(&get(url, TIMEOUT).await.expect("GET")).expect("JSON")
}

async fn get_text(url: &str) -> String {
    String::from_utf8(get(url, TIMEOUT).await.expect("GET").to_vec()).expect("UTF-8")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

async fn verifier_config(base: &str, id_claim: &str) -> VerifierConfig {
    let discovery = get_json(&format!("{base}/.well-known/openid-configuration")).await;
    assert_eq!(discovery["issuer"], base);
    let jwks = get_json(discovery["jwks_uri"].as_str().expect("jwks_uri")).await;
    let converted = jwks_from_json(&jwks).expect("usable JWKS");
    assert!(converted.skipped.is_empty());
    VerifierSpec {
        issuer: base.to_owned(),
        audiences: vec!["torus-dev".into()],
        jwks: converted.keys,
        id_claim: id_claim.into(),
        lowercase_id: id_claim == "email",
        max_token_age_secs: 3600,
    }
    .to_config()
    .expect("valid config")
}

#[tokio::test]
async fn served_tokens_pass_the_nodes_verifier() {
    let (_issuer, base) = start().await;
    let config = verifier_config(&base, "sub").await;
    let algs: Vec<JwkAlg> = config.jwks.iter().map(|k| k.alg).collect();
    assert_eq!(algs, [JwkAlg::RS256, JwkAlg::ES256]);

    for alg in ["RS256", "ES256"] {
        let token = get_text(&format!("{base}/token?sub=alice&alg={alg}")).await;
        let verified = verify(&token, &config, now()).expect("the node accepts it");
        assert_eq!(verified.verifier_id.as_slice(), b"alice");
        assert_eq!(verified.audience.as_slice(), b"torus-dev");
        assert_eq!(verified.exp, verified.iat + 3600);
        let kid = if alg == "RS256" { RS256_KID } else { ES256_KID };
        assert_eq!(verified.kid.as_slice(), kid.as_bytes());
    }

    // Two tokens for one subject within one second differ.
    let a = get_text(&format!("{base}/token?sub=alice")).await;
    let b = get_text(&format!("{base}/token?sub=alice")).await;
    assert_ne!(a, b);

    // The id claim and audience asked for, and a tampered token.
    let email_config = verifier_config(&base, "email").await;
    let token = get_text(&format!(
        "{base}/token?sub=u1&email=Alice%40Example.com&alg=ES256"
    ))
    .await;
    let verified = verify(&token, &email_config, now()).expect("accepted");
    assert_eq!(verified.verifier_id.as_slice(), b"alice@example.com");
    let other_aud = get_text(&format!("{base}/token?sub=u1&aud=someone-else")).await;
    assert_eq!(
        verify(&other_aud, &config, now()).expect_err("wrong audience"),
        IdTokenError::WrongAudience
    );
    let short = get_text(&format!("{base}/token?sub=u1&ttl=1")).await;
    assert!(matches!(
        verify(&short, &config, now() + 120).expect_err("expired"),
        IdTokenError::Expired { .. }
    ));
    let mut tampered = get_text(&format!("{base}/token?sub=alice"))
        .await
        .into_bytes();
    let mid = tampered.iter().position(|b| *b == b'.').expect("segments") + 3;
    tampered[mid] = if tampered[mid] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    assert!(verify(&tampered, &config, now()).is_err());
}

#[tokio::test]
async fn served_tokens_verify_with_the_fetched_keys() {
    let (_issuer, base) = start().await;
    let jwks = get_json(&format!("{base}/jwks")).await;
    let keys = jwks["keys"].as_array().expect("keys");
    for (alg, key) in [(Algorithm::RS256, &keys[0]), (Algorithm::ES256, &keys[1])] {
        assert_eq!(key["use"], "sig");
        let decoding = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_components(
                key["n"].as_str().expect("n"),
                key["e"].as_str().expect("e"),
            ),
            _ => DecodingKey::from_ec_components(
                key["x"].as_str().expect("x"),
                key["y"].as_str().expect("y"),
            ),
        }
        .expect("key");
        let name = if alg == Algorithm::RS256 {
            "RS256"
        } else {
            "ES256"
        };
        let token = get_text(&format!(
            "{base}/token?sub=bob&alg={name}&email=b%40c.d&preferred_username=Bobby"
        ))
        .await;
        let header = decode_header(&token).expect("header");
        assert_eq!(header.alg, alg);
        assert_eq!(header.kid.as_deref(), key["kid"].as_str());
        let mut validation = Validation::new(alg);
        validation.set_audience(&["torus-dev"]);
        validation.set_issuer(&[&base]);
        let claims = decode::<Value>(&token, &decoding, &validation)
            .expect("signature and claims verify")
            .claims;
        assert_eq!(claims["sub"], "bob");
        assert_eq!(claims["email"], "b@c.d");
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["preferred_username"], "Bobby");
        assert_eq!(claims["jti"].as_str().map(str::len), Some(32));
        assert_eq!(claims["nonce"].as_str().map(str::len), Some(32));
    }
}

#[tokio::test]
async fn bad_requests_get_http_errors() {
    let (issuer, base) = start().await;
    for (path, status) in [
        ("/token", 400),
        ("/token?sub=a&alg=HS256", 400),
        ("/token?sub=a&iss=evil", 400),
        ("/token?sub=a&ttl=9999999", 400),
        ("/nothing", 404),
    ] {
        match get(&format!("{base}{path}"), TIMEOUT).await {
            Err(HttpError::Status { status: got, .. }) => {
                assert_eq!(got.as_u16(), status, "{path}")
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    assert!(matches!(
        get("https://127.0.0.1:1/jwks", TIMEOUT).await,
        Err(HttpError::Unsupported(_))
    ));
    let index = get_text(&format!("{base}/")).await;
    assert!(index.contains(&issuer.token_url()));
    // Minting in-process gives the same kind of token.
    let token = issuer.mint(&TokenRequest::new("carol")).expect("mints");
    let config = verifier_config(&base, "sub").await;
    assert_eq!(
        verify(&token, &config, now())
            .expect("accepted")
            .verifier_id
            .as_slice(),
        b"carol"
    );
}

#[test]
fn kept_keys_are_reused_and_private() {
    let dir = tempfile_dir();
    let (first, generated) = DevKeys::load_or_generate(&dir).expect("generates");
    assert!(generated);
    let (second, generated) = DevKeys::load_or_generate(&dir).expect("loads");
    assert!(!generated);
    let jwks = |keys| {
        DevIssuer::new("http://x", "a", keys)
            .expect("issuer")
            .jwks()
    };
    assert_eq!(jwks(first), jwks(second));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["dev-rs256.pem", "dev-es256.pem"] {
            let mode = std::fs::metadata(dir.join(file))
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{file} is private");
        }
    }
    assert!(
        format!("{:?}", DevKeys::load_or_generate(&dir).expect("loads").0).contains("redacted")
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
