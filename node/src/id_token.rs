//! Verification of login id tokens (JWTs) against a verifier as recorded on chain.
//!
//! The RPC reads the verifier's [`VerifierConfig`] at the best block and calls [`verify`] with
//! the id token of a login and the current time. A token is accepted only if:
//!
//! 1. it is a compact JWS in the one canonical spelling that [`normalize`] accepts;
//! 2. its header names, by `kid`, a key of the verifier's JWKS, and its `alg` is exactly the
//!    algorithm recorded with that key: the algorithm comes from the chain, never from the token
//!    alone. `alg: none` and the HMAC algorithms `HS*` are refused before any key is looked at,
//!    so a public key can never be used as an HMAC secret; a `crit` header is refused;
//! 3. the signature over `header.payload` verifies with that key (RS256/384/512, PS256/384/512
//!    and ES256 through `jsonwebtoken` with its `ring` backend; ES256K through `k256`, which
//!    `jsonwebtoken` does not support; EC points are checked to lie on their curve and RSA
//!    moduli to have at least 2048 bits);
//! 4. `iss` equals the verifier's issuer byte for byte; `aud` (a string or an array of strings)
//!    contains at least one of the verifier's audiences;
//! 5. with `now` the caller's clock and a fixed clock skew of [`CLOCK_SKEW_SECS`] (60 s) in the
//!    token's favour: `now < exp + skew`; `nbf ≤ now + skew` if `nbf` is present;
//!    `iat ≤ now + skew`; `iat ≤ exp`; `exp − iat ≤ max_age` and `now − iat ≤ max_age + skew`,
//!    where `max_age` is the verifier's `max_token_age_secs` capped at
//!    [`MAX_TOKEN_AGE_SECS`] (one day). `exp` and `iat` are required. Numeric dates may be JSON
//!    integers or non-negative fractional numbers (rounded down; `1e300` reads as `u64::MAX`).
//!    So every accepted token expires, by its own `exp`, at most `max_age` after it was issued
//!    and at most a day and a minute after `now`: [`VerifiedToken::replay_deadline`] is bounded,
//!    and the replay guards never need to remember a token longer than that;
//! 6. the id claim of the verifier's [`IdClaimRule`](torus_primitives::verifier::IdClaimRule)
//!    (`sub`, `email` or a named claim) is a non-empty JSON string; when the rule lower-cases,
//!    it is lower-cased by [`IdClaimRule::normalize`] (ASCII letters only, exactly as the
//!    chain and the client do: a look-alike such as the Kelvin sign `U+212A` stays itself and
//!    never becomes the `k` of another user's id); the result must fit a [`VerifierId`] (at
//!    most 256 bytes). When the id claim is `email`, the token must also carry
//!    `"email_verified": true` (the JSON boolean): an issuer that lets anyone claim an address
//!    they have not proven would otherwise hand that address's key to them.
//!
//! All time checks use the `now_secs` argument; nothing here reads the system clock, so the
//! outcome is deterministic.
//!
//! Cost, measured by the `verify_cost` test in a debug build on the 2-core development machine:
//! about 90 µs per RS256 token (2048-bit key), 100 µs per ES256 and 200 µs per ES256K token.
//!
//! # One token, one commitment (Torus audit finding TRS-01-003)
//!
//! Clients commit to `keccak256(id_token)` before they reveal the token, and nodes refuse a
//! commitment they have seen. If two spellings of one token were both accepted, the second
//! would pass that replay guard. [`normalize`] therefore accepts exactly one spelling: surrounding
//! ASCII whitespace (space, tab, CR, LF, form feed) is removed, and the rest must be three
//! segments separated by `.`, each unpadded base64url (`A–Z a–z 0–9 - _`, no `=`) in its
//! canonical form (no length ≡ 1 mod 4, unused low bits of the last character zero). The
//! header and payload segments must not be empty; the signature segment may be, so that an
//! unsigned token is reported as [`IdTokenError::AlgNone`] by [`verify`]. [`commitment`] is the
//! keccak-256 of that normalized string.
//!
//! An ECDSA signature `(r, s)` is also valid as `(r, n − s)`, so whoever holds an ES256 token can
//! make a second, differently spelled valid token from it. Replay protection should therefore
//! also key on [`VerifiedToken::signed_digest`], the keccak-256 of the signed `header.payload`,
//! which no one but the issuer can vary.
//!
//! # Errors
//!
//! Every failure has its own [`IdTokenError`] variant and a stable numeric code
//! ([`IdTokenError::code`]) that the RPC maps to its JSON-RPC errors. Messages never contain the
//! token, its claims' text or key material; the time errors carry the timestamps.
//!
//! | code | variant | meaning |
//! |---|---|---|
//! | 1 | [`TooLong`](IdTokenError::TooLong) | longer than [`MAX_TOKEN_LEN`] bytes |
//! | 2 | [`Malformed`](IdTokenError::Malformed) | not three canonical base64url segments |
//! | 3 | [`InvalidHeader`](IdTokenError::InvalidHeader) | header not a JSON object, no string `alg`, non-string `kid`, or `crit` present |
//! | 4 | [`InvalidPayload`](IdTokenError::InvalidPayload) | payload not a JSON object |
//! | 10 | [`AlgNone`](IdTokenError::AlgNone) | `alg: none` (any case) |
//! | 11 | [`SymmetricAlg`](IdTokenError::SymmetricAlg) | `alg: HS*` |
//! | 12 | [`MissingKid`](IdTokenError::MissingKid) | no `kid` in the header |
//! | 13 | [`UnknownKid`](IdTokenError::UnknownKid) | the verifier has no key with that `kid` |
//! | 14 | [`AlgMismatch`](IdTokenError::AlgMismatch) | header `alg` differs from the key's recorded `alg` |
//! | 15 | [`InvalidKey`](IdTokenError::InvalidKey) | the recorded key cannot be used (off-curve point, short RSA modulus, bad exponent) |
//! | 20 | [`InvalidSignature`](IdTokenError::InvalidSignature) | the signature does not verify (includes a tampered header or payload) |
//! | 30 | [`MissingClaim`](IdTokenError::MissingClaim) | `iss`, `aud`, `exp` or `iat` absent |
//! | 31 | [`InvalidClaim`](IdTokenError::InvalidClaim) | one of those, or `nbf`, has the wrong JSON type |
//! | 32 | [`WrongIssuer`](IdTokenError::WrongIssuer) | `iss` is not the verifier's issuer |
//! | 33 | [`WrongAudience`](IdTokenError::WrongAudience) | no `aud` is an accepted audience |
//! | 34 | [`Expired`](IdTokenError::Expired) | `now ≥ exp + skew` |
//! | 35 | [`NotYetValid`](IdTokenError::NotYetValid) | `nbf > now + skew` |
//! | 36 | [`IssuedInFuture`](IdTokenError::IssuedInFuture) | `iat > now + skew` |
//! | 37 | [`TooOld`](IdTokenError::TooOld) | `now − iat > max_age + skew` |
//! | 38 | [`LifetimeTooLong`](IdTokenError::LifetimeTooLong) | `exp − iat > max_age` (`exp: 1e300`, `u64::MAX`, …) |
//! | 39 | [`ExpiresBeforeIssued`](IdTokenError::ExpiresBeforeIssued) | `exp < iat` |
//! | 40 | [`MissingIdClaim`](IdTokenError::MissingIdClaim) | the verifier's id claim is absent |
//! | 41 | [`InvalidIdClaim`](IdTokenError::InvalidIdClaim) | the id claim is not a non-empty string, is too long, or is not normalized |
//! | 42 | [`EmailNotVerified`](IdTokenError::EmailNotVerified) | the id claim is `email` and `email_verified` is not `true` |
//!
//! The checks run in the order of the table's groups (format, header and key, signature,
//! claims, id claim), so a claim error is only ever reported for a correctly signed token.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use sha3::{Digest, Keccak256};
pub use torus_primitives::verifier::MAX_TOKEN_AGE_SECS;
use torus_primitives::verifier::{
    Audience, EcCurve, IdClaim, IdClaimRule, Issuer, Jwk, JwkAlg, JwkKeyId, JwkParams,
    VerifierConfig, VerifierId,
};

