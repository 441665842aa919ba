//! [`TorusClient`]: logins and key lookups against the nodes of a Torus network, speaking the
//! Torus JSON-RPC API as `@toruslabs/torus.js` 17 does (sapphire DKG flow, secp256k1,
//! commitment flow). See `shared/reference/torus-client-protocol.md` and `docs/` for the wire
//! protocol.
//!
//! Every method asks all nodes at once and decides after **each** reply, as soon as the replies
//! so far settle the question; it never waits for slow or dead nodes once enough have answered,
//! and it gives up as soon as enough matching answers have become impossible.

use std::{
    future::Future,
    pin::Pin,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use futures::{stream::FuturesUnordered, StreamExt};
use jsonrpsee::{
    core::{
        client::ClientT,
        params::{ArrayParams, ObjectParams},
        ClientError,
    },
    http_client::{HttpClient, HttpClientBuilder},
};
use k256::{elliptic_curve::PrimeField, Scalar};
use serde::Serialize;
use serde_json::Value;
use torus_crypto::{ecies::EncryptionSecretKey, vss::SecretShare};
use zeroize::Zeroizing;

use crate::{
    encoding::{decode_hex32, keccak256, point_to_hex},
    error::{Error, NodeError, NodeFailure, NodeReport},
    keys::{apply_nonce, final_public_key, reconstruct, KeyError, PrivateKey, PublicKey},
    wire::{
        self, codes, CommitmentParams, LookupParams, LookupResult, NodeSignature, NonceData,
        ShareParams, ShareResult,
    },
};

/// How long one request may take (as `torus.js`: 60 s).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The pauses before the retries of a `CommitmentRequest` that got no answer (as `torus.js`).
const COMMITMENT_RETRY_DELAYS_MS: [u64; 4] = [200, 400, 800, 1600];

/// `⌊n/2⌋ + 1`: matching answers needed, and shares to reconstruct from.
pub fn half_threshold(n: usize) -> usize {
    n / 2 + 1
}

/// `⌊3n/4⌋ + 1`: commitments a login waits for before it asks for shares (unless every node
/// has answered and ⌊n/2⌋+1 signed).
pub fn three_quarters_threshold(n: usize) -> usize {
    3 * n / 4 + 1
}

/// A user's public key as the network shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicKeyInfo {
    /// X of the final public key, 64 hex digits.
    pub x: String,
    /// Y of the final public key, 64 hex digits.
    pub y: String,
    /// The EIP-55 Ethereum address of the final key (`oauth_public_key + pub_nonce`): the
    /// user's address.
    pub address: String,
    /// The final public key.
    pub public_key: PublicKey,
    /// The key the nodes hold shares of (before the nonce).
    pub oauth_public_key: PublicKey,
    /// The address of the oAuth key.
    pub oauth_address: String,
    /// The metadata nonce's public point `R = r·G`.
    pub pub_nonce: PublicKey,
    /// Whether the nodes report the key as newly assigned (`is_new_key`).
    pub is_new_key: bool,
    /// The node indexes of the nodes whose reply matched, ascending.
    pub node_indexes: Vec<u16>,
}

/// One node's session token, issued with its share.
#[derive(Clone)]
pub struct SessionToken {
    /// The issuing node's index.
    pub node_index: u16,
    /// The token's bytes as the node issued them (JSON on Torus nodes, with its `exp`).
    pub token: Zeroizing<Vec<u8>>,
    /// The node's signature over the token.
    pub signature: Vec<u8>,
    /// The node's public key X (hex, as sent).
    pub node_pubx: String,
    /// The node's public key Y (hex, as sent).
    pub node_puby: String,
}

impl SessionToken {
    /// The token as standard padded base64, the form `torus.js` hands to apps.
    pub fn token_base64(&self) -> Zeroizing<String> {
        use base64::Engine as _;
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*self.token))
    }
}

impl core::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionToken")
            .field("node_index", &self.node_index)
            .field("token", &"<redacted>")
            .field("signature_len", &self.signature.len())
            .finish()
    }
}

/// The session of a login: the ephemeral key the shares were encrypted to, which also
/// authenticates the session tokens later.
#[derive(Clone, Debug)]
pub struct SessionData {
    /// The session private key (`sessionAuthKey` in `torus.js`; secret).
    pub session_key: PrivateKey,
    /// The session tokens of the nodes whose replies were used, in endpoint order.
    pub tokens: Vec<SessionToken>,
}

/// The result of a login: the user's final key and how it was obtained. The private keys
/// zeroize on drop and are never printed by `Debug`.
#[derive(Clone, Debug)]
pub struct RetrievedKey {
    private_key: PrivateKey,
    oauth_private_key: PrivateKey,
    public_key: PublicKey,
    address: String,
    oauth_public_key: PublicKey,
    pub_nonce: PublicKey,
    node_indexes: Vec<u16>,
    session: SessionData,
}

impl RetrievedKey {
    /// The user's final private key `oauth + nonce mod N` (secret).
    pub fn private_key(&self) -> &Scalar {
        self.private_key.scalar()
    }

