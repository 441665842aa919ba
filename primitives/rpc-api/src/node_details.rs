//! `torus_nodeDetails`: the committee that holds a user's key (or new keys), in the shape of
//! `@toruslabs/fetch-node-details`' answer (`currentEpoch`, `torusNodeEndpoints`,
//! `torusNodePub`, `torusIndexes`) so that a torus.js dapp passes it to `TorusUtils` as it is,
//! plus every member with whether it holds its shares.

use serde::{Deserialize, Serialize};

/// The user whose key's holders are asked for (the method's optional parameter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeDetailsUser {
    /// The verifier's name.
    pub verifier: String,
    /// The user's id under the verifier, as logins spell it.
    #[serde(alias = "verifier_id")]
    pub verifier_id: String,
    /// For a TSS key, its name (`verifier_id ‖ U+0015 ‖ tag ‖ U+0016 ‖ nonce`): the holders
    /// of that key's network key are asked for.
    #[serde(
        default,
        alias = "extended_verifier_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub extended_verifier_id: Option<String>,
}

/// A node's public key as torus.js takes it: the affine coordinates, hex without `0x`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodePub {
    /// The x coordinate.
    #[serde(rename = "X")]
    pub x: String,
    /// The y coordinate.
    #[serde(rename = "Y")]
    pub y: String,
}

/// One member of the epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeEntry {
    /// Its index in the epoch (its shares' x coordinate), from 1.
    pub index: u16,
    /// The Torus API URL it published, if any.
    pub endpoint: Option<String>,
    /// Its DKG key, which signs its commitments.
    pub pub_key: NodePub,
    /// False when it reported its shares lost: it serves none until a handover gives it new
    /// ones, and clients need not ask it.
    pub holds_shares: bool,
}

/// The answer of `torus_nodeDetails`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeDetails {
    /// The epoch described (decimal, as fetch-node-details spells it).
    pub current_epoch: String,
    /// The endpoints of the members that published one, in index order…
    pub torus_node_endpoints: Vec<String>,
    /// …their public keys…
    pub torus_node_pub: Vec<NodePub>,
    /// …and their indexes.
    pub torus_indexes: Vec<u16>,
    /// Shares needed to reconstruct a key of this epoch: ⌊n/2⌋ + 1 of its `n` members.
    pub threshold: u16,
    /// Every member of the epoch, in index order.
    pub nodes: Vec<NodeEntry>,
}
