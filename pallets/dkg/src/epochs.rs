//! Committees and epochs: the session handler that keeps the session's validators, the start
//! of an epoch (a new committee, or a refresh), the key ranges and which one is handed over
//! next.

use frame_support::{
    pallet_prelude::{Get, Weight},
    traits::OneSessionHandler,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;
use torus_primitives::{
    dkg::{threshold_for, DkgId, DkgParams, EpochId, KeyRange},
    BatchId,
};

use crate::{
    encryption_key, ActiveBatches, Committee, Config, CurrentEpoch, EpochRanges, EpochRecord,
    Epochs, Event, HandingOver, HandoverCursor, MembersOf, NextBatch, Pallet, RangeCount, Ranges,
    RunningBatches, StaleRanges, LOG_TARGET,
};

/// At most this many batch ids are examined per block for the next range to hand over.
const MAX_RANGES_EXAMINED: u32 = 64;

impl<T: Config> Pallet<T> {
    /// Store a session's validators as the committee, and start an epoch if they differ from
    /// the current epoch's members.
    pub(crate) fn set_committee<'a, I>(validators: I)
    where
        I: Iterator<Item = (&'a T::AccountId, DkgId)>,
        T::AccountId: 'a,
    {
        let mut members = MembersOf::<T>::new();
        let mut dropped = 0u32;
        for (account, key) in validators {
            if encryption_key(&key).is_none() {
                log::warn!(target: LOG_TARGET, "validator {account:?} has an invalid DKG key; left out");
                continue;
            }
            if members.try_push((account.clone(), key)).is_err() {
                dropped.saturating_accrue(1);
            }
        }
        if dropped > 0 {
            log::warn!(
                target: LOG_TARGET,
                "{dropped} validators beyond MaxCommittee ({}) left out of the DKG committee",
                T::MaxCommittee::get()
            );
        }
        Committee::<T>::put(members.clone());
        let current = Epochs::<T>::get(CurrentEpoch::<T>::get());
        if !members.is_empty() && current.is_none_or(|epoch| epoch.members != members) {
            Self::start_epoch(members, false);
        }
    }

    /// Start a new epoch with `members` (a refresh if they are the current epoch's): every key
    /// range is now held by an older epoch and is handed over to it.
    fn start_epoch(members: MembersOf<T>, refresh: bool) {
        let previous = CurrentEpoch::<T>::get();
        let epoch = if Epochs::<T>::contains_key(previous) {
            previous.saturating_add(1)
        } else {
            previous
        };
        let n = members.len() as u16;
        let threshold = threshold_for(n);
        Epochs::<T>::insert(
            epoch,
            EpochRecord {
                members,
                threshold,
                started_at: frame_system::Pallet::<T>::block_number(),
            },
        );
        CurrentEpoch::<T>::put(epoch);
        StaleRanges::<T>::put(RangeCount::<T>::get());
        HandoverCursor::<T>::put(0);
        Self::deposit_event(Event::EpochStarted {
            epoch,
            members: u32::from(n),
            threshold,
            refresh,
        });
        if previous != epoch {
            Self::prune_epoch(previous);
        }
    }

    /// Start a refresh epoch (the same members) if one is due: every key range is held by the
    /// current epoch, which started at least `refresh_interval` blocks ago — or, for share
    /// recovery, a member of it reported lost shares and it started at least one batch's
    /// timeouts (`deal_timeout + verify_timeout`) ago, so that reports cannot make the network
    /// refresh more often than that. Returns the weight.
    pub(crate) fn refresh_if_due(
        now: BlockNumberFor<T>,
        params: &DkgParams<BlockNumberFor<T>>,
    ) -> Weight {
        let reads = T::DbWeight::get().reads(4);
        if StaleRanges::<T>::get() > 0 || RangeCount::<T>::get() == 0 {
            return reads;
        }
        let Some(epoch) = Epochs::<T>::get(CurrentEpoch::<T>::get()) else {
            return reads;
        };
        let refresh = params.refresh_interval != 0u32.into()
            && now >= epoch.started_at.saturating_add(params.refresh_interval);
        let recovery = Self::current_epoch_lost_shares()
            && now
                >= epoch
                    .started_at
                    .saturating_add(params.deal_timeout)
                    .saturating_add(params.verify_timeout);
        if !refresh && !recovery {
            return reads;
        }
        Self::start_epoch(epoch.members, true);
        reads.saturating_add(T::DbWeight::get().reads_writes(2, 5))
    }

    /// The next key range to hand over to the current epoch: held by an older epoch and not
    /// being handed over already. Examines at most [`MAX_RANGES_EXAMINED`] batch ids from the
    /// cursor, which moves past what it examined.
    pub(crate) fn next_stale_range() -> Option<KeyRange> {
        if StaleRanges::<T>::get() == 0 {
            return None;
        }
        let current = CurrentEpoch::<T>::get();
        let end = NextBatch::<T>::get();
        let mut id = HandoverCursor::<T>::get();
        let mut found = None;
        for _ in 0..MAX_RANGES_EXAMINED {
            if id >= end {
                break;
            }
            let range = Ranges::<T>::get(id);
            id = id.saturating_add(1);
            if let Some(range) = range.filter(|r| r.holder != current) {
                if !HandingOver::<T>::contains_key(range.range) {
                    found = Some(range);
                    break;
                }
            }
        }
        HandoverCursor::<T>::put(id);
        found
    }

    /// Record a new key range (a completed fresh batch).
    pub(crate) fn range_generated(range: KeyRange) {
        Ranges::<T>::insert(range.range, range);
        RangeCount::<T>::mutate(|count| count.saturating_accrue(1));
        EpochRanges::<T>::mutate(range.holder, |count| {
            *count = Some(count.unwrap_or(0).saturating_add(1))
        });
        if range.holder != CurrentEpoch::<T>::get() {
            // Generated by an epoch that ended while the batch ran: hand it over too.
            StaleRanges::<T>::mutate(|count| count.saturating_accrue(1));
            Self::revisit(range.range);
        }
    }

    /// Record that `range` is held by epoch `to` now, no longer by `from`.
    pub(crate) fn range_handed_over(range: BatchId, from: EpochId, to: EpochId) {
        Ranges::<T>::mutate(range, |r| {
            if let Some(r) = r {
                r.holder = to;
            }
        });
        HandingOver::<T>::remove(range);
        EpochRanges::<T>::mutate(from, |count| {
            *count = count.map(|c| c.saturating_sub(1)).filter(|c| *c > 0)
        });
        EpochRanges::<T>::mutate(to, |count| {
            *count = Some(count.unwrap_or(0).saturating_add(1))
        });
        if to == CurrentEpoch::<T>::get() {
            StaleRanges::<T>::mutate(|count| *count = count.saturating_sub(1));
        } else {
            // A newer epoch started while the handover ran: hand it over again.
            Self::revisit(range);
        }
        Self::prune_epoch(from);
    }

    /// A handover of `range` ended without a new sharing: the range stays with its holder and
    /// is tried again.
    pub(crate) fn handover_failed(range: BatchId) {
        HandingOver::<T>::remove(range);
        Self::revisit(range);
    }

    /// Make the handover cursor examine `range` again.
    fn revisit(range: BatchId) {
        HandoverCursor::<T>::mutate(|cursor| *cursor = (*cursor).min(range));
    }

    /// Remove epoch `epoch` if it is not the current one, holds no key range and no running
    /// batch gives it keys.
    fn prune_epoch(epoch: EpochId) {
        if epoch == CurrentEpoch::<T>::get() || EpochRanges::<T>::contains_key(epoch) {
            return;
        }
        let targeted = RunningBatches::<T>::get().iter().any(|batch| {
            ActiveBatches::<T>::get(batch).is_some_and(|state| state.setup.epoch == epoch)
        });
        if targeted {
            return;
        }
        if let Some(record) = Epochs::<T>::take(epoch) {
            Self::forget_epoch_nodes(epoch, &record);
        }
    }
}

impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
    type Public = DkgId;
}

impl<T: Config> OneSessionHandler<T::AccountId> for Pallet<T> {
    type Key = DkgId;

    fn on_genesis_session<'a, I>(validators: I)
    where
        I: 'a + Iterator<Item = (&'a T::AccountId, DkgId)>,
    {
        Self::set_committee(validators);
    }

    fn on_new_session<'a, I>(_changed: bool, validators: I, _queued_validators: I)
    where
        I: 'a + Iterator<Item = (&'a T::AccountId, DkgId)>,
    {
        Self::set_committee(validators);
    }

    fn on_disabled(_validator_index: u32) {}
}

/// The DKG keys of the current committee (the session's validators), for pallets that accept
/// messages signed by a validator's DKG key (`pallet-keys`' assignments).
pub struct CommitteeKeys<T>(core::marker::PhantomData<T>);

impl<T: Config> frame_support::traits::Contains<DkgId> for CommitteeKeys<T> {
    fn contains(key: &DkgId) -> bool {
        Committee::<T>::get()
            .iter()
            .any(|(_, member)| member == key)
    }
}
