//! A test runtime with this pallet, balances, a fixed set of verifiers and a fixed validator
//! set, for the unit tests and the benchmark tests.

use crate as pallet_keys;
use frame_support::{derive_impl, parameter_types, traits::Contains};
use sp_core::{ConstU32, ConstU64, Pair as _};
use sp_runtime::BuildStorage;
use torus_primitives::{
    dkg::{app, DkgId},
    IdClaim, IdClaimRule, KeyType, VerifierInspect, VerifierName, VerifierPolicy,
};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Keys: pallet_keys,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type AccountStore = System;
}

/// The largest DKG batch in the test runtime.
pub const MAX_BATCH_SIZE: u32 = 8;
/// The most new assignments per block in the test runtime.
pub const MAX_ASSIGNMENTS_PER_BLOCK: u32 = 4;
/// The most new assignments per verifier per block in the test runtime.
pub const MAX_ASSIGNMENTS_PER_VERIFIER_PER_BLOCK: u32 = 3;
/// The largest allowance in the test runtime.
pub const MAX_ALLOWANCE: u32 = 1_000;
/// The price of a key in the test runtime.
pub const DEFAULT_KEY_FEE: u64 = 5;

parameter_types! {
    /// [`DEFAULT_KEY_FEE`]; a test may change it (`KeyFee::set`) for its own thread.
    pub static KeyFee: u64 = DEFAULT_KEY_FEE;
}

impl pallet_keys::Config for Test {
    type Verifiers = TestVerifiers;
    type Assigners = Validators;
    type Currency = Balances;
    type KeyFee = KeyFee;
    type MaxAllowance = ConstU32<MAX_ALLOWANCE>;
    type MaxAssignmentsPerBlock = ConstU32<MAX_ASSIGNMENTS_PER_BLOCK>;
    type MaxAssignmentsPerVerifierPerBlock = ConstU32<MAX_ASSIGNMENTS_PER_VERIFIER_PER_BLOCK>;
    type UnsignedPriority = ConstU64<1000>;
    type MaxBatchSize = ConstU32<MAX_BATCH_SIZE>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockBenchmarkHelper;
}

/// The benchmarks use [`VALIDATOR`] and [`DISCORD`], which the mock provides statically.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_keys::BenchmarkHelper for MockBenchmarkHelper {
    fn assigner() -> DkgId {
        dkg_pair(VALIDATOR).public()
    }
    fn verifier() -> VerifierName {
        VerifierName::truncate_from(DISCORD.as_bytes().to_vec())
    }
}

/// A validator (the seed of its DKG key).
pub const VALIDATOR: u8 = 1;
/// Another validator.
pub const OTHER_VALIDATOR: u8 = 2;
/// Someone who is not a validator.
pub const STRANGER: u8 = 9;

/// A dapp's account, endowed with [`DAPP_FUNDS`].
pub const DAPP: u64 = 1;
/// An account with no funds.
pub const PAUPER: u64 = 2;
/// What [`DAPP`] has at genesis.
pub const DAPP_FUNDS: u64 = 1_000_000;
/// The allowance every DirectAuth verifier ([`GOOGLE`], [`DISCORD`]) has at genesis, so that
/// the assignment tests need no top-up.
pub const GENESIS_ALLOWANCE: u32 = 100;

/// The DKG key pair of `who`: the seed is 32 times `who`.
pub fn dkg_pair(who: u8) -> app::Pair {
    app::Pair::from_seed(&[who; 32])
}

/// The validators are those with the DKG keys of 1, 2 and 3.
pub struct Validators;
impl Contains<DkgId> for Validators {
    fn contains(key: &DkgId) -> bool {
        (1..=3).any(|who| dkg_pair(who).public() == *key)
    }
}

/// A DirectAuth verifier whose ids are lower-cased e-mail addresses.
pub const GOOGLE: &str = "google";
/// A DirectAuth verifier whose ids keep their case.
pub const DISCORD: &str = "discord";
/// A threshold-signing verifier.
pub const TSS: &str = "tss-wallet";

/// The verifiers [`GOOGLE`], [`DISCORD`] and [`TSS`] exist; no other does.
pub struct TestVerifiers;
impl VerifierInspect for TestVerifiers {
    fn policy(name: &VerifierName) -> Option<VerifierPolicy> {
        let (key_type, id_claim) = match name.as_slice() {
            n if n == GOOGLE.as_bytes() => (
                KeyType::DirectAuth,
                IdClaimRule {
                    claim: IdClaim::Email,
                    lowercase: true,
                },
            ),
            n if n == DISCORD.as_bytes() => (
                KeyType::DirectAuth,
                IdClaimRule {
                    claim: IdClaim::Sub,
                    lowercase: false,
                },
            ),
            n if n == TSS.as_bytes() => (
                KeyType::ThresholdSigning,
                IdClaimRule {
                    claim: IdClaim::Sub,
                    lowercase: false,
                },
            ),
            _ => return None,
        };
        Some(VerifierPolicy { key_type, id_claim })
    }
}

/// An empty buffer at block 1, [`DAPP`] endowed, and [`GENESIS_ALLOWANCE`] keys of allowance
/// for [`GOOGLE`] and [`DISCORD`].
pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("the test genesis builds");
    pallet_balances::GenesisConfig::<Test> {
        balances: vec![(DAPP, DAPP_FUNDS)],
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .expect("the balances genesis builds");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| {
        System::set_block_number(1);
        for name in [GOOGLE, DISCORD] {
            pallet_keys::KeyAllowance::<Test>::insert(
                VerifierName::truncate_from(name.as_bytes().to_vec()),
                GENESIS_ALLOWANCE,
            );
        }
    });
    ext
}
