//! Each pallet's configuration.

use crate::*;

use frame_election_provider_support::{
    bounds::{ElectionBounds, ElectionBoundsBuilder},
    onchain, SequentialPhragmen,
};
use frame_support::dispatch::DispatchClass;
use frame_support::{
    derive_impl,
    traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, Nothing, VariantCountOf},
    weights::{
        constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
        IdentityFee, Weight,
    },
};
use frame_system::{
    limits::{BlockLength, BlockWeights},
    EnsureRoot,
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_runtime::{
    curve::PiecewiseLinear,
    traits::{ConvertInto, One, OpaqueKeys},
    transaction_validity::TransactionPriority,
    Perbill,
};
use sp_version::RuntimeVersion;

/// Share of a block's weight that normal (non-operational) extrinsics may use.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
    pub const BlockHashCount: BlockNumber = 2400;
    pub const Version: RuntimeVersion = VERSION;

    /// Two seconds of compute per block, out of a three-second slot.
    pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
        Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
        NORMAL_DISPATCH_RATIO,
    );
    /// 5 MiB per block, of which normal extrinsics may fill `NORMAL_DISPATCH_RATIO`.
    pub RuntimeBlockLength: BlockLength = BlockLength::builder()
        .max_length(5 * 1024 * 1024)
        .modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
        .build();
    /// Substrate's generic address format.
    pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
    type Block = Block;
    type BlockWeights = RuntimeBlockWeights;
    type BlockLength = RuntimeBlockLength;
    type AccountId = AccountId;
    type Nonce = Nonce;
    type Hash = Hash;
    type BlockHashCount = BlockHashCount;
    type DbWeight = ParityDbWeight;
    type Version = Version;
    type AccountData = pallet_balances::AccountData<Balance>;
    type SS58Prefix = SS58Prefix;
    type MaxConsumers = ConstU32<16>;
}

impl pallet_timestamp::Config for Runtime {
    type Moment = u64;
    type OnTimestampSet = Aura;
    type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
    type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
    type MaxLocks = ConstU32<50>;
    type MaxReserves = ConstU32<50>;
    type ReserveIdentifier = [u8; 8];
    type Balance = Balance;
    type RuntimeEvent = RuntimeEvent;
    type DustRemoval = ();
    type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
    type AccountStore = System;
    type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
    type FreezeIdentifier = RuntimeFreezeReason;
    type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RuntimeFreezeReason = RuntimeFreezeReason;
    type DoneSlashHandler = ();
}

parameter_types! {
    pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type OnChargeTransaction = FungibleAdapter<Balances, ()>;
    type OperationalFeeMultiplier = ConstU8<5>;
    type WeightToFee = IdentityFee<Balance>;
    type LengthToFee = IdentityFee<Balance>;
    type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
    type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_authorship::Config for Runtime {
    type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Aura>;
    // Staking gives era points to block authors.
    type EventHandler = Staking;
}

impl pallet_aura::Config for Runtime {
    type AuthorityId = sp_consensus_aura::sr25519::AuthorityId;
    type DisabledValidators = Session;
    type MaxAuthorities = ConstU32<MAX_VALIDATORS>;
    type AllowMultipleBlocksPerSlot = ConstBool<false>;
    type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = ();
    type MaxAuthorities = ConstU32<MAX_VALIDATORS>;
    type MaxNominators = MaxNominators;
    type MaxSetIdSessionEntries = ConstU64<0>;
    // Equivocation reports are not accepted yet (they come with the fraud-proof work).
    type KeyOwnerProof = sp_core::Void;
    type EquivocationReportSystem = ();
}

parameter_types! {
    pub const SessionPeriod: BlockNumber = SESSION_LENGTH;
    pub const SessionOffset: BlockNumber = 0;
}

impl pallet_session::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type ValidatorId = AccountId;
    // A validator is identified by its stash account.
    type ValidatorIdOf = ConvertInto;
    type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
    type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
    type SessionManager = pallet_session::historical::NoteHistoricalRoot<Self, Staking>;
    type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
    type Keys = SessionKeys;
    type DisablingStrategy = pallet_session::disabling::UpToLimitWithReEnablingDisablingStrategy;
    type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
    type Currency = Balances;
    type KeyDeposit = ();
}

