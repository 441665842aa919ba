//! Benchmarks of the calls (validity check and dispatch, as a block runs them) and of the
//! `on_initialize` work: idle, starting a batch, ending a dealing phase, finishing (the group
//! commitments), abandoning and pruning. `n` is the committee size, `b` the batch size, `c`
//! the number of running batches. Members' keys are deterministic (see `testing.rs`) and
//! created in the keystore, so the messages carry real signatures and real dealings.

#![allow(deprecated)] // `ValidateUnsigned`: see the crate documentation.

use super::*;
use crate::testing::{dealing, encryption_secret, member_key, rng, sign, wire};
use crate::Pallet as Dkg;
use alloc::vec::Vec;
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::pallet_prelude::{BoundedVec, Get};
use frame_support::traits::{Hooks, UnfilteredDispatchable};
use frame_system::RawOrigin;
use sp_runtime::{
    traits::ValidateUnsigned, transaction_validity::TransactionSource, RuntimeAppPublic,
};
use torus_crypto::dkg as crypto_dkg;
use torus_crypto::dkg::{complain, encrypt_for_recipient, Dealing};
use torus_primitives::dkg::{
    endpoint_payload, lost_shares_payload, threshold_for, BatchOutcome, BatchPhase,
    ComplaintMessage, EpochId, MessageKind, MAX_ENDPOINT_LEN,
};

/// A committee of `n` benchmark members (their keys are put in the keystore).
fn members<T: Config>(n: u32) -> MembersOf<T> {
    BoundedVec::truncate_from(
        (0..n)
            .map(|i| (account("member", i, 0), member_key(i)))
            .collect::<Vec<_>>(),
    )
}

/// The largest batch a committee of `MaxCommittee` members can deal (at least 1).
fn max_keys<T: Config>() -> u32 {
    let n = T::MaxCommittee::get();
    let keys = (0..n).map(|i| encryption_secret(i).public_key()).collect();
    crypto_dkg::Committee::new(threshold_for(n as u16), keys)
        .map(|c| Dkg::<T>::fitting_batch_size(&c, [0; 32], T::KeyBuffer::max_batch_size()))
        .unwrap_or(1)
        .max(1)
}

fn params<T: Config>(batch_size: u32) -> DkgParams<BlockNumberFor<T>> {
    DkgParams {
        target_buffer: u64::MAX,
        batch_size,
        max_concurrent_batches: T::MaxConcurrentBatches::get(),
        deal_timeout: 100u32.into(),
        verify_timeout: 100u32.into(),
        refresh_interval: 0u32.into(),
    }
}

/// Start a batch of `b` keys with `n` members and return its id.
fn start<T: Config>(n: u32, b: u32) -> Result<BatchId, BenchmarkError> {
    Dkg::<T>::set_committee(
        members::<T>(n)
            .iter()
            .map(|(account, key)| (account, key.clone())),
    );
    let params = params::<T>(b);
    Params::<T>::put(params);
    let batch = NextBatch::<T>::get();
    let now = frame_system::Pallet::<T>::block_number();
    Dkg::<T>::try_start_batch(now, &params, 0);
    let state = ActiveBatches::<T>::get(batch).ok_or(BenchmarkError::Stop("no batch started"))?;
    if state.setup.batch_size != b {
        return Err(BenchmarkError::Stop("the batch size does not fit"));
    }
    Ok(batch)
}

/// Store `dealing` as accepted.
fn accept<T: Config>(batch: BatchId, dealing: &Dealing) -> Result<(), BenchmarkError> {
    let bytes = BoundedVec::try_from(wire(dealing))
        .map_err(|_| BenchmarkError::Stop("the dealing is too long"))?;
    Dealings::<T>::insert(batch, dealing.dealer, bytes);
    ActiveBatches::<T>::try_mutate(batch, |state| {
        let state = state.as_mut().ok_or(BenchmarkError::Stop("no batch"))?;
        let at = state
            .dealt
            .binary_search(&dealing.dealer)
            .unwrap_or_else(|at| at);
        state
            .dealt
            .try_insert(at, dealing.dealer)
            .map_err(|_| BenchmarkError::Stop("too many dealers"))
    })
}

