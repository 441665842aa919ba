//! # Verifiers pallet
//!
//! The on-chain registry of *verifiers*: what a dapp deploys so that the Torus network accepts
//! its users' id tokens and gives each user a key.
//!
//! - [`Config`]
//! - [`Call`]
//! - [`Event`], [`Error`]
//!
//! ## Overview
//!
//! A verifier is registered under a globally unique name (the `verifier` /
//! `verifieridentifier` that `@toruslabs/torus.js` sends) and belongs to the account that
//! registered it, its *owner*. Its [`VerifierConfig`] says which tokens are valid: the issuer
//! (`iss`), the accepted audiences (`aud`), the JWKS (RSA and EC P-256/secp256k1 keys, each with
//! its `kid` and `alg`), the claim that is the user's id (`sub`, `email` or a named claim,
//! optionally lower-cased), the maximum token age, and the [`KeyType`](torus_primitives::KeyType) a login gets. Every node
//! reads the verifier through [`VerifiersApi`](torus_primitives::VerifiersApi) and checks each
//! login's JWT against it; `pallet-keys` asks it, through [`VerifierInspect`], whether a
//! verifier exists before it assigns a key.
//!
//! ### Deposit
//!
//! Registering holds [`Config::VerifierDeposit`] from the caller with the `fungible` hold API
//! ([`MutateHold`]) under [`HoldReason::VerifierDeposit`]. The amount is recorded with the
//! verifier, so a later change of the constant does not affect existing verifiers. The
//! depositor gets it back when the verifier is removed, even if ownership was transferred in
//! between (a transfer never moves funds without the receiver's consent).
//!
//! ### Names are never handed to someone else
//!
//! Keys are assigned per (verifier name, user id) and stay assigned for ever. Whoever controls a
//! name's JWKS can mint tokens for any user id under it, so a removed name could otherwise be
//! registered by a stranger who would then obtain the keys of its former users. A removed name
//! is therefore *retired*: only its last owner may register it again.
//!
//! ### The key type is fixed at registration
//!
//! Keys assigned under a verifier are shared according to its key type; changing the type
//! afterwards would change what existing keys mean, so [`Pallet::update_config`] refuses it.
//!
//! ## Dispatchable functions
//!
//! All are called by a signed account; all but `register` only by the verifier's owner.
//!
//! - [`register`](Pallet::register): create a verifier, holding the deposit.
//! - [`update_config`](Pallet::update_config): replace the whole configuration.
//! - [`rotate_jwks`](Pallet::rotate_jwks): replace the JWKS.
//! - [`add_jwk`](Pallet::add_jwk), [`remove_jwk`](Pallet::remove_jwk): change one JWKS key.
//! - [`transfer_ownership`](Pallet::transfer_ownership): hand the verifier to another account.
//! - [`remove`](Pallet::remove): delete the verifier, release the deposit, retire the name.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use frame_support::{
    ensure,
    pallet_prelude::{DispatchError, DispatchResult},
    traits::{
        fungible::{Inspect, Mutate, MutateHold},
        tokens::Precision,
        Get,
    },
};
use torus_primitives::{
    verifier::{validate_verifier_name, InvalidVerifier},
    Jwk, JwkKeyId, Jwks, VerifierConfig, VerifierInspect, VerifierName, VerifierPolicy,
    VerifierRecord,
};

pub use pallet::*;
pub use weights::WeightInfo;

/// The balance type of the deposit currency.
pub type BalanceOf<T> =
    <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A verifier as this pallet stores it.