/// The clock skew, in seconds, allowed in the token's favour in every time check.
pub const CLOCK_SKEW_SECS: u64 = 60;

/// The longest id token accepted, in bytes after trimming. Real id tokens are 1–3 KiB.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_MODULUS_BITS: usize = 2048;

/// Why an id token is refused. See the [module documentation](self) for the code table.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The token is longer than [`MAX_TOKEN_LEN`].
    #[error("id token is longer than {MAX_TOKEN_LEN} bytes")]
    TooLong,
    /// The token is not three canonical, unpadded base64url segments.
    #[error("id token is not a compact JWS of three canonical unpadded base64url segments")]
    Malformed,
    /// The header is not usable; the reason is given.
    #[error("id token header is invalid: {0}")]
    InvalidHeader(&'static str),
    /// The payload is not a JSON object.
    #[error("id token payload is not a JSON object")]
    InvalidPayload,
    /// The token is unsigned (`alg: none`).
    #[error("unsigned id tokens (alg none) are not accepted")]
    AlgNone,
    /// The token claims an HMAC algorithm (`HS256`, `HS384`, `HS512`).
    #[error("HMAC-signed id tokens (HS256/HS384/HS512) are not accepted")]
    SymmetricAlg,
    /// The header has no `kid`.
    #[error("id token header names no key (kid)")]
    MissingKid,
    /// The verifier has no key with the token's `kid`.
    #[error("the verifier has no key with the id token's kid")]
    UnknownKid,
    /// The header's `alg` is not the algorithm recorded with the key.
    #[error("id token alg does not match its key, which is recorded for {expected:?}")]
    AlgMismatch {
        /// The algorithm recorded on chain for the key.
        expected: JwkAlg,
    },
    /// The key recorded on chain cannot be used; the reason is given.
    #[error("the verifier's key for this kid is unusable: {0}")]
    InvalidKey(&'static str),
    /// The signature does not verify.
    #[error("id token signature is invalid")]
    InvalidSignature,
    /// A required claim (`iss`, `aud`, `exp`, `iat`) is absent.
    #[error("id token has no {0} claim")]
    MissingClaim(&'static str),
    /// A registered claim has the wrong JSON type or an impossible value.
    #[error("id token claim {0} has an invalid type or value")]
    InvalidClaim(&'static str),
    /// `iss` is not the verifier's issuer.
    #[error("id token issuer is not the verifier's issuer")]
    WrongIssuer,
    /// None of the token's audiences is accepted by the verifier.
    #[error("id token audience is not accepted by the verifier")]
    WrongAudience,
    /// The token has expired.
    #[error("id token expired at {exp} (now {now}, clock skew {CLOCK_SKEW_SECS} s)")]
    Expired {
        /// The token's `exp`.
        exp: u64,
        /// The time of the check.
        now: u64,
    },
    /// The token's `nbf` is still in the future.
    #[error("id token is not valid before {nbf} (now {now}, clock skew {CLOCK_SKEW_SECS} s)")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: u64,
        /// The time of the check.
        now: u64,
    },
    /// The token's `iat` is in the future.
    #[error(
        "id token is issued in the future at {iat} (now {now}, clock skew {CLOCK_SKEW_SECS} s)"
    )]
    IssuedInFuture {
        /// The token's `iat`.
        iat: u64,
        /// The time of the check.
        now: u64,
    },
    /// The token was issued longer ago than the verifier allows.
    #[error("id token issued at {iat} is older than {max_age} s (now {now}, clock skew {CLOCK_SKEW_SECS} s)")]
    TooOld {
        /// The token's `iat`.
        iat: u64,
        /// The verifier's `max_token_age_secs`, capped at [`MAX_TOKEN_AGE_SECS`].
        max_age: u64,
        /// The time of the check.
        now: u64,
    },
    /// The token's `exp` lies further after its `iat` than the verifier allows.
    #[error("id token lives {lifetime} s from iat to exp, longer than the {max_age} s allowed")]
    LifetimeTooLong {
        /// `exp − iat`.
        lifetime: u64,
        /// The verifier's `max_token_age_secs`, capped at [`MAX_TOKEN_AGE_SECS`].
        max_age: u64,
    },
    /// The token's `exp` is before its `iat`.
    #[error("id token expires at {exp}, before it was issued at {iat}")]
    ExpiresBeforeIssued {
        /// The token's `iat`.
        iat: u64,
        /// The token's `exp`.
        exp: u64,
    },
    /// The verifier's id claim is absent.
    #[error("id token has no id claim {0}")]
    MissingIdClaim(String),
    /// The id claim cannot be a verifier id; the reason is given.
    #[error("id token's id claim is invalid: {0}")]
    InvalidIdClaim(&'static str),
    /// The id claim is `email` and the token does not say `"email_verified": true`.
    #[error("id token e-mail address is not verified (email_verified is not true)")]
    EmailNotVerified,
}

impl IdTokenError {
    /// The stable numeric code of the error class (see the module documentation's table).
    pub fn code(&self) -> i32 {
        match self {
            Self::TooLong => 1,
            Self::Malformed => 2,
            Self::InvalidHeader(_) => 3,
            Self::InvalidPayload => 4,
            Self::AlgNone => 10,
            Self::SymmetricAlg => 11,
            Self::MissingKid => 12,
            Self::UnknownKid => 13,
            Self::AlgMismatch { .. } => 14,
            Self::InvalidKey(_) => 15,
            Self::InvalidSignature => 20,
            Self::MissingClaim(_) => 30,
            Self::InvalidClaim(_) => 31,
            Self::WrongIssuer => 32,
            Self::WrongAudience => 33,
            Self::Expired { .. } => 34,
            Self::NotYetValid { .. } => 35,
            Self::IssuedInFuture { .. } => 36,
            Self::TooOld { .. } => 37,
            Self::LifetimeTooLong { .. } => 38,
            Self::ExpiresBeforeIssued { .. } => 39,
            Self::MissingIdClaim(_) => 40,
            Self::InvalidIdClaim(_) => 41,
            Self::EmailNotVerified => 42,
        }
    }
}

/// What a successful [`verify`] established.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VerifiedToken {
    /// The user's id under the verifier, after the verifier's id-claim rule.
    pub verifier_id: VerifierId,
    /// The issuer (`iss`) the token matched.
    pub issuer: Issuer,
    /// The first of the token's audiences that the verifier accepts.
    pub audience: Audience,
    /// The `kid` of the key that verified the signature.
    pub kid: JwkKeyId,
    /// The algorithm of that key.
    pub alg: JwkAlg,
    /// The token's `iat`.
    pub iat: u64,
    /// The token's `exp`.
    pub exp: u64,
    /// The token's `nbf`, if it has one.
    pub nbf: Option<u64>,
    /// [`commitment`] of the token: keccak-256 of its normalized spelling.
    pub commitment: [u8; 32],
    /// keccak-256 of the signed part `header.payload` (base64url, as in the token). Unlike the
    /// commitment it does not change when an ECDSA signature is re-spelled as `(r, n − s)`.
    pub signed_digest: [u8; 32],
}

