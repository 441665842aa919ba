//! Unit tests: every call, error and event, the validity checks, whole batches (honest, with an
//! absent member, a bad dealer, a false complaint, a malformed dealing, too few dealers),
//! deadlines, pruning and the committee; the storage invariants after each scenario.

#![allow(deprecated)] // `ValidateUnsigned`: see the crate documentation.

use crate::{
    mock::*, testing::*, Absences, ActiveBatches, Committee, Dealings, Error, Event,
    KeyCommitments, NextBatch, Params, RunningBatches,
};
use codec::{Decode, Encode};
use frame_support::{
    assert_noop, assert_ok,
    dispatch::{DispatchResultWithPostInfo, Pays},
    traits::{Get, Hooks, OneSessionHandler},
    BoundedVec,
};
use sp_runtime::{
    traits::{Dispatchable, ValidateUnsigned},
    transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
    DispatchError, RuntimeAppPublic,
};
use torus_crypto::{
    dkg::{self as crypto_dkg, Dealing, Receiver},
    encoding::{affine_from_uncompressed, point_to_bytes},
    ProjectivePoint,
};
use torus_primitives::{
    dkg::{
        commitments_hash, BatchOutcome, BatchPhase, ComplaintMessage, DkgId, DkgParams, EpochId,
        Fault, MemberIndex, MessageKind,
    },
    BatchId, PublicKey,
};

type DkgCall = crate::Call<Test>;

fn scenario(test: impl FnOnce()) {
    new_test_ext().execute_with(|| {
        test();
        assert_eq!(Dkg::check_invariants(), Ok(()));
    });
}

fn account(i: u32) -> u64 {
    100 + u64::from(i)
}

/// The validators `0..n` (accounts 100.., members 1..) become the committee.
fn session(n: u32) {
    let validators: Vec<(u64, DkgId)> = (0..n).map(|i| (account(i), member_key(i))).collect();
    let iter = validators.iter().map(|(a, k)| (a, k.clone()));
    <Dkg as OneSessionHandler<u64>>::on_new_session(true, iter.clone(), iter);
}

fn next_block() {
    let now = System::block_number() + 1;
    System::set_block_number(now);
    Dkg::on_initialize(now);
}

fn run_to(block: u64) {
    while System::block_number() < block {
        next_block();
    }
}

/// A committee of `n`, and batch 0 started in the next block.
fn start(n: u32) -> BatchId {
    session(n);
    next_block();
    assert_eq!(RunningBatches::<Test>::get().into_inner(), vec![0]);
    0
}

fn set_target(target_buffer: u64) {
    Params::<Test>::mutate(|p| p.target_buffer = target_buffer);
}

fn validate(call: &DkgCall) -> Result<(), TransactionValidityError> {
    Dkg::validate_unsigned(TransactionSource::External, call).map(|_| ())
}

/// The validity check refuses `call` with `error`, and so does the dispatch, changing nothing.
fn assert_refused(call: DkgCall, error: Error<Test>) {
    let again = Error::<Test>::decode(&mut &error.encode()[..]).expect("errors round-trip");
    assert_eq!(validate(&call), Err(Dkg::invalid(again).into()));
    assert_noop!(
        RuntimeCall::Dkg(call).dispatch(RuntimeOrigin::none()),
        error
    );
}

/// Check validity as the pool and the block do, then dispatch as an unsigned transaction.
fn submit(call: DkgCall) -> DispatchResultWithPostInfo {
    assert_eq!(validate(&call), Ok(()));
    RuntimeCall::Dkg(call).dispatch(RuntimeOrigin::none())
}

fn dealing_call(batch: BatchId, dealer: MemberIndex, bytes: Vec<u8>) -> DkgCall {
    let signature = sign::<Test>(batch, dealer, MessageKind::Dealing, &bytes);
    DkgCall::submit_dealing {
        batch,
        dealer,
        dealing: BoundedVec::try_from(bytes).expect("the dealing fits"),
        signature,
    }
}

fn complaint_call(
    batch: BatchId,
    complainer: MemberIndex,
    dealer: MemberIndex,
    bytes: Vec<u8>,
) -> DkgCall {
    let signature = sign::<Test>(batch, complainer, MessageKind::Complaint, &bytes);
    DkgCall::submit_complaint {
        batch,
        complainer,
        dealer,
        complaint: BoundedVec::try_from(bytes).expect("the complaint fits"),
        signature,
    }
}

fn confirm_call(batch: BatchId, member: MemberIndex) -> DkgCall {
    let signature = sign::<Test>(batch, member, MessageKind::Confirmation, &[]);
    DkgCall::confirm {
        batch,
        member,
        signature,
    }
}

/// Deal honestly as `dealer` and return the dealing.
fn deal(batch: BatchId, dealer: MemberIndex, rng: &mut rand_chacha::ChaCha20Rng) -> Dealing {
    let dealing = dealing::<Test>(batch, dealer, rng);
    assert_ok!(submit(dealing_call(batch, dealer, wire(&dealing))));
    dealing
}

/// Member `me` verifies `dealings` and returns its complaints (wire bytes) by dealer.
fn verify_as(batch: BatchId, me: MemberIndex, dealings: &[Dealing]) -> Vec<(MemberIndex, Vec<u8>)> {
    let receiver = Receiver::new(
        config::<Test>(batch),
        me,
        encryption_secret(u32::from(me) - 1),
        None,
    )
    .expect("a member");
    let (_, complaints) = receiver
        .receive(dealings, &mut rng(99))
        .expect("verification runs");
    complaints
        .iter()
        .map(|c| (c.dealer, ComplaintMessage::from_complaint(c).encode()))
        .collect()
}

fn phase(batch: BatchId) -> BatchPhase<u64> {
    state::<Test>(batch).phase
}

/// The sum of the dealers' constant terms of key `key` (compressed).
fn sum_of_constant_terms(dealings: &[&Dealing], key: usize, t: usize) -> [u8; 33] {
    let sum = dealings.iter().fold(ProjectivePoint::IDENTITY, |acc, d| {
        acc + ProjectivePoint::from(
            affine_from_uncompressed(&d.commitments[key * t]).expect("a valid point"),
        )
    });
    point_to_bytes(&sum).expect("not the identity")
}

// --- a whole batch ---

#[test]
fn an_honest_batch_of_four_fills_the_buffer() {
    scenario(|| {
        set_target(2);
        let batch = start(4);
        System::assert_last_event(
            Event::BatchStarted {
                batch,
                batch_size: 2,
                members: 4,
                threshold: 3,
            }
            .into(),
        );
        let mut rng = rng(1);
        let dealings: Vec<Dealing> = (1..=3).map(|i| deal(batch, i, &mut rng)).collect();
        assert_eq!(phase(batch), BatchPhase::Dealing { deadline: 2 + 5 });
        // The last dealing ends the phase in its own block (2).
        let dealings: Vec<Dealing> = dealings
            .into_iter()
            .chain([deal(batch, 4, &mut rng)])
            .collect();
        System::assert_last_event(Event::DealingAccepted { batch, dealer: 4 }.into());
        assert_eq!(phase(batch), BatchPhase::Verifying { deadline: 2 + 5 });

        next_block();
        assert_eq!(phase(batch), BatchPhase::Verifying { deadline: 2 + 5 });
        for me in 1..=4 {
            assert!(verify_as(batch, me, &dealings).is_empty());
            assert_ok!(submit(confirm_call(batch, me)));
        }
        System::assert_last_event(Event::Confirmed { batch, member: 4 }.into());

        next_block();
        System::assert_last_event(
            Event::BatchCompleted {
                batch,
                first_key: 0,
                key_count: 2,
            }
            .into(),
        );
        let inserted = MockKeyBuffer::inserted();
        assert_eq!(inserted.len(), 1);
        assert_eq!(inserted[0].0, batch);
        let refs: Vec<&Dealing> = dealings.iter().collect();
        for (key, generated) in inserted[0].1.iter().enumerate() {
            let public_key = sum_of_constant_terms(&refs, key, 3);
            assert_eq!(generated.public_key, PublicKey(public_key));
            let points = Dkg::key_commitments(key as u64).expect("commitments are stored");
            assert_eq!(points.len(), 3);
            assert_eq!(points[0], public_key);
            assert_eq!(generated.commitments_hash, commitments_hash(&points));
        }
        let result = Dkg::batch_result(batch).expect("a result");
        assert_eq!(
            result.outcome,
            BatchOutcome::Completed {
                first_key: 0,
                key_count: 2
            }
        );
        assert_eq!(result.qualified, vec![1, 2, 3, 4]);
        assert!(result.disqualified.is_empty() && result.absent.is_empty());
        assert_eq!(result.finished_at, 4);
        assert_eq!(result.info.members.len(), 4);
        assert!(Dkg::active_batches().is_empty());
        // The members' own results agree with the chain.
        assert_eq!(Dkg::dealings(batch).len(), 4);
        assert_eq!(Dkg::dealings(batch)[0], (1, wire(&dealings[0])));
    });
}

