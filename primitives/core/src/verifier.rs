//! Verifiers: how the network decides that an id token belongs to a user.
//!
//! A verifier is registered on chain under a unique [`VerifierName`] by a dapp (its owner). Each
//! node checks a login's id token (a JWT) against the verifier's [`VerifierConfig`]: the
//! signature with the JWKS key named by the token's `kid`, then `iss`, `aud`, `exp` and `iat`
//! (no older than `max_token_age_secs`), and takes the user's [`VerifierId`] from the configured
//! claim. Byte strings are stored as the raw bytes of the JWT/JWK fields: UTF-8 for text, and
//! big-endian unsigned integers (the base64url-decoded JWK values) for key material.

use crate::limits::{
    MaxAudienceLen, MaxAudiences, MaxClaimNameLen, MaxIssuerLen, MaxJwks, MaxKidLen,
    MaxRsaExponentLen, MaxRsaModulusLen, MaxVerifierIdLen, MaxVerifierNameLen,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::BoundedVec;

/// The unique name of a verifier (`verifieridentifier` / `verifier` in the client protocol).
pub type VerifierName = BoundedVec<u8, MaxVerifierNameLen>;
/// A user's id under one verifier (`verifier_id`), after the verifier's [`IdClaimRule`].
pub type VerifierId = BoundedVec<u8, MaxVerifierIdLen>;
/// An issuer (`iss`), compared byte for byte with the token's.
pub type Issuer = BoundedVec<u8, MaxIssuerLen>;
/// One accepted audience (`aud`), e.g. an OAuth client id.
pub type Audience = BoundedVec<u8, MaxAudienceLen>;
/// A JWK key id (`kid`).
pub type JwkKeyId = BoundedVec<u8, MaxKidLen>;
/// The keys that may sign a verifier's tokens.
pub type Jwks = BoundedVec<Jwk, MaxJwks>;

/// A JWS signature algorithm (`alg`) that a verifier's key may be used with.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub enum JwkAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on secp256k1 with SHA-256.
    ES256K,
}

impl JwkAlg {
    /// The JWS name (`alg` header and JWK member): `RS256`, …, `ES256K`.
    pub fn name(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES256K => "ES256K",
        }
    }
}

/// The curve (`crv`) of an elliptic-curve JWK.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub enum EcCurve {
    /// NIST P-256 (`P-256`).
    P256,
    /// secp256k1 (`secp256k1`).
    Secp256k1,
}

/// The public key material of a JWK.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub enum JwkParams {
    /// An RSA key (`kty: RSA`).
    Rsa {
        /// The modulus `n`, big-endian, without leading zeros.
        n: BoundedVec<u8, MaxRsaModulusLen>,
        /// The public exponent `e`, big-endian, without leading zeros.
        e: BoundedVec<u8, MaxRsaExponentLen>,
    },
    /// An elliptic-curve key (`kty: EC`).
    Ec {
        /// The curve.
        curve: EcCurve,
        /// The affine x coordinate, 32 bytes big-endian.
        x: [u8; 32],
        /// The affine y coordinate, 32 bytes big-endian.
        y: [u8; 32],
    },
}

/// One key of a verifier's JWKS.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub struct Jwk {
    /// The key id a token names in its header; unique within a verifier.
    pub kid: JwkKeyId,
    /// The only algorithm this key is accepted with.
    pub alg: JwkAlg,
    /// The public key.
    pub params: JwkParams,
}

impl Jwk {
    /// Whether the key is well formed: a non-empty `kid`, and an `alg` that fits the key
    /// material (RSA algorithms with a non-empty RSA key, `ES256` with P-256, `ES256K` with
    /// secp256k1). Whether an EC point lies on its curve is checked by the node, which has the
    /// curve arithmetic.
    pub fn is_well_formed(&self) -> bool {
        if self.kid.is_empty() {
            return false;
        }
        match (&self.alg, &self.params) {
            (
                JwkAlg::RS256
                | JwkAlg::RS384
                | JwkAlg::RS512
                | JwkAlg::PS256
                | JwkAlg::PS384
                | JwkAlg::PS512,
                JwkParams::Rsa { n, e },
            ) => !n.is_empty() && !e.is_empty(),
            (
                JwkAlg::ES256,
                JwkParams::Ec {
                    curve: EcCurve::P256,
                    ..
                },
            ) => true,
            (
                JwkAlg::ES256K,
                JwkParams::Ec {
                    curve: EcCurve::Secp256k1,
                    ..
                },
            ) => true,
            _ => false,
        }
    }
}

