//! `TorusClient` against in-process mock nodes that speak the Torus JSON-RPC API over real HTTP
//! on 127.0.0.1 (see `common`): the full login and lookup flows, with wrong shares, dead and
//! slow nodes, replayed tokens and inconsistent nonces.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use common::{token, Behaviour, MockNetwork, Shared, VERIFIER};
use k256::{elliptic_curve::ops::MulByGenerator, ProjectivePoint, Scalar};
use rand::rngs::OsRng;
use serde_json::Value;
use torus_client::{keys::KeyError, Error, NodeFailure};
use torus_crypto::vss::{random_nonzero, SecretPolynomial};

#[tokio::test]
async fn first_lookup_assignment_and_logins() {
    use Behaviour::Honest;
    let net = MockNetwork::start(&[Honest, Honest, Honest, Honest]).await;
    let client = net.client();

    assert_eq!(
        client.lookup(VERIFIER, "alice").await.expect("answers"),
        None
    );
    let info = client
        .get_or_assign(VERIFIER, "alice")
        .await
        .expect("assigns");
    let expected = ProjectivePoint::mul_by_generator(&net.final_key());
    assert_eq!(info.public_key.point(), expected);
    // The client decides on the first three matching replies.
    assert!(info.node_indexes.len() >= 3, "{:?}", info.node_indexes);
    assert!(!info.is_new_key);
    let looked_up = client
        .lookup(VERIFIER, "alice")
        .await
        .expect("answers")
        .expect("assigned now");
    assert_eq!(looked_up.address, info.address);
    assert_eq!(looked_up.oauth_public_key, info.oauth_public_key);
    assert_eq!(looked_up.pub_nonce, info.pub_nonce);

    let key = client
        .retrieve_key(VERIFIER, "alice", &format!("  {}\n", token()))
        .await
        .expect("logs in");
    assert_eq!(*key.private_key(), net.final_key());
    assert_eq!(*key.oauth_private_key(), net.shared.polynomial.secret());
    assert_eq!(key.address(), info.address);
    assert_eq!(key.public_key(), &info.public_key);
    assert_eq!(key.node_indexes().len(), 3);
    assert!(format!("{key:?}").contains("<redacted>"));
    let tokens = &key.session().tokens;
    assert!(tokens.len() >= 3, "{} session tokens", tokens.len());
    let first: Value = serde_json::from_slice(&tokens[0].token).expect("token JSON");
    assert_eq!(first["exp"], 1_900_000_000u64);
    assert_eq!(tokens[0].signature.len(), 65);

    // A second login with a new token gets the same key.
    let again = client
        .retrieve_key(VERIFIER, "alice", &token())
        .await
        .expect("logs in");
    assert_eq!(again.private_key(), key.private_key());
    assert_ne!(
        again.session().session_key.scalar(),
        key.session().session_key.scalar(),
        "a fresh session key per login"
    );
}

#[tokio::test]
async fn a_replayed_token_fails_with_the_nodes_message() {
    let net = MockNetwork::start(&[Behaviour::Honest; 4]).await;
    let client = net.client();
    let token = token();
    client
        .retrieve_key(VERIFIER, "alice", &token)
        .await
        .expect("first use");
    let error = client
        .retrieve_key(VERIFIER, "alice", &token)
        .await
        .expect_err("replay refused");
    assert!(
        matches!(
            error,
            Error::NoQuorum {
                method: "CommitmentRequest",
                ..
            }
        ),
        "{error:?}"
    );
    // The client gives up as soon as 4 commitments have become impossible.
    let messages = error.node_messages();
    assert!(!messages.is_empty());
    assert!(
        messages.iter().all(|m| *m == "Duplicate token found"),
        "{messages:?}"
    );
    assert!(
        error.to_string().contains("Duplicate token found"),
        "{error}"
    );
}

#[tokio::test]
async fn wrong_shares_are_outvoted_by_the_subset_search() {
    use Behaviour::{Honest, WrongShare};
    let net = MockNetwork::start(&[WrongShare, Honest, Honest, Honest, Honest]).await;
    let key = net
        .client()
        .retrieve_key(VERIFIER, "bob", &token())
        .await
        .expect("logs in");
    assert_eq!(*key.private_key(), net.final_key());
    assert!(!key.node_indexes().contains(&1), "{:?}", key.node_indexes());
}

