//! What `torus-node benchmark pallet` runs: the benchmarked pallets, and what the Torus
//! pallets' benchmarks need from this runtime. Compiled only with `runtime-benchmarks`.

use crate::*;

use frame_support::{traits::fungible::Mutate, BoundedVec};
use frame_system::RawOrigin;
use torus_primitives::{dkg::DkgId, IdClaim, IdClaimRule, KeyType, VerifierConfig, VerifierName};

frame_benchmarking::define_benchmarks!(
    [pallet_verifiers, Verifiers]
    [pallet_keys, Keys]
    [pallet_dkg, Dkg]
);

/// Makes a current validator and a DirectAuth verifier for `pallet-keys`' benchmarks.
pub struct KeysBenchmarkHelper;

impl pallet_keys::BenchmarkHelper for KeysBenchmarkHelper {
    fn assigner() -> DkgId {
        // A committee member: what `pallet_dkg::CommitteeKeys` reads.
        let validator: AccountId = frame_benchmarking::account("validator", 0, 0);
        let key = DkgId::from(sp_core::ecdsa::Public::from_raw([2; 33]));
        pallet_dkg::Committee::<Runtime>::put(BoundedVec::truncate_from(alloc::vec![(
            validator,
            key.clone()
        )]));
        key
    }

    fn verifier() -> VerifierName {
        let owner: AccountId = frame_benchmarking::account("dapp", 0, 0);
        Balances::set_balance(&owner, 1_000 * UNIT);
        let name = VerifierName::truncate_from(b"bench-verifier".to_vec());
        let config = VerifierConfig {
            issuer: BoundedVec::truncate_from(b"https://issuer.bench".to_vec()),
            audiences: BoundedVec::truncate_from(alloc::vec![BoundedVec::truncate_from(
                b"bench-dapp".to_vec()
            )]),
            jwks: BoundedVec::new(),
            id_claim: IdClaimRule {
                claim: IdClaim::Sub,
                lowercase: false,
            },
            max_token_age_secs: 3_600,
            key_type: KeyType::DirectAuth,
        };
        Verifiers::register(RawOrigin::Signed(owner).into(), name.clone(), config)
            .expect("a fresh verifier with a funded owner registers");
        name
    }
}
