//! Unit tests: every call and public function, every error, every event, and the storage
//! invariants after each scenario.

// The pool checks go through `ValidateUnsigned`, deprecated in this SDK (see the crate docs).
#![allow(deprecated)]

use crate::{
    mock::*, AssignRefusal, Batches, Error, Event, KeyAllowance, KeyByPublicKey,
    Keys as KeyStorage, NextKeyId, NextUnassigned, Nonces, VerifierAssignedInBlock,
};
use frame_support::{
    assert_noop, assert_ok,
    dispatch::Pays,
    pallet_prelude::TransactionSource,
    traits::fungible::{Inspect, Mutate},
    BoundedVec,
};
use sp_core::Pair as _;
use sp_runtime::{
    traits::{Dispatchable, ValidateUnsigned},
    transaction_validity::{InvalidTransaction, TransactionValidityError},
    DispatchError, TokenError,
};
use torus_primitives::{
    keys::{assign_payload, metadata_nonce},
    AssignedKey, BatchRecord, GeneratedKey, KeyId, KeyRecord, PublicKey, VerifierName,
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

fn user(id: &str) -> torus_primitives::keys::UserId {
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
        // Users of two verifiers, alternately, so that no verifier reaches its own cap first.
        let users: Vec<(&str, String)> = (0..=MAX_ASSIGNMENTS_PER_BLOCK)
            .map(|i| {
                let name = if i % 2 == 0 { GOOGLE } else { DISCORD };
                (name, format!("user{i}@example.com"))
            })
            .collect();
        for (name, id) in &users[..MAX_ASSIGNMENTS_PER_BLOCK as usize] {
            assert_ok!(Keys::pre_dispatch(&assign_call(VALIDATOR, name, id)));
            assert_ok!(assign(VALIDATOR, name, id));
        }
        let (name, last) = &users[MAX_ASSIGNMENTS_PER_BLOCK as usize];
        assert!(Keys::verifier_assignments_left_in_block(&verifier(name)) > 0);
        // The pool keeps it, the block builder leaves it for the next block.
        assert_ok!(validate(VALIDATOR, name, last));
        assert_eq!(
            Keys::pre_dispatch(&assign_call(VALIDATOR, name, last)),
            Err(InvalidTransaction::ExhaustsResources.into())
        );
        assert_noop!(
            assign(VALIDATOR, name, last),
            Error::<Test>::TooManyAssignments
        );
        // Repeats for users who have a key are not new assignments.
        assert_ok!(assign(VALIDATOR, users[0].0, &users[0].1));

        System::set_block_number(2);
        assert_eq!(Keys::assignments_left_in_block(), MAX_ASSIGNMENTS_PER_BLOCK);
        assert_ok!(Keys::pre_dispatch(&assign_call(VALIDATOR, name, last)));
        assert_ok!(assign(VALIDATOR, name, last));
    });
}

#[test]
fn one_verifier_gets_at_most_its_cap_of_new_assignments_per_block() {
    scenario(|| {
        fill_buffer(MAX_BATCH_SIZE as u8);
        let cap = MAX_ASSIGNMENTS_PER_VERIFIER_PER_BLOCK;
        assert!(
            cap < MAX_ASSIGNMENTS_PER_BLOCK,
            "the test needs room left in the block"
        );
        for i in 0..cap {
            let id = format!("user{i}@example.com");
            assert_ok!(Keys::pre_dispatch(&assign_call(VALIDATOR, GOOGLE, &id)));
            assert_ok!(assign(VALIDATOR, GOOGLE, &id));
        }
        assert_eq!(
            VerifierAssignedInBlock::<Test>::get(verifier(GOOGLE)),
            Some((1, cap))
        );
        assert_eq!(
            Keys::verifier_assignments_left_in_block(&verifier(GOOGLE)),
            0
        );

        // The next one does not fit in this block: the block builder is told it exhausts the
        // block (so the pool keeps it), and a dispatch is refused with nothing changed.
        let next = "next@example.com";
        assert_eq!(
            Keys::pre_dispatch(&assign_call(VALIDATOR, GOOGLE, next)),
            Err(InvalidTransaction::ExhaustsResources.into())
        );
        assert_eq!(
            Keys::validate_unsigned(
                TransactionSource::InBlock,
                &assign_call(VALIDATOR, GOOGLE, next)
            )
            .map(|_| ()),
            Err(InvalidTransaction::ExhaustsResources.into())
        );
        assert_noop!(
            assign(VALIDATOR, GOOGLE, next),
            Error::<Test>::VerifierBlockFull
        );
        // A user who has a key still gets it: a repeat is not a new assignment.
        assert_ok!(assign(OTHER_VALIDATOR, GOOGLE, "user0@example.com"));

        // Another verifier is not affected by this one's cap.
        assert_eq!(
            Keys::verifier_assignments_left_in_block(&verifier(DISCORD)),
            cap
        );
        assert_ok!(Keys::pre_dispatch(&assign_call(VALIDATOR, DISCORD, "bob")));
        assert_ok!(assign(VALIDATOR, DISCORD, "bob"));

        // The pool validates against the next block, where the transaction is valid again, and
        // the next block takes it.
        System::set_block_number(2);
        assert_eq!(
            Keys::verifier_assignments_left_in_block(&verifier(GOOGLE)),
            cap
        );
        assert_ok!(validate(VALIDATOR, GOOGLE, next));
        assert_ok!(Keys::pre_dispatch(&assign_call(VALIDATOR, GOOGLE, next)));
        assert_ok!(assign(VALIDATOR, GOOGLE, next));
        assert_eq!(
            VerifierAssignedInBlock::<Test>::get(verifier(GOOGLE)),
            Some((2, 1))
        );
    });
}

