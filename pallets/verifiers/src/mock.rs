//! A test runtime with balances and this pallet, for the unit tests and the benchmark tests.

use crate as pallet_verifiers;
use frame_support::{derive_impl, parameter_types};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Verifiers: pallet_verifiers,
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

parameter_types! {
    pub const VerifierDeposit: u64 = DEPOSIT;
    pub const MaxConfigDelay: u64 = MAX_DELAY;
    pub const MaxChangesPerBlock: u32 = 2;
    pub const MaxScheduleSearch: u32 = 3;
}

impl pallet_verifiers::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type VerifierDeposit = VerifierDeposit;
    type MaxConfigDelay = MaxConfigDelay;
    type MaxChangesPerBlock = MaxChangesPerBlock;
    type MaxScheduleSearch = MaxScheduleSearch;
    type WeightInfo = ();
}

/// The deposit of a verifier in the test runtime.
pub const DEPOSIT: u64 = 10;
/// A dapp with enough funds for several deposits.
pub const ALICE: u64 = 1;
/// Another dapp with enough funds for several deposits.
pub const BOB: u64 = 2;
/// An account that cannot afford a deposit.
pub const POOR: u64 = 3;
/// The announcement delay at genesis, in blocks.
pub const DELAY: u64 = 10;
/// The longest announcement delay.
pub const MAX_DELAY: u64 = 1_000;

/// Alice and Bob have 100 each, `POOR` has 5; the announcement delay is [`DELAY`]; the chain
/// is at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("the test genesis builds");
    pallet_balances::GenesisConfig::<Test> {
        balances: vec![(ALICE, 100), (BOB, 100), (POOR, 5)],
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .expect("the test balances build");
    pallet_verifiers::GenesisConfig::<Test> {
        config_delay: DELAY,
    }
    .assimilate_storage(&mut storage)
    .expect("the test delay builds");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// Runs the chain up to block `n`: each block's `on_initialize`, as the executive would.
pub fn run_to(n: u64) {
    use frame_support::traits::Hooks;
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        <Verifiers as Hooks<u64>>::on_initialize(next);
    }
}
