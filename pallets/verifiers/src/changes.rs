//! Announced changes: the per-block schedule, announcing, dropping and applying.
//!
//! Invariants (checked by [`Pallet::check_invariants`]): every entry of [`PendingChanges`] is
//! listed exactly once, in [`ChangesDue`] at its `effective_at`, and belongs to a registered
//! verifier; every name listed in [`ChangesDue`] has such an entry; every effective block lies
//! in the future.

use super::*;
use frame_support::{traits::Defensive, weights::Weight};

impl<T: Config> Pallet<T> {
    /// Stores `config` as the pending change of `name` (replacing its earlier one), scheduled
    /// for the first block from `now + ConfigDelay` on whose schedule has room, and emits
    /// [`Event::ChangeAnnounced`]. Returns how many block schedules it looked at.
    pub(crate) fn announce(
        name: VerifierName,
        change: VerifierChange,
        config: VerifierConfig,
    ) -> Result<u32, DispatchError> {
        let earliest = frame_system::Pallet::<T>::block_number()
            .checked_add(&ConfigDelay::<T>::get())
            .ok_or(ArithmeticError::Overflow)?;
        // The earlier change goes first: it never applies, and its slot is free again.
        if let Some(earlier) = PendingChanges::<T>::get(&name) {
            Self::unschedule(&name, earlier.effective_at);
        }
        let (effective_at, looked) = Self::schedule(&name, earliest)?;
        PendingChanges::<T>::insert(
            &name,
            PendingChange {
                change: change.clone(),
                effective_at,
                config,
            },
        );
        Self::deposit_event(Event::ChangeAnnounced {
            name,
            change,
            effective_at,
        });
        Ok(looked)
    }

    /// Drops the pending change of `name`, if it has one, with [`Event::ChangeCancelled`];
    /// whether it had one.
    pub(crate) fn drop_pending(name: &VerifierName) -> bool {
        let Some(pending) = PendingChanges::<T>::take(name) else {
            return false;
        };
        Self::unschedule(name, pending.effective_at);
        Self::deposit_event(Event::ChangeCancelled { name: name.clone() });
        true
    }

    /// Lists `name` at the first block from `earliest` on whose schedule has room, looking at
    /// most [`Config::MaxScheduleSearch`] blocks; that block and how many it looked at.
    fn schedule(
        name: &VerifierName,
        earliest: BlockNumberFor<T>,
    ) -> Result<(BlockNumberFor<T>, u32), DispatchError> {
        let mut at = earliest;
        for looked in 1..=T::MaxScheduleSearch::get() {
            let listed = ChangesDue::<T>::try_mutate(at, |due| due.try_push(name.clone()));
            if listed.is_ok() {
                return Ok((at, looked));
            }
            at = at
                .checked_add(&One::one())
                .ok_or(ArithmeticError::Overflow)?;
        }
        Err(Error::<T>::ScheduleFull.into())
    }

    /// Takes `name` off the schedule of block `at`.
    fn unschedule(name: &VerifierName, at: BlockNumberFor<T>) {
        ChangesDue::<T>::mutate_exists(at, |due| {
            if let Some(names) = due {
                names.retain(|listed| listed != name);
                if names.is_empty() {
                    *due = None;
                }
            }
        });
    }

    /// Applies the changes due at `now`, in announcement order, each with
    /// [`Event::ChangeApplied`]; the weight this took.
    pub(crate) fn apply_due(now: BlockNumberFor<T>) -> Weight {
        let due = ChangesDue::<T>::take(now);
        let count = due.len() as u32;
        for name in due {
            // Listed here means pending for this block, of a registered verifier: removing
            // either takes the name off the schedule.
            let Some(pending) = PendingChanges::<T>::take(&name)
                .defensive_proof("a name on the schedule has a pending change")
            else {
                continue;
            };
            let applied = Verifiers::<T>::mutate(&name, |record| {
                record.as_mut().map(|record| record.config = pending.config)
            });
            if applied
                .defensive_proof("a pending change belongs to a registered verifier")
                .is_some()
            {
                Self::deposit_event(Event::ChangeApplied {
                    name,
                    change: pending.change,
                });
            }
        }
        T::WeightInfo::apply_changes(count)
    }

    /// Checks the invariants of the schedule (see the module documentation).
    #[cfg(any(test, feature = "try-runtime"))]
    pub(crate) fn check_invariants() -> Result<(), &'static str> {
        let now = frame_system::Pallet::<T>::block_number();
        let mut listed = 0usize;
        for (at, names) in ChangesDue::<T>::iter() {
            if names.is_empty() {
                return Err("an empty schedule is stored");
            }
            for (i, name) in names.iter().enumerate() {
                if names[i + 1..].contains(name) {
                    return Err("a name is listed twice at one block");
                }
                match PendingChanges::<T>::get(name) {
                    Some(pending) if pending.effective_at == at => {}
                    _ => return Err("a listed name has no pending change for that block"),
                }
            }
            listed += names.len();
        }
        for (name, pending) in PendingChanges::<T>::iter() {
            if pending.effective_at <= now {
                return Err("a pending change is overdue");
            }
            if !Verifiers::<T>::contains_key(&name) {
                return Err("a pending change belongs to no verifier");
            }
            if !ChangesDue::<T>::get(pending.effective_at).contains(&name) {
                return Err("a pending change is not on its block's schedule");
            }
        }
        if listed != PendingChanges::<T>::iter().count() {
            return Err("the schedule and the pending changes differ in number");
        }
        Ok(())
    }
}
