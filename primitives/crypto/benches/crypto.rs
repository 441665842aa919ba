//! Criterion benches; numbers go to docs/BENCHMARKS.md (section `torus-crypto`).
//!
//! Run (reduced samples on the 2-core machine):
//! `cargo bench -p torus-crypto --bench crypto -- --sample-size 10`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use k256::elliptic_curve::Field;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use torus_crypto::{
    dkg::{self, Committee, Receiver, SessionConfig, SessionKind},
    ecies::{self, EncryptionSecretKey},
    tss::{self, frost, KeyTweak, Quorum, Signer},
    vss, Scalar,
};

const N: u16 = 5;
const T: u16 = 3;
const B: u32 = 1000;

fn setup(batch: u32) -> (SessionConfig, Vec<EncryptionSecretKey>, Vec<dkg::Dealing>) {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let keys: Vec<EncryptionSecretKey> = (0..N)
        .map(|_| EncryptionSecretKey::random(&mut rng))
        .collect();
    let committee = Committee::new(T, keys.iter().map(|k| k.public_key()).collect()).unwrap();
    let config = SessionConfig::new(
        [7u8; 32],
        batch,
        committee.clone(),
        committee,
        SessionKind::Fresh,
    )
    .unwrap();
    let dealings = (1..=N)
        .map(|d| dkg::deal(&config, d, None, &mut rng).unwrap())
        .collect();
    (config, keys, dealings)
}

fn bench_dkg(c: &mut Criterion) {
    let (config, keys, dealings) = setup(B);
    let mut group = c.benchmark_group("dkg n=5 t=3 B=1000");
    group.sample_size(10);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    group.bench_function("deal (one dealer, whole batch)", |b| {
        b.iter(|| dkg::deal(&config, 1, None, &mut rng).unwrap())
    });
    group.bench_function("receive+batch-verify (one recipient, 5 dealings)", |b| {
        b.iter_batched(
            || Receiver::new(config.clone(), 2, keys[1].clone(), None).unwrap(),
            |r| {
                let (state, complaints) = r.receive(&dealings, &mut rng).unwrap();
                assert!(complaints.is_empty());
                state
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function(
        "check_dealing (public structure + point decoding, one dealing)",
        |b| b.iter(|| dkg::check_dealing(&config, &dealings[0]).unwrap()),
    );
    let complaint = dkg::complain(&config, 2, &keys[1], &dealings[0], 999, &mut rng).unwrap();
    group.bench_function(
        "verify_complaint (runtime side, incl. check_dealing)",
        |b| b.iter(|| dkg::verify_complaint(&config, &dealings[0], &complaint).unwrap()),
    );
    group.finish();

    // Naive per-key verification for comparison (t + 1 scalar multiplications per share).
    let (config, keys, dealings) = setup(100);
    let mut group = c.benchmark_group("dkg n=5 t=3 B=100 naive");
    group.sample_size(10);
    group.bench_function("per-key Feldman checks (one recipient, 5 dealings)", |b| {
        b.iter(|| {
            for d in &dealings {
                let ct = &d.ciphertexts[1];
                let pt = ecies::decrypt(&keys[1], ct).unwrap();
                for (k, chunk) in pt.chunks_exact(32).enumerate() {
                    let points = d.commitments[k * 3..k * 3 + 3]
                        .iter()
                        .map(|p| {
                            torus_crypto::encoding::affine_from_uncompressed(p)
                                .unwrap()
                                .into()
                        })
                        .collect();
                    let c = vss::FeldmanCommitment::new(points).unwrap();
                    let share = vss::SecretShare {
                        index: 2,
                        value: torus_crypto::encoding::scalar_from_bytes(chunk).unwrap(),
                    };
                    c.verify_share(&share).unwrap();
                }
            }
        })
    });
    group.finish();
    let _ = config;
}

fn bench_ecies_and_lagrange(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let sk = EncryptionSecretKey::random(&mut rng);
    let pk = sk.public_key();
    let share = Scalar::random(&mut rng).to_bytes();
    let mut group = c.benchmark_group("primitives");
    group.sample_size(20);
    group.bench_function("ECIES encrypt+decrypt of a 32-byte share", |b| {
        b.iter(|| {
            let ct = ecies::encrypt(&pk, &share, &mut rng).unwrap();
            ecies::decrypt(&sk, &ct).unwrap()
        })
    });
    let (_, shares) = vss::deal(Scalar::random(&mut rng), T, N, &mut rng).unwrap();
    group.bench_function("Lagrange reconstruction from 3 of 5 shares", |b| {
        b.iter(|| vss::reconstruct(&shares[1..4], T).unwrap())
    });
    group.finish();
}

/// A TSS key of one device factor on a network key shared 3-of-4; the device and holders 1..=3
/// sign a 32-byte message, the client coordinating.
fn bench_tss(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let (network, holder_shares) = vss::deal(Scalar::random(&mut rng), 3, 4, &mut rng).unwrap();
    let (factors, key) = tss::create_factors(&network.public_key(), 1, &mut rng).unwrap();
    let holders = [1, 2, 3];
    let secret = |signer: Signer| match signer {
        Signer::Holder(j) => holder_shares[usize::from(j) - 1].clone(),
        Signer::Factor(_) => factors[0].clone(),
    };
    let message = [7u8; 32];
    let mut group = c.benchmark_group("tss (device + 3 of 4 holders, BIP340)");
    group.sample_size(20);
    group.bench_function("quorum: public shares of every party", |b| {
        b.iter(|| Quorum::new(&key, &network, &holders).unwrap())
    });
    let quorum = Quorum::new(&key, &network, &holders).unwrap();
    let packages: Vec<_> = quorum
        .signers()
        .map(|s| quorum.key_package(s, &secret(s)).unwrap())
        .collect();
    group.bench_function("one party: key package (checks its share)", |b| {
        b.iter(|| {
            quorum
                .key_package(Signer::Holder(1), &holder_shares[0])
                .unwrap()
        })
    });
    group.bench_function("one party: round 1 (nonces and commitments)", |b| {
        b.iter(|| frost::round1::commit(packages[0].signing_share(), &mut rng))
    });
    let round1: Vec<_> = packages
        .iter()
        .map(|p| frost::round1::commit(p.signing_share(), &mut rng))
        .collect();
    let commitments: BTreeMap<_, _> = packages
        .iter()
        .zip(&round1)
        .map(|(p, (_, c))| (*p.identifier(), *c))
        .collect();
    let signing_package = frost::SigningPackage::new(commitments, &message);
    group.bench_function("one party: round 2 (signature share)", |b| {
        b.iter(|| {
            tss::sign_share(
                &signing_package,
                &round1[0].0,
                &packages[0],
                KeyTweak::Untweaked,
            )
            .unwrap()
        })
    });
    let shares: BTreeMap<_, _> = packages
        .iter()
        .zip(&round1)
        .map(|(p, (nonces, _))| {
            let share = tss::sign_share(&signing_package, nonces, p, KeyTweak::Untweaked).unwrap();
            (*p.identifier(), share)
        })
        .collect();
    group.bench_function("coordinator: check 4 shares and aggregate", |b| {
        b.iter(|| {
            quorum
                .aggregate(&signing_package, &shares, KeyTweak::Untweaked)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_dkg, bench_ecies_and_lagrange, bench_tss);
criterion_main!(benches);