    /// The final private key as 64 hex digits (secret; zeroized when dropped).
    pub fn private_key_hex(&self) -> Zeroizing<String> {
        self.private_key.to_hex()
    }

    /// The interpolated key the nodes hold shares of (secret).
    pub fn oauth_private_key(&self) -> &Scalar {
        self.oauth_private_key.scalar()
    }

    /// The final public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The EIP-55 Ethereum address of the final key: the user's address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The oAuth public key (before the nonce).
    pub fn oauth_public_key(&self) -> &PublicKey {
        &self.oauth_public_key
    }

    /// The metadata nonce's public point `R = r·G`.
    pub fn pub_nonce(&self) -> &PublicKey {
        &self.pub_nonce
    }

    /// The node indexes of the shares that interpolated to the key, in the order used.
    pub fn node_indexes(&self) -> &[u16] {
        &self.node_indexes
    }

    /// The login's session: its key and the nodes' session tokens.
    pub fn session(&self) -> &SessionData {
        &self.session
    }
}

type Reply<R> = Result<R, NodeFailure>;
/// What lookup replies are compared on: X, Y, address and `is_new_key`.
type AgreementKey = (String, String, String, Value);
type Pending<R> = Pin<Box<dyn Future<Output = (usize, Reply<R>)> + Send>>;

/// The state of a method's replies after one more arrived.
struct Round<'a, R> {
    /// Settled replies, by endpoint position (`None`: still pending).
    replies: &'a [Option<Reply<R>>],
    /// Requests still running.
    pending: usize,
}

impl<R> Round<'_, R> {
    fn ok(&self) -> impl Iterator<Item = (usize, &R)> {
        self.replies
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Some(Ok(v)) => Some((i, v)),
                _ => None,
            })
    }

    fn rpc_errors(&self) -> impl Iterator<Item = &NodeError> {
        self.replies.iter().filter_map(|r| match r {
            Some(Err(NodeFailure::Rpc(e))) => Some(e),
            _ => None,
        })
    }
}

