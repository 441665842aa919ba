//! The keyholder worker's loop and decisions (see the module documentation of `keyholder`).

mod membership;

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use codec::{Decode, Encode};
use futures::{FutureExt, StreamExt};
use k256::{elliptic_curve::Field, Scalar};
use log::{debug, info, warn};
use polkadot_sdk::{
    sc_client_api::BlockchainEvents,
    sc_transaction_pool_api::{
        error::{Error as PoolError, IntoPoolError},
        TransactionPool, TransactionSource,
    },
    sp_api::ProvideRuntimeApi,
    sp_blockchain::HeaderBackend,
    sp_core::Pair as _,
    sp_runtime::{traits::Header as _, OpaqueExtrinsic},
};
use rand::rngs::OsRng;
use torus_crypto::{
    dkg::{
        self, Committee, Complaint, KeyShares, ReceivedShares, Receiver, SessionConfig, SessionKind,
    },
    ecies::{EncryptionPublicKey, EncryptionSecretKey},
    vss::{FeldmanCommitment, SecretShare},
};
use torus_primitives::{
    dkg::{
        app, signing_payload, ActiveBatch, BatchInfo, BatchOutcome, BatchPhase, BatchResult,
        ComplaintMessage, DealingMessage, DkgId, MemberIndex, MessageKind,
    },
    BatchId, DkgApi, KeyId, KeysApi,
};
use torus_runtime::{opaque::Block, BlockNumber, Hash, Runtime, RuntimeCall};
use zeroize::Zeroizing;

use super::{
    keys::DkgKeys,
    metrics::Metrics,
    store::{ShareStore, StoreError},
    KeyholderParams, Misbehavior, LOG_TARGET,
};

/// Blocks after which a message the chain has not reflected yet is posted again.
const RESEND_AFTER: BlockNumber = 4;

/// At most this many batches that finished on the best chain but are not settled yet keep
/// their verified shares in memory (beyond it, settling recomputes them from the dealings the
/// finalized chain retains): the bound of a long finality stall's memory.
const MAX_UNSETTLED_VERIFIED: usize = 32;

/// What the worker does next for one running batch in which it is member `me`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Nothing now.
    Wait,
    /// Post a dealing.
    Deal,
    /// Decrypt and check the dealings, and post complaints.
    Verify,
    /// Wait until the chain has judged this member's complaints (posting again any that
    /// seem lost).
    AwaitJudgement,
    /// Post the confirmation.
    Confirm,
}

/// The decision for one batch, from the chain's view of it and what this worker knows: its
/// index among the batch's dealers and among its members (recipients), if any (the same in a
/// fresh batch; two committees in a handover), whether it has verified the dealings and which
/// dealers it complained about.
pub(super) fn next_step(
    batch: &ActiveBatch<BlockNumber>,
    dealer: Option<MemberIndex>,
    recipient: Option<MemberIndex>,
    verified: bool,
    complained_about: &BTreeSet<MemberIndex>,
) -> Step {
    match batch.phase {
        BatchPhase::Dealing { .. } => match dealer {
            Some(d) if !batch.dealt.contains(&d) && !batch.is_disqualified(d, true) => Step::Deal,
            _ => Step::Wait,
        },
        BatchPhase::Verifying { .. } => {
            let Some(me) = recipient else {
                return Step::Wait;
            };
            if batch.is_disqualified(me, false) || batch.confirmed.contains(&me) {
                Step::Wait
            } else if !verified {
                Step::Verify
            } else if complained_about
                .iter()
                .all(|dealer| batch.is_disqualified(*dealer, true))
            {
                // Confirm only once the chain has judged every complaint: a confirmation can
                // end the phase, and a complaint included after it would come too late.
                Step::Confirm
            } else {
                Step::AwaitJudgement
            }
        }
    }
}

/// The member index of the first of `mine` in the committee (the recipients), if any.
pub(super) fn member_index(info: &BatchInfo<BlockNumber>, mine: &[DkgId]) -> Option<MemberIndex> {
    index_in(&info.members, mine)
}

/// The index of the first of `mine` among the batch's dealers, if any.
pub(super) fn dealer_index(info: &BatchInfo<BlockNumber>, mine: &[DkgId]) -> Option<MemberIndex> {
    index_in(info.dealers(), mine)
}

fn index_in(committee: &[DkgId], mine: &[DkgId]) -> Option<MemberIndex> {
    committee
        .iter()
        .position(|member| mine.contains(member))
        .and_then(|i| MemberIndex::try_from(i + 1).ok())
}

/// The key range a batch gives shares of: its own keys, or the range it hands over.
pub(super) fn range_of(info: &BatchInfo<BlockNumber>) -> BatchId {
    info.handover.as_ref().map_or(info.batch, |h| h.range)
}

/// The DKG configuration of a batch, as the runtime builds it: fresh keys, or the handover of
/// keys whose current commitments are `previous` (one per key, in order).
pub(super) fn session_config(
    info: &BatchInfo<BlockNumber>,
    previous: Option<Vec<FeldmanCommitment>>,
) -> Result<SessionConfig, String> {
    let committee = |keys: &[DkgId], threshold| {
        let keys = keys
            .iter()
            .map(|member| EncryptionPublicKey::from_bytes(member.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("a member's DKG key is not a curve point: {e}"))?;
        Committee::new(threshold, keys).map_err(|e| e.to_string())
    };
    let recipients = committee(&info.members, info.threshold)?;
    let (dealers, kind) = match (&info.handover, previous) {
        (None, _) => (recipients.clone(), SessionKind::Fresh),
        (Some(handover), Some(previous)) => (
            committee(&handover.dealers, handover.dealer_threshold)?,
            SessionKind::Reshare { previous },
        ),
        (Some(_), None) => return Err("a handover needs the keys' commitments".into()),
    };
    SessionConfig::new(info.session_id, info.batch_size, dealers, recipients, kind)
        .map_err(|e| e.to_string())
}

/// What the share store holds for a finished batch, judged against the finalized chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Held {
    /// No shares are stored.
    Nothing,
    /// This member's shares of exactly the finalized batch's keys in the sharing it gives
    /// (its epoch), each matching the key's commitments on chain as the batch left them.
    Matching,
    /// Shares that are not this member's shares of the finalized batch's keys in that sharing:
    /// another epoch's (the sharing a handover replaces), shares settled from a block of a fork
    /// that lost (by a keyholder that settled from the best block), or a damaged file.
    Foreign,
    /// A file the node cannot judge: it needs a DKG key that is no longer in the keystore.
    Unreadable,
}

