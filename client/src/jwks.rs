//! Conversion between an issuer's JWKS (RFC 7517 JSON) and the chain's [`Jwk`] records.
//!
//! Supported signing keys: RSA (`RS256/384/512`, `PS256/384/512`; `RS256` when the key names no
//! `alg`), EC P-256 (`ES256`) and EC secp256k1 (`ES256K`). Keys for encryption (`use: enc`),
//! other key types (`oct`, `OKP`) and other algorithms are skipped and reported, because the
//! nodes could never verify a token with them; a malformed supported key is an error. RSA
//! moduli under 2048 bits are skipped too: the nodes refuse them.

use serde_json::{json, Map, Value};
use torus_primitives::{
    limits::{MAX_JWKS, MAX_KID_LEN, MAX_RSA_EXPONENT_LEN, MAX_RSA_MODULUS_LEN},
    verifier::{has_duplicate_kid, EcCurve, Jwk, JwkAlg, JwkParams},
};

use crate::encoding::{base64url, decode_base64url};

/// The smallest RSA modulus the nodes accept, in bits.
pub const MIN_RSA_MODULUS_BITS: usize = 2048;

/// Why a JWKS cannot be converted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The text is not JSON.
    #[error("the JWKS is not JSON: {0}")]
    Json(String),
    /// The JSON is not `{"keys": [...]}`, an array of JWKs or one JWK.
    #[error("not a JWKS: expected {{\"keys\": [...]}}, an array of JWKs or one JWK")]
    NotAJwks,
    /// A supported key is malformed.
    #[error("key {kid}: {reason}")]
    InvalidKey {
        /// The key's `kid` (or its position when it has none).
        kid: String,
        /// What is wrong.
        reason: String,
    },
    /// Two keys share a `kid`.
    #[error("two keys have the kid {0}")]
    DuplicateKid(String),
    /// More keys than a verifier may hold.
    #[error("{0} usable keys, a verifier holds at most {MAX_JWKS}")]
    TooManyKeys(usize),
    /// No key is usable.
    #[error("no usable signing key in the JWKS{}", skipped_list(.0))]
    NoUsableKeys(Vec<SkippedKey>),
}

fn skipped_list(skipped: &[SkippedKey]) -> String {
    skipped
        .iter()
        .map(|s| format!("; skipped {}: {}", s.kid, s.reason))
        .collect()
}

/// A key of the JWKS that was left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedKey {
    /// The key's `kid`, or `#<position>` when it has none.
    pub kid: String,
    /// Why it cannot be used.
    pub reason: String,
}

/// The keys of a JWKS, as the chain records them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertedJwks {
    /// The usable keys, in JWKS order.
    pub keys: Vec<Jwk>,
    /// The keys left out.
    pub skipped: Vec<SkippedKey>,
}

/// Parses JWKS text (see [`jwks_from_json`]).
pub fn jwks_from_str(text: &str) -> Result<ConvertedJwks, JwksError> {
    let json: Value = serde_json::from_str(text).map_err(|e| JwksError::Json(e.to_string()))?;
    jwks_from_json(&json)
}

/// Converts a JWKS (`{"keys": [...]}`, a bare array of JWKs, or a single JWK) to the chain's
/// keys, skipping keys no node could use. At least one key must be usable.
pub fn jwks_from_json(json: &Value) -> Result<ConvertedJwks, JwksError> {
    let keys: Vec<&Value> = match json {
        Value::Object(map) if map.contains_key("keys") => map
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwksError::NotAJwks)?
            .iter()
            .collect(),
        Value::Object(map) if map.contains_key("kty") => vec![json],
        Value::Array(items) => items.iter().collect(),
        _ => return Err(JwksError::NotAJwks),
    };
    let mut converted = ConvertedJwks {
        keys: Vec::new(),
        skipped: Vec::new(),
    };
    for (position, key) in keys.into_iter().enumerate() {
        let object = key.as_object().ok_or(JwksError::NotAJwks)?;
        match convert_key(object, position)? {
            Ok(jwk) => converted.keys.push(jwk),
            Err(skipped) => converted.skipped.push(skipped),
        }
    }
    if converted.keys.is_empty() {
        return Err(JwksError::NoUsableKeys(converted.skipped));
    }
    if converted.keys.len() > MAX_JWKS as usize {
        return Err(JwksError::TooManyKeys(converted.keys.len()));
    }
    if has_duplicate_kid(&converted.keys) {
        let kid = converted
            .keys
            .iter()
            .enumerate()
            .find(|(i, k)| converted.keys[i + 1..].iter().any(|o| o.kid == k.kid))
            .map(|(_, k)| String::from_utf8_lossy(&k.kid).into_owned())
            .unwrap_or_default();
        return Err(JwksError::DuplicateKid(kid));
    }
    Ok(converted)
}

fn text<'a>(key: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    key.get(field).and_then(Value::as_str)
}

