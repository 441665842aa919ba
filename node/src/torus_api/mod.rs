//! The Torus JSON-RPC API: login → key, as the published `@toruslabs/torus.js` client (v17,
//! sapphire flow) speaks it, served by validators on the node's normal RPC port.
//!
//! | method | what the node does |
//! |---|---|
//! | `VerifierLookupRequest` | the user's assigned key, or the "not yet assigned" error |
//! | `GetPubKeyOrKeyAssign` | the user's key, assigning one on chain first if needed |
//! | `CommitmentRequest` | remembers the token commitment (refusing one it has seen) and signs it with the node's DKG key |
//! | `GetShareOrKeyAssign` | checks ⌊n/2⌋+1 node signatures on the commitment, that the token hashes to it, the token itself (against the verifier on chain), refuses replays, and returns this node's share and a session token, encrypted to the client's session key |
//!
//! Keys are assigned on chain by an unsigned `keys.assign` signed with the node's DKG key; the
//! pool keeps one per user, so the requests of every node for one login become one transaction.
//! The metadata nonce the client adds to the key is fixed on chain at assignment
//! ([`torus_primitives::keys::metadata_nonce`]). Wire formats: [`wire`]; error codes:
//! [`ApiError`]; both are documented for clients in `docs/TORUS-API.md`.

mod guards;
pub mod wire;

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use codec::{Decode, Encode};
use futures::StreamExt;
use jsonrpsee::{
    types::{ErrorObject, ErrorObjectOwned, Params},
    Extensions, RpcModule,
};
use k256::{
    ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey},
    elliptic_curve::ops::MulByGenerator,
    AffinePoint, ProjectivePoint, PublicKey as K256PublicKey,
};
use polkadot_sdk::{
    sc_client_api::BlockchainEvents,
    sc_keystore::LocalKeystore,
    sc_transaction_pool_api::{
        error::{Error as PoolError, IntoPoolError},
        TransactionPool, TransactionSource,
    },
    sp_api::ProvideRuntimeApi,
    sp_blockchain::HeaderBackend,
    sp_core::{ByteArray, Pair as _},
    sp_keystore::Keystore,
    sp_runtime::{transaction_validity::InvalidTransaction, OpaqueExtrinsic},
};
use rand::rngs::OsRng;
use torus_crypto::ecies::{self, EncryptionPublicKey};
use torus_primitives::{
    dkg::{app, DkgId, DKG_KEY_TYPE},
    keys::assign_payload,
    AssignedKey, DkgApi, KeyType, KeysApi, VerifierConfig, VerifiersApi,
};
use torus_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Hash, RuntimeCall};
use zeroize::Zeroizing;

use crate::{
    id_token::{self, IdTokenError},
    keyholder::store::{keystore_secret, ShareStore, StoredShares},
    rpc_server::CallerIp,
};
use guards::{ExpiringSet, InsertError, RateLimiter, COMMITMENT_TTL};
use wire::*;

/// How old a node's commitment signature may be when the client presents it.
pub const COMMITMENT_SIGNATURE_MAX_AGE_SECS: u64 = 120;
/// The longest session token a client may ask for (7 days).
pub const MAX_SESSION_SECS: u64 = 7 * 24 * 3600;
/// How long a login waits for its key assignment to reach the chain.
const ASSIGNMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most commitments and answered tokens a node remembers at once.
const GUARD_CAPACITY: usize = 1_000_000;
/// The most finalized assignments, and decrypted share batches, kept in memory.
const CACHE_CAPACITY: usize = 100_000;
const SHARE_BATCHES_CACHED: usize = 64;

/// Operator settings of the API (`torus-node` flags).
#[derive(Clone, Copy, Debug)]
pub struct ApiSettings {
    /// Requests per second per verifier (0: unlimited).
    pub verifier_rate: u32,
    /// Burst allowance per verifier.
    pub verifier_burst: u32,
    /// Requests per second per caller IP address, IPv6 per /64 (0: unlimited).
    pub ip_rate: u32,
    /// Burst allowance per caller IP address.
    pub ip_burst: u32,
}

