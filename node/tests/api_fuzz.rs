//! Property tests: whatever bytes reach the Torus API's parameter parsing or the id-token
//! verifier, the answer is a value or a clean error, never a panic (a panic in any thread
//! exits a Substrate node).

use jsonrpsee::types::Params;
use p256::ecdsa::{signature::Signer as _, SigningKey};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use torus_node::{id_token, torus_api::params};
use torus_primitives::verifier::{
    EcCurve, IdClaim, IdClaimRule, Jwk, JwkAlg, JwkParams, KeyType, VerifierConfig,
};

/// The field names the four methods read, so that generated objects reach past the first
/// missing field, and the claims the verifier reads.
const FIELDS: &[&str] = &[
    "verifier",
    "verifier_id",
    "messageprefix",
    "tokencommitment",
    "temppubx",
    "temppuby",
    "verifieridentifier",
    "item",
    "idtoken",
    "nodesignatures",
    "session_token_exp_second",
    "signature",
    "data",
    "nodepubx",
    "nodepuby",
    "client_time",
];
const CLAIMS: &[&str] = &[
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "sub",
    "email",
    "email_verified",
];

/// Numbers of every awkward kind: around 0, the integer limits, huge and tiny floats.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(1u64 << 62)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        ".{0,80}".prop_map(Value::String),
        "[0-9a-f]{0,130}".prop_map(Value::String),
        Just(Value::String("mug00".into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(FIELDS).prop_map(String::from),
                        ".{0,12}"
                    ],
                    inner
                ),
                0..10
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn parse_all(text: &str) {
    let params = Params::new(Some(text));
    let _ = params::lookup(&params);
    let _ = params::commitment(&params);
    let _ = params::login(&params);
}

const NOW: u64 = 1_800_000_000;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[5u8; 32].into()).expect("a scalar")
}

fn config(max_token_age_secs: u64) -> VerifierConfig {
    let point = key().verifying_key().to_encoded_point(false);
    let coordinate = |c: Option<&p256::FieldBytes>| -> [u8; 32] {
        c.expect("affine").as_slice().try_into().expect("32 bytes")
    };
    VerifierConfig {
        issuer: b"https://issuer.test".to_vec().try_into().expect("short"),
        audiences: vec![b"aud".to_vec().try_into().expect("short")]
            .try_into()
            .expect("one"),
        jwks: vec![Jwk {
            kid: b"ec".to_vec().try_into().expect("short"),
            alg: JwkAlg::ES256,
            params: JwkParams::Ec {
                curve: EcCurve::P256,
                x: coordinate(point.x()),
                y: coordinate(point.y()),
            },
        }]
        .try_into()
        .expect("one"),
        id_claim: IdClaimRule {
            claim: IdClaim::Email,
            lowercase: true,
        },
        max_token_age_secs,
        key_type: KeyType::DirectAuth,
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A correctly signed ES256 token of `header` and `claims`, so the claim checks are reached.
fn signed(header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature: p256::ecdsa::Signature = key().sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_json_params_parse_or_fail_cleanly(value in json_value()) {
        parse_all(&value.to_string());
        // The same value as the one parameter of a positional list.
        parse_all(&Value::Array(vec![value]).to_string());
    }

    #[test]
    fn any_text_params_parse_or_fail_cleanly(text in ".{0,300}") {
        parse_all(&text);
    }

    #[test]
    fn a_login_of_any_shape_parses_or_fails_cleanly(
        item in prop::collection::vec((prop::sample::select(FIELDS), json_value()), 0..8),
        signatures in prop::collection::vec(json_value(), 0..4),
    ) {
        let mut object: Map<String, Value> =
            item.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        object.insert("nodesignatures".into(), Value::Array(signatures));
        object.entry("idtoken").or_insert_with(|| json!("a.b.c"));
        parse_all(&json!({ "item": [Value::Object(object)] }).to_string());
    }

    #[test]
    fn any_token_text_is_refused_cleanly(token in ".{0,400}") {
        let _ = id_token::normalize(&token);
        prop_assert!(id_token::verify(&token, &config(3600), NOW).is_err());
    }

    #[test]
    fn any_signed_claims_verify_or_fail_cleanly(
        claims in prop::collection::vec((prop::sample::select(CLAIMS), json_value()), 0..10),
        max_age in prop_oneof![Just(1u64), Just(3600), Just(u64::MAX), any::<u64>()],
        now in prop_oneof![Just(NOW), Just(0u64), Just(u64::MAX), any::<u64>()],
    ) {
        let claims: Map<String, Value> =
            claims.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let token = signed(&json!({"alg": "ES256", "kid": "ec"}), &Value::Object(claims));
        if let Ok(verified) = id_token::verify(&token, &config(max_age), now) {
            // Whatever was accepted expires within a day (and two minutes) of `now`.
            prop_assert!(
                verified.replay_deadline()
                    <= now.saturating_add(id_token::MAX_TOKEN_AGE_SECS + 2 * id_token::CLOCK_SKEW_SECS)
            );
        }
    }

    #[test]
    fn valid_looking_tokens_with_absurd_times_verify_or_fail_cleanly(
        iat in prop_oneof![number(), Just(json!(NOW))],
        exp in prop_oneof![number(), Just(json!(NOW + 60))],
        nbf in prop_oneof![number(), Just(Value::Null)],
    ) {
        let mut claims = json!({
            "iss": "https://issuer.test", "aud": "aud", "email": "Kate@Example.com",
            "email_verified": true, "iat": iat, "exp": exp,
        });
        if !nbf.is_null() {
            claims["nbf"] = nbf;
        }
        let token = signed(&json!({"alg": "ES256", "kid": "ec"}), &claims);
        if let Ok(verified) = id_token::verify(&token, &config(3600), NOW) {
            prop_assert!(verified.exp >= verified.iat);
            prop_assert!(verified.exp - verified.iat <= 3600);
        }
    }
}
