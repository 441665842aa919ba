//! Unit tests: every call, every error, every event.

use crate::{mock::*, Error, Event, HoldReason, RetiredNames, Verifiers as VerifierStorage};
use frame_support::{
    assert_noop, assert_ok,
    traits::fungible::{Inspect, InspectHold},
};
use sp_runtime::{BoundedVec, TokenError};
use torus_primitives::{
    limits::MAX_JWKS, EcCurve, IdClaim, IdClaimRule, Jwk, JwkAlg, JwkParams, Jwks, KeyType,
    VerifierConfig, VerifierInspect, VerifierName, VerifierPolicy,
};

fn bounded<S: sp_core::Get<u32>>(bytes: &[u8]) -> BoundedVec<u8, S> {
    BoundedVec::try_from(bytes.to_vec()).expect("test value fits its bound")
}

fn name(text: &str) -> VerifierName {
    bounded(text.as_bytes())
}

fn rsa_key(kid: &str) -> Jwk {
    Jwk {
        kid: bounded(kid.as_bytes()),
        alg: JwkAlg::RS256,
        params: JwkParams::Rsa {
            n: bounded(&[0xc5; 256]),
            e: bounded(&[1, 0, 1]),
        },
    }
}

fn secp256k1_key(kid: &str) -> Jwk {
    Jwk {
        kid: bounded(kid.as_bytes()),
        alg: JwkAlg::ES256K,
        params: JwkParams::Ec {
            curve: EcCurve::Secp256k1,
            x: [7; 32],
            y: [9; 32],
        },
    }
}

fn jwks(keys: Vec<Jwk>) -> Jwks {
    BoundedVec::try_from(keys).expect("test JWKS fits")
}

fn google() -> VerifierConfig {
    VerifierConfig {
        issuer: bounded(b"https://accounts.google.com"),
        audiences: BoundedVec::try_from(vec![bounded(b"client-id.apps.googleusercontent.com")])
            .expect("fits"),
        jwks: jwks(vec![rsa_key("g1"), rsa_key("g2")]),
        id_claim: IdClaimRule {
            claim: IdClaim::Email,
            lowercase: true,
        },
        max_token_age_secs: 300,
        key_type: KeyType::DirectAuth,
    }
}

fn register_google(owner: u64) {
    assert_ok!(Verifiers::register(
        RuntimeOrigin::signed(owner),
        name("google"),
        google()
    ));
}

fn stored(text: &str) -> VerifierConfig {
    Verifiers::verifier(text.as_bytes())
        .expect("the verifier exists")
        .config
}

fn held(who: u64) -> u64 {
    Balances::balance_on_hold(&HoldReason::VerifierDeposit.into(), &who)
}

/// A change that makes a configuration invalid.
type Spoil = fn(&mut VerifierConfig);

// --- register ---

#[test]
fn register_stores_the_verifier_and_holds_the_deposit() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);

        let record = Verifiers::verifier(b"google").expect("registered");
        assert_eq!(record.owner, ALICE);
        assert_eq!(record.depositor, ALICE);
        assert_eq!(record.deposit, DEPOSIT);
        assert_eq!(record.config, google());
        assert_eq!(held(ALICE), DEPOSIT);
        assert_eq!(Balances::balance(&ALICE), 100 - DEPOSIT);
        System::assert_last_event(
            Event::Registered {
                name: name("google"),
                owner: ALICE,
                deposit: DEPOSIT,
            }
            .into(),
        );
    });
}

#[test]
fn register_refuses_a_taken_name() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_noop!(
            Verifiers::register(RuntimeOrigin::signed(BOB), name("google"), google()),
            Error::<Test>::NameTaken
        );
    });
}

#[test]
fn register_refuses_empty_and_non_printable_names() {
    new_test_ext().execute_with(|| {
        for bad in ["", "with space", "tab\there", "caf\u{e9}"] {
            assert_noop!(
                Verifiers::register(RuntimeOrigin::signed(ALICE), name(bad), google()),
                Error::<Test>::InvalidName
            );
        }
    });
}

