//! Unit tests: every call, every error, every event.

use crate::{
    mock::*, weights::WeightInfo, ChangesDue, ConfigDelay, Error, Event, GenesisConfig, HoldReason,
    RetiredNames, RetiredUntil, Verifiers as VerifierStorage,
};
use frame_support::{
    assert_noop, assert_ok,
    traits::{
        fungible::{Inspect, InspectHold},
        BuildGenesisConfig, Hooks,
    },
};
use sp_runtime::{ArithmeticError, BoundedVec, DispatchError, TokenError};
use torus_primitives::{
    limits::MAX_JWKS, EcCurve, IdClaim, IdClaimRule, Jwk, JwkAlg, JwkParams, Jwks, KeyType,
    PendingChange, VerifierChange, VerifierConfig, VerifierInspect, VerifierName, VerifierPolicy,
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

/// The pending change of the verifier `text`, if any.
fn pending(text: &str) -> Option<PendingChange<u64>> {
    Verifiers::pending_change(text.as_bytes())
}

/// The block at which a change announced now takes effect (when its block has room).
fn due() -> u64 {
    System::block_number() + DELAY
}

/// Asserts that the last event announced `change` of `text` for block `at`.
fn assert_announced(text: &str, change: VerifierChange, at: u64) {
    System::assert_last_event(
        Event::ChangeAnnounced {
            name: name(text),
            change,
            effective_at: at,
        }
        .into(),
    );
}

/// Whether some event applied a change of `text`.
fn applied(text: &str) -> bool {
    System::events().iter().any(|record| {
        matches!(
            &record.event,
            RuntimeEvent::Verifiers(Event::ChangeApplied { name: n, .. }) if n == &name(text)
        )
    })
}

/// The schedule's invariants hold.
fn consistent() {
    assert_eq!(Verifiers::check_invariants(), Ok(()));
}

/// A change that makes a configuration invalid.
type Spoil = fn(&mut VerifierConfig);

/// Each way to spoil a configuration, with the error that names it.
fn defects() -> Vec<(Spoil, Error<Test>)> {
    vec![
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
    ]
}

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
        for (spoil, error) in defects() {
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
fn an_update_is_announced_and_applies_exactly_at_its_block() {
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
        let at = 1 + DELAY;
        assert_announced("google", VerifierChange::Config, at);
        assert_eq!(
            pending("google"),
            Some(PendingChange {
                change: VerifierChange::Config,
                effective_at: at,
                config: config.clone(),
            })
        );
        consistent();

        // Not visible one block before its effective block.
        run_to(at - 1);
        assert_eq!(stored("google"), google());
        assert!(!applied("google"));
        consistent();

        run_to(at);
        assert_eq!(stored("google"), config);
        assert_eq!(pending("google"), None);
        assert!(!ChangesDue::<Test>::contains_key(at));
        System::assert_last_event(
            Event::ChangeApplied {
                name: name("google"),
                change: VerifierChange::Config,
            }
            .into(),
        );
        consistent();
    });
}