// --- key allowance ---

#[test]
fn a_new_assignment_spends_one_key_of_allowance_and_a_repeat_none() {
    scenario(|| {
        fill_buffer(3);
        assert_eq!(Keys::allowance(GOOGLE.as_bytes()), GENESIS_ALLOWANCE);
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        assert_eq!(Keys::allowance(GOOGLE.as_bytes()), GENESIS_ALLOWANCE - 1);

        // The same user again, from another node and in a later block: free.
        assert_ok!(assign(OTHER_VALIDATOR, GOOGLE, "alice@example.com"));
        System::set_block_number(2);
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        assert_eq!(Keys::allowance(GOOGLE.as_bytes()), GENESIS_ALLOWANCE - 1);

        // Another verifier's allowance is its own.
        assert_eq!(Keys::allowance(DISCORD.as_bytes()), GENESIS_ALLOWANCE);
        assert_ok!(assign(VALIDATOR, DISCORD, "alice@example.com"));
        assert_eq!(Keys::allowance(DISCORD.as_bytes()), GENESIS_ALLOWANCE - 1);
        assert_eq!(Keys::allowance(GOOGLE.as_bytes()), GENESIS_ALLOWANCE - 1);
    });
}

#[test]
fn a_spent_allowance_refuses_new_users_until_a_top_up() {
    scenario(|| {
        fill_buffer(3);
        KeyAllowance::<Test>::insert(verifier(GOOGLE), 1);
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        // The last key of allowance removes the entry.
        assert_eq!(KeyAllowance::<Test>::get(verifier(GOOGLE)), None);
        assert_eq!(Keys::allowance(GOOGLE.as_bytes()), 0);

        // Refused by the pool (Custom code) and by the dispatch, with nothing changed.
        assert_refused(
            VALIDATOR,
            GOOGLE,
            "bob@example.com",
            AssignRefusal::AllowanceSpent,
            Error::<Test>::AllowanceSpent,
        );
        // A later block does not help: only a top-up does.
        System::set_block_number(2);
        assert_refused(
            VALIDATOR,
            GOOGLE,
            "bob@example.com",
            AssignRefusal::AllowanceSpent,
            Error::<Test>::AllowanceSpent,
        );
        // Alice keeps her key.
        assert_ok!(assign(VALIDATOR, GOOGLE, "alice@example.com"));
        assert_eq!(assigned(GOOGLE, "alice@example.com"), Some(0));

        assert_ok!(Keys::top_up(
            RuntimeOrigin::signed(DAPP),
            verifier(GOOGLE),
            1
        ));
        assert_ok!(validate(VALIDATOR, GOOGLE, "bob@example.com"));
        assert_ok!(assign(VALIDATOR, GOOGLE, "bob@example.com"));
        assert_eq!(assigned(GOOGLE, "bob@example.com"), Some(1));
        assert_eq!(Keys::allowance(GOOGLE.as_bytes()), 0);
    });
}

#[test]
fn a_spent_allowance_is_reported_before_an_empty_buffer() {
    scenario(|| {
        KeyAllowance::<Test>::remove(verifier(GOOGLE));
        assert_refused(
            VALIDATOR,
            GOOGLE,
            "alice@example.com",
            AssignRefusal::AllowanceSpent,
            Error::<Test>::AllowanceSpent,
        );
    });
}

