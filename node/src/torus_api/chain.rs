//! What the Torus API reads from the chain, and the caches that make it cheap: the verifiers of
//! the best block, and — from finalized blocks only — the committee, assignments, key records
//! and this node's checked shares. Everything that leads to a secret being released is read
//! from a finalized block, which no fork can take back.

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    sync::{Arc, MutexGuard},
    time::Duration,
};

use futures::StreamExt;
use k256::{ecdsa::SigningKey, elliptic_curve::ops::MulByGenerator, ProjectivePoint};
use torus_crypto::vss::FeldmanCommitment;
use torus_primitives::{
    dkg::{app, EpochId, EpochInfo},
    AssignedKey, BatchId, DkgApi, KeysApi, VerifierConfig, VerifiersApi,
};
use torus_runtime::{BlockNumber, Hash};
use zeroize::Zeroizing;

use torus_rpc_api::{encoding::point_to_hex, PubNonce};

use super::{
    error::{internal, ApiError},
    lock, ApiClient, TorusApi,
};
use crate::keyholder::store::StoredShares;

/// The most finalized assignments, key batches and checked keys kept in memory.
const CACHE_CAPACITY: usize = 100_000;
/// The most decrypted share batches kept in memory.
const SHARE_BATCHES_CACHED: usize = 64;
/// The longest a login waits for this node's keyholder to store shares that the finalized
/// chain already gives this node.
const SETTLING_WAIT: Duration = Duration::from_secs(20);

/// The node's place in the committee of an epoch.
#[derive(Clone)]
pub(super) struct Member {
    /// The epoch.
    pub epoch: EpochId,
    /// This node's 1-based index.
    pub index: u16,
    /// This node's DKG key.
    pub pair: app::Pair,
    /// The same DKG key for `k256`'s ECDSA (zeroized on drop), for the hot signing path.
    pub signer: SigningKey,
    /// The DKG public key's padded hex X and Y, as replies carry it.
    pub public_xy: (String, String),
}

/// What the chain says at one block: read once per block, not once per request.
#[derive(Default)]
pub(super) struct BlockView {
    at: Hash,
    /// The epochs that hold keys at `at` (and the newest), once read.
    epochs: Option<Vec<EpochInfo<BlockNumber>>>,
    /// The epoch holding each key range at `at`, as read.
    holders: HashMap<BatchId, EpochId>,
    verifiers: HashMap<String, Option<VerifierConfig>>,
}

/// Facts that never change once finalized: assignments, the key range (batch) of each key,
/// this node's place in each epoch's committee (an epoch's members never change), the keys
/// whose share of an epoch this node has checked against their commitments; this node's
/// decrypted shares of key ranges (zeroized when dropped, replaced when a handover gives a
/// range a new sharing); public nonce points.
#[derive(Default)]
pub(super) struct Finalized {
    assignments: HashMap<(String, String), AssignedKey>,
    batches: HashMap<u64, u64>,
    members: HashMap<EpochId, Member>,
    checked: HashSet<(u64, EpochId)>,
    shares: HashMap<BatchId, Arc<StoredShares>>,
    pub pub_nonces: HashMap<[u8; 32], PubNonce>,
}

impl Finalized {
    /// Makes room for one more entry in a cache of at most `capacity` entries by forgetting
    /// all of them (the caches refill from the chain; a clear costs one pass over the entries,
    /// once per `capacity` insertions).
    pub fn room<K, V>(map: &mut HashMap<K, V>, capacity: usize) {
        if map.len() >= capacity {
            map.clear();
        }
    }
}

impl<C: ApiClient, P> TorusApi<C, P> {
    pub(super) fn best(&self) -> Hash {
        self.client.info().best_hash
    }

    pub(super) fn finalized_hash(&self) -> Hash {
        self.client.info().finalized_hash
    }

