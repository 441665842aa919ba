//! Unit tests: every call and public function, every error, every event, and the storage
//! invariants after each scenario.

use crate::{
    mock::*, Batches, Error, Event, KeyByPublicKey, Keys as KeyStorage, NextKeyId, NextUnassigned,
};
use frame_support::{
    assert_noop, assert_ok,
    dispatch::{CheckIfFeeless, Pays},
    BoundedVec,
};
use sp_runtime::DispatchError;
use torus_primitives::{
    AssignedKey, BatchRecord, GeneratedKey, KeyId, KeyRecord, PublicKey, VerifierId, VerifierName,
};

/// Runs `test` in a fresh test externality, then checks the storage invariants.
fn scenario(test: impl FnOnce()) {
    new_test_ext().execute_with(|| {
        test();
        assert_eq!(Keys::check_invariants(), Ok(()));
    });
}

fn public_key(tag: u8) -> PublicKey {
    let mut bytes = [tag; 33];
    bytes[0] = 0x02 + tag % 2;
    PublicKey(bytes)
}

fn generated(tag: u8) -> GeneratedKey {
    GeneratedKey {
        public_key: public_key(tag),
        commitments_hash: [tag; 32],
    }
}

fn batch(tags: impl IntoIterator<Item = u8>) -> BoundedVec<GeneratedKey, ConstMaxBatch> {
    BoundedVec::try_from(tags.into_iter().map(generated).collect::<Vec<_>>())
        .expect("test batch fits")
}

type ConstMaxBatch = sp_core::ConstU32<MAX_BATCH_SIZE>;

fn verifier(name: &str) -> VerifierName {
    BoundedVec::try_from(name.as_bytes().to_vec()).expect("test name fits")
}

fn user(id: &str) -> VerifierId {
    BoundedVec::try_from(id.as_bytes().to_vec()).expect("test id fits")
}

/// Puts keys tagged 1..=`count` in the buffer as batch 7.
fn fill_buffer(count: u8) {
    assert_ok!(Keys::insert_generated_keys(7, batch(1..=count)));
}

fn assign(who: u64, name: &str, id: &str) -> frame_support::dispatch::DispatchResultWithPostInfo {
    Keys::assign(RuntimeOrigin::signed(who), verifier(name), user(id))
}

fn assigned(name: &str, id: &str) -> Option<KeyId> {
    Keys::lookup(name.as_bytes(), id.as_bytes()).map(|key| key.key_id)
}

// --- insert_generated_keys ---

#[test]
fn a_batch_enters_the_buffer_with_consecutive_ids() {
    scenario(|| {
        assert_eq!(Keys::insert_generated_keys(7, batch([1, 2, 3])), Ok(0));

        assert_eq!(Keys::buffer_size(), 3);
        assert_eq!(
            Keys::key(2),
            Some(KeyRecord {
                public_key: public_key(3),
                batch: 7,
                commitments_hash: [3; 32]
            })
        );
        assert_eq!(KeyByPublicKey::<Test>::get(public_key(2)), Some(1));
        assert_eq!(
            Batches::<Test>::get(7),
            Some(BatchRecord {
                first_key: 0,
                key_count: 3,
                inserted_at: 1
            })
        );
        System::assert_last_event(
            Event::KeysGenerated {
                batch: 7,
                first_key: 0,
                count: 3,
            }
            .into(),
        );
    });
}

#[test]
fn a_later_batch_continues_the_ids() {
    scenario(|| {
        fill_buffer(2);
        System::set_block_number(5);
        assert_eq!(Keys::insert_generated_keys(8, batch([10, 11])), Ok(2));

        assert_eq!(NextKeyId::<Test>::get(), 4);
        assert_eq!(Keys::key(3).map(|key| key.batch), Some(8));
        assert_eq!(
            Batches::<Test>::get(8),
            Some(BatchRecord {
                first_key: 2,
                key_count: 2,
                inserted_at: 5
            })
        );
        System::assert_last_event(
            Event::KeysGenerated {
                batch: 8,
                first_key: 2,
                count: 2,
            }
            .into(),
        );
    });
}

#[test]
fn an_empty_batch_is_refused() {
    scenario(|| {
        assert_noop!(
            Keys::insert_generated_keys(7, batch([])),
            Error::<Test>::EmptyBatch
        );
    });
}