/// A refused request. Each variant has a stable JSON-RPC code; `data` is the string that
/// torus.js shows its user, the same on every node for the same cause.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request's parameters do not parse.
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// No DirectAuth verifier is registered under the name.
    #[error("Verifier not supported: {0}")]
    VerifierNotSupported(String),
    /// The user has no key yet (lookup only).
    #[error("Verifier + VerifierID has not yet been assigned")]
    NotAssigned,
    /// The chain refused to assign a key; the reason is given.
    #[error("key assignment refused: {0}")]
    AssignmentRefused(&'static str),
    /// The assignment did not reach the chain in time.
    #[error("key assignment is taking longer than expected; try again")]
    AssignmentTimeout,
    /// The commitment's prefix is not `mug00`.
    #[error("message prefix must be mug00")]
    WrongPrefix,
    /// The commitment is not 64 hex digits.
    #[error("tokencommitment must be 64 hex digits")]
    BadCommitment,
    /// The client's session key is not a curve point.
    #[error("temppubx/temppuby is not a secp256k1 point")]
    BadSessionKey,
    /// The commitment (or token) was seen before.
    #[error("Duplicate token found")]
    DuplicateToken,
    /// Too few valid node signatures on the commitment.
    #[error(
        "Not enough valid signatures. Only {found} valid signatures found, {required} required"
    )]
    NotEnoughSignatures {
        /// Valid signatures found.
        found: usize,
        /// Signatures required.
        required: usize,
    },
    /// The token does not hash to the signed commitment.
    #[error("id token does not match the signed token commitment")]
    CommitmentMismatch,
    /// The id token was refused.
    #[error("Error occurred while verifying params: {0}")]
    IdToken(IdTokenError),
    /// The request's verifier_id differs from the token's id claim.
    #[error("verifier_id does not match the id token")]
    VerifierIdMismatch,
    /// The session lifetime is out of range.
    #[error("session_token_exp_second must be between 1 and {MAX_SESSION_SECS}")]
    BadSessionLifetime,
    /// The verifier is over its request rate.
    #[error("rate limit exceeded for this verifier; try again shortly")]
    RateLimited,
    /// The caller's IP address is over its request rate.
    #[error("too many requests from your address; try again shortly")]
    IpRateLimited,
    /// The node remembers too many logins at once.
    #[error("node busy; try again shortly")]
    Busy,
    /// This node is not in the current committee or holds no share of the key.
    #[error("this node cannot serve the key: {0}")]
    NoShare(&'static str),
    /// The node failed (runtime API, store); details are in its log.
    #[error("internal node error")]
    Internal,
}

impl ApiError {
    /// The stable JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            Self::InvalidParams(_) => -32602,
            Self::VerifierNotSupported(_) => 1001,
            Self::NotAssigned => 1002,
            Self::AssignmentRefused(_) => 1003,
            Self::AssignmentTimeout => 1004,
            Self::WrongPrefix => 2001,
            Self::BadCommitment => 2002,
            Self::BadSessionKey => 2003,
            Self::DuplicateToken => 2004,
            Self::NotEnoughSignatures { .. } => 3001,
            Self::CommitmentMismatch => 3002,
            Self::VerifierIdMismatch => 3003,
            Self::BadSessionLifetime => 3004,
            // 3100 + the id-token module's own code (see `id_token`).
            Self::IdToken(e) => 3100 + e.code(),
            Self::NoShare(_) => 4002,
            Self::RateLimited => 4290,
            Self::IpRateLimited => 4292,
            Self::Busy => 4291,
            Self::Internal => 5001,
        }
    }
}