impl VerifiedToken {
    /// Until when (Unix seconds) the token could still be accepted, so how long a replay guard
    /// must remember it: `exp` plus the clock skew. [`verify`] bounds it to at most
    /// [`MAX_TOKEN_AGE_SECS`] + 2 × [`CLOCK_SKEW_SECS`] after the time of the check.
    pub fn replay_deadline(&self) -> u64 {
        self.exp.saturating_add(CLOCK_SKEW_SECS)
    }
}

/// The three segments of a normalized token, and the decoded header, payload and signature.
struct Parts<'a> {
    token: &'a str,
    signing_input: &'a str,
    signature_b64: &'a str,
    header: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

fn split(token: &str) -> Result<Parts<'_>, IdTokenError> {
    let token = token.trim_ascii();
    if token.len() > MAX_TOKEN_LEN {
        return Err(IdTokenError::TooLong);
    }
    let mut segments = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(IdTokenError::Malformed);
    };
    if header_b64.is_empty() || payload_b64.is_empty() {
        return Err(IdTokenError::Malformed);
    }
    // `URL_SAFE_NO_PAD` refuses `=`, characters outside the URL-safe alphabet, impossible lengths
    // and non-zero trailing bits, so each byte string has exactly one accepted spelling.
    let decode = |segment: &str| {
        URL_SAFE_NO_PAD
            .decode(segment)
            .map_err(|_| IdTokenError::Malformed)
    };
    let header = decode(header_b64)?;
    let payload = decode(payload_b64)?;
    let signature = decode(signature_b64)?;
    Ok(Parts {
        token,
        signing_input: &token[..header_b64.len() + 1 + payload_b64.len()],
        signature_b64,
        header,
        payload,
        signature,
    })
}

