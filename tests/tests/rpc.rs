//! The node's RPC server on a real `--dev` validator: Substrate's RPC and the Torus API on one
//! port, over HTTP and WebSocket, safe methods only when asked, `GET /health`, and the Torus
//! API's per-IP limit — per address the proxy names, per IPv6 /64, with a whitelist — and a
//! `--torus-api-addr` port that serves the Torus API alone, with a request log that never holds
//! its parameters.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use jsonrpsee::{
    core::{
        client::{ClientT, Subscription, SubscriptionClientT},
        ClientError,
    },
    http_client::{HeaderMap, HeaderValue, HttpClient, HttpClientBuilder},
    rpc_params,
    ws_client::WsClientBuilder,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use torus_integration_tests::{exclusive, Network, Node};

/// The Torus API's code for a caller over its per-IP rate.
const IP_RATE_LIMITED: i32 = 4292;
/// The Torus API's code for an unknown verifier.
const VERIFIER_NOT_SUPPORTED: i32 = 1001;
/// JSON-RPC's invalid-params code: what a malformed Torus API request gets when admitted.
const INVALID_PARAMS: i32 = -32602;

/// An HTTP client of `node` that sends `headers` (as a reverse proxy would) with every call.
fn client(node: &Node, headers: &[(&'static str, &str)]) -> Result<HttpClient> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, HeaderValue::from_str(value)?);
    }
    Ok(HttpClientBuilder::default()
        .set_headers(map)
        .build(format!("http://127.0.0.1:{}", node.rpc_port))?)
}

/// The error code of a Torus API call with malformed params (cheap: refused after admission).
async fn torus_call(client: &HttpClient) -> Result<i32> {
    match client
        .request::<Value, _>("VerifierLookupRequest", rpc_params![])
        .await
    {
        Err(ClientError::Call(e)) => Ok(e.code()),
        other => bail!("expected a refusal, got {other:?}"),
    }
}

/// The codes of `n` Torus API calls in a row.
async fn torus_calls(client: &HttpClient, n: usize) -> Result<Vec<i32>> {
    let mut codes = Vec::new();
    for _ in 0..n {
        codes.push(torus_call(client).await?);
    }
    Ok(codes)
}

/// `GET path` over plain HTTP/1.1: the status line and the body.
async fn http_get(node: &Node, path: &str) -> Result<(String, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", node.rpc_port)).await?;
    let port = node.rpc_port;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .context("an HTTP response")?;
    let status = head.lines().next().unwrap_or_default().to_string();
    Ok((status, body.to_string()))
}

#[tokio::test]
async fn one_port_serves_substrate_and_the_torus_api_and_limits_each_caller_ip() -> Result<()> {
    let _guard = exclusive().await;
    let mut network = Network::new("dev")?;
    let torus_only = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let torus_only_arg = torus_only.to_string();
    network
        .start_validator_with(
            "alice",
            &[
                "--torus-api-addr",
                &torus_only_arg,
                // Even an operator who asks for Substrate's RPC metrics at trace (which log
                // every call's parameters) gets no Torus parameter in the log.
                "-l",
                "rpc=trace,rpc_metrics=trace,rpc_metrics::extra=trace",
                "--rpc-methods",
                "safe",
                "--torus-api-ip-rate",
                "1",
                "--torus-api-ip-burst",
                "3",
                "--rpc-rate-limit-trust-proxy-headers",
                "--rpc-rate-limit-whitelisted-ips",
                "198.51.100.0/24",
            ],
        )
        .await?;
    let node = network.node("alice");
    let result = match checks(node).await {
        Ok(()) => torus_only_checks(node, torus_only.port()).await,
        Err(e) => Err(e),
    };
    result.map_err(|e| e.context(network.log_tails()))
}

/// `--torus-api-addr`: the four Torus methods and `GET /health`, nothing else; and the request
/// logger (`-l rpc=trace`) never writes a Torus method's parameters.
async fn torus_only_checks(node: &Node, port: u16) -> Result<()> {
    let url = format!("http://127.0.0.1:{port}");
    let only = HttpClientBuilder::default().build(&url)?;
    // A Torus method is served (and refuses the unknown verifier these params name).
    let secret = "eyJhbGciOiJSUzI1NiJ9.the-secret-id-token-payload.c2ln";
    let refused = only
        .request::<Value, _>(
            "VerifierLookupRequest",
            rpc_params![secret, "not-an-object"],
        )
        .await;
    match refused {
        Err(ClientError::Call(e)) => assert_eq!(e.code(), VERIFIER_NOT_SUPPORTED),
        other => bail!("the Torus API is not served on {url}: {other:?}"),
    }
    // Substrate's methods are not, not even the harmless ones.
    for method in [
        "state_call",
        "author_submitExtrinsic",
        "rpc_methods",
        "chain_getHeader",
    ] {
        match only.request::<Value, _>(method, rpc_params![]).await {
            Err(ClientError::Call(e)) => assert_eq!(e.code(), -32601, "{method}: {e:?}"),
            other => bail!("{method} answered on the Torus-only port: {other:?}"),
        }
    }
    // `GET /health` is.
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let request =
        format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // The logger wrote the calls (at trace), but never the token.
    node.call("chain_getBlockHash", rpc_params![0]).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = std::fs::read_to_string(&node.log)?;
    assert!(
        log.contains("call chain_getBlockHash [0]"),
        "the request logger is on"
    );
    let calls: Vec<&str> = log.lines().filter(|l| l.contains(" call ")).collect();
    assert!(
        log.contains("call VerifierLookupRequest <redacted>"),
        "{calls:?}"
    );
    let leaks: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("the-secret-id-token-payload"))
        .collect();
    assert!(
        leaks.is_empty(),
        "a Torus API parameter reached the log: {leaks:?}"
    );
    Ok(())
}

