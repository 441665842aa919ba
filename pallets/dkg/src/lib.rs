//! # DKG pallet
//!
//! The validators of the current session jointly generate the keys of the key buffer, in
//! batches, with the batched joint-Feldman DKG of `torus-crypto`, and hand every key over by
//! verifiable resharing whenever the committee changes (and, as a proactive refresh, at a
//! regular interval when it does not). The chain is the broadcast channel (every message is in
//! a block) and the judge (it checks dealings, decides complaints and computes the qualified
//! set, so that every honest node agrees on the result).
//!
//! The code is split as FRAME pallets are: `types.rs` (stored types), `messages.rs` (the
//! unsigned messages: validity and dispatch), `batches.rs` (a batch's life in `on_initialize`,
//! fresh or handover), `epochs.rs` (committees, epochs, key ranges and which handover is next;
//! the session handler), `nodes.rs` (published endpoints, lost-share reports, stake kept for
//! handovers) and `reading.rs` (what the runtime API reads).
//!
//! - [`Config`]
//! - [`Call`]
//! - [`Event`], [`Error`]
//!
//! ## The committee
//!
//! The pallet is a session handler ([`OneSessionHandler`]) whose key is the validators' DKG
//! session key ([`DkgId`], secp256k1, key type `tdkg`): at genesis and at every new session it
//! stores the session's validators with their DKG keys in [`Committee`] (at most
//! [`Config::MaxCommittee`]; a key that is not a valid curve point is left out, with a log).
//! Shares are encrypted to the DKG key (ECIES) and every message is signed with it.
//!
//! ## Epochs and handovers
//!
//! An **epoch** ([`Epochs`], [`CurrentEpoch`]) is a committee that holds keys. Epoch 0 is the
//! genesis session's committee; a new epoch starts at a session whose validators differ from
//! the current epoch's members, and — once every key range is held by the current epoch — when
//! `refresh_interval` blocks have passed since it started (the same members: a proactive
//! refresh). Each completed fresh batch is a **key range** ([`Ranges`]): its keys and the epoch
//! that holds them. While a range is held by an older epoch, a **handover** batch reshares it
//! (`torus_crypto::dkg::SessionKind::Reshare`): the holding epoch's members deal sub-shares of
//! their shares with commitments, the current epoch's members verify and complain as in a fresh
//! batch, the runtime judges, and once at least the old threshold of dealers qualify and the
//! new threshold of members confirmed (they hold their new shares) the range's
//! new group commitments are computed from their dealings and recorded in [`KeyCommitments`]
//! (the constant term, the public key, is the old one by construction and checked again), and
//! the range's holder becomes the current epoch. Until then the old holders keep serving; a
//! handover that fails leaves the range where it was and is tried again. Handovers go before
//! fresh batches. A member that lost its shares deals nothing and receives new shares in the
//! next handover of each range: share recovery is a handover to the same committee. The member
//! reports the loss ([`Pallet::report_lost_shares`], kept in [`LostShares`]): clients are told
//! it holds nothing, and a handover of every range to the same committee starts soon after.
//!
//! ## The members as clients see them
//!
//! Each member publishes the URL of its Torus API ([`Pallet::set_endpoint`], kept in
//! [`Endpoints`]); [`Pallet::nodes`] lists an epoch's members with their endpoints and lost
//! reports. [`Pallet::keeps_stake`] tells the runtime which validators must keep their stake
//! bonded: the members of an epoch that still holds keys the current one takes over.
//!
//! ## One batch
//!
//! 1. **Start** (in `on_initialize`, up to four new batches per block): when the committee is not
//!    empty, fewer than `max_concurrent_batches` batches run and the buffer plus the keys of the
//!    running batches are fewer than `target_buffer`, batch [`NextBatch`] starts with a snapshot
//!    of the committee (`n` members, threshold `t = ⌊n/2⌋ + 1`). Its size is the smallest of
//!    the parameters' `batch_size`, the key buffer's `max_batch_size` and the largest size whose
//!    SCALE-encoded dealing fits [`Config::MaxDealingLen`]. Its session id is the BLAKE2-256 of
//!    `SCALE((b"torus-dkg/batch", batch, parent_hash))`. Event [`Event::BatchStarted`].
//! 2. **Dealing**: every member posts one dealing ([`Pallet::submit_dealing`]); the chain runs
//!    the public checks of `torus_crypto::dkg::check_dealing`. A malformed dealing disqualifies
//!    its dealer ([`Fault::MalformedDealing`]) and stays in its block as evidence. The phase
//!    ends with the last member's dealing (in that block, if `t` or more were accepted) or
//!    after its deadline. With fewer than `t` accepted dealings the batch is abandoned.
//! 3. **Verifying**: every member decrypts and checks its shares, posts a complaint against each
//!    dealer that gave it a bad share ([`Pallet::submit_complaint`]; the chain judges it with
//!    `verify_complaint` and disqualifies the dealer or the complainer), then confirms
//!    ([`Pallet::confirm`]). The phase ends when every qualified dealer has confirmed or after
//!    its deadline.
//! 4. **Finish** (in `on_initialize`, oldest first, as many per block as fit 50 % of its weight,
//!    at least one): the qualified set is every member with an accepted dealing that is not
//!    disqualified. With at least `t`
//!    of them the group commitments of the batch's keys are computed from their dealings; the
//!    keys (public key = constant term) go to the buffer ([`Config::KeyBuffer`]) and each key's
//!    group commitment is stored in [`KeyCommitments`]. Otherwise the batch is abandoned. Either
//!    way the [`Results`] record the qualified, disqualified and absent members, and
//!    [`Absences`] counts, per account, the batches it did not deal in.
//! 5. **Pruning**: the dealings of a finished batch stay readable for
//!    [`Config::DealingRetention`] blocks (a keyholder node that restarts recomputes its shares
//!    from them), then `on_initialize` removes them (one batch per block).
//!
//! ## Messages are unsigned transactions
//!
//! Dealings, complaints and confirmations are unsigned transactions (members pay no fee),
//! validated by [`ValidateUnsigned`](sp_runtime::traits::ValidateUnsigned): only a member of the
//! batch can sign one (with its DKG key, over
//! [`signing_payload`](torus_primitives::dkg::signing_payload), which names the chain's genesis
//! hash ([`Pallet::genesis_hash`]) and the batch's session id, so that a message signed on
//! another chain or on a fork where the batch started elsewhere is refused even though the
//! validators' keys are the same), and only one of each kind per
//! (batch, member[, accused dealer]) is accepted (`provides` tags), in the right phase, until
//! its deadline. The signature is checked in the validity check, which the block executes
//! again before dispatch; the dispatch re-checks the state.
//!
//! ## Public functions for the node
//!
//! [`Pallet::active_batches`], [`Pallet::dealings`], [`Pallet::batch_result`],
//! [`Pallet::key_commitments`], [`Pallet::params`], [`Pallet::current_epoch`],
//! [`Pallet::epoch_info`], [`Pallet::holding_epochs`], [`Pallet::key_range`], [`Pallet::nodes`]
//! and [`Pallet::endpoint`] answer [`DkgApi`](torus_primitives::DkgApi).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(any(test, feature = "runtime-benchmarks"))]
mod testing;
#[cfg(test)]
mod tests;
pub mod weights;

