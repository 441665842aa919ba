//! The Torus chain as a network: real `torus-node` processes on loopback.

use std::time::Duration;

use anyhow::{Context, Result};
use polkadot_sdk::{pallet_session, sp_keyring::Sr25519Keyring};
use torus_integration_tests::{exclusive, wait_for, Network};
use torus_runtime::{AccountId, Runtime};

/// Runs `test`; on failure, adds the tail of every node's log to the error.
async fn with_logs<F, Fut>(network: &Network, test: F) -> Result<()>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    test().await.map_err(|e| e.context(network.log_tails()))
}

#[tokio::test(flavor = "multi_thread")]
async fn four_validators_finalize_blocks() -> Result<()> {
    let _guard = exclusive().await;
    let network = Network::local_validators().await?;
    with_logs(&network, || async {
        network.wait_finalized(3, Duration::from_secs(180)).await?;
        // Every node authors: each of the four validators has a block on the chain.
        let alice = network.node("alice");
        let best = alice.best_number().await?;
        assert!(best >= 3, "best block {best} below finalized 3");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn finality_continues_with_one_of_four_validators_killed() -> Result<()> {
    let _guard = exclusive().await;
    let mut network = Network::local_validators().await?;
    network
        .wait_finalized(2, Duration::from_secs(180))
        .await
        .map_err(|e| e.context(network.log_tails()))?;

    network.node_mut("dave").kill();
    let before = network.node("alice").finalized_number().await?;
    let result = network
        .wait_finalized(before + 5, Duration::from_secs(120))
        .await;
    result.map_err(|e| e.context(network.log_tails()))
}

/// Eve, who is not a genesis validator, bonds, registers session keys and declares her
/// intention to validate; a later era's election makes her part of the session's validators,
/// and the chain keeps finalizing with her.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_account_bonds_and_becomes_a_validator() -> Result<()> {
    let _guard = exclusive().await;
    let mut network = Network::local_validators().await?;
    network.start_validator("eve").await?;
    with_logs(&network, || async {
        network.wait_finalized(1, Duration::from_secs(180)).await?;
        let eve_node = network.node("eve");
        let eve: AccountId = Sr25519Keyring::Eve.to_account_id();

        let validators_key = pallet_session::Validators::<Runtime>::hashed_key();
        let validators: Vec<AccountId> = eve_node
            .storage_value(&validators_key)
            .await?
            .context("no session validators")?;
        assert_eq!(validators.len(), 4);
        assert!(
            !validators.contains(&eve),
            "eve is a validator before bonding"
        );

        eve_node.join_as_validator(Sr25519Keyring::Eve).await?;

        // Elected at the next era boundary, active from the session after (about 1–2 min).
        wait_for(Duration::from_secs(360), || async {
            let validators: Vec<AccountId> = eve_node
                .storage_value(&validators_key)
                .await?
                .unwrap_or_default();
            Ok(validators.contains(&eve))
        })
        .await
        .context("eve never became a session validator")?;

        // GRANDPA keeps finalizing with the five-member authority set.
        let now = network.node("alice").finalized_number().await?;
        network
            .wait_finalized(now + 3, Duration::from_secs(120))
            .await
    })
    .await
}
