//! A local OpenID issuer for demos and tests: it mints id tokens for any subject on request.
//! **Never register it for real users**: anyone who can reach it gets tokens for anyone.
//!
//! Keys: an RSA-2048 key (`RS256`, kid [`RS256_KID`]) and a P-256 key (`ES256`, kid
//! [`ES256_KID`]), generated at start or kept in a directory as PKCS#8 PEM files
//! (`dev-rs256.pem`, `dev-es256.pem`, mode 0600). The RSA signatures come from `ring` (through
//! `jsonwebtoken`); the `rsa` crate only generates and stores the key.
//!
//! Endpoints (plain HTTP/1.1, `GET`, CORS open):
//! | path | answer |
//! |---|---|
//! | `/.well-known/openid-configuration` | the discovery document (`issuer`, `jwks_uri`, …) |
//! | `/jwks` | the public keys, `{"keys": [...]}` with `kid`, `alg`, `use` |
//! | `/token?sub=alice[&alg=RS256\|ES256][&email=..][&aud=..][&ttl=secs][&<claim>=<value>…]` | a fresh id token, `text/plain` |
//!
//! Every token carries `iss`, `aud`, `sub`, `iat`, `exp` (= `iat + ttl`), a random `jti` and
//! `nonce` (so two tokens for one subject differ even within a second), `email` and
//! `email_verified` when an e-mail is given, and any other query parameter as a string claim.

use std::{
    convert::Infallible,
    fmt, fs,
    io::Write as _,
    path::Path,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{
    header, server::conn::http1, service::service_fn, Method, Request, Response, StatusCode,
};
use hyper_util::rt::TokioIo;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use rsa::{
    pkcs1::EncodeRsaPrivateKey,
    pkcs8::{der::pem, DecodePrivateKey, EncodePrivateKey, LineEnding},
    traits::PublicKeyParts,
    RsaPrivateKey,
};
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use crate::encoding::base64url;

/// The `kid` of the RS256 key.
pub const RS256_KID: &str = "dev-rs256";
/// The `kid` of the ES256 key.
pub const ES256_KID: &str = "dev-es256";
/// The audience of tokens that ask for none.
pub const DEFAULT_AUDIENCE: &str = "torus-dev";
/// The lifetime of tokens that ask for none, seconds.
pub const DEFAULT_TTL_SECS: u64 = 3600;
/// The longest lifetime a token may ask for, seconds (one week).
pub const MAX_TTL_SECS: u64 = 7 * 86_400;
/// The RSA modulus size, bits (the nodes accept 2048 and more).
pub const RSA_BITS: usize = 2048;

const RSA_FILE: &str = "dev-rs256.pem";
const EC_FILE: &str = "dev-es256.pem";
const PKCS8_LABEL: &str = "PRIVATE KEY";
/// Claims the issuer sets itself; a token request cannot override them.
const RESERVED_CLAIMS: [&str; 9] = [
    "iss",
    "aud",
    "sub",
    "iat",
    "exp",
    "nbf",
    "jti",
    "nonce",
    "email_verified",
];

/// Errors of the dev issuer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// Generating, encoding or loading a key failed.
    #[error("key: {0}")]
    Key(String),
    /// Reading or writing the key directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A token request is not valid.
    #[error("bad token request: {0}")]
    BadRequest(String),
    /// Signing a token failed.
    #[error("signing: {0}")]
    Signing(String),
}

/// The signature algorithm of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, key [`RS256_KID`].
    RS256,
    /// ECDSA P-256 with SHA-256, key [`ES256_KID`].
    ES256,
}

/// What a token is minted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// The subject (`sub`).
    pub sub: String,
    /// The signature algorithm.
    pub alg: DevAlg,
    /// The e-mail claim, if any.
    pub email: Option<String>,
    /// The audience; the issuer's default audience if `None`.
    pub audience: Option<String>,
    /// Lifetime in seconds.
    pub ttl_secs: u64,
    /// Other string claims (e.g. `preferred_username`).
    pub extra_claims: Vec<(String, String)>,
}

impl TokenRequest {
    /// An RS256 token for `sub` with the default audience and lifetime.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            alg: DevAlg::RS256,
            email: None,
            audience: None,
            ttl_secs: DEFAULT_TTL_SECS,
            extra_claims: Vec::new(),
        }
    }

    /// Reads a request from a `/token` query string (see the module documentation).
    pub fn from_query(query: &str) -> Result<Self, IssuerError> {
        let bad = |reason: String| IssuerError::BadRequest(reason);
        let mut request = Self::new(String::new());
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "sub" => request.sub = value.into_owned(),
                "alg" => {
                    request.alg = match value.as_ref() {
                        "RS256" => DevAlg::RS256,
                        "ES256" => DevAlg::ES256,
                        other => return Err(bad(format!("alg {other:?}: use RS256 or ES256"))),
                    }
                }
                "email" => request.email = Some(value.into_owned()),
                "aud" => request.audience = Some(value.into_owned()),
                "ttl" => {
                    request.ttl_secs = value
                        .parse()
                        .map_err(|_| bad(format!("ttl {value:?} is not a number of seconds")))?
                }
                claim if RESERVED_CLAIMS.contains(&claim) => {
                    return Err(bad(format!("the issuer sets {claim} itself")))
                }
                claim => request
                    .extra_claims
                    .push((claim.to_owned(), value.into_owned())),
            }
        }
        request.check()?;
        Ok(request)
    }

    fn check(&self) -> Result<(), IssuerError> {
        if self.sub.is_empty() {
            return Err(IssuerError::BadRequest("sub is required".into()));
        }
        if self.ttl_secs == 0 || self.ttl_secs > MAX_TTL_SECS {
            return Err(IssuerError::BadRequest(format!(
                "ttl must be 1 to {MAX_TTL_SECS} seconds"
            )));
        }
        Ok(())
    }
}

