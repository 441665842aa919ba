//! A dapp registers and maintains a verifier with signed extrinsics over RPC, on the local
//! network of four validators, and reads it back through the `VerifiersApi` runtime API.
//! Widening changes are announced and take effect only after the chain's announcement delay
//! (10 blocks on the local chain): a login with a token signed by a newly added key is refused
//! before that block and accepted from it on.

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use codec::{Decode, Encode};
use jsonrpsee::rpc_params;
use polkadot_sdk::{
    frame_support::storage::storage_prefix,
    frame_system::{self, EventRecord, Phase},
    sp_core::{Bytes, H256},
    sp_keyring::Sr25519Keyring,
    sp_runtime::DispatchError,
};
use torus_integration_tests::{
    decode_hex, exclusive,
    issuer::{TestIssuer, EC_KID, RSA_KID},
    wait_for, wait_for_keys, Network, Node,
};
use torus_primitives::{
    EcCurve, IdClaim, IdClaimRule, Jwk, JwkAlg, JwkParams, KeyType, PendingChange, VerifierChange,
    VerifierConfig, VerifierRecord,
};
use torus_runtime::{AccountId, Balance, BlockNumber, Runtime, RuntimeCall, RuntimeEvent, UNIT};

type VerifiersCall = pallet_verifiers::Call<Runtime>;
type VerifiersEvent = pallet_verifiers::Event<Runtime>;
type VerifiersError = pallet_verifiers::Error<Runtime>;

/// The announcement delay of the local chain's genesis preset.
const DELAY: BlockNumber = torus_runtime::genesis_config_presets::VERIFIER_CONFIG_DELAY;

fn bounded<T: TryFrom<Vec<u8>>>(bytes: &[u8]) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(bytes.to_vec()).expect("within bounds")
}

fn rsa_jwk(kid: &str) -> Jwk {
    Jwk {
        kid: bounded(kid.as_bytes()),
        alg: JwkAlg::RS256,
        params: JwkParams::Rsa {
            n: bounded(&[0xc3; 256]),
            e: bounded(&[1, 0, 1]),
        },
    }
}

fn config(audiences: &[&str]) -> VerifierConfig {
    VerifierConfig {
        issuer: bounded(b"https://issuer.acme.test"),
        audiences: audiences
            .iter()
            .map(|a| bounded(a.as_bytes()))
            .collect::<Vec<_>>()
            .try_into()
            .expect("few audiences"),
        jwks: vec![rsa_jwk("k1")].try_into().expect("one key"),
        id_claim: IdClaimRule {
            claim: IdClaim::Email,
            lowercase: true,
        },
        max_token_age_secs: 3600,
        key_type: KeyType::DirectAuth,
    }
}

async fn verifier(node: &Node, name: &str) -> Result<Option<VerifierRecord<AccountId, Balance>>> {
    node.runtime_api("VerifiersApi_verifier", &name.as_bytes().to_vec().encode())
        .await
}

async fn pending_change(node: &Node, name: &str) -> Result<Option<PendingChange<BlockNumber>>> {
    node.runtime_api(
        "VerifierChangesApi_pending_change",
        &name.as_bytes().to_vec().encode(),
    )
    .await
}

/// The hash of block `number` on `node`'s best chain.
async fn block_hash(node: &Node, number: BlockNumber) -> Result<H256> {
    Ok(serde_json::from_value(
        node.call("chain_getBlockHash", rpc_params![number]).await?,
    )?)
}

/// The verifier `name` as the state of block `number` has it.
async fn verifier_at(
    node: &Node,
    name: &str,
    number: BlockNumber,
) -> Result<Option<VerifierRecord<AccountId, Balance>>> {
    let hash = block_hash(node, number).await?;
    let reply = node
        .call(
            "state_call",
            rpc_params![
                "VerifiersApi_verifier",
                Bytes(name.as_bytes().to_vec().encode()),
                hash
            ],
        )
        .await?;
    let hex = reply.as_str().context("a hex state_call reply")?;
    Ok(Decode::decode(&mut &decode_hex(hex)?[..])?)
}