#[test]
fn dealings_are_pruned_after_the_retention() {
    scenario(|| {
        set_target(2);
        let batch = start(1);
        deal(batch, 1, &mut rng(2));
        next_block(); // verifying
        assert_ok!(submit(confirm_call(batch, 1)));
        next_block(); // finished at 4
        assert_eq!(Dkg::batch_result(batch).map(|r| r.finished_at), Some(4));
        run_to(4 + RETENTION - 1);
        assert_eq!(Dkg::dealings(batch).len(), 1);
        next_block();
        assert!(Dkg::dealings(batch).is_empty());
        assert!(!Dealings::<Test>::contains_key(batch, 1));
    });
}

#[test]
fn a_batch_with_an_absent_member_completes_and_records_the_absence() {
    scenario(|| {
        set_target(2);
        let batch = start(4);
        let mut rng = rng(3);
        let dealings: Vec<Dealing> = (1..=3).map(|i| deal(batch, i, &mut rng)).collect();
        run_to(2 + 5);
        assert!(matches!(phase(batch), BatchPhase::Dealing { .. }));
        next_block(); // past the dealing deadline
        assert_eq!(phase(batch), BatchPhase::Verifying { deadline: 8 + 5 });
        for me in 1..=3 {
            assert!(verify_as(batch, me, &dealings).is_empty());
            assert_ok!(submit(confirm_call(batch, me)));
        }
        next_block();
        let result = Dkg::batch_result(batch).expect("a result");
        assert_eq!(
            result.outcome,
            BatchOutcome::Completed {
                first_key: 0,
                key_count: 2
            }
        );
        assert_eq!(result.qualified, vec![1, 2, 3]);
        assert_eq!(result.absent, vec![4]);
        assert_eq!(Absences::<Test>::get(account(3)), 1);
        assert_eq!(Absences::<Test>::get(account(0)), 0);
        let refs: Vec<&Dealing> = dealings.iter().collect();
        assert_eq!(
            MockKeyBuffer::inserted()[0].1[1].public_key,
            PublicKey(sum_of_constant_terms(&refs, 1, 3))
        );
    });
}

#[test]
fn a_dealer_that_gives_a_bad_share_is_disqualified_by_the_victims_complaint() {
    scenario(|| {
        set_target(2);
        let batch = start(4);
        let mut rng = rng(4);
        let config = config::<Test>(batch);
        let mut dealings = vec![dealing::<Test>(batch, 1, &mut rng)];
        // Dealer 2 gives member 3 shares that match no commitment.
        let mut bad = dealing::<Test>(batch, 2, &mut rng);
        let (ct, proof) = crypto_dkg::encrypt_for_recipient(&config, 2, 3, &[7u8; 64], &mut rng)
            .expect("encrypts");
        bad.ciphertexts[2] = ct;
        bad.ephemeral_proofs[2] = proof;
        dealings.push(bad);
        dealings.push(dealing::<Test>(batch, 3, &mut rng));
        dealings.push(dealing::<Test>(batch, 4, &mut rng));
        for d in &dealings {
            assert_ok!(submit(dealing_call(batch, d.dealer, wire(d))));
        }
        next_block();

        let complaints = verify_as(batch, 3, &dealings);
        assert_eq!(complaints.len(), 1);
        let (dealer, bytes) = complaints[0].clone();
        assert_eq!(dealer, 2);
        assert_ok!(submit(complaint_call(batch, 3, 2, bytes)));
        System::assert_last_event(
            Event::ComplaintUpheld {
                batch,
                complainer: 3,
                dealer: 2,
            }
            .into(),
        );
        assert_eq!(
            state::<Test>(batch).disqualified.into_inner(),
            vec![(2, Fault::BadShare { complainer: 3 })]
        );
        // The disqualified dealer may not confirm.
        assert_noop!(
            Dkg::confirm(
                RuntimeOrigin::none(),
                batch,
                2,
                sign::<Test>(batch, 2, MessageKind::Confirmation, &[])
            ),
            Error::<Test>::Disqualified
        );

        for me in [1, 3, 4] {
            assert_ok!(submit(confirm_call(batch, me)));
        }
        next_block();
        let result = Dkg::batch_result(batch).expect("a result");
        assert_eq!(
            result.outcome,
            BatchOutcome::Completed {
                first_key: 0,
                key_count: 2
            }
        );
        assert_eq!(result.qualified, vec![1, 3, 4]);
        assert_eq!(
            result.disqualified,
            vec![(2, Fault::BadShare { complainer: 3 })]
        );
        assert!(result.absent.is_empty());
        let refs: Vec<&Dealing> = [0, 2, 3].iter().map(|i| &dealings[*i]).collect();
        assert_eq!(
            MockKeyBuffer::inserted()[0].1[0].public_key,
            PublicKey(sum_of_constant_terms(&refs, 0, 3))
        );
    });
}

#[test]
fn a_false_complaint_disqualifies_the_complainer() {
    scenario(|| {
        let batch = start(4);
        let mut rng = rng(5);
        let dealings: Vec<Dealing> = (1..=4).map(|i| deal(batch, i, &mut rng)).collect();
        next_block();
        let complaint = crypto_dkg::complain(
            &config::<Test>(batch),
            3,
            &encryption_secret(2),
            &dealings[0],
            0,
            &mut rng,
        )
        .expect("a complaint");
        let bytes = ComplaintMessage::from_complaint(&complaint).encode();
        assert_ok!(submit(complaint_call(batch, 3, 1, bytes.clone())));
        System::assert_last_event(
            Event::ComplaintRejected {
                batch,
                complainer: 3,
                dealer: 1,
            }
            .into(),
        );
        assert_eq!(
            state::<Test>(batch).disqualified.into_inner(),
            vec![(3, Fault::FalseComplaint { dealer: 1 })]
        );

        // Its later messages are refused.
        let confirm = confirm_call(batch, 3);
        assert_refused(confirm, Error::<Test>::Disqualified);
        assert_noop!(
            RuntimeCall::Dkg(complaint_call(batch, 3, 2, bytes.clone()))
                .dispatch(RuntimeOrigin::none()),
            Error::<Test>::Disqualified
        );
        assert_noop!(
            RuntimeCall::Dkg(complaint_call(batch, 3, 1, bytes.clone()))
                .dispatch(RuntimeOrigin::none()),
            Error::<Test>::AlreadyComplained
        );
        // A complaint against the disqualified member is refused too.
        assert_noop!(
            RuntimeCall::Dkg(complaint_call(batch, 1, 3, bytes)).dispatch(RuntimeOrigin::none()),
            Error::<Test>::AccusedDisqualified
        );

        for me in [1, 2, 4] {
            assert_ok!(submit(confirm_call(batch, me)));
        }
        next_block();
        let result = Dkg::batch_result(batch).expect("a result");
        assert_eq!(result.qualified, vec![1, 2, 4]);
        assert_eq!(
            result.disqualified,
            vec![(3, Fault::FalseComplaint { dealer: 1 })]
        );
    });
}

