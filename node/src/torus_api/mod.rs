//! The Torus JSON-RPC API: login → key, as the published `@toruslabs/torus.js` client (v17,
//! sapphire flow) speaks it, served by validators on the node's RPC port (and, with
//! `--torus-api-addr`, alone on a port of its own).
//!
//! | method | what the node does |
//! |---|---|
//! | `VerifierLookupRequest` | the user's key in the finalized block, or the "not yet assigned" error |
//! | `GetPubKeyOrKeyAssign` | the user's key, assigning one on chain first if needed, once the assignment is finalized |
//! | `CommitmentRequest` | remembers the token commitment durably (refusing one it has seen, or one of a token it has answered) and signs it with the node's DKG key |
//! | `GetShareOrKeyAssign` | checks ⌊n/2⌋+1 node signatures on the commitment, that the token hashes to it, the token itself (against the verifier in the finalized block), waits for the user's assignment to be finalized, checks its share against the key's commitments, remembers the token durably, and returns the share and a session token encrypted to the client's session key |
//!
//! Every request is hostile until proven otherwise: its parameters are parsed and bounded by
//! [`params`] before anything else, each call first passes the per-IP and the per-verifier
//! (per caller) rate limits, and a panic inside a handler is caught and answered as an
//! internal error instead of exiting the node ([`catch_panics`]). The replay guards are written
//! to disk before a commitment is signed or a share released ([`guards`]).
//!
//! Keys are assigned on chain by an unsigned `keys.assign` signed with the node's DKG key; the
//! pool keeps one per user, so the requests of every node for one login become one
//! transaction, and the chain charges the verifier's key allowance for it. Module map: [`error`]
//! the error codes, [`params`] request parsing, [`chain`] what is read from the chain,
//! [`signatures`] the commitment signatures, [`handlers`] the four methods. The method names,
//! error codes and JSON shapes are defined once, for node and clients, in `torus-rpc-api`, and
//! documented for clients in `docs/TORUS-API.md`.

mod chain;
pub mod error;
mod guards;
mod handlers;
pub mod params;
pub mod signatures;

use std::{
    future::Future,
    net::IpAddr,
    panic::AssertUnwindSafe,
    path::Path,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll},
    time::Instant,
};

use jsonrpsee::{types::ErrorObjectOwned, Extensions, RpcModule};
use polkadot_sdk::{
    sc_client_api::BlockchainEvents, sc_transaction_pool_api::TransactionPool,
    sp_api::ProvideRuntimeApi, sp_blockchain::HeaderBackend, sp_panic_handler::AbortGuard,
};
use torus_primitives::{DkgApi, KeysApi, VerifiersApi};
use torus_rpc_api::methods;
use torus_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Hash};

use crate::{
    keyholder::{keys::DkgKeys, store::ShareStore},
    rpc_server::CallerIp,
};
pub use error::ApiError;
pub use guards::GuardError;
use guards::{RateLimiter, ReplayGuards};

/// How old a node's commitment signature may be when the client presents it.
pub const COMMITMENT_SIGNATURE_MAX_AGE_SECS: u64 = 120;
/// The longest session token a client may ask for (7 days).
pub const MAX_SESSION_SECS: u64 = 7 * 24 * 3600;
/// The most commitments, and the most answered tokens, a node remembers at once.
const GUARD_CAPACITY: usize = 1_000_000;
/// The most callers (or verifier–caller pairs) a rate limiter tracks per generation.
const LIMITER_CAPACITY: usize = 100_000;

/// Operator settings of the API (`torus-node` flags).
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// Addresses that serve the Torus API alone (`--torus-api-addr`), besides the RPC port.
    pub listen: Vec<std::net::SocketAddr>,
    /// The public URL of this node's Torus API, published on chain (`--torus-api-url`).
    pub public_url: Option<String>,
    /// Requests per second per verifier and caller IP address (0: unlimited).
    pub verifier_rate: u32,
    /// Burst allowance per verifier and caller IP address.
    pub verifier_burst: u32,
    /// Requests per second per caller IP address, IPv6 per /64 (0: unlimited).
    pub ip_rate: u32,
    /// Burst allowance per caller IP address.
    pub ip_burst: u32,
}

