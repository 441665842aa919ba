//! # DKG pallet
//!
//! The validators of the current session jointly generate the keys of the key buffer, in
//! batches, with the batched joint-Feldman DKG of `torus-crypto`. The chain is the broadcast
//! channel (every message is in a block) and the judge (it checks dealings, decides complaints
//! and computes the qualified set, so that every honest node agrees on the result).
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
//! ## One batch
//!
//! 1. **Start** (in `on_initialize`, at most one new batch per block): when the committee is not
//!    empty, fewer than `max_concurrent_batches` batches run and the buffer plus the keys of the
//!    running batches are fewer than `target_buffer`, batch [`NextBatch`] starts with a snapshot
//!    of the committee (`n` members, threshold `t = ⌊n/2⌋ + 1`). Its size is the smallest of
//!    the parameters' `batch_size`, the key buffer's `max_batch_size` and the largest size whose
//!    SCALE-encoded dealing fits [`Config::MaxDealingLen`]. Its session id is the BLAKE2-256 of
//!    `SCALE((b"torus-dkg/batch", batch, parent_hash))`. Event [`Event::BatchStarted`].
//! 2. **Dealing**: every member posts one dealing ([`Pallet::submit_dealing`]); the chain runs
//!    the public checks of `torus_crypto::dkg::check_dealing`. A malformed dealing disqualifies
//!    its dealer ([`Fault::MalformedDealing`]) and stays in its block as evidence. The phase
//!    ends when every member has dealt or after its deadline. With fewer than `t` accepted
//!    dealings the batch is abandoned.
//! 3. **Verifying**: every member decrypts and checks its shares, posts a complaint against each
//!    dealer that gave it a bad share ([`Pallet::submit_complaint`]; the chain judges it with
//!    `verify_complaint` and disqualifies the dealer or the complainer), then confirms
//!    ([`Pallet::confirm`]). The phase ends when every qualified dealer has confirmed or after
//!    its deadline.
//! 4. **Finish** (in `on_initialize`, at most one batch per block, oldest first): the qualified
//!    set is every member with an accepted dealing that is not disqualified. With at least `t`
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
//! [`Pallet::key_commitments`] and [`Pallet::params`] answer
//! [`DkgApi`](torus_primitives::DkgApi).

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