/// What the worker does with the batch at its settling cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Settle {
    /// The batch has not finished in a finalized block: wait for finality (whatever the best
    /// block says, a fork can take it back).
    Wait,
    /// Nothing (more) to keep: move the cursor past the batch.
    Advance,
    /// Erase the stored shares of the batch's key range (no shares of it belong to this node
    /// any more), then move the cursor past the batch.
    Discard,
    /// Compute this member's shares from the finalized batch, check them against the
    /// commitments on chain and store them (removing the stored foreign shares first if
    /// `replace`), then move the cursor past the batch.
    Store {
        /// This node's member index in the batch.
        me: MemberIndex,
        /// Whether foreign shares are stored under the batch's id.
        replace: bool,
    },
}

/// The settling decision for one batch, from its result **in the newest finalized block**
/// (`None` if it has not finished there), the node's DKG keys and what the store holds for the
/// batch's key range (judged against the sharing the batch gives, see [`Held`]).
pub(super) fn settle_step(
    finalized: Option<&BatchResult<BlockNumber>>,
    mine: &[DkgId],
    held: Held,
) -> Settle {
    let Some(result) = finalized else {
        return Settle::Wait;
    };
    let me = member_index(&result.info, mine);
    let handover = result.info.handover.is_some();
    match (result.outcome, me, held) {
        (_, _, Held::Unreadable) => Settle::Advance,
        // A failed handover leaves the range with its holders: what is stored stays.
        (BatchOutcome::Abandoned, _, _) if handover => Settle::Advance,
        (BatchOutcome::Completed { .. }, Some(_), Held::Matching) => Settle::Advance,
        (BatchOutcome::Completed { .. }, Some(me), Held::Nothing) => {
            Settle::Store { me, replace: false }
        }
        (BatchOutcome::Completed { .. }, Some(me), Held::Foreign) => {
            Settle::Store { me, replace: true }
        }
        (_, _, Held::Nothing) => Settle::Advance,
        // Abandoned fresh keys, or this node is not a member: nothing stored for the range is
        // this node's any more (a handover moved it to an epoch without this node, or a fork
        // that lost settled it).
        (_, _, Held::Matching | Held::Foreign) => Settle::Discard,
    }
}

/// Why shares are not a member's shares of a finished batch's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mismatch {
    /// Another member index, or another number of keys.
    Shape,
    /// Key `key_id` has no (parsable) commitments on chain.
    NoCommitments {
        /// The key.
        key_id: KeyId,
    },
    /// The share of key `key_id` times G is not the key's commitments evaluated at the
    /// member's index.
    Share {
        /// The key.
        key_id: KeyId,
    },
}

/// Check member `me`'s `shares` of the keys `first_key..` against each key's commitments on
/// chain (`commitments[k]` for key `first_key + k`): `share·G` must be the commitment
/// polynomial evaluated at `me` (Feldman's check, `torus_crypto::vss`).
pub(super) fn check_shares(
    shares: &KeyShares,
    me: MemberIndex,
    first_key: KeyId,
    commitments: &[Option<Vec<[u8; 33]>>],
) -> Result<(), Mismatch> {
    if shares.index != me || shares.values.len() != commitments.len() {
        return Err(Mismatch::Shape);
    }
    for ((key_id, value), points) in (first_key..).zip(&shares.values).zip(commitments) {
        let commitment = points
            .as_deref()
            .and_then(|points| FeldmanCommitment::from_bytes(points).ok())
            .ok_or(Mismatch::NoCommitments { key_id })?;
        let share = SecretShare {
            index: me,
            value: *value,
        };
        match commitment.verify_share(&share) {
            Ok(()) => {}
            Err(torus_crypto::Error::InvalidShare { .. }) => {
                return Err(Mismatch::Share { key_id })
            }
            Err(_) => return Err(Mismatch::Shape),
        }
    }
    Ok(())
}

/// Why a batch could not be settled.
enum SettleError {
    /// Worth trying again at the next finalized block (the share store's I/O, a runtime call
    /// at the finalized head): the cursor stays.
    Retry(String),
    /// The shares cannot be had (dealings pruned, shares that do not match the chain): the
    /// cursor moves on rather than stall every later batch.
    Lost(String),
}

/// What this node verified of a batch in its Verifying phase on the best chain.
struct Verified {
    /// The session id of the batch the shares are of (the same batch id can name another
    /// batch on another fork).
    session_id: [u8; 32],
    /// The verified shares.
    shares: ReceivedShares,
    /// This node's complaints.
    complaints: Vec<Complaint>,
}

/// The worker's state; see the module documentation.
struct Worker<C, P> {
    // Utilities.
    client: Arc<C>,
    pool: Arc<P>,
    keys: Arc<DkgKeys>,
    store: Arc<ShareStore>,
    metrics: Option<Metrics>,
    misbehavior: Option<Misbehavior>,
    /// The chain's genesis hash, which every DKG message's signature covers.
    genesis_hash: [u8; 32],
    // State.
    /// When each message was last posted, by batch and kind (and accused dealer).
    sent: HashMap<(BatchId, MessageKind, MemberIndex), BlockNumber>,
    /// Verified shares of batches in their Verifying phase on the best chain, and of finished
    /// ones not settled yet (at most [`MAX_UNSETTLED_VERIFIED`] of those).
    received: HashMap<BatchId, Verified>,
    /// Every batch below this one is settled from a finalized block.
    cursor: BatchId,
    /// The public URL of the node's Torus API, to publish.
    public_url: Option<Vec<u8>>,
    /// The endpoint updates and lost-share reports posted.
    membership: membership::Membership,
}

