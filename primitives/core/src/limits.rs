//! Bounds on every variable-length field of the shared types.
//!
//! Each bound is a `u32` constant (exposed by the pallets as metadata constants) and a matching
//! [`ConstU32`] type used as the bound of a [`BoundedVec`](sp_runtime::BoundedVec).

use sp_core::ConstU32;

/// Maximum length in bytes of a verifier name (the `verifieridentifier` of the client protocol).
pub const MAX_VERIFIER_NAME_LEN: u32 = 64;
/// Maximum length in bytes of a user's id under a verifier (`verifier_id`; e.g. an e-mail address).
pub const MAX_VERIFIER_ID_LEN: u32 = 256;
/// Maximum length in bytes of a TSS key's tag (see [`crate::keys::UserIdKind`]).
pub const MAX_TSS_TAG_LEN: u32 = 64;
/// Maximum length in bytes of the id a key is assigned under: a verifier id, or a TSS key's
/// `verifier_id ‖ U+0015 ‖ tag ‖ U+0016 ‖ nonce` (at most 10 digits).
pub const MAX_USER_ID_LEN: u32 = MAX_VERIFIER_ID_LEN + 1 + MAX_TSS_TAG_LEN + 1 + 10;
/// Maximum length in bytes of an issuer (`iss`).
pub const MAX_ISSUER_LEN: u32 = 256;
/// Maximum length in bytes of one accepted audience (`aud`).
pub const MAX_AUDIENCE_LEN: u32 = 256;
/// Maximum number of accepted audiences of one verifier.
pub const MAX_AUDIENCES: u32 = 16;
/// Maximum number of keys in the JWKS of one verifier.
pub const MAX_JWKS: u32 = 16;
/// Maximum length in bytes of a JWK key id (`kid`).
pub const MAX_KID_LEN: u32 = 128;
/// Maximum length in bytes of an RSA modulus (`n`): 4096-bit keys.
pub const MAX_RSA_MODULUS_LEN: u32 = 512;
/// Maximum length in bytes of an RSA public exponent (`e`).
pub const MAX_RSA_EXPONENT_LEN: u32 = 8;
/// Maximum length in bytes of the name of a custom id claim.
pub const MAX_CLAIM_NAME_LEN: u32 = 64;

/// Bound type of [`MAX_VERIFIER_NAME_LEN`].
pub type MaxVerifierNameLen = ConstU32<MAX_VERIFIER_NAME_LEN>;
/// Bound type of [`MAX_VERIFIER_ID_LEN`].
pub type MaxVerifierIdLen = ConstU32<MAX_VERIFIER_ID_LEN>;
/// Bound type of [`MAX_USER_ID_LEN`].
pub type MaxUserIdLen = ConstU32<MAX_USER_ID_LEN>;
/// Bound type of [`MAX_ISSUER_LEN`].
pub type MaxIssuerLen = ConstU32<MAX_ISSUER_LEN>;
/// Bound type of [`MAX_AUDIENCE_LEN`].
pub type MaxAudienceLen = ConstU32<MAX_AUDIENCE_LEN>;
/// Bound type of [`MAX_AUDIENCES`].
pub type MaxAudiences = ConstU32<MAX_AUDIENCES>;
/// Bound type of [`MAX_JWKS`].
pub type MaxJwks = ConstU32<MAX_JWKS>;
/// Bound type of [`MAX_KID_LEN`].
pub type MaxKidLen = ConstU32<MAX_KID_LEN>;
/// Bound type of [`MAX_RSA_MODULUS_LEN`].
pub type MaxRsaModulusLen = ConstU32<MAX_RSA_MODULUS_LEN>;
/// Bound type of [`MAX_RSA_EXPONENT_LEN`].
pub type MaxRsaExponentLen = ConstU32<MAX_RSA_EXPONENT_LEN>;
/// Bound type of [`MAX_CLAIM_NAME_LEN`].
pub type MaxClaimNameLen = ConstU32<MAX_CLAIM_NAME_LEN>;