impl pallet_session::historical::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type FullIdentification = ();
    type FullIdentificationOf = pallet_staking::UnitIdentificationOf<Self>;
}

pallet_staking_reward_curve::build! {
    const REWARD_CURVE: PiecewiseLinear<'static> = curve!(
        min_inflation: 0_025_000,
        max_inflation: 0_100_000,
        ideal_stake: 0_500_000,
        falloff: 0_050_000,
        max_piece_count: 40,
        test_precision: 0_005_000,
    );
}

parameter_types! {
    /// Sessions per staking era: a newly elected validator set takes over every era (1 min).
    pub const SessionsPerEra: sp_staking::SessionIndex = 2;
    /// Eras a stake stays bonded after `unbond`.
    pub const BondingDuration: sp_staking::EraIndex = 4;
    /// Eras a slash waits before it is applied (must be below `BondingDuration`).
    pub const SlashDeferDuration: sp_staking::EraIndex = 2;
    pub const RewardCurve: &'static PiecewiseLinear<'static> = &REWARD_CURVE;
    pub const MaxNominators: u32 = 64;
    /// Bounds on the data one on-chain election reads.
    pub ElectionBoundsOnChain: ElectionBounds = ElectionBoundsBuilder::default()
        .voters_count(5_000.into())
        .targets_count(1_000.into())
        .build();
}

/// The on-chain sequential Phragmén election that picks each era's validators.
pub struct OnChainSeqPhragmen;
impl onchain::Config for OnChainSeqPhragmen {
    type System = Runtime;
    type Solver = SequentialPhragmen<AccountId, Perbill>;
    type DataProvider = Staking;
    type WeightInfo = frame_election_provider_support::weights::SubstrateWeight<Runtime>;
    type MaxWinnersPerPage = ConstU32<MAX_VALIDATORS>;
    type MaxBackersPerWinner = ConstU32<5_000>;
    type Bounds = ElectionBoundsOnChain;
    type Sort = ConstBool<true>;
}

/// How many validators and nominators the staking benchmarks create.
pub struct StakingBenchmarkingConfig;
impl pallet_staking::BenchmarkingConfig for StakingBenchmarkingConfig {
    type MaxValidators = ConstU32<MAX_VALIDATORS>;
    type MaxNominators = ConstU32<1_000>;
}

impl pallet_staking::Config for Runtime {
    type OldCurrency = Balances;
    type Currency = Balances;
    type CurrencyBalance = Balance;
    type RuntimeHoldReason = RuntimeHoldReason;
    type UnixTime = Timestamp;
    type CurrencyToVote = sp_staking::currency_to_vote::U128CurrencyToVote;
    // Without a treasury, the unused part of era inflation and slashed funds are burned.
    type RewardRemainder = ();
    type RuntimeEvent = RuntimeEvent;
    type Slash = ();
    type Reward = ();
    type SessionsPerEra = SessionsPerEra;
    type BondingDuration = BondingDuration;
    type SlashDeferDuration = SlashDeferDuration;
    type AdminOrigin = EnsureRoot<AccountId>;
    type SessionInterface = Self;
    type EraPayout = pallet_staking::ConvertCurve<RewardCurve>;
    type NextNewSession = Session;
    type MaxExposurePageSize = ConstU32<64>;
    type MaxValidatorSet = ConstU32<MAX_VALIDATORS>;
    type ElectionProvider = onchain::OnChainExecution<OnChainSeqPhragmen>;
    type GenesisElectionProvider = onchain::OnChainExecution<OnChainSeqPhragmen>;
    type VoterList = pallet_staking::UseNominatorsAndValidatorsMap<Self>;
    type TargetList = pallet_staking::UseValidatorsMap<Self>;
    type NominationsQuota = pallet_staking::FixedNominationsQuota<16>;
    type MaxUnlockingChunks = ConstU32<32>;
    type HistoryDepth = ConstU32<84>;
    type MaxControllersInDeprecationBatch = ConstU32<100>;
    type EventListeners = ();
    type Filter = Nothing;
    type BenchmarkingConfig = StakingBenchmarkingConfig;
    type WeightInfo = pallet_staking::weights::SubstrateWeight<Runtime>;
}

