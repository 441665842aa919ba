//! Login → key on the four local validators, through the Torus JSON-RPC API: a dapp registers a
//! verifier by extrinsic; the first login assigns a key on chain, later logins (new tokens, one
//! node down, the published JavaScript client) get the same key; every bad token, bad node
//! signature and replay is refused with its error code and releases nothing.

use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};
use codec::Encode;
use jsonrpsee::{
    core::{client::ClientT, params::ObjectParams, ClientError},
    http_client::{HttpClient, HttpClientBuilder},
};
use k256::{
    elliptic_curve::{sec1::ToEncodedPoint, PrimeField},
    ProjectivePoint, Scalar, SecretKey,
};
use polkadot_sdk::sp_keyring::Sr25519Keyring;
use serde_json::{json, Value};
use sha3::{Digest, Keccak256};
use torus_integration_tests::{
    endpoint, exclusive,
    issuer::{now_secs, TestIssuer, EC_KID, RSA_KID},
    wait_for, wait_for_keys, Network, Node,
};
use torus_primitives::AssignedKey;

const VERIFIER: &str = "acme-login";

/// Runs `test`; on failure, adds the tail of every node's log to the error.
async fn with_logs<T, F, Fut>(network: &Network, test: F) -> Result<T>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    test().await.map_err(|e| e.context(network.log_tails()))
}

/// A refused Torus API call: its code and the `data` string torus.js shows.
#[derive(Debug, PartialEq, Eq)]
struct Refusal {
    code: i32,
    data: String,
}

/// One Torus API call with named params: the result, or the refusal.
async fn call(node: &Node, method: &str, params: Value) -> Result<Result<Value, Refusal>> {
    let client: HttpClient = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(60))
        .build(endpoint(node))?;
    let mut object = ObjectParams::new();
    for (key, value) in params.as_object().context("params are an object")? {
        object.insert(key, value)?;
    }
    match client.request::<Value, _>(method, object).await {
        Ok(result) => Ok(Ok(result)),
        Err(ClientError::Call(e)) => Ok(Err(Refusal {
            code: e.code(),
            data: e
                .data()
                .map(|d| serde_json::from_str::<String>(d.get()))
                .transpose()?
                .context("the error has a string as data")?,
        })),
        Err(e) => Err(e.into()),
    }
}

fn keccak_hex(bytes: &[u8]) -> String {
    hex::encode(Keccak256::digest(bytes))
}

/// A fresh session key's padded hex coordinates.
fn session_key() -> (String, String) {
    let secret = SecretKey::random(&mut rand::thread_rng());
    let point = secret.public_key().to_encoded_point(false);
    (
        hex::encode(point.x().expect("affine")),
        hex::encode(point.y().expect("affine")),
    )
}

/// `CommitmentRequest` for `token` at `nodes` with a fresh session key: the signatures.
async fn commit(nodes: &[&Node], token: &str, verifier_id: &str) -> Result<Vec<Value>> {
    commit_for(nodes, VERIFIER, token, verifier_id).await
}

/// [`commit`] under the verifier `verifier`.
async fn commit_for(
    nodes: &[&Node],
    verifier: &str,
    token: &str,
    verifier_id: &str,
) -> Result<Vec<Value>> {
    let (x, y) = session_key();
    let mut signatures = Vec::new();
    for node in nodes {
        let reply = call(
            node,
            "CommitmentRequest",
            json!({
                "messageprefix": "mug00", "keytype": "secp256k1",
                "tokencommitment": keccak_hex(token.as_bytes()),
                "temppubx": x, "temppuby": y,
                "verifieridentifier": verifier, "verifier_id": verifier_id,
                "is_import_key_flow": true,
            }),
        )
        .await?
        .map_err(|e| anyhow!("commitment refused by {}: {e:?}", node.name))?;
        signatures.push(reply);
    }
    Ok(signatures)
}

/// `GetShareOrKeyAssign` at `node` as torus.js sends it.
async fn share(
    node: &Node,
    verifier_id: &str,
    token: &str,
    signatures: &[Value],
) -> Result<Result<Value, Refusal>> {
    share_for(node, VERIFIER, verifier_id, token, signatures).await
}

/// [`share`] under the verifier `verifier`.
async fn share_for(
    node: &Node,
    verifier: &str,
    verifier_id: &str,
    token: &str,
    signatures: &[Value],
) -> Result<Result<Value, Refusal>> {
    call(
        node,
        "GetShareOrKeyAssign",
        json!({
            "encrypted": "yes", "use_temp": true, "key_type": "secp256k1",
            "distributed_metadata": true, "verifieridentifier": verifier,
            "temppubx": "", "temppuby": "", "one_key_flow": true,
            "client_time": now_secs().to_string(),
            "item": [{
                "verifier_id": verifier_id, "idtoken": token, "key_type": "secp256k1",
                "nodesignatures": signatures, "verifieridentifier": verifier,
                "session_token_exp_second": 86400,
            }],
        }),
    )
    .await
}