#[test]
fn a_top_up_burns_the_fee_and_adds_to_the_allowance() {
    scenario(|| {
        let issuance = Balances::total_issuance();
        assert_ok!(Keys::top_up(
            RuntimeOrigin::signed(DAPP),
            verifier(GOOGLE),
            10
        ));

        let fee = 10 * DEFAULT_KEY_FEE;
        assert_eq!(Keys::allowance(GOOGLE.as_bytes()), GENESIS_ALLOWANCE + 10);
        assert_eq!(Balances::balance(&DAPP), DAPP_FUNDS - fee);
        assert_eq!(
            Balances::total_issuance(),
            issuance - fee,
            "the fee is burned"
        );
        System::assert_last_event(
            Event::AllowanceToppedUp {
                verifier: verifier(GOOGLE),
                payer: DAPP,
                keys: 10,
                fee,
            }
            .into(),
        );

        // A verifier without an allowance gets one; any registered verifier may be topped up.
        assert_ok!(Keys::top_up(RuntimeOrigin::signed(DAPP), verifier(TSS), 2));
        assert_eq!(Keys::allowance(TSS.as_bytes()), 2);
        assert_eq!(
            Balances::balance(&DAPP),
            DAPP_FUNDS - fee - 2 * DEFAULT_KEY_FEE
        );
        System::assert_last_event(
            Event::AllowanceToppedUp {
                verifier: verifier(TSS),
                payer: DAPP,
                keys: 2,
                fee: 2 * DEFAULT_KEY_FEE,
            }
            .into(),
        );
    });
}

