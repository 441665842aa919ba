//! The key buffer's DKG on real validators: the buffer fills, every key's public key is the
//! interpolation of the validators' public shares (read from each node, checked against the
//! commitments on chain), and the DKG survives an offline validator, a cheating dealer and a
//! validator killed with SIGKILL.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use codec::Encode;
use jsonrpsee::rpc_params;
use k256::{
    elliptic_curve::sec1::FromEncodedPoint, AffinePoint, EncodedPoint, ProjectivePoint, Scalar,
};
use polkadot_sdk::{
    frame_support::{dispatch::PerDispatchClass, weights::Weight},
    frame_system,
};
use torus_integration_tests::{exclusive, wait_for, Network, Node};
use torus_primitives::{
    dkg::{BatchOutcome, BatchResult, DkgId, DkgParams, Fault, KeyRange, MemberIndex},
    BatchId, KeyId, KeyRecord,
};
use torus_runtime::{
    genesis_config_presets::{DEV_DKG_KEYS, DKG_BATCH_SIZE, DKG_TARGET_BUFFER},
    BlockNumber, Runtime,
};

/// Runs `test`; on failure, adds the tail of every node's log to the error.
async fn with_logs<F, Fut>(network: &Network, test: F) -> Result<()>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    test().await.map_err(|e| e.context(network.log_tails()))
}

async fn start(names: &[&str]) -> Result<Network> {
    let mut network = Network::new("local")?;
    for name in names {
        network.start_validator(name).await?;
    }
    Ok(network)
}

async fn buffer_size(node: &Node) -> Result<u64> {
    node.runtime_api("KeysApi_buffer_size", &[]).await
}

async fn wait_buffer(node: &Node, at_least: u64, timeout: Duration) -> Result<()> {
    wait_for(timeout, || async {
        Ok(buffer_size(node).await? >= at_least)
    })
    .await
    .with_context(|| format!("the buffer did not reach {at_least} keys"))
}

async fn batch_result(node: &Node, batch: BatchId) -> Result<Option<BatchResult<BlockNumber>>> {
    node.runtime_api("DkgApi_batch_result", &batch.encode())
        .await
}

/// The DKG key of the dev validator `name` (`Alice` ...).
fn dev_dkg_key(name: &str) -> Result<DkgId> {
    let (_, key) = DEV_DKG_KEYS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| anyhow!("no dev DKG key for {name}"))?;
    Ok(DkgId::from(polkadot_sdk::sp_core::ecdsa::Public::from_raw(
        *key,
    )))
}

/// The member index of the dev validator `name` in a batch.
fn index_of(result: &BatchResult<BlockNumber>, name: &str) -> Result<MemberIndex> {
    let key = dev_dkg_key(name)?;
    let position = result
        .info
        .members
        .iter()
        .position(|m| *m == key)
        .ok_or_else(|| anyhow!("{name} is not a member of batch {}", result.info.batch))?;
    Ok(MemberIndex::try_from(position + 1)?)
}

fn point(bytes: &[u8]) -> Result<ProjectivePoint> {
    let encoded = EncodedPoint::from_bytes(bytes)?;
    Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&encoded))
        .map(ProjectivePoint::from)
        .ok_or_else(|| anyhow!("not a curve point"))
}

/// Lagrange interpolation of `shares` (x, x·G) at 0, computed here with k256 alone.
fn interpolate_at_zero(shares: &[(u64, ProjectivePoint)]) -> ProjectivePoint {
    shares
        .iter()
        .map(|(i, share)| {
            let (num, den) = shares.iter().filter(|(j, _)| j != i).fold(
                (Scalar::ONE, Scalar::ONE),
                |(num, den), (j, _)| {
                    let (xi, xj) = (Scalar::from(*i), Scalar::from(*j));
                    (num * xj, den * (xj - xi))
                },
            );
            *share * (num * den.invert().unwrap_or(Scalar::ZERO))
        })
        .sum()
}