/// The one accepted spelling of `token`: `token` without surrounding ASCII whitespace, if the
/// rest is three canonical unpadded base64url segments (see the module documentation).
pub fn normalize(token: &str) -> Result<&str, IdTokenError> {
    split(token).map(|parts| parts.token)
}

/// The token commitment of the client protocol: keccak-256 of `token` without surrounding ASCII
/// whitespace, which for any token that [`normalize`] accepts is its normalized spelling.
/// Compare it with a client's `tokencommitment` only for a token that [`verify`] accepted.
pub fn commitment(token: &str) -> [u8; 32] {
    keccak256(token.trim_ascii().as_bytes())
}

fn keccak256(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

/// Verifies `token` against `verifier` at time `now_secs` (Unix seconds); see the module
/// documentation for every check.
pub fn verify(
    token: &str,
    verifier: &VerifierConfig,
    now_secs: u64,
) -> Result<VerifiedToken, IdTokenError> {
    let parts = split(token)?;

    // The header, untrusted until the signature is checked: only used to pick the key.
    let header =
        json_object(&parts.header).ok_or(IdTokenError::InvalidHeader("not a JSON object"))?;
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.as_str(),
        Some(_) => return Err(IdTokenError::InvalidHeader("alg is not a string")),
        None => return Err(IdTokenError::InvalidHeader("no alg")),
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(IdTokenError::AlgNone);
    }
    if alg
        .as_bytes()
        .get(..2)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"HS"))
    {
        return Err(IdTokenError::SymmetricAlg);
    }
    if header.contains_key("crit") {
        return Err(IdTokenError::InvalidHeader(
            "crit extensions are not supported",
        ));
    }
    let kid = match header.get("kid") {
        Some(Value::String(kid)) => kid.as_bytes(),
        Some(_) => return Err(IdTokenError::InvalidHeader("kid is not a string")),
        None => return Err(IdTokenError::MissingKid),
    };
    let jwk = verifier
        .jwks
        .iter()
        .find(|jwk| jwk.kid.as_slice() == kid)
        .ok_or(IdTokenError::UnknownKid)?;
    if alg != jwk.alg.name() {
        return Err(IdTokenError::AlgMismatch { expected: jwk.alg });
    }

    verify_signature(jwk, &parts)?;

    let claims = json_object(&parts.payload).ok_or(IdTokenError::InvalidPayload)?;

    match claims.get("iss") {
        None => return Err(IdTokenError::MissingClaim("iss")),
        Some(Value::String(iss)) if iss.as_bytes() == verifier.issuer.as_slice() => {}
        Some(Value::String(_)) => return Err(IdTokenError::WrongIssuer),
        Some(_) => return Err(IdTokenError::InvalidClaim("iss")),
    }
    let audience = matched_audience(&claims, verifier)?;

    let exp = numeric_date(&claims, "exp")?.ok_or(IdTokenError::MissingClaim("exp"))?;
    let nbf = numeric_date(&claims, "nbf")?;
    let iat = numeric_date(&claims, "iat")?.ok_or(IdTokenError::MissingClaim("iat"))?;
    if now_secs >= exp.saturating_add(CLOCK_SKEW_SECS) {
        return Err(IdTokenError::Expired { exp, now: now_secs });
    }
    if let Some(nbf) = nbf {
        if nbf > now_secs.saturating_add(CLOCK_SKEW_SECS) {
            return Err(IdTokenError::NotYetValid { nbf, now: now_secs });
        }
    }
    if iat > now_secs.saturating_add(CLOCK_SKEW_SECS) {
        return Err(IdTokenError::IssuedInFuture { iat, now: now_secs });
    }
    let max_age = verifier.max_token_age_secs.min(MAX_TOKEN_AGE_SECS);
    let lifetime = exp
        .checked_sub(iat)
        .ok_or(IdTokenError::ExpiresBeforeIssued { iat, exp })?;
    if now_secs.saturating_sub(iat) > max_age.saturating_add(CLOCK_SKEW_SECS) {
        return Err(IdTokenError::TooOld {
            iat,
            max_age,
            now: now_secs,
        });
    }
    if lifetime > max_age {
        return Err(IdTokenError::LifetimeTooLong { lifetime, max_age });
    }

    let verifier_id = id_claim(&claims, verifier)?;

    Ok(VerifiedToken {
        verifier_id,
        issuer: verifier.issuer.clone(),
        audience,
        kid: jwk.kid.clone(),
        alg: jwk.alg,
        iat,
        exp,
        nbf,
        commitment: keccak256(parts.token.as_bytes()),
        signed_digest: keccak256(parts.signing_input.as_bytes()),
    })
}

