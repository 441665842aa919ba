//! The Torus runtime.
//!
//! A FRAME runtime for the Torus proof-of-stake chain: accounts and balances, fees, Aura block
//! authoring with GRANDPA finality, and nominated proof-of-stake (staking with an on-chain
//! election, sessions with historical proofs, offences). Validators elected here are the ones
//! that hold the network's threshold key shares. On top: `Verifiers` (the login rules dapps
//! register), `Keys` (the buffer of generated keys and which user each is assigned to) and `Dkg`
//! (the validators' batched DKG that fills the buffer).
//!
//! Layout: [`configs`] implements each pallet's `Config`, [`apis`] the runtime APIs the node
//! calls, [`genesis_config_presets`] the `dev` and `local` genesis states, and [`stake_hold`]
//! the transaction extension that keeps a leaving validator's stake bonded until the keys it
//! holds are handed over.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` expands deeply.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod stake_hold;

use polkadot_sdk::*;

use alloc::vec::Vec;

use sp_runtime::{
    generic, impl_opaque_keys,
    traits::{BlakeTwo256, IdentifyAccount, Verify},
    MultiAddress, MultiSignature,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use frame_support::{construct_runtime, parameter_types};
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;

/// Opaque types: what the node needs to know about the runtime without knowing its calls.
pub mod opaque {
    use super::*;
    use sp_runtime::OpaqueExtrinsic;

    /// Opaque block header type.
    pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
    /// Opaque block type.
    pub type Block = generic::Block<Header, OpaqueExtrinsic>;
    /// Opaque block identifier type.
    pub type BlockId = generic::BlockId<Block>;

    impl_opaque_keys! {
        /// The keys a validator registers for a session: one per consensus protocol.
        pub struct SessionKeys {
            /// Block authoring (sr25519).
            pub aura: super::Aura,
            /// Finality voting (ed25519).
            pub grandpa: super::Grandpa,
            /// The key buffer's DKG: shares are encrypted to it, DKG messages signed (secp256k1).
            pub dkg: super::Dkg,
        }
    }
}
pub use opaque::SessionKeys;

/// The version of this runtime; `spec_version` must grow with every upgrade.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
    spec_name: alloc::borrow::Cow::Borrowed("torus"),
    impl_name: alloc::borrow::Cow::Borrowed("torus-node"),
    authoring_version: 1,
    spec_version: 100,
    impl_version: 1,
    apis: apis::RUNTIME_API_VERSIONS,
    transaction_version: 1,
    system_version: 1,
};

/// Target time between two blocks (ms). Aura slots have the same length.
pub const MILLISECS_PER_BLOCK: u64 = 3_000;
/// Aura slot duration (ms).
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

/// Blocks per session (30 s): the validator set can change at each session boundary.
/// Short on purpose for this test network, so validator set changes are observable in minutes.
pub const SESSION_LENGTH: BlockNumber = 10;

/// One TORUS, the native token: 10^12 of its smallest unit (12 decimals).
pub const UNIT: Balance = 1_000_000_000_000;
/// One thousandth of a TORUS.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// The minimum balance an account must keep to exist.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// The most validators the chain supports in one session.
pub const MAX_VALIDATORS: u32 = 100;

/// Signature of an extrinsic.
pub type Signature = MultiSignature;
/// An account identifier: the public key behind a [`Signature`].
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// A balance of the native token.
pub type Balance = u128;
/// Transaction index of an account.
pub type Nonce = u32;
/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;
/// A block number.
pub type BlockNumber = u32;
/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A block with its justifications.
pub type SignedBlock = generic::SignedBlock<Block>;
/// Block identifier.
pub type BlockId = generic::BlockId<Block>;

/// The checks a signed transaction carries (order matters: it is part of the signed payload).
pub type TxExtension = (
    frame_system::CheckNonZeroSender<Runtime>,
    frame_system::CheckSpecVersion<Runtime>,
    frame_system::CheckTxVersion<Runtime>,
    frame_system::CheckGenesis<Runtime>,
    frame_system::CheckEra<Runtime>,
    frame_system::CheckNonce<Runtime>,
    stake_hold::KeepHandoverStake,
    frame_system::CheckWeight<Runtime>,
    pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
    frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
    generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations run on upgrade, oldest first.
type Migrations = ();

/// Executive: dispatches incoming extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
    Runtime,
    Block,
    frame_system::ChainContext<Runtime>,
    Runtime,
    AllPalletsWithSystem,
    Migrations,
>;

#[frame_support::runtime]
mod runtime {
    #[runtime::runtime]
    #[runtime::derive(
        RuntimeCall,
        RuntimeEvent,
        RuntimeError,
        RuntimeOrigin,
        RuntimeFreezeReason,
        RuntimeHoldReason,
        RuntimeSlashReason,
        RuntimeLockId,
        RuntimeTask,
        RuntimeViewFunction
    )]
    pub struct Runtime;

    #[runtime::pallet_index(0)]
    pub type System = frame_system;
    #[runtime::pallet_index(1)]
    pub type Timestamp = pallet_timestamp;
    #[runtime::pallet_index(2)]
    pub type Balances = pallet_balances;
    #[runtime::pallet_index(3)]
    pub type TransactionPayment = pallet_transaction_payment;
    // Authorship must come before Session so block authors are noted for staking rewards.
    #[runtime::pallet_index(4)]
    pub type Authorship = pallet_authorship;
    #[runtime::pallet_index(5)]
    pub type Staking = pallet_staking;
    #[runtime::pallet_index(6)]
    pub type Offences = pallet_offences;
    #[runtime::pallet_index(7)]
    pub type Historical = pallet_session::historical;
    // Session must come before Aura and Grandpa: it sets their authorities at genesis.
    #[runtime::pallet_index(8)]
    pub type Session = pallet_session;
    #[runtime::pallet_index(9)]
    pub type Aura = pallet_aura;
    #[runtime::pallet_index(10)]
    pub type Grandpa = pallet_grandpa;
    #[runtime::pallet_index(11)]
    pub type Sudo = pallet_sudo;

    // Torus: login rules registered by dapps, and the key buffer with its assignments.
    #[runtime::pallet_index(20)]
    pub type Verifiers = pallet_verifiers;
    #[runtime::pallet_index(21)]
    pub type Keys = pallet_keys;
    #[runtime::pallet_index(22)]
    pub type Dkg = pallet_dkg;
}