#[test]
fn register_names_each_configuration_defect() {
    new_test_ext().execute_with(|| {
        let cases: Vec<(Spoil, Error<Test>)> = vec![
            (|c| c.issuer = bounded(b""), Error::<Test>::EmptyIssuer),
            (
                |c| c.audiences = BoundedVec::new(),
                Error::<Test>::InvalidAudiences,
            ),
            (
                |c| c.audiences = BoundedVec::try_from(vec![bounded(b"")]).expect("fits"),
                Error::<Test>::InvalidAudiences,
            ),
            (
                |c| {
                    c.audiences =
                        BoundedVec::try_from(vec![bounded(b"a"), bounded(b"a")]).expect("fits")
                },
                Error::<Test>::DuplicateAudience,
            ),
            (
                |c| c.jwks = jwks(vec![rsa_key("")]),
                Error::<Test>::InvalidJwk,
            ),
            (
                |c| {
                    let mut wrong_alg = secp256k1_key("k");
                    wrong_alg.alg = JwkAlg::ES256;
                    c.jwks = jwks(vec![wrong_alg]);
                },
                Error::<Test>::InvalidJwk,
            ),
            (
                |c| c.jwks = jwks(vec![rsa_key("k"), rsa_key("k")]),
                Error::<Test>::DuplicateKid,
            ),
            (
                |c| c.id_claim.claim = IdClaim::Named(bounded(b"")),
                Error::<Test>::InvalidClaimName,
            ),
            (|c| c.max_token_age_secs = 0, Error::<Test>::ZeroTokenAge),
        ];
        for (spoil, error) in cases {
            let mut config = google();
            spoil(&mut config);
            assert_noop!(
                Verifiers::register(RuntimeOrigin::signed(ALICE), name("google"), config),
                error
            );
        }
    });
}

#[test]
fn register_accepts_every_kind_of_key_and_claim() {
    new_test_ext().execute_with(|| {
        let p256 = Jwk {
            kid: bounded(b"p"),
            alg: JwkAlg::ES256,
            params: JwkParams::Ec {
                curve: EcCurve::P256,
                x: [1; 32],
                y: [2; 32],
            },
        };
        let mut config = google();
        config.jwks = jwks(vec![rsa_key("r"), p256, secp256k1_key("k")]);
        config.id_claim = IdClaimRule {
            claim: IdClaim::Named(bounded(b"wallet")),
            lowercase: false,
        };
        config.key_type = KeyType::ThresholdSigning;
        assert_ok!(Verifiers::register(
            RuntimeOrigin::signed(ALICE),
            name("dapp"),
            config.clone()
        ));
        assert_eq!(stored("dapp"), config);
    });
}

#[test]
fn register_fails_when_the_deposit_cannot_be_held() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Verifiers::register(RuntimeOrigin::signed(POOR), name("google"), google()),
            TokenError::FundsUnavailable
        );
    });
}

// --- update_config ---

#[test]
fn the_owner_can_replace_the_configuration() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let mut config = google();
        config.issuer = bounded(b"accounts.google.com");
        config.max_token_age_secs = 60;
        assert_ok!(Verifiers::update_config(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            config.clone()
        ));
        assert_eq!(stored("google"), config);
        System::assert_last_event(
            Event::ConfigUpdated {
                name: name("google"),
            }
            .into(),
        );
    });
}

#[test]
fn update_config_refuses_a_new_key_type() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let mut config = google();
        config.key_type = KeyType::ThresholdSigning;
        assert_noop!(
            Verifiers::update_config(RuntimeOrigin::signed(ALICE), name("google"), config),
            Error::<Test>::KeyTypeImmutable
        );
    });
}

#[test]
fn update_config_checks_the_new_configuration() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let mut config = google();
        config.max_token_age_secs = 0;
        assert_noop!(
            Verifiers::update_config(RuntimeOrigin::signed(ALICE), name("google"), config),
            Error::<Test>::ZeroTokenAge
        );
    });
}

#[test]
fn only_the_owner_can_change_or_remove_a_verifier() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let bob = RuntimeOrigin::signed(BOB);
        let google_name = name("google");
        assert_noop!(
            Verifiers::update_config(bob.clone(), google_name.clone(), google()),
            Error::<Test>::NotOwner
        );
        assert_noop!(
            Verifiers::rotate_jwks(bob.clone(), google_name.clone(), jwks(vec![])),
            Error::<Test>::NotOwner
        );
        assert_noop!(
            Verifiers::add_jwk(bob.clone(), google_name.clone(), rsa_key("g3")),
            Error::<Test>::NotOwner
        );
        assert_noop!(
            Verifiers::remove_jwk(bob.clone(), google_name.clone(), bounded(b"g1")),
            Error::<Test>::NotOwner
        );
        assert_noop!(
            Verifiers::transfer_ownership(bob.clone(), google_name.clone(), BOB),
            Error::<Test>::NotOwner
        );
        assert_noop!(Verifiers::remove(bob, google_name), Error::<Test>::NotOwner);
    });
}

