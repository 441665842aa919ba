//! # torus-crypto
//!
//! The cryptographic core of Torus: pure functions and explicit state machines, no I/O and
//! no Substrate. The runtime *verifies* with it (builds `no_std` for `wasm32-unknown-unknown`
//! with `--no-default-features`), the node's keyholder worker *drives* protocols with it, and
//! the client *reconstructs* with it.
//!
//! ## Modules
//! | module | what | who uses it |
//! |---|---|---|
//! | [`vss`] | Shamir sharing, Feldman and Pedersen commitments, Lagrange interpolation at any `x` (scalars and points) | all |
//! | [`dkg`] | batched DKG / zero-sharing refresh / resharing state machine, complaints, qualified set, group commitments | node (drive), runtime (verify) |
//! | [`tss`] | TSS keys (network key + the user's factors, never assembled) and their threshold BIP340 signatures with FROST | client (coordinates), node (signs) |
//! | [`htss`] | hierarchical threshold sharing (Tassa) with exact Birkhoff interpolation | node, client |
//! | [`ecies`] | ECIES byte-compatible with `@toruslabs/eccrypto` (the Torus client's) | node, client, runtime (complaints) |
//! | [`dleq`] | Chaum–Pedersen proof of equal discrete logs (complaints) | runtime, node |
//! | [`msm`] | variable-time Pippenger multiscalar multiplication for batch verification | internal, benches |
//! | [`encoding`] | validating fixed-size wire encodings (33-byte points, 32-byte scalars) | runtime (wraps them in SCALE types) |
//! | [`error`] | one `#[non_exhaustive]` error enum whose variants name the culprit | all |
//!
//! ## Conventions and decisions
//! - **Indexes** are 1-based (`x = 1..=n`, [`Index`] = `u16`); index 0 is refused
//!   ([`Error::ZeroIndex`]). **Threshold `t`** means `t` shares reconstruct (degree `t − 1`).
//!   The Torus client reconstructs DirectAuth keys from `⌊n/2⌋ + 1` shares: deal those keys
//!   with `t = n/2 + 1`.
//! - **Curve:** secp256k1 from `k256` 0.13 (the copy `sp-core` links). Hashes: SHA-256
//!   (Pedersen generator), SHA-512 (ECIES KDF, Fiat–Shamir with wide reduction).
//! - **Wire types** are plain structs of fixed-size byte arrays and `Vec`s, with validating
//!   parsers; points are 33-byte compressed (the identity has no encoding and is refused),
//!   scalars 32 bytes big-endian below the group order. No SCALE dependency here.
//! - **DKG** is Pedersen's joint-Feldman DKG (as in FROST's keygen) with GJKR-style
//!   complaints; see [`dkg`] for the security argument and the one-MSM batch verification.
//!   Refresh omits the constant-term commitment (it is the identity); resharing omits it too
//!   (it must equal the dealer's old public share, which verifiers compute from the old group
//!   commitments), so neither can change a public key.
//! - **Complaints** reveal the ECDH point of one ciphertext with a DLEQ proof bound to the
//!   session id, dealer, complainer and key; [`dkg::verify_complaint`] decides, with no
//!   secret, whether the dealer or the complainer is at fault. Each dealing ciphertext
//!   carries a proof of knowledge of its ephemeral key, so a complaint never reveals the ECDH
//!   point of a ciphertext that someone other than the accused dealer made. The recipients'
//!   DKG encryption keys should be dedicated to the DKG.
//! - **Dealing commitments are uncompressed** (65 bytes): decoding thousands of compressed
//!   points per session (one square root each) cost more than the whole batched check.
//! - **Authentication** of dealings and complaints (who posted them) is the chain's job:
//!   these types carry indexes, not signatures.
//! - **Secrets** (`SecretShare`, `SecretPolynomial`, `KeyShares`, `HtssShare`,
//!   `EncryptionSecretKey`, decrypted plaintexts) zeroize on drop and print `<redacted>`.
//! - **Randomness** is always passed in (`rng: &mut (impl RngCore + CryptoRng)`).
//! - **No panics** in library code: `unwrap`/`expect`/`panic!` are denied by clippy outside
//!   tests; every malformed input is a typed [`Error`].
//! - **HTSS identities** should be allocated monotonically (more important levels get smaller
//!   indexes); then every admissible set reconstructs (Tassa, Thm. 3). Otherwise a singular
//!   Birkhoff system is refused with [`Error::NotAdmissible`], never answered wrongly.
//!
//! ## Checks (CI)
//! ```text
//! cargo test -p torus-crypto
//! cargo clippy -p torus-crypto --all-targets -- -D warnings
//! cargo check -p torus-crypto --no-default-features --target wasm32-unknown-unknown
//! (cd primitives/crypto/tests/fixtures/eccrypto && npm ci && node check-rust.mjs)
//! ```
//! `node make-fixture.mjs` in the same directory regenerates `eccrypto-fixture.json` with the
//! published `@toruslabs/eccrypto`; `TORUS_REGENERATE_FIXTURES=1 cargo test -p torus-crypto
//! --test ecies` regenerates `rust-ciphertexts.json`, which `check-rust.mjs` decrypts with it.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;

pub mod dkg;
pub mod dleq;
pub mod ecies;
pub mod encoding;
pub mod error;
pub mod htss;
pub mod msm;
pub mod tss;
pub mod vss;

pub use error::{DealingFault, Error, Index, Result};
pub use k256::{AffinePoint, ProjectivePoint, Scalar};
