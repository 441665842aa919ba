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
//! ### Changes are announced before they take effect
//!
//! Whoever controls a verifier's configuration can, by widening it (a JWK of their own, another
//! issuer or audience, another id claim), mint logins for any user of the verifier. So every
//! change that widens what the verifier accepts — [`update_config`](Pallet::update_config),
//! [`rotate_jwks`](Pallet::rotate_jwks) and [`add_jwk`](Pallet::add_jwk) — is only *announced*:
//! it is checked, stored in [`PendingChanges`] and emits [`Event::ChangeAnnounced`] with its
//! effective block, at least [`ConfigDelay`] blocks later; `on_initialize` of that block applies
//! it ([`Event::ChangeApplied`]). Until then [`Pallet::verifier`] (what the nodes read) returns
//! the configuration in effect. A verifier has at most one pending change: a new announcement
//! replaces it and restarts the delay; the owner may cancel it
//! ([`cancel_change`](Pallet::cancel_change)).
//!
//! What only narrows stays immediate: [`remove_jwk`](Pallet::remove_jwk) (the emergency
//! revocation of a leaked issuer key; it also takes the key out of the pending change, so a
//! pending change can never bring a revoked key back) and [`remove`](Pallet::remove). A removed
//! name may be registered again by its last owner only [`ConfigDelay`] blocks after its removal
//! ([`RetiredUntil`]), so removing and re-registering is no way around the delay. Registering a
//! new name and transferring ownership are immediate (a new verifier has no users; the new
//! owner's changes are announced like anyone's).
//!
//! The changes due at one block are listed in [`ChangesDue`], at most
//! [`Config::MaxChangesPerBlock`]; an announcement whose earliest block is full takes the next
//! block with room, looking at most [`Config::MaxScheduleSearch`] blocks, and is refused with
//! [`Error::ScheduleFull`] if none has room. Root sets the delay
//! ([`set_config_delay`](Pallet::set_config_delay)), at most [`Config::MaxConfigDelay`]; a new
//! delay applies to later announcements only.
//!
//! ## Dispatchable functions
//!
//! All but `set_config_delay` are called by a signed account; all but `register` only by the
//! verifier's owner.
//!
//! - [`register`](Pallet::register): create a verifier, holding the deposit.
//! - [`update_config`](Pallet::update_config): announce a whole new configuration.
//! - [`rotate_jwks`](Pallet::rotate_jwks): announce a new JWKS.
//! - [`add_jwk`](Pallet::add_jwk): announce one more JWKS key.
//! - [`remove_jwk`](Pallet::remove_jwk): remove one JWKS key, at once.
//! - [`transfer_ownership`](Pallet::transfer_ownership): hand the verifier to another account.
//! - [`remove`](Pallet::remove): delete the verifier, release the deposit, retire the name.
//! - [`cancel_change`](Pallet::cancel_change): drop the pending change.
//! - [`set_config_delay`](Pallet::set_config_delay) (Root): set the announcement delay.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod changes;
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
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
    traits::{CheckedAdd, One},
    ArithmeticError,
};
use torus_primitives::{
    verifier::{validate_verifier_name, InvalidVerifier},
    Jwk, JwkKeyId, Jwks, PendingChange, VerifierChange, VerifierConfig, VerifierInspect,
    VerifierName, VerifierPolicy, VerifierRecord,
};

pub use pallet::*;
pub use weights::WeightInfo;

/// The balance type of the deposit currency.
pub type BalanceOf<T> =
    <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A verifier as this pallet stores it.
pub type VerifierRecordOf<T> = VerifierRecord<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

/// An announced change as this pallet stores it.
pub type PendingChangeOf<T> = PendingChange<BlockNumberFor<T>>;