#[test]
fn owner_operations_on_an_unknown_verifier_fail() {
    new_test_ext().execute_with(|| {
        let alice = RuntimeOrigin::signed(ALICE);
        let missing = name("missing");
        assert_noop!(
            Verifiers::update_config(alice.clone(), missing.clone(), google()),
            Error::<Test>::UnknownVerifier
        );
        assert_noop!(
            Verifiers::rotate_jwks(alice.clone(), missing.clone(), jwks(vec![])),
            Error::<Test>::UnknownVerifier
        );
        assert_noop!(
            Verifiers::add_jwk(alice.clone(), missing.clone(), rsa_key("k")),
            Error::<Test>::UnknownVerifier
        );
        assert_noop!(
            Verifiers::remove_jwk(alice.clone(), missing.clone(), bounded(b"k")),
            Error::<Test>::UnknownVerifier
        );
        assert_noop!(
            Verifiers::transfer_ownership(alice.clone(), missing.clone(), BOB),
            Error::<Test>::UnknownVerifier
        );
        assert_noop!(
            Verifiers::remove(alice, missing),
            Error::<Test>::UnknownVerifier
        );
    });
}

// --- JWKS ---

#[test]
fn rotate_jwks_replaces_the_whole_key_set() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let new_keys = jwks(vec![rsa_key("g3"), secp256k1_key("k1"), rsa_key("g4")]);
        assert_ok!(Verifiers::rotate_jwks(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            new_keys.clone()
        ));
        assert_eq!(stored("google").jwks, new_keys);
        System::assert_last_event(
            Event::JwksRotated {
                name: name("google"),
                keys: 3,
            }
            .into(),
        );
    });
}

#[test]
fn rotate_jwks_to_an_empty_set_disables_logins() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::rotate_jwks(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            jwks(vec![])
        ));
        assert!(stored("google").jwks.is_empty());
        System::assert_last_event(
            Event::JwksRotated {
                name: name("google"),
                keys: 0,
            }
            .into(),
        );
    });
}

#[test]
fn rotate_jwks_refuses_malformed_or_duplicate_keys() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_noop!(
            Verifiers::rotate_jwks(
                RuntimeOrigin::signed(ALICE),
                name("google"),
                jwks(vec![rsa_key("")])
            ),
            Error::<Test>::InvalidJwk
        );
        assert_noop!(
            Verifiers::rotate_jwks(
                RuntimeOrigin::signed(ALICE),
                name("google"),
                jwks(vec![rsa_key("a"), secp256k1_key("a")])
            ),
            Error::<Test>::DuplicateKid
        );
    });
}

#[test]
fn add_jwk_appends_a_key() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::add_jwk(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            secp256k1_key("k1")
        ));
        assert_eq!(
            stored("google").jwks,
            jwks(vec![rsa_key("g1"), rsa_key("g2"), secp256k1_key("k1")])
        );
        System::assert_last_event(
            Event::JwkAdded {
                name: name("google"),
                kid: bounded(b"k1"),
            }
            .into(),
        );
    });
}

#[test]
fn add_jwk_refuses_a_known_kid_a_malformed_key_and_a_full_set() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let alice = RuntimeOrigin::signed(ALICE);
        assert_noop!(
            Verifiers::add_jwk(alice.clone(), name("google"), secp256k1_key("g1")),
            Error::<Test>::DuplicateKid
        );
        let mut malformed = rsa_key("g3");
        malformed.alg = JwkAlg::ES256K;
        assert_noop!(
            Verifiers::add_jwk(alice.clone(), name("google"), malformed),
            Error::<Test>::InvalidJwk
        );

        let full = jwks((0..MAX_JWKS).map(|i| rsa_key(&format!("k{i}"))).collect());
        assert_ok!(Verifiers::rotate_jwks(alice.clone(), name("google"), full));
        assert_noop!(
            Verifiers::add_jwk(alice, name("google"), rsa_key("one-too-many")),
            Error::<Test>::TooManyJwks
        );
    });
}