impl pallet_offences::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type IdentificationTuple = pallet_session::historical::IdentificationTuple<Self>;
    type OnOffenceHandler = Staking;
}

impl pallet_sudo::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    /// Held from a dapp for each verifier it registers, returned when the verifier is removed.
    pub const VerifierDeposit: Balance = 10 * UNIT;
    /// The longest announcement delay of a verifier change Root may set: seven days of 3 s
    /// blocks.
    pub const MaxConfigDelay: BlockNumber = 201_600;
    /// Verifier changes that take effect at one block: 16 changes of the largest
    /// configuration weigh about 7 ms, well within a block.
    pub const MaxVerifierChangesPerBlock: u32 = 16;
    /// Blocks an announcement looks at for room: an attacker must keep 32 × 16 verifiers'
    /// changes pending (5 120 TORUS of deposits) to refuse anyone's announcement.
    pub const MaxVerifierScheduleSearch: u32 = 32;
}

impl pallet_verifiers::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type VerifierDeposit = VerifierDeposit;
    type MaxConfigDelay = MaxConfigDelay;
    type MaxChangesPerBlock = MaxVerifierChangesPerBlock;
    type MaxScheduleSearch = MaxVerifierScheduleSearch;
    type WeightInfo = pallet_verifiers::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    /// The most keys one DKG batch adds to the buffer.
    pub const MaxKeyBatch: u32 = 256;
    /// The most new key assignments per block (a batch's worth: the DKG refills at that pace).
    pub const MaxAssignmentsPerBlock: u32 = 256;
    /// The most new key assignments of one verifier per block: 16 every 3 s, ~460 000 new
    /// users a day, and at least 16 verifiers share each block's 256.
    pub const MaxAssignmentsPerVerifierPerBlock: u32 = 16;
    /// The price of one key of a verifier's allowance, burned: 0.01 TORUS, so a dapp pays
    /// 10 TORUS per 1 000 users (as much as a verifier's deposit, which is only held).
    pub const KeyFee: Balance = UNIT / 100;
    /// The largest allowance a verifier may hold: 100 million keys (1 000 000 TORUS).
    pub const MaxKeyAllowance: u32 = 100_000_000;
    /// Assignments go before the DKG's messages: a waiting user is on the other end.
    pub const KeysUnsignedPriority: TransactionPriority = TransactionPriority::MAX / 2 + 1;
}

impl pallet_keys::Config for Runtime {
    type Verifiers = Verifiers;
    type Assigners = pallet_dkg::CommitteeKeys<Runtime>;
    type Currency = Balances;
    type KeyFee = KeyFee;
    type MaxAllowance = MaxKeyAllowance;
    type MaxAssignmentsPerBlock = MaxAssignmentsPerBlock;
    type MaxAssignmentsPerVerifierPerBlock = MaxAssignmentsPerVerifierPerBlock;
    type UnsignedPriority = KeysUnsignedPriority;
    type MaxBatchSize = MaxKeyBatch;
    type WeightInfo = pallet_keys::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = crate::benchmarks::KeysBenchmarkHelper;
}

parameter_types! {
    /// The largest dealing (bytes): 4 validators fit 256 keys per dealing (~83 KB), 100 still
    /// fit ~80 (the pallet shrinks batches to fit).
    pub const MaxDealingLen: u32 = 512 * 1024;
    /// The most DKG batches that can run at once.
    pub const MaxConcurrentDkgBatches: u32 = 32;
    /// Blocks a finished batch's dealings stay in state, so that a validator that restarts can
    /// still compute its shares (5 minutes).
    pub const DealingRetention: BlockNumber = 100;
    /// DKG messages go before ordinary transactions.
    pub const DkgUnsignedPriority: TransactionPriority = TransactionPriority::MAX / 2;
}

impl pallet_dkg::Config for Runtime {
    type KeyBuffer = Keys;
    type MaxCommittee = ConstU32<MAX_VALIDATORS>;
    type MaxDealingLen = MaxDealingLen;
    type MaxConcurrentBatches = MaxConcurrentDkgBatches;
    type DealingRetention = DealingRetention;
    type UnsignedPriority = DkgUnsignedPriority;
    type WeightInfo = pallet_dkg::weights::SubstrateWeight<Runtime>;
}