impl From<ApiError> for ErrorObjectOwned {
    fn from(e: ApiError) -> Self {
        let text = e.to_string();
        ErrorObject::owned(e.code(), text.clone(), Some(text))
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    log::warn!(target: "torus-api", "{what}: {e}");
    ApiError::Internal
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The node's place in the current committee.
#[derive(Clone)]
struct Member {
    committee: Vec<DkgId>,
    index: u16,
    pair: app::Pair,
    /// The same DKG key for `k256`'s ECDSA (zeroized on drop), for the hot signing path.
    signer: SigningKey,
    /// The DKG public key's padded hex X and Y, as replies carry it.
    public_xy: (String, String),
}

struct Guards {
    commitments: ExpiringSet<[u8; 32]>,
    answered: ExpiringSet<[u8; 32]>,
    limiter: RateLimiter<Vec<u8>>,
    ip_limiter: RateLimiter<IpAddr>,
}

/// What the chain says at one best block: read once per block, not once per request.
#[derive(Default)]
struct BlockView {
    at: Hash,
    /// This node in the committee at `at`, once read.
    member: Option<Member>,
    /// This node in an earlier block's committee (reused if the committee is the same).
    previous: Option<Member>,
    verifiers: HashMap<String, Option<VerifierConfig>>,
}

/// Facts that never change once finalized: assignments, and the batch of each key; this node's
/// decrypted share batches (zeroized when dropped); public nonce points.
#[derive(Default)]
struct Finalized {
    assignments: HashMap<(String, String), AssignedKey>,
    batches: HashMap<u64, u64>,
    shares: HashMap<u64, Arc<StoredShares>>,
    pub_nonces: HashMap<[u8; 32], PubNonce>,
}

/// The API's state: the node's client, pool, keys and share store, the replay guards and the
/// caches of chain state.
pub struct TorusApi<C, P> {
    client: Arc<C>,
    pool: Arc<P>,
    keystore: Arc<LocalKeystore>,
    store: Arc<ShareStore>,
    guards: Mutex<Guards>,
    view: Mutex<BlockView>,
    finalized: Mutex<Finalized>,
}

impl<C, P> TorusApi<C, P>
where
    C: ProvideRuntimeApi<Block>
        + HeaderBackend<Block>
        + BlockchainEvents<Block>
        + Send
        + Sync
        + 'static,
    C::Api: KeysApi<Block> + DkgApi<Block, BlockNumber> + VerifiersApi<Block, AccountId, Balance>,
    P: TransactionPool<Block = Block, Hash = Hash> + 'static,
{
    /// The API of a validator.
    pub fn new(
        client: Arc<C>,
        pool: Arc<P>,
        keystore: Arc<LocalKeystore>,
        store: Arc<ShareStore>,
        settings: ApiSettings,
    ) -> Self {
        Self {
            client,
            pool,
            keystore,
            store,
            guards: Mutex::new(Guards {
                commitments: ExpiringSet::new(GUARD_CAPACITY),
                answered: ExpiringSet::new(GUARD_CAPACITY),
                limiter: RateLimiter::new(settings.verifier_rate, settings.verifier_burst),
                ip_limiter: RateLimiter::new(settings.ip_rate, settings.ip_burst),
            }),
            view: Mutex::new(BlockView::default()),
            finalized: Mutex::new(Finalized::default()),
        }
    }

    /// The four methods, ready to merge into the node's RPC module. Each call first takes its
    /// caller's IP address ([`CallerIp`]) through the per-IP limit.
    pub fn rpc_module(api: Arc<Self>) -> RpcModule<Self> {
        let mut module = RpcModule::from_arc(api);
        module
            .register_async_method("VerifierLookupRequest", |params, api, ext| async move {
                api.admit_caller(&ext)?;
                api.verifier_lookup(params).map_err(ErrorObjectOwned::from)
            })
            .expect("method names are unique");
        module
            .register_async_method("GetPubKeyOrKeyAssign", |params, api, ext| async move {
                api.admit_caller(&ext)?;
                api.get_pub_key_or_assign(params)
                    .await
                    .map_err(ErrorObjectOwned::from)
            })
            .expect("method names are unique");
        module
            .register_async_method("CommitmentRequest", |params, api, ext| async move {
                api.admit_caller(&ext)?;
                api.commitment_request(params)
                    .map_err(ErrorObjectOwned::from)
            })
            .expect("method names are unique");
        module
            .register_async_method("GetShareOrKeyAssign", |params, api, ext| async move {
                api.admit_caller(&ext)?;
                api.get_share_or_assign(params)
                    .await
                    .map_err(ErrorObjectOwned::from)
            })
            .expect("method names are unique");
        module
    }

    /// Takes one request of the caller's IP address (IPv6: its /64, which one host usually
    /// has) from the per-IP limit. Calls without a [`CallerIp`] (whitelisted or in-process)
    /// are not limited.
    fn admit_caller(&self, ext: &Extensions) -> Result<(), ErrorObjectOwned> {
        let Some(CallerIp(ip)) = ext.get::<CallerIp>().copied() else {
            return Ok(());
        };
        let key = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
            },
            v4 => v4,
        };
        let mut guards = self.guards.lock().expect("guards lock");
        if guards.ip_limiter.allow(&key, Instant::now()) {
            Ok(())
        } else {
            Err(ApiError::IpRateLimited.into())
        }
    }

    fn best(&self) -> Hash {
        self.client.info().best_hash
    }

    /// The verifier `name`, if registered and within its request rate. (Checked in this
    /// order, so the rate limiter only ever holds registered names.)
    fn admit(&self, at: Hash, name: &str) -> Result<VerifierConfig, ApiError> {
        let config = self.verifier(at, name)?;
        let mut guards = self.guards.lock().expect("guards lock");
        if guards
            .limiter
            .allow(&name.as_bytes().to_vec(), Instant::now())
        {
            Ok(config)
        } else {
            Err(ApiError::RateLimited)
        }
    }