/// The announcement delay of a chain whose genesis does not set one, in blocks (unless
/// [`Config::MaxConfigDelay`] is lower).
pub const DEFAULT_CONFIG_DELAY: u32 = 100;

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

        /// The longest announcement delay Root may set, in blocks (at least 1).
        #[pallet::constant]
        type MaxConfigDelay: Get<BlockNumberFor<Self>>;

        /// The most announced changes that take effect at one block (at least 1).
        #[pallet::constant]
        type MaxChangesPerBlock: Get<u32>;

        /// The most blocks an announcement looks at, from its earliest effective block on, for
        /// one whose schedule has room (at least 1).
        #[pallet::constant]
        type MaxScheduleSearch: Get<u32>;

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

    /// For a retired name, the first block at which its last owner may register it again (its
    /// removal block plus the announcement delay).
    #[pallet::storage]
    pub type RetiredUntil<T: Config> =
        StorageMap<_, Blake2_128Concat, VerifierName, BlockNumberFor<T>, OptionQuery>;

    /// The announcement delay when nothing set it: [`DEFAULT_CONFIG_DELAY`] blocks, or
    /// [`Config::MaxConfigDelay`] if that is lower.
    #[pallet::type_value]
    pub fn DefaultConfigDelay<T: Config>() -> BlockNumberFor<T> {
        BlockNumberFor::<T>::from(DEFAULT_CONFIG_DELAY).min(T::MaxConfigDelay::get())
    }

    /// The announcement delay: a change announced in block `n` takes effect at block
    /// `n + ConfigDelay` at the earliest. Between 1 and [`Config::MaxConfigDelay`].
    #[pallet::storage]
    pub type ConfigDelay<T: Config> =
        StorageValue<_, BlockNumberFor<T>, ValueQuery, DefaultConfigDelay<T>>;

    /// The announced change of each verifier that has one, with its effective block.
    #[pallet::storage]
    pub type PendingChanges<T: Config> =
        StorageMap<_, Blake2_128Concat, VerifierName, PendingChangeOf<T>, OptionQuery>;

    /// The verifiers whose pending change takes effect at a block, in announcement order.
    #[pallet::storage]
    pub type ChangesDue<T: Config> = StorageMap<
        _,
        Twox64Concat,
        BlockNumberFor<T>,
        BoundedVec<VerifierName, T::MaxChangesPerBlock>,
        ValueQuery,
    >;

    /// The announcement delay at genesis.
    #[pallet::genesis_config]
    pub struct GenesisConfig<T: Config> {
        /// [`ConfigDelay`], in blocks: 1 to [`Config::MaxConfigDelay`].
        pub config_delay: BlockNumberFor<T>,
    }

    /// The delay defaults to [`DefaultConfigDelay`].
    impl<T: Config> Default for GenesisConfig<T> {
        fn default() -> Self {
            Self {
                config_delay: DefaultConfigDelay::<T>::get(),
            }
        }
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            if !Pallet::<T>::is_valid_delay(self.config_delay) {
                panic!(
                    "the genesis config_delay {:?} is not between 1 and MaxConfigDelay",
                    self.config_delay
                );
            }
            ConfigDelay::<T>::put(self.config_delay);
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A verifier was registered and its deposit held.
        Registered {
            name: VerifierName,
            owner: T::AccountId,
            deposit: BalanceOf<T>,
        },
        /// A change of a verifier was announced: from block `effective_at` on, the verifier
        /// has the configuration of its [`PendingChanges`] entry. It replaces the verifier's
        /// earlier pending change, if it had one.
        ChangeAnnounced {
            name: VerifierName,
            change: VerifierChange,
            effective_at: BlockNumberFor<T>,
        },
        /// A verifier's announced change took effect (at the start of this block).
        ChangeApplied {
            name: VerifierName,
            change: VerifierChange,
        },
        /// A verifier's pending change was dropped and will not take effect.
        ChangeCancelled { name: VerifierName },
        /// A key was removed from a verifier's JWKS (at once), and from its pending change.
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
        /// Root set the announcement delay of later changes to `delay` blocks.
        ConfigDelaySet { delay: BlockNumberFor<T> },
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
        /// The verifier has no pending change.
        NoPendingChange,
        /// No block within [`Config::MaxScheduleSearch`] blocks of the earliest effective block
        /// has room for another change; announce again in a later block.
        ScheduleFull,
        /// The announcement delay must be between 1 and [`Config::MaxConfigDelay`] blocks.
        InvalidConfigDelay,
        /// The name was removed less than the announcement delay ago; its last owner may
        /// register it again from block [`RetiredUntil`] on.
        ReregistrationTooEarly,
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

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        /// Applies the changes due at `now`.
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::apply_due(now)
        }

        fn integrity_test() {
            assert!(
                T::MaxConfigDelay::get() >= One::one(),
                "MaxConfigDelay must be at least one block"
            );
            assert!(
                T::MaxChangesPerBlock::get() > 0,
                "at least one change must fit a block"
            );
            assert!(
                T::MaxScheduleSearch::get() > 0,
                "an announcement must look at one block at least"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::check_invariants().map_err(Into::into)
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Register a verifier named `name` with `config`, owned by the caller. It is in effect
        /// at once.
        ///
        /// The dispatch origin must be _Signed_. Holds [`Config::VerifierDeposit`] from the
        /// caller until the verifier is removed. The name must be free and not retired by
        /// another account, nor retired by the caller less than the announcement delay ago.
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

        /// Announce `config` as the whole new configuration of the verifier `name` (its JWKS
        /// included), in effect from the block named by [`Event::ChangeAnnounced`] on.
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner. The key type cannot
        /// change. Replaces the verifier's pending change, if any.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::update_config(T::MaxScheduleSearch::get()))]
        pub fn update_config(
            origin: OriginFor<T>,
            name: VerifierName,
            config: VerifierConfig,
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            let looked = Self::do_update_config(who, name, config)?;
            Ok(Some(T::WeightInfo::update_config(looked)).into())
        }

        /// Announce `jwks` as the new JWKS of the verifier `name` (an empty set disables
        /// logins), in effect from the block named by [`Event::ChangeAnnounced`] on.
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner. Replaces the
        /// verifier's pending change, if any.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::rotate_jwks(T::MaxScheduleSearch::get()))]
        pub fn rotate_jwks(
            origin: OriginFor<T>,
            name: VerifierName,
            jwks: Jwks,
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            let looked = Self::do_rotate_jwks(who, name, jwks)?;
            Ok(Some(T::WeightInfo::rotate_jwks(looked)).into())
        }

        /// Announce the addition of `jwk` to the JWKS in effect of the verifier `name`, in
        /// effect from the block named by [`Event::ChangeAnnounced`] on.
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner. The `kid` must be new.
        /// Replaces the verifier's pending change, if any (to add several keys, announce the
        /// whole set with [`rotate_jwks`](Pallet::rotate_jwks)).
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::add_jwk(T::MaxScheduleSearch::get()))]
        pub fn add_jwk(
            origin: OriginFor<T>,
            name: VerifierName,
            jwk: Jwk,
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            let looked = Self::do_add_jwk(who, name, jwk)?;
            Ok(Some(T::WeightInfo::add_jwk(looked)).into())
        }

        /// Remove the key `kid` from the JWKS of the verifier `name` at once, and from its
        /// pending change (a pending `add_jwk` of that key is cancelled).
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner. The key must be in the
        /// JWKS in effect or in the pending change's.
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

        /// Remove the verifier `name` at once, drop its pending change, release its deposit to
        /// the depositor and retire the name (only the caller may register it again, after the
        /// announcement delay). Keys already assigned stay assigned.
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::remove())]
        pub fn remove(origin: OriginFor<T>, name: VerifierName) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_remove(who, name)
        }

        /// Drop the pending change of the verifier `name`; its configuration stays as it is.
        ///
        /// The dispatch origin must be _Signed_ by the verifier's owner.
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::cancel_change())]
        pub fn cancel_change(origin: OriginFor<T>, name: VerifierName) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::owned(&who, &name)?;
            ensure!(Self::drop_pending(&name), Error::<T>::NoPendingChange);
            Ok(())
        }

        /// Set the announcement delay of later changes to `delay` blocks (1 to
        /// [`Config::MaxConfigDelay`]); pending changes keep their effective block.
        ///
        /// The dispatch origin must be _Root_.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::set_config_delay())]
        pub fn set_config_delay(origin: OriginFor<T>, delay: BlockNumberFor<T>) -> DispatchResult {
            ensure_root(origin)?;
            ensure!(Self::is_valid_delay(delay), Error::<T>::InvalidConfigDelay);
            ConfigDelay::<T>::put(delay);
            Self::deposit_event(Event::ConfigDelaySet { delay });
            Ok(())
        }
    }
}