/// The key, a reason to skip it, or an error for a malformed supported key.
fn convert_key(
    key: &Map<String, Value>,
    position: usize,
) -> Result<Result<Jwk, SkippedKey>, JwksError> {
    let kid_text = text(key, "kid").map(str::to_owned);
    let label = kid_text.clone().unwrap_or_else(|| format!("#{position}"));
    let skip = |reason: &str| {
        Ok(Err(SkippedKey {
            kid: label.clone(),
            reason: reason.to_owned(),
        }))
    };
    let invalid = |reason: String| JwksError::InvalidKey {
        kid: label.clone(),
        reason,
    };
    if let Some(usage) = text(key, "use") {
        if usage != "sig" {
            return skip(&format!("use is {usage:?}, not \"sig\""));
        }
    }
    let kty = text(key, "kty").unwrap_or("");
    let alg = text(key, "alg");
    let Some(kid) = kid_text else {
        return skip("no kid (tokens name their key by kid)");
    };
    if kid.is_empty() || kid.len() > MAX_KID_LEN as usize {
        return Err(invalid(format!("kid must have 1 to {MAX_KID_LEN} bytes")));
    }
    let b64 = |field: &str| -> Result<Vec<u8>, JwksError> {
        let value = text(key, field).ok_or_else(|| invalid(format!("no {field}")))?;
        decode_base64url(value).map_err(|_| invalid(format!("{field} is not base64url")))
    };
    let (alg, params) = match kty {
        "RSA" => {
            let alg = match alg.unwrap_or("RS256") {
                "RS256" => JwkAlg::RS256,
                "RS384" => JwkAlg::RS384,
                "RS512" => JwkAlg::RS512,
                "PS256" => JwkAlg::PS256,
                "PS384" => JwkAlg::PS384,
                "PS512" => JwkAlg::PS512,
                other => return skip(&format!("alg {other} is not supported for RSA keys")),
            };
            let n = strip_zeros(b64("n")?);
            let e = strip_zeros(b64("e")?);
            if n.is_empty() || e.is_empty() {
                return Err(invalid("n and e must not be zero".into()));
            }
            let bits = n.len() * 8 - n[0].leading_zeros() as usize;
            if bits < MIN_RSA_MODULUS_BITS {
                return skip(&format!(
                    "RSA modulus of {bits} bits, the nodes need at least {MIN_RSA_MODULUS_BITS}"
                ));
            }
            if n.len() > MAX_RSA_MODULUS_LEN as usize || e.len() > MAX_RSA_EXPONENT_LEN as usize {
                return skip("RSA key larger than the chain's limits");
            }
            let params = JwkParams::Rsa {
                n: n.try_into()
                    .map_err(|_| invalid("modulus too long".into()))?,
                e: e.try_into()
                    .map_err(|_| invalid("exponent too long".into()))?,
            };
            (alg, params)
        }
        "EC" => {
            let (curve, curve_alg) = match text(key, "crv") {
                Some("P-256") => (EcCurve::P256, JwkAlg::ES256),
                Some("secp256k1") => (EcCurve::Secp256k1, JwkAlg::ES256K),
                Some(other) => return skip(&format!("curve {other} is not supported")),
                None => return Err(invalid("an EC key without crv".into())),
            };
            match alg {
                None => {}
                Some(a) if a == curve_alg.name() => {}
                Some(other) => {
                    return skip(&format!("alg {other} does not fit the key's curve"));
                }
            }
            let coordinate = |field: &str| -> Result<[u8; 32], JwksError> {
                b64(field)?
                    .try_into()
                    .map_err(|_| invalid(format!("{field} is not 32 bytes")))
            };
            let (x, y) = (coordinate("x")?, coordinate("y")?);
            if curve == EcCurve::Secp256k1
                && crate::encoding::point_from_hex(&hex::encode(x), &hex::encode(y)).is_err()
            {
                return Err(invalid("the point is not on secp256k1".into()));
            }
            (curve_alg, JwkParams::Ec { curve, x, y })
        }
        "" => return Err(invalid("no kty".into())),
        other => return skip(&format!("key type {other} is not supported")),
    };
    let jwk = Jwk {
        kid: kid
            .into_bytes()
            .try_into()
            .map_err(|_| invalid("kid too long".into()))?,
        alg,
        params,
    };
    Ok(Ok(jwk))
}

fn strip_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.drain(..zeros);
    bytes
}