    /// The view of block `at`, started afresh when the best block changed.
    fn view(&self, at: Hash) -> std::sync::MutexGuard<'_, BlockView> {
        let mut view = self.view.lock().expect("view lock");
        if view.at != at {
            let previous = view.member.take().or_else(|| view.previous.take());
            *view = BlockView {
                at,
                member: None,
                previous,
                verifiers: HashMap::new(),
            };
        }
        view
    }

    /// The DirectAuth verifier `name` at block `at`.
    fn verifier(&self, at: Hash, name: &str) -> Result<VerifierConfig, ApiError> {
        let cached = self.view(at).verifiers.get(name).cloned();
        let config = match cached {
            Some(config) => config,
            None => {
                let config = self
                    .client
                    .runtime_api()
                    .verifier(at, name.as_bytes().to_vec())
                    .map_err(|e| internal("reading a verifier", e))?
                    .map(|record| record.config)
                    .filter(|config| config.key_type == KeyType::DirectAuth);
                self.view(at)
                    .verifiers
                    .insert(name.to_owned(), config.clone());
                config
            }
        };
        config.ok_or_else(|| ApiError::VerifierNotSupported(name.to_owned()))
    }

    /// The user's key at block `at`. Assignments in finalized blocks never change, so those
    /// are remembered.
    fn lookup(&self, at: Hash, verifier: &str, id: &str) -> Result<Option<AssignedKey>, ApiError> {
        let user = (verifier.to_owned(), id.to_owned());
        if let Some(key) = self
            .finalized
            .lock()
            .expect("cache lock")
            .assignments
            .get(&user)
        {
            return Ok(Some(key.clone()));
        }
        let read = |at| {
            self.client
                .runtime_api()
                .lookup(at, verifier.as_bytes().to_vec(), id.as_bytes().to_vec())
                .map_err(|e| internal("looking up a key", e))
        };
        let Some(key) = read(at)? else {
            return Ok(None);
        };
        if let Some(final_key) = read(self.client.info().finalized_hash)? {
            let mut cache = self.finalized.lock().expect("cache lock");
            if cache.assignments.len() < CACHE_CAPACITY {
                cache.assignments.insert(user, final_key);
            }
        }
        Ok(Some(key))
    }

    /// This node's index and DKG key in the current committee.
    fn member(&self, at: Hash) -> Result<Member, ApiError> {
        if let Some(member) = self.view(at).member.clone() {
            return Ok(member);
        }
        let committee = self
            .client
            .runtime_api()
            .committee(at)
            .map_err(|e| internal("reading the committee", e))?;
        let previous = self.view(at).previous.clone();
        if let Some(member) = previous.filter(|m| m.committee == committee) {
            self.view(at).member = Some(member.clone());
            return Ok(member);
        }
        let (index, pair) = committee
            .iter()
            .enumerate()
            .find_map(|(i, key)| {
                self.keystore
                    .has_keys(&[(key.to_raw_vec(), DKG_KEY_TYPE)])
                    .then(|| self.keystore.key_pair::<app::Pair>(key).ok().flatten())
                    .flatten()
                    .map(|pair| (i as u16 + 1, pair))
            })
            .ok_or(ApiError::NoShare("not a member of the current committee"))?;
        let signer = SigningKey::from_bytes(&pair.clone().into_inner().seed().into())
            .map_err(|e| internal("loading the DKG key", e))?;
        let public_xy = point_to_hex(signer.verifying_key().as_affine());
        let member = Member {
            committee,
            index,
            pair,
            signer,
            public_xy,
        };
        self.view(at).member = Some(member.clone());
        Ok(member)
    }

    /// The user's key, assigned on chain first if needed.
    async fn ensure_assigned(&self, verifier: &str, id: &str) -> Result<AssignedKey, ApiError> {
        let best = self.best();
        if let Some(key) = self.lookup(best, verifier, id)? {
            return Ok(key);
        }
        self.verifier(best, verifier)?;
        let member = self.member(best)?;
        // Subscribe before submitting so that no block is missed.
        let mut blocks = self.client.import_notification_stream();
        let call = pallet_keys::Call::<torus_runtime::Runtime>::assign {
            verifier: bounded(verifier)?,
            verifier_id: bounded(id)?,
            assigner: member.pair.public(),
            signature: member
                .pair
                .sign(&assign_payload(verifier.as_bytes(), id.as_bytes())),
        };
        let xt = torus_runtime::UncheckedExtrinsic::new_bare(RuntimeCall::Keys(call));
        let opaque = OpaqueExtrinsic::decode(&mut &xt.encode()[..])
            .map_err(|e| internal("encoding an assignment", e))?;
        match self
            .pool
            .submit_one(best, TransactionSource::Local, opaque)
            .await
            .map_err(|e| e.into_pool_error())
        {
            Ok(_)
            | Err(Ok(PoolError::AlreadyImported(_)))
            | Err(Ok(PoolError::TooLowPriority { .. })) => {}
            Err(Ok(PoolError::InvalidTransaction(InvalidTransaction::Stale))) => {}
            Err(Ok(PoolError::InvalidTransaction(InvalidTransaction::Custom(code)))) => {
                return Err(assign_refusal(verifier, code));
            }
            Err(Ok(e)) => return Err(internal("submitting an assignment", e)),
            Err(Err(e)) => return Err(internal("submitting an assignment", e)),
        }
        let wait = async {
            loop {
                if let Some(key) = self.lookup(self.best(), verifier, id)? {
                    return Ok(key);
                }
                if blocks.next().await.is_none() {
                    return Err(internal("waiting for an assignment", "block stream ended"));
                }
            }
        };
        tokio::time::timeout(ASSIGNMENT_TIMEOUT, wait)
            .await
            .unwrap_or(Err(ApiError::AssignmentTimeout))
    }

    fn verifier_lookup(&self, params: Params<'static>) -> Result<LookupResult, ApiError> {
        let p: LookupParams = parse(&params)?;
        let best = self.best();
        self.verifier(best, &p.verifier)?;
        let key = self
            .lookup(best, &p.verifier, &p.verifier_id)?
            .ok_or(ApiError::NotAssigned)?;
        let point = decompress(&key.public_key.0)?;
        let (x, y) = point_to_hex(&point);
        Ok(LookupResult {
            keys: vec![LookupKey {
                pub_key_x: x,
                pub_key_y: y,
                address: eth_address(&point),
                nonce_data: None,
            }],
            is_new_key: None,
            node_index: None,
            server_time_offset: time_offset(&params),
        })
    }

    async fn get_pub_key_or_assign(
        &self,
        params: Params<'static>,
    ) -> Result<LookupResult, ApiError> {
        let p: LookupParams = parse(&params)?;
        self.admit(self.best(), &p.verifier)?;
        let key = self.ensure_assigned(&p.verifier, &p.verifier_id).await?;
        let member = self.member(self.best())?;
        let point = decompress(&key.public_key.0)?;
        let (x, y) = point_to_hex(&point);
        Ok(LookupResult {
            keys: vec![LookupKey {
                pub_key_x: x,
                pub_key_y: y,
                address: eth_address(&point),
                nonce_data: Some(self.nonce_data(&key.nonce, false)?),
            }],
            is_new_key: Some(false),
            node_index: Some(member.index.to_string()),
            server_time_offset: time_offset(&params),
        })
    }

    fn commitment_request(&self, params: Params<'static>) -> Result<NodeSignature, ApiError> {
        let p: CommitmentParams = parse(&params)?;
        if p.messageprefix != MESSAGE_PREFIX {
            return Err(ApiError::WrongPrefix);
        }
        let commitment = (p.tokencommitment.len() == 64)
            .then(|| parse_hex32(&p.tokencommitment))
            .flatten()
            .ok_or(ApiError::BadCommitment)?;
        let temp = point_from_hex(&p.temppubx, &p.temppuby).ok_or(ApiError::BadSessionKey)?;
        let best = self.best();
        self.admit(best, &p.verifieridentifier)?;
        let member = self.member(best)?;
        let existing = match &p.verifier_id {
            Some(id) => self.lookup(best, &p.verifieridentifier, id)?,
            None => None,
        };
        let now = Instant::now();
        self.guards
            .lock()
            .expect("guards lock")
            .commitments
            .insert(commitment, now + COMMITMENT_TTL, now)
            .map_err(|e| match e {
                InsertError::Seen => ApiError::DuplicateToken,
                InsertError::Full => ApiError::Busy,
            })?;
        let (temp_x, temp_y) = point_to_hex(&temp);
        let data = CommitmentData {
            token_commitment: hex32(&commitment),
            temp_pub_x: temp_x,
            temp_pub_y: temp_y,
            verifier: p.verifieridentifier,
            signed_at: now_secs(),
        }
        .encode();
        let (node_x, node_y) = member.public_xy.clone();
        Ok(NodeSignature {
            signature: hex::encode(sign_eth(&member.signer, data.as_bytes())?),
            data,
            nodepubx: node_x,
            nodepuby: node_y,
            nodeindex: member.index.to_string(),
            pub_key_x: match existing {
                Some(key) => point_to_hex(&decompress(&key.public_key.0)?).0,
                None => String::new(),
            },
        })
    }

    /// The client's session key, if ⌊n/2⌋+1 distinct committee members signed `commitment`
    /// for `verifier` recently, all with the same session key.
    fn check_node_signatures(
        &self,
        committee: &[DkgId],
        signatures: &[NodeSignature],
        commitment: &[u8; 32],
        verifier: &str,
    ) -> Result<AffinePoint, ApiError> {
        let required = committee.len() / 2 + 1;
        let now = now_secs();
        let mut signers: Vec<&DkgId> = Vec::new();
        let mut session_key: Option<AffinePoint> = None;
        for signature in signatures {
            let Some(data) = CommitmentData::decode(&signature.data) else {
                continue;
            };
            let fresh = data.signed_at + COMMITMENT_SIGNATURE_MAX_AGE_SECS >= now
                && data.signed_at <= now + id_token::CLOCK_SKEW_SECS;
            if !fresh
                || data.verifier != verifier
                || parse_hex32(&data.token_commitment).as_ref() != Some(commitment)
            {
                continue;
            }
            let Some(signer) = recover_eth(&signature.signature, signature.data.as_bytes()) else {
                continue;
            };
            let Some(member) = committee
                .iter()
                .find(|key| key.as_slice() == signer.as_slice())
            else {
                continue;
            };
            let Some(temp) = point_from_hex(&data.temp_pub_x, &data.temp_pub_y) else {
                continue;
            };
            if *session_key.get_or_insert(temp) != temp || signers.contains(&member) {
                continue;
            }
            signers.push(member);
            if signers.len() == required {
                // Enough: the rest need not be checked.
                break;
            }
        }
        match session_key {
            Some(key) if signers.len() >= required => Ok(key),
            _ => Err(ApiError::NotEnoughSignatures {
                found: signers.len(),
                required,
            }),
        }
    }

    async fn get_share_or_assign(&self, params: Params<'static>) -> Result<ShareResult, ApiError> {
        let p: ShareParams = parse(&params)?;
        let [item] = &p.item[..] else {
            return Err(ApiError::InvalidParams(
                "item must hold exactly one login".into(),
            ));
        };
        if !(1..=MAX_SESSION_SECS).contains(&item.session_token_exp_second) {
            return Err(ApiError::BadSessionLifetime);
        }
        let best = self.best();
        let config = self.admit(best, &item.verifieridentifier)?;
        let member = self.member(best)?;
        let token = id_token::normalize(&item.idtoken).map_err(ApiError::IdToken)?;
        let commitment = id_token::commitment(token);
        let names_token = |s: &NodeSignature| {
            CommitmentData::decode(&s.data)
                .is_some_and(|d| parse_hex32(&d.token_commitment) == Some(commitment))
        };
        if !item.nodesignatures.is_empty() && !item.nodesignatures.iter().any(names_token) {
            // Signed commitments, but to another token.
            return Err(ApiError::CommitmentMismatch);
        }
        let session_key = self.check_node_signatures(
            &member.committee,
            &item.nodesignatures,
            &commitment,
            &item.verifieridentifier,
        )?;
        let now = now_secs();
        let verified = id_token::verify(token, &config, now).map_err(ApiError::IdToken)?;
        if verified.verifier_id.as_slice() != item.verifier_id.as_bytes() {
            return Err(ApiError::VerifierIdMismatch);
        }
        self.mark_answered(&verified, now)?;

        let key = self
            .ensure_assigned(&item.verifieridentifier, &item.verifier_id)
            .await?;
        let (share_index, share) = self.share_of(self.best(), &key)?;
        let recipient = EncryptionPublicKey::from_point(&ProjectivePoint::from(session_key))
            .map_err(|_| ApiError::BadSessionKey)?;
        let encrypt = |plaintext: &[u8]| {
            ecies::encrypt(&recipient, plaintext, &mut OsRng)
                .map(|ct| EciesMetadata::split(&ct))
                .map_err(|e| internal("encrypting", e))
        };
        let (share_ct, share_metadata) = encrypt(share.as_ref())?;

        let (temp_x, temp_y) = point_to_hex(&session_key);
        let session = SessionToken {
            exp: now + item.session_token_exp_second,
            temp_key_x: temp_x,
            temp_key_y: temp_y,
            verifier_name: item.verifieridentifier.clone(),
            verifier_id: item.verifier_id.clone(),
            node_index: member.index,
        };
        let session_json =
            serde_json::to_vec(&session).map_err(|e| internal("encoding a session token", e))?;
        let session_sig = sign_eth(&member.signer, STANDARD.encode(&session_json).as_bytes())?;
        let (token_ct, token_metadata) = encrypt(&session_json)?;
        let (sig_ct, sig_metadata) = encrypt(&session_sig)?;

        let point = decompress(&key.public_key.0)?;
        let (x, y) = point_to_hex(&point);
        let (node_x, node_y) = member.public_xy.clone();
        Ok(ShareResult {
            keys: vec![ShareKey {
                public_key: PublicKeyXY { x, y },
                node_index: share_index.to_string(),
                share: STANDARD.encode(share_ct.as_bytes()),
                share_metadata,
                nonce_data: self.nonce_data(&key.nonce, true)?,
            }],
            session_tokens: vec![token_ct],
            session_token_metadata: vec![token_metadata],
            session_token_sigs: vec![sig_ct],
            session_token_sig_metadata: vec![sig_metadata],
            node_pubx: node_x,
            node_puby: node_y,
            is_new_key: "false".into(),
            server_time_offset: time_offset(&params),
        })
    }

    /// Refuses a token this node has answered before, by commitment and by signed digest (an
    /// ECDSA token re-spelled with `(r, n − s)` has a new commitment but the same digest).
    fn mark_answered(&self, token: &id_token::VerifiedToken, now: u64) -> Result<(), ApiError> {
        let remaining = token
            .exp
            .saturating_add(id_token::CLOCK_SKEW_SECS)
            .saturating_sub(now)
            .max(1);
        let instant = Instant::now();
        let deadline = instant + Duration::from_secs(remaining);
        let mut guards = self.guards.lock().expect("guards lock");
        if guards.answered.contains(&token.commitment, instant)
            || guards.answered.contains(&token.signed_digest, instant)
        {
            return Err(ApiError::DuplicateToken);
        }
        for digest in [token.commitment, token.signed_digest] {
            guards
                .answered
                .insert(digest, deadline, instant)
                .map_err(|e| match e {
                    InsertError::Seen => ApiError::DuplicateToken,
                    InsertError::Full => ApiError::Busy,
                })?;
        }
        Ok(())
    }

    /// The `nonce_data` of a key with nonce `nonce` (the scalar only if `with_scalar`); the
    /// public nonce point is computed once per nonce.
    fn nonce_data(&self, nonce: &[u8; 32], with_scalar: bool) -> Result<NonceData, ApiError> {
        let cached = self
            .finalized
            .lock()
            .expect("cache lock")
            .pub_nonces
            .get(nonce)
            .cloned();
        let pub_nonce = match cached {
            Some(point) => point,
            None => {
                let point = pub_nonce(nonce)?;
                let mut cache = self.finalized.lock().expect("cache lock");
                if cache.pub_nonces.len() >= CACHE_CAPACITY {
                    cache.pub_nonces.clear();
                }
                cache.pub_nonces.insert(*nonce, point.clone());
                point
            }
        };
        Ok(NonceData {
            type_of_user: "v2",
            nonce: with_scalar.then(|| hex32(nonce)),
            pub_nonce,
            upgraded: false,
        })
    }

    /// This node's share of `key` and its x coordinate.
    fn share_of(
        &self,
        at: Hash,
        key: &AssignedKey,
    ) -> Result<(u16, Zeroizing<[u8; 32]>), ApiError> {
        let stored = self.shares_of_batch(at, key.key_id)?;
        let share = stored
            .share(key.key_id)
            .ok_or(ApiError::NoShare("no share of the key"))?;
        Ok((
            stored.shares.index,
            Zeroizing::new(torus_crypto::encoding::scalar_to_bytes(share)),
        ))
    }

    /// This node's decrypted shares of the batch of key `key_id` (kept for the next logins).
    fn shares_of_batch(&self, at: Hash, key_id: u64) -> Result<Arc<StoredShares>, ApiError> {
        let known_batch = self
            .finalized
            .lock()
            .expect("cache lock")
            .batches
            .get(&key_id)
            .copied();
        let batch = match known_batch {
            Some(batch) => batch,
            None => {
                let read = |at| {
                    self.client
                        .runtime_api()
                        .key(at, key_id)
                        .map_err(|e| internal("reading a key", e))
                };
                let record = read(at)?.ok_or(ApiError::Internal)?;
                // A key in a finalized block never changes.
                if read(self.client.info().finalized_hash)?.as_ref() == Some(&record) {
                    let mut cache = self.finalized.lock().expect("cache lock");
                    if cache.batches.len() < CACHE_CAPACITY {
                        cache.batches.insert(key_id, record.batch);
                    }
                }
                record.batch
            }
        };
        if let Some(stored) = self
            .finalized
            .lock()
            .expect("cache lock")
            .shares
            .get(&batch)
        {
            return Ok(stored.clone());
        }
        let stored = self
            .store
            .load(batch, |dkg_key| keystore_secret(&self.keystore, dkg_key))
            .map_err(|e| internal("reading the share store", e))?
            .ok_or(ApiError::NoShare("no share of the key's batch"))?;
        let stored = Arc::new(stored);
        let mut cache = self.finalized.lock().expect("cache lock");
        if cache.shares.len() >= SHARE_BATCHES_CACHED {
            cache.shares.clear();
        }
        cache.shares.insert(batch, stored.clone());
        Ok(stored)
    }
}