/// The events `on_initialize` emitted in block `number`.
async fn initialization_events(node: &Node, number: BlockNumber) -> Result<Vec<RuntimeEvent>> {
    let hash = block_hash(node, number).await?;
    let events: Vec<EventRecord<RuntimeEvent, H256>> = node
        .storage_value_at(&storage_prefix(b"System", b"Events"), Some(hash))
        .await?
        .unwrap_or_default();
    Ok(events
        .into_iter()
        .filter(|r| r.phase == Phase::Initialization)
        .map(|r| r.event)
        .collect())
}

/// Waits until `node`'s best block is at least `number`.
async fn wait_for_block(node: &Node, number: BlockNumber) -> Result<()> {
    wait_for(Duration::from_secs(u64::from(DELAY) * 3 + 120), || async {
        Ok(node.best_number().await? >= number)
    })
    .await
    .with_context(|| format!("{} did not reach block {number}", node.name))
}

fn succeeded(events: &[RuntimeEvent]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. })
        )
    })
}

/// The change an extrinsic announced, and its effective block.
fn announced(events: &[RuntimeEvent]) -> Result<(VerifierChange, BlockNumber)> {
    events
        .iter()
        .find_map(|event| match event {
            RuntimeEvent::Verifiers(VerifiersEvent::ChangeAnnounced {
                change,
                effective_at,
                ..
            }) => Some((change.clone(), *effective_at)),
            _ => None,
        })
        .with_context(|| format!("no change was announced: {events:?}"))
}

/// The pallet error an extrinsic failed with.
fn verifiers_error(events: &[RuntimeEvent]) -> Result<VerifiersError> {
    for event in events {
        if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
            dispatch_error: DispatchError::Module(error),
            ..
        }) = event
        {
            return Ok(VerifiersError::decode(&mut &error.error[..])?);
        }
    }
    bail!("the extrinsic did not fail with a module error: {events:?}")
}

/// Submits `call` as `who` and returns the change it announced, checking that it is due
/// [`DELAY`] blocks after the block that included it and readable as the pending change.
async fn announce(
    node: &Node,
    who: Sr25519Keyring,
    name: &str,
    call: VerifiersCall,
) -> Result<(VerifierChange, BlockNumber)> {
    let events = node
        .submit_and_watch(who, RuntimeCall::Verifiers(call))
        .await?;
    ensure!(succeeded(&events), "the announcement failed: {events:?}");
    let (change, effective_at) = announced(&events)?;
    let pending = pending_change(node, name)
        .await?
        .context("the announced change is pending")?;
    ensure!(pending.effective_at == effective_at && pending.change == change);
    // Included in effective_at - DELAY: the first block with room, the schedule being empty.
    let included = node.best_number().await?;
    ensure!(
        effective_at > included && effective_at <= included + DELAY,
        "effective at {effective_at}, best block {included}, delay {DELAY}"
    );
    Ok((change, effective_at))
}

