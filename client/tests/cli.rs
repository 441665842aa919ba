//! The `torus` binary, run as a user would: login and lookup against mock nodes over HTTP,
//! the dev issuer as a process, and verifier commands that fail before touching a chain.

mod common;

use std::{process::Stdio, time::Duration};

use common::{token, Behaviour, MockNetwork, VERIFIER};
use k256::{elliptic_curve::ops::MulByGenerator, ProjectivePoint};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::Command,
};
use torus_client::{encoding::eth_address, http::get};

const TORUS: &str = env!("CARGO_BIN_EXE_torus");

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn torus(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(TORUS)
        .args(args)
        .env_remove("TORUS_ENDPOINTS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("torus starts");
    let mut input = child.stdin.take().expect("piped");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.expect("writes");
    }
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("torus finishes")
        .expect("torus runs");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]
async fn login_and_lookup_from_the_command_line() {
    let net = MockNetwork::start(&[Behaviour::Honest; 4]).await;
    let endpoints = net.endpoints.join(",");
    let expected = eth_address(&ProjectivePoint::mul_by_generator(&net.final_key()).to_affine());
    let who = [
        "--verifier",
        VERIFIER,
        "--verifier-id",
        "alice",
        "--endpoints",
        &endpoints,
    ];

    let run = torus(&[&["lookup"][..], &who].concat(), None).await;
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.contains("no key is assigned"), "{}", run.stdout);
    let run = torus(&[&["lookup", "--json"][..], &who].concat(), None).await;
    assert_eq!(
        serde_json::from_str::<Value>(&run.stdout).expect("JSON")["assigned"],
        false
    );

    // A login with the token on standard input; no private key unless asked for.
    let token = token();
    let run = torus(
        &[&["login", "--id-token", "-"][..], &who].concat(),
        Some(&format!("{token}\n")),
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
    let secret = hex::encode(net.final_key().to_bytes());
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));
    assert!(!run.stdout.contains("private key"));

    // The same token again: refused with the nodes' message.
    let run = torus(&[&["login", "--id-token", &token][..], &who].concat(), None).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("Duplicate token found"),
        "{}",
        run.stderr
    );

    let run = torus(
        &[
            &[
                "login",
                "--json",
                "--show-private-key",
                "--id-token",
                &common::token(),
            ][..],
            &who,
        ]
        .concat(),
        None,
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    let out: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(out["address"], expected.as_str());
    assert_eq!(out["private_key"], secret.as_str());

    let run = torus(&[&["lookup", "--json"][..], &who].concat(), None).await;
    let out: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(out["assigned"], true);
    assert_eq!(out["address"], expected.as_str());
}

#[tokio::test]
async fn the_dev_issuer_runs_and_serves_tokens() {
    let dir = std::env::temp_dir().join(format!("torus-cli-test-{}", std::process::id()));
    let mut child = Command::new(TORUS)
        .args([
            "dev-issuer",
            "--port",
            "0",
            "--audience",
            "cli-test",
            "--key-dir",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut jwks_url = None;
    while let Some(line) = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("prints its URLs")
        .expect("reads")
    {
        if let Some(url) = line.strip_prefix("jwks") {
            jwks_url = Some(url.trim().to_owned());
            break;
        }
    }
    let jwks_url = jwks_url.expect("a JWKS URL");
    let base = jwks_url.trim_end_matches("/jwks");
    let jwks: Value =
        serde_json::from_slice(&get(&jwks_url, Duration::from_secs(10)).await.expect("JWKS"))
            .expect("JSON");
    assert_eq!(jwks["keys"][0]["kid"], "dev-rs256");
    assert_eq!(jwks["keys"][1]["kid"], "dev-es256");
    let token = get(
        &format!("{base}/token?sub=zoe&alg=ES256"),
        Duration::from_secs(10),
    )
    .await
    .expect("a token");
    let token = String::from_utf8(token.to_vec()).expect("text");
    let header = jsonwebtoken::decode_header(&token).expect("a JWT");
    assert_eq!(header.kid.as_deref(), Some("dev-es256"));
    child.kill().await.expect("stops");
    assert!(dir.join("dev-rs256.pem").exists() && dir.join("dev-es256.pem").exists());
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[tokio::test]
async fn verifier_commands_check_their_input_first() {
    let dir = std::env::temp_dir().join(format!("torus-cli-jwks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let jwks = dir.join("jwks.json");
    std::fs::write(
        &jwks,
        r#"{"keys": [{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]}"#,
    )
    .expect("write");
    let base = [
        "verifier",
        "register",
        "--suri",
        "//Alice",
        "--name",
        "demo",
        "--issuer",
        "http://i",
        "--audience",
        "a",
        "--node",
        "http://127.0.0.1:1",
    ];
    let run = torus(
        &[&base[..], &["--jwks-file", jwks.to_str().expect("UTF-8")]].concat(),
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("no usable signing key"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("key type oct is not supported"),
        "{}",
        run.stderr
    );

    let run = torus(
        &[&base[..], &["--jwks-url", "https://example.invalid/jwks"]].concat(),
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("only plain http://"), "{}", run.stderr);

    let run = torus(
        &[
            "verifier", "register", "--suri", "//Alice", "--name", "demo",
        ],
        None,
    )
    .await;
    assert!(
        !run.ok,
        "missing --issuer, --audience and a JWKS are refused by the parser"
    );

    let bad_name = [
        "verifier",
        "update",
        "--suri",
        "//Alice",
        "--name",
        "has space",
        "--issuer",
        "i",
        "--audience",
        "a",
        "--jwks-file",
        "/nonexistent",
    ];
    let run = torus(&bad_name, None).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("Name"), "{}", run.stderr);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[tokio::test]
async fn top_up_checks_its_input_first() {
    let top_up = |keys: &'static str, name: &'static str, suri: &'static str| {
        [
            "verifier",
            "top-up",
            "--name",
            name,
            "--keys",
            keys,
            "--suri",
            suri,
            "--node",
            "http://127.0.0.1:1",
        ]
    };
    let run = torus(&top_up("0", "demo", "//Alice"), None).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("invalid value '0'"), "{}", run.stderr);
    let run = torus(&top_up("many", "demo", "//Alice"), None).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("invalid value 'many'"),
        "{}",
        run.stderr
    );
    let run = torus(&top_up("10", "has space", "//Alice"), None).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("Name"), "{}", run.stderr);
    let run = torus(&top_up("10", "demo", "not a uri"), None).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("invalid secret URI"), "{}", run.stderr);
    // Valid input reaches the chain, which is not there.
    let run = torus(&top_up("10", "demo", "//Alice"), None).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("system_accountNextIndex"),
        "{}",
        run.stderr
    );

    // `register --keys` takes a positive count too.
    let run = torus(
        &[
            "verifier",
            "register",
            "--suri",
            "//Alice",
            "--name",
            "demo",
            "--issuer",
            "http://i",
            "--audience",
            "a",
            "--jwks-file",
            "/nonexistent",
            "--keys",
            "0",
        ],
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("invalid value '0'"), "{}", run.stderr);
}