#[test]
fn an_undecodable_complaint_or_one_naming_another_dealer_is_false() {
    scenario(|| {
        let batch = start(4);
        let mut rng = rng(6);
        let dealings: Vec<Dealing> = (1..=4).map(|i| deal(batch, i, &mut rng)).collect();
        next_block();
        assert_ok!(submit(complaint_call(batch, 1, 2, vec![1, 2, 3])));
        System::assert_last_event(
            Event::ComplaintRejected {
                batch,
                complainer: 1,
                dealer: 2,
            }
            .into(),
        );
        let complaint = crypto_dkg::complain(
            &config::<Test>(batch),
            3,
            &encryption_secret(2),
            &dealings[0],
            0,
            &mut rng,
        )
        .expect("a complaint");
        // Names dealer 1, sent against dealer 4.
        assert_ok!(submit(complaint_call(
            batch,
            3,
            4,
            ComplaintMessage::from_complaint(&complaint).encode()
        )));
        assert_eq!(
            state::<Test>(batch).disqualified.into_inner(),
            vec![
                (1, Fault::FalseComplaint { dealer: 2 }),
                (3, Fault::FalseComplaint { dealer: 4 })
            ]
        );
    });
}

#[test]
fn a_malformed_dealing_disqualifies_its_dealer() {
    scenario(|| {
        let batch = start(4);
        let post = submit(dealing_call(batch, 2, vec![1, 2, 3]));
        assert_eq!(post.map(|p| p.pays_fee), Ok(Pays::No));
        System::assert_last_event(Event::DealingRejected { batch, dealer: 2 }.into());
        assert_eq!(
            state::<Test>(batch).disqualified.into_inner(),
            vec![(2, Fault::MalformedDealing)]
        );
        assert!(!Dealings::<Test>::contains_key(batch, 2));
        // A dealing for another batch's session (wrong proofs) is malformed too.
        let mut rng = rng(7);
        let mut other = dealing::<Test>(batch, 3, &mut rng);
        other.ephemeral_proofs.swap(0, 1);
        assert_ok!(submit(dealing_call(batch, 3, wire(&other))));
        System::assert_last_event(Event::DealingRejected { batch, dealer: 3 }.into());
        // Its dealer cannot deal again.
        assert_noop!(
            RuntimeCall::Dkg(dealing_call(
                batch,
                2,
                wire(&dealing::<Test>(batch, 2, &mut rng))
            ))
            .dispatch(RuntimeOrigin::none()),
            Error::<Test>::Disqualified
        );
        // Dealers 1 and 4 deal: everyone has dealt, too few are accepted: abandoned at once.
        deal(batch, 1, &mut rng);
        deal(batch, 4, &mut rng);
        next_block();
        let result = Dkg::batch_result(batch).expect("a result");
        assert_eq!(result.outcome, BatchOutcome::Abandoned);
        assert!(result.absent.is_empty());
        assert_eq!(
            result.disqualified,
            vec![(2, Fault::MalformedDealing), (3, Fault::MalformedDealing)]
        );
    });
}

#[test]
fn too_few_dealings_abandon_the_batch_and_a_new_one_starts() {
    scenario(|| {
        let batch = start(4);
        let mut rng = rng(8);
        deal(batch, 1, &mut rng);
        deal(batch, 2, &mut rng);
        run_to(2 + 5 + 1);
        System::assert_has_event(Event::BatchAbandoned { batch }.into());
        System::assert_last_event(
            Event::BatchStarted {
                batch: 1,
                batch_size: 2,
                members: 4,
                threshold: 3,
            }
            .into(),
        );
        let result = Dkg::batch_result(batch).expect("a result");
        assert_eq!(result.outcome, BatchOutcome::Abandoned);
        assert!(result.qualified.is_empty());
        assert_eq!(result.absent, vec![3, 4]);
        assert_eq!(Absences::<Test>::get(account(2)), 1);
        assert!(MockKeyBuffer::inserted().is_empty());
        assert_eq!(RunningBatches::<Test>::get().into_inner(), vec![1]);
        assert_eq!(NextBatch::<Test>::get(), 2);
    });
}

#[test]
fn the_verifying_phase_ends_at_its_deadline_without_every_confirmation() {
    scenario(|| {
        set_target(2);
        let batch = start(4);
        let mut rng = rng(9);
        for i in 1..=4 {
            deal(batch, i, &mut rng);
        }
        // The last dealing (block 2) started the Verifying phase: until block 7.
        next_block();
        assert_ok!(submit(confirm_call(batch, 1)));
        run_to(7);
        assert!(Dkg::batch_result(batch).is_none());
        next_block();
        System::assert_last_event(
            Event::BatchCompleted {
                batch,
                first_key: 0,
                key_count: 2,
            }
            .into(),
        );
        assert_eq!(
            Dkg::batch_result(batch).map(|r| r.qualified),
            Some(vec![1, 2, 3, 4])
        );
    });
}

#[test]
fn a_dealing_after_the_deadline_is_refused() {
    scenario(|| {
        let batch = start(4);
        let mut rng = rng(10);
        for i in 1..=3 {
            deal(batch, i, &mut rng);
        }
        run_to(2 + 5 + 1);
        let late = dealing_call(batch, 4, wire(&dealing::<Test>(batch, 4, &mut rng)));
        assert_refused(late, Error::<Test>::WrongPhase);
    });
}

#[test]
fn a_buffer_that_refuses_the_keys_abandons_the_batch() {
    scenario(|| {
        let batch = start(1);
        deal(batch, 1, &mut rng(11));
        next_block();
        assert_ok!(submit(confirm_call(batch, 1)));
        MockKeyBuffer::refuse(true);
        next_block();
        System::assert_has_event(Event::BatchAbandoned { batch }.into());
        assert_eq!(
            Dkg::batch_result(batch).map(|r| r.outcome),
            Some(BatchOutcome::Abandoned)
        );
        assert!(KeyCommitments::<Test>::iter().next().is_none());
    });
}

#[test]
fn several_batches_start_in_a_block_up_to_the_concurrency_and_the_buffer_target() {
    scenario(|| {
        let params = |target_buffer| DkgParams {
            target_buffer,
            batch_size: 2,
            max_concurrent_batches: 2,
            deal_timeout: 5,
            verify_timeout: 5,
            refresh_interval: 0,
        };
        // One batch of two keys fills a target of two: the second does not start.
        assert_ok!(Dkg::set_params(RuntimeOrigin::root(), params(2)));
        session(2);
        next_block();
        assert_eq!(RunningBatches::<Test>::get().into_inner(), vec![0]);
        // A larger target: the next block starts one more, up to the concurrency of two.
        assert_ok!(Dkg::set_params(RuntimeOrigin::root(), params(100)));
        next_block();
        assert_eq!(RunningBatches::<Test>::get().into_inner(), vec![0, 1]);
        next_block();
        assert_eq!(
            Dkg::active_batches()
                .iter()
                .map(|b| b.info.batch)
                .collect::<Vec<_>>(),
            vec![0, 1]
        );
    });
}

#[test]
fn batches_that_are_due_in_the_same_block_finish_together_and_new_ones_start() {
    scenario(|| {
        assert_ok!(Dkg::set_params(
            RuntimeOrigin::root(),
            DkgParams {
                target_buffer: 100,
                batch_size: 2,
                max_concurrent_batches: 2,
                deal_timeout: 5,
                verify_timeout: 5,
                refresh_interval: 0,
            }
        ));
        session(2);
        next_block();
        assert_eq!(RunningBatches::<Test>::get().into_inner(), vec![0, 1]);
        let mut rng = rng(46);
        for batch in [0, 1] {
            for dealer in [1, 2] {
                let bytes = wire(&dealing::<Test>(batch, dealer, &mut rng));
                assert_ok!(submit(dealing_call(batch, dealer, bytes)));
            }
        }
        next_block();
        for batch in [0, 1] {
            for member in [1, 2] {
                assert_ok!(submit(confirm_call(batch, member)));
            }
        }
        next_block();
        for batch in [0, 1] {
            assert!(matches!(
                Dkg::batch_result(batch).map(|r| r.outcome),
                Some(BatchOutcome::Completed { .. })
            ));
        }
        assert_eq!(RunningBatches::<Test>::get().into_inner(), vec![2, 3]);
    });
}