fn json_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

fn verify_signature(jwk: &Jwk, parts: &Parts<'_>) -> Result<(), IdTokenError> {
    let message = parts.signing_input.as_bytes();
    let (key, algorithm) = match (jwk.alg, &jwk.params) {
        (
            alg @ (JwkAlg::RS256
            | JwkAlg::RS384
            | JwkAlg::RS512
            | JwkAlg::PS256
            | JwkAlg::PS384
            | JwkAlg::PS512),
            JwkParams::Rsa { n, e },
        ) => {
            let n = strip_leading_zeros(n);
            let e = strip_leading_zeros(e);
            let n_bits = n
                .first()
                .map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize);
            if n_bits < MIN_RSA_MODULUS_BITS {
                return Err(IdTokenError::InvalidKey(
                    "RSA modulus shorter than 2048 bits",
                ));
            }
            // ring's bounds: an odd exponent of at least 3 and at most 33 bits.
            let e_ok = !e.is_empty()
                && e.len() <= 5
                && e[e.len() - 1] & 1 == 1
                && (e.len() > 1 || e[0] >= 3)
                && (e.len() < 5 || e[0] <= 1);
            if !e_ok {
                return Err(IdTokenError::InvalidKey("unsupported RSA public exponent"));
            }
            let algorithm = match alg {
                JwkAlg::RS256 => Algorithm::RS256,
                JwkAlg::RS384 => Algorithm::RS384,
                JwkAlg::RS512 => Algorithm::RS512,
                JwkAlg::PS256 => Algorithm::PS256,
                JwkAlg::PS384 => Algorithm::PS384,
                _ => Algorithm::PS512,
            };
            (DecodingKey::from_rsa_raw_components(n, e), algorithm)
        }
        (
            JwkAlg::ES256,
            JwkParams::Ec {
                curve: EcCurve::P256,
                x,
                y,
            },
        ) => {
            p256::PublicKey::from_sec1_bytes(&sec1_point(x, y))
                .map_err(|_| IdTokenError::InvalidKey("not a point on P-256"))?;
            let key = DecodingKey::from_ec_components(
                &URL_SAFE_NO_PAD.encode(x),
                &URL_SAFE_NO_PAD.encode(y),
            )
            .map_err(|_| IdTokenError::InvalidKey("not a point on P-256"))?;
            (key, Algorithm::ES256)
        }
        (
            JwkAlg::ES256K,
            JwkParams::Ec {
                curve: EcCurve::Secp256k1,
                x,
                y,
            },
        ) => return verify_es256k(x, y, message, &parts.signature),
        _ => {
            return Err(IdTokenError::InvalidKey(
                "alg does not fit the key material",
            ))
        }
    };
    match jsonwebtoken::crypto::verify(parts.signature_b64, message, &key, algorithm) {
        Ok(true) => Ok(()),
        _ => Err(IdTokenError::InvalidSignature),
    }
}

