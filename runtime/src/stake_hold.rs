//! Validators keep their stake until the handovers they deal in have completed.
//!
//! A validator that leaves the committee still holds shares of every key its epoch holds, and
//! deals them to the new committee in the handovers that follow (`pallet-dkg`); the chain judges
//! those dealings, and a bad one is misbehaviour. So its unbonded stake must not leave the
//! staking ledger before the last of those handovers has completed: [`KeepHandoverStake`]
//! refuses `Staking::withdraw_unbonded` from the controller of a stash that is a member of an
//! epoch still holding keys that are being handed over (`pallet_dkg::Pallet::keeps_stake`), and
//! `Staking::unbond` when its unlocking chunks are full (staking would withdraw the matured ones
//! first). The stake stays in the ledger's unlocking chunks, where a slash reaches it.
//!
//! The current epoch's members are not held: a validator that unbonds leaves the committee at
//! the next era, a new epoch starts, and its unbonding (`BondingDuration`, longer than an era)
//! matures only after that, while it is a member of the old epoch.

use codec::{Decode, DecodeWithMemTracking, Encode};
use frame_support::{pallet_prelude::TransactionSource, traits::Get};
use polkadot_sdk::*;
use scale_info::TypeInfo;
use sp_runtime::{
    impl_tx_ext_default,
    traits::{DispatchInfoOf, TransactionExtension, ValidateResult},
    transaction_validity::InvalidTransaction,
    Weight,
};

use crate::{AccountId, Runtime, RuntimeCall, RuntimeOrigin};

/// The `Custom` code of [`InvalidTransaction`] for a withdrawal refused by
/// [`KeepHandoverStake`].
pub const STAKE_HELD_FOR_HANDOVER: u8 = 40;

/// The transaction extension that keeps a leaving validator's stake bonded until its epoch's
/// keys are handed over (see the module documentation).
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, Default, TypeInfo)]
pub struct KeepHandoverStake;

impl core::fmt::Debug for KeepHandoverStake {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str("KeepHandoverStake")
    }
}

impl KeepHandoverStake {
    /// Whether `who` may make `call` now.
    pub fn allows(who: &AccountId, call: &RuntimeCall) -> bool {
        let RuntimeCall::Staking(
            call @ (pallet_staking::Call::withdraw_unbonded { .. }
            | pallet_staking::Call::unbond { .. }),
        ) = call
        else {
            return true;
        };
        let ledger = pallet_staking::Ledger::<Runtime>::get(who);
        let chunks: u32 = <Runtime as pallet_staking::Config>::MaxUnlockingChunks::get();
        let withdraws = match call {
            pallet_staking::Call::unbond { .. } => ledger
                .as_ref()
                .is_some_and(|ledger| ledger.unlocking.len() >= chunks as usize),
            _ => true,
        };
        let stash = ledger.map_or_else(|| who.clone(), |ledger| ledger.stash);
        !withdraws || !pallet_dkg::Pallet::<Runtime>::keeps_stake(&stash)
    }
}

impl TransactionExtension<RuntimeCall> for KeepHandoverStake {
    const IDENTIFIER: &'static str = "KeepHandoverStake";
    type Implicit = ();
    type Val = ();
    type Pre = ();

    fn weight(&self, call: &RuntimeCall) -> Weight {
        // The ledger, and the current epoch with the recorded epochs (a few).
        match call {
            RuntimeCall::Staking(
                pallet_staking::Call::withdraw_unbonded { .. }
                | pallet_staking::Call::unbond { .. },
            ) => <Runtime as frame_system::Config>::DbWeight::get().reads(8),
            _ => Weight::zero(),
        }
    }

    fn validate(
        &self,
        origin: RuntimeOrigin,
        call: &RuntimeCall,
        _info: &DispatchInfoOf<RuntimeCall>,
        _len: usize,
        _self_implicit: Self::Implicit,
        _inherited_implication: &impl Encode,
        _source: TransactionSource,
    ) -> ValidateResult<Self::Val, RuntimeCall> {
        use frame_support::traits::OriginTrait;
        if let Some(who) = origin.as_signer() {
            if !Self::allows(who, call) {
                return Err(InvalidTransaction::Custom(STAKE_HELD_FOR_HANDOVER).into());
            }
        }
        Ok((Default::default(), (), origin))
    }