#[test]
fn the_key_pallet_sees_the_configuration_in_effect() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let mut config = google();
        config.id_claim = IdClaimRule {
            claim: IdClaim::Sub,
            lowercase: false,
        };
        assert_ok!(Verifiers::update_config(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            config.clone()
        ));
        let policy = || <Verifiers as VerifierInspect>::policy(&name("google")).map(|p| p.id_claim);
        assert_eq!(policy(), Some(google().id_claim));
        run_to(DELAY);
        assert_eq!(policy(), Some(google().id_claim));
        run_to(1 + DELAY);
        assert_eq!(policy(), Some(config.id_claim));
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
fn an_invalid_configuration_is_refused_at_announcement() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        for (spoil, error) in defects() {
            let mut config = google();
            spoil(&mut config);
            assert_noop!(
                Verifiers::update_config(RuntimeOrigin::signed(ALICE), name("google"), config),
                error
            );
        }
        assert_eq!(pending("google"), None);
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
        assert_ok!(Verifiers::add_jwk(
            RuntimeOrigin::signed(ALICE),
            google_name.clone(),
            rsa_key("g3")
        ));
        assert_noop!(
            Verifiers::cancel_change(bob.clone(), google_name.clone()),
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
            Verifiers::cancel_change(alice.clone(), missing.clone()),
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
        assert_announced("google", VerifierChange::Jwks, due());
        let at = due();
        run_to(at - 1);
        assert_eq!(stored("google").jwks, google().jwks);
        run_to(at);
        assert_eq!(stored("google").jwks, new_keys);
        System::assert_last_event(
            Event::ChangeApplied {
                name: name("google"),
                change: VerifierChange::Jwks,
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
        assert_announced("google", VerifierChange::Jwks, due());
        run_to(due());
        assert!(stored("google").jwks.is_empty());
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
        let added = VerifierChange::AddJwk(bounded(b"k1"));
        let at = due();
        assert_announced("google", added.clone(), at);
        // A key of the owner's own would let them mint any user's token: not before the delay.
        run_to(at - 1);
        assert_eq!(stored("google").jwks, google().jwks);
        run_to(at);
        assert_eq!(
            stored("google").jwks,
            jwks(vec![rsa_key("g1"), rsa_key("g2"), secp256k1_key("k1")])
        );
        System::assert_last_event(
            Event::ChangeApplied {
                name: name("google"),
                change: added,
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
        run_to(due());
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
        assert_announced("google", VerifierChange::AddJwk(bounded(b"g3")), due());
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
        run_to(1 + DELAY);
        assert_noop!(
            Verifiers::register(RuntimeOrigin::signed(BOB), name("google"), google()),
            Error::<Test>::NameRetired
        );
        register_google(ALICE);
        assert!(RetiredNames::<Test>::get(name("google")).is_none());
        assert!(RetiredUntil::<Test>::get(name("google")).is_none());
        assert_eq!(held(ALICE), DEPOSIT);
    });
}

// --- the announcement delay ---

#[test]
fn a_new_announcement_replaces_the_pending_change_and_restarts_the_delay() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let alice = RuntimeOrigin::signed(ALICE);
        assert_ok!(Verifiers::add_jwk(
            alice.clone(),
            name("google"),
            rsa_key("g3")
        ));
        let first = due();
        run_to(5);
        let mut config = google();
        config.audiences = BoundedVec::try_from(vec![bounded(b"other-client")]).expect("fits");
        assert_ok!(Verifiers::update_config(
            alice,
            name("google"),
            config.clone()
        ));
        let second = due();
        assert_eq!(second, 5 + DELAY);
        assert_announced("google", VerifierChange::Config, second);
        assert!(!ChangesDue::<Test>::contains_key(first));
        consistent();

        // The first change never applies: its block passes without it.
        run_to(first);
        assert_eq!(stored("google"), google());
        assert!(!applied("google"));
        run_to(second - 1);
        assert_eq!(stored("google"), google());

        run_to(second);
        // The whole configuration that was announced last, without the replaced key.
        assert_eq!(stored("google"), config);
        System::assert_last_event(
            Event::ChangeApplied {
                name: name("google"),
                change: VerifierChange::Config,
            }
            .into(),
        );
        consistent();
    });
}

#[test]
fn the_owner_can_cancel_a_pending_change() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let alice = RuntimeOrigin::signed(ALICE);
        assert_noop!(
            Verifiers::cancel_change(alice.clone(), name("google")),
            Error::<Test>::NoPendingChange
        );
        assert_ok!(Verifiers::rotate_jwks(
            alice.clone(),
            name("google"),
            jwks(vec![])
        ));
        let at = due();
        assert_ok!(Verifiers::cancel_change(alice.clone(), name("google")));
        System::assert_last_event(
            Event::ChangeCancelled {
                name: name("google"),
            }
            .into(),
        );
        assert_eq!(pending("google"), None);
        assert!(!ChangesDue::<Test>::contains_key(at));
        consistent();
        assert_noop!(
            Verifiers::cancel_change(alice, name("google")),
            Error::<Test>::NoPendingChange
        );

        run_to(at);
        assert_eq!(stored("google"), google());
        assert!(!applied("google"));
    });
}