impl<T: Config> Pallet<T> {
    /// The verifier registered under `name`, if any, with the configuration in effect (the
    /// `VerifiersApi` answer).
    pub fn verifier(name: &[u8]) -> Option<VerifierRecordOf<T>> {
        let name = VerifierName::try_from(name.to_vec()).ok()?;
        Verifiers::<T>::get(name)
    }

    /// The change announced for the verifier `name` and not in effect yet, if any (the
    /// `VerifierChangesApi` answer).
    pub fn pending_change(name: &[u8]) -> Option<PendingChangeOf<T>> {
        let name = VerifierName::try_from(name.to_vec()).ok()?;
        PendingChanges::<T>::get(name)
    }

    /// The announcement delay in blocks.
    pub fn config_delay() -> BlockNumberFor<T> {
        ConfigDelay::<T>::get()
    }

    /// Whether `delay` is an announcement delay Root may set.
    fn is_valid_delay(delay: BlockNumberFor<T>) -> bool {
        delay >= One::one() && delay <= T::MaxConfigDelay::get()
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
            if let Some(until) = RetiredUntil::<T>::get(&name) {
                ensure!(
                    frame_system::Pallet::<T>::block_number() >= until,
                    Error::<T>::ReregistrationTooEarly
                );
            }
        }

        let deposit = T::VerifierDeposit::get();
        T::Currency::hold(&HoldReason::VerifierDeposit.into(), &who, deposit)?;
        RetiredNames::<T>::remove(&name);
        RetiredUntil::<T>::remove(&name);
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

