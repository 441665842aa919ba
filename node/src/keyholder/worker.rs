//! The keyholder worker's loop and decisions (see the module documentation of `keyholder`).

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
    sc_keystore::LocalKeystore,
    sc_transaction_pool_api::{
        error::{Error as PoolError, IntoPoolError},
        TransactionPool, TransactionSource,
    },
    sp_api::ProvideRuntimeApi,
    sp_core::Pair as _,
    sp_keystore::Keystore,
    sp_runtime::{traits::Header as _, OpaqueExtrinsic},
};
use rand::rngs::OsRng;
use torus_crypto::{
    dkg::{self, Committee, Complaint, ReceivedShares, Receiver, SessionConfig, SessionKind},
    ecies::{EncryptionPublicKey, EncryptionSecretKey},
};
use torus_primitives::{
    dkg::{
        app, signing_payload, ActiveBatch, BatchInfo, BatchOutcome, BatchPhase, BatchResult,
        ComplaintMessage, DealingMessage, DkgId, MemberIndex, MessageKind, DKG_KEY_TYPE,
    },
    BatchId, DkgApi, KeysApi,
};
use torus_runtime::{opaque::Block, BlockNumber, Hash, Runtime, RuntimeCall};
use zeroize::Zeroizing;

use super::{metrics::Metrics, store::ShareStore, KeyholderParams, Misbehavior, LOG_TARGET};

/// Blocks after which a message the chain has not reflected yet is posted again.
const RESEND_AFTER: BlockNumber = 4;

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

/// The decision for one batch, from the chain's view of it and what this worker knows: whether
/// it has verified the dealings and which dealers it complained about.
pub(super) fn next_step(
    batch: &ActiveBatch<BlockNumber>,
    me: MemberIndex,
    verified: bool,
    complained_about: &BTreeSet<MemberIndex>,
) -> Step {
    if batch.disqualified.iter().any(|(member, _)| *member == me) {
        return Step::Wait;
    }
    match batch.phase {
        BatchPhase::Dealing { .. } if !batch.dealt.contains(&me) => Step::Deal,
        BatchPhase::Dealing { .. } => Step::Wait,
        BatchPhase::Verifying { .. } if batch.confirmed.contains(&me) => Step::Wait,
        BatchPhase::Verifying { .. } if !verified => Step::Verify,
        BatchPhase::Verifying { .. } => {
            // Confirm only once the chain has judged every complaint: a confirmation can end
            // the phase, and a complaint included after it would come too late.
            let judged = complained_about
                .iter()
                .all(|dealer| batch.disqualified.iter().any(|(m, _)| m == dealer));
            if judged {
                Step::Confirm
            } else {
                Step::AwaitJudgement
            }
        }
    }
}

/// The member index of the first of `mine` in the committee, if any.
pub(super) fn member_index(info: &BatchInfo<BlockNumber>, mine: &[DkgId]) -> Option<MemberIndex> {
    info.members
        .iter()
        .position(|member| mine.contains(member))
        .and_then(|i| MemberIndex::try_from(i + 1).ok())
}

