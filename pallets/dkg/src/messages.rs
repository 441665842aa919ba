//! The DKG's unsigned messages (dealings, complaints, confirmations): the checks shared by the
//! validity check and the dispatch, the signature check, and what each message does.

use codec::Encode;
use frame_support::{
    dispatch::{DispatchResultWithPostInfo, Pays, PostDispatchInfo},
    ensure,
    pallet_prelude::{BoundedVec, Get, Weight},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
    traits::{Saturating, UniqueSaturatedInto, Zero},
    transaction_validity::{InvalidTransaction, TransactionValidity, ValidTransaction},
    RuntimeAppPublic,
};
use torus_crypto::dkg::{self as crypto_dkg, ComplaintVerdict};
use torus_primitives::{
    dkg::{
        signing_payload, BatchPhase, ComplaintMessage, DealingMessage, DkgParams, DkgSignature,
        Fault, MemberIndex,
    },
    BatchId,
};

use crate::{
    ActiveBatches, BatchKind, BatchState, Config, Dealings, Error, Event, MaxComplaintLen, Message,
    Pallet, Params, WeightInfo,
};

impl<T: Config> Pallet<T> {
    pub(crate) fn do_submit_dealing(
        batch: BatchId,
        dealer: MemberIndex,
        dealing: BoundedVec<u8, T::MaxDealingLen>,
    ) -> DispatchResultWithPostInfo {
        let (mut state, _) = Self::check_message(batch, dealer, Message::Dealing)?;
        let shape = Self::dealing_shape(&state.setup)?;
        let accepted = DealingMessage::decode_dealing(dealer, &dealing)
            .ok()
            .is_some_and(|d| crypto_dkg::check_dealing_shape(&shape, &d).is_ok());
        if accepted {
            let at = state.dealt.binary_search(&dealer).unwrap_or_else(|at| at);
            state
                .dealt
                .try_insert(at, dealer)
                .map_err(|_| Error::<T>::TooManyEntries)?;
            Dealings::<T>::insert(batch, dealer, dealing);
            Self::deposit_event(Event::DealingAccepted { batch, dealer });
        } else {
            state.disqualify(dealer, Fault::MalformedDealing)?;
            Self::deposit_event(Event::DealingRejected { batch, dealer });
        }
        let n = state.setup.dealer_count();
        let mut weight = T::WeightInfo::submit_dealing(n, state.setup.batch_size);
        // The last dealing ends the phase at once rather than at the next block's start, so
        // that the members verify a block earlier.
        if state.all_dealt() && state.qualified().len() >= state.setup.min_qualified() {
            let now = frame_system::Pallet::<T>::block_number();
            Self::end_dealing(&mut state, now, Params::<T>::get().verify_timeout);
            weight.saturating_accrue(
                T::WeightInfo::end_dealing(state.setup.size())
                    .saturating_add(T::DbWeight::get().reads(1)),
            );
        }
        ActiveBatches::<T>::insert(batch, state);
        Ok(Self::feeless(weight))
    }

    pub(crate) fn do_submit_complaint(
        batch: BatchId,
        complainer: MemberIndex,
        dealer: MemberIndex,
        complaint: BoundedVec<u8, MaxComplaintLen>,
    ) -> DispatchResultWithPostInfo {
        let (mut state, _) = Self::check_message(batch, complainer, Message::Complaint { dealer })?;
        let upheld = match ComplaintMessage::decode_complaint(complainer, &complaint) {
            Ok(c) if c.dealer == dealer => {
                let config = Self::session_config(&state.setup)?;
                let bytes = Dealings::<T>::get(batch, dealer).ok_or(Error::<T>::NoDealing)?;
                match DealingMessage::decode_dealing(dealer, &bytes) {
                    Ok(d) => matches!(
                        crypto_dkg::verify_complaint(&config, &d, &c),
                        Ok(ComplaintVerdict::DealerFaulty(_))
                    ),
                    // An accepted dealing always decodes; were it not to, the dealer is at fault.
                    Err(_) => true,
                }
            }
            _ => false,
        };
        state
            .complaints
            .try_push((complainer, dealer))
            .map_err(|_| Error::<T>::TooManyEntries)?;
        if upheld {
            state.disqualify(dealer, Fault::BadShare { complainer })?;
            Self::deposit_event(Event::ComplaintUpheld {
                batch,
                complainer,
                dealer,
            });
        } else {
            state.disqualify(complainer, Fault::FalseComplaint { dealer })?;
            Self::deposit_event(Event::ComplaintRejected {
                batch,
                complainer,
                dealer,
            });
        }
        let weight = T::WeightInfo::submit_complaint(state.setup.size(), state.setup.batch_size);
        ActiveBatches::<T>::insert(batch, state);
        Ok(Self::feeless(weight))
    }

    pub(crate) fn do_confirm(batch: BatchId, member: MemberIndex) -> DispatchResultWithPostInfo {
        let (mut state, _) = Self::check_message(batch, member, Message::Confirmation)?;
        let at = state
            .confirmed
            .binary_search(&member)
            .unwrap_or_else(|at| at);
        state
            .confirmed
            .try_insert(at, member)
            .map_err(|_| Error::<T>::TooManyEntries)?;
        let weight = T::WeightInfo::confirm(state.setup.size());
        ActiveBatches::<T>::insert(batch, state);
        Self::deposit_event(Event::Confirmed { batch, member });
        Ok(Self::feeless(weight))
    }

    fn feeless(weight: Weight) -> PostDispatchInfo {
        PostDispatchInfo {
            actual_weight: Some(weight),
            pays_fee: Pays::No,
        }
    }

