//! Benchmarks of every call and of `on_initialize`, each on worst-case verifiers (every bound
//! filled), announcements with an earlier pending change in a full schedule and full blocks to
//! search.

use super::*;
use crate::Pallet as Verifiers;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{Get, Hooks},
    BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::traits::{One, Saturating};
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
        // A fixed-size field: any valid value is as costly as another.
        max_token_age_secs: 3_600,
        key_type: KeyType::DirectAuth,
    }
}

/// The longest valid name (names are printable ASCII, so it carries no binary tag).
fn longest_name() -> VerifierName {
    BoundedVec::truncate_from(alloc::vec![b'n'; MAX_VERIFIER_NAME_LEN as usize])
}

/// A name of the longest length, distinct for each `tag`.
fn tagged_name(tag: u32) -> VerifierName {
    let mut bytes = alloc::vec![b'n'; MAX_VERIFIER_NAME_LEN as usize];
    let digits = alloc::format!("{tag:010}");
    let start = bytes.len() - digits.len();
    bytes[start..].copy_from_slice(digits.as_bytes());
    BoundedVec::truncate_from(bytes)
}

/// The earliest block at which a change announced now takes effect.
fn earliest<T: Config>() -> BlockNumberFor<T> {
    frame_system::Pallet::<T>::block_number().saturating_add(ConfigDelay::<T>::get())
}

/// Fills the schedule of block `at` with other verifiers' names, leaving `room` places.
fn fill_schedule<T: Config>(at: BlockNumberFor<T>, room: u32, tag: u32) {
    let names = (0..T::MaxChangesPerBlock::get().saturating_sub(room))
        .map(|i| tagged_name(tag.saturating_mul(1_000).saturating_add(i)))
        .collect::<Vec<_>>();
    ChangesDue::<T>::insert(at, BoundedVec::truncate_from(names));
}

/// Gives `name` a pending change of the largest configuration, due at a full block beyond
/// the search window of an announcement made now, so that replacing it frees no place there.
fn pending_in_a_full_block<T: Config>(name: &VerifierName, change: VerifierChange) {
    let at = earliest::<T>().saturating_add(T::MaxScheduleSearch::get().into());
    fill_schedule::<T>(at, 1, u32::MAX / 1_000);
    ChangesDue::<T>::mutate(at, |due| {
        due.try_push(name.clone())
            .expect("fill_schedule left a place")
    });
    PendingChanges::<T>::insert(
        name,
        PendingChange {
            change,
            effective_at: at,
            config: largest_config(MAX_JWKS),
        },
    );
}