    impl_tx_ext_default!(RuntimeCall; prepare);
}

#[cfg(test)]
mod tests {
    use super::*;
    use frame_support::{dispatch::DispatchInfo, BoundedVec};
    use sp_keyring::Sr25519Keyring;
    use sp_runtime::{
        traits::DispatchTransaction,
        transaction_validity::{TransactionSource::External, TransactionValidityError},
        BuildStorage,
    };
    use torus_primitives::dkg::DkgId;

    fn epoch(members: &[AccountId]) -> pallet_dkg::EpochRecord<Runtime> {
        let members: Vec<(AccountId, DkgId)> = members
            .iter()
            .map(|a| {
                (
                    a.clone(),
                    DkgId::from(sp_core::ecdsa::Public::from_raw([2; 33])),
                )
            })
            .collect();
        pallet_dkg::EpochRecord {
            members: BoundedVec::try_from(members).expect("fits"),
            threshold: 1,
            started_at: 0,
        }
    }

    fn check(who: &AccountId, call: RuntimeCall) -> Result<(), TransactionValidityError> {
        KeepHandoverStake
            .validate_only(
                RuntimeOrigin::signed(who.clone()),
                &call,
                &DispatchInfo::default(),
                0,
                External,
                0,
            )
            .map(|_| ())
    }

    fn withdraw() -> RuntimeCall {
        RuntimeCall::Staking(pallet_staking::Call::withdraw_unbonded {
            num_slashing_spans: 0,
        })
    }

    fn unbond() -> RuntimeCall {
        RuntimeCall::Staking(pallet_staking::Call::unbond { value: 1 })
    }

    #[test]
    fn a_member_of_an_epoch_handing_over_cannot_withdraw_until_it_holds_nothing() {
        let storage = frame_system::GenesisConfig::<Runtime>::default()
            .build_storage()
            .expect("genesis storage");
        sp_io::TestExternalities::new(storage).execute_with(|| {
            let (alice, bob) = (
                Sr25519Keyring::Alice.to_account_id(),
                Sr25519Keyring::Bob.to_account_id(),
            );
            // Alice left: epoch 0 (Alice, Bob) still holds keys; epoch 1 (Bob) is current.
            pallet_dkg::Epochs::<Runtime>::insert(0, epoch(&[alice.clone(), bob.clone()]));
            pallet_dkg::Epochs::<Runtime>::insert(1, epoch(std::slice::from_ref(&bob)));
            pallet_dkg::CurrentEpoch::<Runtime>::put(1);
            let held = Err(InvalidTransaction::Custom(STAKE_HELD_FOR_HANDOVER).into());
            assert_eq!(check(&alice, withdraw()), held);
            assert_eq!(check(&bob, withdraw()), held, "Bob is in epoch 0 too");
            let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
            assert_eq!(check(&alice, remark), Ok(()));
            // Unbonding more is refused only when staking would withdraw first.
            assert_eq!(check(&alice, unbond()), Ok(()));
            let mut ledger = pallet_staking::StakingLedger::<Runtime>::new(alice.clone(), 100);
            let chunks: u32 = <Runtime as pallet_staking::Config>::MaxUnlockingChunks::get();
            ledger.unlocking = BoundedVec::try_from(
                (0..chunks)
                    .map(|era| pallet_staking::UnlockChunk { value: 1, era })
                    .collect::<Vec<_>>(),
            )
            .expect("fits");
            pallet_staking::Ledger::<Runtime>::insert(&alice, ledger);
            assert_eq!(check(&alice, unbond()), held);
            // Epoch 0's keys are handed over: both may withdraw.
            pallet_dkg::Epochs::<Runtime>::remove(0);
            assert_eq!(check(&alice, withdraw()), Ok(()));
            assert_eq!(check(&alice, unbond()), Ok(()));
            assert_eq!(check(&bob, withdraw()), Ok(()));
        });
    }
}