mod batches;
mod epochs;
mod messages;
mod nodes;
mod reading;
mod types;

pub use epochs::CommitteeKeys;
pub use types::*;

use frame_support::pallet_prelude::Weight;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::transaction_validity::TransactionPriority;
use torus_crypto::ecies::EncryptionPublicKey;
use torus_primitives::{
    dkg::{DkgId, DkgParams, DkgSignature, EpochId, KeyRange, MemberIndex, MAX_ENDPOINT_LEN},
    BatchId, KeyBuffer, KeyId,
};

pub use pallet::*;
pub use weights::WeightInfo;

/// The log target of this pallet.
const LOG_TARGET: &str = "runtime::dkg";

/// Maximum length in bytes of a complaint's wire bytes (a SCALE `ComplaintMessage` is 137).
pub const MAX_COMPLAINT_LEN: u32 = 256;

/// The bound of a complaint's wire bytes.
pub type MaxComplaintLen = frame_support::traits::ConstU32<MAX_COMPLAINT_LEN>;

/// A published Torus API URL.
pub type EndpointOf =
    frame_support::BoundedVec<u8, frame_support::traits::ConstU32<MAX_ENDPOINT_LEN>>;

// `ValidateUnsigned` is deprecated in favour of `#[pallet::authorize]` (which needs
// `frame_system::AuthorizeCall` in the runtime's transaction extensions); see the README.
// The deprecation check that the macro expands for `validate_unsigned` is a unit `let`.
#[allow(deprecated, clippy::let_unit_value)]
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
        /// The key buffer that finished batches fill (implemented by `pallet-keys`).
        type KeyBuffer: KeyBuffer;

        /// The maximum number of committee members (validators with a DKG key); at most
        /// `u16::MAX`.
        #[pallet::constant]
        type MaxCommittee: Get<u32>;

        /// The maximum length in bytes of a dealing's wire bytes; it caps the batch size.
        #[pallet::constant]
        type MaxDealingLen: Get<u32>;

        /// The maximum number of batches running at once (bounds `max_concurrent_batches`).
        #[pallet::constant]
        type MaxConcurrentBatches: Get<u32>;

        /// Blocks for which a finished batch's dealings stay in state.
        #[pallet::constant]
        type DealingRetention: Get<BlockNumberFor<Self>>;

        /// The priority of the DKG's unsigned transactions.
        #[pallet::constant]
        type UnsignedPriority: Get<TransactionPriority>;

        /// Weight information for the calls and hooks of this pallet.
        type WeightInfo: WeightInfo;
    }

    /// The parameters used when nothing was set: no batch starts (`target_buffer` 0).
    #[pallet::type_value]
    pub fn DefaultParams<T: Config>() -> DkgParams<BlockNumberFor<T>> {
        DkgParams {
            target_buffer: 0,
            batch_size: 1,
            max_concurrent_batches: 1,
            deal_timeout: 10u32.into(),
            verify_timeout: 10u32.into(),
            refresh_interval: 0u32.into(),
        }
    }

    /// The DKG's tunable parameters.
    #[pallet::storage]
    pub type Params<T: Config> =
        StorageValue<_, DkgParams<BlockNumberFor<T>>, ValueQuery, DefaultParams<T>>;

    /// The current session's validators with their DKG keys: the committee of new batches.
    #[pallet::storage]
    pub type Committee<T: Config> = StorageValue<_, MembersOf<T>, ValueQuery>;

    /// The id of the next batch.
    #[pallet::storage]
    pub type NextBatch<T: Config> = StorageValue<_, BatchId, ValueQuery>;

    /// The running batches, oldest first.
    #[pallet::storage]
    pub type RunningBatches<T: Config> =
        StorageValue<_, BoundedVec<BatchId, T::MaxConcurrentBatches>, ValueQuery>;

    /// The state of each running batch.
    #[pallet::storage]
    pub type ActiveBatches<T: Config> =
        StorageMap<_, Twox64Concat, BatchId, BatchState<T>, OptionQuery>;

    /// The accepted dealings (wire bytes) of running and recently finished batches, by dealer.
    #[pallet::storage]
    pub type Dealings<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        BatchId,
        Twox64Concat,
        MemberIndex,
        BoundedVec<u8, T::MaxDealingLen>,
        OptionQuery,
    >;

    /// How each finished batch ended.
    #[pallet::storage]
    pub type Results<T: Config> =
        StorageMap<_, Twox64Concat, BatchId, FinishedBatch<T>, OptionQuery>;

    /// The group Feldman commitment of each generated key's current sharing (compressed
    /// points, constant term first); a handover replaces it, never its constant term.
    #[pallet::storage]
    pub type KeyCommitments<T: Config> =
        StorageMap<_, Twox64Concat, KeyId, BoundedVec<[u8; 33], T::MaxCommittee>, OptionQuery>;

    /// The dealings to remove: queue position → (block from which to remove, batch, number of
    /// its stored dealings).
    #[pallet::storage]
    pub type PruneQueue<T: Config> =
        StorageMap<_, Twox64Concat, u64, (BlockNumberFor<T>, BatchId, u32), OptionQuery>;

    /// The occupied positions of [`PruneQueue`]: `head..tail`.
    #[pallet::storage]
    pub type PruneQueueRange<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

    /// The newest epoch: the committee that new batches and handovers give keys to.
    #[pallet::storage]
    pub type CurrentEpoch<T: Config> = StorageValue<_, EpochId, ValueQuery>;

    /// The committees of the current epoch and of the epochs that still hold keys (an epoch is
    /// removed once it holds none and no batch gives it any).
    #[pallet::storage]
    pub type Epochs<T: Config> = StorageMap<_, Twox64Concat, EpochId, EpochRecord<T>, OptionQuery>;

    /// The number of key ranges each epoch holds (no entry for none).
    #[pallet::storage]
    pub type EpochRanges<T: Config> = StorageMap<_, Twox64Concat, EpochId, u32, OptionQuery>;

    /// The key ranges (completed fresh batches, by batch id) and the epoch that holds each.
    #[pallet::storage]
    pub type Ranges<T: Config> = StorageMap<_, Twox64Concat, BatchId, KeyRange, OptionQuery>;

    /// The number of key ranges.
    #[pallet::storage]
    pub type RangeCount<T: Config> = StorageValue<_, u32, ValueQuery>;

    /// The number of key ranges held by an epoch other than the current one.
    #[pallet::storage]
    pub type StaleRanges<T: Config> = StorageValue<_, u32, ValueQuery>;

    /// Every range below this batch id is held by the current epoch or being handed over.
    #[pallet::storage]
    pub type HandoverCursor<T: Config> = StorageValue<_, BatchId, ValueQuery>;

    /// The running handover batch of each range being handed over.
    #[pallet::storage]
    pub type HandingOver<T: Config> = StorageMap<_, Twox64Concat, BatchId, BatchId, OptionQuery>;

    /// The Torus API URL each member's DKG key published, with the update's sequence number.
    #[pallet::storage]
    pub type Endpoints<T: Config> =
        StorageMap<_, Blake2_128Concat, DkgId, EndpointRecord, OptionQuery>;

    /// The members of each epoch that reported they lost their shares of its keys, with the
    /// block of the report.
    #[pallet::storage]
    pub type LostShares<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochId,
        Twox64Concat,
        MemberIndex,
        BlockNumberFor<T>,
        OptionQuery,
    >;

    /// The number of finished batches in which each account was a member and posted no dealing.
    #[pallet::storage]
    pub type Absences<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

    #[pallet::genesis_config]
    pub struct GenesisConfig<T: Config> {
        /// [`DkgParams::target_buffer`] (the fields of `DkgParams`, which has no serde form).
        pub target_buffer: u64,
        /// [`DkgParams::batch_size`].
        pub batch_size: u32,
        /// [`DkgParams::max_concurrent_batches`].
        pub max_concurrent_batches: u32,
        /// [`DkgParams::deal_timeout`].
        pub deal_timeout: BlockNumberFor<T>,
        /// [`DkgParams::verify_timeout`].
        pub verify_timeout: BlockNumberFor<T>,
        /// [`DkgParams::refresh_interval`].
        pub refresh_interval: BlockNumberFor<T>,
    }

    /// The genesis parameters default to [`DefaultParams`] (no batch starts).
    impl<T: Config> Default for GenesisConfig<T> {
        fn default() -> Self {
            let params = DefaultParams::<T>::get();
            Self {
                target_buffer: params.target_buffer,
                batch_size: params.batch_size,
                max_concurrent_batches: params.max_concurrent_batches,
                deal_timeout: params.deal_timeout,
                verify_timeout: params.verify_timeout,
                refresh_interval: params.refresh_interval,
            }
        }
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            let params = DkgParams {
                target_buffer: self.target_buffer,
                batch_size: self.batch_size,
                max_concurrent_batches: self.max_concurrent_batches,
                deal_timeout: self.deal_timeout,
                verify_timeout: self.verify_timeout,
                refresh_interval: self.refresh_interval,
            };
            if let Err(e) = Pallet::<T>::check_params(&params) {
                panic!("invalid genesis DKG parameters: {:?}", e);
            }
            Params::<T>::put(params);
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A batch of `batch_size` keys started with `members` members and threshold
        /// `threshold`.
        BatchStarted {
            batch: BatchId,
            batch_size: u32,
            members: u32,
            threshold: u16,
        },
        /// A member's dealing passed the public checks and was stored.
        DealingAccepted { batch: BatchId, dealer: MemberIndex },
        /// A member's dealing failed the public checks; the member is disqualified.
        DealingRejected { batch: BatchId, dealer: MemberIndex },
        /// A complaint was upheld: the dealer is disqualified.
        ComplaintUpheld {
            batch: BatchId,
            complainer: MemberIndex,
            dealer: MemberIndex,
        },
        /// A complaint was false or malformed: the complainer is disqualified.
        ComplaintRejected {
            batch: BatchId,
            complainer: MemberIndex,
            dealer: MemberIndex,
        },
        /// A member confirmed that it verified its shares.
        Confirmed { batch: BatchId, member: MemberIndex },
        /// A batch's keys entered the buffer with ids `first_key..first_key + key_count` (or, for
        /// a handover, were reshared: see [`Event::HandoverCompleted`]).
        BatchCompleted {
            batch: BatchId,
            first_key: KeyId,
            key_count: u32,
        },
        /// A batch ended without keys.
        BatchAbandoned { batch: BatchId },
        /// Epoch `epoch` started with `members` members and threshold `threshold`: the
        /// session's validators changed, or (`refresh`) the keys are due for a refresh.
        EpochStarted {
            epoch: EpochId,
            members: u32,
            threshold: u16,
            refresh: bool,
        },
        /// Batch `batch` started handing key range `range` (`key_count` keys) over from epoch
        /// `from` to epoch `to`.
        HandoverStarted {
            batch: BatchId,
            range: BatchId,
            from: EpochId,
            to: EpochId,
            key_count: u32,
        },
        /// Key range `range` is held by epoch `to` now (batch `batch` completed); the members
        /// of epoch `from` must erase their shares of it.
        HandoverCompleted {
            batch: BatchId,
            range: BatchId,
            from: EpochId,
            to: EpochId,
        },
        /// The member with DKG key `member` published `endpoint` as its Torus API.
        EndpointSet { member: DkgId, endpoint: EndpointOf },
        /// Member `member` of epoch `epoch` lost its shares of the epoch's keys: it serves none
        /// until a handover (started soon: share recovery) gives it new ones.
        SharesLost { epoch: EpochId, member: MemberIndex },
        /// The parameters were set.
        ParamsSet {
            params: DkgParams<BlockNumberFor<T>>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// No batch with this id is running.
        UnknownBatch,
        /// The batch is not in the phase this message belongs to, or the phase's deadline
        /// passed.
        WrongPhase,
        /// The member index is not in `1..=n` for the batch (a dealer's among the dealers).
        UnknownMember,
        /// The member already posted its dealing.
        AlreadyDealt,
        /// The member already confirmed.
        AlreadyConfirmed,
        /// The member already complained against this dealer.
        AlreadyComplained,
        /// The sending member is disqualified from the batch.
        Disqualified,
        /// The accused dealer is already disqualified.
        AccusedDisqualified,
        /// The accused dealer has no accepted dealing.
        NoDealing,
        /// A member cannot complain against its own dealing.
        OwnDealing,
        /// The signature is not the member's over the message (only in the validity check).
        BadSignature,
        /// The batch's committee does not give a DKG configuration (a bug).
        InvalidCommittee,
        /// A bounded list of the batch is full (a bug).
        TooManyEntries,
        /// `batch_size` is 0.
        ZeroBatchSize,
        /// `max_concurrent_batches` is not in `1..=MaxConcurrentBatches`.
        InvalidConcurrency,
        /// A timeout is 0.
        ZeroTimeout,
        /// The endpoint is not an `http://` or `https://` URL of printable ASCII.
        InvalidEndpoint,
        /// The key is not a DKG key of the committee or of an epoch's member.
        NotAMember,
        /// The sequence number is not one more than the last published (0 for the first).
        StaleSequence,
        /// No epoch with this id is recorded.
        UnknownEpoch,
        /// The member already reported its shares of this epoch lost.
        AlreadyReported,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::run_batches(now)
        }

        fn integrity_test() {
            assert!(
                (1..=u32::from(u16::MAX)).contains(&T::MaxCommittee::get()),
                "MaxCommittee must be in 1..=u16::MAX"
            );
            assert!(
                T::MaxConcurrentBatches::get() > 0,
                "at least one batch must be able to run"
            );
            assert!(T::MaxDealingLen::get() > 0, "a dealing must fit");
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::check_invariants().map_err(Into::into)
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Post member `dealer`'s dealing for `batch` (SCALE `DealingMessage`), signed with its
        /// DKG key over `signing_payload(genesis_hash, session_id, batch, dealer, Dealing,
        /// dealing)`.
        ///
        /// The dispatch origin must be _None_ (an unsigned transaction checked by
        /// `validate_unsigned`). A dealing that fails the public checks disqualifies the dealer
        /// and the call still succeeds. The batch's last dealing ends its Dealing phase if
        /// enough were accepted.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::submit_dealing(T::MaxCommittee::get(), Pallet::<T>::worst_batch_size())
            .saturating_add(T::WeightInfo::end_dealing(T::MaxCommittee::get()))
            .saturating_add(T::DbWeight::get().reads(1)))]
        pub fn submit_dealing(
            origin: OriginFor<T>,
            batch: BatchId,
            dealer: MemberIndex,
            dealing: BoundedVec<u8, T::MaxDealingLen>,
            signature: DkgSignature,
        ) -> DispatchResultWithPostInfo {
            ensure_none(origin)?;
            let _ = signature;
            Self::do_submit_dealing(batch, dealer, dealing)
        }

        /// Post member `complainer`'s complaint against `dealer`'s dealing in `batch` (SCALE
        /// `ComplaintMessage`, which must name `dealer`), signed over
        /// `signing_payload(genesis_hash, session_id, batch, complainer, Complaint, complaint)`.
        ///
        /// The dispatch origin must be _None_. The chain judges the complaint: the dealer or the
        /// complainer is disqualified; the call succeeds either way.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::submit_complaint(T::MaxCommittee::get(), Pallet::<T>::worst_batch_size()))]
        pub fn submit_complaint(
            origin: OriginFor<T>,
            batch: BatchId,
            complainer: MemberIndex,
            dealer: MemberIndex,
            complaint: BoundedVec<u8, MaxComplaintLen>,
            signature: DkgSignature,
        ) -> DispatchResultWithPostInfo {
            ensure_none(origin)?;
            let _ = signature;
            Self::do_submit_complaint(batch, complainer, dealer, complaint)
        }

        /// Member `member` confirms that it verified its shares of `batch` (and posted its
        /// complaints), signed over
        /// `signing_payload(genesis_hash, session_id, batch, member, Confirmation, [])`.
        ///
        /// The dispatch origin must be _None_.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::confirm(T::MaxCommittee::get()))]
        pub fn confirm(
            origin: OriginFor<T>,
            batch: BatchId,
            member: MemberIndex,
            signature: DkgSignature,
        ) -> DispatchResultWithPostInfo {
            ensure_none(origin)?;
            let _ = signature;
            Self::do_confirm(batch, member)
        }

        /// Set the DKG's parameters (they apply to batches that start later).
        ///
        /// The dispatch origin must be _Root_.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(
            origin: OriginFor<T>,
            params: DkgParams<BlockNumberFor<T>>,
        ) -> DispatchResult {
            ensure_root(origin)?;
            Self::check_params(&params)?;
            Params::<T>::put(params);
            Self::deposit_event(Event::ParamsSet { params });
            Ok(())
        }

        /// Publish `endpoint` as the Torus API URL of the member with DKG key `member`, signed
        /// by that key over `endpoint_payload(genesis_hash, member, endpoint, sequence)`;
        /// `sequence` is one more than the last update's (0 for the first). The key must be in
        /// the session's committee or an epoch's.
        ///
        /// The dispatch origin must be _None_ (the node publishes its own endpoint).
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::set_endpoint(T::MaxCommittee::get()))]
        pub fn set_endpoint(
            origin: OriginFor<T>,
            member: DkgId,
            endpoint: EndpointOf,
            sequence: u32,
            signature: DkgSignature,
        ) -> DispatchResultWithPostInfo {
            ensure_none(origin)?;
            let _ = signature;
            Self::do_set_endpoint(member, endpoint, sequence)?;
            Ok(Pays::No.into())
        }

        /// Member `member` of epoch `epoch` reports that it lost its shares of the epoch's
        /// keys, signed by its DKG key over `lost_shares_payload(genesis_hash, epoch, member)`.
        /// Clients are no longer sent to it, and if `epoch` is the current epoch a handover of
        /// every key to the same committee starts soon (share recovery).
        ///
        /// The dispatch origin must be _None_.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::report_lost_shares(T::MaxCommittee::get()))]
        pub fn report_lost_shares(
            origin: OriginFor<T>,
            epoch: EpochId,
            member: MemberIndex,
            signature: DkgSignature,
        ) -> DispatchResultWithPostInfo {
            ensure_none(origin)?;
            let _ = signature;
            Self::do_report_lost_shares(epoch, member)?;
            Ok(Pays::No.into())
        }
    }

    #[pallet::validate_unsigned]
    impl<T: Config> ValidateUnsigned for Pallet<T> {
        type Call = Call<T>;

        fn validate_unsigned(_source: TransactionSource, call: &Self::Call) -> TransactionValidity {
            let (batch, member, message, body, signature): (_, _, _, &[u8], _) = match call {
                Call::submit_dealing {
                    batch,
                    dealer,
                    dealing,
                    signature,
                } => (*batch, *dealer, Message::Dealing, dealing, signature),
                Call::submit_complaint {
                    batch,
                    complainer,
                    dealer,
                    complaint,
                    signature,
                } => (
                    *batch,
                    *complainer,
                    Message::Complaint { dealer: *dealer },
                    complaint,
                    signature,
                ),
                Call::confirm {
                    batch,
                    member,
                    signature,
                } => (*batch, *member, Message::Confirmation, &[], signature),
                Call::set_endpoint {
                    member,
                    endpoint,
                    sequence,
                    signature,
                } => return Self::validate_endpoint(member, endpoint, *sequence, signature),
                Call::report_lost_shares {
                    epoch,
                    member,
                    signature,
                } => return Self::validate_lost_shares(*epoch, *member, signature),
                _ => return InvalidTransaction::Call.into(),
            };
            Self::validate_message(batch, member, message, body, signature)
        }
    }
}

/// The ECIES key of a DKG key (`None` if it is not a valid curve point).
pub fn encryption_key(key: &DkgId) -> Option<EncryptionPublicKey> {
    EncryptionPublicKey::from_bytes(key.as_ref()).ok()
}