/// Commits `token` at every node, asks `nodes[0]` for a share, and expects refusal `code`.
async fn expect_refused(nodes: &[&Node], user: &str, token: &str, code: i32) -> Result<()> {
    let signatures = commit(nodes, token, user).await?;
    match share(nodes[0], user, token, &signatures).await? {
        Err(refusal) if refusal.code == code => Ok(()),
        other => bail!("expected code {code} for {user}'s token, got {other:?}"),
    }
}

async fn lookup(node: &Node, user: &str) -> Result<Option<AssignedKey>> {
    lookup_for(node, VERIFIER, user).await
}

/// The key assigned under `user_id` of `verifier` at `node`'s best block (`KeysApi_lookup`).
async fn lookup_for(node: &Node, verifier: &str, user_id: &str) -> Result<Option<AssignedKey>> {
    node.runtime_api(
        "KeysApi_lookup",
        &(verifier.as_bytes().to_vec(), user_id.as_bytes().to_vec()).encode(),
    )
    .await
}

/// The nodes' DKG public keys (hex X, Y) as torus.js takes them, from their answers to a
/// commitment of a throw-away token.
async fn node_keys(nodes: &[&Node], issuer: &TestIssuer) -> Result<Vec<(String, String)>> {
    Ok(commit(nodes, &issuer.token("nobody", true), "nobody")
        .await?
        .iter()
        .map(|r| {
            (
                r["nodepubx"].as_str().unwrap_or_default().to_owned(),
                r["nodepuby"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

/// The affine X of `scalar·G`, padded hex.
fn public_x(scalar: &Scalar) -> String {
    hex::encode(
        (ProjectivePoint::GENERATOR * scalar)
            .to_affine()
            .to_encoded_point(false)
            .x()
            .expect("affine"),
    )
}

/// Registers the login verifier, with an allowance of 100 keys.
async fn register_verifier(node: &Node, issuer: &TestIssuer) -> Result<()> {
    node.register_verifier(
        Sr25519Keyring::Ferdie,
        VERIFIER,
        issuer.verifier_config(),
        100,
    )
    .await
}

/// torus.js (`tests/js/retrieve.mjs`) against `nodes`: its lookup and login, as JSON.
fn torus_js(
    nodes: &[&Node],
    node_keys: &[(String, String)],
    user: &str,
    token: &str,
) -> Result<Value> {
    let endpoints: Vec<String> = nodes.iter().map(|n| endpoint(n)).collect();
    torus_integration_tests::torus_js(&endpoints, node_keys, VERIFIER, user, token)
}

#[tokio::test]
async fn users_log_in_and_get_their_key_with_the_rust_and_the_javascript_client() -> Result<()> {
    let _guard = exclusive().await;
    let mut network = Network::local_validators().await?;
    let issuer = TestIssuer::new();
    let key = with_logs(&network, || logins(&network, &issuer)).await?;
    with_logs(&network, || refusals(&network, &issuer)).await?;
    with_logs(&network, || e_mail_identities(&network, &issuer)).await?;
    with_logs(&network, || tss_network_keys(&network, &issuer)).await?;
    replay_after_restart(&mut network, &issuer).await?;
    with_logs(&network, || assignment_flood(&network, &issuer)).await?;
    network.node_mut("dave").kill();
    with_logs(&network, || async {
        let endpoints = network.nodes.iter().map(endpoint).collect();
        let client = torus_client::TorusClient::new(endpoints);
        let login = client
            .retrieve_key(VERIFIER, "alice", &issuer.token("alice", true))
            .await
            .context("login with Dave down")?;
        ensure!(*login.private_key() == key, "another key with Dave down");
        Ok(())
    })
    .await
}

fn nodes(network: &Network) -> Vec<&Node> {
    ["alice", "bob", "charlie", "dave"]
        .iter()
        .map(|n| network.node(n))
        .collect()
}

/// Registers the verifier, logs Alice in with both clients; returns her key.
async fn logins(network: &Network, issuer: &TestIssuer) -> Result<Scalar> {
    let nodes = nodes(network);
    register_verifier(nodes[0], issuer).await?;
    wait_for_keys(&nodes).await?;
    let endpoints: Vec<String> = nodes.iter().map(|n| endpoint(n)).collect();
    let client = torus_client::TorusClient::new(endpoints);

    // A lookup before the first login: not assigned, and nothing is assigned by it.
    ensure!(client.lookup(VERIFIER, "alice").await?.is_none());
    ensure!(lookup(nodes[0], "alice").await?.is_none());

    // The first login assigns a key on chain, with its nonce; it returns once the assignment
    // is finalized (the time is reported for docs/BENCHMARKS.md, not asserted).
    let started = std::time::Instant::now();
    let first = client
        .retrieve_key(VERIFIER, "alice", &issuer.token("alice", true))
        .await?;
    println!(
        "first login (assignment finalized): {:?}",
        started.elapsed()
    );
    let started = std::time::Instant::now();
    client
        .retrieve_key(VERIFIER, "alice", &issuer.token("alice", true))
        .await?;
    println!("returning login: {:?}", started.elapsed());
    let assigned = lookup(nodes[0], "alice")
        .await?
        .context("alice has a key")?;
    ensure!(
        public_x(first.oauth_private_key()) == hex::encode(&assigned.public_key.0[1..]),
        "the reconstructed key is not the assigned key"
    );
    let nonce = Option::<Scalar>::from(Scalar::from_repr(assigned.nonce.into()))
        .context("the nonce is a scalar")?;
    ensure!(*first.private_key() == first.oauth_private_key() + nonce);

    // A commitment for a user with a key names the key (once each node has imported the
    // assignment: the login returns as soon as three of the four nodes answered).
    wait_for(Duration::from_secs(30), || async {
        for node in &nodes {
            if lookup(node, "alice").await?.is_none() {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .await
    .context("every node sees alice's key")?;
    let signatures = commit(&nodes, &issuer.token("alice", true), "alice").await?;
    let alice_x = hex::encode(&assigned.public_key.0[1..]);
    ensure!(
        signatures
            .iter()
            .all(|s| s["pub_key_x"] == alice_x.as_str()),
        "{signatures:?}"
    );

    // A second login with a new (ES256) token gets the same key.
    let second = client
        .retrieve_key(VERIFIER, "alice", &issuer.token("alice", false))
        .await?;
    ensure!(second.private_key() == first.private_key());
    ensure!(second.address() == first.address());
    ensure!(lookup(nodes[0], "alice").await? == Some(assigned));

    // The published JavaScript client, unchanged, gets the same key and address.
    let node_keys = node_keys(&nodes, issuer).await?;
    let js = torus_js(&nodes, &node_keys, "alice", &issuer.token("alice", true))?;
    ensure!(
        js["login"]["privateKey"].as_str()
            == Some(hex::encode(first.private_key().to_bytes()).as_str()),
        "torus.js reconstructed another key: {js}"
    );
    ensure!(
        js["login"]["address"].as_str() == Some(first.address()),
        "{js}"
    );
    ensure!(
        js["lookup"]["address"].as_str() == Some(first.address()),
        "{js}"
    );
    ensure!(js["login"]["sessionTokens"].as_u64() >= Some(3), "{js}");
    ensure!(
        js["strayCalls"].as_array().is_some_and(|a| a.is_empty()),
        "torus.js called other hosts: {js}"
    );
    Ok(*first.private_key())
}

/// Replays, bad node signatures, unknown verifiers and every bad token of the id-token table
/// are refused with their codes, and release nothing.
async fn refusals(network: &Network, issuer: &TestIssuer) -> Result<()> {
    let nodes = nodes(network);
    let client = torus_client::TorusClient::new(nodes.iter().map(|n| endpoint(n)).collect());

    // A replayed token is refused at the commitment, with the message torus.js shows.
    let replayed = issuer.token("alice", true);
    client.retrieve_key(VERIFIER, "alice", &replayed).await?;
    let error = client
        .retrieve_key(VERIFIER, "alice", &replayed)
        .await
        .err()
        .context("a replayed token was accepted")?;
    ensure!(
        error.to_string().contains("Duplicate token found"),
        "{error}"
    );

    // A replayed share request (same token, same node signatures) is refused.
    let token = issuer.token("alice", false);
    let signatures = commit(&nodes, &token, "alice").await?;
    share(nodes[0], "alice", &token, &signatures)
        .await?
        .map_err(|e| anyhow!("a fresh login was refused: {e:?}"))?;
    let again = share(nodes[0], "alice", &token, &signatures).await?;
    ensure!(
        again
            == Err(Refusal {
                code: 2004,
                data: "Duplicate token found".into()
            }),
        "{again:?}"
    );

    // Node signatures: too few, forged, or for another token.
    let token = issuer.token("mallory", true);
    let signatures = commit(&nodes, &token, "mallory").await?;
    let one = share(nodes[0], "mallory", &token, &signatures[..1]).await?;
    ensure!(matches!(one, Err(Refusal { code: 3001, .. })), "{one:?}");
    let mut forged = signatures.clone();
    for s in &mut forged {
        s["signature"] = json!(format!("{:0130}", 0));
    }
    let forged = share(nodes[0], "mallory", &token, &forged).await?;
    ensure!(
        matches!(forged, Err(Refusal { code: 3001, .. })),
        "{forged:?}"
    );
    let other = issuer.token("mallory", true);
    let mismatch = share(nodes[0], "mallory", &other, &signatures).await?;
    ensure!(
        matches!(mismatch, Err(Refusal { code: 3002, .. })),
        "{mismatch:?}"
    );

    // The commitment step: wrong prefix, unknown verifier, a commitment seen before.
    let (x, y) = session_key();
    let base = json!({
        "messageprefix": "mug00", "tokencommitment": keccak_hex(b"t"), "temppubx": x,
        "temppuby": y, "verifieridentifier": VERIFIER, "verifier_id": "mallory",
    });
    let mut wrong_prefix = base.clone();
    wrong_prefix["messageprefix"] = json!("mug01");
    let mut unknown = base.clone();
    unknown["verifieridentifier"] = json!("no-such-verifier");
    for (params, code) in [
        (wrong_prefix, 2001),
        (unknown, 1001),
        (base.clone(), 0),
        (base, 2004),
    ] {
        let reply = call(nodes[1], "CommitmentRequest", params).await?;
        match (code, reply) {
            (0, Ok(_)) => {}
            (code, Err(refusal)) if refusal.code == code => {}
            (code, reply) => bail!("expected {code}, got {reply:?}"),
        }
    }

    // Every bad token of the id-token table (code 3100 + the id-token module's code).
    let now = now_secs();
    let claims = |sub: &str| TestIssuer::claims(sub);
    let with = |key: &str, value: Value| {
        let mut c = claims("mallory");
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = claims("mallory");
        c.as_object_mut().expect("object").remove(key);
        c
    };
    let rs = json!({"alg": "RS256", "kid": RSA_KID});
    let es = json!({"alg": "ES256", "kid": EC_KID});
    let unsigned = |header: Value| {
        let token = issuer.sign(&header, &claims("mallory"));
        format!("{}.", &token[..token.rfind('.').expect("three parts")])
    };
    let tampered = {
        let token = issuer.sign(&rs, &claims("mallory"));
        let parts: Vec<&str> = token.split('.').collect();
        let other = issuer.sign(&rs, &claims("eve"));
        format!(
            "{}.{}.{}",
            parts[0],
            other.split('.').nth(1).expect("payload"),
            parts[2]
        )
    };
    let cases: Vec<(&str, String, i32)> = vec![
        ("malformed", "not.a.jwt!".into(), 3102),
        (
            "alg none",
            unsigned(json!({"alg": "none", "kid": RSA_KID})),
            3110,
        ),
        (
            "HMAC",
            issuer.sign(&json!({"alg": "HS256", "kid": RSA_KID}), &claims("mallory")),
            3111,
        ),
        (
            "no kid",
            issuer.sign(&json!({"alg": "RS256"}), &claims("mallory")),
            3112,
        ),
        (
            "unknown kid",
            issuer.sign(&json!({"alg": "RS256", "kid": "rsa-9"}), &claims("mallory")),
            3113,
        ),
        (
            "alg mismatch",
            issuer.sign(&json!({"alg": "ES256", "kid": RSA_KID}), &claims("mallory")),
            3114,
        ),
        ("bad signature", tampered, 3120),
        ("no exp", issuer.sign(&rs, &without("exp")), 3130),
        (
            "wrong issuer",
            issuer.sign(&es, &with("iss", json!("https://evil.test"))),
            3132,
        ),
        (
            "wrong audience",
            issuer.sign(&es, &with("aud", json!("other-dapp"))),
            3133,
        ),
        (
            "expired",
            issuer.sign(&es, &with("exp", json!(now - 3600))),
            3134,
        ),
        (
            "not yet valid",
            issuer.sign(&es, &with("nbf", json!(now + 3600))),
            3135,
        ),
        (
            "issued in the future",
            issuer.sign(&es, &with("iat", json!(now + 3600))),
            3136,
        ),
        (
            "too old",
            issuer.sign(&es, &with("iat", json!(now - 7200))),
            3137,
        ),
        // Absurd times: each refused with its own code (`exp: 1e300` once stopped every node).
        (
            "exp 1e300",
            issuer.sign(&rs, &with("exp", json!(1e300))),
            3138,
        ),
        (
            "exp 2^62",
            issuer.sign(&rs, &with("exp", json!(1u64 << 62))),
            3138,
        ),
        (
            "exp u64::MAX",
            issuer.sign(&rs, &with("exp", json!(u64::MAX))),
            3138,
        ),
        (
            "iat and exp in the far future",
            issuer.sign(&rs, &with("iat", json!(1e300))),
            3136,
        ),
        (
            "exp before iat",
            issuer.sign(&es, &{
                let mut c = with("iat", json!(now + 30));
                c["exp"] = json!(now);
                c
            }),
            3139,
        ),
        ("no id claim", issuer.sign(&es, &without("sub")), 3140),
        ("another user's token", issuer.token("eve", true), 3003),
    ];
    for (case, token, code) in cases {
        expect_refused(&nodes, "mallory", &token, code)
            .await
            .with_context(|| format!("case: {case}"))?;
    }
    // Every node is still up and answering after the absurd tokens.
    for node in &nodes {
        node.call("system_health", jsonrpsee::rpc_params![])
            .await
            .with_context(|| format!("{} stopped answering", node.name))?;
    }
    // Nothing was released or assigned for the refused logins.
    ensure!(
        lookup(nodes[0], "mallory").await?.is_none(),
        "mallory got a key"
    );
    let lookup_reply = call(
        nodes[2],
        "VerifierLookupRequest",
        json!({"verifier": VERIFIER, "verifier_id": "mallory"}),
    )
    .await?;
    ensure!(
        matches!(&lookup_reply, Err(Refusal { code: 1002, data }) if data.contains("Verifier + VerifierID has not yet been assigned")),
        "{lookup_reply:?}"
    );
    Ok(())
}

/// A node killed with -9 and restarted refuses every token it answered and every commitment
/// it signed before: its replay guards are on disk before it acts.
async fn replay_after_restart(network: &mut Network, issuer: &TestIssuer) -> Result<()> {
    let (answered, answered_signatures, signed_only) = with_logs(network, || async {
        let nodes = nodes(network);
        let token = issuer.token("alice", true);
        let signatures = commit(&nodes, &token, "alice").await?;
        share(nodes[0], "alice", &token, &signatures)
            .await?
            .map_err(|e| anyhow!("a fresh login was refused: {e:?}"))?;
        let signed_only = issuer.token("alice", false);
        commit(&nodes[..1], &signed_only, "alice").await?;
        Ok((token, signatures, signed_only))
    })
    .await?;
    // Kill -9 (no shutdown, nothing flushed) and start again on the same base path.
    network.node_mut("alice").kill();
    network.restart("alice").await?;
    with_logs(network, || async {
        let nodes = nodes(network);
        let replayed = share(nodes[0], "alice", &answered, &answered_signatures).await?;
        ensure!(
            matches!(replayed, Err(Refusal { code: 2004, .. })),
            "a token answered before the restart was answered again: {replayed:?}"
        );
        let (x, y) = session_key();
        for token in [&answered, &signed_only] {
            let again = call(
                nodes[0],
                "CommitmentRequest",
                json!({
                    "messageprefix": "mug00", "tokencommitment": keccak_hex(token.as_bytes()),
                    "temppubx": x, "temppuby": y, "verifieridentifier": VERIFIER,
                }),
            )
            .await?;
            ensure!(
                matches!(again, Err(Refusal { code: 2004, .. })),
                "a commitment seen before the restart was signed again: {again:?}"
            );
        }
        // A new login still works on the restarted node.
        let token = issuer.token("alice", true);
        let signatures = commit(&nodes, &token, "alice").await?;
        share(nodes[0], "alice", &token, &signatures)
            .await?
            .map_err(|e| anyhow!("a fresh login after the restart was refused: {e:?}"))?;
        Ok(())
    })
    .await
}

/// A verifier keyed by e-mail: an unverified address is refused, ids are lower-cased in their
/// ASCII letters only, so a look-alike (the Kelvin sign) gets a key of its own, not Kate's.
async fn e_mail_identities(network: &Network, issuer: &TestIssuer) -> Result<()> {
    const MAIL: &str = "acme-mail";
    let nodes = nodes(network);
    let mut config = issuer.verifier_config();
    config.id_claim = torus_primitives::verifier::IdClaimRule {
        claim: torus_primitives::verifier::IdClaim::Email,
        lowercase: true,
    };
    nodes[0]
        .register_verifier(Sr25519Keyring::Dave, MAIL, config, 10)
        .await?;
    let token = |email: &str, verified: Value| {
        let mut claims = TestIssuer::claims("user");
        claims["email"] = json!(email);
        claims["email_verified"] = verified;
        issuer.sign(&json!({"alg": "RS256", "kid": RSA_KID}), &claims)
    };
    let client = torus_client::TorusClient::new(nodes.iter().map(|n| endpoint(n)).collect());
    let kate = client
        .retrieve_key(
            MAIL,
            "kate@example.com",
            &token("Kate@Example.COM", json!(true)),
        )
        .await
        .context("a verified e-mail logs in under its lower-cased id")?;
    let look_alike_id = "\u{212A}ate@example.com";
    let look_alike = client
        .retrieve_key(
            MAIL,
            look_alike_id,
            &token("\u{212A}ate@Example.com", json!(true)),
        )
        .await
        .context("the look-alike logs in under its own id")?;
    ensure!(
        look_alike.address() != kate.address(),
        "the Kelvin-sign look-alike got Kate's key"
    );
    // An unverified address is refused (3100 + 42), and so is a claim spelled "true".
    for verified in [json!(false), json!("true"), Value::Null] {
        let unverified = token("kate@example.com", verified.clone());
        let signatures = commit_for(&nodes, MAIL, &unverified, "kate@example.com").await?;
        let reply = share_for(nodes[0], MAIL, "kate@example.com", &unverified, &signatures).await?;
        ensure!(
            matches!(reply, Err(Refusal { code: 3142, .. })),
            "email_verified {verified}: {reply:?}"
        );
    }
    Ok(())
}

/// A threshold-signing verifier: torus.js's TSS public-key lookup (`extendedVerifierId`) gets
/// the network key of the user's TSS key, one per name and the same every time; the user's
/// own id is not served, and no node releases a share of the verifier's keys.
async fn tss_network_keys(network: &Network, issuer: &TestIssuer) -> Result<()> {
    const WALLET: &str = "acme-wallet";
    let nodes = nodes(network);
    let mut config = issuer.verifier_config();
    config.key_type = torus_primitives::KeyType::ThresholdSigning;
    nodes[0]
        .register_verifier(Sr25519Keyring::Charlie, WALLET, config, 10)
        .await?;
    let endpoints: Vec<String> = nodes.iter().map(|n| endpoint(n)).collect();
    let node_keys = node_keys(&nodes, issuer).await?;
    let first_node = nodes[0];
    let on_chain = |id: &'static str| lookup_for(first_node, WALLET, id);
    let tss_lookup = |name: &str| {
        torus_integration_tests::torus_js_tss_lookup(&endpoints, &node_keys, WALLET, "erin", name)
    };
    let first = tss_lookup("erin\u{15}default\u{16}0")?;
    let again = tss_lookup("erin\u{15}default\u{16}0")?;
    let next = tss_lookup("erin\u{15}default\u{16}1")?;
    let key = on_chain("erin\u{15}default\u{16}0")
        .await?
        .context("the TSS key's network key is assigned on chain")?;
    let x = hex::encode(&key.public_key.0[1..]);
    // No metadata nonce is added: torus.js's key is the network key itself.
    ensure!(
        first["lookup"]["x"]
            .as_str()
            .map(|s| s.trim_start_matches('0'))
            == Some(x.trim_start_matches('0')),
        "torus.js's TSS key {first} is not the chain's {x}"
    );
    ensure!(first["lookup"]["x"] == first["lookup"]["oAuthX"], "{first}");
    ensure!(again["lookup"] == first["lookup"], "{again} vs {first}");
    ensure!(next["lookup"]["x"] != first["lookup"]["x"], "{next}");
    ensure!(
        first["strayCalls"].as_array().is_some_and(|a| a.is_empty()),
        "torus.js called other hosts: {first}"
    );
    ensure!(on_chain("erin").await?.is_none());
    // The Rust client's TSS lookup names the same network keys.
    let client = torus_client::TorusClient::new(endpoints.clone());
    let rust_key = client.tss_network_key(WALLET, "erin", "default", 0).await?;
    ensure!(
        rust_key.x_hex() == x,
        "the Rust client's network key {rust_key:?}"
    );
    let rust_next = client.tss_network_key(WALLET, "erin", "default", 1).await?;
    ensure!(
        Some(rust_next.x_hex().trim_start_matches('0'))
            == next["lookup"]["x"]
                .as_str()
                .map(|s| s.trim_start_matches('0')),
        "{rust_next:?} vs {next}"
    );
    // Discovery finds the holders of a TSS key's network key by its name.
    let details = |extended: &'static str| async move {
        let user =
            json!({"verifier": WALLET, "verifierId": "erin", "extendedVerifierId": extended});
        first_node
            .call("torus_nodeDetails", jsonrpsee::rpc_params![user])
            .await
    };
    let found = details("erin\u{15}default\u{16}0").await?;
    ensure!(found["threshold"] == 3, "{found}");
    let foreign = details("mallory\u{15}default\u{16}0").await;
    ensure!(
        foreign
            .as_ref()
            .is_err_and(|e| format!("{e:#}").contains("extendedVerifierId must be")),
        "{foreign:?}"
    );

    // The user's own key is a DirectAuth verifier's: refused, nothing assigned.
    let plain = call(
        nodes[0],
        "GetPubKeyOrKeyAssign",
        json!({"verifier": WALLET, "verifier_id": "erin", "key_type": "secp256k1"}),
    )
    .await?;
    ensure!(
        matches!(plain, Err(Refusal { code: 1001, .. })),
        "{plain:?}"
    );
    // Another user's TSS key cannot be named.
    let other = call(
        nodes[0],
        "GetPubKeyOrKeyAssign",
        json!({"verifier": WALLET, "verifier_id": "mallory",
               "extended_verifier_id": "erin\u{15}default\u{16}0"}),
    )
    .await?;
    ensure!(
        matches!(other, Err(Refusal { code: -32602, .. })),
        "{other:?}"
    );
    // A valid login of the user gets no share: 4004, at every node.
    let token = issuer.token("erin", true);
    let signatures = commit_for(&nodes, WALLET, &token, "erin").await?;
    for node in &nodes {
        let reply = share_for(node, WALLET, "erin", &token, &signatures).await?;
        ensure!(
            matches!(reply, Err(Refusal { code: 4004, .. })),
            "{}: {reply:?}",
            node.name
        );
    }
    ensure!(on_chain("erin").await?.is_none());
    Ok(())
}

/// One address asks for keys of many random users of a verifier with a small allowance: the
/// chain assigns at most the allowance, the rest is refused with a clear error, the buffer
/// loses no more than that, and another verifier's users still log in.
async fn assignment_flood(network: &Network, issuer: &TestIssuer) -> Result<()> {
    const FLOOD: &str = "flood-dapp";
    const ALLOWANCE: u32 = 5;
    let nodes = nodes(network);
    nodes[0]
        .register_verifier(
            Sr25519Keyring::Eve,
            FLOOD,
            issuer.verifier_config(),
            ALLOWANCE,
        )
        .await?;
    wait_for(Duration::from_secs(30), || async {
        Ok(nodes[1].allowance(FLOOD).await? == ALLOWANCE)
    })
    .await
    .context("the flood verifier's allowance is on chain")?;
    let buffer_before: u64 = nodes[1].runtime_api("KeysApi_buffer_size", &[]).await?;
    let requests = (0..40).map(|i| {
        let node = nodes[i % nodes.len()];
        let id = format!("random-{:016x}", rand::random::<u64>());
        async move {
            call(
                node,
                "GetPubKeyOrKeyAssign",
                json!({"verifier": FLOOD, "verifier_id": id}),
            )
            .await
        }
    });
    let replies = futures::future::join_all(requests).await;
    let mut assigned = 0;
    for reply in replies {
        match reply? {
            Ok(_) => assigned += 1,
            // Allowance spent (also for those the pool took before the allowance ran out),
            // or the caller over its rate.
            Err(Refusal { code, .. }) if [1005, 4290, 4292].contains(&code) => {}
            Err(other) => bail!("unexpected refusal in the flood: {other:?}"),
        }
    }
    ensure!(
        assigned <= ALLOWANCE,
        "{assigned} keys assigned on an allowance of {ALLOWANCE}"
    );
    ensure!(nodes[1].allowance(FLOOD).await? <= ALLOWANCE - assigned);
    let buffer_after: u64 = nodes[1].runtime_api("KeysApi_buffer_size", &[]).await?;
    ensure!(
        buffer_after + u64::from(ALLOWANCE) >= buffer_before,
        "the flood took {} keys from the buffer",
        buffer_before.saturating_sub(buffer_after)
    );
    let spent = call(
        nodes[2],
        "GetPubKeyOrKeyAssign",
        json!({"verifier": FLOOD, "verifier_id": "one-more-random-user"}),
    )
    .await?;
    ensure!(
        matches!(&spent, Err(Refusal { code: 1005, data }) if data.contains("allowance")),
        "{spent:?}"
    );
    // The other verifier's users are not affected.
    let client = torus_client::TorusClient::new(nodes.iter().map(|n| endpoint(n)).collect());
    let started = std::time::Instant::now();
    client
        .retrieve_key(
            VERIFIER,
            "bob-after-the-flood",
            &issuer.token("bob-after-the-flood", true),
        )
        .await
        .context("a login of another verifier after the flood")?;
    println!(
        "a first login of another verifier right after the flood took {:?}",
        started.elapsed()
    );
    Ok(())
}

/// The login load generator (a measurement, not a check: run it with
/// `cargo test -p torus-integration-tests --test login -- --ignored --nocapture`). Four
/// validators; `$TORUS_LOGIN_USERS` users (default 64) log in once (first logins: blocks until
/// the assignment is on chain), then returning-user logins with fresh tokens run from
/// `$TORUS_LOGIN_CONCURRENCY` tasks (default 16) for `$TORUS_LOGIN_SECS` seconds (default 30).
/// The issuer's tokens are minted before the clock starts (an issuer's work, not the
/// network's). Prints p50/p95/p99 latency and throughput.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn measure_login_latency_and_throughput() -> Result<()> {
    let _guard = exclusive().await;
    // The generator is one client on loopback: exempt it from the per-IP limit.
    let network =
        Network::local_validators_with(&["--rpc-rate-limit-whitelisted-ips", "127.0.0.0/8"])
            .await?;
    let issuer = std::sync::Arc::new(TestIssuer::new());
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (users, concurrency, seconds) = (
        env("TORUS_LOGIN_USERS", 64),
        env("TORUS_LOGIN_CONCURRENCY", 16),
        env("TORUS_LOGIN_SECS", 30),
    );
    with_logs(&network, || async {
        let nodes = nodes(&network);
        register_verifier(nodes[0], &issuer).await?;
        wait_for_keys(&nodes).await?;
        let client = std::sync::Arc::new(torus_client::TorusClient::new(
            nodes.iter().map(|n| endpoint(n)).collect(),
        ));

        // First logins, a few at a time: how many blocks until the key is assigned.
        let mut first_blocks = Vec::new();
        let mut first_times = Vec::new();
        for chunk in (0..users).collect::<Vec<_>>().chunks(8) {
            let before = nodes[0].best_number().await?;
            let started = std::time::Instant::now();
            let logins = chunk.iter().map(|u| {
                let (client, issuer) = (client.clone(), issuer.clone());
                async move {
                    let user = format!("user-{u}");
                    client
                        .retrieve_key(VERIFIER, &user, &issuer.token(&user, u % 2 == 0))
                        .await
                        .map(|_| started.elapsed())
                }
            });
            for elapsed in futures::future::try_join_all(logins).await? {
                first_times.push(elapsed);
            }
            first_blocks.push(nodes[0].best_number().await? - before);
        }

        // Returning users, with tokens minted beforehand (a few hundred logins/s at most).
        let tokens: Vec<(String, String)> = (0..seconds * 400)
            .map(|i| {
                let user = format!("user-{}", i % users);
                let token = issuer.token(&user, i % 2 == 0);
                (user, token)
            })
            .collect();
        let tokens = std::sync::Arc::new(std::sync::Mutex::new(tokens));
        let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
        let started = std::time::Instant::now();
        let tasks = (0..concurrency).map(|_| {
            let (client, tokens) = (client.clone(), tokens.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while std::time::Instant::now() < deadline {
                    let Some((user, token)) = tokens.lock().expect("tokens").pop() else {
                        break;
                    };
                    let start = std::time::Instant::now();
                    client.retrieve_key(VERIFIER, &user, &token).await?;
                    latencies.push(start.elapsed());
                }
                anyhow::Ok(latencies)
            })
        });
        let mut latencies = Vec::new();
        for task in futures::future::join_all(tasks).await {
            latencies.extend(task??);
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort();
        first_times.sort();
        let pct = |v: &[Duration], p: f64| {
            v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "first logins: {users} users in chunks of 8, blocks per chunk {first_blocks:?}, \
             latency p50 {:.0} ms, max {:.0} ms",
            pct(&first_times, 0.5),
            pct(&first_times, 1.0)
        );
        println!(
            "returning logins: {} in {elapsed:.1} s = {:.1} logins/s with {concurrency} tasks; \
             latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
            latencies.len(),
            latencies.len() as f64 / elapsed,
            pct(&latencies, 0.5),
            pct(&latencies, 0.95),
            pct(&latencies, 0.99)
        );
        Ok(())
    })
    .await
}
