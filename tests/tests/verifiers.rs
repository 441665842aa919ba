//! A dapp registers and maintains a verifier with signed extrinsics over RPC, on the local
//! network of four validators, and reads it back through the `VerifiersApi` runtime API.

use std::time::Duration;

use anyhow::{bail, Result};
use codec::{Decode, Encode};
use polkadot_sdk::{frame_system, sp_keyring::Sr25519Keyring, sp_runtime::DispatchError};
use torus_integration_tests::{exclusive, Network, Node};
use torus_primitives::{
    EcCurve, IdClaim, IdClaimRule, Jwk, JwkAlg, JwkParams, KeyType, VerifierConfig, VerifierRecord,
};
use torus_runtime::{AccountId, Balance, Runtime, RuntimeCall, RuntimeEvent, UNIT};

type VerifiersCall = pallet_verifiers::Call<Runtime>;
type VerifiersEvent = pallet_verifiers::Event<Runtime>;
type VerifiersError = pallet_verifiers::Error<Runtime>;

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

fn succeeded(events: &[RuntimeEvent]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. })
        )
    })
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

#[tokio::test(flavor = "multi_thread")]
async fn a_dapp_registers_and_updates_a_verifier_over_rpc() -> Result<()> {
    let _guard = exclusive().await;
    let network = Network::local_validators().await?;
    let result: Result<()> = async {
        network.wait_finalized(1, Duration::from_secs(180)).await?;
        let node = network.node("bob");
        let dapp = Sr25519Keyring::Ferdie;
        let name = "acme-login";

        assert_eq!(verifier(node, name).await?, None);

        // Register: the deposit is held and the verifier is readable through the runtime API.
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

        // Update the accepted audiences, then add a second signing key.
        let update = RuntimeCall::Verifiers(VerifiersCall::update_config {
            name: bounded(name.as_bytes()),
            config: config(&["acme-web", "acme-ios"]),
        });
        assert!(succeeded(&node.submit_and_watch(dapp, update).await?));
        let ec_key = Jwk {
            kid: bounded(b"k2"),
            alg: JwkAlg::ES256,
            params: JwkParams::Ec {
                curve: EcCurve::P256,
                x: [7; 32],
                y: [9; 32],
            },
        };
        let add = RuntimeCall::Verifiers(VerifiersCall::add_jwk {
            name: bounded(name.as_bytes()),
            jwk: ec_key.clone(),
        });
        assert!(succeeded(&node.submit_and_watch(dapp, add).await?));
        let record = verifier(node, name).await?.expect("still registered");
        let mut expected = config(&["acme-web", "acme-ios"]);
        expected.jwks.try_push(ec_key).expect("room for two keys");
        assert_eq!(record.config, expected);

        // Someone else can neither change it nor take its name; nothing changes.
        let intruder = Sr25519Keyring::Bob;
        let hijack = RuntimeCall::Verifiers(VerifiersCall::update_config {
            name: bounded(name.as_bytes()),
            config: config(&["evil"]),
        });
        let events = node.submit_and_watch(intruder, hijack).await?;
        let error = verifiers_error(&events)?;
        assert!(
            matches!(error, VerifiersError::NotOwner),
            "expected NotOwner, got {error:?}"
        );
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
        assert_eq!(
            verifier(node, name)
                .await?
                .expect("still registered")
                .config,
            expected
        );

        // Every node reads the same verifier.
        for other in &network.nodes {
            let seen = verifier(other, name).await?;
            if seen.as_ref().map(|r| &r.config) != Some(&expected) {
                // Not imported yet on that node: wait for finality and read again.
                network
                    .wait_finalized(node.best_number().await?, Duration::from_secs(60))
                    .await?;
                assert_eq!(
                    verifier(other, name).await?.expect("synced").config,
                    expected
                );
            }
        }
        Ok(())
    }
    .await;
    result.map_err(|e| e.context(network.log_tails()))
}