#[tokio::test]
async fn announcing_verifier_commands_check_their_input_first() {
    let dir = std::env::temp_dir().join(format!("torus-cli-announce-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // One usable key: the generator of P-256.
    let jwks = dir.join("jwks.json");
    std::fs::write(
        &jwks,
        r#"{"keys": [{"kty": "EC", "kid": "p1", "crv": "P-256", "alg": "ES256",
            "x": "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
            "y": "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"}]}"#,
    )
    .expect("write");
    let jwks = jwks.to_str().expect("UTF-8");
    let owner = |command: &'static str, name: &'static str, suri: &'static str| {
        vec![
            "verifier",
            command,
            "--name",
            name,
            "--suri",
            suri,
            "--node",
            "http://127.0.0.1:1",
        ]
    };

    // add-jwk picks its key by kid before anything is signed.
    let run = torus(
        &[
            &owner("add-jwk", "demo", "//Alice")[..],
            &["--jwks-file", jwks, "--kid", "p2"],
        ]
        .concat(),
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("no usable key with kid p2 (it has: p1)"),
        "{}",
        run.stderr
    );
    let run = torus(
        &[&owner("add-jwk", "demo", "//Alice")[..], &["--kid", "p1"]].concat(),
        None,
    )
    .await;
    assert!(!run.ok, "a JWKS source is required");

    // Bad names and secret URIs are refused by every owner command.
    let run = torus(
        &[
            &owner("rotate-jwks", "has space", "//Alice")[..],
            &["--jwks-file", jwks],
        ]
        .concat(),
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("Name"), "{}", run.stderr);
    let run = torus(
        &[
            &owner("remove-jwk", "demo", "not a uri")[..],
            &["--kid", "p1"],
        ]
        .concat(),
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("invalid secret URI"), "{}", run.stderr);
    let long_kid = "k".repeat(129);
    let run = torus(
        &[
            &owner("remove-jwk", "demo", "//Alice")[..],
            &["--kid", &long_kid],
        ]
        .concat(),
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("at most 128 bytes"), "{}", run.stderr);

    // Valid input reaches the chain, which is not there.
    for args in [
        [
            &owner("add-jwk", "demo", "//Alice")[..],
            &["--jwks-file", jwks, "--kid", "p1"],
        ]
        .concat(),
        [
            &owner("rotate-jwks", "demo", "//Alice")[..],
            &["--jwks-file", jwks],
        ]
        .concat(),
        owner("cancel-change", "demo", "//Alice"),
    ] {
        let run = torus(&args, None).await;
        assert!(!run.ok);
        assert!(
            run.stderr.contains("system_accountNextIndex"),
            "{args:?}: {}",
            run.stderr
        );
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
