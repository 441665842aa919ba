//! Verifier configurations: built from a dapp's settings ([`VerifierSpec`]) with the chain's
//! bounds and checks applied before anything is signed, and shown as readable JSON.

use serde_json::{json, Value};
use torus_primitives::{
    limits::{
        MAX_AUDIENCES, MAX_AUDIENCE_LEN, MAX_CLAIM_NAME_LEN, MAX_ISSUER_LEN, MAX_VERIFIER_NAME_LEN,
    },
    verifier::{
        validate_verifier_name, IdClaim, IdClaimRule, InvalidVerifier, Jwk, KeyType, PendingChange,
        VerifierChange, VerifierConfig, VerifierName, VerifierRecord,
    },
};

use crate::jwks::jwk_to_json;

/// Why a verifier configuration cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierError {
    /// A value exceeds the chain's bound for it.
    #[error("{what} is too long or too many (at most {max})")]
    TooLong {
        /// The field.
        what: &'static str,
        /// The bound.
        max: u32,
    },
    /// The chain would refuse the configuration.
    #[error("the chain would refuse this verifier: {0:?}")]
    Invalid(InvalidVerifier),
}

/// The settings of a verifier, as a dapp developer gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierSpec {
    /// The expected `iss`.
    pub issuer: String,
    /// The accepted `aud` values (at least one).
    pub audiences: Vec<String>,
    /// The keys that sign tokens.
    pub jwks: Vec<Jwk>,
    /// The user's id claim: `sub`, `email` or another claim's name.
    pub id_claim: String,
    /// Lower-case the id first (for case-insensitive ids such as e-mail addresses).
    pub lowercase_id: bool,
    /// The maximum token age, seconds since `iat`.
    pub max_token_age_secs: u64,
}

/// A verifier name, checked as the chain checks it.
pub fn verifier_name(name: &str) -> Result<VerifierName, VerifierError> {
    validate_verifier_name(name.as_bytes()).map_err(VerifierError::Invalid)?;
    name.as_bytes()
        .to_vec()
        .try_into()
        .map_err(|_| VerifierError::TooLong {
            what: "the verifier name",
            max: MAX_VERIFIER_NAME_LEN,
        })
}