pub type VerifierRecordOf<T> = VerifierRecord<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::pallet_prelude::*;
    use frame_system::pallet_prelude::*;

    /// The in-code storage version.
    const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// The currency from which the registration deposit is held.
        type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + Mutate<Self::AccountId>;

        /// The overarching hold reason, which must include this pallet's [`HoldReason`].
        type RuntimeHoldReason: From<HoldReason>;

        /// The deposit held from the registrant of a verifier until the verifier is removed.
        #[pallet::constant]
        type VerifierDeposit: Get<BalanceOf<Self>>;

        /// Weight information for the calls of this pallet.
        type WeightInfo: WeightInfo;
    }

    /// A reason for this pallet to hold funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// The deposit of a registered verifier.
        #[codec(index = 0)]
        VerifierDeposit,
    }

    /// The registered verifiers, by name.
    #[pallet::storage]
    pub type Verifiers<T: Config> =
        StorageMap<_, Blake2_128Concat, VerifierName, VerifierRecordOf<T>, OptionQuery>;

    /// Names of removed verifiers, with their last owner: the only account that may reuse them.
    #[pallet::storage]
    pub type RetiredNames<T: Config> =
        StorageMap<_, Blake2_128Concat, VerifierName, T::AccountId, OptionQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A verifier was registered and its deposit held.
        Registered {
            name: VerifierName,
            owner: T::AccountId,
            deposit: BalanceOf<T>,
        },
        /// A verifier's whole configuration was replaced.
        ConfigUpdated { name: VerifierName },
        /// A verifier's JWKS was replaced; it now has `keys` keys.
        JwksRotated { name: VerifierName, keys: u32 },
        /// A key was added to a verifier's JWKS.
        JwkAdded { name: VerifierName, kid: JwkKeyId },
        /// A key was removed from a verifier's JWKS.
        JwkRemoved { name: VerifierName, kid: JwkKeyId },
        /// A verifier was handed to a new owner.
        OwnershipTransferred {
            name: VerifierName,
            from: T::AccountId,
            to: T::AccountId,
        },
        /// A verifier was removed, its name retired, and `released` returned to `depositor`.
        Removed {
            name: VerifierName,
            depositor: T::AccountId,
            released: BalanceOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The name is empty or has a byte that is not printable ASCII without space.
        InvalidName,
        /// A verifier with this name is already registered.
        NameTaken,
        /// The name belonged to a removed verifier; only its last owner may register it again.
        NameRetired,
        /// No verifier is registered under this name.
        UnknownVerifier,
        /// Only the verifier's owner may do this.
        NotOwner,
        /// The issuer is empty.
        EmptyIssuer,
        /// No audience is given, or one of them is empty.
        InvalidAudiences,
        /// Two audiences are equal.
        DuplicateAudience,
        /// A JWKS key has an empty `kid`, an `alg` that does not fit its key, or empty RSA values.
        InvalidJwk,
        /// Two JWKS keys have the same `kid`.
        DuplicateKid,
        /// A named id claim has an empty name.
        InvalidClaimName,
        /// The maximum token age is zero.
        ZeroTokenAge,
        /// The key type of a verifier cannot change after registration.
        KeyTypeImmutable,
        /// The JWKS already has the maximum number of keys.
        TooManyJwks,
        /// The JWKS has no key with this `kid`.
        JwkNotFound,
        /// The new owner is already the owner.
        AlreadyOwner,
    }

    impl<T> From<InvalidVerifier> for Error<T> {
        fn from(invalid: InvalidVerifier) -> Self {
            match invalid {
                InvalidVerifier::Name => Error::InvalidName,
                InvalidVerifier::EmptyIssuer => Error::EmptyIssuer,
                InvalidVerifier::Audiences => Error::InvalidAudiences,
                InvalidVerifier::DuplicateAudience => Error::DuplicateAudience,
                InvalidVerifier::Jwk => Error::InvalidJwk,
                InvalidVerifier::DuplicateKid => Error::DuplicateKid,
                InvalidVerifier::ClaimName => Error::InvalidClaimName,
                InvalidVerifier::TokenAge => Error::ZeroTokenAge,
            }
        }
    }

    #[pallet::extra_constants]
    impl<T: Config> Pallet<T> {
        /// Maximum length in bytes of a verifier name.
        #[pallet::constant_name(MaxVerifierNameLen)]
        fn max_verifier_name_len() -> u32 {
            torus_primitives::limits::MAX_VERIFIER_NAME_LEN
        }

        /// Maximum length in bytes of an issuer.
        #[pallet::constant_name(MaxIssuerLen)]
        fn max_issuer_len() -> u32 {
            torus_primitives::limits::MAX_ISSUER_LEN
        }

        /// Maximum number of accepted audiences of a verifier.
        #[pallet::constant_name(MaxAudiences)]
        fn max_audiences() -> u32 {
            torus_primitives::limits::MAX_AUDIENCES
        }

        /// Maximum length in bytes of one audience.
        #[pallet::constant_name(MaxAudienceLen)]
        fn max_audience_len() -> u32 {
            torus_primitives::limits::MAX_AUDIENCE_LEN
        }

        /// Maximum number of keys in the JWKS of a verifier.
        #[pallet::constant_name(MaxJwks)]
        fn max_jwks() -> u32 {
            torus_primitives::limits::MAX_JWKS
        }

        /// Maximum length in bytes of a JWK `kid`.
        #[pallet::constant_name(MaxKidLen)]
        fn max_kid_len() -> u32 {
            torus_primitives::limits::MAX_KID_LEN
        }

        /// Maximum length in bytes of an RSA modulus.
        #[pallet::constant_name(MaxRsaModulusLen)]
        fn max_rsa_modulus_len() -> u32 {
            torus_primitives::limits::MAX_RSA_MODULUS_LEN
        }

        /// Maximum length in bytes of an RSA public exponent.
        #[pallet::constant_name(MaxRsaExponentLen)]
        fn max_rsa_exponent_len() -> u32 {
            torus_primitives::limits::MAX_RSA_EXPONENT_LEN
        }

        /// Maximum length in bytes of the name of a custom id claim.
        #[pallet::constant_name(MaxClaimNameLen)]
        fn max_claim_name_len() -> u32 {
            torus_primitives::limits::MAX_CLAIM_NAME_LEN
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Register a verifier named `name` with `config`, owned by the caller.
        ///
        /// The dispatch origin must be _Signed_. Holds [`Config::VerifierDeposit`] from the
        /// caller until the verifier is removed. The name must be free and not retired by
        /// another account.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::register())]
        pub fn register(
            origin: OriginFor<T>,
            name: VerifierName,
            config: VerifierConfig,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_register(who, name, config)
        }

        /// Replace the whole configuration of the verifier `name` (its JWKS included).
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner. The key type cannot
        /// change.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::update_config())]
        pub fn update_config(
            origin: OriginFor<T>,
            name: VerifierName,
            config: VerifierConfig,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_update_config(who, name, config)
        }

        /// Replace the JWKS of the verifier `name` with `jwks` (an empty set disables logins).
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::rotate_jwks())]
        pub fn rotate_jwks(origin: OriginFor<T>, name: VerifierName, jwks: Jwks) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_rotate_jwks(who, name, jwks)
        }

        /// Add `jwk` to the JWKS of the verifier `name`.
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner. The `kid` must be new.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::add_jwk())]
        pub fn add_jwk(origin: OriginFor<T>, name: VerifierName, jwk: Jwk) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_add_jwk(who, name, jwk)
        }

        /// Remove the key `kid` from the JWKS of the verifier `name`.
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::remove_jwk())]
        pub fn remove_jwk(
            origin: OriginFor<T>,
            name: VerifierName,
            kid: JwkKeyId,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_remove_jwk(who, name, kid)
        }

        /// Make `new_owner` the owner of the verifier `name`.
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner. The deposit stays held
        /// from, and returns to, the original depositor.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::transfer_ownership())]
        pub fn transfer_ownership(
            origin: OriginFor<T>,
            name: VerifierName,
            new_owner: T::AccountId,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_transfer_ownership(who, name, new_owner)
        }

        /// Remove the verifier `name`, release its deposit to the depositor and retire the name
        /// (only the caller may register it again). Keys already assigned stay assigned.
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::remove())]
        pub fn remove(origin: OriginFor<T>, name: VerifierName) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_remove(who, name)
        }
    }
}