/// ES256K (ECDSA on secp256k1 with SHA-256, RFC 8812), which `jsonwebtoken` lacks. Both `s` and
/// `n − s` are accepted, as for ES256.
fn verify_es256k(
    x: &[u8; 32],
    y: &[u8; 32],
    message: &[u8],
    signature: &[u8],
) -> Result<(), IdTokenError> {
    use k256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
    let key = VerifyingKey::from_sec1_bytes(&sec1_point(x, y))
        .map_err(|_| IdTokenError::InvalidKey("not a point on secp256k1"))?;
    let signature = Signature::from_slice(signature).map_err(|_| IdTokenError::InvalidSignature)?;
    // k256 refuses high-s signatures; JWS does not.
    let signature = signature.normalize_s().unwrap_or(signature);
    key.verify(message, &signature)
        .map_err(|_| IdTokenError::InvalidSignature)
}

fn sec1_point(x: &[u8; 32], y: &[u8; 32]) -> [u8; 65] {
    let mut point = [0x04; 65];
    point[1..33].copy_from_slice(x);
    point[33..].copy_from_slice(y);
    point
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn matched_audience(
    claims: &Map<String, Value>,
    verifier: &VerifierConfig,
) -> Result<Audience, IdTokenError> {
    let accepted = |aud: &str| {
        verifier
            .audiences
            .iter()
            .find(|accepted| accepted.as_slice() == aud.as_bytes())
            .cloned()
    };
    match claims.get("aud") {
        None => Err(IdTokenError::MissingClaim("aud")),
        Some(Value::String(aud)) => accepted(aud).ok_or(IdTokenError::WrongAudience),
        Some(Value::Array(auds)) => {
            let mut found = None;
            for aud in auds {
                let Value::String(aud) = aud else {
                    return Err(IdTokenError::InvalidClaim("aud"));
                };
                if found.is_none() {
                    found = accepted(aud);
                }
            }
            found.ok_or(IdTokenError::WrongAudience)
        }
        Some(_) => Err(IdTokenError::InvalidClaim("aud")),
    }
}

/// A NumericDate claim: a non-negative JSON number of seconds, rounded down.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<u64>, IdTokenError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let Value::Number(number) = value else {
        return Err(IdTokenError::InvalidClaim(name));
    };
    if let Some(secs) = number.as_u64() {
        return Ok(Some(secs));
    }
    match number.as_f64() {
        // `as` saturates at u64::MAX and rounds towards zero.
        Some(secs) if secs.is_finite() && secs >= 0.0 => Ok(Some(secs as u64)),
        _ => Err(IdTokenError::InvalidClaim(name)),
    }
}