/// Waits for block `at` and checks that the change of `name` took effect exactly there: the
/// state of block `at - 1` has `before`, the state of `at` has `after`, and `on_initialize`
/// of `at` emitted `ChangeApplied`.
async fn applies_exactly_at(
    node: &Node,
    name: &str,
    change: VerifierChange,
    at: BlockNumber,
    before: &VerifierConfig,
    after: &VerifierConfig,
) -> Result<()> {
    wait_for_block(node, at).await?;
    let earlier = verifier_at(node, name, at - 1)
        .await?
        .context("registered")?;
    ensure!(&earlier.config == before, "changed before block {at}");
    let then = verifier_at(node, name, at).await?.context("registered")?;
    ensure!(&then.config == after, "not changed at block {at}");
    let applied = RuntimeEvent::Verifiers(VerifiersEvent::ChangeApplied {
        name: bounded(name.as_bytes()),
        change,
    });
    ensure!(
        initialization_events(node, at).await?.contains(&applied),
        "no ChangeApplied in block {at}"
    );
    ensure!(pending_change(node, name).await?.is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dapp_registers_and_changes_a_verifier_over_rpc() -> Result<()> {
    let _guard = exclusive().await;
    let network = Network::local_validators().await?;
    let result: Result<()> = async {
        network.wait_finalized(1, Duration::from_secs(180)).await?;
        let node = network.node("bob");
        let dapp = Sr25519Keyring::Ferdie;
        let name = "acme-login";

        assert_eq!(verifier(node, name).await?, None);
        let delay: BlockNumber = node
            .runtime_api("VerifierChangesApi_config_delay", &[])
            .await?;
        assert_eq!(delay, DELAY);

        // Register: in effect at once, the deposit held.
        let register = RuntimeCall::Verifiers(VerifiersCall::register {
            name: bounded(name.as_bytes()),
            config: config(&["acme-web"]),
        });
        let events = node.submit_and_watch(dapp, register).await?;
        assert!(succeeded(&events), "register failed: {events:?}");
        assert!(
            events.contains(&RuntimeEvent::Verifiers(VerifiersEvent::Registered {
                name: bounded(name.as_bytes()),
                owner: dapp.to_account_id(),
                deposit: 10 * UNIT,
            }))
        );
        let record = verifier(node, name).await?.expect("registered");
        assert_eq!(record.owner, dapp.to_account_id());
        assert_eq!(record.deposit, 10 * UNIT);
        assert_eq!(record.config, config(&["acme-web"]));
        assert_eq!(pending_change(node, name).await?, None);

        // Another audience: announced, then in effect exactly at its block.
        let widened = config(&["acme-web", "acme-ios"]);
        let (change, at) = announce(
            node,
            dapp,
            name,
            VerifiersCall::update_config {
                name: bounded(name.as_bytes()),
                config: widened.clone(),
            },
        )
        .await?;
        assert_eq!(change, VerifierChange::Config);
        assert_eq!(
            verifier(node, name).await?.expect("registered").config,
            config(&["acme-web"]),
            "an announced change is not in effect yet"
        );

        // Meanwhile someone else can neither change it, cancel its change nor take its name.
        let intruder = Sr25519Keyring::Bob;
        for call in [
            VerifiersCall::update_config {
                name: bounded(name.as_bytes()),
                config: config(&["evil"]),
            },
            VerifiersCall::cancel_change {
                name: bounded(name.as_bytes()),
            },
        ] {
            let events = node
                .submit_and_watch(intruder, RuntimeCall::Verifiers(call))
                .await?;
            let error = verifiers_error(&events)?;
            assert!(
                matches!(error, VerifiersError::NotOwner),
                "expected NotOwner, got {error:?}"
            );
        }
        let squat = RuntimeCall::Verifiers(VerifiersCall::register {
            name: bounded(name.as_bytes()),
            config: config(&["evil"]),
        });
        let events = node.submit_and_watch(intruder, squat).await?;
        let error = verifiers_error(&events)?;
        assert!(
            matches!(error, VerifiersError::NameTaken),
            "expected NameTaken, got {error:?}"
        );
        applies_exactly_at(node, name, change, at, &config(&["acme-web"]), &widened).await?;

        // A second signing key: announced, then in effect at its block.
        let ec_key = Jwk {
            kid: bounded(b"k2"),
            alg: JwkAlg::ES256,
            params: JwkParams::Ec {
                curve: EcCurve::P256,
                x: [7; 32],
                y: [9; 32],
            },
        };
        let (change, at) = announce(
            node,
            dapp,
            name,
            VerifiersCall::add_jwk {
                name: bounded(name.as_bytes()),
                jwk: ec_key.clone(),
            },
        )
        .await?;
        assert_eq!(change, VerifierChange::AddJwk(bounded(b"k2")));
        let mut expected = widened.clone();
        expected.jwks.try_push(ec_key).expect("room for two keys");
        applies_exactly_at(node, name, change, at, &widened, &expected).await?;

        // Removing a key is immediate.
        let remove = RuntimeCall::Verifiers(VerifiersCall::remove_jwk {
            name: bounded(name.as_bytes()),
            kid: bounded(b"k1"),
        });
        let events = node.submit_and_watch(dapp, remove).await?;
        assert!(succeeded(&events), "remove_jwk failed: {events:?}");
        expected.jwks.remove(0);
        assert_eq!(
            verifier(node, name).await?.expect("registered").config,
            expected
        );

        // Every node reads the same verifier.
        network
            .wait_finalized(node.best_number().await?, Duration::from_secs(60))
            .await?;
        for other in &network.nodes {
            assert_eq!(
                verifier(other, name).await?.expect("synced").config,
                expected,
                "{}",
                other.name
            );
        }
        Ok(())
    }
    .await;
    result.map_err(|e| e.context(network.log_tails()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newly_added_key_signs_logins_only_after_the_delay() -> Result<()> {
    let _guard = exclusive().await;
    let network = Network::local_validators().await?;
    let result: Result<()> = async {
        network.wait_finalized(1, Duration::from_secs(180)).await?;
        let nodes: Vec<&Node> = network.nodes.iter().collect();
        let dapp = Sr25519Keyring::Ferdie;
        let name = "rotating-dapp";
        let issuer = TestIssuer::new();

        // Registered with the issuer's RSA key only.
        let mut rsa_only = issuer.verifier_config();
        rsa_only.jwks = issuer
            .jwks()
            .into_iter()
            .filter(|key| key.kid.as_slice() == RSA_KID.as_bytes())
            .collect::<Vec<_>>()
            .try_into()
            .expect("one key");
        nodes[0]
            .register_verifier(dapp, name, rsa_only.clone(), 10)
            .await?;
        wait_for_keys(&nodes).await?;
        let endpoints = nodes
            .iter()
            .map(|n| format!("http://127.0.0.1:{}", n.rpc_port))
            .collect();
        let client = torus_client::TorusClient::new(endpoints);
        let key = client
            .retrieve_key(name, "carol", &issuer.token("carol", true))
            .await
            .context("a login signed with the registered key")?;

        // The issuer's P-256 key is announced ...
        let ec_key = issuer
            .jwks()
            .into_iter()
            .find(|key| key.kid.as_slice() == EC_KID.as_bytes())
            .expect("the issuer has an EC key");
        let (change, at) = announce(
            nodes[0],
            dapp,
            name,
            VerifiersCall::add_jwk {
                name: bounded(name.as_bytes()),
                jwk: ec_key,
            },
        )
        .await?;
        assert_eq!(change, VerifierChange::AddJwk(bounded(EC_KID.as_bytes())));

        // ... so a token it signed is refused before the effective block ...
        let refused = client
            .retrieve_key(name, "carol", &issuer.token("carol", false))
            .await;
        let seen_at = nodes[0].best_number().await?;
        ensure!(
            seen_at < at,
            "the refused login ended at block {seen_at}, not before block {at}: the test needs a longer delay"
        );
        match refused {
            Ok(_) => bail!("a token signed by the announced key was accepted before block {at}"),
            Err(error) => ensure!(
                format!("{error:#}").contains("kid"),
                "refused for another reason: {error:#}"
            ),
        }

        // ... and accepted once every node has finalized it.
        network.wait_finalized(at, Duration::from_secs(180)).await?;
        let mut with_ec = rsa_only.clone();
        with_ec.jwks = issuer.jwks().try_into().expect("two keys");
        for node in &nodes {
            assert_eq!(
                verifier(node, name).await?.expect("registered").config,
                with_ec,
                "{}",
                node.name
            );
        }
        let login = client
            .retrieve_key(name, "carol", &issuer.token("carol", false))
            .await
            .context("a login signed with the added key, after the delay")?;
        ensure!(
            login.private_key() == key.private_key(),
            "the same user got another key"
        );
        Ok(())
    }
    .await;
    result.map_err(|e| e.context(network.log_tails()))
}