use alloc::vec::Vec;
use codec::{Compact, CompactLen, Decode, Encode, MaxEncodedLen};
use frame_support::{
    dispatch::{DispatchResultWithPostInfo, Pays, PostDispatchInfo},
    ensure,
    pallet_prelude::{BoundedVec, Get, Weight},
    traits::OneSessionHandler,
    CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::{
    traits::{Saturating, UniqueSaturatedInto, Zero},
    transaction_validity::{
        InvalidTransaction, TransactionPriority, TransactionValidity, ValidTransaction,
    },
    RuntimeAppPublic,
};
use torus_crypto::{
    dkg::{self as crypto_dkg, ComplaintVerdict, SessionConfig, SessionKind},
    ecies::EncryptionPublicKey,
};
use torus_primitives::{
    dkg::{
        commitments_hash, signing_payload, threshold_for, ActiveBatch, BatchInfo, BatchOutcome,
        BatchPhase, BatchResult, ComplaintMessage, DealingMessage, DkgId, DkgParams, DkgSignature,
        Fault, MemberIndex, MessageKind,
    },
    BatchId, GeneratedKey, KeyBuffer, KeyId, PublicKey,
};

pub use pallet::*;
pub use weights::WeightInfo;

/// The log target of this pallet.
const LOG_TARGET: &str = "runtime::dkg";

/// Maximum length in bytes of a complaint's wire bytes (a SCALE `ComplaintMessage` is 137).
pub const MAX_COMPLAINT_LEN: u32 = 256;

/// The bound of a complaint's wire bytes.
pub type MaxComplaintLen = frame_support::traits::ConstU32<MAX_COMPLAINT_LEN>;

/// The members of a committee: each member's account and DKG key; member `i` is entry `i − 1`.
pub type MembersOf<T> =
    BoundedVec<(<T as frame_system::Config>::AccountId, DkgId), <T as Config>::MaxCommittee>;

/// A list of member indexes, at most one per member.
pub type MemberListOf<T> = BoundedVec<MemberIndex, <T as Config>::MaxCommittee>;

/// The disqualified members of a batch, with the reason.
pub type FaultListOf<T> = BoundedVec<(MemberIndex, Fault), <T as Config>::MaxCommittee>;

/// The parameters of a batch, fixed when it starts.
#[derive(
    Encode, Decode, TypeInfo, MaxEncodedLen, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct BatchSetup<T: Config> {
    /// The committee snapshot: member `i` is `members[i − 1]`.
    pub members: MembersOf<T>,
    /// Binds every proof of the batch to it.
    pub session_id: [u8; 32],
    /// The number of keys.
    pub batch_size: u32,
    /// Shares needed to reconstruct a key: ⌊n/2⌋ + 1.
    pub threshold: u16,
    /// The block the batch started in.
    pub started_at: BlockNumberFor<T>,
}

impl<T: Config> BatchSetup<T> {
    /// The number of members `n`.
    pub fn size(&self) -> u32 {
        self.members.len() as u32
    }

    /// The DKG key of member `member` (1-based).
    pub fn key(&self, member: MemberIndex) -> Option<&DkgId> {
        usize::from(member)
            .checked_sub(1)
            .and_then(|i| self.members.get(i))
            .map(|(_, key)| key)
    }

    /// The public form of the parameters.
    pub fn info(&self, batch: BatchId) -> BatchInfo<BlockNumberFor<T>> {
        BatchInfo {
            batch,
            session_id: self.session_id,
            batch_size: self.batch_size,
            threshold: self.threshold,
            members: self.members.iter().map(|(_, key)| key.clone()).collect(),
            started_at: self.started_at,
        }
    }
}

/// A running batch.
#[derive(
    Encode, Decode, TypeInfo, MaxEncodedLen, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct BatchState<T: Config> {
    /// The batch's parameters.
    pub setup: BatchSetup<T>,
    /// The current phase.
    pub phase: BatchPhase<BlockNumberFor<T>>,
    /// Members whose dealing was accepted, ascending.
    pub dealt: MemberListOf<T>,
    /// Members that confirmed, ascending.
    pub confirmed: MemberListOf<T>,
    /// Members disqualified so far, in the order it happened.
    pub disqualified: FaultListOf<T>,
    /// The judged complaints as (complainer, dealer). Each one disqualified one of the two, so
    /// there are at most `n`.
    pub complaints: BoundedVec<(MemberIndex, MemberIndex), T::MaxCommittee>,
}

impl<T: Config> BatchState<T> {
    /// Whether `member` is disqualified.
    pub fn is_disqualified(&self, member: MemberIndex) -> bool {
        self.disqualified.iter().any(|(m, _)| *m == member)
    }

    /// Whether every member has dealt (accepted or rejected).
    fn all_dealt(&self) -> bool {
        let rejected = self
            .disqualified
            .iter()
            .filter(|(_, f)| *f == Fault::MalformedDealing)
            .count();
        self.dealt.len() + rejected >= self.setup.members.len()
    }

    /// Accepted dealers that are not disqualified, ascending.
    pub fn qualified(&self) -> Vec<MemberIndex> {
        self.dealt
            .iter()
            .copied()
            .filter(|m| !self.is_disqualified(*m))
            .collect()
    }

    /// Whether every qualified dealer has confirmed.
    fn all_confirmed(&self) -> bool {
        self.qualified()
            .iter()
            .all(|m| self.confirmed.binary_search(m).is_ok())
    }

    /// Members that posted no dealing at all (neither accepted nor rejected).
    fn absent(&self) -> Vec<MemberIndex> {
        (1..=self.setup.members.len() as MemberIndex)
            .filter(|m| {
                self.dealt.binary_search(m).is_err()
                    && !self
                        .disqualified
                        .iter()
                        .any(|(d, f)| d == m && *f == Fault::MalformedDealing)
            })
            .collect()
    }

    fn disqualify(&mut self, member: MemberIndex, fault: Fault) -> Result<(), Error<T>> {
        self.disqualified
            .try_push((member, fault))
            .map_err(|_| Error::<T>::TooManyEntries)
    }
}

/// What the chain keeps about a finished batch.
#[derive(
    Encode, Decode, TypeInfo, MaxEncodedLen, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct FinishedBatch<T: Config> {
    /// The batch's parameters.
    pub setup: BatchSetup<T>,
    /// How it ended.
    pub outcome: BatchOutcome,
    /// The dealers whose dealings make the keys, ascending (empty if abandoned early).
    pub qualified: MemberListOf<T>,
    /// The members disqualified, with the reason.
    pub disqualified: FaultListOf<T>,
    /// The members that posted no dealing.
    pub absent: MemberListOf<T>,
    /// The block it ended in.
    pub finished_at: BlockNumberFor<T>,
}

/// A DKG message, for the checks shared by the validity check and the dispatch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Message {
    Dealing,
    Complaint { dealer: MemberIndex },
    Confirmation,
}

