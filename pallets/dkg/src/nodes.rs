//! The members as clients see them: the Torus API endpoints they publish, the shares they
//! report lost (which start a handover to the same committee: share recovery), and which
//! accounts must keep their stake until the handovers they deal in have completed.

use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::Get};
use sp_runtime::{
    transaction_validity::{InvalidTransaction, TransactionValidity, ValidTransaction},
    RuntimeAppPublic,
};
use torus_primitives::dkg::{
    endpoint_payload, is_valid_endpoint, lost_shares_payload, DkgId, DkgSignature, EpochId,
    MemberIndex, NodeInfo,
};

use crate::{
    Committee, Config, CurrentEpoch, EndpointOf, Endpoints, EpochRecord, Epochs, Error, Event,
    LostShares, Pallet, LOG_TARGET,
};

/// At most this many epochs are examined for a member's key or account (epochs are removed
/// once they hold no keys: a few exist at a time).
pub(crate) const MAX_EPOCHS_EXAMINED: usize = 32;

/// Blocks an endpoint update or a lost-share report stays valid in the pool.
const MESSAGE_LONGEVITY: u64 = 64;

impl<T: Config> Pallet<T> {
    /// The epochs recorded now (the current one and those that still hold keys), at most
    /// [`MAX_EPOCHS_EXAMINED`].
    fn recorded_epochs() -> impl Iterator<Item = (EpochId, EpochRecord<T>)> {
        Epochs::<T>::iter().take(MAX_EPOCHS_EXAMINED)
    }

    /// Whether `key` is the DKG key of a member of the session's committee or of an epoch.
    fn is_member_key(key: &DkgId) -> bool {
        Committee::<T>::get().iter().any(|(_, k)| k == key)
            || Self::recorded_epochs().any(|(_, e)| e.members.iter().any(|(_, k)| k == key))
    }

    /// The checks of an endpoint update shared by the validity check and the dispatch.
    fn check_endpoint(key: &DkgId, url: &[u8], sequence: u32) -> Result<(), Error<T>> {
        ensure!(is_valid_endpoint(url), Error::<T>::InvalidEndpoint);
        ensure!(Self::is_member_key(key), Error::<T>::NotAMember);
        let next = Endpoints::<T>::get(key).map_or(0, |e| e.sequence.saturating_add(1));
        ensure!(sequence == next, Error::<T>::StaleSequence);
        Ok(())
    }

    /// The checks of a lost-share report shared by the validity check and the dispatch.
    /// Returns the reporting member's DKG key.
    fn check_lost_shares(epoch: EpochId, member: MemberIndex) -> Result<DkgId, Error<T>> {
        let record = Epochs::<T>::get(epoch).ok_or(Error::<T>::UnknownEpoch)?;
        let key = usize::from(member)
            .checked_sub(1)
            .and_then(|i| record.members.get(i))
            .map(|(_, key)| key.clone())
            .ok_or(Error::<T>::UnknownMember)?;
        ensure!(
            !LostShares::<T>::contains_key(epoch, member),
            Error::<T>::AlreadyReported
        );
        Ok(key)
    }

    pub(crate) fn do_set_endpoint(
        key: DkgId,
        url: EndpointOf,
        sequence: u32,
    ) -> Result<(), Error<T>> {
        Self::check_endpoint(&key, &url, sequence)?;
        Endpoints::<T>::insert(
            &key,
            crate::EndpointRecord {
                url: url.clone(),
                sequence,
            },
        );
        Self::deposit_event(Event::EndpointSet {
            member: key,
            endpoint: url,
        });
        Ok(())
    }

    pub(crate) fn do_report_lost_shares(
        epoch: EpochId,
        member: MemberIndex,
    ) -> Result<(), Error<T>> {
        Self::check_lost_shares(epoch, member)?;
        LostShares::<T>::insert(epoch, member, frame_system::Pallet::<T>::block_number());
        log::info!(target: LOG_TARGET, "member {member} of epoch {epoch} lost its shares");
        Self::deposit_event(Event::SharesLost { epoch, member });
        Ok(())
    }