impl<T: Config> Pallet<T> {
    /// The verifier registered under `name`, if any (the `VerifiersApi` answer).
    pub fn verifier(name: &[u8]) -> Option<VerifierRecordOf<T>> {
        let name = VerifierName::try_from(name.to_vec()).ok()?;
        Verifiers::<T>::get(name)
    }

    fn do_register(
        who: T::AccountId,
        name: VerifierName,
        config: VerifierConfig,
    ) -> DispatchResult {
        validate_verifier_name(&name).map_err(Error::<T>::from)?;
        config.validate().map_err(Error::<T>::from)?;
        ensure!(!Verifiers::<T>::contains_key(&name), Error::<T>::NameTaken);
        if let Some(last_owner) = RetiredNames::<T>::get(&name) {
            ensure!(last_owner == who, Error::<T>::NameRetired);
        }

        let deposit = T::VerifierDeposit::get();
        T::Currency::hold(&HoldReason::VerifierDeposit.into(), &who, deposit)?;
        RetiredNames::<T>::remove(&name);
        Verifiers::<T>::insert(
            &name,
            VerifierRecord {
                owner: who.clone(),
                depositor: who.clone(),
                deposit,
                config,
            },
        );
        Self::deposit_event(Event::Registered {
            name,
            owner: who,
            deposit,
        });
        Ok(())
    }