#[test]
fn the_dkg_fills_the_buffer_through_the_key_buffer_trait() {
    use torus_primitives::KeyBuffer;
    scenario(|| {
        assert_eq!(<Keys as KeyBuffer>::max_batch_size(), MAX_BATCH_SIZE);
        let keys: Vec<_> = (1..=3).map(generated).collect();
        assert_eq!(<Keys as KeyBuffer>::insert_generated_keys(7, keys), Ok(0));
        assert_eq!(<Keys as KeyBuffer>::buffer_size(), 3);
    });
}

#[test]
fn the_key_buffer_trait_refuses_an_oversized_batch() {
    use torus_primitives::KeyBuffer;
    scenario(|| {
        let keys: Vec<_> = (0..=MAX_BATCH_SIZE as u8).map(generated).collect();
        assert_noop!(
            <Keys as KeyBuffer>::insert_generated_keys(7, keys),
            Error::<Test>::BatchTooLarge
        );
    });
}

#[test]
fn a_batch_id_is_used_once() {
    scenario(|| {
        fill_buffer(1);
        assert_noop!(
            Keys::insert_generated_keys(7, batch([5])),
            Error::<Test>::BatchExists
        );
    });
}

#[test]
fn an_uncompressed_public_key_is_refused_and_nothing_is_written() {
    scenario(|| {
        let mut keys = batch([1, 2]);
        keys[1].public_key.0[0] = 0x04;
        assert_noop!(
            Keys::insert_generated_keys(7, keys),
            Error::<Test>::InvalidPublicKey
        );
    });
}

#[test]
fn a_public_key_never_enters_the_buffer_twice() {
    scenario(|| {
        assert_noop!(
            Keys::insert_generated_keys(7, batch([1, 2, 1])),
            Error::<Test>::DuplicatePublicKey
        );
        fill_buffer(2);
        assert_noop!(
            Keys::insert_generated_keys(8, batch([3, 2])),
            Error::<Test>::DuplicatePublicKey
        );
    });
}

#[test]
fn key_ids_cannot_overflow() {
    new_test_ext().execute_with(|| {
        NextKeyId::<Test>::put(u64::MAX - 1);
        NextUnassigned::<Test>::put(u64::MAX - 1);
        assert_noop!(
            Keys::insert_generated_keys(7, batch([1, 2])),
            Error::<Test>::KeyIdOverflow
        );
    });
}

// --- assign ---

#[test]
fn a_first_login_gets_the_lowest_unassigned_key() {
    scenario(|| {
        fill_buffer(3);
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));

        assert_eq!(
            Keys::lookup(GOOGLE.as_bytes(), b"alice@example.com"),
            Some(AssignedKey {
                key_id: 0,
                public_key: public_key(1)
            })
        );
        assert_eq!(Keys::buffer_size(), 2);
        System::assert_last_event(
            Event::KeyAssigned {
                verifier: verifier(GOOGLE),
                verifier_id: user("alice@example.com"),
                key_id: 0,
                public_key: public_key(1),
            }
            .into(),
        );
    });
}

#[test]
fn users_get_keys_in_buffer_order() {
    scenario(|| {
        fill_buffer(3);
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        assert_ok!(assign(VALIDATOR, DISCORD, "alice@example.com"));
        assert_ok!(assign(OTHER_VALIDATOR, GOOGLE, "bob@example.com"));

        assert_eq!(assigned(GOOGLE, "alice@example.com"), Some(0));
        assert_eq!(assigned(DISCORD, "alice@example.com"), Some(1));
        assert_eq!(assigned(GOOGLE, "bob@example.com"), Some(2));
        assert_eq!(Keys::buffer_size(), 0);
    });
}

#[test]
fn a_second_assign_for_a_user_keeps_the_first_key() {
    scenario(|| {
        fill_buffer(3);
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        System::set_block_number(2);
        System::reset_events();
        let info = assign(VALIDATOR, GOOGLE, "alice@example.com").expect("a repeat succeeds");

        assert_eq!(assigned(GOOGLE, "alice@example.com"), Some(0));
        assert_eq!(Keys::buffer_size(), 2);
        assert_eq!(info.pays_fee, Pays::No);
        assert_eq!(
            info.actual_weight,
            Some(<() as crate::WeightInfo>::assign_existing())
        );
        assert!(System::events().is_empty(), "a repeat emits no event");
    });
}