fn parse<T: serde::de::DeserializeOwned>(params: &Params<'static>) -> Result<T, ApiError> {
    params
        .parse()
        .map_err(|e| ApiError::InvalidParams(e.message().to_owned()))
}

fn bounded<S: polkadot_sdk::sp_core::Get<u32>>(
    text: &str,
) -> Result<polkadot_sdk::sp_runtime::BoundedVec<u8, S>, ApiError> {
    text.as_bytes()
        .to_vec()
        .try_into()
        .map_err(|_| ApiError::InvalidParams("verifier or verifier_id too long".into()))
}

fn assign_refusal(verifier: &str, code: u8) -> ApiError {
    use pallet_keys::AssignRefusal as R;
    match code {
        c if c == R::UnknownVerifier as u8 || c == R::KeyTypeNotServed as u8 => {
            ApiError::VerifierNotSupported(verifier.to_owned())
        }
        c if c == R::EmptyVerifierId as u8 => ApiError::AssignmentRefused("empty verifier_id"),
        c if c == R::VerifierIdNotNormalized as u8 => {
            ApiError::AssignmentRefused("verifier_id must be lower-case for this verifier")
        }
        c if c == R::BufferEmpty as u8 => {
            ApiError::AssignmentRefused("no key is ready; the validators are generating more")
        }
        _ => ApiError::AssignmentRefused("refused by the chain"),
    }
}

