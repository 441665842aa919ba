//! # torus-client
//!
//! The Torus network's own Rust client: what `@toruslabs/torus.js` does for web apps, for Rust
//! programs, plus the chain-side tools of dapp developers. The `torus` command-line tool is
//! built on it.
//!
//! | module | what |
//! |---|---|
//! | [`client`] | [`TorusClient`]: key lookup ([`lookup`](TorusClient::lookup), non-assigning; [`get_or_assign`](TorusClient::get_or_assign)) and login ([`retrieve_key`](TorusClient::retrieve_key)) over the Torus JSON-RPC API |
//! | [`keys`] | public/private key types, share-subset reconstruction, the nonce that gives the final key |
//! | [`wire`] | the method names, error codes and JSON of the Torus JSON-RPC API (`torus-rpc-api`, shared with the nodes) |
//! | [`encoding`] | hex, base64, keccak-256, EIP-55 addresses |
//! | [`chain`] | signed extrinsics of the Torus runtime, submission and events, runtime API calls |
//! | [`verifier`], [`jwks`] | verifier configurations from a dapp's settings and its issuer's JWKS |
//! | [`dev_issuer`] | a local OpenID issuer that mints id tokens, for demos and tests |
//! | [`http`] | a minimal plain-HTTP `GET` (JWKS download) |
//!
//! ## Logging in
//! ```no_run
//! # async fn demo(id_token: &str) -> Result<(), torus_client::Error> {
//! use torus_client::TorusClient;
//! let client = TorusClient::new(vec![
//!     "http://127.0.0.1:9944".into(),
//!     "http://127.0.0.1:9945".into(),
//!     "http://127.0.0.1:9946".into(),
//!     "http://127.0.0.1:9947".into(),
//! ]);
//! // Before a login: the address the user will get (assigns a key on first use).
//! let info = client.get_or_assign("my-dapp", "alice@example.com").await?;
//! // The login: an id token of the verifier's issuer for that user, used once.
//! let key = client.retrieve_key("my-dapp", "alice@example.com", id_token).await?;
//! assert_eq!(key.address(), info.address);
//! let secret = key.private_key_hex(); // zeroized when dropped; never logged
//! # drop(secret);
//! # Ok(()) }
//! ```
//!
//! ## Conventions
//! - Thresholds follow the client protocol: with `n` endpoints, ⌊n/2⌋+1 matching answers (and
//!   shares) and ⌊3n/4⌋+1 commitments. Endpoint order matters where `torus.js`'s does (which
//!   reply's nonce is used, which share subsets are tried first).
//! - Secrets (private keys, the session key, decrypted shares and session tokens) zeroize on
//!   drop and print as `<redacted>`.
//! - Errors are typed; the nodes' own error strings are kept ([`Error::node_messages`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod chain;
pub mod client;
pub mod dev_issuer;
pub mod error;
pub mod http;
pub mod jwks;
pub mod keys;
pub mod verifier;
/// The Torus JSON-RPC API's method names, error codes and JSON (the crate `torus-rpc-api`,
/// which the nodes serve from).
pub use torus_rpc_api as wire;
/// Hex, base64, keccak-256 and EIP-55 addresses, as the Torus JSON-RPC API spells them.
pub use torus_rpc_api::encoding;

pub use client::{
    half_threshold, three_quarters_threshold, PublicKeyInfo, RetrievedKey, SessionData,
    SessionToken, TorusClient,
};
pub use error::{Error, NodeError, NodeFailure, NodeReport};
pub use keys::{PrivateKey, PublicKey};
