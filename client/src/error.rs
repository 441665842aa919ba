//! The errors of [`TorusClient`](crate::TorusClient). Nodes' own error strings (the JSON-RPC
//! `error.data`, e.g. `Duplicate token found`) are kept, per node, so that a caller can show the
//! user what the network said.

use core::fmt;

use crate::keys::KeyError;

/// A JSON-RPC error object as a node sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeError {
    /// The JSON-RPC error code.
    pub code: i32,
    /// The error message.
    pub message: String,
    /// The human-readable detail (`error.data`; a JSON string on Torus nodes, other JSON kept
    /// as its text).
    pub data: Option<String>,
}

impl NodeError {
    /// `data` if present, else `message`: the text a user should see.
    pub fn text(&self) -> &str {
        self.data.as_deref().unwrap_or(&self.message)
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.data {
            Some(data) if *data != self.message => {
                write!(f, "{data} ({}, code {})", self.message, self.code)
            }
            _ => write!(f, "{} (code {})", self.text(), self.code),
        }
    }
}

/// Why one node's reply was not usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeFailure {
    /// The node answered with a JSON-RPC error.
    Rpc(NodeError),
    /// No answer: connection refused, HTTP error status, timeout.
    Transport(String),
    /// An answer that does not follow the protocol.
    InvalidReply(String),
}

impl fmt::Display for NodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rpc(e) => write!(f, "{e}"),
            Self::Transport(e) => write!(f, "no answer: {e}"),
            Self::InvalidReply(e) => write!(f, "invalid reply: {e}"),
        }
    }
}

/// One node's failure, with the node's position in the endpoint list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeReport {
    /// 0-based position of the node in the endpoint list.
    pub node: usize,
    /// The node's endpoint.
    pub endpoint: String,
    /// What went wrong.
    pub failure: NodeFailure,
}

impl fmt::Display for NodeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "node {} ({}): {}",
            self.node + 1,
            self.endpoint,
            self.failure
        )
    }
}

struct Reports<'a>(&'a [NodeReport]);

impl fmt::Display for Reports<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, report) in self.0.iter().enumerate() {
            f.write_str(if i == 0 { "; " } else { ", " })?;
            write!(f, "{report}")?;
        }
        Ok(())
    }
}

/// Errors of the Torus client.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client was given no endpoints.
    #[error("no node endpoints given")]
    NoEndpoints,
    /// An endpoint is not a usable URL.
    #[error("invalid endpoint {endpoint}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The committee could not be discovered from a node (`torus_nodeDetails`).
    #[error("cannot discover the committee from {node}: {reason}")]
    Discovery {
        /// The node asked.
        node: String,
        /// What went wrong.
        reason: String,
    },
    /// At least half of the nodes refused with the same error.
    #[error("{method}: {nodes} nodes refused: {}", error.text())]
    NodesRefused {
        /// The JSON-RPC method.
        method: &'static str,
        /// How many nodes sent this error.
        nodes: usize,
        /// The error.
        error: NodeError,
    },
    /// Not enough nodes gave usable, matching answers.
    #[error("{method}: {reason}{}", Reports(failures))]
    NoQuorum {
        /// The JSON-RPC method.
        method: &'static str,
        /// What was missing (e.g. "3 of the needed 4 nodes succeeded").
        reason: String,
        /// Every node that failed, in endpoint order.
        failures: Vec<NodeReport>,
    },
    /// Enough nodes agreed on a value that is not valid (e.g. a public key off the curve).
    #[error("{method}: the nodes agree on an invalid {what}")]
    InvalidAgreedValue {
        /// The JSON-RPC method.
        method: &'static str,
        /// The field.
        what: &'static str,
    },
    /// No node sent the key's metadata nonce (this client does not use a hosted metadata
    /// service, and keys whose nonce was removed by an upgrade to user-held shares are not
    /// supported).
    #[error("{method}: no node sent the key's nonce data")]
    MissingNonce {
        /// The JSON-RPC method.
        method: &'static str,
    },
    /// The non-assigning lookup and the key lookup named different keys.
    #[error("the nodes' lookup and key replies name different keys")]
    InconsistentLookup,
    /// The shares or the nonce do not give a valid key.
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl Error {
    /// The `error.data` texts (or messages) of the nodes that answered with a JSON-RPC error,
    /// in endpoint order; e.g. `["Duplicate token found", …]` after reusing an id token.
    pub fn node_messages(&self) -> Vec<&str> {
        match self {
            Self::NodesRefused { error, .. } => vec![error.text()],
            Self::NoQuorum { failures, .. } => failures
                .iter()
                .filter_map(|r| match &r.failure {
                    NodeFailure::Rpc(e) => Some(e.text()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}