    /// The validity of an unsigned endpoint update.
    pub(crate) fn validate_endpoint(
        key: &DkgId,
        url: &[u8],
        sequence: u32,
        signature: &DkgSignature,
    ) -> TransactionValidity {
        Self::check_endpoint(key, url, sequence).map_err(Self::invalid)?;
        let payload = endpoint_payload(&Self::genesis_hash(), key, url, sequence);
        ensure!(
            key.verify(&payload, signature),
            InvalidTransaction::BadProof
        );
        ValidTransaction::with_tag_prefix("TorusDkgEndpoint")
            .priority(T::UnsignedPriority::get())
            .and_provides((key, sequence))
            .longevity(MESSAGE_LONGEVITY)
            .propagate(true)
            .build()
    }

    /// The validity of an unsigned lost-share report.
    pub(crate) fn validate_lost_shares(
        epoch: EpochId,
        member: MemberIndex,
        signature: &DkgSignature,
    ) -> TransactionValidity {
        let key = Self::check_lost_shares(epoch, member).map_err(Self::invalid)?;
        let payload = lost_shares_payload(&Self::genesis_hash(), epoch, member);
        ensure!(
            key.verify(&payload, signature),
            InvalidTransaction::BadProof
        );
        ValidTransaction::with_tag_prefix("TorusDkgLost")
            .priority(T::UnsignedPriority::get())
            .and_provides((epoch, member))
            .longevity(MESSAGE_LONGEVITY)
            .propagate(true)
            .build()
    }

    /// Whether a member of the current epoch reported lost shares.
    pub(crate) fn current_epoch_lost_shares() -> bool {
        LostShares::<T>::iter_prefix(CurrentEpoch::<T>::get())
            .next()
            .is_some()
    }

    /// Forget what epoch `epoch`'s members published and reported, now that the epoch is
    /// removed: its lost-share reports, and the endpoints of keys that are in no other epoch
    /// and not in the session's committee.
    pub(crate) fn forget_epoch_nodes(epoch: EpochId, record: &EpochRecord<T>) {
        let _ = LostShares::<T>::clear_prefix(epoch, T::MaxCommittee::get(), None);
        let committee = Committee::<T>::get();
        let others: Vec<EpochRecord<T>> = Self::recorded_epochs()
            .filter(|(id, _)| *id != epoch)
            .map(|(_, e)| e)
            .collect();
        for (_, key) in &record.members {
            let kept = committee.iter().any(|(_, k)| k == key)
                || others
                    .iter()
                    .any(|e| e.members.iter().any(|(_, k)| k == key));
            if !kept {
                Endpoints::<T>::remove(key);
            }
        }
    }

    /// Epoch `epoch`'s members as clients see them, while the epoch is recorded.
    pub fn nodes(epoch: EpochId) -> Option<Vec<NodeInfo>> {
        let record = Epochs::<T>::get(epoch)?;
        Some(
            record
                .members
                .iter()
                .zip(1..)
                .map(|((_, key), index)| NodeInfo {
                    index,
                    key: key.clone(),
                    endpoint: Endpoints::<T>::get(key).map(|e| e.url.into_inner()),
                    lost: LostShares::<T>::contains_key(epoch, index),
                })
                .collect(),
        )
    }

    /// The Torus API URL the DKG key `member` published, with the update's sequence number.
    pub fn endpoint(member: &DkgId) -> Option<(Vec<u8>, u32)> {
        Endpoints::<T>::get(member).map(|e| (e.url.into_inner(), e.sequence))
    }

    /// Whether `account` must keep its stake: it is a member of an epoch other than the
    /// current one that still holds keys, which are being handed over to the current epoch
    /// (its dealings in those handovers are judged, and slashable, until they complete).
    pub fn keeps_stake(account: &T::AccountId) -> bool {
        let current = CurrentEpoch::<T>::get();
        Self::recorded_epochs()
            .any(|(id, e)| id != current && e.members.iter().any(|(a, _)| a == account))
    }
}
