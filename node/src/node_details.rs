//! `torus_nodeDetails` ([`torus_rpc_api::node_details`]): where the holders of a user's key (or
//! of new keys) are, read from the finalized chain by any node.

use std::sync::Arc;

use jsonrpsee::{core::RpcResult, proc_macros::rpc, types::ErrorObjectOwned, Extensions};
use k256::{
    elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint},
    AffinePoint, EncodedPoint,
};
use polkadot_sdk::{sp_api::ProvideRuntimeApi, sp_blockchain::HeaderBackend};
use torus_primitives::{
    dkg::{EpochId, NodeInfo},
    keys::is_tss_key_name_of,
    DkgApi, KeysApi,
};
use torus_rpc_api::{
    codes::{INTERNAL as CHAIN_ERROR, INVALID_PARAMS, UNKNOWN_EPOCH},
    NodeDetails, NodeDetailsUser as User, NodeEntry, NodePub,
};
use torus_runtime::{opaque::Block, BlockNumber};

use crate::torus_api::CallerLimit;

/// The node-details method, served by every node.
#[rpc(server, namespace = "torus")]
pub trait NodeDetailsApi {
    /// The committee that holds `user`'s key in the finalized block, or without `user` (or for
    /// a user without a key yet) the newest committee, the one new keys go to.
    #[method(name = "nodeDetails", with_extensions)]
    fn node_details(&self, user: Option<User>) -> RpcResult<NodeDetails>;
}

/// The implementation over the node's client.
pub struct NodeDetailsRpc<C> {
    /// The client.
    pub client: Arc<C>,
    /// The per-IP limit of a validator's Torus API, which this method shares (it is served on
    /// the same public listeners); `None` on other nodes, limited by `--rpc-rate-limit` only.
    pub per_ip: Option<Arc<CallerLimit>>,
}

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// The affine coordinates of a compressed point, hex.
fn node_pub(compressed: &[u8]) -> Option<NodePub> {
    let point = EncodedPoint::from_bytes(compressed).ok()?;
    let point = Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&point))?;
    let point = point.to_encoded_point(false);
    Some(NodePub {
        x: hex::encode(point.x()?),
        y: hex::encode(point.y()?),
    })
}

/// The answer for epoch `epoch` with threshold `threshold` and members `nodes`.
pub fn details(epoch: EpochId, threshold: u16, nodes: Vec<NodeInfo>) -> NodeDetails {
    let nodes: Vec<NodeEntry> = nodes
        .into_iter()
        .filter_map(|n| {
            Some(NodeEntry {
                index: n.index,
                endpoint: n.endpoint.and_then(|e| String::from_utf8(e).ok()),
                pub_key: node_pub(n.key.as_ref())?,
                holds_shares: !n.lost,
            })
        })
        .collect();
    let published = || nodes.iter().filter(|n| n.endpoint.is_some());
    NodeDetails {
        current_epoch: epoch.to_string(),
        torus_node_endpoints: published().filter_map(|n| n.endpoint.clone()).collect(),
        torus_node_pub: published().map(|n| n.pub_key.clone()).collect(),
        torus_indexes: published().map(|n| n.index).collect(),
        threshold,
        nodes,
    }
}

/// The id `user`'s key is assigned under: its verifier id, or the name of its TSS key, which
/// must be a TSS key name of that verifier id.
fn user_id(user: &User) -> Result<String, ErrorObjectOwned> {
    let Some(name) = &user.extended_verifier_id else {
        return Ok(user.verifier_id.clone());
    };
    if !is_tss_key_name_of(name.as_bytes(), user.verifier_id.as_bytes()) {
        return Err(error(
            INVALID_PARAMS,
            "extendedVerifierId must be verifierId U+0015 tag U+0016 nonce",
        ));
    }
    Ok(name.clone())
}

impl<C> NodeDetailsApiServer for NodeDetailsRpc<C>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: KeysApi<Block> + DkgApi<Block, BlockNumber>,
{
    fn node_details(&self, ext: &Extensions, user: Option<User>) -> RpcResult<NodeDetails> {
        if let Some(limit) = &self.per_ip {
            limit.admit(ext)?;
        }
        let at = self.client.info().finalized_hash;
        let api = self.client.runtime_api();
        let chain = |e: polkadot_sdk::sp_api::ApiError| error(CHAIN_ERROR, e.to_string());
        let key = match &user {
            Some(user) => api
                .lookup(
                    at,
                    user.verifier.clone().into_bytes(),
                    user_id(user)?.into_bytes(),
                )
                .map_err(chain)?,
            None => None,
        };
        let holder = match key {
            Some(key) => {
                let batch = api
                    .key(at, key.key_id)
                    .map_err(chain)?
                    .map(|record| record.batch);
                match batch {
                    Some(batch) => api.key_range(at, batch).map_err(chain)?.map(|r| r.holder),
                    None => None,
                }
            }
            None => None,
        };
        let epoch = match holder {
            Some(epoch) => epoch,
            None => api.current_epoch(at).map_err(chain)?,
        };
        let info = api
            .epoch(at, epoch)
            .map_err(chain)?
            .ok_or_else(|| error(UNKNOWN_EPOCH, format!("epoch {epoch} is not recorded")))?;
        let nodes = api
            .nodes(at, epoch)
            .map_err(chain)?
            .ok_or_else(|| error(UNKNOWN_EPOCH, format!("epoch {epoch} is not recorded")))?;
        Ok(details(epoch, info.threshold, nodes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polkadot_sdk::sp_core::{ecdsa, Pair};
    use torus_primitives::dkg::DkgId;

    fn node(index: u16, endpoint: Option<&str>, lost: bool) -> NodeInfo {
        let pair = ecdsa::Pair::from_seed(&[index as u8; 32]);
        NodeInfo {
            index,
            key: DkgId::from(pair.public()),
            endpoint: endpoint.map(|e| e.as_bytes().to_vec()),
            lost,
        }
    }

    #[test]
    fn only_published_members_are_in_the_torus_js_lists_and_every_member_is_listed() {
        let d = details(
            3,
            2,
            vec![
                node(1, Some("http://a"), false),
                node(2, None, false),
                node(3, Some("http://c"), true),
            ],
        );
        assert_eq!(d.current_epoch, "3");
        assert_eq!(d.torus_node_endpoints, ["http://a", "http://c"]);
        assert_eq!(d.torus_indexes, [1, 3]);
        assert_eq!(d.torus_node_pub.len(), 2);
        assert_eq!(d.nodes.len(), 3);
        assert!(!d.nodes[2].holds_shares && d.nodes[1].holds_shares);
        assert_eq!(d.nodes[1].endpoint, None);
        let json = serde_json::to_value(&d).expect("serializes");
        assert_eq!(
            json["torusNodePub"][0]["X"].as_str().map(str::len),
            Some(64)
        );
        assert_eq!(json["nodes"][2]["holdsShares"], false);
    }

    #[test]
    fn the_public_key_is_the_dkg_keys_affine_point() {
        let pair = ecdsa::Pair::from_seed(&[9; 32]);
        let public = pair.public();
        let point = node_pub(public.as_ref()).expect("a point");
        let uncompressed = k256::PublicKey::from_sec1_bytes(public.as_ref())
            .expect("a key")
            .to_encoded_point(false);
        assert_eq!(point.x, hex::encode(uncompressed.x().expect("x")));
        assert_eq!(point.y, hex::encode(uncompressed.y().expect("y")));
        assert_eq!(node_pub(&[0; 33]), None);
    }
}