/// Run the keyholder worker until one of the client's notification streams ends.
pub async fn run<C, P>(params: KeyholderParams<C, P>)
where
    C: ProvideRuntimeApi<Block>
        + BlockchainEvents<Block>
        + HeaderBackend<Block>
        + Send
        + Sync
        + 'static,
    C::Api: DkgApi<Block, BlockNumber> + KeysApi<Block>,
    P: TransactionPool<Block = Block, Hash = Hash> + 'static,
{
    let metrics = params.registry.as_ref().and_then(|registry| {
        Metrics::register(registry)
            .map_err(|e| warn!(target: LOG_TARGET, "metrics not registered: {e}"))
            .ok()
    });
    let cursor = match params.store.cursor() {
        Ok(cursor) => cursor,
        Err(e) => {
            warn!(target: LOG_TARGET, "cannot read the share store's cursor ({e}); the keyholder stops");
            return;
        }
    };
    let info = params.client.info();
    let mut worker = Worker {
        client: params.client,
        pool: params.pool,
        keys: params.keys,
        store: params.store,
        metrics,
        misbehavior: params.misbehavior,
        genesis_hash: info.genesis_hash.into(),
        sent: HashMap::new(),
        received: HashMap::new(),
        cursor,
        public_url: params.public_url,
        membership: Default::default(),
    };
    info!(target: LOG_TARGET, "keyholder started (batches settled from finalized blocks: {cursor})");
    // Subscribe before settling what is already final, so that no finality is missed.
    let mut imports = worker.client.import_notification_stream().fuse();
    let mut finality = worker.client.finality_notification_stream().fuse();
    worker.settle_finalized(info.finalized_hash, info.finalized_number);
    loop {
        futures::select_biased! {
            notification = finality.next() => {
                let Some(mut notification) = notification else {
                    warn!(target: LOG_TARGET, "the finality stream ended; the keyholder stops");
                    return;
                };
                // The newest finalized block suffices: finality covers its ancestors.
                while let Some(Some(next)) = finality.next().now_or_never() {
                    notification = next;
                }
                worker.settle_finalized(notification.hash, *notification.header.number());
            }
            notification = imports.next() => {
                let Some(mut notification) = notification else {
                    warn!(target: LOG_TARGET, "the block import stream ended; the keyholder stops");
                    return;
                };
                // Act on the newest best block only: notifications that queued up while the
                // worker was busy describe states that are already gone.
                let mut best = notification.is_new_best.then(|| notification.clone());
                while let Some(Some(next)) = imports.next().now_or_never() {
                    notification = next;
                    if notification.is_new_best {
                        best = Some(notification.clone());
                    }
                }
                if let Some(best) = best {
                    worker.on_best_block(best.hash, *best.header.number()).await;
                }
            }
        }
    }
}