/// The claim of an id token that is the user's id.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub enum IdClaim {
    /// The subject (`sub`).
    Sub,
    /// The e-mail address (`email`).
    Email,
    /// Another string claim, by name (e.g. `preferred_username`, `wallet_address`).
    Named(BoundedVec<u8, MaxClaimNameLen>),
}

/// Which claim is the user's id, and whether it is lower-cased first.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub struct IdClaimRule {
    /// The claim.
    pub claim: IdClaim,
    /// Lower-case the claim's value (for issuers whose ids are case-insensitive, e.g. e-mail).
    pub lowercase: bool,
}

impl IdClaimRule {
    /// Whether `verifier_id` can be the output of this rule ([`Self::normalize`]). When the
    /// rule lower-cases, an id with an ASCII upper-case letter is refused, so that one user
    /// cannot end up with two keys through two spellings.
    pub fn is_normalized(&self, verifier_id: &[u8]) -> bool {
        !self.lowercase || !verifier_id.iter().any(u8::is_ascii_uppercase)
    }

    /// The user's id from the claim's `value`: when the rule lower-cases, its ASCII letters
    /// lower-cased and every other character kept as it is. The chain, the node and the client
    /// all use this one rule. Only ASCII is folded, on purpose: full Unicode lower-casing maps
    /// look-alikes onto ASCII (the Kelvin sign `U+212A` becomes `k`, `İ` becomes `i̇`), so
    /// whoever could register `\u{212A}ate@…` at an issuer would get the key of `kate@…`.
    pub fn normalize<'a>(&self, value: &'a str) -> alloc::borrow::Cow<'a, str> {
        if self.lowercase && value.bytes().any(|b| b.is_ascii_uppercase()) {
            alloc::borrow::Cow::Owned(value.to_ascii_lowercase())
        } else {
            alloc::borrow::Cow::Borrowed(value)
        }
    }
}

/// The kind of key that a login under a verifier gets.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub enum KeyType {
    /// A key from the DKG buffer that the user reconstructs from ⌊n/2⌋+1 node shares (Torus
    /// DirectAuth, served to `@toruslabs/torus.js`).
    DirectAuth,
    /// A threshold-signing key that also needs the user's device share and is never
    /// reconstructed. Recorded now; served by a later issue.
    ThresholdSigning,
}

/// The longest maximum token age a verifier may set, in seconds (one day). Nodes apply it to
/// verifiers recorded before it existed too, so that no accepted token lives longer and the
/// nodes' replay guards stay bounded.
pub const MAX_TOKEN_AGE_SECS: u64 = 24 * 3600;

/// Everything a node needs to verify a verifier's id tokens.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub struct VerifierConfig {
    /// The expected `iss`.
    pub issuer: Issuer,
    /// The accepted `aud` values; a token is accepted if any of its audiences is listed.
    pub audiences: BoundedVec<Audience, MaxAudiences>,
    /// The keys that may sign tokens. Empty means that no token is accepted.
    pub jwks: Jwks,
    /// Which claim is the user's id.
    pub id_claim: IdClaimRule,
    /// The maximum age of a token in seconds, measured from its `iat`: 1 to
    /// [`MAX_TOKEN_AGE_SECS`]. A token's `exp` may also lie at most this long after its `iat`.
    pub max_token_age_secs: u64,
    /// The kind of key a login gets. Fixed at registration.
    pub key_type: KeyType,
}