    fn do_update_config(
        who: T::AccountId,
        name: VerifierName,
        config: VerifierConfig,
    ) -> DispatchResult {
        config.validate().map_err(Error::<T>::from)?;
        let mut record = Self::owned(&who, &name)?;
        ensure!(
            record.config.key_type == config.key_type,
            Error::<T>::KeyTypeImmutable
        );
        record.config = config;
        Verifiers::<T>::insert(&name, record);
        Self::deposit_event(Event::ConfigUpdated { name });
        Ok(())
    }

    fn do_rotate_jwks(who: T::AccountId, name: VerifierName, jwks: Jwks) -> DispatchResult {
        ensure!(jwks.iter().all(Jwk::is_well_formed), Error::<T>::InvalidJwk);
        ensure!(
            !torus_primitives::verifier::has_duplicate_kid(&jwks),
            Error::<T>::DuplicateKid
        );
        let mut record = Self::owned(&who, &name)?;
        let keys = jwks.len() as u32;
        record.config.jwks = jwks;
        Verifiers::<T>::insert(&name, record);
        Self::deposit_event(Event::JwksRotated { name, keys });
        Ok(())
    }

    fn do_add_jwk(who: T::AccountId, name: VerifierName, jwk: Jwk) -> DispatchResult {
        ensure!(jwk.is_well_formed(), Error::<T>::InvalidJwk);
        let mut record = Self::owned(&who, &name)?;
        ensure!(
            !record.config.jwks.iter().any(|key| key.kid == jwk.kid),
            Error::<T>::DuplicateKid
        );
        let kid = jwk.kid.clone();
        record
            .config
            .jwks
            .try_push(jwk)
            .map_err(|_| Error::<T>::TooManyJwks)?;
        Verifiers::<T>::insert(&name, record);
        Self::deposit_event(Event::JwkAdded { name, kid });
        Ok(())
    }

    fn do_remove_jwk(who: T::AccountId, name: VerifierName, kid: JwkKeyId) -> DispatchResult {
        let mut record = Self::owned(&who, &name)?;
        let position = record
            .config
            .jwks
            .iter()
            .position(|key| key.kid == kid)
            .ok_or(Error::<T>::JwkNotFound)?;
        record.config.jwks.remove(position);
        Verifiers::<T>::insert(&name, record);
        Self::deposit_event(Event::JwkRemoved { name, kid });
        Ok(())
    }

    fn do_transfer_ownership(
        who: T::AccountId,
        name: VerifierName,
        new_owner: T::AccountId,
    ) -> DispatchResult {
        let mut record = Self::owned(&who, &name)?;
        ensure!(new_owner != who, Error::<T>::AlreadyOwner);
        record.owner = new_owner.clone();
        Verifiers::<T>::insert(&name, record);
        Self::deposit_event(Event::OwnershipTransferred {
            name,
            from: who,
            to: new_owner,
        });
        Ok(())
    }

    fn do_remove(who: T::AccountId, name: VerifierName) -> DispatchResult {
        let record = Self::owned(&who, &name)?;
        let released = T::Currency::release(
            &HoldReason::VerifierDeposit.into(),
            &record.depositor,
            record.deposit,
            Precision::BestEffort,
        )?;
        Verifiers::<T>::remove(&name);
        RetiredNames::<T>::insert(&name, &who);
        Self::deposit_event(Event::Removed {
            name,
            depositor: record.depositor,
            released,
        });
        Ok(())
    }

    /// The record of the verifier `name` if `who` owns it.
    fn owned(
        who: &T::AccountId,
        name: &VerifierName,
    ) -> Result<VerifierRecordOf<T>, DispatchError> {
        let record = Verifiers::<T>::get(name).ok_or(Error::<T>::UnknownVerifier)?;
        ensure!(&record.owner == who, Error::<T>::NotOwner);
        Ok(record)
    }
}

impl<T: Config> VerifierInspect for Pallet<T> {
    fn policy(name: &VerifierName) -> Option<VerifierPolicy> {
        Verifiers::<T>::get(name).map(|record| VerifierPolicy {
            key_type: record.config.key_type,
            id_claim: record.config.id_claim,
        })
    }
}