impl Message {
    fn kind(&self) -> MessageKind {
        match self {
            Message::Dealing => MessageKind::Dealing,
            Message::Complaint { .. } => MessageKind::Complaint,
            Message::Confirmation => MessageKind::Confirmation,
        }
    }
}

/// What `on_initialize` did with one running batch.
enum Step {
    /// Nothing (its phase goes on, or it waits for its turn to finish).
    Idle,
    /// Its dealing phase ended; it verifies now.
    DealingEnded,
    /// It finished; `true` if the group commitments were computed.
    Finished(bool),
}

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

    /// The group Feldman commitment of each generated key (compressed points, constant term
    /// first).
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
        /// A batch's keys entered the buffer with ids `first_key..first_key + key_count`.
        BatchCompleted {
            batch: BatchId,
            first_key: KeyId,
            key_count: u32,
        },
        /// A batch ended without keys.
        BatchAbandoned { batch: BatchId },
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
        /// The member index is not in `1..=n` for the batch.
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
        /// and the call still succeeds.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::submit_dealing(T::MaxCommittee::get(), Pallet::<T>::worst_batch_size()))]
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
                _ => return InvalidTransaction::Call.into(),
            };
            Self::validate_message(batch, member, message, body, signature)
        }
    }
}

impl<T: Config> Pallet<T> {
    // --- calls ---

    fn do_submit_dealing(
        batch: BatchId,
        dealer: MemberIndex,
        dealing: BoundedVec<u8, T::MaxDealingLen>,
    ) -> DispatchResultWithPostInfo {
        let (mut state, _) = Self::check_message(batch, dealer, Message::Dealing)?;
        let config = Self::session_config(&state.setup)?;
        let accepted = DealingMessage::decode_dealing(dealer, &dealing)
            .ok()
            .is_some_and(|d| crypto_dkg::check_dealing(&config, &d).is_ok());
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
        let weight = T::WeightInfo::submit_dealing(state.setup.size(), state.setup.batch_size);
        ActiveBatches::<T>::insert(batch, state);
        Ok(Self::feeless(weight))
    }