#[test]
fn a_top_up_must_be_signed() {
    scenario(|| {
        assert_noop!(
            Keys::top_up(RuntimeOrigin::none(), verifier(GOOGLE), 1),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn a_top_up_of_an_unknown_verifier_is_refused() {
    scenario(|| {
        assert_noop!(
            Keys::top_up(RuntimeOrigin::signed(DAPP), verifier("nobody"), 1),
            Error::<Test>::UnknownVerifier
        );
    });
}

#[test]
fn a_top_up_of_no_keys_is_refused() {
    scenario(|| {
        assert_noop!(
            Keys::top_up(RuntimeOrigin::signed(DAPP), verifier(GOOGLE), 0),
            Error::<Test>::NoKeys
        );
    });
}

#[test]
fn the_allowance_is_bounded() {
    scenario(|| {
        let room = MAX_ALLOWANCE - GENESIS_ALLOWANCE;
        assert_noop!(
            Keys::top_up(RuntimeOrigin::signed(DAPP), verifier(GOOGLE), room + 1),
            Error::<Test>::AllowanceTooLarge
        );
        // An amount that would overflow the counter is refused the same way.
        assert_noop!(
            Keys::top_up(RuntimeOrigin::signed(DAPP), verifier(GOOGLE), u32::MAX),
            Error::<Test>::AllowanceTooLarge
        );
        assert_ok!(Keys::top_up(
            RuntimeOrigin::signed(DAPP),
            verifier(GOOGLE),
            room
        ));
        assert_eq!(Keys::allowance(GOOGLE.as_bytes()), MAX_ALLOWANCE);
        assert_noop!(
            Keys::top_up(RuntimeOrigin::signed(DAPP), verifier(GOOGLE), 1),
            Error::<Test>::AllowanceTooLarge
        );
    });
}

#[test]
fn a_fee_that_overflows_the_balance_type_is_refused() {
    scenario(|| {
        KeyFee::set(u64::MAX / 2 + 1);
        assert_noop!(
            Keys::top_up(RuntimeOrigin::signed(DAPP), verifier(GOOGLE), 2),
            Error::<Test>::FeeOverflow
        );
        KeyFee::set(DEFAULT_KEY_FEE);
    });
}

#[test]
fn a_payer_must_afford_the_fee_and_stay_alive() {
    scenario(|| {
        assert_noop!(
            Keys::top_up(RuntimeOrigin::signed(PAUPER), verifier(GOOGLE), 1),
            TokenError::FundsUnavailable
        );
        // Paying everything would reap the account: refused, the payer is kept alive.
        KeyFee::set(DAPP_FUNDS);
        assert_noop!(
            Keys::top_up(RuntimeOrigin::signed(DAPP), verifier(GOOGLE), 1),
            TokenError::FundsUnavailable
        );
        KeyFee::set(DEFAULT_KEY_FEE);
        assert_ok!(Balances::mint_into(&PAUPER, 100));
        assert_ok!(Keys::top_up(
            RuntimeOrigin::signed(PAUPER),
            verifier(GOOGLE),
            1
        ));
    });
}

#[test]
fn refusal_codes_are_stable() {
    let codes: Vec<(AssignRefusal, u8)> = AssignRefusal::ALL
        .into_iter()
        .map(|refusal| (refusal, refusal.code()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (AssignRefusal::EmptyVerifierId, 1),
            (AssignRefusal::UnknownVerifier, 2),
            (AssignRefusal::KeyTypeNotServed, 3),
            (AssignRefusal::VerifierIdNotNormalized, 4),
            (AssignRefusal::BufferEmpty, 5),
            (AssignRefusal::AllowanceSpent, 6),
            (AssignRefusal::VerifierBlockFull, 7),
            (AssignRefusal::MalformedUserId, 8),
        ]
    );
    for refusal in AssignRefusal::ALL {
        assert_eq!(AssignRefusal::from_code(refusal.code()), Some(refusal));
    }
    assert_eq!(AssignRefusal::from_code(0), None);
    assert_eq!(AssignRefusal::from_code(9), None);
    assert_eq!(
        AssignRefusal::AllowanceSpent.validity_error(),
        InvalidTransaction::Custom(6).into()
    );
    assert_eq!(
        AssignRefusal::VerifierBlockFull.validity_error(),
        InvalidTransaction::ExhaustsResources.into()
    );
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
fn a_threshold_signing_verifier_assigns_network_keys_to_tss_key_names_only() {
    scenario(|| {
        fill_buffer(3);
        assert_ok!(Keys::top_up(RuntimeOrigin::signed(DAPP), verifier(TSS), 5));
        // A user's own key is for DirectAuth verifiers.
        assert_refused(
            VALIDATOR,
            TSS,
            "alice",
            AssignRefusal::KeyTypeNotServed,
            Error::<Test>::KeyTypeNotServed,
        );
        // Each TSS key name (tag, nonce) of a user gets its own network key.
        assert_ok!(assign(VALIDATOR, TSS, "alice\u{15}default\u{16}0"));
        assert_ok!(assign(VALIDATOR, TSS, "alice\u{15}default\u{16}1"));
        assert_eq!(assigned(TSS, "alice\u{15}default\u{16}0"), Some(0));
        assert_eq!(assigned(TSS, "alice\u{15}default\u{16}1"), Some(1));
        assert_eq!(assigned(TSS, "alice"), None);
        // The longest name fits: a longest verifier id, tag and nonce.
        let longest = format!(
            "{}\u{15}{}\u{16}4294967295",
            "a".repeat(torus_primitives::limits::MAX_VERIFIER_ID_LEN as usize),
            "t".repeat(torus_primitives::limits::MAX_TSS_TAG_LEN as usize)
        );
        assert_eq!(
            longest.len(),
            torus_primitives::limits::MAX_USER_ID_LEN as usize
        );
        assert_ok!(assign(VALIDATOR, TSS, &longest));
        assert_eq!(assigned(TSS, &longest), Some(2));
        // DirectAuth verifiers do not hand out network keys of TSS keys.
        assert_refused(
            VALIDATOR,
            GOOGLE,
            "alice@example.com\u{15}default\u{16}0",
            AssignRefusal::KeyTypeNotServed,
            Error::<Test>::KeyTypeNotServed,
        );
    });
}

#[test]
fn malformed_tss_key_names_are_refused_under_any_verifier() {
    scenario(|| {
        fill_buffer(1);
        assert_ok!(Keys::top_up(RuntimeOrigin::signed(DAPP), verifier(TSS), 5));
        for (name, id) in [
            (TSS, "alice\u{15}default"),
            (TSS, "alice\u{15}default\u{16}007"),
            (TSS, "\u{15}default\u{16}0"),
            (GOOGLE, "alice@example.com\u{16}"),
        ] {
            assert_refused(
                VALIDATOR,
                name,
                id,
                AssignRefusal::MalformedUserId,
                Error::<Test>::MalformedUserId,
            );
        }
        assert_eq!(Keys::buffer_size(), 1);
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
        let oversized = [b'a'; torus_primitives::limits::MAX_USER_ID_LEN as usize + 1];
        assert_eq!(Keys::lookup(GOOGLE.as_bytes(), &oversized), None);
        assert_eq!(Keys::key(1), None);
    });
}

#[test]
fn the_allowance_of_an_unknown_or_oversized_verifier_is_zero() {
    scenario(|| {
        assert_eq!(Keys::allowance(GOOGLE.as_bytes()), GENESIS_ALLOWANCE);
        assert_eq!(Keys::allowance(b"nobody"), 0);
        assert_eq!(Keys::allowance(&[b'g'; 65]), 0);
    });
}