#[test]
fn the_new_owner_may_cancel_a_change_the_former_owner_announced() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::add_jwk(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            rsa_key("alices-own")
        ));
        assert_ok!(Verifiers::transfer_ownership(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            BOB
        ));
        // A transfer is immediate and leaves the pending change as it is.
        assert!(pending("google").is_some());
        assert_noop!(
            Verifiers::cancel_change(RuntimeOrigin::signed(ALICE), name("google")),
            Error::<Test>::NotOwner
        );
        assert_ok!(Verifiers::cancel_change(
            RuntimeOrigin::signed(BOB),
            name("google")
        ));
        assert_eq!(pending("google"), None);
    });
}

#[test]
fn rotate_and_add_check_the_keys_at_announcement() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let alice = RuntimeOrigin::signed(ALICE);
        assert_noop!(
            Verifiers::rotate_jwks(alice.clone(), name("google"), jwks(vec![rsa_key("")])),
            Error::<Test>::InvalidJwk
        );
        assert_noop!(
            Verifiers::add_jwk(alice.clone(), name("google"), rsa_key("g2")),
            Error::<Test>::DuplicateKid
        );
        let mut config = google();
        config.key_type = KeyType::ThresholdSigning;
        assert_noop!(
            Verifiers::update_config(alice, name("google"), config),
            Error::<Test>::KeyTypeImmutable
        );
        assert_eq!(pending("google"), None);
    });
}

#[test]
fn remove_jwk_is_immediate_and_also_takes_the_key_out_of_the_pending_change() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let alice = RuntimeOrigin::signed(ALICE);
        assert_ok!(Verifiers::rotate_jwks(
            alice.clone(),
            name("google"),
            jwks(vec![rsa_key("g1"), rsa_key("g3")])
        ));
        let at = due();

        // The leaked key g1 is revoked now, and the pending rotation cannot bring it back.
        assert_ok!(Verifiers::remove_jwk(alice, name("google"), bounded(b"g1")));
        System::assert_last_event(
            Event::JwkRemoved {
                name: name("google"),
                kid: bounded(b"g1"),
            }
            .into(),
        );
        assert_eq!(stored("google").jwks, jwks(vec![rsa_key("g2")]));
        let still_pending = pending("google").expect("the rotation is still announced");
        assert_eq!(still_pending.config.jwks, jwks(vec![rsa_key("g3")]));
        assert_eq!(still_pending.effective_at, at);
        consistent();

        run_to(at);
        assert_eq!(stored("google").jwks, jwks(vec![rsa_key("g3")]));
    });
}

#[test]
fn remove_jwk_of_a_key_only_in_the_pending_change_leaves_the_effective_set() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let alice = RuntimeOrigin::signed(ALICE);
        assert_ok!(Verifiers::rotate_jwks(
            alice.clone(),
            name("google"),
            jwks(vec![rsa_key("g3"), rsa_key("g4")])
        ));
        assert_ok!(Verifiers::remove_jwk(
            alice.clone(),
            name("google"),
            bounded(b"g3")
        ));
        assert_eq!(stored("google").jwks, google().jwks);
        assert_eq!(
            pending("google").map(|p| p.config.jwks),
            Some(jwks(vec![rsa_key("g4")]))
        );
        assert_noop!(
            Verifiers::remove_jwk(alice, name("google"), bounded(b"g3")),
            Error::<Test>::JwkNotFound
        );
    });
}

#[test]
fn remove_jwk_of_a_pending_added_key_cancels_that_change() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        let alice = RuntimeOrigin::signed(ALICE);
        assert_ok!(Verifiers::add_jwk(
            alice.clone(),
            name("google"),
            rsa_key("g3")
        ));
        let at = due();
        assert_ok!(Verifiers::remove_jwk(alice, name("google"), bounded(b"g3")));
        let events: Vec<RuntimeEvent> = System::events()
            .into_iter()
            .map(|record| record.event)
            .collect();
        assert_eq!(
            events[events.len() - 2..],
            [
                Event::ChangeCancelled {
                    name: name("google"),
                }
                .into(),
                Event::JwkRemoved {
                    name: name("google"),
                    kid: bounded(b"g3"),
                }
                .into(),
            ]
        );
        assert_eq!(pending("google"), None);
        assert!(!ChangesDue::<Test>::contains_key(at));
        assert_eq!(stored("google"), google());
        consistent();
    });
}

