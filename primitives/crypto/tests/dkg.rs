//! Batched DKG, complaints, refresh and resharing.

#![allow(clippy::needless_range_loop)] // key positions index several parallel vectors

use k256::elliptic_curve::ops::MulByGenerator;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use torus_crypto::{
    dkg::{
        self, check_dealing, check_dealing_shape, group_commitments, qualified_dealers,
        verify_complaint, Committee, ComplaintVerdict, Dealing, DealingShape, KeyShares, Receiver,
        SessionConfig, SessionKind, SessionOutput,
    },
    ecies::{self, EncryptionSecretKey},
    vss::{self, SecretShare},
    DealingFault, Error, ProjectivePoint, Scalar,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

struct Net {
    keys: Vec<EncryptionSecretKey>,
    committee: Committee,
}

fn net(n: u16, t: u16, r: &mut ChaCha20Rng) -> Net {
    let keys: Vec<EncryptionSecretKey> = (0..n).map(|_| EncryptionSecretKey::random(r)).collect();
    let committee = Committee::new(t, keys.iter().map(|k| k.public_key()).collect()).unwrap();
    Net { keys, committee }
}

/// Every recipient receives and finalizes with the qualified set computed from the posts.
fn run_receivers(
    config: &SessionConfig,
    recipients: &Net,
    dealings: &[Dealing],
    old: Option<&[KeyShares]>,
    r: &mut ChaCha20Rng,
) -> (Vec<SessionOutput>, Vec<dkg::Complaint>) {
    let mut states = Vec::new();
    let mut complaints = Vec::new();
    for j in 1..=recipients.committee.size() {
        let old_j = old.map(|o| o[usize::from(j) - 1].clone());
        let rec = Receiver::new(
            config.clone(),
            j,
            recipients.keys[usize::from(j) - 1].clone(),
            old_j,
        )
        .unwrap();
        let (state, c) = rec.receive(dealings, r).unwrap();
        states.push(state);
        complaints.extend(c);
    }
    let q = qualified_dealers(config, dealings, &complaints);
    let outputs = states
        .into_iter()
        .map(|s| s.finalize(&q.qualified).unwrap())
        .collect();
    (outputs, complaints)
}

fn fresh(n: u16, t: u16, batch: u32, seed: u64) -> (Net, SessionConfig, Vec<SessionOutput>) {
    let mut r = rng(seed);
    let net = net(n, t, &mut r);
    let config = fresh_config(&net, 1, batch);
    let dealings: Vec<Dealing> = deal_all(&config, n, &mut r);
    let (outputs, complaints) = run_receivers(&config, &net, &dealings, None, &mut r);
    assert!(complaints.is_empty());
    assert_eq!(
        outputs[0].commitments,
        group_commitments(&config, &dealings, &outputs[0].qualified).unwrap()
    );
    (net, config, outputs)
}

/// A fresh-key session among the whole test committee.
fn fresh_config(net: &Net, session_tag: u8, batch: u32) -> SessionConfig {
    SessionConfig::new(
        [session_tag; 32],
        batch,
        net.committee.clone(),
        net.committee.clone(),
        SessionKind::Fresh,
    )
    .unwrap()
}

/// Every dealer `1..=n` deals honestly.
fn deal_all(config: &SessionConfig, n: u16, r: &mut ChaCha20Rng) -> Vec<Dealing> {
    (1..=n)
        .map(|d| dkg::deal(config, d, None, r).unwrap())
        .collect()
}

/// Reconstruct key `b` from the given members' outputs.
fn secret_of(outputs: &[&SessionOutput], b: usize) -> Scalar {
    let shares: Vec<SecretShare> = outputs
        .iter()
        .map(|o| SecretShare {
            index: o.shares.index,
            value: o.shares.values[b],
        })
        .collect();
    vss::interpolate(&shares, &Scalar::ZERO).unwrap()
}

/// All outputs agree on commitments, every share matches them, and any t shares give the key.
fn check_outputs(outputs: &[SessionOutput], t: u16, batch: u32) {
    for o in outputs {
        assert_eq!(o.commitments, outputs[0].commitments);
        assert_eq!(o.shares.values.len(), batch as usize);
        for (b, c) in o.commitments.iter().enumerate() {
            assert_eq!(c.threshold(), t);
            c.verify_share(&SecretShare {
                index: o.shares.index,
                value: o.shares.values[b],
            })
            .unwrap();
        }
    }
    let subset: Vec<&SessionOutput> = outputs.iter().rev().take(usize::from(t)).collect();
    for b in 0..batch as usize {
        let k = secret_of(&subset, b);
        assert_eq!(
            ProjectivePoint::mul_by_generator(&k),
            outputs[0].commitments[b].public_key()
        );
    }
}

/// A copy of `dealing` where recipient `j`'s share of key `b` is off by one (re-encrypted
/// properly, so only the commitment check catches it).
fn corrupt_share(
    config: &SessionConfig,
    dealing: &Dealing,
    net: &Net,
    j: u16,
    b: usize,
    r: &mut ChaCha20Rng,
) -> Dealing {
    let mut out = dealing.clone();
    let key = &net.keys[usize::from(j) - 1];
    let mut pt = ecies::decrypt(key, &dealing.ciphertexts[usize::from(j) - 1])
        .unwrap()
        .to_vec();
    let s =
        torus_crypto::encoding::scalar_from_bytes(&pt[b * 32..(b + 1) * 32]).unwrap() + Scalar::ONE;
    pt[b * 32..(b + 1) * 32].copy_from_slice(&s.to_bytes());
    let (ct, proof) = dkg::encrypt_for_recipient(config, dealing.dealer, j, &pt, r).unwrap();
    out.ciphertexts[usize::from(j) - 1] = ct;
    out.ephemeral_proofs[usize::from(j) - 1] = proof;
    out
}

#[test]
fn fresh_batch_dkg_5_of_3() {
    let (_, _, outputs) = fresh(5, 3, 8, 1);
    assert_eq!(outputs[0].qualified, vec![1, 2, 3, 4, 5]);
    check_outputs(&outputs, 3, 8);
    // Distinct keys.
    assert_ne!(
        outputs[0].commitments[0].public_key(),
        outputs[0].commitments[1].public_key()
    );
    assert!(format!("{:?}", outputs[0].shares).contains("<redacted>"));
    assert_eq!(vss::torus_client_threshold(5), 3);
}

#[test]
fn dealing_len_matches_the_encoding() {
    let mut r = rng(14);
    let net = net(5, 3, &mut r);
    let config = fresh_config(&net, 14, 7);
    let d = dkg::deal(&config, 1, None, &mut r).unwrap();
    let len = d.commitments.len() * 65
        + d.ciphertexts
            .iter()
            .map(|c| c.to_bytes().len())
            .sum::<usize>()
        + d.ephemeral_proofs.len() * 64;
    assert_eq!(config.dealing_len(), len);
}

#[test]
fn bad_share_leads_to_upheld_complaint_and_disqualification() {
    let mut r = rng(2);
    let net = net(5, 3, &mut r);
    let config = fresh_config(&net, 2, 6);
    let mut dealings: Vec<Dealing> = deal_all(&config, 5, &mut r);
    dealings[3] = corrupt_share(&config, &dealings[3], &net, 2, 4, &mut r);
    let (outputs, complaints) = run_receivers(&config, &net, &dealings, None, &mut r);
    assert_eq!(complaints.len(), 1);
    let c = &complaints[0];
    assert_eq!((c.complainer, c.dealer, c.key), (2, 4, 4));
    assert_eq!(
        verify_complaint(&config, &dealings[3], c).unwrap(),
        ComplaintVerdict::DealerFaulty(Error::InvalidDealerShare {
            dealer: 4,
            recipient: 2,
            key: 4
        })
    );
    // The complaint judged against another dealer's dealing is refused outright.
    assert_eq!(
        verify_complaint(&config, &dealings[0], c),
        Err(Error::MismatchedComplaint {
            complainer: 2,
            dealer: 4
        })
    );
    assert_eq!(outputs[0].qualified, vec![1, 2, 3, 5]);
    check_outputs(&outputs, 3, 6);
}

#[test]
fn false_and_forged_complaints_blame_the_complainer() {
    let mut r = rng(3);
    let net = net(4, 2, &mut r);
    let config = fresh_config(&net, 3, 3);
    let dealing = dkg::deal(&config, 1, None, &mut r).unwrap();
    let honest = dkg::complain(&config, 3, &net.keys[2], &dealing, 1, &mut r).unwrap();
    let false_complaint = ComplaintVerdict::ComplainerFaulty(Error::FalseComplaint {
        complainer: 3,
        dealer: 1,
    });
    assert_eq!(
        verify_complaint(&config, &dealing, &honest).unwrap(),
        false_complaint
    );
    // Tampered proof.
    let mut forged = honest.clone();
    forged.proof.response[31] ^= 1;
    assert_eq!(
        verify_complaint(&config, &dealing, &forged).unwrap(),
        false_complaint
    );
    // A shared point that is not sk·E (here: a random point) cannot be proven.
    let mut forged = honest.clone();
    forged.shared_point = torus_crypto::encoding::point_to_bytes(
        &ProjectivePoint::mul_by_generator(&Scalar::from(5u64)),
    )
    .unwrap();
    assert_eq!(
        verify_complaint(&config, &dealing, &forged).unwrap(),
        false_complaint
    );
    // Proof replayed for another key index: the context differs.
    let mut forged = honest.clone();
    forged.key = 2;
    assert_eq!(
        verify_complaint(&config, &dealing, &forged).unwrap(),
        false_complaint
    );
    // Malformed shared point bytes.
    let mut forged = honest.clone();
    forged.shared_point = [7u8; 33];
    assert_eq!(
        verify_complaint(&config, &dealing, &forged).unwrap(),
        false_complaint
    );
    // Out-of-range complainer or key.
    let mut forged = honest.clone();
    forged.complainer = 9;
    assert_eq!(
        verify_complaint(&config, &dealing, &forged).unwrap(),
        ComplaintVerdict::ComplainerFaulty(Error::MismatchedComplaint {
            complainer: 9,
            dealer: 1
        })
    );
    let mut forged = honest;
    forged.key = 3;
    assert!(matches!(
        verify_complaint(&config, &dealing, &forged).unwrap(),
        ComplaintVerdict::ComplainerFaulty(_)
    ));
    // A complaint with somebody else's secret key cannot be made.
    assert_eq!(
        dkg::complain(&config, 3, &net.keys[0], &dealing, 0, &mut r).unwrap_err(),
        Error::InvalidConfig
    );
    assert_eq!(
        dkg::complain(&config, 0, &net.keys[0], &dealing, 0, &mut r).unwrap_err(),
        Error::ZeroIndex
    );
}

#[test]
fn undecryptable_ciphertext_is_the_dealers_fault() {
    let mut r = rng(4);
    let net = net(3, 2, &mut r);
    let config = fresh_config(&net, 4, 2);
    let mut dealings: Vec<Dealing> = deal_all(&config, 3, &mut r);
    dealings[0].ciphertexts[2].mac[0] ^= 1;
    let (outputs, complaints) = run_receivers(&config, &net, &dealings, None, &mut r);
    assert_eq!(complaints.len(), 1);
    assert_eq!(
        verify_complaint(&config, &dealings[0], &complaints[0]).unwrap(),
        ComplaintVerdict::DealerFaulty(Error::UndecryptableShares {
            dealer: 1,
            recipient: 3
        })
    );
    assert_eq!(outputs[0].qualified, vec![2, 3]);
    check_outputs(&outputs, 2, 2);
}

#[test]
fn malformed_dealings_are_public_faults() {
    let mut r = rng(5);
    let net = net(3, 2, &mut r);
    let config = fresh_config(&net, 5, 2);
    let good = dkg::deal(&config, 1, None, &mut r).unwrap();
    let fault = |f| {
        Err(Error::MalformedDealing {
            dealer: 1,
            fault: f,
        })
    };
    let mut d = good.clone();
    d.commitments.pop();
    assert_eq!(
        check_dealing(&config, &d).map(|_| ()),
        fault(DealingFault::CommitmentCount)
    );
    let mut d = good.clone();
    d.commitments[0] = [9u8; 65];
    assert_eq!(
        check_dealing(&config, &d).map(|_| ()),
        fault(DealingFault::CommitmentPoint)
    );
    let mut d = good.clone();
    d.ciphertexts.pop();
    assert_eq!(
        check_dealing(&config, &d).map(|_| ()),
        fault(DealingFault::CiphertextCount)
    );
    let mut d = good.clone();
    d.ciphertexts[1].ciphertext.extend_from_slice(&[0u8; 16]);
    assert_eq!(
        check_dealing(&config, &d).map(|_| ()),
        fault(DealingFault::Ciphertext)
    );
    let mut d = good.clone();
    d.ciphertexts[1].ephemeral_public_key[5] ^= 1;
    assert_eq!(
        check_dealing(&config, &d).map(|_| ()),
        fault(DealingFault::Ciphertext)
    );
    let mut d = good.clone();
    d.dealer = 4;
    assert_eq!(
        check_dealing(&config, &d).map(|_| ()),
        Err(Error::MalformedDealing {
            dealer: 4,
            fault: DealingFault::UnknownDealer
        })
    );
    // The qualified set skips malformed and duplicate dealings and reports them.
    let d2 = dkg::deal(&config, 2, None, &mut r).unwrap();
    let mut bad = dkg::deal(&config, 3, None, &mut r).unwrap();
    bad.commitments.pop();
    let d3 = dkg::deal(&config, 3, None, &mut r).unwrap();
    let q = qualified_dealers(&config, &[good.clone(), good, d2, bad, d3], &[]);
    // Dealer 3's first dealing is malformed: its later, well-formed one does not count.
    assert_eq!(q.qualified, vec![1, 2]);
    assert_eq!(
        q.faults,
        vec![
            Error::DuplicateDealing { dealer: 1 },
            Error::MalformedDealing {
                dealer: 3,
                fault: DealingFault::CommitmentCount
            },
            Error::DuplicateDealing { dealer: 3 },
        ]
    );
}

/// A malicious dealer reuses an honest dealer's ciphertext (or just its ephemeral key with a
/// bogus body) hoping the recipient complains and reveals `sk·E`. The ephemeral-key proof is
/// bound to (session, dealer, recipient), so the dealing is publicly malformed instead: the
/// recipient never decrypts it and never complains.
#[test]
fn copied_ciphertexts_are_malformed_and_never_complained_about() {
    let mut r = rng(13);
    let net = net(3, 2, &mut r);
    let config = fresh_config(&net, 13, 2);
    let honest = dkg::deal(&config, 1, None, &mut r).unwrap();
    let mut thief = dkg::deal(&config, 2, None, &mut r).unwrap();
    thief.ciphertexts[2] = honest.ciphertexts[2].clone();
    thief.ephemeral_proofs[2] = honest.ephemeral_proofs[2];
    assert_eq!(
        check_dealing(&config, &thief).map(|_| ()),
        Err(Error::MalformedDealing {
            dealer: 2,
            fault: DealingFault::EphemeralProof
        })
    );
    let mut thief2 = dkg::deal(&config, 2, None, &mut r).unwrap();
    thief2.ciphertexts[2].ephemeral_public_key = honest.ciphertexts[2].ephemeral_public_key;
    assert_eq!(
        check_dealing(&config, &thief2).map(|_| ()),
        Err(Error::MalformedDealing {
            dealer: 2,
            fault: DealingFault::EphemeralProof
        })
    );
    let d3 = dkg::deal(&config, 3, None, &mut r).unwrap();
    let rec = Receiver::new(config.clone(), 3, net.keys[2].clone(), None).unwrap();
    let (state, complaints) = rec.receive(&[honest, thief, d3], &mut r).unwrap();
    assert!(complaints.is_empty());
    assert_eq!(state.verified_dealers(), vec![1, 3]);
    // Missing proofs.
    let mut d = dkg::deal(&config, 1, None, &mut r).unwrap();
    d.ephemeral_proofs.pop();
    assert_eq!(
        check_dealing(&config, &d).map(|_| ()),
        Err(Error::MalformedDealing {
            dealer: 1,
            fault: DealingFault::EphemeralProof
        })
    );
}

#[test]
fn finalize_refuses_bad_qualified_sets() {
    let mut r = rng(6);
    let net = net(4, 3, &mut r);
    let config = fresh_config(&net, 6, 2);
    let mut dealings: Vec<Dealing> = deal_all(&config, 4, &mut r);
    dealings[1] = corrupt_share(&config, &dealings[1], &net, 1, 0, &mut r);
    let rec = Receiver::new(config.clone(), 1, net.keys[0].clone(), None).unwrap();
    let (state, complaints) = rec.receive(&dealings, &mut r).unwrap();
    assert_eq!(complaints.len(), 1);
    assert_eq!(state.verified_dealers(), vec![1, 3, 4]);
    let rec = Receiver::new(config.clone(), 1, net.keys[0].clone(), None).unwrap();
    let (state2, _) = rec.receive(&dealings, &mut r).unwrap();
    // Our complaint was ignored by the chain: we must not use the result.
    assert_eq!(
        state.finalize(&[1, 2, 3]).unwrap_err(),
        Error::QualifiedDealerFaulty { dealer: 2 }
    );
    assert_eq!(
        state2.finalize(&[1, 3]).unwrap_err(),
        Error::NotEnoughQualified { needed: 3, got: 2 }
    );
    // Wrong secret key for the index.
    assert_eq!(
        Receiver::new(config.clone(), 2, net.keys[0].clone(), None).unwrap_err(),
        Error::InvalidConfig
    );
    assert_eq!(
        Receiver::new(config, 5, net.keys[0].clone(), None).unwrap_err(),
        Error::IndexOutOfRange { index: 5, n: 4 }
    );
}

#[test]
fn config_validation() {
    let mut r = rng(7);
    let a = net(3, 2, &mut r);
    let b = net(4, 2, &mut r);
    assert_eq!(
        SessionConfig::new(
            [0; 32],
            0,
            a.committee.clone(),
            a.committee.clone(),
            SessionKind::Fresh
        )
        .unwrap_err(),
        Error::InvalidConfig
    );
    assert_eq!(
        SessionConfig::new(
            [0; 32],
            1,
            a.committee.clone(),
            b.committee.clone(),
            SessionKind::Refresh { previous: vec![] }
        )
        .unwrap_err(),
        Error::InvalidConfig
    );
    assert_eq!(
        SessionConfig::new(
            [0; 32],
            2,
            a.committee.clone(),
            b.committee,
            SessionKind::Reshare { previous: vec![] }
        )
        .unwrap_err(),
        Error::LengthMismatch {
            expected: 2,
            actual: 0
        }
    );
    assert_eq!(
        Committee::new(4, a.committee.clone().key(1).map(|k| vec![*k]).unwrap()).unwrap_err(),
        Error::InvalidThreshold { t: 4, n: 1 }
    );
}

fn refresh(
    net: &Net,
    prev: &[SessionOutput],
    t: u16,
    batch: u32,
    r: &mut ChaCha20Rng,
) -> Vec<SessionOutput> {
    let previous = prev[0].commitments.clone();
    let config = SessionConfig::new(
        [8; 32],
        batch,
        net.committee.clone(),
        net.committee.clone(),
        SessionKind::Refresh { previous },
    )
    .unwrap();
    let n = net.committee.size();
    let dealings: Vec<Dealing> = (1..=n)
        .map(|d| dkg::deal(&config, d, None, r).unwrap())
        .collect();
    let old: Vec<KeyShares> = prev.iter().map(|o| o.shares.clone()).collect();
    let (outputs, complaints) = run_receivers(&config, net, &dealings, Some(&old), r);
    assert!(complaints.is_empty());
    assert_eq!(
        outputs[0].commitments,
        group_commitments(&config, &dealings, &outputs[0].qualified).unwrap()
    );
    check_outputs(&outputs, t, batch);
    outputs
}

fn reshare(
    old_net: &Net,
    prev: &[SessionOutput],
    new_net: &Net,
    batch: u32,
    r: &mut ChaCha20Rng,
) -> Vec<SessionOutput> {
    let previous = prev[0].commitments.clone();
    let config = SessionConfig::new(
        [9; 32],
        batch,
        old_net.committee.clone(),
        new_net.committee.clone(),
        SessionKind::Reshare { previous },
    )
    .unwrap();
    // Only a threshold of old holders (the last ones) deal.
    let t_old = old_net.committee.threshold();
    let n_old = old_net.committee.size();
    let dealings: Vec<Dealing> = (n_old - t_old + 1..=n_old)
        .map(|d| dkg::deal(&config, d, Some(prev[usize::from(d) - 1].shares.clone()), r).unwrap())
        .collect();
    check_shapes(&config, &dealings, &old_net.committee, &new_net.committee);
    let (outputs, complaints) = run_receivers(&config, new_net, &dealings, None, r);
    assert!(complaints.is_empty());
    assert_eq!(
        outputs[0].commitments,
        group_commitments(&config, &dealings, &outputs[0].qualified).unwrap()
    );
    check_outputs(&outputs, new_net.committee.threshold(), batch);
    outputs
}

/// A reshare's dealings pass the structural check against the shape built without the keys'
/// commitments (what the runtime checks), and fail it against a fresh session's shape or
/// another session's id.
fn check_shapes(
    config: &SessionConfig,
    dealings: &[Dealing],
    dealers: &Committee,
    recipients: &Committee,
) {
    let batch = config.batch_size();
    let shape = DealingShape::new([9; 32], batch, dealers, recipients, false);
    assert_eq!(shape, config.dealing_shape());
    for d in dealings {
        assert_eq!(
            check_dealing_shape(&shape, d).unwrap().dealer(),
            check_dealing(config, d).unwrap().dealer()
        );
    }
    let fault = |shape: &DealingShape| match check_dealing_shape(shape, &dealings[0]) {
        Err(Error::MalformedDealing { fault, .. }) => fault,
        other => panic!("expected a malformed dealing, got {other:?}"),
    };
    let fresh = DealingShape::new([9; 32], batch, dealers, recipients, true);
    assert_eq!(fault(&fresh), DealingFault::CommitmentCount);
    let other_session = DealingShape::new([8; 32], batch, dealers, recipients, false);
    assert_eq!(fault(&other_session), DealingFault::EphemeralProof);
}

#[test]
fn reshare_dealer_lying_about_its_old_share_is_caught() {
    let (old_net, _, prev) = fresh(4, 2, 2, 10);
    let mut r = rng(11);
    let new_net = net(3, 2, &mut r);
    let config = SessionConfig::new(
        [9; 32],
        2,
        old_net.committee.clone(),
        new_net.committee.clone(),
        SessionKind::Reshare {
            previous: prev[0].commitments.clone(),
        },
    )
    .unwrap();
    let mut lie = prev[0].shares.clone();
    lie.values[1] += Scalar::ONE;
    let dealings = vec![
        dkg::deal(&config, 1, Some(lie), &mut r).unwrap(),
        dkg::deal(&config, 2, Some(prev[1].shares.clone()), &mut r).unwrap(),
        dkg::deal(&config, 3, Some(prev[2].shares.clone()), &mut r).unwrap(),
    ];
    let (outputs, complaints) = run_receivers(&config, &new_net, &dealings, None, &mut r);
    assert_eq!(complaints.len(), 3);
    for c in &complaints {
        assert_eq!((c.dealer, c.key), (1, 1));
        assert!(matches!(
            verify_complaint(&config, &dealings[0], c).unwrap(),
            ComplaintVerdict::DealerFaulty(_)
        ));
    }
    assert_eq!(outputs[0].qualified, vec![2, 3]);
    check_outputs(&outputs, 2, 2);
    for b in 0..2 {
        assert_eq!(
            outputs[0].commitments[b].public_key(),
            prev[0].commitments[b].public_key()
        );
    }
    // Resharing needs the dealer's old shares.
    assert_eq!(
        dkg::deal(&config, 1, None, &mut r).unwrap_err(),
        Error::InvalidConfig
    );
}

/// The Lagrange weights of consecutive dealers are small integers (the sums take a
/// double-and-add over a few bits), of others not (full multiplications); a reshare from
/// either kind of dealer set keeps the key and gives shares that verify.
#[test]
fn reshare_weights_small_or_not_keep_the_key() {
    assert_eq!(
        dkg::small_reshare_weight_bits(&[1, 2, 3, 4]).unwrap(),
        Some(3)
    ); // 4, -6, 4, -1
    assert_eq!(dkg::small_reshare_weight_bits(&[2, 3, 4]).unwrap(), Some(4)); // 6, -8, 3
    assert_eq!(dkg::small_reshare_weight_bits(&[1, 3]).unwrap(), None); // 3/2, -1/2
    let up_to = |m: u16| (1..=m).collect::<Vec<_>>();
    assert_eq!(
        dkg::small_reshare_weight_bits(&up_to(67)).unwrap(),
        Some(64)
    ); // C(67, 33) < 2^64
    assert_eq!(dkg::small_reshare_weight_bits(&up_to(68)).unwrap(), None); // C(68, 34) > 2^64
    assert_eq!(
        dkg::small_reshare_weight_bits(&[1, 1]).unwrap_err(),
        Error::DuplicateIndex { index: 1 }
    );
    for (dealers, seed) in [
        (vec![1u16, 3], 61u64),
        (vec![1, 2, 3, 4], 62),
        (vec![2, 3], 63),
    ] {
        let (old_net, _, old) = fresh(4, 2, 3, seed);
        let mut r = rng(seed);
        let new_net = net(3, 2, &mut r);
        let config = SessionConfig::new(
            [seed as u8; 32],
            3,
            old_net.committee.clone(),
            new_net.committee.clone(),
            SessionKind::Reshare {
                previous: old[0].commitments.clone(),
            },
        )
        .unwrap();
        let dealings: Vec<Dealing> = dealers
            .iter()
            .map(|d| {
                dkg::deal(
                    &config,
                    *d,
                    Some(old[usize::from(*d) - 1].shares.clone()),
                    &mut r,
                )
                .unwrap()
            })
            .collect();
        let (outputs, complaints) = run_receivers(&config, &new_net, &dealings, None, &mut r);
        assert!(complaints.is_empty());
        check_outputs(&outputs, 2, 3);
        for b in 0..3 {
            assert_eq!(
                outputs[0].commitments[b].public_key(),
                old[0].commitments[b].public_key()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Refresh keeps every secret and public key; resharing to another committee with another
    /// threshold too; the new shares verify and reconstruct.
    #[test]
    fn refresh_and_reshare_keep_secret_and_public_key(
        seed in any::<u64>(), n in 2u16..6, t_off in 0u16..5, n2 in 1u16..7, t2_off in 0u16..6, batch in 1u32..4,
    ) {
        let t = 1 + t_off % n;
        let t2 = 1 + t2_off % n2;
        let (net1, _, out1) = fresh(n, t, batch, seed);
        let all: Vec<&SessionOutput> = out1.iter().collect();
        let secrets: Vec<Scalar> = (0..batch as usize).map(|b| secret_of(&all[..usize::from(t)], b)).collect();
        let mut r = rng(seed ^ 0x5eed);
        let out2 = refresh(&net1, &out1, t, batch, &mut r);
        for b in 0..batch as usize {
            prop_assert_eq!(out2[0].commitments[b].public_key(), out1[0].commitments[b].public_key());
            let sub: Vec<&SessionOutput> = out2.iter().skip(usize::from(n - t)).collect();
            prop_assert_eq!(secret_of(&sub, b), secrets[b]);
        }
        if t > 1 {
            // Refreshed shares actually changed.
            prop_assert_ne!(out2[0].shares.values[0], out1[0].shares.values[0]);
        }
        let net2 = net(n2, t2, &mut r);
        let out3 = reshare(&net1, &out2, &net2, batch, &mut r);
        for b in 0..batch as usize {
            prop_assert_eq!(out3[0].commitments[b].public_key(), out1[0].commitments[b].public_key());
            let sub: Vec<&SessionOutput> = out3.iter().take(usize::from(t2)).collect();
            prop_assert_eq!(secret_of(&sub, b), secrets[b]);
        }
    }

    /// One bad share anywhere in a batch: the batched check fails, and the fallback names
    /// exactly that dealer and key.
    #[test]
    fn batch_verification_names_the_bad_dealer_and_key(seed in any::<u64>(), dealer in 1u16..=5, key in 0usize..20, j in 1u16..=5) {
        let mut r = rng(seed);
        let net = net(5, 3, &mut r);
        let config = SessionConfig::new([12; 32], 20, net.committee.clone(), net.committee.clone(), SessionKind::Fresh).unwrap();
        let mut dealings: Vec<Dealing> = (1..=5).map(|d| dkg::deal(&config, d, None, &mut r).unwrap()).collect();
        dealings[usize::from(dealer) - 1] = corrupt_share(&config, &dealings[usize::from(dealer) - 1], &net, j, key, &mut r);
        let rec = Receiver::new(config.clone(), j, net.keys[usize::from(j) - 1].clone(), None).unwrap();
        let (state, complaints) = rec.receive(&dealings, &mut r).unwrap();
        prop_assert_eq!(complaints.len(), 1);
        prop_assert_eq!((complaints[0].dealer, complaints[0].key as usize, complaints[0].complainer), (dealer, key, j));
        prop_assert_eq!(
            verify_complaint(&config, &dealings[usize::from(dealer) - 1], &complaints[0]).unwrap(),
            ComplaintVerdict::DealerFaulty(Error::InvalidDealerShare { dealer, recipient: j, key: key as u32 })
        );
        prop_assert!(!state.verified_dealers().contains(&dealer));
        prop_assert_eq!(state.verified_dealers().len(), 4);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]

    /// Several misbehaving dealers (bad shares to random recipients, undecryptable ciphertexts)
    /// and a false complainer: every honest recipient ends with the same qualified set (all
    /// dealers but the bad ones) and the same keys, and the false complaint blames its author.
    #[test]
    fn honest_parties_agree_despite_several_faults(
        seed in any::<u64>(), n in 3u16..7, bad_mask in any::<u8>(), targets in proptest::collection::vec((1u16..7, 0usize..3, any::<bool>()), 6),
        liar in 1u16..7,
    ) {
        let t = n / 2 + 1;
        let batch = 3u32;
        let mut r = rng(seed);
        let net = net(n, t, &mut r);
        let config = SessionConfig::new([15; 32], batch, net.committee.clone(), net.committee.clone(), SessionKind::Fresh).unwrap();
        let mut dealings: Vec<Dealing> = (1..=n).map(|d| dkg::deal(&config, d, None, &mut r).unwrap()).collect();
        // At most n − t bad dealers, so that at least t remain qualified.
        let bad: Vec<u16> = (1..=n).filter(|d| bad_mask >> (d - 1) & 1 == 1).take(usize::from(n - t)).collect();
        for &d in &bad {
            let (j, key, undecryptable) = targets[usize::from(d) - 1];
            let j = 1 + (j - 1) % n;
            let idx = usize::from(d) - 1;
            if undecryptable {
                dealings[idx].ciphertexts[usize::from(j) - 1].mac[0] ^= 1;
            } else {
                dealings[idx] = corrupt_share(&config, &dealings[idx], &net, j, key, &mut r);
            }
        }
        let (outputs, mut complaints) = run_receivers(&config, &net, &dealings, None, &mut r);
        prop_assert_eq!(complaints.len(), bad.len());
        let expected: Vec<u16> = (1..=n).filter(|d| !bad.contains(d)).collect();
        prop_assert_eq!(&outputs[0].qualified, &expected);
        check_outputs(&outputs, t, batch);
        // A false complaint against an honest dealer changes nothing but blames the liar.
        let liar = 1 + (liar - 1) % n;
        let honest = expected[0];
        let lie = dkg::complain(&config, liar, &net.keys[usize::from(liar) - 1], &dealings[usize::from(honest) - 1], 0, &mut r).unwrap();
        complaints.push(lie);
        let q = qualified_dealers(&config, &dealings, &complaints);
        prop_assert_eq!(&q.qualified, &expected);
        let blamed = q.faults.contains(&Error::FalseComplaint {
            complainer: liar,
            dealer: honest,
        });
        prop_assert!(blamed);
    }
}