#[test]
fn every_validator_asking_in_one_block_gives_the_user_one_key() {
    scenario(|| {
        fill_buffer(3);
        for validator in 1..=3 {
            assert_ok!(assign(validator, GOOGLE, "alice@example.com"));
        }

        assert_eq!(assigned(GOOGLE, "alice@example.com"), Some(0));
        assert_eq!(Keys::buffer_size(), 2);
        let assignments = System::events()
            .iter()
            .filter(|record| matches!(record.event, RuntimeEvent::Keys(Event::KeyAssigned { .. })))
            .count();
        assert_eq!(assignments, 1);
    });
}

#[test]
fn assign_is_free_for_validators() {
    scenario(|| {
        fill_buffer(1);
        let info = assign(VALIDATOR, GOOGLE, "alice@example.com").expect("assigned");
        assert_eq!(info.pays_fee, Pays::No);
        assert_eq!(
            info.actual_weight,
            Some(<() as crate::WeightInfo>::assign())
        );

        let call = RuntimeCall::Keys(crate::Call::assign {
            verifier: verifier(GOOGLE),
            verifier_id: user("bob@example.com"),
        });
        assert!(call.is_feeless(&RuntimeOrigin::signed(VALIDATOR)));
        assert!(!call.is_feeless(&RuntimeOrigin::signed(STRANGER)));
        assert!(!call.is_feeless(&RuntimeOrigin::none()));
    });
}

#[test]
fn only_validators_may_assign() {
    scenario(|| {
        fill_buffer(1);
        assert_noop!(
            assign(STRANGER, GOOGLE, "alice@example.com"),
            Error::<Test>::NotAssigner
        );
        assert_noop!(
            Keys::assign(
                RuntimeOrigin::none(),
                verifier(GOOGLE),
                user("alice@example.com")
            ),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn an_empty_verifier_id_is_refused() {
    scenario(|| {
        fill_buffer(1);
        assert_noop!(
            assign(VALIDATOR, GOOGLE, ""),
            Error::<Test>::EmptyVerifierId
        );
    });
}

#[test]
fn the_verifier_must_exist() {
    scenario(|| {
        fill_buffer(1);
        assert_noop!(
            assign(VALIDATOR, "nobody", "alice"),
            Error::<Test>::UnknownVerifier
        );
    });
}

#[test]
fn threshold_signing_verifiers_are_not_served_yet() {
    scenario(|| {
        fill_buffer(1);
        assert_noop!(
            assign(VALIDATOR, TSS, "alice"),
            Error::<Test>::KeyTypeNotServed
        );
    });
}

#[test]
fn a_lowercasing_verifier_refuses_upper_case_ids() {
    scenario(|| {
        fill_buffer(2);
        assert_noop!(
            assign(VALIDATOR, GOOGLE, "Alice@example.com"),
            Error::<Test>::VerifierIdNotNormalized
        );
        assert_ok!(assign(VALIDATOR, DISCORD, "Alice#1234"));
    });
}

#[test]
fn an_empty_buffer_is_a_clear_error() {
    scenario(|| {
        assert_noop!(
            assign(VALIDATOR, GOOGLE, "alice@example.com"),
            Error::<Test>::BufferEmpty
        );
        fill_buffer(1);
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        assert_noop!(
            assign(VALIDATOR, GOOGLE, "bob@example.com"),
            Error::<Test>::BufferEmpty
        );
    });
}

#[test]
fn a_missing_buffered_key_is_reported_not_assigned() {
    new_test_ext().execute_with(|| {
        fill_buffer(1);
        KeyStorage::<Test>::remove(0);
        assert_noop!(
            assign(VALIDATOR, GOOGLE, "alice@example.com"),
            Error::<Test>::MissingKey
        );
        assert!(Keys::check_invariants().is_err());
    });
}

// --- read access ---

#[test]
fn lookups_of_unknown_or_oversized_users_find_nothing() {
    scenario(|| {
        fill_buffer(1);
        assert_eq!(Keys::lookup(GOOGLE.as_bytes(), b"alice@example.com"), None);
        assert_eq!(Keys::lookup(&[b'g'; 65], b"alice"), None);
        assert_eq!(Keys::lookup(GOOGLE.as_bytes(), &[b'a'; 257]), None);
        assert_eq!(Keys::key(1), None);
    });
}
