//! The method names of the Torus JSON-RPC API.

/// `VerifierLookupRequest`: look a user's key up without assigning one.
pub const VERIFIER_LOOKUP: &str = "VerifierLookupRequest";
/// `GetPubKeyOrKeyAssign`: look a user's key up, assigning one on first use.
pub const GET_PUB_KEY_OR_KEY_ASSIGN: &str = "GetPubKeyOrKeyAssign";
/// `CommitmentRequest`: the commit phase of a login.
pub const COMMITMENT_REQUEST: &str = "CommitmentRequest";
/// `GetShareOrKeyAssign`: the reveal phase of a login, returning encrypted shares.
pub const GET_SHARE_OR_KEY_ASSIGN: &str = "GetShareOrKeyAssign";

/// The four methods.
pub const ALL: [&str; 4] = [
    VERIFIER_LOOKUP,
    GET_PUB_KEY_OR_KEY_ASSIGN,
    COMMITMENT_REQUEST,
    GET_SHARE_OR_KEY_ASSIGN,
];

/// `torus_nodeDetails`: the committee that holds a user's key (or new keys), with the
/// endpoints, public keys and indexes torus.js takes; served by every node.
pub const NODE_DETAILS: &str = "torus_nodeDetails";
