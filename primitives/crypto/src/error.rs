//! Typed errors. Every variant that a misbehaving party can cause names that party, so the
//! runtime can turn it into a fraud-proof verdict without interpreting strings.

/// Participant index: 1-based position in a committee (the Shamir x-coordinate).
pub type Index = u16;

/// What is wrong with a dealing, independently of any secret (anyone can check it).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealingFault {
    /// The number of commitment points is not `batch_size × coefficients per key`.
    CommitmentCount,
    /// A commitment point does not decode to a non-identity curve point.
    CommitmentPoint,
    /// The number of ciphertexts is not the number of recipients.
    CiphertextCount,
    /// A ciphertext has the wrong length or an invalid ephemeral key.
    Ciphertext,
    /// The dealer index is not a member of the dealer committee.
    UnknownDealer,
    /// The number of ephemeral-key proofs is not the number of recipients, or one does not
    /// verify (the ciphertext may be copied from someone else).
    EphemeralProof,
}

/// Errors of `torus-crypto`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    // ---- encoding -------------------------------------------------------------------------
    /// A byte string has the wrong length.
    #[error("wrong length: expected {expected} bytes, got {actual}")]
    WrongLength {
        /// Expected length in bytes.
        expected: usize,
        /// Actual length in bytes.
        actual: usize,
    },
    /// Bytes that do not encode a point of secp256k1.
    #[error("malformed curve point")]
    MalformedPoint,
    /// The identity point where a proper point is required (it has no SEC1 compressed form).
    #[error("identity point not allowed")]
    IdentityPoint,
    /// A scalar encoding that is not canonical (≥ the group order).
    #[error("malformed scalar (not below the group order)")]
    MalformedScalar,
    /// A zero scalar where a non-zero one is required (secret keys, indexes, x-coordinates).
    #[error("zero scalar not allowed")]
    ZeroScalar,

    // ---- sharing parameters ---------------------------------------------------------------
    /// Participant index 0 (indexes are 1-based; x = 0 is the secret).
    #[error("participant index 0 (indexes are 1-based)")]
    ZeroIndex,
    /// The same participant index appears twice.
    #[error("duplicate participant index {index}")]
    DuplicateIndex {
        /// The repeated index.
        index: Index,
    },
    /// An index outside `1..=n`.
    #[error("index {index} outside 1..={n}")]
    IndexOutOfRange {
        /// The offending index.
        index: Index,
        /// Committee size.
        n: Index,
    },
    /// A threshold that is 0 or larger than the committee.
    #[error("invalid threshold {t} for {n} participants")]
    InvalidThreshold {
        /// Threshold (shares needed to reconstruct).
        t: Index,
        /// Committee size.
        n: Index,
    },
    /// Fewer shares than needed.
    #[error("not enough shares: need {needed}, got {got}")]
    NotEnoughShares {
        /// Shares needed.
        needed: usize,
        /// Shares given.
        got: usize,
    },
    /// Inputs of different lengths that must match (batch sizes, share vectors).
    #[error("length mismatch: expected {expected}, got {actual}")]
    LengthMismatch {
        /// Expected number of items.
        expected: usize,
        /// Actual number of items.
        actual: usize,
    },
    /// A configuration that cannot be run (e.g. refresh with different committees).
    #[error("invalid session configuration")]
    InvalidConfig,

    // ---- VSS ------------------------------------------------------------------------------
    /// No `t`-subset of the shares interpolates to the expected public key.
    #[error("no subset of the shares matches the public key")]
    NoMatchingSubset,
    /// A share does not match the public commitments.
    #[error("share of participant {index} does not match the commitments")]
    InvalidShare {
        /// Index of the share holder.
        index: Index,
    },

    // ---- ECIES / proofs -------------------------------------------------------------------
    /// The ECIES MAC does not verify (wrong key or tampered ciphertext).
    #[error("ECIES MAC check failed")]
    BadMac,
    /// The ECIES plaintext padding is invalid.
    #[error("ECIES padding invalid")]
    BadPadding,
    /// A Chaum–Pedersen (DLEQ) proof does not verify.
    #[error("invalid DLEQ proof")]
    InvalidProof,

    // ---- DKG / refresh / resharing: each names the culprit --------------------------------
    /// A dealing is malformed; anyone can see it. The dealer is disqualified.
    #[error("dealer {dealer} sent a malformed dealing: {fault:?}")]
    MalformedDealing {
        /// The dealer.
        dealer: Index,
        /// What is wrong.
        fault: DealingFault,
    },
    /// Two dealings from the same dealer.
    #[error("dealer {dealer} sent two dealings")]
    DuplicateDealing {
        /// The dealer.
        dealer: Index,
    },
    /// A dealer's share for one key does not match its commitments.
    #[error(
        "dealer {dealer}: share for key {key} sent to {recipient} does not match its commitments"
    )]
    InvalidDealerShare {
        /// The dealer (culprit).
        dealer: Index,
        /// The recipient.
        recipient: Index,
        /// Position of the key in the batch.
        key: u32,
    },
    /// A dealer's ciphertext for a recipient does not decrypt (bad MAC, padding or length).
    #[error("dealer {dealer}: ciphertext for {recipient} does not decrypt")]
    UndecryptableShares {
        /// The dealer (culprit).
        dealer: Index,
        /// The recipient.
        recipient: Index,
    },
    /// A complaint that does not hold: the share is fine, or the proof is bad.
    #[error("false complaint by {complainer} against dealer {dealer}")]
    FalseComplaint {
        /// The complainer (culprit).
        complainer: Index,
        /// The accused dealer.
        dealer: Index,
    },
    /// A complaint that does not refer to this session's dealing or committee.
    #[error("complaint by {complainer} does not match the dealing of {dealer}")]
    MismatchedComplaint {
        /// The complainer (culprit).
        complainer: Index,
        /// The dealer named in the complaint.
        dealer: Index,
    },
    /// The chain's qualified set contains a dealer whose share to us is bad (our complaint
    /// was not included); the local node must not use the result.
    #[error("qualified dealer {dealer} gave us a bad share")]
    QualifiedDealerFaulty {
        /// The dealer.
        dealer: Index,
    },
    /// Too few qualified dealers to finish the session.
    #[error("only {got} qualified dealers, need {needed}")]
    NotEnoughQualified {
        /// Minimum number of qualified dealers.
        needed: usize,
        /// Qualified dealers.
        got: usize,
    },

    // ---- HTSS -----------------------------------------------------------------------------
    /// A set of hierarchical shares that cannot reconstruct the secret.
    #[error("share set is not admissible for the hierarchical access structure")]
    NotAdmissible,
    /// An HTSS level or structure that is invalid (thresholds not increasing, etc.).
    #[error("invalid hierarchical access structure")]
    InvalidHierarchy,
}

/// Result type of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