async fn checks(node: &Node) -> Result<()> {
    // Substrate's RPC and the Torus API, listed and served on the one port.
    let methods: Value = node.call("rpc_methods", rpc_params![]).await?;
    let listed: Vec<&str> = methods["methods"]
        .as_array()
        .context("a method list")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for method in [
        "chain_getHeader",
        "chainHead_v1_follow",
        "author_submitExtrinsic",
        "system_accountNextIndex",
        "GetShareOrKeyAssign",
        "torus_publicShare",
        "rpc_methods",
    ] {
        assert!(listed.contains(&method), "{method} missing from {listed:?}");
    }
    let header: Value = node.call("chain_getHeader", rpc_params![]).await?;
    assert!(header["number"].is_string(), "a header: {header}");

    // `--rpc-methods safe`: unsafe methods are refused, even on loopback.
    let rotated = node.call("author_rotateKeys", rpc_params![]).await;
    let refusal = format!("{:#}", rotated.expect_err("author_rotateKeys is unsafe"));
    assert!(refusal.contains("unsafe"), "refused as unsafe: {refusal}");

    // `GET /health` is answered by the server itself.
    let (status, body) = http_get(node, "/health").await?;
    assert!(status.contains("200"), "status {status}");
    let health: Value = serde_json::from_str(&body)?;
    assert!(health["peers"].is_number(), "health: {health}");

    // WebSocket on the same port, with subscriptions.
    let ws = WsClientBuilder::default()
        .build(format!("ws://127.0.0.1:{}", node.rpc_port))
        .await?;
    let mut heads: Subscription<Value> = ws
        .subscribe(
            "chain_subscribeNewHeads",
            rpc_params![],
            "chain_unsubscribeNewHeads",
        )
        .await?;
    let head = tokio::time::timeout(Duration::from_secs(30), heads.next())
        .await
        .context("no new head in 30 s")?
        .context("subscription closed")??;
    assert!(head["number"].is_string(), "a head: {head}");

    // Per IP: the proxy's own entry (the last X-Forwarded-For address) is the caller; three
    // calls of burst, then refused.
    let proxied = client(node, &[("x-forwarded-for", "198.18.0.1, 203.0.113.5")])?;
    assert_eq!(
        torus_calls(&proxied, 4).await?,
        [
            INVALID_PARAMS,
            INVALID_PARAMS,
            INVALID_PARAMS,
            IP_RATE_LIMITED
        ]
    );
    // Substrate's own methods are not under the Torus API's limit.
    proxied
        .request::<Value, _>("system_health", rpc_params![])
        .await?;
    // A client cannot slip into the whitelist by writing its first entry...
    let spoofing = client(node, &[("x-forwarded-for", "198.51.100.9, 203.0.113.5")])?;
    assert_eq!(torus_call(&spoofing).await?, IP_RATE_LIMITED);
    // ...but a whitelisted caller is never limited, and other callers have their own budget.
    let whitelisted = client(node, &[("x-forwarded-for", "203.0.113.5, 198.51.100.9")])?;
    assert_eq!(torus_calls(&whitelisted, 6).await?, [INVALID_PARAMS; 6]);
    let other = client(node, &[("x-real-ip", "203.0.113.6")])?;
    assert_eq!(torus_call(&other).await?, INVALID_PARAMS);

    // IPv6 callers share one budget per /64.
    let v6 = client(node, &[("x-real-ip", "2001:db8:1:2::1")])?;
    assert_eq!(torus_calls(&v6, 3).await?, [INVALID_PARAMS; 3]);
    let same_64 = client(node, &[("x-real-ip", "2001:db8:1:2:ffff::1")])?;
    assert_eq!(torus_call(&same_64).await?, IP_RATE_LIMITED);
    let next_64 = client(node, &[("x-real-ip", "2001:db8:1:3::1")])?;
    assert_eq!(torus_call(&next_64).await?, INVALID_PARAMS);

    // `torus_nodeDetails`, the other method of the public listeners, draws on the same
    // budget: three answers, then the caller is refused by both.
    let details_caller = client(node, &[("x-real-ip", "203.0.113.7")])?;
    for _ in 0..3 {
        let details: Value = details_caller
            .request("torus_nodeDetails", rpc_params![])
            .await?;
        assert!(details["threshold"].is_number(), "node details: {details}");
    }
    match details_caller
        .request::<Value, _>("torus_nodeDetails", rpc_params![])
        .await
    {
        Err(ClientError::Call(e)) => assert_eq!(e.code(), IP_RATE_LIMITED),
        other => bail!("torus_nodeDetails over the per-IP budget: {other:?}"),
    }
    assert_eq!(torus_call(&details_caller).await?, IP_RATE_LIMITED);

    // The budget refills at the rate (1 call per second).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(torus_call(&proxied).await?, INVALID_PARAMS);
    Ok(())
}