impl<C, P> Worker<C, P>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: DkgApi<Block, BlockNumber> + KeysApi<Block>,
    P: TransactionPool<Block = Block, Hash = Hash> + 'static,
{
    async fn on_best_block(&mut self, at: Hash, number: BlockNumber) {
        let api = self.client.runtime_api();
        if let (Some(metrics), Ok(size)) = (&self.metrics, api.buffer_size(at)) {
            metrics.buffer_size.set(size);
        }
        let batches = match api.active_batches(at) {
            Ok(batches) => batches,
            Err(e) => {
                warn!(target: LOG_TARGET, "cannot read the running DKG batches: {e}");
                return;
            }
        };
        let mine = self.keys.public_keys();
        if let Some(metrics) = &self.metrics {
            let pending: u64 = batches
                .iter()
                .filter(|b| b.info.handover.is_some())
                .map(|b| u64::from(b.info.batch_size))
                .sum();
            metrics.keys_pending_handover.set(pending);
        }
        for batch in &batches {
            let roles = (
                dealer_index(&batch.info, &mine),
                member_index(&batch.info, &mine),
            );
            if roles == (None, None) {
                continue;
            }
            if let Err(e) = self.advance(at, number, batch, roles).await {
                warn!(target: LOG_TARGET, "batch {}: {e}", batch.info.batch);
            }
        }
        let running = |id: &BatchId| batches.iter().any(|b| b.info.batch == *id);
        self.received
            .retain(|id, _| running(id) || *id >= self.cursor);
        // Of the finished batches awaiting finality, keep the oldest: they settle first.
        let mut finished: Vec<BatchId> = self
            .received
            .keys()
            .copied()
            .filter(|id| !running(id))
            .collect();
        finished.sort_unstable();
        for id in finished.iter().skip(MAX_UNSETTLED_VERIFIED) {
            self.received.remove(id);
        }
        self.sent.retain(|(id, _, _), _| running(id));
        self.stand(at, number, &mine).await;
    }

    /// Take the next step in one running batch, as its dealer and its member (recipient)
    /// `roles`.
    async fn advance(
        &mut self,
        at: Hash,
        number: BlockNumber,
        batch: &ActiveBatch<BlockNumber>,
        (dealer, recipient): (Option<MemberIndex>, Option<MemberIndex>),
    ) -> Result<(), String> {
        let id = batch.info.batch;
        let (verified, accused) = match self
            .received
            .get(&id)
            .filter(|v| v.session_id == batch.info.session_id)
        {
            Some(v) => (true, v.complaints.iter().map(|c| c.dealer).collect()),
            None => (false, BTreeSet::new()),
        };
        match next_step(batch, dealer, recipient, verified, &accused) {
            Step::Wait => Ok(()),
            Step::AwaitJudgement => match recipient {
                Some(me) => self.post_complaints(at, number, batch, me).await,
                None => Ok(()),
            },
            Step::Deal => match dealer {
                Some(me) => self.deal(at, number, batch, me).await,
                None => Ok(()),
            },
            Step::Verify => {
                let Some(me) = recipient else {
                    return Ok(());
                };
                let config = self.config_at(at, &batch.info)?;
                let dealings = self.dealings(at, id)?;
                let secret = self.secret(&batch.info, me)?;
                let (shares, complaints) = Receiver::new(config, me, secret, None)
                    .and_then(|receiver| receiver.receive(&dealings, &mut OsRng))
                    .map_err(|e| e.to_string())?;
                let clean = complaints.is_empty();
                self.received.insert(
                    id,
                    Verified {
                        session_id: batch.info.session_id,
                        shares,
                        complaints,
                    },
                );
                if clean {
                    // Nothing to judge: confirm now rather than at the next block.
                    self.confirm(at, number, batch, me).await
                } else {
                    self.post_complaints(at, number, batch, me).await
                }
            }
            Step::Confirm => match recipient {
                Some(me) => self.confirm(at, number, batch, me).await,
                None => Ok(()),
            },
        }
    }

    /// Confirm as member `me` that this node holds its shares of `batch`.
    async fn confirm(
        &mut self,
        at: Hash,
        number: BlockNumber,
        batch: &ActiveBatch<BlockNumber>,
        me: MemberIndex,
    ) -> Result<(), String> {
        let id = batch.info.batch;
        if !self.due(id, MessageKind::Confirmation, 0, number) {
            return Ok(());
        }
        let signature = self.sign(
            &batch.info.members,
            &batch.info,
            me,
            MessageKind::Confirmation,
            &[],
        )?;
        let call = pallet_dkg::Call::<Runtime>::confirm {
            batch: id,
            member: me,
            signature,
        };
        self.submit(at, call).await
    }

    /// Deal as dealer `me`: fresh shares, or (a handover) sub-shares of this node's stored
    /// shares of the range in the sharing of the epoch that holds it. A dealer whose shares of
    /// the range are not stored (yet: they settle at finality; or lost) deals nothing.
    async fn deal(
        &mut self,
        at: Hash,
        number: BlockNumber,
        batch: &ActiveBatch<BlockNumber>,
        me: MemberIndex,
    ) -> Result<(), String> {
        let id = batch.info.batch;
        let old_shares = match &batch.info.handover {
            None => None,
            Some(handover) => {
                let stored = self
                    .store
                    .load(handover.range, |key| self.keys.secret(key))
                    .map_err(|e| e.to_string())?;
                match stored {
                    Some(stored)
                        if stored.epoch == handover.from_epoch
                            && stored.shares.index == me
                            && stored.shares.values.len() == batch.info.batch_size as usize =>
                    {
                        Some(stored.shares)
                    }
                    _ => {
                        debug!(target: LOG_TARGET, "batch {id}: no shares of key range {} of epoch {} to reshare (yet)", handover.range, handover.from_epoch);
                        return Ok(());
                    }
                }
            }
        };
        if !self.due(id, MessageKind::Dealing, 0, number) {
            return Ok(());
        }
        let config = self.config_at(at, &batch.info)?;
        let mut dealing =
            dkg::deal(&config, me, old_shares, &mut OsRng).map_err(|e| e.to_string())?;
        let cheat = match batch.info.handover {
            None => Misbehavior::BadShare,
            Some(_) => Misbehavior::BadReshare,
        };
        if self.misbehavior == Some(cheat) {
            self.misbehavior = None;
            corrupt_next_members_share(&config, me, &mut dealing)?;
            warn!(target: LOG_TARGET, "batch {id}: dealing a bad share on purpose (test misbehaviour)");
        }
        let body = DealingMessage::from_dealing(&dealing).encode();
        let signature = self.sign(
            batch.info.dealers(),
            &batch.info,
            me,
            MessageKind::Dealing,
            &body,
        )?;
        let call = pallet_dkg::Call::<Runtime>::submit_dealing {
            batch: id,
            dealer: me,
            dealing: body
                .try_into()
                .map_err(|_| "the dealing exceeds the chain's bound".to_string())?,
            signature,
        };
        self.submit(at, call).await?;
        if let Some(metrics) = &self.metrics {
            metrics.dealings_submitted.inc();
        }
        debug!(target: LOG_TARGET, "batch {id}: dealt as dealer {me}");
        Ok(())
    }

    /// The DKG configuration of a batch with the chain at `at` (for a handover, the keys'
    /// commitments there: those it reshares while it runs).
    fn config_at(&self, at: Hash, info: &BatchInfo<BlockNumber>) -> Result<SessionConfig, String> {
        let previous = match &info.handover {
            None => None,
            Some(handover) => Some(
                self.commitments(at, handover.first_key, info.batch_size)?
                    .into_iter()
                    .map(|points| {
                        points
                            .and_then(|points| FeldmanCommitment::from_bytes(&points).ok())
                            .ok_or_else(|| "a handed-over key has no commitments".to_string())
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        session_config(info, previous)
    }

    /// Post each of this member's complaints in `batch` that the chain has not judged yet and
    /// that was not posted in the last [`RESEND_AFTER`] blocks.
    async fn post_complaints(
        &mut self,
        at: Hash,
        number: BlockNumber,
        batch: &ActiveBatch<BlockNumber>,
        me: MemberIndex,
    ) -> Result<(), String> {
        let id = batch.info.batch;
        let pending: Vec<Complaint> = self
            .received
            .get(&id)
            .filter(|v| v.session_id == batch.info.session_id)
            .map(|v| v.complaints.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|c| !batch.disqualified.iter().any(|(m, _)| *m == c.dealer))
            .collect();
        for complaint in pending {
            if !self.due(id, MessageKind::Complaint, complaint.dealer, number) {
                continue;
            }
            let body = ComplaintMessage::from_complaint(&complaint).encode();
            let signature = self.sign(
                &batch.info.members,
                &batch.info,
                me,
                MessageKind::Complaint,
                &body,
            )?;
            let call = pallet_dkg::Call::<Runtime>::submit_complaint {
                batch: id,
                complainer: me,
                dealer: complaint.dealer,
                complaint: body
                    .try_into()
                    .map_err(|_| "the complaint exceeds the chain's bound".to_string())?,
                signature,
            };
            self.submit(at, call).await?;
            if let Some(metrics) = &self.metrics {
                metrics.complaints_submitted.inc();
            }
            info!(target: LOG_TARGET, "batch {id}: complained about dealer {}", complaint.dealer);
        }
        Ok(())
    }

    /// Settle every batch finished in the finalized block `finalized` (number `number`), from
    /// the cursor on, in order (see [`settle_step`]), moving the persisted cursor past each.
    fn settle_finalized(&mut self, finalized: Hash, number: BlockNumber) {
        let mine = self.keys.public_keys();
        loop {
            let id = self.cursor;
            let result = match self.client.runtime_api().batch_result(finalized, id) {
                Ok(result) => result,
                Err(e) => {
                    warn!(target: LOG_TARGET, "cannot read batch {id} at the finalized block: {e}");
                    return;
                }
            };
            let held = match &result {
                Some(result) => match self.held(result, &mine) {
                    Ok(held) => held,
                    Err(e) => {
                        warn!(target: LOG_TARGET, "batch {id}: cannot judge the stored shares: {e}");
                        return;
                    }
                },
                None => Held::Nothing,
            };
            let outcome = match (settle_step(result.as_ref(), &mine, held), &result) {
                (_, None) => {
                    // Settled up to the finalized block.
                    if let Err(e) = self.audit_store(finalized, number, &mine) {
                        warn!(target: LOG_TARGET, "cannot audit the share store: {e}");
                    }
                    return;
                }
                (Settle::Wait, _) => return,
                (Settle::Advance, Some(result)) => {
                    if held == Held::Unreadable {
                        warn!(target: LOG_TARGET, "batch {id}: the stored shares need a DKG key the keystore no longer holds; left as they are");
                    }
                    let member = member_index(&result.info, &mine).is_some();
                    if let (true, BatchOutcome::Abandoned, Some(metrics)) =
                        (member, result.outcome, &self.metrics)
                    {
                        metrics.batches_abandoned.inc();
                    }
                    Ok(())
                }
                (Settle::Discard, Some(result)) => self.erase(result),
                (Settle::Store { me, .. }, Some(result)) => self.store_shares(result, me),
            };
            match outcome {
                Ok(()) => {}
                Err(SettleError::Retry(e)) => {
                    warn!(target: LOG_TARGET, "batch {id}: not settled yet: {e}");
                    return;
                }
                Err(SettleError::Lost(e)) => {
                    warn!(target: LOG_TARGET, "batch {id}: no shares stored: {e}");
                    if let Some(result) = &result {
                        self.membership.lost(result.info.epoch);
                    }
                }
            }
            self.received.remove(&id);
            self.cursor = id + 1;
            if let Err(e) = self.store.set_cursor(self.cursor) {
                warn!(target: LOG_TARGET, "cannot persist the share store's cursor: {e}");
                return;
            }
        }
    }

    /// Judge what the store holds for a finished batch's key range against the sharing the
    /// batch gives (its epoch, and the keys' commitments as the batch left them). An error is
    /// the store's I/O or a runtime call.
    fn held(&self, result: &BatchResult<BlockNumber>, mine: &[DkgId]) -> Result<Held, String> {
        let range = range_of(&result.info);
        if !self.store.contains(range) {
            return Ok(Held::Nothing);
        }
        let stored = match self.store.load(range, |key| self.keys.secret(key)) {
            Ok(Some(stored)) => stored,
            Ok(None) => return Ok(Held::Nothing),
            Err(StoreError::Corrupt(_)) => return Ok(Held::Foreign),
            Err(StoreError::MissingKey(_)) => return Ok(Held::Unreadable),
            Err(e @ StoreError::Io { .. }) => return Err(e.to_string()),
        };
        let (
            Some(me),
            BatchOutcome::Completed {
                first_key,
                key_count,
            },
        ) = (member_index(&result.info, mine), result.outcome)
        else {
            return Ok(Held::Foreign);
        };
        if stored.first_key != first_key || stored.epoch != result.info.epoch {
            return Ok(Held::Foreign);
        }
        let finished = self.block_hash(result.finished_at)?;
        let commitments = self.commitments(finished, first_key, key_count)?;
        Ok(
            match check_shares(&stored.shares, me, first_key, &commitments) {
                Ok(()) => Held::Matching,
                Err(_) => Held::Foreign,
            },
        )
    }

    /// The hash of block `number` of the finalized chain.
    fn block_hash(&self, number: BlockNumber) -> Result<Hash, String> {
        self.client
            .hash(number)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("block {number} is not known"))
    }

    /// Erase the stored shares of a finished batch's key range, which the finalized chain does
    /// not give this node: the range was handed over to an epoch without it, or the shares were
    /// settled on a fork that lost.
    fn erase(&self, result: &BatchResult<BlockNumber>) -> Result<(), SettleError> {
        let range = range_of(&result.info);
        let keys = match result.outcome {
            BatchOutcome::Completed { key_count, .. } => u64::from(key_count),
            BatchOutcome::Abandoned => 0,
        };
        self.store
            .erase(range)
            .map_err(|e| SettleError::Retry(e.to_string()))?;
        match (&result.info.handover, &self.metrics) {
            (Some(handover), metrics) => {
                if let Some(metrics) = metrics {
                    metrics.keys_erased.inc_by(keys);
                }
                info!(target: LOG_TARGET, "batch {}: erased the shares of key range {range}: it was handed over from epoch {} to epoch {}, without this node", result.info.batch, handover.from_epoch, result.info.epoch);
            }
            (None, metrics) => {
                if let Some(metrics) = metrics {
                    metrics.batches_discarded.inc();
                }
                warn!(target: LOG_TARGET, "batch {range}: discarded stored shares that the finalized chain does not give this node (settled on a fork that lost)");
            }
        }
        Ok(())
    }

    /// Compute member `me`'s shares of a batch completed in a finalized block (fresh keys, or
    /// the new sharing of a handed-over range), check them against the keys' commitments as
    /// the batch left them and store them, replacing the range's older sharing.
    fn store_shares(
        &mut self,
        result: &BatchResult<BlockNumber>,
        me: MemberIndex,
    ) -> Result<(), SettleError> {
        let id = result.info.batch;
        let range = range_of(&result.info);
        let BatchOutcome::Completed {
            first_key,
            key_count,
        } = result.outcome
        else {
            return Err(SettleError::Lost("the batch did not complete".into()));
        };
        let lost =
            |e: String| SettleError::Lost(format!("the chain no longer has its state ({e})"));
        // The commitments as the batch left them (a later handover replaces them), and the
        // chain just before it finished (its dealings, and the commitments a handover reshared).
        let finished = self.block_hash(result.finished_at).map_err(lost)?;
        let before = self
            .block_hash(result.finished_at.saturating_sub(1))
            .map_err(lost)?;
        let commitments = self
            .commitments(finished, first_key, key_count)
            .map_err(lost)?;
        // The shares verified while the batch ran on the best chain serve if they are of this
        // batch and match the finalized commitments (a fork may have carried other dealings).
        let verified = self
            .received
            .remove(&id)
            .filter(|v| v.session_id == result.info.session_id)
            .and_then(|v| v.shares.finalize(&result.qualified).ok())
            .map(|output| output.shares)
            .filter(|shares| check_shares(shares, me, first_key, &commitments).is_ok());
        let shares = match verified {
            Some(shares) => shares,
            None => {
                let dealings = self.dealings(before, id).map_err(lost)?;
                if dealings.is_empty() {
                    return Err(SettleError::Lost(
                        "the chain no longer retains its dealings".into(),
                    ));
                }
                let config = self
                    .config_at(before, &result.info)
                    .map_err(SettleError::Lost)?;
                let secret = self.secret(&result.info, me).map_err(SettleError::Lost)?;
                let shares = Receiver::new(config, me, secret, None)
                    .and_then(|receiver| receiver.receive(&dealings, &mut OsRng))
                    .and_then(|(received, _)| received.finalize(&result.qualified))
                    .map_err(|e| SettleError::Lost(e.to_string()))?
                    .shares;
                if let Err(mismatch) = check_shares(&shares, me, first_key, &commitments) {
                    if let Some(metrics) = &self.metrics {
                        metrics.share_mismatches.inc();
                    }
                    return Err(SettleError::Lost(format!(
                        "the computed shares do not match the commitments on chain ({mismatch:?})"
                    )));
                }
                shares
            }
        };
        let key = &result.info.members[usize::from(me) - 1];
        let secret = self.secret_bytes(key).map_err(SettleError::Lost)?;
        let epoch = result.info.epoch;
        self.store
            .save(range, epoch, first_key, key, &secret, &shares)
            .map_err(|e| SettleError::Retry(e.to_string()))?;
        if let Some(metrics) = &self.metrics {
            metrics.epoch.set(u64::from(epoch));
            if result.info.handover.is_some() {
                metrics.keys_handed_over.inc_by(u64::from(key_count));
                metrics.handovers_completed.inc();
            } else {
                metrics.keys_generated.inc_by(u64::from(key_count));
                metrics.batches_completed.inc();
            }
        }
        info!(target: LOG_TARGET, "batch {id}: stored shares of keys {first_key}..{} (key range {range}, epoch {epoch})", first_key + u64::from(key_count));
        Ok(())
    }

    /// The commitments on chain of the keys `first_key..first_key + key_count` at `at`.
    fn commitments(
        &self,
        at: Hash,
        first_key: KeyId,
        key_count: u32,
    ) -> Result<Vec<Option<Vec<[u8; 33]>>>, String> {
        let commitments = self
            .client
            .runtime_api()
            .range_commitments(at, first_key, key_count)
            .map_err(|e| format!("cannot read the commitments of keys from {first_key}: {e}"))?;
        if commitments.len() != key_count as usize {
            return Err(format!(
                "the chain gave {} commitments of keys from {first_key}, not {key_count}",
                commitments.len()
            ));
        }
        Ok(commitments)
    }

    /// Whether a message is due: never posted, or posted long enough ago without effect.
    fn due(
        &mut self,
        batch: BatchId,
        kind: MessageKind,
        dealer: MemberIndex,
        now: BlockNumber,
    ) -> bool {
        match self.sent.get(&(batch, kind, dealer)) {
            Some(at) if now < at.saturating_add(RESEND_AFTER) => false,
            _ => {
                self.sent.insert((batch, kind, dealer), now);
                true
            }
        }
    }

    fn dealings(&self, at: Hash, batch: BatchId) -> Result<Vec<dkg::Dealing>, String> {
        let raw = self
            .client
            .runtime_api()
            .dealings(at, batch)
            .map_err(|e| e.to_string())?;
        // The runtime only stores dealings that decoded and passed its checks.
        Ok(raw
            .iter()
            .filter_map(|(dealer, bytes)| DealingMessage::decode_dealing(*dealer, bytes).ok())
            .collect())
    }

    fn pair(&self, key: &DkgId) -> Result<app::Pair, String> {
        self.keys
            .pair(key)
            .ok_or_else(|| "the DKG key is no longer in the keystore".to_string())
    }

    fn secret_bytes(&self, key: &DkgId) -> Result<Zeroizing<[u8; 32]>, String> {
        self.keys
            .secret(key)
            .ok_or_else(|| "the DKG key is no longer in the keystore".to_string())
    }

    fn secret(
        &self,
        info: &BatchInfo<BlockNumber>,
        me: MemberIndex,
    ) -> Result<EncryptionSecretKey, String> {
        let key = &info.members[usize::from(me) - 1];
        EncryptionSecretKey::from_bytes(self.secret_bytes(key)?.as_ref()).map_err(|e| e.to_string())
    }

    /// Sign a message of `info`'s batch as index `me` of `committee` (the dealers for a
    /// dealing, the members otherwise).
    fn sign(
        &self,
        committee: &[DkgId],
        info: &BatchInfo<BlockNumber>,
        me: MemberIndex,
        kind: MessageKind,
        body: &[u8],
    ) -> Result<app::Signature, String> {
        let key = committee
            .get(usize::from(me).saturating_sub(1))
            .ok_or("not a member of the committee")?;
        let pair = self.pair(key)?;
        Ok(pair.sign(&signing_payload(
            &self.genesis_hash,
            &info.session_id,
            info.batch,
            me,
            kind,
            body,
        )))
    }

    async fn submit(&self, at: Hash, call: pallet_dkg::Call<Runtime>) -> Result<(), String> {
        let xt = torus_runtime::UncheckedExtrinsic::new_bare(RuntimeCall::Dkg(call));
        let opaque = OpaqueExtrinsic::decode(&mut &xt.encode()[..]).map_err(|e| e.to_string())?;
        match self
            .pool
            .submit_one(at, TransactionSource::Local, opaque)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match e.into_pool_error() {
                // The same message (same tag) is already waiting: nothing to do.
                Ok(PoolError::AlreadyImported(_) | PoolError::TooLowPriority { .. }) => Ok(()),
                Ok(e) => Err(format!("the transaction pool refused the message: {e}")),
                Err(e) => Err(format!("the transaction pool refused the message: {e}")),
            },
        }
    }
}

/// Replace the next member's ciphertext with well-formed encrypted shares that do not match
/// the commitments (the test-only [`Misbehavior::BadShare`]).
fn corrupt_next_members_share(
    config: &SessionConfig,
    me: MemberIndex,
    dealing: &mut dkg::Dealing,
) -> Result<(), String> {
    let n = config.recipients().size();
    if n < 2 {
        return Err("a bad share needs another member".into());
    }
    let victim = me % n + 1;
    let plaintext = Zeroizing::new(
        (0..config.batch_size())
            .flat_map(|_| Scalar::random(&mut OsRng).to_bytes())
            .collect::<Vec<u8>>(),
    );
    let (ciphertext, proof) =
        dkg::encrypt_for_recipient(config, me, victim, &plaintext, &mut OsRng)
            .map_err(|e| e.to_string())?;
    let slot = usize::from(victim) - 1;
    dealing.ciphertexts[slot] = ciphertext;
    dealing.ephemeral_proofs[slot] = proof;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use torus_primitives::dkg::Fault;

    fn key(byte: u8) -> DkgId {
        let mut bytes = [byte; 33];
        bytes[0] = 2;
        DkgId::from(polkadot_sdk::sp_core::ecdsa::Public::from_raw(bytes))
    }

    fn batch(phase: BatchPhase<BlockNumber>) -> ActiveBatch<BlockNumber> {
        ActiveBatch {
            info: BatchInfo {
                batch: 1,
                session_id: [0; 32],
                batch_size: 4,
                threshold: 3,
                members: (1..=4).map(key).collect(),
                started_at: 10,
                epoch: 0,
                handover: None,
            },
            phase,
            dealt: vec![],
            confirmed: vec![],
            disqualified: vec![],
        }
    }

    const DEALING: BatchPhase<BlockNumber> = BatchPhase::Dealing { deadline: 20 };
    const VERIFYING: BatchPhase<BlockNumber> = BatchPhase::Verifying { deadline: 30 };

    #[test]
    fn a_member_deals_once_per_batch() {
        let mut b = batch(DEALING);
        assert_eq!(
            next_step(&b, Some(2), Some(2), false, &BTreeSet::new()),
            Step::Deal
        );
        b.dealt = vec![2];
        assert_eq!(
            next_step(&b, Some(2), Some(2), false, &BTreeSet::new()),
            Step::Wait
        );
    }

    #[test]
    fn a_member_verifies_then_confirms_once() {
        let mut b = batch(VERIFYING);
        assert_eq!(
            next_step(&b, Some(1), Some(1), false, &BTreeSet::new()),
            Step::Verify
        );
        assert_eq!(
            next_step(&b, Some(1), Some(1), true, &BTreeSet::new()),
            Step::Confirm
        );
        b.confirmed = vec![1];
        assert_eq!(
            next_step(&b, Some(1), Some(1), true, &BTreeSet::new()),
            Step::Wait
        );
    }

    #[test]
    fn confirmation_waits_until_every_complaint_is_judged() {
        let mut b = batch(VERIFYING);
        let accused = BTreeSet::from([3]);
        assert_eq!(
            next_step(&b, Some(1), Some(1), true, &accused),
            Step::AwaitJudgement
        );
        b.disqualified = vec![(3, Fault::BadShare { complainer: 1 })];
        assert_eq!(
            next_step(&b, Some(1), Some(1), true, &accused),
            Step::Confirm
        );
    }

    /// A handover of key range 0 from four old members (keys 11..=14) to `batch`'s members.
    fn handover(phase: BatchPhase<BlockNumber>) -> ActiveBatch<BlockNumber> {
        let mut b = batch(phase);
        b.info.epoch = 1;
        b.info.handover = Some(torus_primitives::dkg::HandoverInfo {
            range: 0,
            first_key: 0,
            from_epoch: 0,
            dealers: (11..=14).map(key).collect(),
            dealer_threshold: 3,
        });
        b
    }

    #[test]
    fn in_a_handover_old_members_deal_and_new_members_verify() {
        let info = handover(DEALING).info;
        // Key 12 is dealer 2 only; key 3 is member 3 only.
        assert_eq!(dealer_index(&info, &[key(12)]), Some(2));
        assert_eq!(member_index(&info, &[key(12)]), None);
        assert_eq!(dealer_index(&info, &[key(3)]), None);
        let b = handover(DEALING);
        assert_eq!(
            next_step(&b, Some(2), None, false, &BTreeSet::new()),
            Step::Deal
        );
        assert_eq!(
            next_step(&b, None, Some(3), false, &BTreeSet::new()),
            Step::Wait
        );
        let mut b = handover(VERIFYING);
        assert_eq!(
            next_step(&b, Some(2), None, false, &BTreeSet::new()),
            Step::Wait
        );
        assert_eq!(
            next_step(&b, None, Some(3), false, &BTreeSet::new()),
            Step::Verify
        );
        // Dealer 3 dealt a bad share: recipient 3 is not disqualified by it, and its complaint
        // against dealer 3 counts as judged.
        b.disqualified = vec![(3, Fault::BadShare { complainer: 1 })];
        assert_eq!(
            next_step(&b, None, Some(3), true, &BTreeSet::from([3])),
            Step::Confirm
        );
        // A false complaint disqualifies the recipient, not the dealer of the same index.
        b.disqualified = vec![(2, Fault::FalseComplaint { dealer: 1 })];
        assert_eq!(
            next_step(&b, None, Some(2), true, &BTreeSet::new()),
            Step::Wait
        );
        let mut dealing = handover(DEALING);
        dealing.disqualified = b.disqualified.clone();
        assert_eq!(
            next_step(&dealing, Some(2), None, false, &BTreeSet::new()),
            Step::Deal
        );
    }

    #[test]
    fn a_handover_replaces_the_new_members_shares_and_erases_the_leavers() {
        let mut finished = result(COMPLETED);
        finished.info = handover(VERIFYING).info;
        // A member of the new epoch with the old epoch's shares: replaced.
        assert_eq!(
            settle_step(Some(&finished), &[key(2)], Held::Foreign),
            Settle::Store {
                me: 2,
                replace: true
            }
        );
        // An old member that is not in the new epoch: its shares are erased.
        assert_eq!(
            settle_step(Some(&finished), &[key(12)], Held::Foreign),
            Settle::Discard
        );
        assert_eq!(
            settle_step(Some(&finished), &[key(12)], Held::Nothing),
            Settle::Advance
        );
        // A handover that failed changes nothing: the old holders keep their shares.
        let mut failed = finished.clone();
        failed.outcome = BatchOutcome::Abandoned;
        for held in [Held::Matching, Held::Foreign, Held::Nothing] {
            assert_eq!(
                settle_step(Some(&failed), &[key(12)], held),
                Settle::Advance
            );
            assert_eq!(settle_step(Some(&failed), &[key(2)], held), Settle::Advance);
        }
        assert_eq!(range_of(&finished.info), 0);
        assert_eq!(range_of(&result(COMPLETED).info), 1);
    }

    #[test]
    fn a_disqualified_member_does_nothing() {
        let mut b = batch(DEALING);
        b.disqualified = vec![(2, Fault::MalformedDealing)];
        assert_eq!(
            next_step(&b, Some(2), Some(2), false, &BTreeSet::new()),
            Step::Wait
        );
        b.phase = VERIFYING;
        assert_eq!(
            next_step(&b, Some(2), Some(2), false, &BTreeSet::new()),
            Step::Wait
        );
    }

    fn result(outcome: BatchOutcome) -> BatchResult<BlockNumber> {
        BatchResult {
            info: batch(VERIFYING).info,
            outcome,
            qualified: vec![1, 2, 3],
            disqualified: vec![],
            absent: vec![4],
            finished_at: 25,
        }
    }

    const COMPLETED: BatchOutcome = BatchOutcome::Completed {
        first_key: 8,
        key_count: 4,
    };

    #[test]
    fn a_batch_is_settled_only_once_it_finished_in_a_finalized_block() {
        // The settling cursor reads the batch's result at the newest finalized block only: a
        // result on a best block that is not final yet is `None` there, whatever is stored.
        for held in [
            Held::Nothing,
            Held::Matching,
            Held::Foreign,
            Held::Unreadable,
        ] {
            assert_eq!(settle_step(None, &[key(2)], held), Settle::Wait);
        }
        let finished = result(COMPLETED);
        assert_eq!(
            settle_step(Some(&finished), &[key(2)], Held::Nothing),
            Settle::Store {
                me: 2,
                replace: false
            }
        );
        assert_eq!(
            settle_step(Some(&finished), &[key(2)], Held::Matching),
            Settle::Advance,
            "shares already stored and matching the chain are kept"
        );
    }

    #[test]
    fn shares_settled_on_a_fork_that_lost_are_discarded() {
        // The store holds shares under the batch id that do not match the finalized batch
        // (another batch had that id on the fork): they are replaced by the finalized batch's.
        let finished = result(COMPLETED);
        assert_eq!(
            settle_step(Some(&finished), &[key(2)], Held::Foreign),
            Settle::Store {
                me: 2,
                replace: true
            }
        );
        // On the finalized chain the batch was abandoned, or this node was not a member:
        // nothing stored under its id is this node's.
        let abandoned = result(BatchOutcome::Abandoned);
        for held in [Held::Matching, Held::Foreign] {
            assert_eq!(
                settle_step(Some(&abandoned), &[key(2)], held),
                Settle::Discard
            );
            assert_eq!(
                settle_step(Some(&finished), &[key(9)], held),
                Settle::Discard
            );
        }
        assert_eq!(
            settle_step(Some(&abandoned), &[key(2)], Held::Nothing),
            Settle::Advance
        );
        assert_eq!(
            settle_step(Some(&finished), &[key(9)], Held::Nothing),
            Settle::Advance
        );
    }

    #[test]
    fn shares_the_node_cannot_decrypt_are_left_alone() {
        for outcome in [COMPLETED, BatchOutcome::Abandoned] {
            assert_eq!(
                settle_step(Some(&result(outcome)), &[key(2)], Held::Unreadable),
                Settle::Advance
            );
        }
    }

    /// Member 2's final shares of a batch of `keys` keys by 3 members (threshold 2) and the
    /// keys' commitments as the chain records them.
    fn finished_batch(
        session_id: [u8; 32],
        keys: u32,
        rng: &mut rand::rngs::StdRng,
    ) -> (KeyShares, Vec<Option<Vec<[u8; 33]>>>) {
        let secrets: Vec<_> = (0..3).map(|_| EncryptionSecretKey::random(rng)).collect();
        let committee =
            Committee::new(2, secrets.iter().map(|k| k.public_key()).collect()).unwrap();
        let config = SessionConfig::new(
            session_id,
            keys,
            committee.clone(),
            committee,
            SessionKind::Fresh,
        )
        .unwrap();
        let dealings: Vec<_> = (1..=3)
            .map(|dealer| dkg::deal(&config, dealer, None, rng).unwrap())
            .collect();
        let (received, complaints) = Receiver::new(config, 2, secrets[1].clone(), None)
            .unwrap()
            .receive(&dealings, rng)
            .unwrap();
        assert!(complaints.is_empty());
        let output = received.finalize(&[1, 2, 3]).unwrap();
        let commitments = output
            .commitments
            .iter()
            .map(|c| Some(c.to_bytes().unwrap()))
            .collect();
        (output.shares, commitments)
    }

    #[test]
    fn shares_are_checked_against_every_keys_commitments_on_chain() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let (shares, commitments) = finished_batch([1; 32], 3, &mut rng);
        assert_eq!(check_shares(&shares, 2, 40, &commitments), Ok(()));

        let mut bad = shares.clone();
        bad.values[1] += Scalar::ONE;
        assert_eq!(
            check_shares(&bad, 2, 40, &commitments),
            Err(Mismatch::Share { key_id: 41 })
        );
        // Another member's index, another number of keys.
        let mut other = shares.clone();
        other.index = 3;
        assert_eq!(
            check_shares(&other, 3, 40, &commitments),
            Err(Mismatch::Share { key_id: 40 })
        );
        assert_eq!(
            check_shares(&shares, 3, 40, &commitments),
            Err(Mismatch::Shape)
        );
        assert_eq!(
            check_shares(&shares, 2, 40, &commitments[..2]),
            Err(Mismatch::Shape)
        );
        // A key without commitments, or with commitments that do not parse.
        let mut missing = commitments.clone();
        missing[2] = None;
        assert_eq!(
            check_shares(&shares, 2, 40, &missing),
            Err(Mismatch::NoCommitments { key_id: 42 })
        );
        missing[2] = Some(vec![[0; 33]]);
        assert_eq!(
            check_shares(&shares, 2, 40, &missing),
            Err(Mismatch::NoCommitments { key_id: 42 })
        );
    }

    #[test]
    fn shares_of_the_same_batch_id_on_another_fork_do_not_match_the_finalized_commitments() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        // The same batch id ran twice (once per fork, other dealings): the shares of the fork
        // that lost are refused against the commitments of the one that was finalized.
        let (fork_shares, _) = finished_batch([2; 32], 2, &mut rng);
        let (_, finalized_commitments) = finished_batch([3; 32], 2, &mut rng);
        assert_eq!(
            check_shares(&fork_shares, 2, 0, &finalized_commitments),
            Err(Mismatch::Share { key_id: 0 })
        );
    }

    #[test]
    fn member_index_is_one_based_and_none_for_outsiders() {
        let info = batch(DEALING).info;
        assert_eq!(member_index(&info, &[key(9), key(3)]), Some(3));
        assert_eq!(member_index(&info, &[key(9)]), None);
    }
}
