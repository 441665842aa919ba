//! The node's RPC API beyond what `sc-service` serves itself (chain, state, author, system):
//! transaction payment, account nonces, `torus_nodeDetails` ([`crate::node_details`]), and on
//! validators `torus_publicShare` and the Torus JSON-RPC API ([`crate::torus_api`]).

use std::sync::Arc;

use jsonrpsee::{
    core::RpcResult,
    proc_macros::rpc,
    types::{ErrorObject, ErrorObjectOwned},
    RpcModule,
};
use k256::{elliptic_curve::sec1::ToEncodedPoint, ProjectivePoint};
use polkadot_sdk::{
    pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer},
    sc_client_api::BlockchainEvents,
    sc_transaction_pool_api::TransactionPool,
    sp_api::ProvideRuntimeApi,
    sp_block_builder::BlockBuilder,
    sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata},
    substrate_frame_rpc_system::{System, SystemApiServer},
};
use serde::Serialize;
use torus_primitives::{DkgApi, KeyId, KeysApi, VerifiersApi};
use torus_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Hash, Nonce};

use crate::{
    keyholder::{keys::DkgKeys, store::ShareStore},
    node_details::{NodeDetailsApiServer, NodeDetailsRpc},
    torus_api::TorusApi,
};

/// What the RPC handlers need from the node.
pub struct FullDeps<C, P> {
    /// The client.
    pub client: Arc<C>,
    /// The transaction pool.
    pub pool: Arc<P>,
    /// On validators: the share store and the DKG keys that decrypt it.
    pub keyholder: Option<(Arc<ShareStore>, Arc<DkgKeys>)>,
    /// On validators: the Torus JSON-RPC API.
    pub torus_api: Option<Arc<TorusApi<C, P>>>,
}

/// All RPC extensions of a full node.
pub fn create_full<C, P>(
    deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
    C: ProvideRuntimeApi<Block>
        + HeaderBackend<Block>
        + HeaderMetadata<Block, Error = BlockChainError>
        + Send
        + Sync
        + 'static,
    C::Api: polkadot_sdk::substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
        + polkadot_sdk::pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
        + BlockBuilder<Block>
        + KeysApi<Block>
        + DkgApi<Block, BlockNumber>
        + VerifiersApi<Block, AccountId, Balance>,
    C: BlockchainEvents<Block>,
    P: TransactionPool<Block = Block, Hash = Hash> + 'static,
{
    let FullDeps {
        client,
        pool,
        keyholder,
        torus_api,
    } = deps;

    let mut module = RpcModule::new(());
    module.merge(System::new(client.clone(), pool).into_rpc())?;
    module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
    module.merge(
        NodeDetailsRpc {
            client: client.clone(),
            per_ip: torus_api.as_ref().map(|api| api.per_ip()),
        }
        .into_rpc(),
    )?;
    if let Some(api) = torus_api {
        module.merge(TorusApi::rpc_module(api))?;
    }
    if let Some((store, keys)) = keyholder {
        module.merge(
            Keyholder {
                client,
                store,
                keys,
            }
            .into_rpc(),
        )?;
    }
    Ok(module)
}

/// A validator's public share of one generated key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicShare {
    /// The epoch whose sharing the share is (the epoch that holds the key).
    pub epoch: u32,
    /// The validator's member index in that epoch's committee (the share's x coordinate).
    pub member_index: u16,
    /// `share·G`, compressed SEC1, hex without `0x`.
    pub public_share: String,
}

/// Error code: no generated key has this id.
pub const UNKNOWN_KEY: i32 = 4001;
/// Error code: this node holds no share of the key in the sharing of the epoch that holds it
/// (not a member of it, not settled yet, or lost).
pub const NO_SHARE: i32 = 4002;
/// Error code: the share store could not be read.
pub const STORE_ERROR: i32 = 5001;

/// The validator's view of the keys it holds shares of.
#[rpc(server, namespace = "torus")]
pub trait KeyholderApi {
    /// This node's public share of the key `key_id` in the sharing of the epoch that holds it
    /// in the finalized block (anyone may check it against the key's commitments on chain; the
    /// share itself never leaves the node).
    #[method(name = "publicShare")]
    fn public_share(&self, key_id: KeyId) -> RpcResult<PublicShare>;
}

struct Keyholder<C> {
    client: Arc<C>,
    store: Arc<ShareStore>,
    keys: Arc<DkgKeys>,
}

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(code, message.into(), None::<()>)
}

impl<C> KeyholderApiServer for Keyholder<C>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: KeysApi<Block> + DkgApi<Block, BlockNumber>,
{
    fn public_share(&self, key_id: KeyId) -> RpcResult<PublicShare> {
        // The key as finalized: the share store holds finalized batches only.
        let finalized = self.client.info().finalized_hash;
        let record = self
            .client
            .runtime_api()
            .key(finalized, key_id)
            .map_err(|e| error(STORE_ERROR, e.to_string()))?
            .ok_or_else(|| error(UNKNOWN_KEY, format!("no generated key has id {key_id}")))?;
        let holder = self
            .client
            .runtime_api()
            .key_range(finalized, record.batch)
            .map_err(|e| error(STORE_ERROR, e.to_string()))?
            .map(|range| range.holder);
        let no_share = || {
            error(
                NO_SHARE,
                format!("this node holds no share of key {key_id}"),
            )
        };
        let stored = self
            .store
            .load(record.batch, |key| self.keys.secret(key))
            .map_err(|e| error(STORE_ERROR, e.to_string()))?
            .filter(|stored| Some(stored.epoch) == holder)
            .ok_or_else(no_share)?;
        let share = stored.share(key_id).ok_or_else(no_share)?;
        let point = (ProjectivePoint::GENERATOR * share).to_affine();
        Ok(PublicShare {
            epoch: stored.epoch,
            member_index: stored.shares.index,
            public_share: hex::encode(point.to_encoded_point(true).as_bytes()),
        })
    }
}