/// Why a [`VerifierConfig`] or a verifier name is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InvalidVerifier {
    /// The name is empty or has a byte that is not printable ASCII without space.
    Name,
    /// The issuer is empty.
    EmptyIssuer,
    /// No audience is given, or one is empty.
    Audiences,
    /// Two audiences are equal.
    DuplicateAudience,
    /// A JWK is not well formed (see [`Jwk::is_well_formed`]).
    Jwk,
    /// Two JWKs have the same `kid`.
    DuplicateKid,
    /// A named id claim has an empty name.
    ClaimName,
    /// The maximum token age is zero or above [`MAX_TOKEN_AGE_SECS`].
    TokenAge,
}

/// Whether `name` can name a verifier: 1 to [`MAX_VERIFIER_NAME_LEN`] printable ASCII
/// characters without space (`!`..=`~`), the bound being enforced by the type.
///
/// [`MAX_VERIFIER_NAME_LEN`]: crate::limits::MAX_VERIFIER_NAME_LEN
pub fn is_valid_verifier_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(u8::is_ascii_graphic)
}

/// [`is_valid_verifier_name`] as a check that names the defect.
pub fn validate_verifier_name(name: &[u8]) -> Result<(), InvalidVerifier> {
    if is_valid_verifier_name(name) {
        Ok(())
    } else {
        Err(InvalidVerifier::Name)
    }
}

/// Whether `jwks` has two keys with the same `kid`.
pub fn has_duplicate_kid(jwks: &[Jwk]) -> bool {
    jwks.iter()
        .enumerate()
        .any(|(i, key)| jwks[i + 1..].iter().any(|other| other.kid == key.kid))
}

impl VerifierConfig {
    /// Checks everything about the configuration that does not need curve or RSA arithmetic.
    pub fn validate(&self) -> Result<(), InvalidVerifier> {
        if self.issuer.is_empty() {
            return Err(InvalidVerifier::EmptyIssuer);
        }
        if self.audiences.is_empty() || self.audiences.iter().any(|aud| aud.is_empty()) {
            return Err(InvalidVerifier::Audiences);
        }
        let audiences = &self.audiences;
        if audiences
            .iter()
            .enumerate()
            .any(|(i, aud)| audiences[i + 1..].iter().any(|other| other == aud))
        {
            return Err(InvalidVerifier::DuplicateAudience);
        }
        if !self.jwks.iter().all(Jwk::is_well_formed) {
            return Err(InvalidVerifier::Jwk);
        }
        if has_duplicate_kid(&self.jwks) {
            return Err(InvalidVerifier::DuplicateKid);
        }
        if let IdClaim::Named(name) = &self.id_claim.claim {
            if name.is_empty() {
                return Err(InvalidVerifier::ClaimName);
            }
        }
        if self.max_token_age_secs == 0 || self.max_token_age_secs > MAX_TOKEN_AGE_SECS {
            return Err(InvalidVerifier::TokenAge);
        }
        Ok(())
    }
}

/// A registered verifier as stored on chain.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub struct VerifierRecord<AccountId, Balance> {
    /// The account that may change or remove the verifier.
    pub owner: AccountId,
    /// The account whose funds are held as the deposit; it gets them back on removal, even
    /// after ownership was transferred.
    pub depositor: AccountId,
    /// The amount held from `depositor`.
    pub deposit: Balance,
    /// The configuration.
    pub config: VerifierConfig,
}

/// What an announced change of a verifier replaces (the owner call that announced it).
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub enum VerifierChange {
    /// The whole configuration (`update_config`).
    Config,
    /// The JWKS (`rotate_jwks`).
    Jwks,
    /// One key added to the JWKS (`add_jwk`), by its `kid`.
    AddJwk(JwkKeyId),
}

/// A change of a verifier that was announced and is not in effect yet. A verifier has at most
/// one; until `effective_at` the verifier keeps its current configuration.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen, Debug,
)]
pub struct PendingChange<BlockNumber> {
    /// What the change replaces.
    pub change: VerifierChange,
    /// The block from which on the verifier has `config` (applied when that block starts).
    pub effective_at: BlockNumber,
    /// The whole configuration the verifier will have, already checked.
    pub config: VerifierConfig,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn bounded<S: sp_core::Get<u32>>(bytes: &[u8]) -> BoundedVec<u8, S> {
        BoundedVec::try_from(bytes.to_vec()).expect("test value fits")
    }