    /// Check `params` as `set_params` does.
    pub fn check_params(params: &DkgParams<BlockNumberFor<T>>) -> Result<(), Error<T>> {
        ensure!(params.batch_size >= 1, Error::<T>::ZeroBatchSize);
        ensure!(
            (1..=T::MaxConcurrentBatches::get()).contains(&params.max_concurrent_batches),
            Error::<T>::InvalidConcurrency
        );
        let zero = BlockNumberFor::<T>::from(0u32);
        ensure!(
            params.deal_timeout > zero && params.verify_timeout > zero,
            Error::<T>::ZeroTimeout
        );
        Ok(())
    }

    /// The state checks of a message (everything but the signature), shared by the validity
    /// check and the dispatch. Returns the batch's state and the phase's deadline. A dealing
    /// comes from a dealer, a complaint or a confirmation from a member (a recipient); in a
    /// fresh batch they are the same committee.
    fn check_message(
        batch: BatchId,
        member: MemberIndex,
        message: Message,
    ) -> Result<(BatchState<T>, BlockNumberFor<T>), Error<T>> {
        let state = ActiveBatches::<T>::get(batch).ok_or(Error::<T>::UnknownBatch)?;
        let as_dealer = message == Message::Dealing;
        let known = if as_dealer {
            state.setup.dealer_key(member).is_some()
        } else {
            state.setup.key(member).is_some()
        };
        ensure!(known, Error::<T>::UnknownMember);
        let now = frame_system::Pallet::<T>::block_number();
        let deadline = match (state.phase, message) {
            (BatchPhase::Dealing { deadline }, Message::Dealing)
            | (
                BatchPhase::Verifying { deadline },
                Message::Complaint { .. } | Message::Confirmation,
            ) if now <= deadline => deadline,
            _ => return Err(Error::<T>::WrongPhase),
        };
        match message {
            Message::Dealing => ensure!(
                state.dealt.binary_search(&member).is_err(),
                Error::<T>::AlreadyDealt
            ),
            Message::Confirmation => ensure!(
                state.confirmed.binary_search(&member).is_err(),
                Error::<T>::AlreadyConfirmed
            ),
            Message::Complaint { dealer } => {
                // In a handover a recipient and a dealer of the same index are two members.
                let own = matches!(state.setup.kind, BatchKind::Fresh) && dealer == member;
                ensure!(!own, Error::<T>::OwnDealing);
                ensure!(
                    !state.complaints.contains(&(member, dealer)),
                    Error::<T>::AlreadyComplained
                );
            }
        }
        ensure!(
            !state.is_disqualified(member, as_dealer),
            Error::<T>::Disqualified
        );
        if let Message::Complaint { dealer } = message {
            ensure!(
                !state.is_disqualified(dealer, true),
                Error::<T>::AccusedDisqualified
            );
            ensure!(
                state.dealt.binary_search(&dealer).is_ok(),
                Error::<T>::NoDealing
            );
        }
        Ok((state, deadline))
    }

    /// The validity of an unsigned DKG message.
    pub(crate) fn validate_message(
        batch: BatchId,
        member: MemberIndex,
        message: Message,
        body: &[u8],
        signature: &DkgSignature,
    ) -> TransactionValidity {
        let (state, deadline) =
            Self::check_message(batch, member, message).map_err(Self::invalid)?;
        let key = match message {
            Message::Dealing => state.setup.dealer_key(member),
            _ => state.setup.key(member),
        }
        .ok_or(Self::invalid(Error::<T>::UnknownMember))?;
        let payload = signing_payload(
            &Self::genesis_hash(),
            &state.setup.session_id,
            batch,
            member,
            message.kind(),
            body,
        );
        if !key.verify(&payload, signature) {
            return Err(Self::invalid(Error::<T>::BadSignature).into());
        }
        let now = frame_system::Pallet::<T>::block_number();
        let longevity: u64 = deadline
            .saturating_sub(now)
            .saturating_add(1u32.into())
            .unique_saturated_into();
        let dealer = match message {
            Message::Complaint { dealer } => Some(dealer),
            _ => None,
        };
        ValidTransaction::with_tag_prefix("TorusDkg")
            .priority(T::UnsignedPriority::get())
            .and_provides((batch, member, message.kind(), dealer))
            .longevity(longevity.max(1))
            .propagate(true)
            .build()
    }

    /// The chain's genesis hash as DKG messages are signed over it (see
    /// [`signing_payload`]): `frame_system`'s hash of block 0, which it records when block 1 is
    /// initialized (and when the pool validates a transaction on top of genesis) and never
    /// prunes. A hash that is not 32 bytes long is replaced by its BLAKE2-256 hash.
    pub fn genesis_hash() -> [u8; 32] {
        let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
        <[u8; 32]>::try_from(hash.as_ref())
            .unwrap_or_else(|_| sp_io::hashing::blake2_256(hash.as_ref()))
    }

    /// The transaction-validity error of a refused message: `BadProof` for a bad signature,
    /// `Stale` for a repeated message, otherwise `Custom(index of the error)`.
    pub fn invalid(error: Error<T>) -> InvalidTransaction {
        match error {
            Error::<T>::BadSignature => InvalidTransaction::BadProof,
            Error::<T>::AlreadyDealt
            | Error::<T>::AlreadyConfirmed
            | Error::<T>::AlreadyComplained => InvalidTransaction::Stale,
            other => InvalidTransaction::Custom(other.encode().first().copied().unwrap_or(0)),
        }
    }
}