/// The DKG configuration of a batch, as the runtime builds it.
pub(super) fn session_config(info: &BatchInfo<BlockNumber>) -> Result<SessionConfig, String> {
    let keys = info
        .members
        .iter()
        .map(|member| EncryptionPublicKey::from_bytes(member.as_ref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("a member's DKG key is not a curve point: {e}"))?;
    let committee = Committee::new(info.threshold, keys).map_err(|e| e.to_string())?;
    SessionConfig::new(
        info.session_id,
        info.batch_size,
        committee.clone(),
        committee,
        SessionKind::Fresh,
    )
    .map_err(|e| e.to_string())
}

/// The worker's state; see the module documentation.
struct Worker<C, P> {
    // Utilities.
    client: Arc<C>,
    pool: Arc<P>,
    keystore: Arc<LocalKeystore>,
    store: Arc<ShareStore>,
    metrics: Option<Metrics>,
    misbehavior: Option<Misbehavior>,
    // State.
    /// When each message was last posted, by batch and kind (and accused dealer).
    sent: HashMap<(BatchId, MessageKind, MemberIndex), BlockNumber>,
    /// Verified shares of batches in their Verifying phase, and this node's complaints.
    received: HashMap<BatchId, (ReceivedShares, Vec<Complaint>)>,
    /// Every batch below this one is settled.
    cursor: BatchId,
}

/// Run the keyholder worker until the client's notification stream ends.
pub async fn run<C, P>(params: KeyholderParams<C, P>)
where
    C: ProvideRuntimeApi<Block> + BlockchainEvents<Block> + Send + Sync + 'static,
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
    let mut worker = Worker {
        client: params.client,
        pool: params.pool,
        keystore: params.keystore,
        store: params.store,
        metrics,
        misbehavior: params.misbehavior,
        sent: HashMap::new(),
        received: HashMap::new(),
        cursor,
    };
    info!(target: LOG_TARGET, "keyholder started (settled batches: {cursor})");
    let mut imports = worker.client.import_notification_stream();
    while let Some(mut notification) = imports.next().await {
        // Act on the newest best block only: notifications that queued up while the worker
        // was busy describe states that are already gone.
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
    warn!(target: LOG_TARGET, "the block import stream ended; the keyholder stops");
}

impl<C, P> Worker<C, P>
where
    C: ProvideRuntimeApi<Block> + Send + Sync + 'static,
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
        let mine = self.keystore.ecdsa_public_keys(DKG_KEY_TYPE);
        let mine: Vec<DkgId> = mine.into_iter().map(DkgId::from).collect();
        for batch in &batches {
            let Some(me) = member_index(&batch.info, &mine) else {
                continue;
            };
            if let Err(e) = self.advance(at, number, batch, me).await {
                warn!(target: LOG_TARGET, "batch {}: {e}", batch.info.batch);
            }
        }
        self.received
            .retain(|id, _| batches.iter().any(|b| b.info.batch == *id) || *id >= self.cursor);
        self.sent
            .retain(|(id, _, _), _| batches.iter().any(|b| b.info.batch == *id));
        self.settle_finished(at, &mine);
    }

    /// Take the next step in one running batch.
    async fn advance(
        &mut self,
        at: Hash,
        number: BlockNumber,
        batch: &ActiveBatch<BlockNumber>,
        me: MemberIndex,
    ) -> Result<(), String> {
        let id = batch.info.batch;
        let (verified, accused) = match self.received.get(&id) {
            Some((_, complaints)) => (true, complaints.iter().map(|c| c.dealer).collect()),
            None => (false, BTreeSet::new()),
        };
        match next_step(batch, me, verified, &accused) {
            Step::Wait => Ok(()),
            Step::AwaitJudgement => self.post_complaints(at, number, batch, me).await,
            Step::Deal => {
                if !self.due(id, MessageKind::Dealing, 0, number) {
                    return Ok(());
                }
                let config = session_config(&batch.info)?;
                let mut dealing =
                    dkg::deal(&config, me, None, &mut OsRng).map_err(|e| e.to_string())?;
                if self.misbehavior.take() == Some(Misbehavior::BadShare) {
                    corrupt_next_members_share(&config, me, &mut dealing)?;
                    warn!(target: LOG_TARGET, "batch {id}: dealing a bad share on purpose (test misbehaviour)");
                }
                let body = DealingMessage::from_dealing(&dealing).encode();
                let signature = self.sign(&batch.info, me, MessageKind::Dealing, &body)?;
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
                debug!(target: LOG_TARGET, "batch {id}: dealt as member {me}");
                Ok(())
            }
            Step::Verify => {
                let config = session_config(&batch.info)?;
                let dealings = self.dealings(at, id)?;
                let secret = self.secret(&batch.info, me)?;
                let (received, complaints) = Receiver::new(config, me, secret, None)
                    .and_then(|receiver| receiver.receive(&dealings, &mut OsRng))
                    .map_err(|e| e.to_string())?;
                self.received.insert(id, (received, complaints));
                self.post_complaints(at, number, batch, me).await
            }
            Step::Confirm => {
                if !self.due(id, MessageKind::Confirmation, 0, number) {
                    return Ok(());
                }
                let signature = self.sign(&batch.info, me, MessageKind::Confirmation, &[])?;
                let call = pallet_dkg::Call::<Runtime>::confirm {
                    batch: id,
                    member: me,
                    signature,
                };
                self.submit(at, call).await
            }
        }
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
            .map(|(_, complaints)| complaints.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|c| !batch.disqualified.iter().any(|(m, _)| *m == c.dealer))
            .collect();
        for complaint in pending {
            if !self.due(id, MessageKind::Complaint, complaint.dealer, number) {
                continue;
            }
            let body = ComplaintMessage::from_complaint(&complaint).encode();
            let signature = self.sign(&batch.info, me, MessageKind::Complaint, &body)?;
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

    /// Settle every finished batch from the cursor on, in order: store this node's shares of
    /// completed batches it is a member of, then move the cursor past the batch.
    fn settle_finished(&mut self, at: Hash, mine: &[DkgId]) {
        let client = self.client.clone();
        let api = client.runtime_api();
        loop {
            let result = match api.batch_result(at, self.cursor) {
                Ok(Some(result)) => result,
                Ok(None) => return,
                Err(e) => {
                    warn!(target: LOG_TARGET, "cannot read batch {}: {e}", self.cursor);
                    return;
                }
            };
            let id = self.cursor;
            match self.settle(at, &result, mine) {
                Ok(()) => {}
                // Shares that cannot be computed now cannot be computed later either (the chain
                // only prunes): report and move on rather than stall every later batch.
                Err(e) => warn!(target: LOG_TARGET, "batch {id}: no shares stored: {e}"),
            }
            self.received.remove(&id);
            self.cursor = id + 1;
            if let Err(e) = self.store.set_cursor(self.cursor) {
                warn!(target: LOG_TARGET, "cannot persist the share store's cursor: {e}");
                return;
            }
        }
    }

    fn settle(
        &mut self,
        at: Hash,
        result: &BatchResult<BlockNumber>,
        mine: &[DkgId],
    ) -> Result<(), String> {
        let id = result.info.batch;
        let Some(me) = member_index(&result.info, mine) else {
            return Ok(());
        };
        let BatchOutcome::Completed {
            first_key,
            key_count,
        } = result.outcome
        else {
            if let Some(metrics) = &self.metrics {
                metrics.batches_abandoned.inc();
            }
            return Ok(());
        };
        if self.store.contains(id) {
            return Ok(());
        }
        let received = match self.received.remove(&id) {
            Some((received, _)) => received,
            None => {
                // After a restart: verify again from the dealings the chain retains.
                let config = session_config(&result.info)?;
                let dealings = self.dealings(at, id)?;
                if dealings.is_empty() {
                    return Err("the chain no longer retains its dealings".into());
                }
                let secret = self.secret(&result.info, me)?;
                Receiver::new(config, me, secret, None)
                    .and_then(|receiver| receiver.receive(&dealings, &mut OsRng))
                    .map_err(|e| e.to_string())?
                    .0
            }
        };
        let output = received
            .finalize(&result.qualified)
            .map_err(|e| e.to_string())?;
        let key = &result.info.members[usize::from(me) - 1];
        let secret = self.secret_bytes(key)?;
        self.store
            .save(id, first_key, key, &secret, &output.shares)
            .map_err(|e| e.to_string())?;
        if let Some(metrics) = &self.metrics {
            metrics.keys_generated.inc_by(u64::from(key_count));
            metrics.batches_completed.inc();
        }
        info!(target: LOG_TARGET, "batch {id}: stored shares of keys {first_key}..{}", first_key + u64::from(key_count));
        Ok(())
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
        self.keystore
            .key_pair::<app::Pair>(key)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "the DKG key is no longer in the keystore".to_string())
    }

    fn secret_bytes(&self, key: &DkgId) -> Result<Zeroizing<[u8; 32]>, String> {
        Ok(Zeroizing::new(self.pair(key)?.into_inner().seed()))
    }

    fn secret(
        &self,
        info: &BatchInfo<BlockNumber>,
        me: MemberIndex,
    ) -> Result<EncryptionSecretKey, String> {
        let key = &info.members[usize::from(me) - 1];
        EncryptionSecretKey::from_bytes(self.secret_bytes(key)?.as_ref()).map_err(|e| e.to_string())
    }

    fn sign(
        &self,
        info: &BatchInfo<BlockNumber>,
        me: MemberIndex,
        kind: MessageKind,
        body: &[u8],
    ) -> Result<app::Signature, String> {
        let pair = self.pair(&info.members[usize::from(me) - 1])?;
        Ok(pair.sign(&signing_payload(info.batch, me, kind, body)))
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
        assert_eq!(next_step(&b, 2, false, &BTreeSet::new()), Step::Deal);
        b.dealt = vec![2];
        assert_eq!(next_step(&b, 2, false, &BTreeSet::new()), Step::Wait);
    }

    #[test]
    fn a_member_verifies_then_confirms_once() {
        let mut b = batch(VERIFYING);
        assert_eq!(next_step(&b, 1, false, &BTreeSet::new()), Step::Verify);
        assert_eq!(next_step(&b, 1, true, &BTreeSet::new()), Step::Confirm);
        b.confirmed = vec![1];
        assert_eq!(next_step(&b, 1, true, &BTreeSet::new()), Step::Wait);
    }

    #[test]
    fn confirmation_waits_until_every_complaint_is_judged() {
        let mut b = batch(VERIFYING);
        let accused = BTreeSet::from([3]);
        assert_eq!(next_step(&b, 1, true, &accused), Step::AwaitJudgement);
        b.disqualified = vec![(3, Fault::BadShare { complainer: 1 })];
        assert_eq!(next_step(&b, 1, true, &accused), Step::Confirm);
    }

    #[test]
    fn a_disqualified_member_does_nothing() {
        let mut b = batch(DEALING);
        b.disqualified = vec![(2, Fault::MalformedDealing)];
        assert_eq!(next_step(&b, 2, false, &BTreeSet::new()), Step::Wait);
        b.phase = VERIFYING;
        assert_eq!(next_step(&b, 2, false, &BTreeSet::new()), Step::Wait);
    }

    #[test]
    fn member_index_is_one_based_and_none_for_outsiders() {
        let info = batch(DEALING).info;
        assert_eq!(member_index(&info, &[key(9), key(3)]), Some(3));
        assert_eq!(member_index(&info, &[key(9)]), None);
    }
}