#[tokio::test]
async fn too_many_wrong_shares_is_a_clear_error() {
    use Behaviour::{Honest, WrongShare};
    let net = MockNetwork::start(&[WrongShare, Honest, WrongShare, Honest]).await;
    let error = net
        .client()
        .retrieve_key(VERIFIER, "carol", &token())
        .await
        .expect_err("2 of 4 wrong");
    assert!(
        matches!(
            error,
            Error::Key(KeyError::NoMatchingSubset {
                shares: 4,
                threshold: 3
            })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn dead_nodes_are_tolerated_down_to_half_plus_one() {
    use Behaviour::{Down, Honest};
    let net = MockNetwork::start(&[Honest, Honest, Down, Honest, Honest]).await;
    let key = net
        .client()
        .retrieve_key(VERIFIER, "dave", &token())
        .await
        .expect("4 of 5 commit");
    assert_eq!(*key.private_key(), net.final_key());

    // Two dead nodes of five: once they have failed, the 3 commitments (⌊5/2⌋+1) are enough.
    let net = MockNetwork::start(&[Honest, Down, Honest, Down, Honest]).await;
    let key = net
        .client()
        .retrieve_key(VERIFIER, "dave", &token())
        .await
        .expect("3 of 5 commit");
    assert_eq!(*key.private_key(), net.final_key());

    // Three dead nodes of five: 2 commitments, 3 are needed.
    let net = MockNetwork::start(&[Honest, Down, Down, Down, Honest]).await;
    let error = net
        .client()
        .retrieve_key(VERIFIER, "dave", &token())
        .await
        .expect_err("too few commitments");
    let Error::NoQuorum {
        method, failures, ..
    } = &error
    else {
        panic!("unexpected {error:?}");
    };
    assert_eq!(*method, "CommitmentRequest");
    let dead: Vec<usize> = failures.iter().map(|f| f.node).collect();
    assert_eq!(dead, [1, 2, 3]);
    assert!(failures
        .iter()
        .all(|f| matches!(f.failure, NodeFailure::Transport(_))));
}

#[tokio::test]
async fn slow_nodes_are_not_waited_for() {
    use Behaviour::{Honest, Slow};
    let slow = Slow(Duration::from_secs(20));
    let net = MockNetwork::start(&[slow, Honest, Honest, Honest, Honest]).await;
    let client = net.client();
    let started = Instant::now();
    let info = client
        .get_or_assign(VERIFIER, "erin")
        .await
        .expect("assigns");
    let key = client
        .retrieve_key(VERIFIER, "erin", &token())
        .await
        .expect("logs in");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(key.address(), info.address);
    assert!(!info.node_indexes.contains(&1));
}

#[tokio::test]
async fn a_nonce_that_does_not_match_its_point_is_refused() {
    let nonce = random_nonzero(&mut OsRng);
    let shared = Arc::new(Shared {
        n: 4,
        polynomial: SecretPolynomial::random(random_nonzero(&mut OsRng), 3, &mut OsRng)
            .expect("t > 0"),
        nonce,
        pub_nonce: ProjectivePoint::mul_by_generator(&(nonce + Scalar::ONE)),
        assigned: Mutex::new(false),
    });
    let net = MockNetwork::with_shared(shared, &[Behaviour::Honest; 4]).await;
    let error = net
        .client()
        .retrieve_key(VERIFIER, "frank", &token())
        .await
        .expect_err("inconsistent nonce");
    assert!(
        matches!(error, Error::Key(KeyError::NonceMismatch)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refusal_by_half_the_nodes_is_reported_with_its_text() {
    use Behaviour::{Honest, Refuses};
    let refuse = Refuses("Verifier not supported");
    let net = MockNetwork::start(&[refuse, Honest, refuse, refuse]).await;
    let error = net
        .client()
        .get_or_assign(VERIFIER, "gina")
        .await
        .expect_err("refused");
    assert!(
        matches!(error, Error::NodesRefused { nodes: 3, .. }),
        "{error:?}"
    );
    assert_eq!(error.node_messages(), ["Verifier not supported"]);
    let error = net
        .client()
        .lookup(VERIFIER, "gina")
        .await
        .expect_err("refused");
    assert!(
        error.to_string().contains("Verifier not supported"),
        "{error}"
    );
}
