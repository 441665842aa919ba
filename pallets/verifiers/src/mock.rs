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
}

impl pallet_verifiers::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type VerifierDeposit = VerifierDeposit;
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

/// Alice and Bob have 100 each, `POOR` has 5; the chain is at block 1.
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
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
