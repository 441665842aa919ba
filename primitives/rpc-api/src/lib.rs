//! # torus-rpc-api
//!
//! The definition of the Torus JSON-RPC API (login → key), in one place for the node that
//! serves it (`torus-node`) and the clients that call it (`torus-client`), as
//! `sc-rpc-api` is for Substrate's RPC. It speaks the protocol of the published
//! `@toruslabs/torus.js` 17 client (the "sapphire" DKG flow); `docs/TORUS-API.md` describes it
//! for client authors.
//!
//! | module | what |
//! |---|---|
//! | [`methods`] | the method names |
//! | [`codes`] | the stable error codes of refusals |
//! | [`params`] | the parameters of each method (what a client sends, what a node reads) |
//! | [`replies`] | the results, and the ECIES fields a client decrypts |
//! | [`node_details`] | `torus_nodeDetails`: where the holders of a key are |
//! | [`encoding`] | hex numbers and points, base64, keccak-256, EIP-55 addresses |
//!
//! Serialization writes exactly what a node sends; deserialization is lenient where
//! `torus.js` is (unknown fields ignored, optional fields defaulted, hex in any case and
//! padding), so one type serves both sides.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codes;
pub mod encoding;
pub mod methods;
pub mod node_details;
pub mod params;
pub mod replies;

pub use methods::*;
pub use node_details::*;
pub use params::*;
pub use replies::*;