/// The affine point of a compressed key from the chain.
fn decompress(bytes: &[u8]) -> Result<AffinePoint, ApiError> {
    K256PublicKey::from_sec1_bytes(bytes)
        .map(|key| *key.as_affine())
        .map_err(|e| internal("decoding a public key", e))
}

/// `nonce·G` as the client protocol sends it.
fn pub_nonce(nonce: &[u8; 32]) -> Result<PubNonce, ApiError> {
    let scalar = torus_crypto::encoding::nonzero_scalar_from_bytes(nonce)
        .map_err(|e| internal("decoding a nonce", e))?;
    let (x, y) = point_to_hex(&ProjectivePoint::mul_by_generator(&scalar).to_affine());
    Ok(PubNonce { x, y })
}

/// The node's clock minus the client's `client_time`, in seconds, as a decimal string.
fn time_offset(params: &Params<'static>) -> String {
    #[derive(serde::Deserialize)]
    struct ClientTime {
        client_time: String,
    }
    params
        .parse::<ClientTime>()
        .ok()
        .and_then(|t| t.client_time.parse::<i64>().ok())
        .map(|client| (now_secs() as i64).saturating_sub(client))
        .unwrap_or(0)
        .to_string()
}

/// `r ‖ s ‖ v` (`v` 27 or 28) by `key` over keccak-256 of `message`, as Ethereum signs.
fn sign_eth(key: &SigningKey, message: &[u8]) -> Result<[u8; 65], ApiError> {
    let (signature, recovery) = key
        .sign_prehash_recoverable(&keccak256(message))
        .map_err(|e| internal("signing", e))?;
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&signature.to_bytes());
    out[64] = 27 + recovery.to_byte();
    Ok(out)
}