/// The value with the most occurrences, with its count (first seen wins ties).
fn most_common<K: PartialEq>(items: impl IntoIterator<Item = K>) -> Option<(K, usize)> {
    let mut counts: Vec<(K, usize)> = Vec::new();
    for item in items {
        match counts.iter_mut().find(|(k, _)| *k == item) {
            Some((_, c)) => *c += 1,
            None => counts.push((item, 1)),
        }
    }
    let best = counts.iter().map(|(_, c)| *c).max()?;
    counts.into_iter().find(|(_, c)| *c == best)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn parse_index(value: &Value) -> Option<u16> {
    match value {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        _ => None,
    }
    .filter(|i| *i != 0)
}

fn classify(error: ClientError) -> NodeFailure {
    match error {
        ClientError::Call(obj) => NodeFailure::Rpc(NodeError {
            code: obj.code(),
            message: obj.message().to_owned(),
            data: obj
                .data()
                .map(|raw| match serde_json::from_str::<Value>(raw.get()) {
                    Ok(Value::String(text)) => text,
                    _ => raw.get().to_owned(),
                }),
        }),
        ClientError::ParseError(e) => NodeFailure::InvalidReply(e.to_string()),
        other => NodeFailure::Transport(other.to_string()),
    }
}

/// A client of a Torus network: the nodes' JSON-RPC endpoints, in a fixed order.
#[derive(Clone, Debug)]
pub struct TorusClient {
    endpoints: Vec<String>,
    nodes: Vec<Result<HttpClient, String>>,
    session_secs: u64,
}

impl TorusClient {
    /// A client of the nodes at `endpoints` (HTTP JSON-RPC URLs, e.g. `http://127.0.0.1:9944`).
    /// Their number `n` fixes the thresholds: ⌊n/2⌋+1 matching answers, ⌊3n/4⌋+1 commitments.
    /// An endpoint that is not a valid URL counts as a node that never answers (see
    /// [`try_new`](Self::try_new) to refuse it instead); with no endpoints every call fails with
    /// [`Error::NoEndpoints`].
    pub fn new(endpoints: Vec<String>) -> Self {
        let nodes = endpoints
            .iter()
            .map(|endpoint| {
                HttpClientBuilder::default()
                    .request_timeout(REQUEST_TIMEOUT)
                    .build(endpoint)
                    .map_err(|e| format!("invalid endpoint: {e}"))
            })
            .collect();
        Self {
            endpoints,
            nodes,
            session_secs: wire::DEFAULT_SESSION_SECS,
        }
    }

    /// A client of the committee that holds `user`'s key (verifier, verifier id) — or, without
    /// `user` or for a user without a key yet, of the newest committee, which new keys go to —
    /// as the node at `node` reads it from the finalized chain (`torus_nodeDetails`). Every
    /// member is one endpoint, in index order, so the thresholds are the committee's; a member
    /// that published no Torus API URL, or that reported its shares lost, counts as a node
    /// that never answers and is not asked.
    pub async fn discover(node: &str, user: Option<(&str, &str)>) -> Result<Self, Error> {
        let discovery = |reason: String| Error::Discovery {
            node: node.to_owned(),
            reason,
        };
        let http = HttpClientBuilder::default()
            .request_timeout(REQUEST_TIMEOUT)
            .build(node)
            .map_err(|e| Error::InvalidEndpoint {
                endpoint: node.to_owned(),
                reason: e.to_string(),
            })?;
        let mut params = ArrayParams::new();
        let user = user.map(|(verifier, verifier_id)| wire::NodeDetailsUser {
            verifier: verifier.to_owned(),
            verifier_id: verifier_id.to_owned(),
            extended_verifier_id: None,
        });
        params.insert(user).map_err(|e| discovery(e.to_string()))?;
        let details: wire::NodeDetails = http
            .request(wire::NODE_DETAILS, params)
            .await
            .map_err(|e| discovery(e.to_string()))?;
        Self::from_details(&details).map_err(discovery)
    }

    /// A client of the committee that `details` describe (see [`discover`](Self::discover)).
    pub fn from_details(details: &wire::NodeDetails) -> Result<Self, String> {
        let mut endpoints = Vec::with_capacity(details.nodes.len());
        let mut nodes = Vec::with_capacity(details.nodes.len());
        for member in &details.nodes {
            let node = match (&member.endpoint, member.holds_shares) {
                (Some(endpoint), true) => {
                    endpoints.push(endpoint.clone());
                    HttpClientBuilder::default()
                        .request_timeout(REQUEST_TIMEOUT)
                        .build(endpoint)
                        .map_err(|e| format!("invalid endpoint: {e}"))
                }
                (endpoint, holds_shares) => {
                    let why = if holds_shares {
                        "published no Torus API URL"
                    } else {
                        "reported its shares lost"
                    };
                    endpoints.push(endpoint.clone().unwrap_or_else(|| {
                        format!("member {} of epoch {}", member.index, details.current_epoch)
                    }));
                    Err(format!("not asked: the member {why}"))
                }
            };
            nodes.push(node);
        }
        let reachable = nodes.iter().filter(|n| n.is_ok()).count();
        if reachable < usize::from(details.threshold) {
            return Err(format!(
                "only {reachable} of the {} members of epoch {} can be asked; {} are needed",
                details.nodes.len(),
                details.current_epoch,
                details.threshold
            ));
        }
        Ok(Self {
            endpoints,
            nodes,
            session_secs: wire::DEFAULT_SESSION_SECS,
        })
    }

    /// [`new`](Self::new), refusing an empty list and endpoints that are not valid URLs.
    pub fn try_new(endpoints: Vec<String>) -> Result<Self, Error> {
        if endpoints.is_empty() {
            return Err(Error::NoEndpoints);
        }
        let client = Self::new(endpoints);
        if let Some((endpoint, Err(reason))) = client
            .endpoints
            .iter()
            .zip(&client.nodes)
            .find(|(_, node)| node.is_err())
        {
            return Err(Error::InvalidEndpoint {
                endpoint: endpoint.clone(),
                reason: reason.clone(),
            });
        }
        Ok(client)
    }

    /// Sets the lifetime the session tokens of later logins are asked for (default 86 400 s).
    pub fn with_session_secs(mut self, secs: u64) -> Self {
        self.session_secs = secs;
        self
    }

    /// The endpoints, in order.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// `⌊n/2⌋ + 1` for this client's `n` endpoints.
    pub fn half(&self) -> usize {
        half_threshold(self.endpoints.len())
    }

    /// `⌊3n/4⌋ + 1` for this client's `n` endpoints.
    pub fn three_quarters(&self) -> usize {
        three_quarters_threshold(self.endpoints.len())
    }

    /// Sends `method` with `params` to every node and calls `decide` after each reply until it
    /// returns a result. `decide` must return one once nothing is pending.
    async fn gather<R, T>(
        &self,
        method: &'static str,
        params: &Value,
        retry: bool,
        parse: fn(Value) -> Result<R, String>,
        mut decide: impl FnMut(usize, Round<'_, R>) -> Option<Result<T, Error>>,
    ) -> Result<T, Error>
    where
        R: Send + 'static,
    {
        if self.nodes.is_empty() {
            return Err(Error::NoEndpoints);
        }
        let mut running: FuturesUnordered<Pending<R>> = FuturesUnordered::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let node = node.clone();
            let params = params.clone();
            running.push(Box::pin(async move {
                let reply = match node {
                    Ok(node) => call(&node, method, &params, retry)
                        .await
                        .and_then(|v| parse(v).map_err(NodeFailure::InvalidReply)),
                    Err(reason) => Err(NodeFailure::Transport(reason)),
                };
                (i, reply)
            }));
        }
        let mut replies: Vec<Option<Reply<R>>> = (0..self.nodes.len()).map(|_| None).collect();
        while let Some((i, reply)) = running.next().await {
            replies[i] = Some(reply);
            let round = Round {
                replies: &replies,
                pending: running.len(),
            };
            if let Some(outcome) = decide(i, round) {
                return outcome;
            }
        }
        Err(self.no_quorum(method, "no answer settled the request".into(), &replies))
    }

    /// How a key lookup's round ends when no answer has ⌊n/2⌋+1 nodes behind it (`agreeing` is
    /// the largest number that agree on one): the nodes' refusal (other than `answer_code`,
    /// an error code that is an answer) once ⌊n/2⌋+1 sent the same, no quorum once neither can
    /// be reached, otherwise `None` (wait for more replies).
    fn refused_or_no_quorum<R, T>(
        &self,
        method: &'static str,
        round: &Round<'_, R>,
        agreeing: usize,
        what: &str,
        answer_code: Option<i32>,
    ) -> Option<Result<T, Error>> {
        let half = self.half();
        let error = most_common(round.rpc_errors().filter(|e| Some(e.code) != answer_code));
        if let Some((error, nodes)) = &error {
            if *nodes >= half {
                return Some(Err(Error::NodesRefused {
                    method,
                    nodes: *nodes,
                    error: (*error).clone(),
                }));
            }
        }
        let best = agreeing.max(error.map_or(0, |e| e.1));
        (best + round.pending < half).then(|| {
            Err(self.no_quorum(
                method,
                format!("fewer than {half} nodes agree on {what}"),
                round.replies,
            ))
        })
    }

    fn no_quorum<R>(
        &self,
        method: &'static str,
        reason: String,
        replies: &[Option<Reply<R>>],
    ) -> Error {
        let failures = replies
            .iter()
            .enumerate()
            .filter_map(|(node, r)| match r {
                Some(Err(failure)) => Some(NodeReport {
                    node,
                    endpoint: self.endpoints[node].clone(),
                    failure: failure.clone(),
                }),
                _ => None,
            })
            .collect();
        Error::NoQuorum {
            method,
            reason,
            failures,
        }
    }

    /// Looks a user's key up **without assigning one** (`VerifierLookupRequest`): `None` when at
    /// least half of the nodes say the user has no key yet. The nonce that gives the final key
    /// is read with `GetPubKeyOrKeyAssign`, which assigns nothing for a user who has a key,
    /// unless the lookup replies already carry it.
    pub async fn lookup(
        &self,
        verifier: &str,
        verifier_id: &str,
    ) -> Result<Option<PublicKeyInfo>, Error> {
        let method = wire::VERIFIER_LOOKUP;
        let half = self.half();
        let params = to_params(&LookupParams::lookup(verifier, verifier_id, now_secs()));
        let found = self
            .gather(method, &params, false, parse_lookup, |_, round| {
                let keys = most_common(round.ok().filter_map(|(_, r)| {
                    r.agreement_key().map(|(x, y, address, _)| (x, y, address))
                }));
                if let Some((key, count)) = &keys {
                    if *count >= half {
                        let nonce = round.ok().find_map(|(_, r)| {
                            let k = r.keys.first()?;
                            let nonce = k.nonce_data.as_ref()?;
                            (k.pub_key_x.eq_ignore_ascii_case(&key.0)
                                && nonce.usable_pub_nonce().is_some())
                            .then(|| nonce.clone())
                        });
                        let indexes = matching_indexes(&round, |r| {
                            r.agreement_key().is_some_and(|(x, y, a, _)| {
                                (&x, &y, &a) == (&key.0, &key.1, &key.2)
                            })
                        });
                        return Some(Ok(Some((key.clone(), nonce, indexes))));
                    }
                }
                let not_assigned = round
                    .rpc_errors()
                    .filter(|e| e.code == codes::NOT_ASSIGNED)
                    .count();
                if not_assigned >= half {
                    return Some(Ok(None));
                }
                self.refused_or_no_quorum(
                    method,
                    &round,
                    keys.map_or(0, |k| k.1).max(not_assigned),
                    "the user's key",
                    Some(codes::NOT_ASSIGNED),
                )
            })
            .await?;
        let Some(((x, y, _), nonce, indexes)) = found else {
            return Ok(None);
        };
        let oauth = PublicKey::from_hex(&x, &y).map_err(|_| Error::InvalidAgreedValue {
            method,
            what: "public key",
        })?;
        let info = match nonce {
            Some(nonce) => key_info(method, oauth, &nonce, false, indexes)?,
            None => {
                let info = self.get_or_assign(verifier, verifier_id).await?;
                if info.oauth_public_key != oauth {
                    return Err(Error::InconsistentLookup);
                }
                info
            }
        };
        Ok(Some(info))
    }

    /// Looks a user's key up, **assigning one** on first use (`GetPubKeyOrKeyAssign`, what
    /// `torus.js`'s `getPublicAddress` sends). A first call may take a block or two while the
    /// chain decides the assignment.
    pub async fn get_or_assign(
        &self,
        verifier: &str,
        verifier_id: &str,
    ) -> Result<PublicKeyInfo, Error> {
        let method = wire::GET_PUB_KEY_OR_KEY_ASSIGN;
        let params = LookupParams::get_or_assign(verifier, verifier_id, now_secs());
        self.assigned_key(&params, "the user's key", |key, round| {
            // The first reply, in endpoint order, for this key with a public nonce.
            let nonce = round.ok().find_map(|(_, r)| {
                let k = r.keys.first()?;
                let nonce = k.nonce_data.as_ref()?;
                (k.pub_key_x.eq_ignore_ascii_case(&key.0) && nonce.usable_pub_nonce().is_some())
                    .then_some(nonce)
            });
            let Some(nonce) = nonce else {
                return (round.pending == 0).then_some(Err(Error::MissingNonce { method }));
            };
            let indexes = matching_indexes(round, |r| r.agreement_key().as_ref() == Some(key));
            let is_new = matches!(&key.3, Value::Bool(true))
                || matches!(&key.3, Value::String(s) if s == "true");
            let oauth = match PublicKey::from_hex(&key.0, &key.1) {
                Ok(oauth) => oauth,
                Err(_) => {
                    return Some(Err(Error::InvalidAgreedValue {
                        method,
                        what: "public key",
                    }))
                }
            };
            Some(key_info(method, oauth, nonce, is_new, indexes))
        })
        .await
    }

    /// The network key of the user's TSS key `tag`/`nonce` under a threshold-signing verifier,
    /// **assigned** on first use (`GetPubKeyOrKeyAssign` with `extended_verifier_id`, what
    /// torus.js's TSS public-key lookup sends): the public key ⌊n/2⌋+1 nodes agree on. No
    /// metadata nonce applies to it, and no node ever releases its shares.
    pub async fn tss_network_key(
        &self,
        verifier: &str,
        verifier_id: &str,
        tag: &str,
        nonce: u32,
    ) -> Result<PublicKey, Error> {
        let name = torus_primitives::keys::tss_key_name(verifier_id, tag, nonce);
        let params = LookupParams::get_or_assign_tss(verifier, verifier_id, &name, now_secs());
        self.assigned_key(&params, "the network key", |key, _| {
            Some(
                PublicKey::from_hex(&key.0, &key.1).map_err(|_| Error::InvalidAgreedValue {
                    method: wire::GET_PUB_KEY_OR_KEY_ASSIGN,
                    what: "public key",
                }),
            )
        })
        .await
    }

    /// `GetPubKeyOrKeyAssign` with `params` at every node until ⌊n/2⌋+1 replies agree on a key
    /// (`agreed` then makes the answer of it, or waits with `None`), or as many refuse alike,
    /// or neither can happen any more.
    async fn assigned_key<T>(
        &self,
        params: &LookupParams,
        what: &str,
        agreed: impl Fn(&AgreementKey, &Round<'_, LookupResult>) -> Option<Result<T, Error>>,
    ) -> Result<T, Error> {
        let method = wire::GET_PUB_KEY_OR_KEY_ASSIGN;
        let half = self.half();
        self.gather(
            method,
            &to_params(params),
            false,
            parse_lookup,
            |_, round| {
                let keys = most_common(round.ok().filter_map(|(_, r)| r.agreement_key()));
                if let Some((key, count)) = &keys {
                    if *count >= half {
                        return agreed(key, &round);
                    }
                }
                self.refused_or_no_quorum(method, &round, keys.map_or(0, |k| k.1), what, None)
            },
        )
        .await
    }

    /// Logs in with an id token and reconstructs the user's key (`CommitmentRequest`, then
    /// `GetShareOrKeyAssign`), assigning a key on first use.
    ///
    /// 1. A fresh session key `t` (zeroized on drop) and the commitment keccak-256(`id_token`)
    ///    are sent to every node; once ⌊3n/4⌋+1 nodes have signed it (or ⌊n/2⌋+1 once every
    ///    node has answered), their signatures go, with the token, to every node.
    /// 2. As soon as ⌊n/2⌋+1 replies agree on the public key, every ⌊n/2⌋+1-subset of the
    ///    decrypted shares is tried in lexicographic order until one interpolates to that key
    ///    (wrong shares are tolerated). At least ⌊n/2⌋+1 session tokens and signatures must have
    ///    been sent, as `torus.js` requires.
    /// 3. The final key is the interpolated key plus the metadata nonce, after checking that
    ///    the nonce matches its public point.
    ///
    /// The token's surrounding whitespace is removed first, as nodes do before hashing it. An id
    /// token can be used once: a second login with it fails with the nodes' `Duplicate token
    /// found` (see [`Error::node_messages`]).
    pub async fn retrieve_key(
        &self,
        verifier: &str,
        verifier_id: &str,
        id_token: &str,
    ) -> Result<RetrievedKey, Error> {
        let id_token = id_token.trim_ascii();
        let session = EncryptionSecretKey::random(&mut rand::rngs::OsRng);
        let session_public = session.public_key().point().to_affine();
        let (temp_x, temp_y) = point_to_hex(&session_public);
        let commitment = keccak256(id_token.as_bytes());

        let signatures = self
            .commit(verifier, verifier_id, &commitment, (&temp_x, &temp_y))
            .await?;
        let params = to_params(&ShareParams::new(
            verifier,
            verifier_id,
            id_token,
            signatures,
            self.session_secs,
            now_secs(),
        ));
        self.reveal(&params, session).await
    }

    /// The commit phase: the successful `CommitmentRequest` results, verbatim, in endpoint
    /// order, once ⌊3n/4⌋+1 nodes succeeded — or, once every node has answered or failed, if
    /// at least ⌊n/2⌋+1 did (the nodes need that many signatures; torus.js always waits for
    /// ⌊3n/4⌋+1, which makes it fail with one node of four down).
    async fn commit(
        &self,
        verifier: &str,
        verifier_id: &str,
        commitment: &[u8; 32],
        temp_pub: (&str, &str),
    ) -> Result<Vec<NodeSignature>, Error> {
        let method = wire::COMMITMENT_REQUEST;
        let (needed, enough) = (self.three_quarters(), self.half());
        let params = to_params(&CommitmentParams::new(
            verifier,
            verifier_id,
            commitment,
            temp_pub,
        ));
        self.gather(method, &params, true, parse_signature, |_, round| {
            let ok = round.ok().count();
            if ok >= needed || (round.pending == 0 && ok >= enough) {
                return Some(Ok(round.ok().map(|(_, v)| v.clone()).collect()));
            }
            (ok + round.pending < enough).then(|| {
                Err(self.no_quorum(
                    method,
                    format!("{ok} nodes signed the commitment, {enough} are needed"),
                    round.replies,
                ))
            })
        })
        .await
    }

    /// The reveal phase: shares, reconstruction and the nonce.
    async fn reveal(
        &self,
        params: &Value,
        session: EncryptionSecretKey,
    ) -> Result<RetrievedKey, Error> {
        let method = wire::GET_SHARE_OR_KEY_ASSIGN;
        let half = self.half();
        let mut opened: Vec<Option<Opened>> = (0..self.nodes.len()).map(|_| None).collect();
        let mut last_problem: Option<Error> = None;
        self.gather(method, params, false, parse_share, |i, round| {
            if let Some(Ok(reply)) = &round.replies[i] {
                opened[i] = Some(Opened::new(reply, &session));
            }
            let outcome = evaluate_shares(method, half, &round, &opened, &session);
            let problem = match outcome {
                Ok(Some(key)) => return Some(Ok(key)),
                Ok(None) => None,
                Err(problem) => Some(problem),
            };
            if round.pending == 0 {
                return Some(Err(problem.or(last_problem.take()).unwrap_or_else(|| {
                    self.no_quorum(
                        method,
                        format!("fewer than {half} nodes gave matching, usable shares"),
                        round.replies,
                    )
                })));
            }
            if problem.is_some() {
                last_problem = problem;
            }
            let best =
                most_common(round.ok().map(|(_, r)| &r.keys[0].public_key)).map_or(0, |k| k.1);
            (best + round.pending < half).then(|| {
                Err(self.no_quorum(
                    method,
                    format!("fewer than {half} nodes agree on the user's public key"),
                    round.replies,
                ))
            })
        })
        .await
    }
}

/// A share reply after decryption with the session key.
struct Opened {
    share: Option<SecretShare>,
    token: Option<Zeroizing<Vec<u8>>>,
    signature: Option<Vec<u8>>,
}

impl Opened {
    fn new(reply: &ShareResult, session: &EncryptionSecretKey) -> Self {
        let key = &reply.keys[0];
        let share = key.index().filter(|i| *i != 0).and_then(|index| {
            let bytes = key.decrypt_share(session).ok()?;
            let value = Option::<Scalar>::from(Scalar::from_repr((*bytes).into()))?;
            Some(SecretShare { index, value })
        });
        Self {
            share,
            token: reply.session_token(session).and_then(Result::ok),
            signature: reply.session_token_signature(session).and_then(Result::ok),
        }
    }
}

/// The key, once the share replies so far give it; `Ok(None)` to wait for more replies, `Err`
/// for what stands in the way now (final only when nothing is pending).
fn evaluate_shares(
    method: &'static str,
    half: usize,
    round: &Round<'_, ShareResult>,
    opened: &[Option<Opened>],
    session: &EncryptionSecretKey,
) -> Result<Option<RetrievedKey>, Error> {
    let Some((agreed, count)) = most_common(round.ok().map(|(_, r)| &r.keys[0].public_key)) else {
        return Ok(None);
    };
    if count < half {
        return Ok(None);
    }
    let (x, y) = round
        .ok()
        .find(|(_, r)| &r.keys[0].public_key == agreed)
        .map(|(_, r)| r.keys[0].public_key_xy())
        .ok_or(Error::InvalidAgreedValue {
            method,
            what: "public key",
        })?;
    let oauth_public = PublicKey::from_hex(x, y).map_err(|_| Error::InvalidAgreedValue {
        method,
        what: "public key",
    })?;

    // Every successful reply, in endpoint order, as torus.js uses them.
    let used: Vec<(usize, &ShareResult, &Opened)> = round
        .ok()
        .filter_map(|(i, r)| Some((i, r, opened[i].as_ref()?)))
        .collect();
    let tokens = used.iter().filter(|(_, _, o)| o.token.is_some()).count();
    let signatures = used
        .iter()
        .filter(|(_, _, o)| o.signature.is_some())
        .count();
    if tokens < half || signatures < half {
        return Err(Error::NoQuorum {
            method,
            reason: format!(
                "{tokens} session tokens and {signatures} signatures were sent, {half} of each are needed"
            ),
            failures: Vec::new(),
        });
    }
    let shares: Vec<SecretShare> = used
        .iter()
        .filter_map(|(_, _, o)| o.share.clone())
        .collect();
    if shares.len() < half {
        return Ok(None);
    }
    let (oauth_key, node_indexes) = reconstruct(&shares, half, &oauth_public)?;

    let nonce_data = used
        .iter()
        .find_map(|(_, r, _)| {
            let key = &r.keys[0];
            let nonce = key.nonce_data.as_ref()?;
            (key.public_key_xy().0 == x && nonce.usable_pub_nonce().is_some()).then_some(nonce)
        })
        .ok_or(Error::MissingNonce { method })?;
    let pub_nonce = nonce_data
        .usable_pub_nonce()
        .and_then(|p| PublicKey::from_hex(&p.x, &p.y).ok())
        .ok_or(Error::InvalidAgreedValue {
            method,
            what: "public nonce",
        })?;
    let nonce_hex = nonce_data
        .nonce
        .as_deref()
        .filter(|n| !n.is_empty())
        .ok_or(Error::MissingNonce { method })?;
    let nonce = decode_hex32(nonce_hex)
        .ok()
        .and_then(|bytes| Option::<Scalar>::from(Scalar::from_repr(bytes.into())))
        .map(Zeroizing::new)
        .ok_or(Error::InvalidAgreedValue {
            method,
            what: "nonce",
        })?;
    let private_key = apply_nonce(&oauth_key, &nonce, &pub_nonce)?;
    let public_key = private_key.public_key();
    let session_key = PrivateKey::from_bytes(&session.to_bytes()).ok_or(KeyError::DegenerateKey)?;
    let tokens = used
        .iter()
        .filter_map(|(_, r, o)| {
            Some(SessionToken {
                node_index: r.keys[0].index()?,
                token: o.token.clone()?,
                signature: o.signature.clone()?,
                node_pubx: r.node_pubx.clone(),
                node_puby: r.node_puby.clone(),
            })
        })
        .collect();
    Ok(Some(RetrievedKey {
        address: public_key.address(),
        public_key,
        private_key,
        oauth_public_key: oauth_key.public_key(),
        oauth_private_key: oauth_key,
        pub_nonce,
        node_indexes,
        session: SessionData {
            session_key,
            tokens,
        },
    }))
}

fn matching_indexes(
    round: &Round<'_, LookupResult>,
    matches: impl Fn(&LookupResult) -> bool,
) -> Vec<u16> {
    let mut indexes: Vec<u16> = round
        .ok()
        .filter(|(_, r)| matches(r))
        .filter_map(|(_, r)| parse_index(&r.node_index))
        .collect();
    indexes.sort_unstable();
    indexes
}

fn key_info(
    method: &'static str,
    oauth: PublicKey,
    nonce: &NonceData,
    is_new_key: bool,
    node_indexes: Vec<u16>,
) -> Result<PublicKeyInfo, Error> {
    let pub_nonce = nonce
        .usable_pub_nonce()
        .and_then(|p| PublicKey::from_hex(&p.x, &p.y).ok())
        .ok_or(Error::InvalidAgreedValue {
            method,
            what: "public nonce",
        })?;
    let public_key = final_public_key(&oauth, &pub_nonce)?;
    Ok(PublicKeyInfo {
        x: public_key.x_hex(),
        y: public_key.y_hex(),
        address: public_key.address(),
        public_key,
        oauth_address: oauth.address(),
        oauth_public_key: oauth,
        pub_nonce,
        is_new_key,
        node_indexes,
    })
}

fn parse_lookup(value: Value) -> Result<LookupResult, String> {
    let result: LookupResult = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if result.keys.is_empty() {
        return Err("a success reply without keys".into());
    }
    Ok(result)
}

fn parse_share(value: Value) -> Result<ShareResult, String> {
    let result: ShareResult = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if result.keys.is_empty() {
        return Err("a success reply without keys".into());
    }
    Ok(result)
}

fn parse_signature(value: Value) -> Result<NodeSignature, String> {
    serde_json::from_value(value).map_err(|e| format!("not a node signature: {e}"))
}

/// The JSON of a request's parameters (plain structs of strings, numbers and booleans, which
/// always serialize).
fn to_params<T: serde::Serialize>(params: &T) -> Value {
    serde_json::json!(params)
}

/// One JSON-RPC call with named params; with `retry`, a call that got no answer is repeated
/// after each of [`COMMITMENT_RETRY_DELAYS_MS`].
async fn call(node: &HttpClient, method: &str, params: &Value, retry: bool) -> Reply<Value> {
    let mut delays = COMMITMENT_RETRY_DELAYS_MS.iter();
    loop {
        let mut object = ObjectParams::new();
        if let Value::Object(map) = params {
            for (name, value) in map {
                object
                    .insert(name, value)
                    .map_err(|e| NodeFailure::InvalidReply(e.to_string()))?;
            }
        }
        match node
            .request::<Value, _>(method, object)
            .await
            .map_err(classify)
        {
            Err(NodeFailure::Transport(e)) => match delays.next() {
                Some(ms) if retry => tokio::time::sleep(Duration::from_millis(*ms)).await,
                _ => return Err(NodeFailure::Transport(e)),
            },
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(index: u16, endpoint: Option<&str>, holds_shares: bool) -> wire::NodeEntry {
        wire::NodeEntry {
            index,
            endpoint: endpoint.map(str::to_owned),
            pub_key: wire::NodePub {
                x: String::new(),
                y: String::new(),
            },
            holds_shares,
        }
    }

    fn details(nodes: Vec<wire::NodeEntry>) -> wire::NodeDetails {
        wire::NodeDetails {
            current_epoch: "2".into(),
            torus_node_endpoints: Vec::new(),
            torus_node_pub: Vec::new(),
            torus_indexes: Vec::new(),
            threshold: wire_threshold(nodes.len()),
            nodes,
        }
    }

    fn wire_threshold(n: usize) -> u16 {
        u16::try_from(half_threshold(n)).expect("small")
    }

    #[tokio::test]
    async fn a_discovered_client_keeps_every_member_and_asks_only_those_that_serve() {
        let client = TorusClient::from_details(&details(vec![
            member(1, Some("http://127.0.0.1:1"), true),
            member(2, None, true),
            member(3, Some("http://127.0.0.1:3"), false),
            member(4, Some("http://127.0.0.1:4"), true),
            member(5, Some("http://127.0.0.1:5"), true),
        ]))
        .expect("three of five can be asked");
        assert_eq!(client.half(), 3, "the thresholds are the committee's");
        assert_eq!(client.endpoints()[1], "member 2 of epoch 2");
        let failures = match client.lookup("demo", "alice").await {
            Err(Error::NoQuorum { failures, .. }) => failures,
            other => panic!("no node runs here: {other:?}"),
        };
        let not_asked: Vec<usize> = failures
            .iter()
            .filter(
                |f| matches!(&f.failure, NodeFailure::Transport(r) if r.starts_with("not asked")),
            )
            .map(|f| f.node)
            .collect();
        assert_eq!(not_asked, vec![1, 2]);
        // Fewer members that can be asked than the threshold: refused.
        let refused = TorusClient::from_details(&details(vec![
            member(1, Some("http://127.0.0.1:1"), true),
            member(2, None, true),
            member(3, Some("http://127.0.0.1:3"), false),
        ]));
        assert!(refused.is_err_and(|e| e.contains("only 1 of the 3 members")));
    }

    #[test]
    fn thresholds_match_the_reference_table() {
        let half: Vec<usize> = (1..=10).map(half_threshold).collect();
        let three: Vec<usize> = (1..=10).map(three_quarters_threshold).collect();
        assert_eq!(half, [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
        assert_eq!(three, [1, 2, 3, 4, 4, 5, 6, 7, 7, 8]);
    }

    #[test]
    fn most_common_prefers_the_first_seen_on_ties() {
        assert_eq!(most_common([1, 2, 2, 1, 3]), Some((1, 2)));
        assert_eq!(most_common([3, 2, 2]), Some((2, 2)));
        assert_eq!(most_common(Vec::<u8>::new()), None);
    }

    #[test]
    fn a_strict_client_needs_valid_endpoints() {
        assert!(matches!(
            TorusClient::try_new(vec![]),
            Err(Error::NoEndpoints)
        ));
        assert!(matches!(
            TorusClient::try_new(vec!["http://127.0.0.1:1".into(), "not a url".into()]),
            Err(Error::InvalidEndpoint { endpoint, .. }) if endpoint == "not a url"
        ));
        let client = TorusClient::try_new(
            (0..5)
                .map(|i| format!("http://127.0.0.1:{}", 9944 + i))
                .collect(),
        )
        .expect("valid");
        assert_eq!((client.half(), client.three_quarters()), (3, 4));
    }

    /// Logins can run on spawned tasks and share one client.
    #[test]
    fn futures_are_send_and_the_client_is_shareable() {
        fn send<T: Send>(_: &T) {}
        fn shareable<T: Send + Sync + Clone>() {}
        shareable::<TorusClient>();
        let client = TorusClient::new(vec!["http://127.0.0.1:1".into()]);
        send(&client.retrieve_key("v", "a", "t"));
        send(&client.lookup("v", "a"));
        send(&client.get_or_assign("v", "a"));
    }

    #[tokio::test]
    async fn bad_endpoints_count_as_silent_nodes() {
        let empty = TorusClient::new(vec![]);
        assert!(matches!(
            empty.lookup("v", "a").await,
            Err(Error::NoEndpoints)
        ));
        let client = TorusClient::new(vec!["not a url".into()]);
        match client.get_or_assign("v", "a").await {
            Err(Error::NoQuorum { failures, .. }) => {
                assert_eq!(failures.len(), 1);
                assert!(
                    matches!(&failures[0].failure, NodeFailure::Transport(r) if r.starts_with("invalid endpoint"))
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