/// Checks key `key_id` against what `nodes` hold, at the first node's finalized block: the
/// chain's public key is the constant term of the key's current commitments; each node's public
/// share is of the sharing of the epoch that holds the key there, and the commitments evaluated
/// at its member index; and every `t` of the shares interpolate to the public key. Returns the
/// nodes' public shares.
async fn check_key(nodes: &[&Node], key_id: KeyId) -> Result<Vec<(u64, ProjectivePoint)>> {
    let chain = nodes[0];
    let record: KeyRecord = chain
        .runtime_api_finalized::<Option<KeyRecord>>("KeysApi_key", &key_id.encode())
        .await?
        .with_context(|| format!("key {key_id} is not on chain"))?;
    let holder = chain
        .runtime_api_finalized::<Option<KeyRange>>("DkgApi_key_range", &record.batch.encode())
        .await?
        .with_context(|| format!("key {key_id} has no key range"))?
        .holder;
    let commitments: Vec<[u8; 33]> = chain
        .runtime_api_finalized::<Option<Vec<[u8; 33]>>>("DkgApi_key_commitments", &key_id.encode())
        .await?
        .with_context(|| format!("key {key_id} has no commitments"))?;
    ensure!(
        commitments[0] == record.public_key.0,
        "key {key_id}: public key is not the commitments' constant term"
    );
    let coefficients = commitments
        .iter()
        .map(|c| point(c))
        .collect::<Result<Vec<_>>>()?;
    let public_key = coefficients[0];

    let mut shares = Vec::new();
    for node in nodes {
        let answer = node.call("torus_publicShare", rpc_params![key_id]).await?;
        ensure!(
            answer["epoch"].as_u64() == Some(u64::from(holder)),
            "key {key_id}: {} serves the sharing of another epoch than {holder}: {answer}",
            node.name
        );
        let index = answer["memberIndex"]
            .as_u64()
            .ok_or_else(|| anyhow!("no memberIndex in {answer}"))?;
        let share = point(&hex_bytes(
            answer["publicShare"]
                .as_str()
                .ok_or_else(|| anyhow!("no publicShare in {answer}"))?,
        )?)?;
        let x = Scalar::from(index);
        let expected: ProjectivePoint = coefficients
            .iter()
            .rev()
            .fold(ProjectivePoint::IDENTITY, |acc, c| acc * x + c);
        ensure!(
            share == expected,
            "key {key_id}: {}'s public share does not match the commitments",
            node.name
        );
        shares.push((index, share));
    }
    let t = coefficients.len();
    ensure!(shares.len() >= t, "fewer shares than the threshold {t}");
    for subset in subsets(&shares, t) {
        ensure!(
            interpolate_at_zero(&subset) == public_key,
            "key {key_id}: shares {:?} do not interpolate to the public key",
            subset.iter().map(|s| s.0).collect::<Vec<_>>()
        );
    }
    Ok(shares)
}

/// [`check_key`], retried for a while: a node stores a batch's shares once the block that
/// finished the batch is finalized (the buffer, read at the best block, fills before that).
async fn check_key_soon(nodes: &[&Node], key_id: KeyId) -> Result<()> {
    let start = Instant::now();
    loop {
        match check_key(nodes, key_id).await {
            Ok(_) => return Ok(()),
            Err(e) if start.elapsed() > Duration::from_secs(60) => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

/// The text of a node's Prometheus endpoint.
fn prometheus_metrics(port: u16) -> Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    Ok(text)
}

/// The value of a metric (the node labels every metric with the chain).
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let series_name = series.split('{').next()?;
        (series_name == name).then(|| value.trim().parse().ok())?
    })
}

fn subsets<T: Clone>(items: &[T], k: usize) -> Vec<Vec<T>> {
    if k == 0 {
        return vec![vec![]];
    }
    if items.len() < k {
        return vec![];
    }
    let mut with_first: Vec<Vec<T>> = subsets(&items[1..], k - 1)
        .into_iter()
        .map(|mut rest| {
            rest.insert(0, items[0].clone());
            rest
        })
        .collect();
    with_first.extend(subsets(&items[1..], k));
    with_first
}

fn hex_bytes(hex: &str) -> Result<Vec<u8>> {
    torus_integration_tests::decode_hex(hex)
}

/// Key ids to check in `0..count`: both ends of every batch and a spread in between.
fn sample_keys(count: u64) -> Vec<KeyId> {
    let batch = u64::from(DKG_BATCH_SIZE);
    let mut keys: Vec<KeyId> = (0..count)
        .filter(|k| k % batch == 0 || k % batch == batch - 1 || k % 41 == 7)
        .collect();
    keys.dedup();
    keys
}