#[test]
fn no_batch_starts_without_a_committee_or_when_the_buffer_is_full() {
    scenario(|| {
        next_block();
        assert!(RunningBatches::<Test>::get().is_empty());
        set_target(0);
        session(4);
        next_block();
        assert!(RunningBatches::<Test>::get().is_empty());
        assert_eq!(NextBatch::<Test>::get(), 0);
    });
}

// --- batch sizes ---

#[test]
fn the_batch_size_is_capped_by_what_fits_a_dealing() {
    scenario(|| {
        Params::<Test>::mutate(|p| p.batch_size = 1000);
        let batch = start(4);
        let size = state::<Test>(batch).setup.batch_size;
        assert!(size > 2 && size < MAX_BUFFER_BATCH);
        // A real dealing of that size fits, one more key would not.
        let bytes = wire(&dealing::<Test>(batch, 1, &mut rng(12)));
        assert_eq!(
            bytes.len(),
            Dkg::encoded_dealing_len(&config::<Test>(batch))
        );
        assert!(bytes.len() <= MAX_DEALING_LEN as usize);
        let committee = torus_crypto::dkg::Committee::new(
            3,
            (0..4).map(|i| encryption_secret(i).public_key()).collect(),
        )
        .expect("a committee");
        let bigger = torus_crypto::dkg::SessionConfig::new(
            [0; 32],
            size + 1,
            committee.clone(),
            committee,
            torus_crypto::dkg::SessionKind::Fresh,
        )
        .expect("a config");
        assert!(Dkg::encoded_dealing_len(&bigger) > MAX_DEALING_LEN as usize);
        assert_ok!(submit(dealing_call(batch, 1, bytes)));
        System::assert_last_event(Event::DealingAccepted { batch, dealer: 1 }.into());
    });
}

#[test]
fn the_batch_size_is_capped_by_the_key_buffer() {
    scenario(|| {
        Params::<Test>::mutate(|p| p.batch_size = 1000);
        let batch = start(1);
        assert_eq!(state::<Test>(batch).setup.batch_size, MAX_BUFFER_BATCH);
    });
}

// --- validity of unsigned messages ---

#[test]
fn a_valid_message_provides_one_tag_per_member_kind_and_dealer_until_the_deadline() {
    scenario(|| {
        let batch = start(4);
        let call = dealing_call(batch, 1, wire(&dealing::<Test>(batch, 1, &mut rng(13))));
        let valid = Dkg::validate_unsigned(TransactionSource::External, &call).expect("valid");
        assert_eq!(valid.priority, 1 << 20);
        assert_eq!(valid.longevity, 6); // blocks 2..=7
        assert!(valid.propagate);
        assert_eq!(valid.provides.len(), 1);
        let other = dealing_call(batch, 2, wire(&dealing::<Test>(batch, 2, &mut rng(14))));
        let other_valid =
            Dkg::validate_unsigned(TransactionSource::External, &other).expect("valid");
        assert_ne!(valid.provides, other_valid.provides);
    });
}

#[test]
fn messages_with_a_bad_signature_are_invalid() {
    scenario(|| {
        let batch = start(4);
        let bytes = wire(&dealing::<Test>(batch, 1, &mut rng(15)));
        // Signed by member 2, claiming to be member 1.
        let call = DkgCall::submit_dealing {
            batch,
            dealer: 1,
            dealing: BoundedVec::try_from(bytes.clone()).expect("fits"),
            signature: sign::<Test>(batch, 2, MessageKind::Dealing, &bytes),
        };
        assert_eq!(validate(&call), Err(InvalidTransaction::BadProof.into()));
        // Member 1's signature over other bytes.
        let call = DkgCall::submit_dealing {
            batch,
            dealer: 1,
            dealing: BoundedVec::try_from(bytes).expect("fits"),
            signature: sign::<Test>(batch, 1, MessageKind::Dealing, b"other"),
        };
        assert_eq!(validate(&call), Err(InvalidTransaction::BadProof.into()));
        // A confirmation signature does not serve as a dealing's.
        let call = DkgCall::confirm {
            batch,
            member: 1,
            signature: sign::<Test>(batch, 1, MessageKind::Dealing, &[]),
        };
        assert_eq!(
            validate(&call),
            Err(Dkg::invalid(Error::<Test>::WrongPhase).into())
        );
    });
}

/// The block's check of an unsigned message (the pool's check, run again before dispatch)
/// refuses `call` with `BadProof`, and nothing in storage changes.
fn assert_bad_proof(call: &DkgCall) {
    assert_eq!(validate(call), Err(InvalidTransaction::BadProof.into()));
    frame_support::assert_storage_noop!(assert_eq!(
        Dkg::pre_dispatch(call),
        Err(InvalidTransaction::BadProof.into())
    ));
}

#[test]
fn messages_signed_for_another_chain_or_another_start_of_the_batch_are_invalid() {
    scenario(|| {
        let batch = start(4);
        let genesis = Dkg::genesis_hash();
        let session_id = state::<Test>(batch).setup.session_id;
        // Another chain with the same validators and keys, and a fork on which batch 0 started
        // on another parent block.
        let other_genesis = [0x42; 32];
        let other_session =
            sp_io::hashing::blake2_256(&(*b"torus-dkg/batch", batch, [0x17u8; 32]).encode());
        assert_ne!(other_genesis, genesis);
        assert_ne!(other_session, session_id);
        let contexts = [(other_genesis, session_id), (genesis, other_session)];

        let mut rng = rng(21);
        let dealings: Vec<Dealing> = (1..=4)
            .map(|i| dealing::<Test>(batch, i, &mut rng))
            .collect();
        let bytes = wire(&dealings[0]);
        for (g, sid) in &contexts {
            assert_bad_proof(&DkgCall::submit_dealing {
                batch,
                dealer: 1,
                dealing: BoundedVec::try_from(bytes.clone()).expect("fits"),
                signature: sign_for::<Test>(g, sid, batch, 1, MessageKind::Dealing, &bytes),
            });
        }
        assert!(state::<Test>(batch).dealt.is_empty());
        assert!(Dealings::<Test>::get(batch, 1).is_none());
        // The same dealing signed for this chain and this batch is accepted.
        for (i, dealing) in (1..).zip(&dealings) {
            assert_ok!(submit(dealing_call(batch, i, wire(dealing))));
        }
        next_block();
        assert!(matches!(phase(batch), BatchPhase::Verifying { .. }));

        // A replayed complaint would disqualify an honest dealer or the complainer; a replayed
        // confirmation could end the phase.
        let complaint = vec![0u8];
        for (g, sid) in &contexts {
            assert_bad_proof(&DkgCall::submit_complaint {
                batch,
                complainer: 1,
                dealer: 2,
                complaint: BoundedVec::try_from(complaint.clone()).expect("fits"),
                signature: sign_for::<Test>(g, sid, batch, 1, MessageKind::Complaint, &complaint),
            });
            assert_bad_proof(&DkgCall::confirm {
                batch,
                member: 1,
                signature: sign_for::<Test>(g, sid, batch, 1, MessageKind::Confirmation, &[]),
            });
        }
        let after = state::<Test>(batch);
        assert!(after.disqualified.is_empty());
        assert!(after.complaints.is_empty());
        assert!(after.confirmed.is_empty());
        assert_ok!(submit(confirm_call(batch, 1)));
        System::assert_last_event(Event::Confirmed { batch, member: 1 }.into());
    });
}

#[test]
fn the_genesis_hash_is_block_zeros_hash_from_block_one_on_and_is_never_pruned() {
    new_test_ext().execute_with(|| {
        // The test genesis holds frame-system's placeholder until block 1 is initialized.
        assert_eq!(Dkg::genesis_hash(), [69; 32]);
        System::set_block_number(0);
        let genesis = sp_core::H256::repeat_byte(7);
        let mut parent = genesis;
        let blocks = <<Test as frame_system::Config>::BlockHashCount as Get<u64>>::get() * 3;
        for number in 1..=blocks {
            System::initialize(&number, &parent, &Default::default());
            assert_eq!(Dkg::genesis_hash(), [7; 32], "at block {number}");
            parent = System::finalize().hash();
        }
        assert_eq!(Dkg::genesis_hash(), [7; 32]);
    });
}