    /// Announces `config` for `name`; the number of block schedules it looked at.
    fn do_update_config(
        who: T::AccountId,
        name: VerifierName,
        config: VerifierConfig,
    ) -> Result<u32, DispatchError> {
        config.validate().map_err(Error::<T>::from)?;
        let record = Self::owned(&who, &name)?;
        ensure!(
            record.config.key_type == config.key_type,
            Error::<T>::KeyTypeImmutable
        );
        Self::announce(name, VerifierChange::Config, config)
    }

    /// Announces `jwks` for `name`; the number of block schedules it looked at.
    fn do_rotate_jwks(
        who: T::AccountId,
        name: VerifierName,
        jwks: Jwks,
    ) -> Result<u32, DispatchError> {
        ensure!(jwks.iter().all(Jwk::is_well_formed), Error::<T>::InvalidJwk);
        ensure!(
            !torus_primitives::verifier::has_duplicate_kid(&jwks),
            Error::<T>::DuplicateKid
        );
        let mut config = Self::owned(&who, &name)?.config;
        config.jwks = jwks;
        Self::announce(name, VerifierChange::Jwks, config)
    }

    /// Announces `jwk` added to the JWKS in effect of `name`; the number of block schedules it
    /// looked at.
    fn do_add_jwk(who: T::AccountId, name: VerifierName, jwk: Jwk) -> Result<u32, DispatchError> {
        ensure!(jwk.is_well_formed(), Error::<T>::InvalidJwk);
        let mut config = Self::owned(&who, &name)?.config;
        ensure!(
            !config.jwks.iter().any(|key| key.kid == jwk.kid),
            Error::<T>::DuplicateKid
        );
        let kid = jwk.kid.clone();
        config
            .jwks
            .try_push(jwk)
            .map_err(|_| Error::<T>::TooManyJwks)?;
        Self::announce(name, VerifierChange::AddJwk(kid), config)
    }

    fn do_remove_jwk(who: T::AccountId, name: VerifierName, kid: JwkKeyId) -> DispatchResult {
        let mut record = Self::owned(&who, &name)?;
        let from_effective = remove_key(&mut record.config.jwks, &kid);
        let from_pending = match PendingChanges::<T>::get(&name) {
            // Without that key the pending change adds nothing: it goes.
            Some(pending) if pending.change == VerifierChange::AddJwk(kid.clone()) => {
                Self::drop_pending(&name)
            }
            Some(mut pending) => {
                let removed = remove_key(&mut pending.config.jwks, &kid);
                if removed {
                    PendingChanges::<T>::insert(&name, pending);
                }
                removed
            }
            None => false,
        };
        ensure!(from_effective || from_pending, Error::<T>::JwkNotFound);
        if from_effective {
            Verifiers::<T>::insert(&name, record);
        }
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
        let until = frame_system::Pallet::<T>::block_number()
            .checked_add(&ConfigDelay::<T>::get())
            .ok_or(ArithmeticError::Overflow)?;
        let released = T::Currency::release(
            &HoldReason::VerifierDeposit.into(),
            &record.depositor,
            record.deposit,
            Precision::BestEffort,
        )?;
        Self::drop_pending(&name);
        Verifiers::<T>::remove(&name);
        RetiredNames::<T>::insert(&name, &who);
        RetiredUntil::<T>::insert(&name, until);
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

/// Removes the key `kid` from `jwks`; whether it was there.
fn remove_key(jwks: &mut Jwks, kid: &JwkKeyId) -> bool {
    match jwks.iter().position(|key| &key.kid == kid) {
        Some(position) => {
            jwks.remove(position);
            true
        }
        None => false,
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