#[test]
fn removing_a_verifier_drops_its_pending_change() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::add_jwk(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            rsa_key("g3")
        ));
        let at = due();
        assert_ok!(Verifiers::remove(
            RuntimeOrigin::signed(ALICE),
            name("google")
        ));
        assert!(System::events().iter().any(|record| record.event
            == Event::ChangeCancelled {
                name: name("google")
            }
            .into()));
        System::assert_last_event(
            Event::Removed {
                name: name("google"),
                depositor: ALICE,
                released: DEPOSIT,
            }
            .into(),
        );
        assert_eq!(pending("google"), None);
        assert!(!ChangesDue::<Test>::contains_key(at));
        consistent();

        run_to(at);
        assert!(Verifiers::verifier(b"google").is_none());
        assert!(!applied("google"));
    });
}

#[test]
fn a_removed_name_comes_back_only_after_the_delay() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::remove(
            RuntimeOrigin::signed(ALICE),
            name("google")
        ));
        let until = 1 + DELAY;
        assert_eq!(RetiredUntil::<Test>::get(name("google")), Some(until));

        // Removing and registering again is no way around the delay.
        let mut hostile = google();
        hostile.jwks = jwks(vec![rsa_key("alices-own")]);
        run_to(until - 1);
        assert_noop!(
            Verifiers::register(
                RuntimeOrigin::signed(ALICE),
                name("google"),
                hostile.clone()
            ),
            Error::<Test>::ReregistrationTooEarly
        );
        run_to(until);
        assert_ok!(Verifiers::register(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            hostile.clone()
        ));
        assert_eq!(stored("google"), hostile);
    });
}

#[test]
fn a_full_block_sends_the_change_to_the_next_block_with_room() {
    new_test_ext().execute_with(|| {
        // Two changes fit a block; an announcement looks at three blocks.
        let names = ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"];
        for (i, text) in names.iter().enumerate() {
            let owner = if i < 4 { ALICE } else { BOB };
            assert_ok!(Verifiers::register(
                RuntimeOrigin::signed(owner),
                name(text),
                google()
            ));
        }
        let owner = |i: usize| RuntimeOrigin::signed(if i < 4 { ALICE } else { BOB });
        let first = due();
        for (i, text) in names[..6].iter().enumerate() {
            assert_ok!(Verifiers::add_jwk(owner(i), name(text), rsa_key("new")));
            assert_announced(
                text,
                VerifierChange::AddJwk(bounded(b"new")),
                first + i as u64 / 2,
            );
        }
        assert_eq!(
            ChangesDue::<Test>::get(first + 1).into_inner(),
            vec![name("v3"), name("v4")]
        );
        consistent();

        // Blocks first..=first+2 are full: the seventh is refused and changes nothing.
        assert_noop!(
            Verifiers::add_jwk(owner(6), name("v7"), rsa_key("new")),
            Error::<Test>::ScheduleFull
        );
        // Replacing a pending change frees its place first: v1 moves within the window.
        assert_ok!(Verifiers::rotate_jwks(owner(0), name("v1"), jwks(vec![])));
        assert_announced("v1", VerifierChange::Jwks, first);

        // A block later, the window has moved by one block and has room at its end.
        run_to(2);
        assert_ok!(Verifiers::add_jwk(owner(6), name("v7"), rsa_key("new")));
        assert_announced("v7", VerifierChange::AddJwk(bounded(b"new")), first + 3);
        consistent();

        // The changes due at a block apply in announcement order.
        System::reset_events();
        run_to(first);
        let applied_at_first: Vec<VerifierName> = System::events()
            .into_iter()
            .filter_map(|record| match record.event {
                RuntimeEvent::Verifiers(Event::ChangeApplied { name, .. }) => Some(name),
                _ => None,
            })
            .collect();
        assert_eq!(applied_at_first, vec![name("v2"), name("v1")]);
        assert!(stored("v1").jwks.is_empty());
        run_to(first + 3);
        for text in &names[1..7] {
            assert!(
                stored(text)
                    .jwks
                    .iter()
                    .any(|key| key.kid.as_slice() == b"new"),
                "{text}"
            );
        }
        assert_eq!(stored("v8"), google());
        assert_eq!(ChangesDue::<Test>::iter().count(), 0);
        consistent();
    });
}