    fn rsa_key(kid: &[u8]) -> Jwk {
        Jwk {
            kid: bounded(kid),
            alg: JwkAlg::RS256,
            params: JwkParams::Rsa {
                n: bounded(&[0xc3; 256]),
                e: bounded(&[1, 0, 1]),
            },
        }
    }

    fn config() -> VerifierConfig {
        VerifierConfig {
            issuer: bounded(b"https://accounts.google.com"),
            audiences: BoundedVec::try_from(vec![bounded(b"client-1")]).expect("fits"),
            jwks: BoundedVec::try_from(vec![rsa_key(b"k1"), rsa_key(b"k2")]).expect("fits"),
            id_claim: IdClaimRule {
                claim: IdClaim::Email,
                lowercase: true,
            },
            max_token_age_secs: 60,
            key_type: KeyType::DirectAuth,
        }
    }

    #[test]
    fn a_complete_config_is_valid() {
        assert_eq!(config().validate(), Ok(()));
    }

    #[test]
    fn each_config_defect_is_named() {
        let mut c = config();
        c.issuer = bounded(b"");
        assert_eq!(c.validate(), Err(InvalidVerifier::EmptyIssuer));

        let mut c = config();
        c.audiences = BoundedVec::new();
        assert_eq!(c.validate(), Err(InvalidVerifier::Audiences));

        let mut c = config();
        c.audiences = BoundedVec::try_from(vec![bounded(b"a"), bounded(b"a")]).expect("fits");
        assert_eq!(c.validate(), Err(InvalidVerifier::DuplicateAudience));

        let mut c = config();
        c.jwks = BoundedVec::try_from(vec![rsa_key(b"k1"), rsa_key(b"k1")]).expect("fits");
        assert_eq!(c.validate(), Err(InvalidVerifier::DuplicateKid));

        let mut c = config();
        c.jwks = BoundedVec::try_from(vec![rsa_key(b"")]).expect("fits");
        assert_eq!(c.validate(), Err(InvalidVerifier::Jwk));

        let mut c = config();
        c.id_claim.claim = IdClaim::Named(bounded(b""));
        assert_eq!(c.validate(), Err(InvalidVerifier::ClaimName));

        let mut c = config();
        c.max_token_age_secs = 0;
        assert_eq!(c.validate(), Err(InvalidVerifier::TokenAge));
        c.max_token_age_secs = MAX_TOKEN_AGE_SECS + 1;
        assert_eq!(c.validate(), Err(InvalidVerifier::TokenAge));
        c.max_token_age_secs = MAX_TOKEN_AGE_SECS;
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn an_algorithm_must_fit_its_key_material() {
        let ec = |alg, curve| Jwk {
            kid: bounded(b"ec"),
            alg,
            params: JwkParams::Ec {
                curve,
                x: [1; 32],
                y: [2; 32],
            },
        };
        assert!(ec(JwkAlg::ES256, EcCurve::P256).is_well_formed());
        assert!(ec(JwkAlg::ES256K, EcCurve::Secp256k1).is_well_formed());
        assert!(!ec(JwkAlg::ES256, EcCurve::Secp256k1).is_well_formed());
        assert!(!ec(JwkAlg::RS256, EcCurve::P256).is_well_formed());
        let mut rsa = rsa_key(b"r");
        rsa.alg = JwkAlg::ES256K;
        assert!(!rsa.is_well_formed());
        let empty_exponent = Jwk {
            kid: bounded(b"r"),
            alg: JwkAlg::PS256,
            params: JwkParams::Rsa {
                n: bounded(&[1; 4]),
                e: bounded(b""),
            },
        };
        assert!(!empty_exponent.is_well_formed());
    }

    /// The node and clients decode verifiers: the SCALE encoding must not drift.
    #[test]
    fn the_scale_encoding_of_a_verifier_config_is_pinned() {
        use codec::Encode;
        let config = VerifierConfig {
            issuer: bounded(b"iss"),
            audiences: BoundedVec::try_from(vec![bounded(b"aud")]).expect("fits"),
            jwks: BoundedVec::try_from(vec![Jwk {
                kid: bounded(b"k"),
                alg: JwkAlg::ES256K,
                params: JwkParams::Ec {
                    curve: EcCurve::Secp256k1,
                    x: [1; 32],
                    y: [2; 32],
                },
            }])
            .expect("fits"),
            id_claim: IdClaimRule {
                claim: IdClaim::Named(bounded(b"id")),
                lowercase: true,
            },
            max_token_age_secs: 60,
            key_type: KeyType::ThresholdSigning,
        };
        let mut expected = vec![0x0c, b'i', b's', b's', 0x04, 0x0c, b'a', b'u', b'd'];
        // One JWK: kid "k", alg ES256K (7), Ec (1) on secp256k1 (1), x, y.
        expected.extend([0x04, 0x04, b'k', 7, 1, 1]);
        expected.extend([1; 32]);
        expected.extend([2; 32]);
        // Named (2) "id", lower-cased; 60 s; ThresholdSigning (1).
        expected.extend([2, 0x08, b'i', b'd', 1]);
        expected.extend(60u64.to_le_bytes());
        expected.push(1);
        assert_eq!(config.encode(), expected);
    }

    #[test]
    fn names_are_printable_ascii_without_space() {
        assert!(is_valid_verifier_name(b"torus-google_v2.0"));
        assert!(!is_valid_verifier_name(b""));
        assert!(!is_valid_verifier_name(b"has space"));
        assert!(!is_valid_verifier_name("caf\u{e9}".as_bytes()));
        assert_eq!(validate_verifier_name(b"a b"), Err(InvalidVerifier::Name));
        assert_eq!(validate_verifier_name(b"ab"), Ok(()));
    }

    #[test]
    fn a_lowercasing_rule_refuses_upper_case_ids() {
        let rule = IdClaimRule {
            claim: IdClaim::Email,
            lowercase: true,
        };
        assert!(rule.is_normalized(b"alice@example.com"));
        assert!(!rule.is_normalized(b"Alice@example.com"));
        let keep_case = IdClaimRule {
            claim: IdClaim::Sub,
            lowercase: false,
        };
        assert!(keep_case.is_normalized(b"AbC123"));
    }

    #[test]
    fn normalizing_folds_ascii_only_so_look_alikes_stay_apart() {
        let rule = IdClaimRule {
            claim: IdClaim::Email,
            lowercase: true,
        };
        assert_eq!(rule.normalize("Kate@Example.COM"), "kate@example.com");
        // The Kelvin sign lower-cases to `k` under full Unicode rules; here it stays itself.
        assert_eq!("\u{212A}ate".to_lowercase(), "kate");
        assert_eq!(
            rule.normalize("\u{212A}ate@example.com"),
            "\u{212A}ate@example.com"
        );
        assert_ne!(
            rule.normalize("\u{212A}ate@example.com"),
            rule.normalize("Kate@example.com")
        );
        for id in ["Kate@Example.COM", "\u{212A}ate@x", "ÀLICE@x", "bob"] {
            assert!(rule.is_normalized(rule.normalize(id).as_bytes()), "{id}");
        }
        let keep_case = IdClaimRule {
            claim: IdClaim::Sub,
            lowercase: false,
        };
        assert_eq!(keep_case.normalize("AbC"), "AbC");
    }

    #[test]
    fn every_algorithm_has_its_jws_name() {
        for (alg, name) in [
            (JwkAlg::RS256, "RS256"),
            (JwkAlg::RS384, "RS384"),
            (JwkAlg::RS512, "RS512"),
            (JwkAlg::PS256, "PS256"),
            (JwkAlg::PS384, "PS384"),
            (JwkAlg::PS512, "PS512"),
            (JwkAlg::ES256, "ES256"),
            (JwkAlg::ES256K, "ES256K"),
        ] {
            assert_eq!(alg.name(), name);
        }
    }
}
