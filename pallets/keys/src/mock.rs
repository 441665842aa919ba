//! A test runtime with this pallet, a fixed set of verifiers and a fixed validator set, for the
//! unit tests and the benchmark tests.

use crate as pallet_keys;
use frame_support::{derive_impl, traits::Contains};
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
        Keys: pallet_keys,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
}

/// The largest DKG batch in the test runtime.
pub const MAX_BATCH_SIZE: u32 = 8;
/// The most new assignments per block in the test runtime.
pub const MAX_ASSIGNMENTS_PER_BLOCK: u32 = 4;

impl pallet_keys::Config for Test {
    type Verifiers = TestVerifiers;
    type Assigners = Validators;
    type MaxAssignmentsPerBlock = ConstU32<MAX_ASSIGNMENTS_PER_BLOCK>;
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

/// An empty buffer at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
    let storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("the test genesis builds");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