fn id_claim(
    claims: &Map<String, Value>,
    verifier: &VerifierConfig,
) -> Result<VerifierId, IdTokenError> {
    let rule = &verifier.id_claim;
    let name = match &rule.claim {
        IdClaim::Sub => "sub",
        IdClaim::Email => "email",
        IdClaim::Named(name) => core::str::from_utf8(name)
            .map_err(|_| IdTokenError::InvalidIdClaim("the claim name is not UTF-8"))?,
    };
    let value = match claims.get(name) {
        None => return Err(IdTokenError::MissingIdClaim(name.to_owned())),
        Some(Value::String(value)) => value,
        Some(_) => return Err(IdTokenError::InvalidIdClaim("not a string")),
    };
    if value.is_empty() {
        return Err(IdTokenError::InvalidIdClaim("empty"));
    }
    if rule.claim == IdClaim::Email && claims.get("email_verified") != Some(&Value::Bool(true)) {
        return Err(IdTokenError::EmailNotVerified);
    }
    let value = IdClaimRule::normalize(rule, value);
    VerifierId::try_from(value.into_owned().into_bytes())
        .map_err(|_| IdTokenError::InvalidIdClaim("longer than 256 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes are part of the RPC's interface: pinned, and one per variant.
    #[test]
    fn error_codes_are_pinned_and_distinct() {
        use IdTokenError as E;
        let all = [
            (E::TooLong, 1),
            (E::Malformed, 2),
            (E::InvalidHeader("x"), 3),
            (E::InvalidPayload, 4),
            (E::AlgNone, 10),
            (E::SymmetricAlg, 11),
            (E::MissingKid, 12),
            (E::UnknownKid, 13),
            (
                E::AlgMismatch {
                    expected: JwkAlg::RS256,
                },
                14,
            ),
            (E::InvalidKey("x"), 15),
            (E::InvalidSignature, 20),
            (E::MissingClaim("exp"), 30),
            (E::InvalidClaim("exp"), 31),
            (E::WrongIssuer, 32),
            (E::WrongAudience, 33),
            (E::Expired { exp: 1, now: 2 }, 34),
            (E::NotYetValid { nbf: 1, now: 2 }, 35),
            (E::IssuedInFuture { iat: 1, now: 2 }, 36),
            (
                E::TooOld {
                    iat: 1,
                    max_age: 2,
                    now: 3,
                },
                37,
            ),
            (
                E::LifetimeTooLong {
                    lifetime: 2,
                    max_age: 1,
                },
                38,
            ),
            (E::ExpiresBeforeIssued { iat: 2, exp: 1 }, 39),
            (E::MissingIdClaim("email".into()), 40),
            (E::InvalidIdClaim("x"), 41),
            (E::EmailNotVerified, 42),
        ];
        let mut codes = std::collections::HashSet::new();
        for (error, code) in &all {
            assert_eq!(error.code(), *code, "{error:?}");
            assert!(codes.insert(code), "{error:?}");
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn numeric_dates_are_non_negative_numbers() {
        let claims =
            json_object(br#"{"a": 5, "b": 5.9, "c": -1, "d": "5", "e": 1e300, "f": -0.5}"#)
                .expect("object");
        assert_eq!(numeric_date(&claims, "a"), Ok(Some(5)));
        assert_eq!(numeric_date(&claims, "b"), Ok(Some(5)));
        assert_eq!(
            numeric_date(&claims, "c"),
            Err(IdTokenError::InvalidClaim("c"))
        );
        assert_eq!(
            numeric_date(&claims, "d"),
            Err(IdTokenError::InvalidClaim("d"))
        );
        assert_eq!(numeric_date(&claims, "e"), Ok(Some(u64::MAX)));
        assert_eq!(
            numeric_date(&claims, "f"),
            Err(IdTokenError::InvalidClaim("f"))
        );
        assert_eq!(numeric_date(&claims, "absent"), Ok(None));
    }

    #[test]
    fn leading_zeros_are_stripped() {
        assert_eq!(strip_leading_zeros(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(strip_leading_zeros(&[0, 0]), &[] as &[u8]);
        assert_eq!(strip_leading_zeros(&[]), &[] as &[u8]);
    }
}