/// The per-IP request limit, shared by the Torus API's methods and `torus_nodeDetails` (all
/// that a `--torus-api-addr` listener serves), so that a caller's requests to any of them
/// count against one budget.
pub struct CallerLimit(Mutex<RateLimiter<IpAddr>>);

impl CallerLimit {
    /// `rate` requests per second per caller IP address, bursts of `burst` (rate 0: unlimited).
    pub fn new(rate: u32, burst: u32) -> Self {
        Self(Mutex::new(RateLimiter::new(rate, burst, LIMITER_CAPACITY)))
    }

    /// Takes one request of the caller's IP address (IPv6: its /64, which one host usually
    /// has) and returns the address as limited. Calls without a [`CallerIp`] (whitelisted or
    /// in-process) are not limited.
    pub fn admit(&self, ext: &Extensions) -> Result<Option<IpAddr>, ApiError> {
        let Some(CallerIp(ip)) = ext.get::<CallerIp>().copied() else {
            return Ok(None);
        };
        let key = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
            },
            v4 => v4,
        };
        if lock(&self.0).allow(&key, Instant::now()) {
            Ok(Some(key))
        } else {
            Err(ApiError::IpRateLimited)
        }
    }
}

/// The API's state: the node's client, pool, keys and share store, the replay guards, the
/// rate limits and the caches of chain state.
pub struct TorusApi<C, P> {
    client: Arc<C>,
    pool: Arc<P>,
    keys: Arc<DkgKeys>,
    store: Arc<ShareStore>,
    replay: Mutex<ReplayGuards>,
    per_ip: Arc<CallerLimit>,
    per_verifier: Mutex<RateLimiter<(String, IpAddr)>>,
    best_view: Mutex<chain::BlockView>,
    finalized_view: Mutex<chain::BlockView>,
    finalized: Mutex<chain::Finalized>,
}

/// What the API needs of the node's client: the Torus runtime APIs, headers and block events.
pub trait ApiClient:
    ProvideRuntimeApi<
        Block,
        Api: KeysApi<Block> + DkgApi<Block, BlockNumber> + VerifiersApi<Block, AccountId, Balance>,
    > + HeaderBackend<Block>
    + BlockchainEvents<Block>
    + Send
    + Sync
    + 'static
{
}

impl<C> ApiClient for C where
    C: ProvideRuntimeApi<
            Block,
            Api: KeysApi<Block>
                     + DkgApi<Block, BlockNumber>
                     + VerifiersApi<Block, AccountId, Balance>,
        > + HeaderBackend<Block>
        + BlockchainEvents<Block>
        + Send
        + Sync
        + 'static
{
}