/// The worst case of an announcement that looks at `s` block schedules: a pending change to
/// replace, and `s - 1` full blocks from the earliest block on. The block it will pick.
fn announcement_worst_case<T: Config>(name: &VerifierName, s: u32) -> BlockNumberFor<T> {
    pending_in_a_full_block::<T>(name, VerifierChange::Config);
    let mut at = earliest::<T>();
    for skipped in 0..s.saturating_sub(1) {
        fill_schedule::<T>(at, 0, skipped);
        at = at.saturating_add(One::one());
    }
    at
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

    /// Worst case: the name was retired by the caller and may be reused now, so the three
    /// maps are read and written.
    #[benchmark]
    fn register() {
        let owner: T::AccountId = whitelisted_caller();
        funded::<T>(&owner);
        let name = longest_name();
        RetiredNames::<T>::insert(&name, &owner);
        RetiredUntil::<T>::insert(&name, frame_system::Pallet::<T>::block_number());

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
    fn update_config(s: Linear<1, { T::MaxScheduleSearch::get() }>) -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;
        let at = announcement_worst_case::<T>(&name, s);
        let mut config = largest_config(MAX_JWKS);
        config.max_token_age_secs = 1;

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), name.clone(), config);

        let pending = PendingChanges::<T>::get(&name).ok_or("announced")?;
        assert_eq!(
            (pending.effective_at, pending.config.max_token_age_secs),
            (at, 1)
        );
        Ok(())
    }

    #[benchmark]
    fn rotate_jwks(s: Linear<1, { T::MaxScheduleSearch::get() }>) -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;
        let at = announcement_worst_case::<T>(&name, s);
        let jwks = largest_jwks(MAX_JWKS);

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), name.clone(), jwks.clone());

        let pending = PendingChanges::<T>::get(&name).ok_or("announced")?;
        assert_eq!((pending.effective_at, pending.config.jwks), (at, jwks));
        Ok(())
    }

    /// Worst case: the set holds one key fewer than the maximum, all compared with the new one.
    #[benchmark]
    fn add_jwk(s: Linear<1, { T::MaxScheduleSearch::get() }>) -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS - 1)?;
        let at = announcement_worst_case::<T>(&name, s);

        #[extrinsic_call]
        _(
            RawOrigin::Signed(owner),
            name.clone(),
            largest_jwk(MAX_JWKS - 1),
        );

        let pending = PendingChanges::<T>::get(&name).ok_or("announced")?;
        assert_eq!(
            (pending.effective_at, pending.config.jwks.len() as u32),
            (at, MAX_JWKS)
        );
        Ok(())
    }

    /// Worst case: the full set in effect and the full set of the pending change are searched
    /// to their last key, and both are written.
    #[benchmark]
    fn remove_jwk() -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;
        pending_in_a_full_block::<T>(&name, VerifierChange::Jwks);

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
        assert_eq!(
            PendingChanges::<T>::get(&name).map(|pending| pending.config.jwks.len() as u32),
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

    /// Worst case: the verifier has a pending change in a full schedule.
    #[benchmark]
    fn remove() -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;
        pending_in_a_full_block::<T>(&name, VerifierChange::Config);

        #[extrinsic_call]
        _(RawOrigin::Signed(owner.clone()), name.clone());

        assert!(Verifiers::<T>::verifier(&name).is_none());
        assert!(!PendingChanges::<T>::contains_key(&name));
        assert_eq!(RetiredNames::<T>::get(&name), Some(owner));
        Ok(())
    }

    /// Worst case: the pending change is the largest, in a full schedule.
    #[benchmark]
    fn cancel_change() -> Result<(), BenchmarkError> {
        let (owner, name) = registered::<T>(MAX_JWKS)?;
        pending_in_a_full_block::<T>(&name, VerifierChange::Config);

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), name.clone());

        assert!(!PendingChanges::<T>::contains_key(&name));
        Ok(())
    }

    #[benchmark]
    fn set_config_delay() {
        let delay = T::MaxConfigDelay::get();

        #[extrinsic_call]
        _(RawOrigin::Root, delay);

        assert_eq!(ConfigDelay::<T>::get(), delay);
    }

    /// `on_initialize` of a block at which `c` changes of the largest configuration are due.
    #[benchmark]
    fn apply_changes(c: Linear<0, { T::MaxChangesPerBlock::get() }>) -> Result<(), BenchmarkError> {
        let owner: T::AccountId = whitelisted_caller();
        let now = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
        let mut due = Vec::new();
        for i in 0..c {
            let name = tagged_name(i);
            crate::Verifiers::<T>::insert(
                &name,
                VerifierRecord {
                    owner: owner.clone(),
                    depositor: owner.clone(),
                    deposit: T::VerifierDeposit::get(),
                    config: largest_config(MAX_JWKS),
                },
            );
            let mut config = largest_config(MAX_JWKS);
            config.max_token_age_secs = 1;
            PendingChanges::<T>::insert(
                &name,
                PendingChange {
                    change: VerifierChange::Config,
                    effective_at: now,
                    config,
                },
            );
            due.push(name);
        }
        ChangesDue::<T>::insert(now, BoundedVec::truncate_from(due));

        #[block]
        {
            Verifiers::<T>::on_initialize(now);
        }

        assert!(!ChangesDue::<T>::contains_key(now));
        for i in 0..c {
            let record = Verifiers::<T>::verifier(&tagged_name(i)).ok_or("still registered")?;
            assert_eq!(record.config.max_token_age_secs, 1);
        }
        Ok(())
    }

    impl_benchmark_test_suite!(Verifiers, crate::mock::new_test_ext(), crate::mock::Test);
}