/// The issuer's signing keys (private parts zeroized on drop; `Debug` shows no secret).
pub struct DevKeys {
    rsa: RsaPrivateKey,
    ec_pkcs8: Zeroizing<Vec<u8>>,
    ec_public: [u8; 65],
}

impl fmt::Debug for DevKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DevKeys(<redacted>)")
    }
}

fn key_error(e: impl fmt::Display) -> IssuerError {
    IssuerError::Key(e.to_string())
}

impl DevKeys {
    /// Fresh keys.
    pub fn generate() -> Result<Self, IssuerError> {
        let rsa = RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS).map_err(key_error)?;
        let rng = ring::rand::SystemRandom::new();
        let ec = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(key_error)?;
        Self::from_parts(rsa, Zeroizing::new(ec.as_ref().to_vec()))
    }

    fn from_parts(rsa: RsaPrivateKey, ec_pkcs8: Zeroizing<Vec<u8>>) -> Result<Self, IssuerError> {
        let rng = ring::rand::SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &ec_pkcs8, &rng)
            .map_err(key_error)?;
        let ec_public: [u8; 65] = pair
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| IssuerError::Key("unexpected P-256 public key length".into()))?;
        Ok(Self {
            rsa,
            ec_pkcs8,
            ec_public,
        })
    }

    /// The keys kept in `dir` (`dev-rs256.pem`, `dev-es256.pem`), generated and saved there
    /// first if absent. Returns whether they were generated.
    pub fn load_or_generate(dir: &Path) -> Result<(Self, bool), IssuerError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| IssuerError::Io { path, source }
        };
        let (rsa_path, ec_path) = (dir.join(RSA_FILE), dir.join(EC_FILE));
        if rsa_path.exists() && ec_path.exists() {
            let rsa_pem = Zeroizing::new(fs::read_to_string(&rsa_path).map_err(io(&rsa_path))?);
            let rsa = RsaPrivateKey::from_pkcs8_pem(&rsa_pem).map_err(key_error)?;
            let ec_pem = Zeroizing::new(fs::read(&ec_path).map_err(io(&ec_path))?);
            let (label, der) = pem::decode_vec(&ec_pem).map_err(key_error)?;
            if label != PKCS8_LABEL {
                return Err(IssuerError::Key(format!(
                    "{}: not a PKCS#8 key",
                    ec_path.display()
                )));
            }
            return Ok((Self::from_parts(rsa, Zeroizing::new(der))?, false));
        }
        let keys = Self::generate()?;
        fs::create_dir_all(dir).map_err(io(dir))?;
        let rsa_pem = keys.rsa.to_pkcs8_pem(LineEnding::LF).map_err(key_error)?;
        write_private(&rsa_path, rsa_pem.as_bytes()).map_err(io(&rsa_path))?;
        let ec_pem = Zeroizing::new(
            pem::encode_string(PKCS8_LABEL, LineEnding::LF, &keys.ec_pkcs8).map_err(key_error)?,
        );
        write_private(&ec_path, ec_pem.as_bytes()).map_err(io(&ec_path))?;
        Ok((keys, true))
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

/// A dev OpenID issuer: its URL, default audience and keys.
pub struct DevIssuer {
    issuer: String,
    audience: String,
    keys: DevKeys,
    rs256: EncodingKey,
    es256: EncodingKey,
}

