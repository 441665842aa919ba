//! The Torus API's errors: one variant per cause, each with a stable JSON-RPC code, listed for
//! clients in `docs/TORUS-API.md`.

use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use torus_rpc_api::codes;

use crate::id_token::IdTokenError;

use super::MAX_SESSION_SECS;

/// A refused request. Each variant has a stable JSON-RPC code; `data` is the string that
/// torus.js shows its user, the same on every node for the same cause.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request's parameters do not parse.
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// No verifier is registered under the name, or it does not serve this kind of key (a
    /// user's own key, or a TSS key's network key).
    #[error("Verifier not supported: {0}")]
    VerifierNotSupported(String),
    /// The user has no key yet (lookup only).
    #[error("{}", codes::NOT_ASSIGNED_MESSAGE)]
    NotAssigned,
    /// The chain refused to assign a key; the reason is given.
    #[error("key assignment refused: {0}")]
    AssignmentRefused(&'static str),
    /// The assignment did not reach a finalized block in time.
    #[error("key assignment is taking longer than expected; try again")]
    AssignmentTimeout,
    /// The verifier's prepaid key allowance is spent: no new user gets a key until its owner
    /// tops it up.
    #[error("the verifier's key allowance is spent; its owner must top it up")]
    AllowanceSpent,
    /// The verifier has had as many new keys in this block as a block allows; retrying later
    /// works.
    #[error("too many new keys for this verifier in this block; try again shortly")]
    VerifierBlockFull,
    /// A request field is longer than the API accepts.
    #[error("{0} is too long")]
    TooLong(&'static str),
    /// The commitment's prefix is not `mug00`.
    #[error("message prefix must be mug00")]
    WrongPrefix,
    /// The commitment is not 64 hex digits.
    #[error("tokencommitment must be 64 hex digits")]
    BadCommitment,
    /// The client's session key is not a curve point.
    #[error("temppubx/temppuby is not a secp256k1 point")]
    BadSessionKey,
    /// The commitment (or token) was seen before.
    #[error("{}", codes::DUPLICATE_TOKEN_MESSAGE)]
    DuplicateToken,
    /// Too few valid node signatures on the commitment.
    #[error(
        "Not enough valid signatures. Only {found} valid signatures found, {required} required"
    )]
    NotEnoughSignatures {
        /// Valid signatures found.
        found: usize,
        /// Signatures required.
        required: usize,
    },
    /// More node signatures than the committee has members.
    #[error("{found} node signatures, more than the {members} members of the committee")]
    TooManySignatures {
        /// Signatures sent.
        found: usize,
        /// Committee members.
        members: usize,
    },
    /// The token does not hash to the signed commitment.
    #[error("id token does not match the signed token commitment")]
    CommitmentMismatch,
    /// The id token was refused.
    #[error("Error occurred while verifying params: {0}")]
    IdToken(IdTokenError),
    /// The request's verifier_id differs from the token's id claim.
    #[error("verifier_id does not match the id token")]
    VerifierIdMismatch,
    /// The session lifetime is out of range.
    #[error("session_token_exp_second must be between 1 and {MAX_SESSION_SECS}")]
    BadSessionLifetime,
    /// The verifier is over its request rate.
    #[error("rate limit exceeded for this verifier; try again shortly")]
    RateLimited,
    /// The caller's IP address is over its request rate.
    #[error("too many requests from your address; try again shortly")]
    IpRateLimited,
    /// The node remembers too many logins at once.
    #[error("node busy; try again shortly")]
    Busy,
    /// This node is not in the current committee or holds no share of the key.
    #[error("this node cannot serve the key: {0}")]
    NoShare(&'static str),
    /// A share of a threshold-signing verifier's key was asked for.
    #[error("the keys of a threshold-signing verifier are never released: sign with them instead")]
    NeverReleased,
    /// The node failed (runtime API, store, or a bug caught before it could stop the node);
    /// details are in its log.
    #[error("internal node error")]
    Internal,
}