impl VerifierSpec {
    /// The chain's configuration (key type DirectAuth), checked with the chain's own rules.
    pub fn to_config(&self) -> Result<VerifierConfig, VerifierError> {
        let too_long = |what, max| VerifierError::TooLong { what, max };
        let audiences = self
            .audiences
            .iter()
            .map(|a| {
                a.as_bytes()
                    .to_vec()
                    .try_into()
                    .map_err(|_| too_long("an audience", MAX_AUDIENCE_LEN))
            })
            .collect::<Result<Vec<_>, _>>()?
            .try_into()
            .map_err(|_| too_long("the audiences", MAX_AUDIENCES))?;
        let claim = match self.id_claim.as_str() {
            "sub" => IdClaim::Sub,
            "email" => IdClaim::Email,
            other => IdClaim::Named(
                other
                    .as_bytes()
                    .to_vec()
                    .try_into()
                    .map_err(|_| too_long("the id claim name", MAX_CLAIM_NAME_LEN))?,
            ),
        };
        let config = VerifierConfig {
            issuer: self
                .issuer
                .as_bytes()
                .to_vec()
                .try_into()
                .map_err(|_| too_long("the issuer", MAX_ISSUER_LEN))?,
            audiences,
            jwks: self
                .jwks
                .clone()
                .try_into()
                .map_err(|_| too_long("the JWKS", torus_primitives::limits::MAX_JWKS))?,
            id_claim: IdClaimRule {
                claim,
                lowercase: self.lowercase_id,
            },
            max_token_age_secs: self.max_token_age_secs,
            key_type: KeyType::DirectAuth,
        };
        config.validate().map_err(VerifierError::Invalid)?;
        Ok(config)
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A verifier configuration as readable JSON (the JWKS as standard JWK JSON).
pub fn config_to_json(config: &VerifierConfig) -> Value {
    json!({
        "issuer": lossy(&config.issuer),
        "audiences": config.audiences.iter().map(|a| lossy(a)).collect::<Vec<_>>(),
        "id_claim": match &config.id_claim.claim {
            IdClaim::Sub => "sub".to_owned(),
            IdClaim::Email => "email".to_owned(),
            IdClaim::Named(name) => lossy(name),
        },
        "lowercase_id": config.id_claim.lowercase,
        "max_token_age_secs": config.max_token_age_secs,
        "key_type": match config.key_type {
            KeyType::DirectAuth => "DirectAuth",
            KeyType::ThresholdSigning => "ThresholdSigning",
        },
        "jwks": {"keys": config.jwks.iter().map(jwk_to_json).collect::<Vec<_>>()},
    })
}

/// What an announced change replaces, in words: `the whole configuration`, `the JWKS` or
/// `one more key, kid <kid>`.
pub fn describe_change(change: &VerifierChange) -> String {
    match change {
        VerifierChange::Config => "the whole configuration".to_owned(),
        VerifierChange::Jwks => "the JWKS".to_owned(),
        VerifierChange::AddJwk(kid) => format!("one more key, kid {}", lossy(kid)),
    }
}

/// A verifier's pending change as readable JSON: what changes, the block it takes effect at,
/// and the whole configuration the verifier will have from then on.
pub fn pending_to_json<B: core::fmt::Display>(pending: &PendingChange<B>) -> Value {
    let change = match &pending.change {
        VerifierChange::Config => json!("config"),
        VerifierChange::Jwks => json!("jwks"),
        VerifierChange::AddJwk(kid) => json!({"add_jwk": lossy(kid)}),
    };
    json!({
        "change": change,
        "effective_at": pending.effective_at.to_string(),
        "config": config_to_json(&pending.config),
    })
}

/// A verifier as recorded on chain, as readable JSON; accounts are shown with `Display`
/// (SS58 for the runtime's account ids) and the deposit in the chain's smallest unit.
pub fn record_to_json<A: core::fmt::Display, B: core::fmt::Display>(
    name: &str,
    record: &VerifierRecord<A, B>,
) -> Value {
    json!({
        "name": name,
        "owner": record.owner.to_string(),
        "depositor": record.depositor.to_string(),
        "deposit": record.deposit.to_string(),
        "config": config_to_json(&record.config),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use torus_primitives::verifier::{JwkAlg, JwkParams};

    fn spec() -> VerifierSpec {
        VerifierSpec {
            issuer: "http://127.0.0.1:8080".into(),
            audiences: vec!["torus-dev".into()],
            jwks: vec![Jwk {
                kid: b"dev-rs256".to_vec().try_into().expect("fits"),
                alg: JwkAlg::RS256,
                params: JwkParams::Rsa {
                    n: vec![0xc5; 256].try_into().expect("fits"),
                    e: vec![1, 0, 1].try_into().expect("fits"),
                },
            }],
            id_claim: "email".into(),
            lowercase_id: true,
            max_token_age_secs: 3600,
        }
    }

    #[test]
    fn builds_a_valid_config_and_shows_it() {
        let config = spec().to_config().expect("valid");
        assert_eq!(config.id_claim.claim, IdClaim::Email);
        assert_eq!(config.key_type, KeyType::DirectAuth);
        let shown = config_to_json(&config);
        assert_eq!(shown["issuer"], "http://127.0.0.1:8080");
        assert_eq!(shown["id_claim"], "email");
        assert_eq!(shown["jwks"]["keys"][0]["kid"], "dev-rs256");
        let mut named = spec();
        named.id_claim = "preferred_username".into();
        assert_eq!(
            named.to_config().expect("valid").id_claim.claim,
            IdClaim::Named(b"preferred_username".to_vec().try_into().expect("fits"))
        );
    }

    #[test]
    fn shows_a_pending_change() {
        let config = spec().to_config().expect("valid");
        let kid = b"k2".to_vec().try_into().expect("short");
        let pending = PendingChange {
            change: VerifierChange::AddJwk(kid),
            effective_at: 42u32,
            config,
        };
        let shown = pending_to_json(&pending);
        assert_eq!(shown["change"]["add_jwk"], "k2");
        assert_eq!(shown["effective_at"], "42");
        assert_eq!(shown["config"]["issuer"], "http://127.0.0.1:8080");
        assert_eq!(describe_change(&pending.change), "one more key, kid k2");
        assert_eq!(describe_change(&VerifierChange::Jwks), "the JWKS");
        assert_eq!(
            pending_to_json(&PendingChange {
                change: VerifierChange::Config,
                ..pending
            })["change"],
            "config"
        );
    }

    #[test]
    fn refuses_what_the_chain_refuses() {
        let mut s = spec();
        s.audiences.clear();
        assert_eq!(
            s.to_config(),
            Err(VerifierError::Invalid(InvalidVerifier::Audiences))
        );
        let mut s = spec();
        s.max_token_age_secs = 0;
        assert_eq!(
            s.to_config(),
            Err(VerifierError::Invalid(InvalidVerifier::TokenAge))
        );
        let mut s = spec();
        s.issuer = "x".repeat(300);
        assert!(matches!(s.to_config(), Err(VerifierError::TooLong { .. })));
        assert!(verifier_name("my-dapp").is_ok());
        assert_eq!(
            verifier_name("has space"),
            Err(VerifierError::Invalid(InvalidVerifier::Name))
        );
        assert!(matches!(
            verifier_name(&"a".repeat(65)),
            Err(VerifierError::TooLong { .. })
        ));
    }
}