#[tokio::test(flavor = "multi_thread")]
async fn four_validators_fill_the_buffer_and_every_key_matches_their_shares() -> Result<()> {
    let _guard = exclusive().await;
    let network = start(&["alice", "bob", "charlie", "dave"]).await?;
    with_logs(&network, || async {
        let alice = network.node("alice");
        wait_buffer(alice, DKG_TARGET_BUFFER, Duration::from_secs(300)).await?;
        let nodes: Vec<&Node> = network.nodes.iter().collect();
        for key in sample_keys(DKG_TARGET_BUFFER) {
            check_key_soon(&nodes, key).await?;
        }
        // Every batch completed with all its keys and nobody was disqualified.
        for batch in 0..DKG_TARGET_BUFFER / u64::from(DKG_BATCH_SIZE) {
            let result = batch_result(alice, batch)
                .await?
                .with_context(|| format!("batch {batch} not finished"))?;
            assert!(
                matches!(result.outcome, BatchOutcome::Completed { key_count, .. } if key_count == DKG_BATCH_SIZE),
                "batch {batch}: {:?}",
                result.outcome
            );
            assert!(result.disqualified.is_empty(), "batch {batch}: {:?}", result.disqualified);
            assert!(result.qualified.len() >= 3, "batch {batch}: {:?}", result.qualified);
        }
        // Each node reports its work on the Prometheus endpoint.
        for node in &network.nodes {
            let metrics = prometheus_metrics(node.prometheus_port)?;
            let generated = metric(&metrics, "torus_keyholder_keys_generated_total")
                .with_context(|| format!("{} has no keys-generated metric", node.name))?;
            assert!(generated >= DKG_TARGET_BUFFER as f64, "{}: {generated}", node.name);
            assert_eq!(
                metric(&metrics, "torus_keyholder_buffer_size"),
                Some(DKG_TARGET_BUFFER as f64)
            );
            assert!(metric(&metrics, "torus_keyholder_dealings_submitted_total") >= Some(1.0));
            // Every share matched its key's commitments, and nothing settled had to be
            // taken back.
            assert_eq!(
                metric(&metrics, "torus_keyholder_share_mismatches_total"),
                Some(0.0),
                "{}",
                node.name
            );
            assert_eq!(
                metric(&metrics, "torus_keyholder_batches_discarded_total"),
                Some(0.0),
                "{}",
                node.name
            );
        }
        // The buffer stops at its target: no batch runs once it is full.
        tokio::time::sleep(Duration::from_secs(12)).await;
        assert_eq!(buffer_size(alice).await?, DKG_TARGET_BUFFER);
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_complete_with_one_validator_offline() -> Result<()> {
    let _guard = exclusive().await;
    // Dave is a genesis validator whose node never starts.
    let network = start(&["alice", "bob", "charlie"]).await?;
    with_logs(&network, || async {
        let alice = network.node("alice");
        wait_buffer(
            alice,
            2 * u64::from(DKG_BATCH_SIZE),
            Duration::from_secs(300),
        )
        .await?;
        let result = batch_result(alice, 0)
            .await?
            .context("batch 0 not finished")?;
        let dave = index_of(&result, "Dave")?;
        assert!(matches!(result.outcome, BatchOutcome::Completed { .. }));
        assert_eq!(result.absent, vec![dave], "dave is recorded as absent");
        assert!(!result.qualified.contains(&dave));
        let nodes: Vec<&Node> = network.nodes.iter().collect();
        for key in [0, 255, 256, 511] {
            check_key_soon(&nodes, key).await?;
        }
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dealer_of_a_bad_share_is_disqualified_and_the_batch_completes() -> Result<()> {
    let _guard = exclusive().await;
    // Alice starts last, so that the others are up when she first deals. Dave cheats in the
    // first handover he deals in (the first refresh).
    let mut network = start(&["bob", "charlie"]).await?;
    network
        .start_validator_with("dave", &["--dkg-test-misbehavior", "bad-reshare"])
        .await?;
    network
        .start_validator_with("alice", &["--dkg-test-misbehavior", "bad-share"])
        .await?;
    with_logs(&network, || async {
        let alice = network.node("alice");
        // Alice cheats in the first batch she deals in; find it and the judgement.
        let mut judged = None;
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut batch = 0;
        while judged.is_none() {
            if Instant::now() > deadline {
                bail!("no batch recorded alice's bad share");
            }
            match batch_result(alice, batch).await? {
                Some(result) => {
                    let cheat = index_of(&result, "Alice")?;
                    if result.disqualified.iter().any(|(m, _)| *m == cheat) {
                        judged = Some((result, cheat));
                    } else {
                        batch += 1;
                    }
                }
                None => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
        let (result, cheat) = judged.expect("loop ends with a judgement");
        let n = result.info.members.len() as MemberIndex;
        let victim = cheat % n + 1;
        assert_eq!(
            result.disqualified,
            vec![(cheat, Fault::BadShare { complainer: victim })],
            "the victim's complaint was upheld and only the cheat disqualified"
        );
        assert!(!result.qualified.contains(&cheat));
        let BatchOutcome::Completed {
            first_key,
            key_count,
        } = result.outcome
        else {
            bail!("the batch with the bad share did not complete: {result:?}");
        };
        // The batch's keys are sound, and every member (the cheat too) holds good shares.
        let nodes: Vec<&Node> = network.nodes.iter().collect();
        for key in [first_key, first_key + u64::from(key_count) - 1] {
            check_key_soon(&nodes, key).await?;
        }

        // Dave's bad reshare: his victim's complaint is upheld, the handover completes with
        // the other dealers, and the range's keys are sound in the new sharing.
        let mut judged = None;
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut batch = result.info.batch + 1;
        while judged.is_none() {
            if Instant::now() > deadline {
                bail!("no handover recorded dave's bad reshare");
            }
            match batch_result(alice, batch).await? {
                Some(result) if result.info.handover.is_some() => {
                    let dealers = &result.info.handover.as_ref().expect("a handover").dealers;
                    let cheat = dealer_index(dealers, "Dave")?;
                    if result.disqualified.iter().any(|(m, _)| *m == cheat) {
                        judged = Some((result, cheat));
                    } else {
                        batch += 1;
                    }
                }
                Some(_) => batch += 1,
                None => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
        let (result, cheat) = judged.expect("loop ends with a judgement");
        let victim = cheat % result.info.members.len() as MemberIndex + 1;
        assert_eq!(
            result.disqualified,
            vec![(cheat, Fault::BadShare { complainer: victim })],
            "the victim's complaint was upheld and only the cheating dealer disqualified"
        );
        let BatchOutcome::Completed { first_key, .. } = result.outcome else {
            bail!("the handover with the bad reshare did not complete: {result:?}");
        };
        check_key_soon(&nodes, first_key).await?;
        Ok(())
    })
    .await
}

/// The index of the dev validator `name` among a handover's `dealers`.
fn dealer_index(dealers: &[DkgId], name: &str) -> Result<MemberIndex> {
    let key = dev_dkg_key(name)?;
    let position = dealers
        .iter()
        .position(|d| *d == key)
        .with_context(|| format!("{name} is not a dealer"))?;
    Ok(MemberIndex::try_from(position + 1)?)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_validator_killed_mid_batch_keeps_its_shares_and_the_buffer_keeps_filling() -> Result<()>
{
    let _guard = exclusive().await;
    let mut network = start(&["alice", "bob", "charlie", "dave"]).await?;
    let result: Result<()> = async {
        let batch = u64::from(DKG_BATCH_SIZE);
        wait_buffer(network.node("alice"), batch, Duration::from_secs(300)).await?;
        // The batch is on chain; Bob stores his shares when his keyholder settles it, once the
        // batch's block is finalized.
        let asked = Instant::now();
        let before = loop {
            match network
                .node("bob")
                .call("torus_publicShare", rpc_params![0u64])
                .await
            {
                Ok(share) => break share,
                Err(e) if asked.elapsed() > Duration::from_secs(60) => {
                    return Err(e.context("bob did not store his share of key 0"));
                }
                Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        };

        // SIGKILL, then more keys are wanted (several batches start per block, so the genesis
        // target may be met already), then start again on the same base path.
        network.node_mut("bob").kill();
        let alice = network.node("alice");
        let killed_at = buffer_size(alice).await?;
        let target = 2 * DKG_TARGET_BUFFER;
        alice.set_dkg_params(|p| p.target_buffer = target).await?;
        wait_buffer(alice, killed_at + batch, Duration::from_secs(180))
            .await
            .context("no batch completed while bob was down")?;
        network.restart("bob").await?;

        wait_buffer(network.node("alice"), target, Duration::from_secs(300)).await?;
        let after = network
            .node("bob")
            .call("torus_publicShare", rpc_params![0u64])
            .await?;
        assert_eq!(before, after, "bob's share of key 0 survived the kill");
        // Bob holds good shares of every batch, those finished while he was down included.
        let nodes: Vec<&Node> = network.nodes.iter().collect();
        for key in sample_keys(target) {
            check_key_soon(&nodes, key).await?;
        }
        Ok(())
    }
    .await;
    result.map_err(|e| e.context(network.log_tails()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_test_misbehaviour_is_refused_on_a_live_chain() -> Result<()> {
    let _guard = exclusive().await;
    let dir = tempfile::tempdir()?;
    let output = std::process::Command::new(torus_integration_tests::node_binary()?)
        .args(["export-chain-spec", "--chain", "local"])
        .output()?;
    ensure!(output.status.success(), "export-chain-spec failed");
    let mut spec: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    spec["chainType"] = "Live".into();
    let path = dir.path().join("live.json");
    std::fs::write(&path, serde_json::to_vec(&spec)?)?;

    let mut network = Network::new(path.to_str().context("path")?)?;
    let error = match network
        .start_validator_with("alice", &["--dkg-test-misbehavior", "bad-share"])
        .await
    {
        Ok(_) => bail!("a live chain accepted the test misbehaviour"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        error.contains("honoured only on development and local chains"),
        "unexpected error: {error}"
    );
    // The same chain starts without the flag.
    network.start_validator("alice").await?;
    Ok(())
}

/// Sustained buffer fill rate on four validators (a measurement, not a check; run with
/// `cargo test -p torus-integration-tests --test dkg -- --ignored --nocapture`; the batch size
/// is `$TORUS_DKG_BATCH`, default the test chains' 256, and `$TORUS_DKG_CONCURRENCY` batches run
/// at once, default 4).
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn measure_the_sustained_fill_rate() -> Result<()> {
    let _guard = exclusive().await;
    let network = start(&["alice", "bob", "charlie", "dave"]).await?;
    let alice = network.node("alice");
    let batch_size = std::env::var("TORUS_DKG_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(DKG_BATCH_SIZE);
    let concurrency = std::env::var("TORUS_DKG_CONCURRENCY")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(4);
    alice
        .set_dkg_params(|p| {
            *p = DkgParams {
                target_buffer: 1_000_000,
                batch_size,
                max_concurrent_batches: concurrency,
                deal_timeout: 5,
                verify_timeout: 5,
                refresh_interval: 0,
            }
        })
        .await?;
    // Warm up past the first batches, then measure.
    wait_buffer(alice, 2_000, Duration::from_secs(300)).await?;
    let (start_keys, start_block, start) = (
        buffer_size(alice).await?,
        alice.best_number().await?,
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(120)).await;
    let (end_keys, end_block) = (buffer_size(alice).await?, alice.best_number().await?);
    let seconds = start.elapsed().as_secs_f64();
    let mut bytes = 0usize;
    let mut weight = 0u64;
    for number in start_block..end_block {
        let hash = alice
            .call("chain_getBlockHash", rpc_params![number])
            .await?;
        let block_weight: PerDispatchClass<Weight> = alice
            .storage_value_at(
                &frame_system::BlockWeight::<Runtime>::hashed_key(),
                Some(serde_json::from_value(hash.clone())?),
            )
            .await?
            .unwrap_or_default();
        weight += block_weight.total().ref_time();
        let block = alice.call("chain_getBlock", rpc_params![hash]).await?;
        bytes += block["block"]["extrinsics"]
            .as_array()
            .map(|xts| {
                xts.iter()
                    .map(|x| x.as_str().map_or(0, |s| s.len() / 2 - 1))
                    .sum()
            })
            .unwrap_or(0);
    }
    let blocks = end_block - start_block;
    println!(
        "DKG fill: {} keys in {seconds:.1} s = {:.1} keys/s; batch size {batch_size}, {concurrency} batches at once; {blocks} blocks, {:.0} bytes of extrinsics and {:.1}% of the block weight per block",
        end_keys - start_keys,
        (end_keys - start_keys) as f64 / seconds,
        bytes as f64 / f64::from(blocks.max(1)),
        100.0 * weight as f64
            / f64::from(blocks.max(1))
            / torus_runtime::configs::RuntimeBlockWeights::get().max_block.ref_time() as f64,
    );
    Ok(())
}