impl ApiError {
    /// The stable JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            Self::InvalidParams(_) => codes::INVALID_PARAMS,
            Self::VerifierNotSupported(_) => codes::VERIFIER_NOT_SUPPORTED,
            Self::NotAssigned => codes::NOT_ASSIGNED,
            Self::AssignmentRefused(_) => codes::ASSIGNMENT_REFUSED,
            Self::AssignmentTimeout => codes::ASSIGNMENT_TIMEOUT,
            Self::AllowanceSpent => codes::ALLOWANCE_SPENT,
            Self::VerifierBlockFull => codes::VERIFIER_BLOCK_FULL,
            Self::TooLong(_) => codes::TOO_LONG,
            Self::WrongPrefix => codes::WRONG_PREFIX,
            Self::BadCommitment => codes::BAD_COMMITMENT,
            Self::BadSessionKey => codes::BAD_SESSION_KEY,
            Self::DuplicateToken => codes::DUPLICATE_TOKEN,
            Self::NotEnoughSignatures { .. } => codes::NOT_ENOUGH_SIGNATURES,
            Self::TooManySignatures { .. } => codes::TOO_MANY_SIGNATURES,
            Self::CommitmentMismatch => codes::COMMITMENT_MISMATCH,
            Self::VerifierIdMismatch => codes::VERIFIER_ID_MISMATCH,
            Self::BadSessionLifetime => codes::BAD_SESSION_LIFETIME,
            Self::IdToken(e) => codes::ID_TOKEN_BASE + e.code(),
            Self::NoShare(_) => codes::NO_SHARE,
            Self::NeverReleased => codes::NEVER_RELEASED,
            Self::RateLimited => codes::RATE_LIMITED,
            Self::IpRateLimited => codes::IP_RATE_LIMITED,
            Self::Busy => codes::BUSY,
            Self::Internal => codes::INTERNAL,
        }
    }
}

impl From<ApiError> for ErrorObjectOwned {
    fn from(e: ApiError) -> Self {
        let text = e.to_string();
        ErrorObject::owned(e.code(), text.clone(), Some(text))
    }
}

/// Logs what failed (operators read it) and answers the client with [`ApiError::Internal`].
pub(super) fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    log::warn!(target: "torus-api", "{what}: {e}");
    ApiError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_their_code_and_the_same_message_as_data() {
        let e = ErrorObjectOwned::from(ApiError::DuplicateToken);
        assert_eq!(e.code(), 2004);
        assert_eq!(e.message(), "Duplicate token found");
        assert_eq!(e.data().map(|d| d.get()), Some("\"Duplicate token found\""));
        assert_eq!(
            ApiError::IdToken(IdTokenError::Expired { exp: 1, now: 2 }).code(),
            3134
        );
        assert_eq!(
            ApiError::IdToken(IdTokenError::LifetimeTooLong {
                lifetime: 2,
                max_age: 1
            })
            .code(),
            3138
        );
    }

    /// The codes are part of the API: pinned, and distinct.
    #[test]
    fn codes_are_distinct() {
        let all = [
            ApiError::InvalidParams(String::new()),
            ApiError::VerifierNotSupported(String::new()),
            ApiError::NotAssigned,
            ApiError::AssignmentRefused("x"),
            ApiError::AssignmentTimeout,
            ApiError::AllowanceSpent,
            ApiError::VerifierBlockFull,
            ApiError::TooLong("x"),
            ApiError::WrongPrefix,
            ApiError::BadCommitment,
            ApiError::BadSessionKey,
            ApiError::DuplicateToken,
            ApiError::NotEnoughSignatures {
                found: 0,
                required: 1,
            },
            ApiError::TooManySignatures {
                found: 2,
                members: 1,
            },
            ApiError::CommitmentMismatch,
            ApiError::VerifierIdMismatch,
            ApiError::BadSessionLifetime,
            ApiError::RateLimited,
            ApiError::IpRateLimited,
            ApiError::Busy,
            ApiError::NoShare("x"),
            ApiError::Internal,
        ];
        let codes: std::collections::HashSet<i32> = all.iter().map(ApiError::code).collect();
        assert_eq!(codes.len(), all.len());
    }
}