#[test]
fn on_initialize_weighs_the_changes_it_applied() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        assert_ok!(Verifiers::add_jwk(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            rsa_key("g3")
        ));
        let at = due();
        run_to(at - 1);
        System::set_block_number(at);
        assert_eq!(
            <Verifiers as Hooks<u64>>::on_initialize(at),
            <() as WeightInfo>::apply_changes(1)
        );
        assert_eq!(
            <Verifiers as Hooks<u64>>::on_initialize(at + 1),
            <() as WeightInfo>::apply_changes(0)
        );
        assert!(applied("google"));
    });
}

#[test]
fn set_config_delay_is_for_root_and_bounded() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Verifiers::set_config_delay(RuntimeOrigin::signed(ALICE), 5),
            DispatchError::BadOrigin
        );
        for bad in [0, MAX_DELAY + 1] {
            assert_noop!(
                Verifiers::set_config_delay(RuntimeOrigin::root(), bad),
                Error::<Test>::InvalidConfigDelay
            );
        }

        register_google(ALICE);
        assert_ok!(Verifiers::add_jwk(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            rsa_key("g3")
        ));
        assert_ok!(Verifiers::set_config_delay(
            RuntimeOrigin::root(),
            MAX_DELAY
        ));
        System::assert_last_event(Event::ConfigDelaySet { delay: MAX_DELAY }.into());
        assert_eq!(Verifiers::config_delay(), MAX_DELAY);
        // A pending change keeps its block; later announcements wait the new delay.
        assert_eq!(pending("google").map(|p| p.effective_at), Some(1 + DELAY));
        assert_ok!(Verifiers::rotate_jwks(
            RuntimeOrigin::signed(ALICE),
            name("google"),
            jwks(vec![])
        ));
        assert_announced("google", VerifierChange::Jwks, 1 + MAX_DELAY);

        assert_ok!(Verifiers::set_config_delay(RuntimeOrigin::root(), 1));
        assert_eq!(ConfigDelay::<Test>::get(), 1);
    });
}

#[test]
fn block_numbers_near_their_end_are_refused_not_wrapped() {
    new_test_ext().execute_with(|| {
        register_google(ALICE);
        System::set_block_number(u64::MAX - 1);
        assert_noop!(
            Verifiers::add_jwk(RuntimeOrigin::signed(ALICE), name("google"), rsa_key("g3")),
            ArithmeticError::Overflow
        );
        assert_noop!(
            Verifiers::remove(RuntimeOrigin::signed(ALICE), name("google")),
            ArithmeticError::Overflow
        );
    });
}

#[test]
fn genesis_sets_the_delay_within_its_bounds() {
    assert_eq!(
        GenesisConfig::<Test>::default().config_delay,
        u64::from(crate::DEFAULT_CONFIG_DELAY)
    );
    new_test_ext().execute_with(|| {
        assert_eq!(Verifiers::config_delay(), DELAY);
        <Verifiers as Hooks<u64>>::integrity_test();
    });
    // A chain whose genesis does not set it gets the default.
    sp_io::TestExternalities::default().execute_with(|| {
        assert_eq!(
            Verifiers::config_delay(),
            u64::from(crate::DEFAULT_CONFIG_DELAY)
        );
    });
}

#[test]
#[should_panic(expected = "not between 1 and MaxConfigDelay")]
fn a_genesis_delay_of_zero_is_refused() {
    sp_io::TestExternalities::default().execute_with(|| {
        GenesisConfig::<Test> { config_delay: 0 }.build();
    });
}

#[test]
#[should_panic(expected = "not between 1 and MaxConfigDelay")]
fn a_genesis_delay_above_the_maximum_is_refused() {
    sp_io::TestExternalities::default().execute_with(|| {
        GenesisConfig::<Test> {
            config_delay: MAX_DELAY + 1,
        }
        .build();
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
        assert!(Verifiers::pending_change(&[b'g'; 65]).is_none());
        assert!(VerifierStorage::<Test>::contains_key(name("google")));
    });
}
