//! Benchmarks of `assign` (new and repeated), `top_up` and `insert_generated_keys`.

use super::*;
use crate::Pallet as Keys;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;
use torus_primitives::limits::MAX_VERIFIER_ID_LEN;

/// A distinct compressed-looking public key for each `i`.
fn public_key(i: u32) -> PublicKey {
    let mut bytes = [0x5a; 33];
    bytes[0] = 0x02;
    bytes[1..5].copy_from_slice(&i.to_be_bytes());
    PublicKey(bytes)
}

/// A batch of `n` distinct keys, tagged from `from`.
fn batch<T: Config>(from: u32, n: u32) -> BoundedVec<GeneratedKey, T::MaxBatchSize> {
    BoundedVec::truncate_from(
        (from..from.saturating_add(n))
            .map(|i| GeneratedKey {
                public_key: public_key(i),
                commitments_hash: [7; 32],
            })
            .collect::<Vec<_>>(),
    )
}

/// The longest user id.
fn longest_user() -> UserId {
    BoundedVec::truncate_from(alloc::vec![b'u'; MAX_VERIFIER_ID_LEN as usize])
}

/// A signature for the calls: the dispatch does not check it (the pool did).
fn signature() -> DkgSignature {
    codec::Decode::decode(&mut &[0u8; 65][..]).expect("65 bytes decode as a signature")
}

/// A validator's DKG key, a DirectAuth verifier with two keys of allowance (so that an
/// assignment writes the allowance rather than removing it) and one key in the buffer.
fn setup<T: Config>() -> Result<(DkgId, VerifierName), BenchmarkError> {
    let validator = T::BenchmarkHelper::assigner();
    let verifier = T::BenchmarkHelper::verifier();
    KeyAllowance::<T>::insert(&verifier, 2);
    Keys::<T>::insert_generated_keys(0, batch::<T>(0, 1))
        .map_err(|_| BenchmarkError::Stop("the benchmark buffer could not be filled"))?;
    Ok((validator, verifier))
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn assign() -> Result<(), BenchmarkError> {
        let (validator, verifier) = setup::<T>()?;
        let user = longest_user();

        #[extrinsic_call]
        _(
            RawOrigin::None,
            verifier.clone(),
            user.clone(),
            validator,
            signature(),
        );

        assert_eq!(Assignments::<T>::get(&verifier, &user), Some(0));
        assert!(Nonces::<T>::contains_key(0));
        assert_eq!(KeyAllowance::<T>::get(&verifier), Some(1));
        assert_eq!(
            VerifierAssignedInBlock::<T>::get(&verifier).map(|(_, count)| count),
            Some(1)
        );
        Ok(())
    }

    #[benchmark]
    fn assign_existing() -> Result<(), BenchmarkError> {
        let (validator, verifier) = setup::<T>()?;
        let user = longest_user();
        Keys::<T>::assign(
            RawOrigin::None.into(),
            verifier.clone(),
            user.clone(),
            validator.clone(),
            signature(),
        )
        .map_err(|_| BenchmarkError::Stop("the first assignment failed"))?;

        #[extrinsic_call]
        assign(
            RawOrigin::None,
            verifier.clone(),
            user.clone(),
            validator,
            signature(),
        );

        assert_eq!(Assignments::<T>::get(&verifier, &user), Some(0));
        assert_eq!(Keys::<T>::buffer_size(), 0);
        assert_eq!(KeyAllowance::<T>::get(&verifier), Some(1));
        Ok(())
    }

    /// On a verifier that already has an allowance (the entry is read and rewritten), paid by
    /// an account that stays alive.
    #[benchmark]
    fn top_up() -> Result<(), BenchmarkError> {
        let verifier = T::BenchmarkHelper::verifier();
        KeyAllowance::<T>::insert(&verifier, 1);
        let keys = T::MaxAllowance::get().saturating_sub(1);
        let fee = T::KeyFee::get().saturating_mul(BalanceOf::<T>::from(keys));
        let payer: T::AccountId = whitelisted_caller();
        let funds = fee
            .saturating_add(T::Currency::minimum_balance())
            .saturating_mul(2u32.into());
        T::Currency::set_balance(&payer, funds);

        #[extrinsic_call]
        _(RawOrigin::Signed(payer.clone()), verifier.clone(), keys);

        assert_eq!(
            KeyAllowance::<T>::get(&verifier),
            Some(T::MaxAllowance::get())
        );
        assert_eq!(T::Currency::balance(&payer), funds.saturating_sub(fee));
        Ok(())
    }

    /// `n`: the number of keys in the batch.
    #[benchmark]
    fn insert_generated_keys(
        n: Linear<1, { T::MaxBatchSize::get() }>,
    ) -> Result<(), BenchmarkError> {
        // Keys already in the buffer, so that the index lookups hit a populated map.
        Keys::<T>::insert_generated_keys(0, batch::<T>(0, T::MaxBatchSize::get()))
            .map_err(|_| BenchmarkError::Stop("the earlier batch could not be inserted"))?;
        let keys = batch::<T>(T::MaxBatchSize::get(), n);
        let result;

        #[block]
        {
            result = Keys::<T>::insert_generated_keys(1, keys);
        }

        assert_eq!(result.ok(), Some(u64::from(T::MaxBatchSize::get())));
        assert_eq!(
            Keys::<T>::buffer_size(),
            u64::from(T::MaxBatchSize::get() + n)
        );
        Ok(())
    }

    impl_benchmark_test_suite!(Keys, crate::mock::new_test_ext(), crate::mock::Test);
}