#[test]
fn remove_jwk_removes_exactly_that_key() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::remove_jwk(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            bounded(b"g1")
        ));
        assert_eq!(stored("google").jwks, jwks(vec![rsa_key("g2")]));
        System::assert_last_event(
            Event::JwkRemoved {
                name: name("google"),
                kid: bounded(b"g1"),
            }
            .into(),
        );
    });
}

#[test]
fn remove_jwk_of_an_unknown_kid_fails() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_noop!(
            Verifiers::remove_jwk(
                RuntimeOrigin::signed(ALICE),
                name("google"),
                bounded(b"nope")
            ),
            Error::<Test>::JwkNotFound
        );
    });
}

// --- ownership and removal ---

#[test]
fn a_transferred_verifier_is_controlled_by_its_new_owner() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::transfer_ownership(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            BOB
        ));
        System::assert_last_event(
            Event::OwnershipTransferred {
                name: name("google"),
                from: ALICE,
                to: BOB,
            }
            .into(),
        );

        let record = Verifiers::verifier(b"google").expect("still registered");
        assert_eq!((record.owner, record.depositor), (BOB, ALICE));
        assert_noop!(
            Verifiers::add_jwk(RuntimeOrigin::signed(ALICE), name("google"), rsa_key("g3")),
            Error::<Test>::NotOwner
        );
        assert_ok!(Verifiers::add_jwk(
            RuntimeOrigin::signed(BOB),
            name("google"),
            rsa_key("g3")
        ));
    });
}

#[test]
fn transfer_ownership_to_the_owner_fails() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_noop!(
            Verifiers::transfer_ownership(RuntimeOrigin::signed(ALICE), name("google"), ALICE),
            Error::<Test>::AlreadyOwner
        );
    });
}

#[test]
fn remove_deletes_the_verifier_returns_the_deposit_and_retires_the_name() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::remove(
            RuntimeOrigin::signed(ALICE),
            name("google")
        ));

        assert!(Verifiers::verifier(b"google").is_none());
        assert_eq!(held(ALICE), 0);
        assert_eq!(Balances::balance(&ALICE), 100);
        assert_eq!(RetiredNames::<Test>::get(name("google")), Some(ALICE));
        System::assert_last_event(
            Event::Removed {
                name: name("google"),
                depositor: ALICE,
                released: DEPOSIT,
            }
            .into(),
        );
    });
}

#[test]
fn the_deposit_returns_to_the_depositor_after_a_transfer() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::transfer_ownership(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            BOB
        ));
        assert_ok!(Verifiers::remove(
            RuntimeOrigin::signed(BOB),
            name("google")
        ));

        assert_eq!((held(ALICE), Balances::balance(&ALICE)), (0, 100));
        assert_eq!((held(BOB), Balances::balance(&BOB)), (0, 100));
        assert_eq!(RetiredNames::<Test>::get(name("google")), Some(BOB));
        System::assert_last_event(
            Event::Removed {
                name: name("google"),
                depositor: ALICE,
                released: DEPOSIT,
            }
            .into(),
        );
    });
}

#[test]
fn a_retired_name_can_be_registered_again_only_by_its_last_owner() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::remove(
            RuntimeOrigin::signed(ALICE),
            name("google")
        ));

        assert_noop!(
            Verifiers::register(RuntimeOrigin::signed(BOB), name("google"), google()),
            Error::<Test>::NameRetired
        );
        register_google(ALICE);
        assert!(RetiredNames::<Test>::get(name("google")).is_none());
        assert_eq!(held(ALICE), DEPOSIT);
    });
}

// --- read access ---

#[test]
fn the_key_pallet_sees_a_verifiers_policy() {
    new_test_ext().execute_with(|| {
        assert_eq!(
            <Verifiers as VerifierInspect>::policy(&name("google")),
            None
        );
        register_google(ALICE);
        assert_eq!(
            <Verifiers as VerifierInspect>::policy(&name("google")),
            Some(VerifierPolicy {
                key_type: KeyType::DirectAuth,
                id_claim: IdClaimRule {
                    claim: IdClaim::Email,
                    lowercase: true
                },
            })
        );
    });
}

#[test]
fn a_name_longer_than_the_bound_reads_as_absent() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert!(Verifiers::verifier(&[b'g'; 65]).is_none());
        assert!(VerifierStorage::<Test>::contains_key(name("google")));
    });
}
