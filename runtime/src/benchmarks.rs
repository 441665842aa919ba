//! What `torus-node benchmark pallet` runs: the benchmarked pallets, and what the Torus
//! pallets' benchmarks need from this runtime. Compiled only with `runtime-benchmarks`.

use crate::*;

use frame_support::{traits::fungible::Mutate, BoundedVec};
use frame_system::RawOrigin;
use sp_core::crypto::key_types::AURA;
use torus_primitives::{IdClaim, IdClaimRule, KeyType, VerifierConfig, VerifierName};

frame_benchmarking::define_benchmarks!(
    [pallet_verifiers, Verifiers]
    [pallet_keys, Keys]
    [pallet_dkg, Dkg]
);

/// Makes a current validator and a DirectAuth verifier for `pallet-keys`' benchmarks.
pub struct KeysBenchmarkHelper;

impl pallet_keys::BenchmarkHelper<AccountId> for KeysBenchmarkHelper {
    fn assigner() -> AccountId {
        // A validator whose Aura session key, used as an account, is the assigner: the
        // storage that `CurrentValidatorSessionKeys` reads.
        let validator: AccountId = frame_benchmarking::account("validator", 0, 0);
        let session_key: AccountId = frame_benchmarking::account("session-key", 0, 0);
        let key_bytes: &[u8] = session_key.as_ref();
        pallet_session::KeyOwner::<Runtime>::insert((AURA, key_bytes.to_vec()), &validator);
        pallet_session::Validators::<Runtime>::append(validator);
        session_key
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