    /// The view of block `at`, started afresh when that view's block changed.
    fn view(&self, at: Hash) -> MutexGuard<'_, BlockView> {
        let mut view = lock(self.views_for(at));
        if view.at != at {
            *view = BlockView {
                at,
                ..BlockView::default()
            };
        }
        view
    }

    /// The verifier `name` at block `at` (the best or the finalized block, each with its own
    /// view), of either key type.
    pub(super) fn verifier(&self, at: Hash, name: &str) -> Result<VerifierConfig, ApiError> {
        let cached = self.view(at).verifiers.get(name).cloned();
        let config = match cached {
            Some(config) => config,
            None => {
                let config = self
                    .client
                    .runtime_api()
                    .verifier(at, name.as_bytes().to_vec())
                    .map_err(|e| internal("reading a verifier", e))?
                    .map(|record| record.config);
                self.view(at)
                    .verifiers
                    .insert(name.to_owned(), config.clone());
                config
            }
        };
        config.ok_or_else(|| ApiError::VerifierNotSupported(name.to_owned()))
    }

    /// The view that serves block `at`: one for the finalized block, one for the others.
    fn views_for(&self, at: Hash) -> &std::sync::Mutex<BlockView> {
        if at == self.finalized_hash() {
            &self.finalized_view
        } else {
            &self.best_view
        }
    }

    /// The user's key at block `at`, `None` if not assigned there.
    pub(super) fn lookup_at(
        &self,
        at: Hash,
        verifier: &str,
        id: &str,
    ) -> Result<Option<AssignedKey>, ApiError> {
        self.client
            .runtime_api()
            .lookup(at, verifier.as_bytes().to_vec(), id.as_bytes().to_vec())
            .map_err(|e| internal("looking up a key", e))
    }

    /// The keys of allowance verifier `verifier` has left at block `at`.
    pub(super) fn allowance_at(&self, at: Hash, verifier: &str) -> Result<u32, ApiError> {
        self.client
            .runtime_api()
            .allowance(at, verifier.as_bytes().to_vec())
            .map_err(|e| internal("reading a verifier's key allowance", e))
    }

    /// The user's key in the finalized block. Assignments there never change, so those found
    /// are remembered.
    pub(super) fn lookup_finalized(
        &self,
        verifier: &str,
        id: &str,
    ) -> Result<Option<AssignedKey>, ApiError> {
        let user = (verifier.to_owned(), id.to_owned());
        if let Some(key) = lock(&self.finalized).assignments.get(&user) {
            return Ok(Some(key.clone()));
        }
        let key = self.lookup_at(self.finalized_hash(), verifier, id)?;
        if let Some(key) = &key {
            let mut cache = lock(&self.finalized);
            Finalized::room(&mut cache.assignments, CACHE_CAPACITY);
            cache.assignments.insert(user, key.clone());
        }
        Ok(key)
    }

    /// Waits (at most `timeout`) until `read` of the finalized block gives a value: at once if
    /// it does already, otherwise at each finalized block until it does.
    pub(super) async fn when_finalized<T>(
        &self,
        timeout: Duration,
        read: impl Fn() -> Result<Option<T>, ApiError>,
        on_timeout: ApiError,
    ) -> Result<T, ApiError> {
        // Subscribe before the first read so that no finalization is missed.
        let mut finalized = self.client.finality_notification_stream();
        if let Some(value) = read()? {
            return Ok(value);
        }
        let wait = async {
            while finalized.next().await.is_some() {
                if let Some(value) = read()? {
                    return Ok(value);
                }
            }
            Err(internal(
                "waiting for finality",
                "the finality stream ended",
            ))
        };
        with_timeout(timeout, wait).await.unwrap_or(Err(on_timeout))
    }

    /// The epochs that hold keys in the finalized block, and the newest, ascending. Shares of
    /// other epochs' are dropped from memory.
    pub(super) fn holding_epochs(&self) -> Result<Vec<EpochInfo<BlockNumber>>, ApiError> {
        let at = self.finalized_hash();
        if let Some(epochs) = self.view(at).epochs.clone() {
            return Ok(epochs);
        }
        let epochs = self
            .client
            .runtime_api()
            .holding_epochs(at)
            .map_err(|e| internal("reading the epochs", e))?;
        lock(&self.finalized)
            .shares
            .retain(|_, stored| epochs.iter().any(|e| e.epoch == stored.epoch));
        self.view(at).epochs = Some(epochs.clone());
        Ok(epochs)
    }

    /// This node in the newest epoch of the finalized block that it is a member of and that
    /// holds keys (or is the newest): the key it signs commitments with.
    pub(super) fn member(&self) -> Result<Member, ApiError> {
        self.holding_epochs()?
            .iter()
            .rev()
            .find_map(|epoch| self.member_in(epoch).transpose())
            .unwrap_or(Err(ApiError::NoShare(
                "not a member of a committee that holds keys",
            )))
    }

    /// This node's place in `epoch`'s committee, if it is a member.
    fn member_in(&self, epoch: &EpochInfo<BlockNumber>) -> Result<Option<Member>, ApiError> {
        if let Some(member) = lock(&self.finalized).members.get(&epoch.epoch) {
            return Ok(Some(member.clone()));
        }
        let found = epoch.members.iter().enumerate().find_map(|(i, key)| {
            self.keys
                .pair(key)
                .and_then(|pair| Some((u16::try_from(i + 1).ok()?, pair)))
        });
        let Some((index, pair)) = found else {
            return Ok(None);
        };
        let signer = SigningKey::from_bytes(&pair.clone().into_inner().seed().into())
            .map_err(|e| internal("loading the DKG key", e))?;
        let public_xy = point_to_hex(signer.verifying_key().as_affine());
        let member = Member {
            epoch: epoch.epoch,
            index,
            pair,
            signer,
            public_xy,
        };
        lock(&self.finalized)
            .members
            .insert(epoch.epoch, member.clone());
        Ok(Some(member))
    }

    /// The committee of the epoch that holds `key` in the finalized block, and this node's
    /// place in it.
    pub(super) fn holders_of(
        &self,
        key: &AssignedKey,
    ) -> Result<(EpochInfo<BlockNumber>, Option<Member>), ApiError> {
        let range = self.range_of(key.key_id)?;
        let at = self.finalized_hash();
        let cached = self.view(at).holders.get(&range).copied();
        let holder = match cached {
            Some(holder) => holder,
            None => {
                let holder = self
                    .client
                    .runtime_api()
                    .key_range(at, range)
                    .map_err(|e| internal("reading a key range", e))?
                    .ok_or(ApiError::NoShare(
                        "the key's range is not in a finalized block",
                    ))?
                    .holder;
                self.view(at).holders.insert(range, holder);
                holder
            }
        };
        let epoch = self
            .holding_epochs()?
            .into_iter()
            .find(|e| e.epoch == holder)
            .ok_or_else(|| internal("reading the epochs", "the holding epoch is not stored"))?;
        let member = self.member_in(&epoch)?;
        Ok((epoch, member))
    }

    /// This node's share of `key` as member `holder` of the epoch that holds it, and the
    /// share's x coordinate, checked against the key's commitments in the finalized block
    /// (`share·G` must be the commitments' evaluation at this node's index) before it is ever
    /// served.
    pub(super) async fn share_of(
        &self,
        key: &AssignedKey,
        holder: &Member,
    ) -> Result<(u16, Zeroizing<[u8; 32]>), ApiError> {
        let stored = self
            .shares_of_range(self.range_of(key.key_id)?, holder.epoch)
            .await?;
        let share = stored
            .share(key.key_id)
            .ok_or(ApiError::NoShare("no share of the key"))?;
        let index = stored.shares.index;
        if index != holder.index {
            return Err(ApiError::NoShare(
                "the stored share is of another member index",
            ));
        }
        let checked = (key.key_id, holder.epoch);
        if !lock(&self.finalized).checked.contains(&checked) {
            let points = self
                .client
                .runtime_api()
                .key_commitments(self.finalized_hash(), key.key_id)
                .map_err(|e| internal("reading a key's commitments", e))?
                .ok_or(ApiError::NoShare("the key has no commitments on chain"))?;
            let commitment = FeldmanCommitment::from_bytes(&points)
                .map_err(|e| internal("decoding a key's commitments", e))?;
            let expected = commitment
                .public_share(index)
                .map_err(|e| internal("evaluating a key's commitments", e))?;
            if ProjectivePoint::mul_by_generator(share) != expected {
                log::error!(
                    target: "torus-api",
                    "the stored share of key {} does not match its commitments on chain; not served",
                    key.key_id
                );
                return Err(ApiError::NoShare("the stored share does not match the key"));
            }
            let mut cache = lock(&self.finalized);
            if cache.checked.len() >= CACHE_CAPACITY {
                cache.checked.clear();
            }
            cache.checked.insert(checked);
        }
        Ok((
            index,
            Zeroizing::new(torus_crypto::encoding::scalar_to_bytes(share)),
        ))
    }

    /// The key range (DKG batch) of key `key_id`, from the finalized block (it never changes).
    fn range_of(&self, key_id: u64) -> Result<BatchId, ApiError> {
        if let Some(batch) = lock(&self.finalized).batches.get(&key_id).copied() {
            return Ok(batch);
        }
        let record = self
            .client
            .runtime_api()
            .key(self.finalized_hash(), key_id)
            .map_err(|e| internal("reading a key", e))?
            .ok_or(ApiError::NoShare("the key is not in a finalized block"))?;
        let mut cache = lock(&self.finalized);
        Finalized::room(&mut cache.batches, CACHE_CAPACITY);
        cache.batches.insert(key_id, record.batch);
        Ok(record.batch)
    }

    /// This node's decrypted shares of key range `range` in the sharing of `epoch` (kept for
    /// the next logins until the range gets another sharing). The finalized chain gives them to
    /// this node before its keyholder has stored them (it settles a batch after the block the
    /// batch finished in is finalized, behind the batches it is busy with): while the store
    /// holds no sharing of the range or an older epoch's, this waits for the keyholder's next
    /// saves, up to [`SETTLING_WAIT`].
    async fn shares_of_range(
        &self,
        range: BatchId,
        epoch: EpochId,
    ) -> Result<Arc<StoredShares>, ApiError> {
        if let Some(stored) = lock(&self.finalized).shares.get(&range) {
            if stored.epoch == epoch {
                return Ok(stored.clone());
            }
        }
        let deadline = tokio::time::Instant::now() + SETTLING_WAIT;
        let mut saves = self.store.saves();
        let stored = loop {
            saves.borrow_and_update();
            match self
                .store
                .load(range, |dkg_key| self.keys.secret(dkg_key))
                .map_err(|e| internal("reading the share store", e))?
            {
                Some(stored) if stored.epoch >= epoch => break stored,
                behind => {
                    let saved = tokio::time::timeout_at(deadline, saves.changed()).await;
                    if !matches!(saved, Ok(Ok(()))) {
                        return Err(ApiError::NoShare(match behind {
                            None => "no share of the key's batch",
                            Some(_) => "this node's shares of the key are of an older epoch",
                        }));
                    }
                }
            }
        };
        if stored.epoch != epoch {
            return Err(ApiError::NoShare(
                "this node's shares of the key are of a newer epoch than its finalized block names",
            ));
        }
        let stored = Arc::new(stored);
        let mut cache = lock(&self.finalized);
        cache.shares.remove(&range);
        Finalized::room(&mut cache.shares, SHARE_BATCHES_CACHED);
        cache.shares.insert(range, stored.clone());
        Ok(stored)
    }
}

/// `future`, or `None` once `timeout` has passed.
pub(super) async fn with_timeout<T>(
    timeout: Duration,
    future: impl Future<Output = T>,
) -> Option<T> {
    tokio::time::timeout(timeout, future).await.ok()
}