impl fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl DevIssuer {
    /// An issuer named `issuer` (its base URL, also the tokens' `iss`, without a trailing `/`)
    /// whose tokens are for `audience` unless they ask otherwise.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        keys: DevKeys,
    ) -> Result<Self, IssuerError> {
        let pkcs1 = keys.rsa.to_pkcs1_der().map_err(key_error)?;
        let rs256 = EncodingKey::from_rsa_der(pkcs1.as_bytes());
        let es256 = EncodingKey::from_ec_der(&keys.ec_pkcs8);
        Ok(Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            audience: audience.into(),
            keys,
            rs256,
            es256,
        })
    }

    /// The issuer (`iss`) and base URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The default audience.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.issuer)
    }

    /// The token URL (append `?sub=...`).
    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// The public keys as a JWKS.
    pub fn jwks(&self) -> Value {
        json!({"keys": [
            {
                "kty": "RSA",
                "kid": RS256_KID,
                "alg": "RS256",
                "use": "sig",
                "n": base64url(&self.keys.rsa.n().to_bytes_be()),
                "e": base64url(&self.keys.rsa.e().to_bytes_be()),
            },
            {
                "kty": "EC",
                "kid": ES256_KID,
                "alg": "ES256",
                "use": "sig",
                "crv": "P-256",
                "x": base64url(&self.keys.ec_public[1..33]),
                "y": base64url(&self.keys.ec_public[33..65]),
            },
        ]})
    }

    /// The OpenID discovery document.
    pub fn openid_configuration(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "jwks_uri": self.jwks_url(),
            "token_endpoint": self.token_url(),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "claims_supported": ["iss", "aud", "sub", "iat", "exp", "jti", "nonce", "email", "email_verified"],
        })
    }

    /// A fresh id token, issued now.
    pub fn mint(&self, request: &TokenRequest) -> Result<String, IssuerError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.mint_at(request, now)
    }

    /// A fresh id token issued at `now` (Unix seconds).
    pub fn mint_at(&self, request: &TokenRequest, now: u64) -> Result<String, IssuerError> {
        request.check()?;
        let mut random = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let mut claims = Map::new();
        for (name, value) in &request.extra_claims {
            if RESERVED_CLAIMS.contains(&name.as_str()) || name == "email" {
                return Err(IssuerError::BadRequest(format!(
                    "the issuer sets {name} itself"
                )));
            }
            claims.insert(name.clone(), Value::String(value.clone()));
        }
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert(
            "aud".into(),
            json!(request.audience.as_deref().unwrap_or(&self.audience)),
        );
        claims.insert("sub".into(), json!(request.sub));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + request.ttl_secs));
        claims.insert("jti".into(), json!(hex::encode(&random[..16])));
        claims.insert("nonce".into(), json!(hex::encode(&random[16..])));
        if let Some(email) = &request.email {
            claims.insert("email".into(), json!(email));
            claims.insert("email_verified".into(), json!(true));
        }
        let (alg, kid, key) = match request.alg {
            DevAlg::RS256 => (Algorithm::RS256, RS256_KID, &self.rs256),
            DevAlg::ES256 => (Algorithm::ES256, ES256_KID, &self.es256),
        };
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, &claims, key).map_err(|e| IssuerError::Signing(e.to_string()))
    }

    /// Serves the endpoints on `listener` until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let issuer = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let issuer = issuer.clone();
                    async move { Ok::<_, Infallible>(issuer.handle(&request)) }
                });
                // A client that hangs up mid-request is no concern of the issuer.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    /// The answer to one request.
    pub fn handle<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
        if request.method() != Method::GET {
            return reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "GET only\n".into(),
            );
        }
        match request.uri().path() {
            "/.well-known/openid-configuration" => {
                json_reply(&self.openid_configuration())
            }
            "/jwks" | "/.well-known/jwks.json" => json_reply(&self.jwks()),
            "/token" => {
                match TokenRequest::from_query(request.uri().query().unwrap_or(""))
                    .and_then(|r| self.mint(&r))
                {
                    Ok(token) => reply(StatusCode::OK, "text/plain; charset=utf-8", token),
                    Err(e) => reply(StatusCode::BAD_REQUEST, "text/plain; charset=utf-8", format!("{e}\n")),
                }
            }
            "/" => reply(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                format!(
                    "Torus dev issuer (for tests only)\nissuer: {}\nJWKS:   {}\ntoken:  {}?sub=alice[&alg=ES256][&email=..][&aud=..][&ttl=secs]\n",
                    self.issuer,
                    self.jwks_url(),
                    self.token_url()
                ),
            ),
            _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
        }
    }
}

fn json_reply(value: &Value) -> Response<Full<Bytes>> {
    reply(StatusCode::OK, "application/json", value.to_string())
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = header::HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_queries_are_read_and_checked() {
        let r = TokenRequest::from_query(
            "sub=alice&alg=ES256&email=a%40b.c&aud=x&ttl=60&preferred_username=Al",
        )
        .expect("valid");
        assert_eq!(r.sub, "alice");
        assert_eq!(r.alg, DevAlg::ES256);
        assert_eq!(r.email.as_deref(), Some("a@b.c"));
        assert_eq!(r.audience.as_deref(), Some("x"));
        assert_eq!(r.ttl_secs, 60);
        assert_eq!(
            r.extra_claims,
            vec![("preferred_username".into(), "Al".into())]
        );
        for bad in [
            "",
            "sub=",
            "sub=a&alg=HS256",
            "sub=a&ttl=0",
            "sub=a&ttl=x",
            "sub=a&iss=evil",
            "sub=a&exp=1",
        ] {
            assert!(
                matches!(
                    TokenRequest::from_query(bad),
                    Err(IssuerError::BadRequest(_))
                ),
                "{bad}"
            );
        }
    }
}