    fn do_submit_complaint(
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

    fn do_confirm(batch: BatchId, member: MemberIndex) -> DispatchResultWithPostInfo {
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
    /// check and the dispatch. Returns the batch's state and the phase's deadline.
    fn check_message(
        batch: BatchId,
        member: MemberIndex,
        message: Message,
    ) -> Result<(BatchState<T>, BlockNumberFor<T>), Error<T>> {
        let state = ActiveBatches::<T>::get(batch).ok_or(Error::<T>::UnknownBatch)?;
        ensure!(state.setup.key(member).is_some(), Error::<T>::UnknownMember);
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
                ensure!(dealer != member, Error::<T>::OwnDealing);
                ensure!(
                    !state.complaints.contains(&(member, dealer)),
                    Error::<T>::AlreadyComplained
                );
            }
        }
        ensure!(!state.is_disqualified(member), Error::<T>::Disqualified);
        if let Message::Complaint { dealer } = message {
            ensure!(
                !state.is_disqualified(dealer),
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
    fn validate_message(
        batch: BatchId,
        member: MemberIndex,
        message: Message,
        body: &[u8],
        signature: &DkgSignature,
    ) -> TransactionValidity {
        let (state, deadline) =
            Self::check_message(batch, member, message).map_err(Self::invalid)?;
        let key = state
            .setup
            .key(member)
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

    /// The DKG configuration of a batch.
    fn session_config(setup: &BatchSetup<T>) -> Result<SessionConfig, Error<T>> {
        let committee = Self::crypto_committee(&setup.members, setup.threshold)?;
        SessionConfig::new(
            setup.session_id,
            setup.batch_size,
            committee.clone(),
            committee,
            SessionKind::Fresh,
        )
        .map_err(|_| Error::<T>::InvalidCommittee)
    }

    fn crypto_committee(
        members: &MembersOf<T>,
        threshold: u16,
    ) -> Result<crypto_dkg::Committee, Error<T>> {
        let keys = members
            .iter()
            .map(|(_, key)| encryption_key(key))
            .collect::<Option<Vec<_>>>()
            .ok_or(Error::<T>::InvalidCommittee)?;
        crypto_dkg::Committee::new(threshold, keys).map_err(|_| Error::<T>::InvalidCommittee)
    }

    /// An upper bound of any batch's size: the key buffer's cap, and what a dealing of a
    /// one-member committee can hold (each key costs more than 97 bytes of every dealing).
    pub fn worst_batch_size() -> u32 {
        T::KeyBuffer::max_batch_size()
            .min(T::MaxDealingLen::get() / 97)
            .max(1)
    }

    /// The SCALE-encoded length of a well-formed dealing of `config` (a `DealingMessage`).
    pub fn encoded_dealing_len(config: &SessionConfig) -> usize {
        let n = usize::from(config.recipients().size());
        let points = config.batch_size() as usize * config.points_per_key();
        let ciphertext = torus_crypto::ecies::OVERHEAD
            + torus_crypto::ecies::ciphertext_len(config.plaintext_len());
        let prefix = |len: usize| Compact::<u32>::compact_len(&(len as u32));
        config.dealing_len() + prefix(points) + 2 * prefix(n) + n * prefix(ciphertext)
    }

    /// The largest batch size up to `cap` whose dealings fit [`Config::MaxDealingLen`] for
    /// this committee (0 if none does).
    pub fn fitting_batch_size(
        committee: &crypto_dkg::Committee,
        session_id: [u8; 32],
        cap: u32,
    ) -> u32 {
        let fits = |b: u32| {
            SessionConfig::new(
                session_id,
                b,
                committee.clone(),
                committee.clone(),
                SessionKind::Fresh,
            )
            .is_ok_and(|c| Self::encoded_dealing_len(&c) <= T::MaxDealingLen::get() as usize)
        };
        // The largest b in 0..=cap with fits(b), by bisection (the length grows with b).
        let (mut lo, mut hi) = (0u32, cap);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    // --- hooks ---

    /// The block's DKG work: prune, advance and finish batches, start one. Returns its weight.
    fn run_batches(now: BlockNumberFor<T>) -> Weight {
        let running = RunningBatches::<T>::get();
        let mut weight = T::WeightInfo::on_initialize_idle(running.len() as u32);
        if let Some(n) = Self::prune_due(now) {
            weight.saturating_accrue(T::WeightInfo::prune_dealings(n));
        }
        let params = Params::<T>::get();
        let mut finished = false;
        let mut pending_keys: u64 = 0;
        for batch in running {
            let Some(state) = ActiveBatches::<T>::get(batch) else {
                continue;
            };
            let (n, b) = (state.setup.size(), state.setup.batch_size);
            match Self::step(batch, state, now, &params, !finished) {
                Step::Idle => pending_keys.saturating_accrue(b.into()),
                Step::DealingEnded => {
                    pending_keys.saturating_accrue(b.into());
                    weight.saturating_accrue(T::WeightInfo::end_dealing(n));
                }
                Step::Finished(computed) => {
                    finished = true;
                    weight.saturating_accrue(if computed {
                        T::WeightInfo::finish_batch(n, b)
                    } else {
                        T::WeightInfo::abandon_batch(n)
                    });
                }
            }
        }
        if let Some(n) = Self::try_start_batch(now, &params, pending_keys) {
            weight.saturating_accrue(T::WeightInfo::start_batch(n));
        }
        weight
    }

    /// Advance one running batch; it may finish only if `may_finish`.
    fn step(
        batch: BatchId,
        mut state: BatchState<T>,
        now: BlockNumberFor<T>,
        params: &DkgParams<BlockNumberFor<T>>,
        may_finish: bool,
    ) -> Step {
        match state.phase {
            BatchPhase::Dealing { deadline } if now > deadline || state.all_dealt() => {
                if state.qualified().len() < usize::from(state.setup.threshold) {
                    if !may_finish {
                        return Step::Idle;
                    }
                    Self::finish_batch(batch, state, now, false);
                    Step::Finished(false)
                } else {
                    state.phase = BatchPhase::Verifying {
                        deadline: now.saturating_add(params.verify_timeout),
                    };
                    ActiveBatches::<T>::insert(batch, state);
                    Step::DealingEnded
                }
            }
            BatchPhase::Verifying { deadline }
                if may_finish && (now > deadline || state.all_confirmed()) =>
            {
                let computed = state.qualified().len() >= usize::from(state.setup.threshold);
                Self::finish_batch(batch, state, now, computed);
                Step::Finished(computed)
            }
            _ => Step::Idle,
        }
    }

    /// Finish `batch`: generate its keys if `generate` (and the qualified set suffices), record
    /// the result, count absences, queue its dealings for pruning and drop its state.
    fn finish_batch(batch: BatchId, state: BatchState<T>, now: BlockNumberFor<T>, generate: bool) {
        let qualified = state.qualified();
        let outcome = if generate && qualified.len() >= usize::from(state.setup.threshold) {
            match Self::generate_keys(batch, &state, &qualified) {
                Some((first_key, key_count)) => BatchOutcome::Completed {
                    first_key,
                    key_count,
                },
                None => BatchOutcome::Abandoned,
            }
        } else {
            BatchOutcome::Abandoned
        };
        let stored_dealings = state.dealt.len() as u32;
        let absent = state.absent();
        for member in &absent {
            if let Some((account, _)) = state.setup.members.get(usize::from(*member) - 1) {
                Absences::<T>::mutate(account, |count| count.saturating_accrue(1));
            }
        }
        let qualified = match outcome {
            BatchOutcome::Completed { .. } => BoundedVec::truncate_from(qualified),
            BatchOutcome::Abandoned => BoundedVec::new(),
        };
        Results::<T>::insert(
            batch,
            FinishedBatch {
                setup: state.setup,
                outcome,
                qualified,
                disqualified: state.disqualified,
                absent: BoundedVec::truncate_from(absent),
                finished_at: now,
            },
        );
        let (head, tail) = PruneQueueRange::<T>::get();
        let prune_at = now.saturating_add(T::DealingRetention::get());
        PruneQueue::<T>::insert(tail, (prune_at, batch, stored_dealings));
        PruneQueueRange::<T>::put((head, tail.saturating_add(1)));
        ActiveBatches::<T>::remove(batch);
        RunningBatches::<T>::mutate(|running| running.retain(|b| *b != batch));
        match outcome {
            BatchOutcome::Completed {
                first_key,
                key_count,
            } => Self::deposit_event(Event::BatchCompleted {
                batch,
                first_key,
                key_count,
            }),
            BatchOutcome::Abandoned => Self::deposit_event(Event::BatchAbandoned { batch }),
        }
    }

    /// Compute the keys of `batch` from the dealings of `qualified`, hand them to the buffer
    /// and store their commitments. `None` (with a log) if anything fails.
    fn generate_keys(
        batch: BatchId,
        state: &BatchState<T>,
        qualified: &[MemberIndex],
    ) -> Option<(KeyId, u32)> {
        let fail = |what: &str| {
            log::warn!(target: LOG_TARGET, "batch {batch} abandoned: {what}");
        };
        let Ok(config) = Self::session_config(&state.setup) else {
            fail("invalid committee");
            return None;
        };
        let dealings = qualified
            .iter()
            .map(|q| {
                Dealings::<T>::get(batch, q)
                    .and_then(|bytes| DealingMessage::decode_dealing(*q, &bytes).ok())
            })
            .collect::<Option<Vec<_>>>();
        let Some(dealings) = dealings else {
            fail("a qualified dealing is missing");
            return None;
        };
        let points = crypto_dkg::group_commitments(&config, &dealings, qualified)
            .ok()
            .and_then(|commitments| {
                commitments
                    .iter()
                    .map(|c| c.to_bytes().ok())
                    .collect::<Option<Vec<_>>>()
            });
        let Some(points) = points else {
            fail("the group commitments could not be computed");
            return None;
        };
        let keys = points
            .iter()
            .map(|p| {
                p.first().map(|constant| GeneratedKey {
                    public_key: PublicKey(*constant),
                    commitments_hash: commitments_hash(p),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let key_count = keys.len() as u32;
        let first_key = match T::KeyBuffer::insert_generated_keys(batch, keys) {
            Ok(first) => first,
            Err(e) => {
                log::warn!(target: LOG_TARGET, "batch {batch} abandoned: the key buffer refused it: {e:?}");
                return None;
            }
        };
        for (key_id, p) in (first_key..).zip(points) {
            KeyCommitments::<T>::insert(key_id, BoundedVec::truncate_from(p));
        }
        Some((first_key, key_count))
    }

    /// Start a batch if the buffer needs one. `Some(n)` if the committee (`n` members) was
    /// read, whether a batch started or not.
    fn try_start_batch(
        now: BlockNumberFor<T>,
        params: &DkgParams<BlockNumberFor<T>>,
        pending_keys: u64,
    ) -> Option<u32> {
        let running = RunningBatches::<T>::get();
        let max_running = params
            .max_concurrent_batches
            .min(T::MaxConcurrentBatches::get());
        if running.len() as u32 >= max_running {
            return None;
        }
        if T::KeyBuffer::buffer_size().saturating_add(pending_keys) >= params.target_buffer {
            return None;
        }
        let members = Committee::<T>::get();
        let n = members.len() as u32;
        if members.is_empty() {
            return Some(0);
        }
        let threshold = threshold_for(n as u16);
        let Ok(committee) = Self::crypto_committee(&members, threshold) else {
            log::warn!(target: LOG_TARGET, "the committee has an invalid DKG key");
            return Some(n);
        };
        let batch = NextBatch::<T>::get();
        let parent_hash = frame_system::Pallet::<T>::parent_hash();
        let session_id =
            sp_io::hashing::blake2_256(&(*b"torus-dkg/batch", batch, parent_hash).encode());
        let cap = params.batch_size.min(T::KeyBuffer::max_batch_size());
        let batch_size = Self::fitting_batch_size(&committee, session_id, cap);
        if batch_size == 0 {
            log::warn!(target: LOG_TARGET, "no key fits a dealing of {n} members");
            return Some(n);
        }
        let mut running = running;
        if running.try_push(batch).is_err() {
            return Some(n);
        }
        RunningBatches::<T>::put(running);
        NextBatch::<T>::put(batch.saturating_add(1));
        ActiveBatches::<T>::insert(
            batch,
            BatchState {
                setup: BatchSetup {
                    members,
                    session_id,
                    batch_size,
                    threshold,
                    started_at: now,
                },
                phase: BatchPhase::Dealing {
                    deadline: now.saturating_add(params.deal_timeout),
                },
                dealt: BoundedVec::new(),
                confirmed: BoundedVec::new(),
                disqualified: BoundedVec::new(),
                complaints: BoundedVec::new(),
            },
        );
        Self::deposit_event(Event::BatchStarted {
            batch,
            batch_size,
            members: n,
            threshold,
        });
        Some(n)
    }

    /// Remove the dealings of the oldest finished batch if its retention passed. Returns the
    /// number of dealings it had.
    fn prune_due(now: BlockNumberFor<T>) -> Option<u32> {
        let (head, tail) = PruneQueueRange::<T>::get();
        if head >= tail {
            return None;
        }
        let (at, batch, count) = PruneQueue::<T>::get(head)?;
        if at > now {
            return None;
        }
        let _ = Dealings::<T>::clear_prefix(batch, T::MaxCommittee::get(), None);
        PruneQueue::<T>::remove(head);
        PruneQueueRange::<T>::put((head.saturating_add(1), tail));
        Some(count)
    }

    // --- session ---

    /// Store a session's validators as the committee of new batches.
    fn set_committee<'a, I>(validators: I)
    where
        I: Iterator<Item = (&'a T::AccountId, DkgId)>,
        T::AccountId: 'a,
    {
        let mut members = MembersOf::<T>::new();
        let mut dropped = 0u32;
        for (account, key) in validators {
            if encryption_key(&key).is_none() {
                log::warn!(target: LOG_TARGET, "validator {account:?} has an invalid DKG key; left out");
                continue;
            }
            if members.try_push((account.clone(), key)).is_err() {
                dropped.saturating_accrue(1);
            }
        }
        if dropped > 0 {
            log::warn!(
                target: LOG_TARGET,
                "{dropped} validators beyond MaxCommittee ({}) left out of the DKG committee",
                T::MaxCommittee::get()
            );
        }
        Committee::<T>::put(members);
    }

    // --- reading (DkgApi) ---

    /// The DKG keys of the current committee; member `i` is entry `i − 1`.
    pub fn committee_keys() -> Vec<DkgId> {
        Committee::<T>::get()
            .into_iter()
            .map(|(_, key)| key)
            .collect()
    }

    /// The batches running now, oldest first.
    pub fn active_batches() -> Vec<ActiveBatch<BlockNumberFor<T>>> {
        RunningBatches::<T>::get()
            .into_iter()
            .filter_map(|batch| {
                ActiveBatches::<T>::get(batch).map(|state| ActiveBatch {
                    info: state.setup.info(batch),
                    phase: state.phase,
                    dealt: state.dealt.into_inner(),
                    confirmed: state.confirmed.into_inner(),
                    disqualified: state.disqualified.into_inner(),
                })
            })
            .collect()
    }

    /// The accepted dealings (wire bytes) of a batch by dealer, ascending; empty once pruned.
    pub fn dealings(batch: BatchId) -> Vec<(MemberIndex, Vec<u8>)> {
        let mut dealings: Vec<_> = Dealings::<T>::iter_prefix(batch)
            .map(|(dealer, bytes)| (dealer, bytes.into_inner()))
            .collect();
        dealings.sort_by_key(|(dealer, _)| *dealer);
        dealings
    }

    /// How a finished batch ended.
    pub fn batch_result(batch: BatchId) -> Option<BatchResult<BlockNumberFor<T>>> {
        Results::<T>::get(batch).map(|result| BatchResult {
            info: result.setup.info(batch),
            outcome: result.outcome,
            qualified: result.qualified.into_inner(),
            disqualified: result.disqualified.into_inner(),
            absent: result.absent.into_inner(),
            finished_at: result.finished_at,
        })
    }

    /// The group commitment of a generated key (compressed points, constant term first).
    pub fn key_commitments(key_id: KeyId) -> Option<Vec<[u8; 33]>> {
        KeyCommitments::<T>::get(key_id).map(BoundedVec::into_inner)
    }

    /// The current parameters.
    pub fn params() -> DkgParams<BlockNumberFor<T>> {
        Params::<T>::get()
    }

    /// Checks the storage invariants (for tests and `try-runtime`; reads everything):
    /// - the running list and the active states match, ids are below `NextBatch`, and no
    ///   running batch has a result;
    /// - in each running batch: `n ≥ 1`, the threshold is `threshold_for(n)`, the lists are
    ///   sorted (dealt, confirmed), members are in range, nobody is disqualified twice, and
    ///   dealings are stored exactly for the accepted dealers;
    /// - the parameters are valid and the prune queue's entries are exactly `head..tail`.
    #[cfg(any(test, feature = "try-runtime"))]
    pub fn check_invariants() -> Result<(), &'static str> {
        let running = RunningBatches::<T>::get();
        ensure!(
            ActiveBatches::<T>::iter_keys().count() == running.len(),
            "active states differ from the running list"
        );
        let next = NextBatch::<T>::get();
        for batch in running.iter() {
            ensure!(*batch < next, "a running batch id is not below NextBatch");
            ensure!(
                !Results::<T>::contains_key(batch),
                "a running batch has a result"
            );
            let state = ActiveBatches::<T>::get(batch).ok_or("a running batch has no state")?;
            let n = state.setup.members.len();
            ensure!(n >= 1, "a batch has no members");
            ensure!(
                state.setup.threshold == threshold_for(n as u16),
                "a batch's threshold is not threshold_for(n)"
            );
            let in_range = |m: &MemberIndex| *m >= 1 && usize::from(*m) <= n;
            ensure!(
                state.dealt.windows(2).all(|w| w[0] < w[1]) && state.dealt.iter().all(in_range),
                "dealt is not sorted or out of range"
            );
            ensure!(
                state.confirmed.windows(2).all(|w| w[0] < w[1])
                    && state.confirmed.iter().all(in_range),
                "confirmed is not sorted or out of range"
            );
            let mut seen = Vec::new();
            for (m, _) in state.disqualified.iter() {
                ensure!(in_range(m), "a disqualified member is out of range");
                ensure!(!seen.contains(m), "a member is disqualified twice");
                seen.push(*m);
            }
            let stored: Vec<MemberIndex> =
                Dealings::<T>::iter_key_prefix(batch).collect::<Vec<_>>();
            ensure!(
                stored.len() == state.dealt.len()
                    && stored.iter().all(|d| state.dealt.binary_search(d).is_ok()),
                "stored dealings differ from the accepted dealers"
            );
        }
        Self::check_params(&Params::<T>::get()).map_err(|_| "the parameters are invalid")?;
        let (head, tail) = PruneQueueRange::<T>::get();
        ensure!(head <= tail, "the prune queue's head is past its tail");
        ensure!(
            PruneQueue::<T>::iter_keys().all(|k| (head..tail).contains(&k))
                && PruneQueue::<T>::iter_keys().count() as u64 == tail - head,
            "the prune queue's entries differ from head..tail"
        );
        Ok(())
    }
}

/// The ECIES key of a DKG key (`None` if it is not a valid curve point).
pub fn encryption_key(key: &DkgId) -> Option<EncryptionPublicKey> {
    EncryptionPublicKey::from_bytes(key.as_ref()).ok()
}

impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
    type Public = DkgId;
}

impl<T: Config> OneSessionHandler<T::AccountId> for Pallet<T> {
    type Key = DkgId;

    fn on_genesis_session<'a, I>(validators: I)
    where
        I: 'a + Iterator<Item = (&'a T::AccountId, DkgId)>,
    {
        Self::set_committee(validators);
    }

    fn on_new_session<'a, I>(_changed: bool, validators: I, _queued_validators: I)
    where
        I: 'a + Iterator<Item = (&'a T::AccountId, DkgId)>,
    {
        Self::set_committee(validators);
    }

    fn on_disabled(_validator_index: u32) {}
}

/// The DKG keys of the current committee (the session's validators), for pallets that accept
/// messages signed by a validator's DKG key (`pallet-keys`' assignments).
pub struct CommitteeKeys<T>(core::marker::PhantomData<T>);

impl<T: Config> frame_support::traits::Contains<DkgId> for CommitteeKeys<T> {
    fn contains(key: &DkgId) -> bool {
        Committee::<T>::get()
            .iter()
            .any(|(_, member)| member == key)
    }
}
