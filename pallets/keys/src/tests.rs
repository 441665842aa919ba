//! Unit tests: every call and public function, every error, every event, and the storage
//! invariants after each scenario.

// The pool checks go through `ValidateUnsigned`, deprecated in this SDK (see the crate docs).
#![allow(deprecated)]

use crate::{
    mock::*, AssignRefusal, Batches, Error, Event, KeyByPublicKey, Keys as KeyStorage, NextKeyId,
    NextUnassigned, Nonces,
};
use frame_support::{
    assert_noop, assert_ok, dispatch::Pays, pallet_prelude::TransactionSource, BoundedVec,
};
use sp_core::Pair as _;
use sp_runtime::{
    traits::{Dispatchable, ValidateUnsigned},
    transaction_validity::{InvalidTransaction, TransactionValidityError},
    DispatchError,
};
use torus_primitives::{
    keys::{assign_payload, metadata_nonce},
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

/// The `assign` call for (`name`, `id`) signed by `who`'s DKG key.
fn assign_call(who: u8, name: &str, id: &str) -> crate::Call<Test> {
    let pair = dkg_pair(who);
    crate::Call::assign {
        verifier: verifier(name),
        verifier_id: user(id),
        assigner: pair.public(),
        signature: pair.sign(&assign_payload(name.as_bytes(), id.as_bytes())),
    }
}

/// Dispatches `who`'s `assign` as an unsigned transaction (what a block does once the pool and
/// the block builder accepted it).
fn assign(who: u8, name: &str, id: &str) -> frame_support::dispatch::DispatchResultWithPostInfo {
    RuntimeCall::Keys(assign_call(who, name, id)).dispatch(RuntimeOrigin::none())
}

/// What the transaction pool says of `who`'s `assign`.
fn validate(who: u8, name: &str, id: &str) -> Result<(), TransactionValidityError> {
    Keys::validate_unsigned(TransactionSource::External, &assign_call(who, name, id)).map(|_| ())
}

/// `who`'s `assign` is refused by the pool with `refusal` and by the dispatch with `error`.
fn assert_refused(who: u8, name: &str, id: &str, refusal: AssignRefusal, error: Error<Test>) {
    assert_eq!(
        validate(who, name, id),
        Err(InvalidTransaction::Custom(refusal as u8).into())
    );
    assert_noop!(assign(who, name, id), error);
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
                public_key: public_key(1),
                nonce: metadata_nonce(System::parent_hash().as_ref(), 0),
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
fn assign_is_free() {
    scenario(|| {
        fill_buffer(1);
        let info = assign(VALIDATOR, GOOGLE, "alice@example.com").expect("assigned");
        assert_eq!(info.pays_fee, Pays::No);
        assert_eq!(
            info.actual_weight,
            Some(<() as crate::WeightInfo>::assign())
        );
    });
}

#[test]
fn each_key_gets_its_nonce_at_assignment() {
    scenario(|| {
        fill_buffer(2);
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        let parent = System::parent_hash();
        assert_eq!(
            Nonces::<Test>::get(0),
            Some(metadata_nonce(parent.as_ref(), 0))
        );
        assert_eq!(Nonces::<Test>::get(1), None, "a buffered key has no nonce");

        // A repeat does not change it, even in a later block.
        System::set_block_number(2);
        System::set_parent_hash([9; 32].into());
        assert_ok!(assign(OTHER_VALIDATOR, GOOGLE, "alice@example.com"));
        assert_eq!(
            Nonces::<Test>::get(0),
            Some(metadata_nonce(parent.as_ref(), 0))
        );
    });
}

#[test]
fn only_validators_may_assign() {
    scenario(|| {
        fill_buffer(1);
        assert_eq!(
            validate(STRANGER, GOOGLE, "alice@example.com"),
            Err(InvalidTransaction::BadSigner.into())
        );
        assert_noop!(
            assign(STRANGER, GOOGLE, "alice@example.com"),
            Error::<Test>::NotAssigner
        );
        assert_noop!(
            RuntimeCall::Keys(assign_call(VALIDATOR, GOOGLE, "alice@example.com"))
                .dispatch(RuntimeOrigin::signed(1)),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn the_pool_refuses_a_bad_signature() {
    scenario(|| {
        fill_buffer(1);
        // Alice's signature presented for Bob.
        let mut call = assign_call(VALIDATOR, GOOGLE, "alice@example.com");
        let crate::Call::assign { signature, .. } = &mut call else {
            unreachable!("an assign call")
        };
        *signature =
            dkg_pair(VALIDATOR).sign(&assign_payload(GOOGLE.as_bytes(), b"bob@example.com"));
        assert_eq!(
            Keys::validate_unsigned(TransactionSource::External, &call).map(|_| ()),
            Err(InvalidTransaction::BadProof.into())
        );
    });
}

#[test]
fn the_pool_keeps_one_assign_per_user() {
    scenario(|| {
        fill_buffer(2);
        let tags = |who, id| {
            Keys::validate_unsigned(TransactionSource::External, &assign_call(who, GOOGLE, id))
                .expect("valid")
                .provides
        };
        assert_eq!(
            tags(VALIDATOR, "alice@example.com"),
            tags(OTHER_VALIDATOR, "alice@example.com")
        );
        assert_ne!(
            tags(VALIDATOR, "alice@example.com"),
            tags(VALIDATOR, "bob@example.com")
        );

        // Once the user has a key, further requests are stale.
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        assert_eq!(
            validate(OTHER_VALIDATOR, GOOGLE, "alice@example.com"),
            Err(InvalidTransaction::Stale.into())
        );
    });
}

#[test]
fn a_block_takes_at_most_the_maximum_of_new_assignments() {
    scenario(|| {
        fill_buffer(MAX_BATCH_SIZE as u8);
        let users: Vec<String> = (0..=MAX_ASSIGNMENTS_PER_BLOCK)
            .map(|i| format!("user{i}@example.com"))
            .collect();
        for id in &users[..MAX_ASSIGNMENTS_PER_BLOCK as usize] {
            assert_ok!(Keys::pre_dispatch(&assign_call(VALIDATOR, GOOGLE, id)));
            assert_ok!(assign(VALIDATOR, GOOGLE, id));
        }
        let last = &users[MAX_ASSIGNMENTS_PER_BLOCK as usize];
        // The pool keeps it, the block builder leaves it for the next block.
        assert_ok!(validate(VALIDATOR, GOOGLE, last));
        assert_eq!(
            Keys::pre_dispatch(&assign_call(VALIDATOR, GOOGLE, last)),
            Err(InvalidTransaction::ExhaustsResources.into())
        );
        assert_noop!(
            assign(VALIDATOR, GOOGLE, last),
            Error::<Test>::TooManyAssignments
        );
        // Repeats for users who have a key are not new assignments.
        assert_ok!(assign(VALIDATOR, GOOGLE, &users[0]));

        System::set_block_number(2);
        assert_eq!(Keys::assignments_left_in_block(), MAX_ASSIGNMENTS_PER_BLOCK);
        assert_ok!(Keys::pre_dispatch(&assign_call(VALIDATOR, GOOGLE, last)));
        assert_ok!(assign(VALIDATOR, GOOGLE, last));
    });
}

#[test]
fn an_empty_verifier_id_is_refused() {
    scenario(|| {
        fill_buffer(1);
        assert_refused(
            VALIDATOR,
            GOOGLE,
            "",
            AssignRefusal::EmptyVerifierId,
            Error::<Test>::EmptyVerifierId,
        );
    });
}

#[test]
fn the_verifier_must_exist() {
    scenario(|| {
        fill_buffer(1);
        assert_refused(
            VALIDATOR,
            "nobody",
            "alice",
            AssignRefusal::UnknownVerifier,
            Error::<Test>::UnknownVerifier,
        );
    });
}

#[test]
fn threshold_signing_verifiers_are_not_served_yet() {
    scenario(|| {
        fill_buffer(1);
        assert_refused(
            VALIDATOR,
            TSS,
            "alice",
            AssignRefusal::KeyTypeNotServed,
            Error::<Test>::KeyTypeNotServed,
        );
    });
}

#[test]
fn a_lowercasing_verifier_refuses_upper_case_ids() {
    scenario(|| {
        fill_buffer(2);
        assert_refused(
            VALIDATOR,
            GOOGLE,
            "Alice@example.com",
            AssignRefusal::VerifierIdNotNormalized,
            Error::<Test>::VerifierIdNotNormalized,
        );
        assert_ok!(assign(VALIDATOR, DISCORD, "Alice#1234"));
    });
}

#[test]
fn an_empty_buffer_is_a_clear_error() {
    scenario(|| {
        assert_refused(
            VALIDATOR,
            GOOGLE,
            "alice@example.com",
            AssignRefusal::BufferEmpty,
            Error::<Test>::BufferEmpty,
        );
        fill_buffer(1);
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        assert_refused(
            VALIDATOR,
            GOOGLE,
            "bob@example.com",
            AssignRefusal::BufferEmpty,
            Error::<Test>::BufferEmpty,
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
