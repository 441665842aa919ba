//! The stable JSON-RPC error codes of the Torus API's refusals (`docs/TORUS-API.md` lists them
//! with their meaning). A refusal is `{code, message, data}` with `data` equal to `message`,
//! the string `torus.js` shows; clients recognise a refusal by its code, never by its text.

/// The parameters do not parse.
pub const INVALID_PARAMS: i32 = -32602;
/// No DirectAuth verifier is registered under the name.
pub const VERIFIER_NOT_SUPPORTED: i32 = 1001;
/// The user has no key yet (a lookup).
pub const NOT_ASSIGNED: i32 = 1002;
/// The chain refused to assign a key.
pub const ASSIGNMENT_REFUSED: i32 = 1003;
/// The assignment (or a just-registered verifier) did not reach a finalized block in time.
pub const ASSIGNMENT_TIMEOUT: i32 = 1004;
/// The verifier's key allowance is spent.
pub const ALLOWANCE_SPENT: i32 = 1005;
/// The verifier has had as many new keys in this block as a block allows.
pub const VERIFIER_BLOCK_FULL: i32 = 1006;
/// The commitment's prefix is not `mug00`.
pub const WRONG_PREFIX: i32 = 2001;
/// The commitment is not 64 hex digits.
pub const BAD_COMMITMENT: i32 = 2002;
/// The client's session key is not a curve point.
pub const BAD_SESSION_KEY: i32 = 2003;
/// A commitment or token seen before (a replay).
pub const DUPLICATE_TOKEN: i32 = 2004;
/// A field is longer than the API accepts.
pub const TOO_LONG: i32 = 2005;
/// Too few valid node signatures on the commitment.
pub const NOT_ENOUGH_SIGNATURES: i32 = 3001;
/// The id token does not match the signed commitment.
pub const COMMITMENT_MISMATCH: i32 = 3002;
/// `verifier_id` is not the token's id claim.
pub const VERIFIER_ID_MISMATCH: i32 = 3003;
/// The session lifetime is out of range.
pub const BAD_SESSION_LIFETIME: i32 = 3004;
/// More node signatures than committee members.
pub const TOO_MANY_SIGNATURES: i32 = 3005;
/// The id token was refused: the code is this plus the id-token error's own code (1–99).
pub const ID_TOKEN_BASE: i32 = 3100;
/// This node cannot serve the key (not in the committee, no share, or a share that does not
/// match the key's commitments).
pub const NO_SHARE: i32 = 4002;
/// `torus_nodeDetails`: the epoch that holds the key is not recorded.
pub const UNKNOWN_EPOCH: i32 = 4003;
/// `GetShareOrKeyAssign` for a threshold-signing verifier: its keys are never released.
pub const NEVER_RELEASED: i32 = 4004;
/// The caller is over its request rate for the verifier.
pub const RATE_LIMITED: i32 = 4290;
/// The node remembers too many logins at once.
pub const BUSY: i32 = 4291;
/// The caller's IP address is over its request rate.
pub const IP_RATE_LIMITED: i32 = 4292;
/// The node failed (details in its log).
pub const INTERNAL: i32 = 5001;

/// The message of [`NOT_ASSIGNED`], as torus.js expects it.
pub const NOT_ASSIGNED_MESSAGE: &str = "Verifier + VerifierID has not yet been assigned";
/// The message of [`DUPLICATE_TOKEN`], as torus.js expects it.
pub const DUPLICATE_TOKEN_MESSAGE: &str = "Duplicate token found";