/// A chain [`Jwk`] as standard JWK JSON (`kty`, `kid`, `alg`, `use`, and `n`/`e` or
/// `crv`/`x`/`y`).
pub fn jwk_to_json(jwk: &Jwk) -> Value {
    let kid = String::from_utf8_lossy(&jwk.kid);
    match &jwk.params {
        JwkParams::Rsa { n, e } => json!({
            "kty": "RSA",
            "kid": kid,
            "alg": jwk.alg.name(),
            "use": "sig",
            "n": base64url(n),
            "e": base64url(e),
        }),
        JwkParams::Ec { curve, x, y } => json!({
            "kty": "EC",
            "kid": kid,
            "alg": jwk.alg.name(),
            "use": "sig",
            "crv": match curve {
                EcCurve::P256 => "P-256",
                EcCurve::Secp256k1 => "secp256k1",
            },
            "x": base64url(x),
            "y": base64url(y),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_json(kid: &str, alg: Option<&str>, bits: usize) -> Value {
        let mut n = vec![0u8; 1];
        n.extend(vec![0xc5u8; bits / 8]);
        let mut key =
            json!({"kty": "RSA", "kid": kid, "use": "sig", "n": base64url(&n), "e": "AQAB"});
        if let Some(alg) = alg {
            key["alg"] = json!(alg);
        }
        key
    }

    #[test]
    fn converts_rsa_and_ec_keys_and_back() {
        let g = k256::ProjectivePoint::GENERATOR.to_affine();
        let (x, y) = crate::encoding::point_coordinates(&g);
        let jwks = json!({"keys": [
            rsa_json("r1", Some("RS256"), 2048),
            rsa_json("r2", None, 2048),
            rsa_json("p1", Some("PS384"), 4096),
            {"kty": "EC", "kid": "e1", "crv": "P-256", "alg": "ES256",
             "x": base64url(&[1u8; 32]), "y": base64url(&[2u8; 32])},
            {"kty": "EC", "kid": "k1", "crv": "secp256k1", "x": base64url(&x), "y": base64url(&y)},
        ]});
        let converted = jwks_from_json(&jwks).expect("converts");
        assert!(converted.skipped.is_empty());
        let algs: Vec<JwkAlg> = converted.keys.iter().map(|k| k.alg).collect();
        assert_eq!(
            algs,
            [
                JwkAlg::RS256,
                JwkAlg::RS256,
                JwkAlg::PS384,
                JwkAlg::ES256,
                JwkAlg::ES256K
            ]
        );
        assert!(converted.keys.iter().all(Jwk::is_well_formed));
        let JwkParams::Rsa { n, e } = &converted.keys[0].params else {
            panic!("an RSA key");
        };
        assert_eq!(n.len(), 256, "the leading zero byte is stripped");
        assert_eq!(e.as_slice(), &[1, 0, 1]);
        // Back to JSON and in again: the same keys.
        let again = jwks_from_json(&Value::Array(
            converted.keys.iter().map(jwk_to_json).collect(),
        ))
        .expect("round trip");
        assert_eq!(again.keys, converted.keys);
    }

    #[test]
    fn unusable_keys_are_skipped_with_a_reason() {
        let jwks = json!({"keys": [
            rsa_json("ok", None, 2048),
            rsa_json("short", None, 1024),
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "AA"},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
            rsa_json("rs-hs", Some("HS256"), 2048),
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        ]});
        let converted = jwks_from_json(&jwks).expect("one usable key");
        assert_eq!(converted.keys.len(), 1);
        let skipped: Vec<&str> = converted.skipped.iter().map(|s| s.kid.as_str()).collect();
        assert_eq!(
            skipped,
            ["short", "enc", "hmac", "ed", "p384", "rs-hs", "#7"]
        );
        assert!(converted.skipped[0].reason.contains("1024 bits"));
    }

    #[test]
    fn malformed_or_unusable_sets_are_errors() {
        assert!(matches!(jwks_from_str("nope"), Err(JwksError::Json(_))));
        assert_eq!(jwks_from_json(&json!(42)), Err(JwksError::NotAJwks));
        assert!(matches!(
            jwks_from_json(&json!({"keys": [{"kty": "oct", "kid": "h"}]})),
            Err(JwksError::NoUsableKeys(s)) if s.len() == 1
        ));
        assert!(matches!(
            jwks_from_json(&json!({"keys": [rsa_json("a", None, 2048), rsa_json("a", None, 2048)]})),
            Err(JwksError::DuplicateKid(kid)) if kid == "a"
        ));
        assert!(matches!(
            jwks_from_json(&json!({"kty": "EC", "kid": "x", "crv": "P-256", "x": "AA", "y": "AA"})),
            Err(JwksError::InvalidKey { kid, .. }) if kid == "x"
        ));
        let off_curve = json!({"kty": "EC", "kid": "k", "crv": "secp256k1",
            "x": base64url(&[1u8; 32]), "y": base64url(&[1u8; 32])});
        assert!(matches!(
            jwks_from_json(&off_curve),
            Err(JwksError::InvalidKey { .. })
        ));
        let many: Vec<Value> = (0..17)
            .map(|i| rsa_json(&format!("k{i}"), None, 2048))
            .collect();
        assert_eq!(
            jwks_from_json(&Value::Array(many)),
            Err(JwksError::TooManyKeys(17))
        );
    }
}