/// Locks `mutex`, also after a panic elsewhere poisoned it (the state it guards stays usable:
/// every update of it is a single insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<C: ApiClient, P> TorusApi<C, P>
where
    P: TransactionPool<Block = Block, Hash = Hash> + 'static,
{
    /// The API of a validator, its replay guards kept in the journal file `replay_journal`,
    /// its callers limited per IP address and per verifier as `settings` say.
    pub fn new(
        client: Arc<C>,
        pool: Arc<P>,
        keys: Arc<DkgKeys>,
        store: Arc<ShareStore>,
        replay_journal: &Path,
        settings: &ApiSettings,
    ) -> Result<Self, GuardError> {
        let replay = ReplayGuards::open(replay_journal, GUARD_CAPACITY, handlers::now_secs())?;
        Ok(Self {
            client,
            pool,
            keys,
            store,
            replay: Mutex::new(replay),
            per_ip: Arc::new(CallerLimit::new(settings.ip_rate, settings.ip_burst)),
            per_verifier: Mutex::new(RateLimiter::new(
                settings.verifier_rate,
                settings.verifier_burst,
                LIMITER_CAPACITY,
            )),
            best_view: Mutex::default(),
            finalized_view: Mutex::default(),
            finalized: Mutex::default(),
        })
    }

    /// The per-IP limit of the API's callers, for the node's other method on its public
    /// listeners (`torus_nodeDetails`) to share.
    pub fn per_ip(&self) -> Arc<CallerLimit> {
        self.per_ip.clone()
    }

    /// The four methods, ready to merge into the node's RPC module. Each call first takes its
    /// caller's IP address ([`CallerIp`]) through the per-IP limit, and runs under
    /// [`catch_panics`].
    pub fn rpc_module(api: Arc<Self>) -> RpcModule<Self> {
        let mut module = RpcModule::from_arc(api);
        module
            .register_async_method(methods::VERIFIER_LOOKUP, |params, api, ext| {
                catch_panics(async move {
                    let caller = api.per_ip.admit(&ext)?;
                    api.verifier_lookup(params, caller)
                })
            })
            .expect("method names are unique");
        module
            .register_async_method(methods::GET_PUB_KEY_OR_KEY_ASSIGN, |params, api, ext| {
                catch_panics(async move {
                    let caller = api.per_ip.admit(&ext)?;
                    api.get_pub_key_or_assign(params, caller).await
                })
            })
            .expect("method names are unique");
        module
            .register_async_method(methods::COMMITMENT_REQUEST, |params, api, ext| {
                catch_panics(async move {
                    let caller = api.per_ip.admit(&ext)?;
                    api.commitment_request(params, caller)
                })
            })
            .expect("method names are unique");
        module
            .register_async_method(methods::GET_SHARE_OR_KEY_ASSIGN, |params, api, ext| {
                catch_panics(async move {
                    let caller = api.per_ip.admit(&ext)?;
                    api.get_share_or_assign(params, caller).await
                })
            })
            .expect("method names are unique");
        module
    }

    /// Takes one request of `caller` for verifier `name` from the per-verifier limit, which is
    /// kept per caller so that one address cannot spend a popular verifier's allowance of
    /// requests for everyone else.
    /// Whitelisted callers (no [`CallerIp`]) are not limited.
    fn admit_for_verifier(&self, name: &str, caller: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(caller) = caller else {
            return Ok(());
        };
        let key = (name.to_owned(), caller);
        if lock(&self.per_verifier).allow(&key, Instant::now()) {
            Ok(())
        } else {
            Err(ApiError::RateLimited)
        }
    }
}

/// Runs a handler's future so that a panic inside it answers [`ApiError::Internal`] (and is
/// logged) instead of exiting the node: each poll runs under an
/// [`AbortGuard::force_unwind`], which tells Substrate's panic handler to let the panic unwind
/// to this function's `catch_unwind`, and the future is never polled again after a panic.
/// (The API's locks recover from poisoning, see [`lock`].) Defence in depth: no input is meant
/// to reach a panic in the first place.
pub fn catch_panics<T: 'static>(
    handler: impl Future<Output = Result<T, ApiError>> + Send + 'static,
) -> impl Future<Output = Result<T, ErrorObjectOwned>> + Send + 'static {
    CatchPanics(Some(Box::pin(handler)))
}

type Handler<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send>>;

struct CatchPanics<T>(Option<Handler<T>>);

impl<T> Future for CatchPanics<T> {
    type Output = Result<T, ErrorObjectOwned>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(handler) = self.0.as_mut() else {
            return Poll::Ready(Err(ApiError::Internal.into()));
        };
        let polled = {
            let _unwind = AbortGuard::force_unwind();
            std::panic::catch_unwind(AssertUnwindSafe(|| handler.as_mut().poll(cx)))
        };
        match polled {
            Ok(Poll::Ready(result)) => Poll::Ready(result.map_err(Into::into)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => {
                self.0 = None;
                log::error!(target: "torus-api", "a Torus API handler panicked; answered as an internal error");
                Poll::Ready(Err(ApiError::Internal.into()))
            }
        }
    }
}