/// Move a batch to its verifying phase.
fn verifying<T: Config>(batch: BatchId) {
    let deadline = frame_system::Pallet::<T>::block_number() + 100u32.into();
    ActiveBatches::<T>::mutate(batch, |state| {
        if let Some(state) = state {
            state.phase = BatchPhase::Verifying { deadline };
        }
    });
}

/// Validate `call` as a block does, then dispatch it.
fn apply<T: Config>(call: Call<T>) -> Result<(), BenchmarkError> {
    Dkg::<T>::validate_unsigned(TransactionSource::InBlock, &call)
        .map_err(|_| BenchmarkError::Stop("the message is invalid"))?;
    call.dispatch_bypass_filter(RawOrigin::None.into())
        .map_err(|_| BenchmarkError::Stop("the message failed"))?;
    Ok(())
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn submit_dealing(
        n: Linear<1, { T::MaxCommittee::get() }>,
        b: Linear<1, { max_keys::<T>() }>,
    ) -> Result<(), BenchmarkError> {
        let batch = start::<T>(n, b)?;
        let bytes = wire(&dealing::<T>(batch, 1, &mut rng(1)));
        let signature = sign::<T>(batch, 1, MessageKind::Dealing, &bytes);
        let dealing = BoundedVec::try_from(bytes).map_err(|_| BenchmarkError::Stop("too long"))?;
        let call = Call::<T>::submit_dealing {
            batch,
            dealer: 1,
            dealing,
            signature,
        };

        #[block]
        {
            apply::<T>(call)?;
        }

        assert!(Dealings::<T>::contains_key(batch, 1));
        Ok(())
    }

    /// An upheld complaint about the last key (the whole ciphertext is decrypted).
    #[benchmark]
    fn submit_complaint(
        n: Linear<2, { T::MaxCommittee::get() }>,
        b: Linear<1, { max_keys::<T>() }>,
    ) -> Result<(), BenchmarkError> {
        let batch = start::<T>(n, b)?;
        let mut rng = rng(2);
        let config = testing::config::<T>(batch);
        let mut bad = dealing::<T>(batch, 1, &mut rng);
        let plaintext = alloc::vec![7u8; 32 * b as usize];
        let (ct, proof) = encrypt_for_recipient(&config, 1, 2, &plaintext, &mut rng)
            .map_err(|_| BenchmarkError::Stop("encryption failed"))?;
        bad.ciphertexts[1] = ct;
        bad.ephemeral_proofs[1] = proof;
        accept::<T>(batch, &bad)?;
        verifying::<T>(batch);
        let complaint = complain(&config, 2, &encryption_secret(1), &bad, b - 1, &mut rng)
            .map_err(|_| BenchmarkError::Stop("no complaint"))?;
        let bytes = ComplaintMessage::from_complaint(&complaint).encode();
        let signature = sign::<T>(batch, 2, MessageKind::Complaint, &bytes);
        let complaint =
            BoundedVec::try_from(bytes).map_err(|_| BenchmarkError::Stop("too long"))?;
        let call = Call::<T>::submit_complaint {
            batch,
            complainer: 2,
            dealer: 1,
            complaint,
            signature,
        };

        #[block]
        {
            apply::<T>(call)?;
        }

        assert!(testing::state::<T>(batch).is_disqualified(1, true));
        Ok(())
    }

    #[benchmark]
    fn confirm(n: Linear<1, { T::MaxCommittee::get() }>) -> Result<(), BenchmarkError> {
        let batch = start::<T>(n, 1)?;
        verifying::<T>(batch);
        let signature = sign::<T>(batch, 1, MessageKind::Confirmation, &[]);
        let call = Call::<T>::confirm {
            batch,
            member: 1,
            signature,
        };

        #[block]
        {
            apply::<T>(call)?;
        }

        assert_eq!(
            testing::state::<T>(batch).confirmed.into_inner(),
            alloc::vec![1]
        );
        Ok(())
    }

    #[benchmark]
    fn set_params() {
        let params = params::<T>(1);

        #[extrinsic_call]
        _(RawOrigin::Root, params);

        assert_eq!(Params::<T>::get(), params);
    }

    /// `c` batches of `MaxCommittee` members run, none has anything to do, none starts.
    #[benchmark]
    fn on_initialize_idle(
        c: Linear<0, { T::MaxConcurrentBatches::get() }>,
    ) -> Result<(), BenchmarkError> {
        for _ in 0..c {
            start::<T>(T::MaxCommittee::get(), 1)?;
        }
        Params::<T>::mutate(|p| p.target_buffer = 0);
        let now = frame_system::Pallet::<T>::block_number();

        #[block]
        {
            Dkg::<T>::on_initialize(now);
        }

        assert_eq!(RunningBatches::<T>::get().len() as u32, c);
        Ok(())
    }

    #[benchmark]
    fn start_batch(n: Linear<1, { T::MaxCommittee::get() }>) -> Result<(), BenchmarkError> {
        Dkg::<T>::set_committee(
            members::<T>(n)
                .iter()
                .map(|(account, key)| (account, key.clone())),
        );
        let params = params::<T>(T::KeyBuffer::max_batch_size());
        let now = frame_system::Pallet::<T>::block_number();

        #[block]
        {
            Dkg::<T>::try_start_batch(now, &params, 0);
        }

        assert_eq!(RunningBatches::<T>::get().len(), 1);
        Ok(())
    }

    #[benchmark]
    fn end_dealing(n: Linear<1, { T::MaxCommittee::get() }>) -> Result<(), BenchmarkError> {
        let batch = start::<T>(n, 1)?;
        ActiveBatches::<T>::mutate(batch, |state| {
            if let Some(state) = state {
                state.dealt = BoundedVec::truncate_from((1..=n as MemberIndex).collect::<Vec<_>>());
            }
        });
        let state = testing::state::<T>(batch);
        let params = Params::<T>::get();
        let now = frame_system::Pallet::<T>::block_number();

        #[block]
        {
            Dkg::<T>::step(batch, state, now, &params, true);
        }

        assert!(matches!(
            testing::state::<T>(batch).phase,
            BatchPhase::Verifying { .. }
        ));
        Ok(())
    }

    /// `n` qualified dealers, all confirmed; the group commitments of `b` keys.
    #[benchmark]
    fn finish_batch(
        n: Linear<1, { T::MaxCommittee::get() }>,
        b: Linear<1, { max_keys::<T>() }>,
    ) -> Result<(), BenchmarkError> {
        let batch = start::<T>(n, b)?;
        let mut rng = rng(3);
        for dealer in 1..=n as MemberIndex {
            accept::<T>(batch, &dealing::<T>(batch, dealer, &mut rng))?;
        }
        verifying::<T>(batch);
        ActiveBatches::<T>::mutate(batch, |state| {
            if let Some(state) = state {
                state.confirmed = state.dealt.clone();
            }
        });
        let state = testing::state::<T>(batch);
        let params = Params::<T>::get();
        let now = frame_system::Pallet::<T>::block_number();

        #[block]
        {
            Dkg::<T>::step(batch, state, now, &params, true);
        }

        assert!(matches!(
            Results::<T>::get(batch).map(|r| r.outcome),
            Some(BatchOutcome::Completed { key_count, .. }) if key_count == b
        ));
        Ok(())
    }

    /// The dealing phase of `n` members ended without a dealing.
    #[benchmark]
    fn abandon_batch(n: Linear<1, { T::MaxCommittee::get() }>) -> Result<(), BenchmarkError> {
        let batch = start::<T>(n, 1)?;
        let state = testing::state::<T>(batch);
        let params = Params::<T>::get();
        let now = frame_system::Pallet::<T>::block_number() + 101u32.into();

        #[block]
        {
            Dkg::<T>::step(batch, state, now, &params, true);
        }

        assert_eq!(
            Results::<T>::get(batch).map(|r| (r.outcome, r.absent.len() as u32)),
            Some((BatchOutcome::Abandoned, n))
        );
        Ok(())
    }

    /// The `n` dealings of a finished batch are removed.
    #[benchmark]
    fn prune_dealings(n: Linear<1, { T::MaxCommittee::get() }>) -> Result<(), BenchmarkError> {
        let bytes: BoundedVec<u8, T::MaxDealingLen> =
            BoundedVec::truncate_from(alloc::vec![1u8; T::MaxDealingLen::get() as usize]);
        for dealer in 1..=n as MemberIndex {
            Dealings::<T>::insert(7, dealer, bytes.clone());
        }
        let now = frame_system::Pallet::<T>::block_number();
        PruneQueue::<T>::insert(0, (now, 7, n));
        PruneQueueRange::<T>::put((0, 1));
        let removed;

        #[block]
        {
            removed = Dkg::<T>::prune_due(now);
        }

        assert_eq!(removed, Some(n));
        assert_eq!(Dealings::<T>::iter_prefix(7).count(), 0);
        Ok(())
    }

    /// The worst endpoint update: the member is in none of the session's `n` members but is
    /// the last member of the last of the `MAX_EPOCHS_EXAMINED` epochs (of `n` members each)
    /// the check examines; it published before (its sequence is read) and its URL is the
    /// longest.
    #[benchmark]
    fn set_endpoint(n: Linear<1, { T::MaxCommittee::get() }>) -> Result<(), BenchmarkError> {
        let others = members::<T>(n);
        Committee::<T>::put(others.clone());
        let record = || EpochRecord::<T> {
            members: others.clone(),
            threshold: threshold_for(n as u16),
            started_at: 0u32.into(),
        };
        for epoch in 0..crate::nodes::MAX_EPOCHS_EXAMINED as EpochId {
            Epochs::<T>::insert(epoch, record());
        }
        let key = member_key(n);
        let last = Epochs::<T>::iter_keys()
            .take(crate::nodes::MAX_EPOCHS_EXAMINED)
            .last()
            .ok_or(BenchmarkError::Stop("no epoch"))?;
        Epochs::<T>::mutate(last, |epoch| {
            if let Some((_, member)) = epoch.as_mut().and_then(|e| e.members.last_mut()) {
                *member = key.clone();
            }
        });
        let mut url = b"https://".to_vec();
        url.resize(MAX_ENDPOINT_LEN as usize, b'a');
        let endpoint: EndpointOf =
            BoundedVec::try_from(url.clone()).map_err(|_| BenchmarkError::Stop("too long"))?;
        Endpoints::<T>::insert(
            &key,
            EndpointRecord {
                url: endpoint.clone(),
                sequence: 0,
            },
        );
        let payload = endpoint_payload(&Dkg::<T>::genesis_hash(), &key, &url, 1);
        let signature = key
            .sign(&payload)
            .ok_or(BenchmarkError::Stop("the key is not in the keystore"))?;
        let call = Call::<T>::set_endpoint {
            member: key.clone(),
            endpoint,
            sequence: 1,
            signature,
        };

        #[block]
        {
            apply::<T>(call)?;
        }

        assert_eq!(Endpoints::<T>::get(&key).map(|e| e.sequence), Some(1));
        Ok(())
    }

    /// The last member of an epoch of `n` members reports lost shares.
    #[benchmark]
    fn report_lost_shares(n: Linear<1, { T::MaxCommittee::get() }>) -> Result<(), BenchmarkError> {
        let members = members::<T>(n);
        Epochs::<T>::insert(
            0,
            EpochRecord::<T> {
                members,
                threshold: threshold_for(n as u16),
                started_at: 0u32.into(),
            },
        );
        let member = n as MemberIndex;
        let payload = lost_shares_payload(&Dkg::<T>::genesis_hash(), 0, member);
        let signature = member_key(n - 1)
            .sign(&payload)
            .ok_or(BenchmarkError::Stop("the key is not in the keystore"))?;
        let call = Call::<T>::report_lost_shares {
            epoch: 0,
            member,
            signature,
        };

        #[block]
        {
            apply::<T>(call)?;
        }

        assert!(LostShares::<T>::contains_key(0, member));
        Ok(())
    }

    impl_benchmark_test_suite!(Dkg, crate::mock::new_test_ext(), crate::mock::Test);
}