#[test]
fn messages_from_non_members_for_unknown_batches_or_in_the_wrong_phase_are_invalid() {
    scenario(|| {
        let batch = start(4);
        let signature = sign::<Test>(batch, 1, MessageKind::Confirmation, &[]);
        let non_member = DkgCall::confirm {
            batch,
            member: 5,
            signature: signature.clone(),
        };
        assert_eq!(
            validate(&non_member),
            Err(InvalidTransaction::Custom(2).into())
        );
        let zero = DkgCall::confirm {
            batch,
            member: 0,
            signature: signature.clone(),
        };
        assert_eq!(
            validate(&zero),
            Err(Dkg::invalid(Error::<Test>::UnknownMember).into())
        );
        let unknown = DkgCall::confirm {
            batch: 9,
            member: 1,
            signature: signature.clone(),
        };
        assert_eq!(
            validate(&unknown),
            Err(InvalidTransaction::Custom(0).into())
        );
        let early = confirm_call(batch, 1);
        assert_eq!(validate(&early), Err(InvalidTransaction::Custom(1).into()));
        let other = DkgCall::set_params {
            params: Dkg::params(),
        };
        assert_eq!(validate(&other), Err(InvalidTransaction::Call.into()));

        assert_noop!(
            Dkg::confirm(RuntimeOrigin::none(), batch, 5, signature.clone()),
            Error::<Test>::UnknownMember
        );
        assert_noop!(
            Dkg::confirm(RuntimeOrigin::none(), 9, 1, signature.clone()),
            Error::<Test>::UnknownBatch
        );
        assert_noop!(
            Dkg::confirm(RuntimeOrigin::none(), batch, 1, signature.clone()),
            Error::<Test>::WrongPhase
        );
        assert_noop!(
            Dkg::submit_complaint(
                RuntimeOrigin::none(),
                batch,
                1,
                2,
                BoundedVec::new(),
                signature.clone()
            ),
            Error::<Test>::WrongPhase
        );
        assert_noop!(
            Dkg::confirm(RuntimeOrigin::signed(1), batch, 1, signature),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn repeated_messages_are_stale_and_refused() {
    scenario(|| {
        let batch = start(4);
        let mut rng = rng(16);
        let dealings: Vec<Dealing> = (1..=3).map(|i| deal(batch, i, &mut rng)).collect();
        let again = dealing_call(batch, 1, wire(&dealings[0]));
        assert_eq!(validate(&again), Err(InvalidTransaction::Stale.into()));
        assert_noop!(
            RuntimeCall::Dkg(again).dispatch(RuntimeOrigin::none()),
            Error::<Test>::AlreadyDealt
        );
        deal(batch, 4, &mut rng);
        next_block();
        assert_ok!(submit(confirm_call(batch, 1)));
        let again = confirm_call(batch, 1);
        assert_eq!(validate(&again), Err(InvalidTransaction::Stale.into()));
        assert_noop!(
            RuntimeCall::Dkg(again).dispatch(RuntimeOrigin::none()),
            Error::<Test>::AlreadyConfirmed
        );
        // A complaint against oneself, and against a member without a dealing.
        let own = complaint_call(batch, 1, 1, vec![0]);
        assert_refused(own, Error::<Test>::OwnDealing);
    });
}

#[test]
fn a_complaint_against_a_member_without_a_dealing_is_refused() {
    scenario(|| {
        let batch = start(4);
        let mut rng = rng(17);
        for i in 1..=3 {
            deal(batch, i, &mut rng);
        }
        run_to(2 + 5 + 1);
        let call = complaint_call(batch, 1, 4, vec![0]);
        assert_refused(call, Error::<Test>::NoDealing);
        // The absent member may still confirm (it is a recipient).
        assert_ok!(submit(confirm_call(batch, 4)));
    });
}

// --- parameters ---

fn params() -> DkgParams<u64> {
    DkgParams {
        target_buffer: 10,
        batch_size: 3,
        max_concurrent_batches: 2,
        deal_timeout: 4,
        verify_timeout: 6,
        refresh_interval: 0,
    }
}

#[test]
fn root_sets_the_parameters() {
    scenario(|| {
        assert_ok!(Dkg::set_params(RuntimeOrigin::root(), params()));
        assert_eq!(Dkg::params(), params());
        System::assert_last_event(Event::ParamsSet { params: params() }.into());
        assert_noop!(
            Dkg::set_params(RuntimeOrigin::signed(1), params()),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Dkg::set_params(RuntimeOrigin::none(), params()),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn invalid_parameters_are_refused() {
    scenario(|| {
        let set = |p| Dkg::set_params(RuntimeOrigin::root(), p);
        assert_noop!(
            set(DkgParams {
                batch_size: 0,
                ..params()
            }),
            Error::<Test>::ZeroBatchSize
        );
        assert_noop!(
            set(DkgParams {
                max_concurrent_batches: 0,
                ..params()
            }),
            Error::<Test>::InvalidConcurrency
        );
        assert_noop!(
            set(DkgParams {
                max_concurrent_batches: 3,
                ..params()
            }),
            Error::<Test>::InvalidConcurrency
        );
        assert_noop!(
            set(DkgParams {
                deal_timeout: 0,
                ..params()
            }),
            Error::<Test>::ZeroTimeout
        );
        assert_noop!(
            set(DkgParams {
                verify_timeout: 0,
                refresh_interval: 0,
                ..params()
            }),
            Error::<Test>::ZeroTimeout
        );
    });
}

#[test]
#[should_panic(expected = "invalid genesis DKG parameters")]
fn invalid_genesis_parameters_panic() {
    let _ = sp_runtime::BuildStorage::build_storage(&crate::GenesisConfig::<Test> {
        target_buffer: 1,
        batch_size: 0,
        max_concurrent_batches: 1,
        deal_timeout: 1,
        verify_timeout: 1,
        refresh_interval: 0,
    });
}

// --- the committee ---

#[test]
fn the_session_handler_sets_the_committee() {
    scenario(|| {
        let validators: Vec<(u64, DkgId)> = (0..3).map(|i| (account(i), member_key(i))).collect();
        <Dkg as OneSessionHandler<u64>>::on_genesis_session(
            validators.iter().map(|(a, k)| (a, k.clone())),
        );
        assert_eq!(Committee::<Test>::get().into_inner(), validators);
        session(2);
        assert_eq!(Committee::<Test>::get().len(), 2);
    });
}

#[test]
fn the_committee_is_truncated_and_skips_invalid_keys() {
    scenario(|| {
        let mut validators: Vec<(u64, DkgId)> =
            vec![(1, DkgId::from(sp_core::ecdsa::Public::from_raw([0u8; 33])))];
        validators.extend((0..10).map(|i| (account(i), member_key(i))));
        let iter = validators.iter().map(|(a, k)| (a, k.clone()));
        <Dkg as OneSessionHandler<u64>>::on_new_session(true, iter.clone(), iter);
        let committee = Committee::<Test>::get();
        assert_eq!(committee.len(), MAX_COMMITTEE as usize);
        assert_eq!(committee[0].0, account(0));
    });
}

#[test]
fn a_running_batch_keeps_its_committee_across_sessions() {
    scenario(|| {
        let batch = start(4);
        session(2);
        assert_eq!(state::<Test>(batch).setup.members.len(), 4);
        assert_eq!(Dkg::active_batches()[0].info.members.len(), 4);
        assert!(ActiveBatches::<Test>::contains_key(batch));
    });
}

// --- epochs and handovers ---

/// The validators `validators` (accounts 100 + v, keys `member_key(v)`) become the committee,
/// member `i` being `validators[i − 1]`.
fn session_of(validators: &[u32]) {
    let validators: Vec<(u64, DkgId)> = validators
        .iter()
        .map(|v| (account(*v), member_key(*v)))
        .collect();
    let iter = validators.iter().map(|(a, k)| (a, k.clone()));
    <Dkg as OneSessionHandler<u64>>::on_new_session(true, iter.clone(), iter);
}

/// Runs the running batch `batch` to its end honestly with `dealers` (index and, for a
/// handover, old shares) dealing and every recipient (index, validator) verifying and
/// confirming; returns each recipient's final shares.
fn run_honestly(
    batch: BatchId,
    dealers: Vec<(MemberIndex, Option<crypto_dkg::KeyShares>)>,
    recipients: &[(MemberIndex, u32)],
    rng: &mut rand_chacha::ChaCha20Rng,
) -> Vec<crypto_dkg::KeyShares> {
    let config = config::<Test>(batch);
    let dealings: Vec<Dealing> = dealers
        .into_iter()
        .map(|(dealer, old)| {
            let dealing = crypto_dkg::deal(&config, dealer, old, rng).expect("an honest dealing");
            assert_ok!(submit(dealing_call(batch, dealer, wire(&dealing))));
            dealing
        })
        .collect();
    next_block();
    let received: Vec<_> = recipients
        .iter()
        .map(|(me, validator)| {
            let (received, complaints) =
                Receiver::new(config.clone(), *me, encryption_secret(*validator), None)
                    .and_then(|r| r.receive(&dealings, rng))
                    .expect("verification runs");
            assert!(complaints.is_empty());
            assert_ok!(submit(confirm_call(batch, *me)));
            received
        })
        .collect();
    next_block();
    let result = Dkg::batch_result(batch).expect("the batch finished");
    assert!(matches!(result.outcome, BatchOutcome::Completed { .. }));
    received
        .into_iter()
        .map(|r| r.finalize(&result.qualified).expect("final shares").shares)
        .collect()
}

/// Dealers `dealers` of a handover, each with its old shares from `old`.
fn resharing(
    old: &[crypto_dkg::KeyShares],
    dealers: core::ops::RangeInclusive<MemberIndex>,
) -> Vec<(MemberIndex, Option<crypto_dkg::KeyShares>)> {
    dealers
        .map(|d| (d, Some(old[usize::from(d) - 1].clone())))
        .collect()
}

/// The key of position `key` from the shares of the members `members` (1-based positions
/// in `shares`), by interpolation at zero.
fn reconstruct(
    shares: &[crypto_dkg::KeyShares],
    members: &[usize],
    key: usize,
) -> torus_crypto::Scalar {
    let points: Vec<torus_crypto::vss::SecretShare> = members
        .iter()
        .map(|m| torus_crypto::vss::SecretShare {
            index: shares[m - 1].index,
            value: shares[m - 1].values[key],
        })
        .collect();
    torus_crypto::vss::interpolate(&points, &torus_crypto::Scalar::ZERO).expect("interpolates")
}

fn public_key_of(secret: &torus_crypto::Scalar) -> [u8; 33] {
    point_to_bytes(&(ProjectivePoint::GENERATOR * secret)).expect("not the identity")
}

/// Genesis committee of validators 0..4 (epoch 0), one completed batch of two keys; returns
/// the members' shares.
fn first_range(rng: &mut rand_chacha::ChaCha20Rng) -> Vec<crypto_dkg::KeyShares> {
    set_target(2);
    let batch = start(4);
    let dealers = (1..=4).map(|i| (i, None)).collect();
    let shares = run_honestly(batch, dealers, &[(1, 0), (2, 1), (3, 2), (4, 3)], rng);
    set_target(0);
    assert_eq!(Dkg::key_range(batch).map(|r| r.holder), Some(0));
    shares
}

#[test]
fn a_new_committee_gets_every_key_range_with_the_same_public_keys() {
    scenario(|| {
        let mut rng = rng(40);
        let old = first_range(&mut rng);
        let public_keys: Vec<[u8; 33]> = (0..2)
            .map(|k| Dkg::key_commitments(k).expect("commitments")[0])
            .collect();
        // Validators 0 and 1 leave, 4 and 5 join: epoch 1.
        session_of(&[2, 3, 4, 5]);
        System::assert_last_event(
            Event::EpochStarted {
                epoch: 1,
                members: 4,
                threshold: 3,
                refresh: false,
            }
            .into(),
        );
        assert_eq!(Dkg::current_epoch(), 1);
        assert_eq!(
            Dkg::holding_epochs()
                .iter()
                .map(|e| e.epoch)
                .collect::<Vec<_>>(),
            vec![0, 1]
        );
        next_block();
        let handover = 1;
        System::assert_last_event(
            Event::HandoverStarted {
                batch: handover,
                range: 0,
                from: 0,
                to: 1,
                key_count: 2,
            }
            .into(),
        );
        let info = &Dkg::active_batches()[0].info;
        let from = info.handover.as_ref().expect("a handover");
        assert_eq!(
            (from.range, from.from_epoch, from.dealer_threshold),
            (0, 0, 3)
        );
        assert_eq!(from.dealers[0], member_key(0));
        assert_eq!(info.members[0], member_key(2));
        // Until the handover completes the range stays with epoch 0.
        assert_eq!(Dkg::key_range(0).map(|r| r.holder), Some(0));

        // Three of the four old members deal (one is enough to be absent).
        let dealers = resharing(&old, 1..=3);
        run_to(System::block_number() + 5);
        let new = run_honestly(
            handover,
            dealers,
            &[(1, 2), (2, 3), (3, 4), (4, 5)],
            &mut rng,
        );
        System::assert_has_event(
            Event::HandoverCompleted {
                batch: handover,
                range: 0,
                from: 0,
                to: 1,
            }
            .into(),
        );
        let result = Dkg::batch_result(handover).expect("a result");
        assert_eq!(result.qualified, vec![1, 2, 3]);
        assert_eq!(result.absent, vec![4]);
        assert_eq!(
            Absences::<Test>::get(account(3)),
            1,
            "the absent dealer is counted"
        );
        assert_eq!(Dkg::key_range(0).map(|r| r.holder), Some(1));
        assert_eq!(Dkg::current_epoch(), 1);
        // Epoch 0 holds nothing any more: it is gone.
        assert!(Dkg::epoch_info(0).is_none());
        assert_eq!(
            Dkg::holding_epochs()
                .iter()
                .map(|e| e.epoch)
                .collect::<Vec<_>>(),
            vec![1]
        );
        for (key, public_key) in public_keys.iter().enumerate() {
            let points = Dkg::key_commitments(key as u64).expect("commitments");
            assert_eq!(points[0], *public_key, "the public key is unchanged");
            // Any three new members reconstruct the same key; the old and new commitments
            // differ.
            for members in [[1, 2, 3], [2, 3, 4], [1, 3, 4]] {
                assert_eq!(
                    public_key_of(&reconstruct(&new, &members, key)),
                    public_keys[key]
                );
            }
            let commitment =
                torus_crypto::vss::FeldmanCommitment::from_bytes(&points).expect("points");
            for share in &new {
                assert_eq!(
                    commitment.public_share(share.index).expect("a share"),
                    ProjectivePoint::GENERATOR * share.values[key]
                );
            }
        }
        // Old shares mixed with new ones give another key.
        let mixed = [old[0].clone(), new[1].clone(), new[2].clone()];
        assert_ne!(
            public_key_of(&reconstruct(&mixed, &[1, 2, 3], 0)),
            public_keys[0]
        );
        // Nothing more to hand over.
        next_block();
        assert!(Dkg::active_batches().is_empty());
    });
}

#[test]
fn a_bad_reshare_disqualifies_its_dealer_and_the_handover_completes() {
    scenario(|| {
        let mut rng = rng(41);
        let old = first_range(&mut rng);
        session_of(&[0, 1, 2, 3, 4]);
        next_block();
        let handover = 1;
        let config = config::<Test>(handover);
        let mut dealings: Vec<Dealing> = (1..=4)
            .map(|d| {
                crypto_dkg::deal(&config, d, Some(old[usize::from(d) - 1].clone()), &mut rng)
                    .expect("a dealing")
            })
            .collect();
        // Dealer 2 gives new member 5 shares that are not on its polynomial.
        let plaintext = vec![7u8; config.plaintext_len()];
        let (ciphertext, proof) =
            crypto_dkg::encrypt_for_recipient(&config, 2, 5, &plaintext, &mut rng).expect("ct");
        dealings[1].ciphertexts[4] = ciphertext;
        dealings[1].ephemeral_proofs[4] = proof;
        for d in &dealings {
            assert_ok!(submit(dealing_call(handover, d.dealer, wire(d))));
        }
        next_block();
        let complaints = verify_as_validator(handover, 5, 4, &dealings);
        assert_eq!(complaints.len(), 1);
        assert_ok!(submit(complaint_call(
            handover,
            5,
            2,
            complaints[0].1.clone()
        )));
        System::assert_last_event(
            Event::ComplaintUpheld {
                batch: handover,
                complainer: 5,
                dealer: 2,
            }
            .into(),
        );
        // The accused index 2 as a *recipient* is not disqualified: it still confirms.
        for me in 1..=5 {
            assert_ok!(submit(confirm_call(handover, me)));
        }
        next_block();
        let result = Dkg::batch_result(handover).expect("a result");
        assert_eq!(result.qualified, vec![1, 3, 4]);
        assert_eq!(
            result.disqualified,
            vec![(2, Fault::BadShare { complainer: 5 })]
        );
        assert_eq!(Dkg::key_range(0).map(|r| r.holder), Some(1));
    });
}

#[test]
fn a_reshare_dealing_of_the_wrong_shape_disqualifies_its_dealer() {
    scenario(|| {
        let mut rng = rng(43);
        let old = first_range(&mut rng);
        session_of(&[0, 1, 2, 3, 4]);
        next_block();
        let handover = 1;
        let config = config::<Test>(handover);
        // One commitment point too many: a reshare's constant terms are implied, not sent.
        let mut dealing =
            crypto_dkg::deal(&config, 2, Some(old[1].clone()), &mut rng).expect("a dealing");
        let extra = dealing.commitments[0];
        dealing.commitments.push(extra);
        assert_ok!(submit(dealing_call(handover, 2, wire(&dealing))));
        System::assert_last_event(
            Event::DealingRejected {
                batch: handover,
                dealer: 2,
            }
            .into(),
        );
        assert_eq!(
            state::<Test>(handover).disqualified.into_inner(),
            vec![(2, Fault::MalformedDealing)]
        );
        assert!(!Dealings::<Test>::contains_key(handover, 2));
        let honest =
            crypto_dkg::deal(&config, 3, Some(old[2].clone()), &mut rng).expect("a dealing");
        assert_ok!(submit(dealing_call(handover, 3, wire(&honest))));
        System::assert_last_event(
            Event::DealingAccepted {
                batch: handover,
                dealer: 3,
            }
            .into(),
        );
        assert!(Dealings::<Test>::contains_key(handover, 3));
    });
}

/// Member `me` (validator `validator`) verifies `dealings` of a handover and returns its
/// complaints (wire bytes) by dealer.
fn verify_as_validator(
    batch: BatchId,
    me: MemberIndex,
    validator: u32,
    dealings: &[Dealing],
) -> Vec<(MemberIndex, Vec<u8>)> {
    let (_, complaints) = Receiver::new(
        config::<Test>(batch),
        me,
        encryption_secret(validator),
        None,
    )
    .and_then(|r| r.receive(dealings, &mut rng(98)))
    .expect("verification runs");
    complaints
        .iter()
        .map(|c| (c.dealer, ComplaintMessage::from_complaint(c).encode()))
        .collect()
}

/// Epoch `epoch` started as a refresh of the committee of four.
fn assert_refresh_started(epoch: EpochId) {
    System::assert_has_event(
        Event::EpochStarted {
            epoch,
            members: 4,
            threshold: 3,
            refresh: true,
        }
        .into(),
    );
}

#[test]
fn keys_are_refreshed_at_the_interval_and_a_member_without_shares_gets_new_ones() {
    scenario(|| {
        let mut rng = rng(42);
        let old = first_range(&mut rng);
        Params::<Test>::mutate(|p| p.refresh_interval = 20);
        // The interval counts from the epoch's start (block 1).
        run_to(20);
        assert_eq!(Dkg::current_epoch(), 0);
        assert!(Dkg::active_batches().is_empty());
        next_block();
        assert_refresh_started(1);
        let handover = 1;
        assert_eq!(
            Dkg::active_batches()[0]
                .info
                .handover
                .as_ref()
                .map(|h| h.from_epoch),
            Some(0)
        );
        // Member 4 lost its shares: it does not deal, and receives new ones.
        let dealers = resharing(&old, 1..=3);
        run_to(System::block_number() + 5);
        let new = run_honestly(
            handover,
            dealers,
            &[(1, 0), (2, 1), (3, 2), (4, 3)],
            &mut rng,
        );
        let public_key = Dkg::key_commitments(0).expect("commitments")[0];
        assert_eq!(public_key_of(&reconstruct(&new, &[2, 3, 4], 0)), public_key);
        assert_ne!(new[0].values, old[0].values, "the shares changed");
        let mixed = [old[0].clone(), old[1].clone(), new[3].clone()];
        assert_ne!(
            public_key_of(&reconstruct(&mixed, &[1, 2, 3], 0)),
            public_key
        );
        // The next refresh waits for the interval again.
        let started = Dkg::epoch_info(1).expect("epoch 1").started_at;
        run_to(started + 19);
        assert_eq!(Dkg::current_epoch(), 1);
        next_block();
        assert_eq!(Dkg::current_epoch(), 2);
    });
}

#[test]
fn a_handover_without_enough_dealers_leaves_the_range_and_is_tried_again() {
    scenario(|| {
        let mut rng = rng(43);
        let old = first_range(&mut rng);
        session_of(&[4, 5, 6]);
        next_block();
        let first = 1;
        // Only two of the four old members deal: fewer than the old threshold (3).
        let config = config::<Test>(first);
        for d in 1..=2u16 {
            let dealing =
                crypto_dkg::deal(&config, d, Some(old[usize::from(d) - 1].clone()), &mut rng)
                    .expect("a dealing");
            assert_ok!(submit(dealing_call(first, d, wire(&dealing))));
        }
        run_to(System::block_number() + 6);
        System::assert_has_event(Event::BatchAbandoned { batch: first }.into());
        assert_eq!(Dkg::key_range(0).map(|r| r.holder), Some(0));
        assert!(Dkg::epoch_info(0).is_some(), "the old holders keep serving");
        // The range is handed over again, by a new batch.
        next_block();
        let again = Dkg::active_batches();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].info.handover.as_ref().map(|h| h.range), Some(0));
        assert!(again[0].info.batch > first);
    });
}

#[test]
fn a_dealing_of_a_handover_comes_from_an_old_member_and_a_confirmation_from_a_new_one() {
    scenario(|| {
        let mut rng = rng(44);
        let old = first_range(&mut rng);
        // Three new members, four old ones: index 4 exists only among the dealers.
        session_of(&[4, 5, 6]);
        next_block();
        let handover = 1;
        let dealing =
            crypto_dkg::deal(&config::<Test>(handover), 4, Some(old[3].clone()), &mut rng)
                .expect("a dealing");
        assert_ok!(submit(dealing_call(handover, 4, wire(&dealing))));
        // A signature of recipient 1 (validator 4) does not make a dealing of dealer 1
        // (validator 0).
        let bytes = wire(&dealing);
        let forged = DkgCall::submit_dealing {
            batch: handover,
            dealer: 1,
            dealing: BoundedVec::try_from(bytes.clone()).expect("fits"),
            signature: sign::<Test>(handover, 1, MessageKind::Confirmation, &bytes),
        };
        assert_eq!(validate(&forged), Err(InvalidTransaction::BadProof.into()));
        // Recipient 4 does not exist (three new members), and recipients confirm only later.
        assert_refused(confirm_call(handover, 1), Error::<Test>::WrongPhase);
        let unknown = DkgCall::confirm {
            batch: handover,
            member: 4,
            signature: sign::<Test>(handover, 1, MessageKind::Confirmation, &[]),
        };
        assert_refused(unknown, Error::<Test>::UnknownMember);
    });
}

#[test]
fn a_handover_that_too_few_new_members_confirm_leaves_the_range_with_its_holder() {
    scenario(|| {
        let mut rng = rng(45);
        let old = first_range(&mut rng);
        session_of(&[2, 3, 4, 5]);
        next_block();
        let handover = 1;
        let config = config::<Test>(handover);
        for d in 1..=4u16 {
            let dealing =
                crypto_dkg::deal(&config, d, Some(old[usize::from(d) - 1].clone()), &mut rng)
                    .expect("a dealing");
            assert_ok!(submit(dealing_call(handover, d, wire(&dealing))));
        }
        next_block();
        // Only two of the four new members (threshold 3) are online to take their shares.
        for me in 1..=2 {
            assert_ok!(submit(confirm_call(handover, me)));
        }
        run_to(System::block_number() + 6);
        let result = Dkg::batch_result(handover).expect("a result");
        assert_eq!(result.outcome, BatchOutcome::Abandoned);
        assert_eq!(Dkg::key_range(0).map(|r| r.holder), Some(0));
        assert!(
            Dkg::epoch_info(0).is_some(),
            "the old holders keep their shares"
        );
    });
}

fn endpoint_call(validator: u32, url: &[u8], sequence: u32) -> DkgCall {
    let key = member_key(validator);
    let payload =
        torus_primitives::dkg::endpoint_payload(&Dkg::genesis_hash(), &key, url, sequence);
    DkgCall::set_endpoint {
        member: key.clone(),
        endpoint: BoundedVec::try_from(url.to_vec()).expect("fits"),
        sequence,
        signature: key.sign(&payload).expect("in the keystore"),
    }
}

fn lost_call(epoch: EpochId, member: MemberIndex, validator: u32) -> DkgCall {
    let payload = torus_primitives::dkg::lost_shares_payload(&Dkg::genesis_hash(), epoch, member);
    DkgCall::report_lost_shares {
        epoch,
        member,
        signature: member_key(validator)
            .sign(&payload)
            .expect("in the keystore"),
    }
}

fn endpoints_of(epoch: EpochId) -> Vec<Option<Vec<u8>>> {
    Dkg::nodes(epoch)
        .expect("a recorded epoch")
        .into_iter()
        .map(|n| n.endpoint)
        .collect()
}

#[test]
fn a_member_publishes_its_endpoint_and_only_the_next_update_replaces_it() {
    scenario(|| {
        session(4);
        next_block();
        let first = endpoint_call(1, b"http://127.0.0.1:9945", 0);
        assert_eq!(submit(first.clone()).map(|i| i.pays_fee), Ok(Pays::No));
        System::assert_last_event(
            Event::EndpointSet {
                member: member_key(1),
                endpoint: BoundedVec::try_from(b"http://127.0.0.1:9945".to_vec()).expect("fits"),
            }
            .into(),
        );
        assert_eq!(
            endpoints_of(0),
            vec![None, Some(b"http://127.0.0.1:9945".to_vec()), None, None]
        );
        // A replayed or skipped update is stale; the next one replaces the URL.
        assert_refused(first, Error::<Test>::StaleSequence);
        assert_refused(
            endpoint_call(1, b"https://b.example", 2),
            Error::<Test>::StaleSequence,
        );
        assert_ok!(submit(endpoint_call(1, b"https://b.example", 1)));
        assert_eq!(endpoints_of(0)[1], Some(b"https://b.example".to_vec()));
        // Not a URL, or not a member's key.
        assert_refused(
            endpoint_call(2, b"ftp://c.example", 0),
            Error::<Test>::InvalidEndpoint,
        );
        assert_refused(
            endpoint_call(2, b"http://c.example/a b", 0),
            Error::<Test>::InvalidEndpoint,
        );
        assert_refused(
            endpoint_call(9, b"http://c.example", 0),
            Error::<Test>::NotAMember,
        );
        // Signed over another URL, or by another member.
        let DkgCall::set_endpoint { signature, .. } = endpoint_call(2, b"http://d.example", 0)
        else {
            unreachable!()
        };
        let forged = DkgCall::set_endpoint {
            member: member_key(2),
            endpoint: BoundedVec::try_from(b"http://evil.example".to_vec()).expect("fits"),
            sequence: 0,
            signature: signature.clone(),
        };
        assert_bad_proof(&forged);
        let forged = DkgCall::set_endpoint {
            member: member_key(3),
            endpoint: BoundedVec::try_from(b"http://d.example".to_vec()).expect("fits"),
            sequence: 0,
            signature,
        };
        assert_bad_proof(&forged);
        assert_eq!(endpoints_of(0)[2..], [None, None]);
    });
}

#[test]
fn a_lost_share_report_marks_the_member_and_a_handover_to_the_same_committee_recovers_it() {
    scenario(|| {
        let mut rng = rng(44);
        let old = first_range(&mut rng);
        assert_eq!(
            Params::<Test>::get().refresh_interval,
            0,
            "no refresh is due"
        );
        assert_ok!(submit(lost_call(0, 4, 3)));
        System::assert_last_event(
            Event::SharesLost {
                epoch: 0,
                member: 4,
            }
            .into(),
        );
        let lost: Vec<bool> = Dkg::nodes(0)
            .expect("epoch 0")
            .iter()
            .map(|n| n.lost)
            .collect();
        assert_eq!(lost, vec![false, false, false, true]);
        assert_refused(lost_call(0, 4, 3), Error::<Test>::AlreadyReported);
        assert_refused(lost_call(1, 4, 3), Error::<Test>::UnknownEpoch);
        assert_refused(lost_call(0, 5, 3), Error::<Test>::UnknownMember);
        assert_bad_proof(&lost_call(0, 3, 3));

        // A handover to the same committee starts once one batch's timeouts have passed since
        // the epoch started; member 4 deals nothing and receives new shares.
        let params = Params::<Test>::get();
        let started = Dkg::epoch_info(0).expect("epoch 0").started_at;
        run_to(started + params.deal_timeout + params.verify_timeout - 1);
        assert_eq!(Dkg::current_epoch(), 0);
        next_block();
        assert_refresh_started(1);
        let handover = Dkg::active_batches()[0].info.batch;
        run_to(System::block_number() + 5);
        let new = run_honestly(
            handover,
            resharing(&old, 1..=3),
            &[(1, 0), (2, 1), (3, 2), (4, 3)],
            &mut rng,
        );
        let public_key = Dkg::key_commitments(0).expect("commitments")[0];
        assert_eq!(public_key_of(&reconstruct(&new, &[1, 2, 4], 0)), public_key);
        // Epoch 0 is gone with its report; in epoch 1 member 4 holds its shares.
        assert!(Dkg::nodes(0).is_none());
        assert_eq!(crate::LostShares::<Test>::iter().count(), 0);
        assert!(Dkg::nodes(1).expect("epoch 1").iter().all(|n| !n.lost));
        // No further recovery is due.
        run_to(System::block_number() + 30);
        assert_eq!(Dkg::current_epoch(), 1);
    });
}

#[test]
fn the_members_of_an_epoch_handing_over_keep_their_stake_until_it_holds_nothing() {
    scenario(|| {
        let mut rng = rng(45);
        let old = first_range(&mut rng);
        assert_ok!(submit(endpoint_call(0, b"http://leaver.example", 0)));
        assert_ok!(submit(endpoint_call(1, b"http://stayer.example", 0)));
        // Only members of an epoch that holds keys the current one does not keep stake.
        assert!((0..6).all(|v| !Dkg::keeps_stake(&account(v))));
        // Validator 0 leaves, 4 joins.
        session_of(&[1, 2, 3, 4]);
        assert!((0..4).all(|v| Dkg::keeps_stake(&account(v))));
        assert!(!Dkg::keeps_stake(&account(4)));
        next_block();
        let handover = Dkg::active_batches()[0].info.batch;
        run_to(System::block_number() + 5);
        run_honestly(
            handover,
            resharing(&old, 1..=3),
            &[(1, 1), (2, 2), (3, 3), (4, 4)],
            &mut rng,
        );
        assert!(Dkg::epoch_info(0).is_none());
        assert!((0..6).all(|v| !Dkg::keeps_stake(&account(v))));
        // The leaver's endpoint is forgotten with its last epoch; the stayer's is kept.
        assert!(crate::Endpoints::<Test>::get(member_key(0)).is_none());
        assert_eq!(endpoints_of(1)[0], Some(b"http://stayer.example".to_vec()));
    });
}
