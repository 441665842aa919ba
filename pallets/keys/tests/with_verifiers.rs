//! `pallet-keys` wired to `pallet-verifiers` as the runtime wires them: verifiers registered
//! through their pallet decide where keys may be assigned and which allowances can be bought.

use frame_support::{
    assert_noop, assert_ok, derive_impl, parameter_types, traits::Contains, BoundedVec,
};
use pallet_keys::Error as KeysError;
use pallet_verifiers::Error as VerifiersError;
use sp_core::{ConstU32, ConstU64, Pair as _};
use sp_runtime::{traits::Dispatchable, BuildStorage};
use torus_primitives::{
    dkg::{app, DkgId},
    keys::assign_payload,
    GeneratedKey, IdClaim, IdClaimRule, Jwk, JwkAlg, JwkParams, KeyType, PublicKey, VerifierConfig,
};

type Block = frame_system::mocking::MockBlock<Runtime>;

frame_support::construct_runtime!(
    pub enum Runtime {
        System: frame_system,
        Balances: pallet_balances,
        Verifiers: pallet_verifiers,
        Keys: pallet_keys,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Runtime {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Runtime {
    type AccountStore = System;
}

parameter_types! {
    pub const VerifierDeposit: u64 = 10;
    pub const KeyFee: u64 = 2;
}

impl pallet_verifiers::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type VerifierDeposit = VerifierDeposit;
    type MaxConfigDelay = ConstU64<100>;
    type MaxChangesPerBlock = ConstU32<4>;
    type MaxScheduleSearch = ConstU32<4>;
    type WeightInfo = ();
}

/// The DKG key of the only validator.
fn validator() -> app::Pair {
    app::Pair::from_seed(&[100; 32])
}

/// The only validator is [`validator`].
pub struct Validators;
impl Contains<DkgId> for Validators {
    fn contains(key: &DkgId) -> bool {
        *key == validator().public()
    }
}

impl pallet_keys::Config for Runtime {
    type Verifiers = Verifiers;
    type Assigners = Validators;
    type Currency = Balances;
    type KeyFee = KeyFee;
    type MaxAllowance = ConstU32<100>;
    type MaxAssignmentsPerBlock = ConstU32<4>;
    type MaxAssignmentsPerVerifierPerBlock = ConstU32<2>;
    type UnsignedPriority = ConstU64<1>;
    type MaxBatchSize = ConstU32<4>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = NoBenchmarks;
}

/// This runtime is not benchmarked.
#[cfg(feature = "runtime-benchmarks")]
pub struct NoBenchmarks;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_keys::BenchmarkHelper for NoBenchmarks {
    fn assigner() -> DkgId {
        validator().public()
    }
    fn verifier() -> torus_primitives::VerifierName {
        BoundedVec::truncate_from(b"google".to_vec())
    }
}

const DAPP: u64 = 1;
const OTHER_DAPP: u64 = 2;

fn new_test_ext() -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Runtime>::default()
        .build_storage()
        .expect("genesis builds");
    pallet_balances::GenesisConfig::<Runtime> {
        balances: vec![(DAPP, 100), (OTHER_DAPP, 100)],
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .expect("balances build");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

fn bounded<S: sp_core::Get<u32>>(bytes: &[u8]) -> BoundedVec<u8, S> {
    BoundedVec::try_from(bytes.to_vec()).expect("test value fits")
}

fn config(key_type: KeyType) -> VerifierConfig {
    VerifierConfig {
        issuer: bounded(b"https://accounts.google.com"),
        audiences: BoundedVec::try_from(vec![bounded(b"client")]).expect("fits"),
        jwks: BoundedVec::try_from(vec![Jwk {
            kid: bounded(b"k1"),
            alg: JwkAlg::RS256,
            params: JwkParams::Rsa {
                n: bounded(&[0xc1; 256]),
                e: bounded(&[1, 0, 1]),
            },
        }])
        .expect("fits"),
        id_claim: IdClaimRule {
            claim: IdClaim::Email,
            lowercase: true,
        },
        max_token_age_secs: 300,
        key_type,
    }
}

/// `who` buys `keys` keys of allowance for `verifier`.
fn top_up(who: u64, verifier: &str, keys: u32) -> frame_support::dispatch::DispatchResult {
    Keys::top_up(
        RuntimeOrigin::signed(who),
        bounded(verifier.as_bytes()),
        keys,
    )
}

fn assign(verifier: &str, id: &str) -> frame_support::dispatch::DispatchResultWithPostInfo {
    RuntimeCall::Keys(pallet_keys::Call::assign {
        verifier: bounded(verifier.as_bytes()),
        verifier_id: bounded(id.as_bytes()),
        assigner: validator().public(),
        signature: validator().sign(&assign_payload(verifier.as_bytes(), id.as_bytes())),
    })
    .dispatch(RuntimeOrigin::none())
}

/// Four keys, ids 0..4, in batch 1.
fn fill_buffer() {
    let keys = (0..4u8)
        .map(|i| {
            let mut public_key = [i; 33];
            public_key[0] = 0x02;
            GeneratedKey {
                public_key: PublicKey(public_key),
                commitments_hash: [i; 32],
            }
        })
        .collect::<Vec<_>>();
    assert_ok!(Keys::insert_generated_keys(
        1,
        BoundedVec::try_from(keys).expect("fits")
    ));
}

#[test]
fn keys_are_assigned_only_under_registered_direct_auth_verifiers() {
    new_test_ext().execute_with(|| {
        fill_buffer();
        assert_noop!(
            assign("google", "alice@example.com"),
            KeysError::<Runtime>::UnknownVerifier
        );
        assert_noop!(
            top_up(DAPP, "google", 1),
            KeysError::<Runtime>::UnknownVerifier
        );

        assert_ok!(Verifiers::register(
            RuntimeOrigin::signed(DAPP),
            bounded(b"google"),
            config(KeyType::DirectAuth)
        ));
        assert_ok!(Verifiers::register(
            RuntimeOrigin::signed(DAPP),
            bounded(b"wallet"),
            config(KeyType::ThresholdSigning)
        ));
        // Registered, but nobody has paid for keys yet.
        assert_noop!(
            assign("google", "alice@example.com"),
            KeysError::<Runtime>::AllowanceSpent
        );
        assert_ok!(top_up(DAPP, "google", 2));
        assert_ok!(top_up(DAPP, "wallet", 1));

        assert_ok!(assign("google", "alice@example.com"));
        assert_eq!(
            Keys::lookup(b"google", b"alice@example.com").map(|key| key.key_id),
            Some(0)
        );
        assert_noop!(
            assign("google", "Bob@example.com"),
            KeysError::<Runtime>::VerifierIdNotNormalized
        );
        assert_noop!(
            assign("wallet", "alice@example.com"),
            KeysError::<Runtime>::KeyTypeNotServed
        );
    });
}

#[test]
fn a_removed_verifier_keeps_its_users_keys_and_its_name() {
    new_test_ext().execute_with(|| {
        fill_buffer();
        assert_ok!(Verifiers::register(
            RuntimeOrigin::signed(DAPP),
            bounded(b"google"),
            config(KeyType::DirectAuth)
        ));
        assert_ok!(top_up(DAPP, "google", 2));
        assert_ok!(assign("google", "alice@example.com"));
        assert_ok!(Verifiers::remove(
            RuntimeOrigin::signed(DAPP),
            bounded(b"google")
        ));

        // The user keeps the key, and asking again does not take another one.
        assert_ok!(assign("google", "alice@example.com"));
        assert_eq!(
            Keys::lookup(b"google", b"alice@example.com").map(|key| key.key_id),
            Some(0)
        );
        assert_eq!(Keys::buffer_size(), 3);
        // Nobody new gets a key under the removed name, and nobody else can take the name.
        assert_noop!(
            assign("google", "bob@example.com"),
            KeysError::<Runtime>::UnknownVerifier
        );
        assert_noop!(
            Verifiers::register(
                RuntimeOrigin::signed(OTHER_DAPP),
                bounded(b"google"),
                config(KeyType::DirectAuth)
            ),
            VerifiersError::<Runtime>::NameRetired
        );
    });
}

#[test]
fn anyone_may_pay_for_a_verifier_and_the_fee_is_burned() {
    new_test_ext().execute_with(|| {
        assert_ok!(Verifiers::register(
            RuntimeOrigin::signed(DAPP),
            bounded(b"google"),
            config(KeyType::DirectAuth)
        ));
        let issuance = Balances::total_issuance();
        // Not the owner: a dapp's backend, a sponsor, anyone.
        assert_ok!(top_up(OTHER_DAPP, "google", 5));
        assert_eq!(Balances::free_balance(OTHER_DAPP), 100 - 5 * KeyFee::get());
        assert_eq!(Balances::total_issuance(), issuance - 5 * KeyFee::get());
        assert_eq!(Keys::allowance(b"google"), 5);
        System::assert_last_event(RuntimeEvent::Keys(pallet_keys::Event::AllowanceToppedUp {
            verifier: bounded(b"google"),
            payer: OTHER_DAPP,
            keys: 5,
            fee: 5 * KeyFee::get(),
        }));
    });
}

#[test]
fn a_removed_verifier_keeps_its_allowance_for_its_last_owner() {
    new_test_ext().execute_with(|| {
        fill_buffer();
        assert_ok!(Verifiers::register(
            RuntimeOrigin::signed(DAPP),
            bounded(b"google"),
            config(KeyType::DirectAuth)
        ));
        assert_ok!(top_up(DAPP, "google", 3));
        assert_ok!(assign("google", "alice@example.com"));
        assert_ok!(Verifiers::remove(
            RuntimeOrigin::signed(DAPP),
            bounded(b"google")
        ));

        // Nothing is spent while the verifier is away, and nothing more can be bought for it.
        assert_noop!(
            assign("google", "bob@example.com"),
            KeysError::<Runtime>::UnknownVerifier
        );
        assert_noop!(
            top_up(DAPP, "google", 1),
            KeysError::<Runtime>::UnknownVerifier
        );
        assert_eq!(Keys::allowance(b"google"), 2);

        // Only the last owner can take the name back (after any delay `pallet-verifiers` sets
        // for that), and with it the keys it paid for.
        System::set_block_number(10_000);
        assert_eq!(Keys::allowance(b"google"), 2);
        assert_ok!(Verifiers::register(
            RuntimeOrigin::signed(DAPP),
            bounded(b"google"),
            config(KeyType::DirectAuth)
        ));
        assert_ok!(assign("google", "bob@example.com"));
        assert_eq!(Keys::allowance(b"google"), 1);
    });
}

#[test]
fn one_verifiers_flood_neither_drains_the_buffer_nor_fills_the_block() {
    new_test_ext().execute_with(|| {
        fill_buffer();
        for name in [b"google".as_slice(), b"discord".as_slice()] {
            assert_ok!(Verifiers::register(
                RuntimeOrigin::signed(DAPP),
                bounded(name),
                config(KeyType::DirectAuth)
            ));
        }
        assert_ok!(top_up(DAPP, "google", 1));
        assert_ok!(top_up(DAPP, "discord", 10));

        // Random ids under "google": one key is paid for, so one is taken.
        assert_ok!(assign("google", "random-1@example.com"));
        assert_noop!(
            assign("google", "random-2@example.com"),
            KeysError::<Runtime>::AllowanceSpent
        );
        assert_eq!(Keys::buffer_size(), 3);

        // "discord" has paid for more than a block's share: it gets its share per block, and
        // the block still has room for others.
        assert_ok!(assign("discord", "a@example.com"));
        assert_ok!(assign("discord", "b@example.com"));
        assert_noop!(
            assign("discord", "c@example.com"),
            KeysError::<Runtime>::VerifierBlockFull
        );
        assert_eq!(Keys::buffer_size(), 1);
        System::set_block_number(2);
        assert_ok!(assign("discord", "c@example.com"));
        assert_eq!(Keys::allowance(b"discord"), 7);
    });
}