/// The compressed key that made the `r ‖ s ‖ v` hex signature over keccak-256 of `message`.
fn recover_eth(signature_hex: &str, message: &[u8]) -> Option<[u8; 33]> {
    let mut bytes = [0u8; 65];
    hex::decode_to_slice(
        signature_hex.strip_prefix("0x").unwrap_or(signature_hex),
        &mut bytes,
    )
    .ok()?;
    let recovery = match bytes[64] {
        v @ (27 | 28) => v - 27,
        v @ (0 | 1) => v,
        _ => return None,
    };
    let signature = Signature::from_slice(&bytes[..64]).ok()?;
    let key = VerifyingKey::recover_from_prehash(
        &keccak256(message),
        &signature,
        RecoveryId::from_byte(recovery)?,
    )
    .ok()?;
    key.to_encoded_point(true).as_bytes().try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use polkadot_sdk::sp_core::ecdsa;

    #[test]
    fn an_eth_signature_recovers_its_signer_and_nothing_else() {
        let pair = app::Pair::from_seed(&[7; 32]);
        let key = SigningKey::from_bytes(&[7; 32].into()).expect("a scalar");
        let signature = sign_eth(&key, b"hello").expect("signs");
        assert!(matches!(signature[64], 27 | 28));
        let text = hex::encode(signature);
        assert_eq!(
            recover_eth(&text, b"hello").map(|p| p.to_vec()),
            Some(pair.public().as_slice().to_vec())
        );
        // Substrate's ECDSA recovers the same key from the same signature (0/1 recovery byte).
        let mut substrate = signature;
        substrate[64] -= 27;
        assert_eq!(
            ecdsa::Signature::from_raw(substrate)
                .recover_prehashed(&keccak256(b"hello"))
                .map(|p| p.0.to_vec()),
            Some(pair.public().as_slice().to_vec())
        );
        assert_ne!(
            recover_eth(&text, b"hellO").map(|p| p.to_vec()),
            Some(pair.public().as_slice().to_vec())
        );
        assert_eq!(recover_eth("zz", b"hello"), None);
        let mut bad_v = signature;
        bad_v[64] = 30;
        assert_eq!(recover_eth(&hex::encode(bad_v), b"hello"), None);
    }

    #[test]
    fn errors_carry_their_code_and_the_same_message_as_data() {
        let e = ErrorObjectOwned::from(ApiError::DuplicateToken);
        assert_eq!(e.code(), 2004);
        assert_eq!(e.message(), "Duplicate token found");
        assert_eq!(e.data().map(|d| d.get()), Some("\"Duplicate token found\""));
        assert_eq!(
            ApiError::IdToken(IdTokenError::Expired { exp: 1, now: 2 }).code(),
            3134
        );
    }

    #[test]
    fn the_public_nonce_is_the_nonce_times_g() {
        let mut nonce = [0u8; 32];
        nonce[31] = 1;
        let (gx, gy) = point_to_hex(&AffinePoint::GENERATOR);
        assert_eq!(
            pub_nonce(&nonce).expect("valid"),
            PubNonce {
                x: gx.clone(),
                y: gy
            }
        );
        nonce[31] = 2;
        assert_ne!(pub_nonce(&nonce).expect("valid").x, gx);
        assert!(pub_nonce(&[0; 32]).is_err(), "zero is not a nonce");
        assert!(pub_nonce(&[0xff; 32]).is_err(), "not below the group order");
    }
}
