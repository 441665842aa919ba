//! A batch's life in `on_initialize`: start (fresh keys for the buffer, or the handover of a
//! key range; up to [`MAX_STARTS_PER_BLOCK`] a block), the end of its dealing phase, its finish
//! (the keys, or their new sharing, from the qualified dealings; as many a block as fit
//! [`FINISH_SHARE`] of its weight, oldest first), and the pruning of its dealings.

use alloc::vec::Vec;
use codec::{Compact, CompactLen, Encode};
use frame_support::pallet_prelude::{BoundedVec, Get, Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;
use torus_crypto::{
    dkg::{self as crypto_dkg, DealingShape, SessionConfig, SessionKind},
    encoding::SCALAR_LEN,
    vss::FeldmanCommitment,
};
use torus_primitives::{
    dkg::{
        commitments_hash, threshold_for, BatchOutcome, BatchPhase, DealingMessage, DkgParams,
        KeyRange, MemberIndex,
    },
    BatchId, GeneratedKey, KeyBuffer, KeyId, PublicKey,
};

use crate::{
    encryption_key, ActiveBatches, BatchKind, BatchSetup, BatchState, Config, CurrentEpoch,
    Dealings, Epochs, Error, Event, FinishedBatch, HandingOver, KeyCommitments, MembersOf,
    NextBatch, Pallet, Params, PruneQueue, PruneQueueRange, Results, RunningBatches, Step,
    WeightInfo, LOG_TARGET,
};

/// The measured cost of one secp256k1 scalar multiplication in the compiled wasm runtime
/// (674 ms for 3 072 of them: docs/BENCHMARKS.md), in picoseconds. A handover's group
/// commitments weigh each qualified dealer's points by its Lagrange coefficient: at most
/// `b · (t′ − 1) · q` multiplications on top of what finishing a fresh batch costs.
const SCALAR_MULTIPLICATION_PS: u64 = 220_000_000;

/// An upper bound of one point addition or doubling in the compiled wasm runtime, in
/// picoseconds (a scalar multiplication is about 320 of them). When the Lagrange coefficients
/// are small integers (every dealer of a committee of up to 67 qualifies), a handover's group
/// commitments take `bits` doublings and at most `bits · q` additions per point instead.
const POINT_OPERATION_PS: u64 = 1_000_000;

/// At most this many batches start in one block.
pub(crate) const MAX_STARTS_PER_BLOCK: u32 = 8;

/// The share of a block's weight that finishing batches may take in `on_initialize`; the
/// oldest batch due to finish always may, whatever it weighs.
const FINISH_SHARE: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(50);

impl<T: Config> Pallet<T> {
    /// The DKG configuration of a batch: fresh keys among the members, or the handover of a
    /// key range from its dealers to the members (with the keys' current commitments, read from
    /// [`KeyCommitments`]).
    pub(crate) fn session_config(setup: &BatchSetup<T>) -> Result<SessionConfig, Error<T>> {
        let recipients = Self::crypto_committee(&setup.members, setup.threshold)?;
        let (dealers, kind) = match &setup.kind {
            BatchKind::Fresh => (recipients.clone(), SessionKind::Fresh),
            BatchKind::Handover {
                first_key,
                dealers,
                dealer_threshold,
                ..
            } => {
                let previous = (*first_key..)
                    .take(setup.batch_size as usize)
                    .map(|key_id| {
                        KeyCommitments::<T>::get(key_id)
                            .and_then(|points| FeldmanCommitment::from_bytes(&points).ok())
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or(Error::<T>::InvalidCommittee)?;
                (
                    Self::crypto_committee(dealers, *dealer_threshold)?,
                    SessionKind::Reshare { previous },
                )
            }
        };
        SessionConfig::new(
            setup.session_id,
            setup.batch_size,
            dealers,
            recipients,
            kind,
        )
        .map_err(|_| Error::<T>::InvalidCommittee)
    }

    /// The shape of a batch's dealings, which their structural check needs: unlike
    /// [`Self::session_config`] it reads no key's commitments (a handover's dealing would
    /// otherwise decode every point of its range's commitments).
    pub(crate) fn dealing_shape(setup: &BatchSetup<T>) -> Result<DealingShape, Error<T>> {
        let recipients = Self::crypto_committee(&setup.members, setup.threshold)?;
        let (dealers, fresh) = match &setup.kind {
            BatchKind::Fresh => (recipients.clone(), true),
            BatchKind::Handover {
                dealers,
                dealer_threshold,
                ..
            } => (Self::crypto_committee(dealers, *dealer_threshold)?, false),
        };
        Ok(DealingShape::new(
            setup.session_id,
            setup.batch_size,
            &dealers,
            &recipients,
            fresh,
        ))
    }

    pub(crate) fn crypto_committee(
        members: &MembersOf<T>,
        threshold: u16,
    ) -> Result<crypto_dkg::Committee, Error<T>> {
        let keys = members
            .iter()
            .map(|(_, key)| encryption_key(key))
            .collect::<Option<Vec<_>>>()
            .ok_or(Error::<T>::InvalidCommittee)?;
        crypto_dkg::Committee::new(threshold, keys).map_err(|_| Error::<T>::InvalidCommittee)
    }

    /// An upper bound of any batch's size: the key buffer's cap, and what a dealing of a
    /// one-member committee can hold (each key costs more than 97 bytes of every dealing).
    pub fn worst_batch_size() -> u32 {
        T::KeyBuffer::max_batch_size()
            .min(T::MaxDealingLen::get() / 97)
            .max(1)
    }

    /// The SCALE-encoded length of a well-formed dealing of `config` (a `DealingMessage`).
    pub fn encoded_dealing_len(config: &SessionConfig) -> usize {
        Self::dealing_len_for(
            usize::from(config.recipients().size()),
            config.points_per_key(),
            config.batch_size(),
        )
    }

    /// The SCALE-encoded length of a well-formed dealing of `batch_size` keys with
    /// `points_per_key` commitment points each, to `recipients` members (saturating).
    pub fn dealing_len_for(recipients: usize, points_per_key: usize, batch_size: u32) -> usize {
        let keys = batch_size as usize;
        let points = keys.saturating_mul(points_per_key);
        let ciphertext = torus_crypto::ecies::OVERHEAD.saturating_add(
            torus_crypto::ecies::ciphertext_len(keys.saturating_mul(SCALAR_LEN)),
        );
        let prefix = |len: usize| Compact::<u32>::compact_len(&(len as u32));
        let per_recipient = ciphertext
            .saturating_add(torus_crypto::dleq::PROOF_LEN)
            .saturating_add(prefix(ciphertext));
        points
            .saturating_mul(65)
            .saturating_add(recipients.saturating_mul(per_recipient))
            .saturating_add(prefix(points))
            .saturating_add(prefix(recipients).saturating_mul(2))
    }

    /// The largest batch size up to `cap` whose dealings fit [`Config::MaxDealingLen`] for
    /// this committee (0 if none does).
    pub fn fitting_batch_size(
        committee: &crypto_dkg::Committee,
        session_id: [u8; 32],
        cap: u32,
    ) -> u32 {
        let fits = |b: u32| {
            SessionConfig::new(
                session_id,
                b,
                committee.clone(),
                committee.clone(),
                SessionKind::Fresh,
            )
            .is_ok_and(|c| Self::encoded_dealing_len(&c) <= T::MaxDealingLen::get() as usize)
        };
        // The largest b in 0..=cap with fits(b), by bisection (the length grows with b).
        let (mut lo, mut hi) = (0u32, cap);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// The block's DKG work: prune, advance and finish batches, start an epoch for a refresh
    /// if one is due, start one batch (a handover before fresh keys). Returns its weight.
    pub(crate) fn run_batches(now: BlockNumberFor<T>) -> Weight {
        let running = RunningBatches::<T>::get();
        let mut weight = T::WeightInfo::on_initialize_idle(running.len() as u32);
        if let Some(n) = Self::prune_due(now) {
            weight.saturating_accrue(T::WeightInfo::prune_dealings(n));
        }
        let params = Params::<T>::get();
        let finish_budget = FINISH_SHARE * T::BlockWeights::get().max_block;
        let mut finishing = Weight::zero();
        let mut pending_keys: u64 = 0;
        for batch in running {
            let Some(state) = ActiveBatches::<T>::get(batch) else {
                continue;
            };
            let (n, b) = (state.setup.size(), state.setup.batch_size);
            let fresh = matches!(state.setup.kind, BatchKind::Fresh);
            // Only a verifying batch can finish with its keys (a dealing one is abandoned), so
            // only its Lagrange weights are worth estimating.
            let finish_weight = match state.phase {
                BatchPhase::Verifying { .. } => Self::finish_weight(&state),
                BatchPhase::Dealing { .. } => T::WeightInfo::abandon_batch(n),
            };
            let may_finish = finishing == Weight::zero()
                || finishing
                    .saturating_add(finish_weight)
                    .all_lte(finish_budget);
            match Self::step(batch, state, now, &params, may_finish) {
                Step::Idle => pending_keys.saturating_accrue(if fresh { b.into() } else { 0 }),
                Step::DealingEnded => {
                    pending_keys.saturating_accrue(if fresh { b.into() } else { 0 });
                    weight.saturating_accrue(T::WeightInfo::end_dealing(n));
                }
                Step::Finished(computed) => {
                    let spent = if computed {
                        finish_weight
                    } else {
                        T::WeightInfo::abandon_batch(n)
                    };
                    finishing.saturating_accrue(spent);
                    weight.saturating_accrue(spent);
                }
            }
        }
        weight.saturating_accrue(Self::refresh_if_due(now, &params));
        for _ in 0..MAX_STARTS_PER_BLOCK {
            let batch = NextBatch::<T>::get();
            let Some(n) = Self::try_start_batch(now, &params, pending_keys) else {
                break;
            };
            weight.saturating_accrue(T::WeightInfo::start_batch(n));
            let Some(started) = ActiveBatches::<T>::get(batch) else {
                // The committee was read but nothing started.
                break;
            };
            weight.saturating_accrue(T::DbWeight::get().reads(1));
            if matches!(started.setup.kind, BatchKind::Fresh) {
                pending_keys.saturating_accrue(started.setup.batch_size.into());
            }
        }
        weight
    }

    /// The weight of finishing a batch with its keys: the measured fresh finish, plus, for a
    /// handover, the Lagrange-weighted sums of its group commitments from the dealers
    /// qualified so far (an estimate from the measured cost of one multiplication).
    fn finish_weight(state: &BatchState<T>) -> Weight {
        let setup = &state.setup;
        let fresh = T::WeightInfo::finish_batch(setup.size(), setup.batch_size);
        if matches!(setup.kind, BatchKind::Fresh) {
            return fresh;
        }
        let qualified = state.qualified();
        let q = qualified.len() as u64;
        let per_point = match crypto_dkg::small_reshare_weight_bits(&qualified) {
            Ok(Some(bits)) => u64::from(bits)
                .saturating_mul(q.saturating_add(1))
                .saturating_mul(POINT_OPERATION_PS),
            _ => q.saturating_mul(SCALAR_MULTIPLICATION_PS),
        };
        let points = u64::from(setup.batch_size)
            .saturating_mul(u64::from(setup.threshold.saturating_sub(1)));
        fresh.saturating_add(Weight::from_parts(points.saturating_mul(per_point), 0))
    }

    /// Advance one running batch; it may finish only if `may_finish`.
    pub(crate) fn step(
        batch: BatchId,
        mut state: BatchState<T>,
        now: BlockNumberFor<T>,
        params: &DkgParams<BlockNumberFor<T>>,
        may_finish: bool,
    ) -> Step {
        let enough = |state: &BatchState<T>| state.qualified().len() >= state.setup.min_qualified();
        // A handover completes only if a threshold of the new members confirmed that they hold
        // their shares: the old members erase theirs once it completes.
        let taken = |state: &BatchState<T>| {
            matches!(state.setup.kind, BatchKind::Fresh)
                || state
                    .confirmed
                    .iter()
                    .filter(|m| !state.is_disqualified(**m, false))
                    .count()
                    >= usize::from(state.setup.threshold)
        };
        match state.phase {
            BatchPhase::Dealing { deadline } if now > deadline || state.all_dealt() => {
                if !enough(&state) {
                    if !may_finish {
                        return Step::Idle;
                    }
                    Self::finish_batch(batch, state, now, false);
                    Step::Finished(false)
                } else {
                    Self::end_dealing(&mut state, now, params.verify_timeout);
                    ActiveBatches::<T>::insert(batch, state);
                    Step::DealingEnded
                }
            }
            BatchPhase::Verifying { deadline }
                if may_finish && (now > deadline || state.all_confirmed()) =>
            {
                let computed = enough(&state) && taken(&state);
                Self::finish_batch(batch, state, now, computed);
                Step::Finished(computed)
            }
            _ => Step::Idle,
        }
    }

    /// End a batch's Dealing phase at block `now`: its members verify for `verify_timeout`.
    pub(crate) fn end_dealing(
        state: &mut BatchState<T>,
        now: BlockNumberFor<T>,
        verify_timeout: BlockNumberFor<T>,
    ) {
        state.phase = BatchPhase::Verifying {
            deadline: now.saturating_add(verify_timeout),
        };
    }

    /// Finish `batch`: if `generate` (and the qualified set suffices), generate its keys or
    /// record the handover; record the result, count absences, queue its dealings for pruning
    /// and drop its state.
    fn finish_batch(batch: BatchId, state: BatchState<T>, now: BlockNumberFor<T>, generate: bool) {
        let qualified = state.qualified();
        let recorded = if generate && qualified.len() >= state.setup.min_qualified() {
            match &state.setup.kind {
                BatchKind::Fresh => Self::generate_keys(batch, &state, &qualified),
                BatchKind::Handover { .. } => Self::reshare_keys(batch, &state, &qualified),
            }
        } else {
            None
        };
        let outcome = match recorded {
            Some((first_key, key_count)) => BatchOutcome::Completed {
                first_key,
                key_count,
            },
            None => BatchOutcome::Abandoned,
        };
        let stored_dealings = state.dealt.len() as u32;
        let absent = state.absent();
        for member in &absent {
            if let Some((account, _)) = state.setup.dealers().get(usize::from(*member) - 1) {
                crate::Absences::<T>::mutate(account, |count| count.saturating_accrue(1));
            }
        }
        let qualified = match outcome {
            BatchOutcome::Completed { .. } => BoundedVec::truncate_from(qualified),
            BatchOutcome::Abandoned => BoundedVec::new(),
        };
        if let (BatchKind::Handover { range, .. }, BatchOutcome::Abandoned) =
            (&state.setup.kind, outcome)
        {
            Self::handover_failed(*range);
        }
        Results::<T>::insert(
            batch,
            FinishedBatch {
                setup: state.setup,
                outcome,
                qualified,
                disqualified: state.disqualified,
                absent: BoundedVec::truncate_from(absent),
                finished_at: now,
            },
        );
        let (head, tail) = PruneQueueRange::<T>::get();
        let prune_at = now.saturating_add(T::DealingRetention::get());
        PruneQueue::<T>::insert(tail, (prune_at, batch, stored_dealings));
        PruneQueueRange::<T>::put((head, tail.saturating_add(1)));
        ActiveBatches::<T>::remove(batch);
        RunningBatches::<T>::mutate(|running| running.retain(|b| *b != batch));
        match outcome {
            BatchOutcome::Completed {
                first_key,
                key_count,
            } => Self::deposit_event(Event::BatchCompleted {
                batch,
                first_key,
                key_count,
            }),
            BatchOutcome::Abandoned => Self::deposit_event(Event::BatchAbandoned { batch }),
        }
    }

    /// The group commitments of a batch's keys from the dealings of `qualified`, as compressed
    /// points. `None` (with a log) if anything fails.
    fn qualified_commitments(
        batch: BatchId,
        state: &BatchState<T>,
        qualified: &[MemberIndex],
    ) -> Option<Vec<Vec<[u8; 33]>>> {
        let fail = |what: &str| {
            log::warn!(target: LOG_TARGET, "batch {batch} abandoned: {what}");
        };
        let Ok(config) = Self::session_config(&state.setup) else {
            fail("invalid committee or missing commitments");
            return None;
        };
        let dealings = qualified
            .iter()
            .map(|q| {
                Dealings::<T>::get(batch, q)
                    .and_then(|bytes| DealingMessage::decode_dealing(*q, &bytes).ok())
            })
            .collect::<Option<Vec<_>>>();
        let Some(dealings) = dealings else {
            fail("a qualified dealing is missing");
            return None;
        };
        let points = crypto_dkg::group_commitments(&config, &dealings, qualified)
            .ok()
            .and_then(|commitments| {
                commitments
                    .iter()
                    .map(|c| c.to_bytes().ok())
                    .collect::<Option<Vec<_>>>()
            });
        if points.is_none() {
            fail("the group commitments could not be computed");
        }
        points
    }

    /// Compute the keys of `batch` from the dealings of `qualified`, hand them to the buffer,
    /// store their commitments and record the key range.
    fn generate_keys(
        batch: BatchId,
        state: &BatchState<T>,
        qualified: &[MemberIndex],
    ) -> Option<(KeyId, u32)> {
        let points = Self::qualified_commitments(batch, state, qualified)?;
        let keys = points
            .iter()
            .map(|p| {
                p.first().map(|constant| GeneratedKey {
                    public_key: PublicKey(*constant),
                    commitments_hash: commitments_hash(p),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let key_count = keys.len() as u32;
        let first_key = match T::KeyBuffer::insert_generated_keys(batch, keys) {
            Ok(first) => first,
            Err(e) => {
                log::warn!(target: LOG_TARGET, "batch {batch} abandoned: the key buffer refused it: {e:?}");
                return None;
            }
        };
        for (key_id, p) in (first_key..).zip(points) {
            KeyCommitments::<T>::insert(key_id, BoundedVec::truncate_from(p));
        }
        Self::range_generated(KeyRange {
            range: batch,
            first_key,
            key_count,
            holder: state.setup.epoch,
        });
        Some((first_key, key_count))
    }

    /// Record the new sharing of a handover's key range: the new group commitments of every
    /// key (whose constant term must be the key's public key, as before) and its new holder.
    fn reshare_keys(
        batch: BatchId,
        state: &BatchState<T>,
        qualified: &[MemberIndex],
    ) -> Option<(KeyId, u32)> {
        let BatchKind::Handover {
            range,
            first_key,
            from,
            ..
        } = &state.setup.kind
        else {
            return None;
        };
        let points = Self::qualified_commitments(batch, state, qualified)?;
        let unchanged = (*first_key..).zip(&points).all(|(key_id, p)| {
            KeyCommitments::<T>::get(key_id)
                .and_then(|old| old.first().copied())
                .is_some_and(|old| p.first() == Some(&old))
        });
        if !unchanged {
            log::error!(target: LOG_TARGET, "batch {batch} abandoned: a reshared key's public key changed");
            return None;
        }
        for (key_id, p) in (*first_key..).zip(points) {
            KeyCommitments::<T>::insert(key_id, BoundedVec::truncate_from(p));
        }
        let to = state.setup.epoch;
        Self::range_handed_over(*range, *from, to);
        Self::deposit_event(Event::HandoverCompleted {
            batch,
            range: *range,
            from: *from,
            to,
        });
        Some((*first_key, state.setup.batch_size))
    }

    /// Start a batch if a slot is free: the handover of the next key range the current epoch
    /// does not hold, or else fresh keys if the buffer needs them. `Some(n)` if a committee
    /// (`n` members) was read, whether a batch started or not.
    pub(crate) fn try_start_batch(
        now: BlockNumberFor<T>,
        params: &DkgParams<BlockNumberFor<T>>,
        pending_keys: u64,
    ) -> Option<u32> {
        let running = RunningBatches::<T>::get();
        let max_running = params
            .max_concurrent_batches
            .min(T::MaxConcurrentBatches::get());
        if running.len() as u32 >= max_running {
            return None;
        }
        if let Some(range) = Self::next_stale_range() {
            return Self::start_handover(now, params, range);
        }
        if T::KeyBuffer::buffer_size().saturating_add(pending_keys) >= params.target_buffer {
            return None;
        }
        let epoch = CurrentEpoch::<T>::get();
        let members = Epochs::<T>::get(epoch)?.members;
        let n = members.len() as u32;
        let threshold = threshold_for(n as u16);
        let Ok(committee) = Self::crypto_committee(&members, threshold) else {
            log::warn!(target: LOG_TARGET, "the committee has an invalid DKG key");
            return Some(n);
        };
        let batch = NextBatch::<T>::get();
        let session_id = Self::session_id(b"torus-dkg/batch", batch);
        let cap = params.batch_size.min(T::KeyBuffer::max_batch_size());
        let batch_size = Self::fitting_batch_size(&committee, session_id, cap);
        if batch_size == 0 {
            log::warn!(target: LOG_TARGET, "no key fits a dealing of {n} members");
            return Some(n);
        }
        let setup = BatchSetup {
            members,
            session_id,
            batch_size,
            threshold,
            started_at: now,
            epoch,
            kind: BatchKind::Fresh,
        };
        Self::start(batch, setup, now, params)?;
        Self::deposit_event(Event::BatchStarted {
            batch,
            batch_size,
            members: n,
            threshold,
        });
        Some(n)
    }

    /// Start handing `range` over from its holder to the current epoch. `Some(n)` if the
    /// committees were read.
    fn start_handover(
        now: BlockNumberFor<T>,
        params: &DkgParams<BlockNumberFor<T>>,
        range: KeyRange,
    ) -> Option<u32> {
        let to = CurrentEpoch::<T>::get();
        let target = Epochs::<T>::get(to)?;
        let Some(source) = Epochs::<T>::get(range.holder) else {
            log::error!(target: LOG_TARGET, "key range {} is held by unknown epoch {}", range.range, range.holder);
            return Some(0);
        };
        let n = target.members.len() as u32;
        let len = Self::dealing_len_for(
            target.members.len(),
            usize::from(target.threshold.saturating_sub(1)),
            range.key_count,
        );
        if len > T::MaxDealingLen::get() as usize {
            log::warn!(
                target: LOG_TARGET,
                "key range {} ({} keys) does not fit one dealing to {n} members; it stays with epoch {}",
                range.range, range.key_count, range.holder
            );
            return Some(n);
        }
        let batch = NextBatch::<T>::get();
        let setup = BatchSetup {
            members: target.members,
            session_id: Self::session_id(b"torus-dkg/handover", batch),
            batch_size: range.key_count,
            threshold: target.threshold,
            started_at: now,
            epoch: to,
            kind: BatchKind::Handover {
                range: range.range,
                first_key: range.first_key,
                from: range.holder,
                dealers: source.members,
                dealer_threshold: source.threshold,
            },
        };
        Self::start(batch, setup, now, params)?;
        HandingOver::<T>::insert(range.range, batch);
        Self::deposit_event(Event::HandoverStarted {
            batch,
            range: range.range,
            from: range.holder,
            to,
            key_count: range.key_count,
        });
        Some(n)
    }

    /// A batch's session id: the BLAKE2-256 of `SCALE((tag, batch, parent_hash))`.
    fn session_id(tag: &[u8], batch: BatchId) -> [u8; 32] {
        let parent_hash = frame_system::Pallet::<T>::parent_hash();
        sp_io::hashing::blake2_256(&(tag, batch, parent_hash).encode())
    }

    /// Put `batch` in the running list with `setup`, in its dealing phase.
    fn start(
        batch: BatchId,
        setup: BatchSetup<T>,
        now: BlockNumberFor<T>,
        params: &DkgParams<BlockNumberFor<T>>,
    ) -> Option<()> {
        let mut running = RunningBatches::<T>::get();
        running.try_push(batch).ok()?;
        RunningBatches::<T>::put(running);
        NextBatch::<T>::put(batch.saturating_add(1));
        ActiveBatches::<T>::insert(
            batch,
            BatchState {
                setup,
                phase: BatchPhase::Dealing {
                    deadline: now.saturating_add(params.deal_timeout),
                },
                dealt: BoundedVec::new(),
                confirmed: BoundedVec::new(),
                disqualified: BoundedVec::new(),
                complaints: BoundedVec::new(),
            },
        );
        Some(())
    }

    /// Remove the dealings of the oldest finished batch if its retention passed. Returns the
    /// number of dealings it had.
    pub(crate) fn prune_due(now: BlockNumberFor<T>) -> Option<u32> {
        let (head, tail) = PruneQueueRange::<T>::get();
        if head >= tail {
            return None;
        }
        let (at, batch, count) = PruneQueue::<T>::get(head)?;
        if at > now {
            return None;
        }
        let _ = Dealings::<T>::clear_prefix(batch, T::MaxCommittee::get(), None);
        PruneQueue::<T>::remove(head);
        PruneQueueRange::<T>::put((head.saturating_add(1), tail));
        Some(count)
    }
}
