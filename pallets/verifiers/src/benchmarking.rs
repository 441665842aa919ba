//! Benchmarks of every call, each on a worst-case verifier (every bound filled).

use super::*;
use crate::Pallet as Verifiers;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{traits::Get, BoundedVec};
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;
use torus_primitives::{
    limits::{
        MAX_AUDIENCES, MAX_AUDIENCE_LEN, MAX_CLAIM_NAME_LEN, MAX_ISSUER_LEN, MAX_JWKS, MAX_KID_LEN,
        MAX_RSA_EXPONENT_LEN, MAX_RSA_MODULUS_LEN, MAX_VERIFIER_NAME_LEN,
    },
    IdClaim, IdClaimRule, JwkAlg, JwkParams, KeyType,
};

/// `len` bytes of `fill`, ending with the big-endian `tag` so that values differ.
fn filled<S: Get<u32>>(len: u32, fill: u8, tag: u32) -> BoundedVec<u8, S> {
    let mut bytes = alloc::vec![fill; len as usize];
    let tail = tag.to_be_bytes();
    let len = bytes.len();
    let start = len.saturating_sub(tail.len());
    bytes[start..].copy_from_slice(&tail[tail.len() - (len - start)..]);
    BoundedVec::truncate_from(bytes)
}

/// The largest RSA key, with the `kid` tagged `i`.
fn largest_jwk(i: u32) -> Jwk {
    Jwk {
        kid: filled(MAX_KID_LEN, b'k', i),
        alg: JwkAlg::PS512,
        params: JwkParams::Rsa {
            n: filled(MAX_RSA_MODULUS_LEN, 0xc5, i),
            e: filled(MAX_RSA_EXPONENT_LEN, 0x01, 1),
        },
    }
}

/// The largest JWKS of `keys` keys.
fn largest_jwks(keys: u32) -> Jwks {
    BoundedVec::truncate_from((0..keys).map(largest_jwk).collect::<Vec<_>>())
}

/// A configuration with every bound filled and `keys` JWKS keys.
fn largest_config(keys: u32) -> VerifierConfig {
    VerifierConfig {
        issuer: filled(MAX_ISSUER_LEN, b'i', 0),
        audiences: BoundedVec::truncate_from(
            (0..MAX_AUDIENCES)
                .map(|i| filled(MAX_AUDIENCE_LEN, b'a', i))
                .collect::<Vec<_>>(),
        ),
        jwks: largest_jwks(keys),
        id_claim: IdClaimRule {
            claim: IdClaim::Named(filled(MAX_CLAIM_NAME_LEN, b'c', 0)),
            lowercase: true,
        },
        max_token_age_secs: u64::MAX,
        key_type: KeyType::DirectAuth,
    }
}

/// The longest valid name (names are printable ASCII, so it carries no binary tag).
fn longest_name() -> VerifierName {
    BoundedVec::truncate_from(alloc::vec![b'n'; MAX_VERIFIER_NAME_LEN as usize])
}

/// An account that can afford a few deposits.
fn funded<T: Config>(who: &T::AccountId) {
    let amount = T::VerifierDeposit::get()
        .saturating_mul(4u32.into())
        .saturating_add(T::Currency::minimum_balance());
    T::Currency::set_balance(who, amount);
}

/// A verifier with `keys` largest keys, registered by a funded caller.
fn registered<T: Config>(keys: u32) -> Result<(T::AccountId, VerifierName), BenchmarkError> {
    let owner: T::AccountId = whitelisted_caller();
    funded::<T>(&owner);
    let name = longest_name();
    Verifiers::<T>::register(
        RawOrigin::Signed(owner.clone()).into(),
        name.clone(),
        largest_config(keys),
    )
    .map_err(|_| BenchmarkError::Stop("registration of the benchmark verifier failed"))?;
    Ok((owner, name))
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// Worst case: the name was retired by the caller, so both maps are read and written.
    #[benchmark]
    fn register() {
        let owner: T::AccountId = whitelisted_caller();
        funded::<T>(&owner);
        let name = longest_name();
        RetiredNames::<T>::insert(&name, &owner);

        #[extrinsic_call]
        _(
            RawOrigin::Signed(owner.clone()),
            name.clone(),
            largest_config(MAX_JWKS),
        );

        assert!(Verifiers::<T>::verifier(&name).is_some());
        assert!(!RetiredNames::<T>::contains_key(&name));
    }

    #[benchmark]
    fn update_config() -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;
        let mut config = largest_config(MAX_JWKS);
        config.max_token_age_secs = 1;

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), name.clone(), config);

        assert_eq!(
            Verifiers::<T>::verifier(&name).map(|record| record.config.max_token_age_secs),
            Some(1)
        );
        Ok(())
    }

    #[benchmark]
    fn rotate_jwks() -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;
        let jwks = largest_jwks(MAX_JWKS);

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), name.clone(), jwks.clone());

        assert_eq!(
            Verifiers::<T>::verifier(&name).map(|record| record.config.jwks),
            Some(jwks)
        );
        Ok(())
    }

    /// Worst case: the set holds one key fewer than the maximum, all compared with the new one.
    #[benchmark]
    fn add_jwk() -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS - 1)?;

        #[extrinsic_call]
        _(
            RawOrigin::Signed(owner),
            name.clone(),
            largest_jwk(MAX_JWKS - 1),
        );

        assert_eq!(
            Verifiers::<T>::verifier(&name).map(|record| record.config.jwks.len() as u32),
            Some(MAX_JWKS)
        );
        Ok(())
    }

    /// Worst case: the full set is searched to its last key.
    #[benchmark]
    fn remove_jwk() -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;

        #[extrinsic_call]
        _(
            RawOrigin::Signed(owner),
            name.clone(),
            largest_jwk(MAX_JWKS - 1).kid,
        );

        assert_eq!(
            Verifiers::<T>::verifier(&name).map(|record| record.config.jwks.len() as u32),
            Some(MAX_JWKS - 1)
        );
        Ok(())
    }

    #[benchmark]
    fn transfer_ownership() -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;
        let new_owner: T::AccountId = account("new_owner", 0, 0);

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), name.clone(), new_owner.clone());

        assert_eq!(
            Verifiers::<T>::verifier(&name).map(|record| record.owner),
            Some(new_owner)
        );
        Ok(())
    }

    #[benchmark]
    fn remove() -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;

        #[extrinsic_call]
        _(RawOrigin::Signed(owner.clone()), name.clone());

        assert!(Verifiers::<T>::verifier(&name).is_none());
        assert_eq!(RetiredNames::<T>::get(&name), Some(owner));
        Ok(())
    }

    impl_benchmark_test_suite!(Verifiers, crate::mock::new_test_ext(), crate::mock::Test);
}
