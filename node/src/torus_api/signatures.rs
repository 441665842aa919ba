//! The nodes' signatures on token commitments: how a node signs one (`CommitmentRequest`), and
//! the check that a login presents enough of them (`GetShareOrKeyAssign`). Pure functions of
//! their inputs: no chain, no clock.

use k256::{
    ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey},
    AffinePoint,
};
use polkadot_sdk::sp_core::ByteArray;
use torus_primitives::dkg::DkgId;

use torus_rpc_api::{
    encoding::{decode_hex32, keccak256, point_from_hex},
    CommitmentData, NodeSignature,
};

use super::{
    error::{internal, ApiError},
    COMMITMENT_SIGNATURE_MAX_AGE_SECS,
};
use crate::id_token::CLOCK_SKEW_SECS;

/// The client's session key, if ⌊n/2⌋+1 distinct members of `committee` signed `commitment`
/// for `verifier` within [`COMMITMENT_SIGNATURE_MAX_AGE_SECS`] before `now`, all naming the
/// same session key. More signatures than members are refused before any is recovered (each
/// recovery costs a scalar multiplication); signatures that do not count are skipped, and
/// checking stops once enough are valid.
pub fn check_node_signatures(
    committee: &[DkgId],
    signatures: &[NodeSignature],
    commitment: &[u8; 32],
    verifier: &str,
    now: u64,
) -> Result<AffinePoint, ApiError> {
    if signatures.len() > committee.len() {
        return Err(ApiError::TooManySignatures {
            found: signatures.len(),
            members: committee.len(),
        });
    }
    let required = committee.len() / 2 + 1;
    let mut signers: Vec<&DkgId> = Vec::with_capacity(required);
    let mut session_key: Option<AffinePoint> = None;
    for signature in signatures {
        let Some(data) = CommitmentData::decode(&signature.data) else {
            continue;
        };
        // `signed_at` is the client's to write until the signature is checked: no overflow.
        let fresh = data
            .signed_at
            .saturating_add(COMMITMENT_SIGNATURE_MAX_AGE_SECS)
            >= now
            && data.signed_at <= now.saturating_add(CLOCK_SKEW_SECS);
        if !fresh
            || data.verifier != verifier
            || decode_hex32(&data.token_commitment).ok().as_ref() != Some(commitment)
        {
            continue;
        }
        let Some(signer) = recover_eth(&signature.signature, signature.data.as_bytes()) else {
            continue;
        };
        let Some(member) = committee
            .iter()
            .find(|key| key.as_slice() == signer.as_slice())
        else {
            continue;
        };
        let Ok(temp) = point_from_hex(&data.temp_pub_x, &data.temp_pub_y) else {
            continue;
        };
        if *session_key.get_or_insert(temp) != temp || signers.contains(&member) {
            continue;
        }
        signers.push(member);
        if signers.len() == required {
            break;
        }
    }
    match session_key {
        Some(key) if signers.len() >= required => Ok(key),
        _ => Err(ApiError::NotEnoughSignatures {
            found: signers.len(),
            required,
        }),
    }
}

/// `r ‖ s ‖ v` (`v` 27 or 28) by `key` over keccak-256 of `message`, as Ethereum signs.
pub fn sign_eth(key: &SigningKey, message: &[u8]) -> Result<[u8; 65], ApiError> {
    let (signature, recovery) = key
        .sign_prehash_recoverable(&keccak256(message))
        .map_err(|e| internal("signing", e))?;
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&signature.to_bytes());
    out[64] = 27 + recovery.to_byte();
    Ok(out)
}

/// The compressed key that made the `r ‖ s ‖ v` hex signature over keccak-256 of `message`.
pub fn recover_eth(signature_hex: &str, message: &[u8]) -> Option<[u8; 33]> {
    let digits = signature_hex.strip_prefix("0x").unwrap_or(signature_hex);
    if digits.len() != 130 {
        return None;
    }
    let mut bytes = [0u8; 65];
    hex::decode_to_slice(digits, &mut bytes).ok()?;
    let recovery = match bytes[64] {
        v @ (27 | 28) => v - 27,
        v @ (0 | 1) => v,
        _ => return None,
    };
    let signature = Signature::from_slice(&bytes[..64]).ok()?;
    let key = VerifyingKey::recover_from_prehash(
        &keccak256(message),
        &signature,
        RecoveryId::from_byte(recovery)?,
    )
    .ok()?;
    key.to_encoded_point(true).as_bytes().try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use polkadot_sdk::sp_core::{ecdsa, Pair as _};
    use torus_primitives::dkg::app;
    use torus_rpc_api::encoding::{point_to_hex, to_hex};

    #[test]
    fn an_eth_signature_recovers_its_signer_and_nothing_else() {
        let pair = app::Pair::from_seed(&[7; 32]);
        let key = SigningKey::from_bytes(&[7; 32].into()).expect("a scalar");
        let signature = sign_eth(&key, b"hello").expect("signs");
        assert!(matches!(signature[64], 27 | 28));
        let text = hex::encode(signature);
        assert_eq!(
            recover_eth(&text, b"hello").map(|p| p.to_vec()),
            Some(pair.public().as_slice().to_vec())
        );
        // Substrate's ECDSA recovers the same key from the same signature (0/1 recovery byte).
        let mut substrate = signature;
        substrate[64] -= 27;
        assert_eq!(
            ecdsa::Signature::from_raw(substrate)
                .recover_prehashed(&keccak256(b"hello"))
                .map(|p| p.0.to_vec()),
            Some(pair.public().as_slice().to_vec())
        );
        assert_ne!(
            recover_eth(&text, b"hellO").map(|p| p.to_vec()),
            Some(pair.public().as_slice().to_vec())
        );
        assert_eq!(recover_eth("zz", b"hello"), None);
        assert_eq!(recover_eth(&"ab".repeat(100_000), b"hello"), None);
        let mut bad_v = signature;
        bad_v[64] = 30;
        assert_eq!(recover_eth(&hex::encode(bad_v), b"hello"), None);
    }

    const NOW: u64 = 1_800_000_000;
    const COMMITMENT: [u8; 32] = [0x42; 32];

    struct Node {
        key: SigningKey,
        id: DkgId,
    }

    fn committee(n: u8) -> Vec<Node> {
        (1..=n)
            .map(|i| {
                let pair = app::Pair::from_seed(&[i; 32]);
                Node {
                    key: SigningKey::from_bytes(&[i; 32].into()).expect("a scalar"),
                    id: pair.public(),
                }
            })
            .collect()
    }

    fn session_key(seed: u8) -> AffinePoint {
        *SigningKey::from_bytes(&[seed; 32].into())
            .expect("a scalar")
            .verifying_key()
            .as_affine()
    }

    fn signed(node: &Node, session: &AffinePoint, verifier: &str, signed_at: u64) -> NodeSignature {
        let (x, y) = point_to_hex(session);
        let data = CommitmentData {
            token_commitment: to_hex(&COMMITMENT),
            temp_pub_x: x,
            temp_pub_y: y,
            verifier: verifier.into(),
            signed_at,
        }
        .encode();
        NodeSignature {
            signature: hex::encode(sign_eth(&node.key, data.as_bytes()).expect("signs")),
            data,
            nodepubx: String::new(),
            nodepuby: String::new(),
            nodeindex: String::new(),
            pub_key_x: String::new(),
        }
    }

    fn check(nodes: &[Node], signatures: &[NodeSignature]) -> Result<AffinePoint, ApiError> {
        let ids: Vec<DkgId> = nodes.iter().map(|n| n.id.clone()).collect();
        check_node_signatures(&ids, signatures, &COMMITMENT, "demo", NOW)
    }

    fn found(result: Result<AffinePoint, ApiError>) -> usize {
        match result {
            Err(ApiError::NotEnoughSignatures { found, required }) => {
                assert_eq!(required, 3);
                found
            }
            other => panic!("expected too few signatures, got {other:?}"),
        }
    }

    #[test]
    fn a_majority_of_the_committee_gives_the_session_key() {
        let nodes = committee(4);
        let session = session_key(9);
        let sigs: Vec<_> = nodes[..3]
            .iter()
            .map(|n| signed(n, &session, "demo", NOW))
            .collect();
        assert_eq!(check(&nodes, &sigs).ok(), Some(session));
        assert_eq!(found(check(&nodes, &sigs[..2])), 2);
    }

    #[test]
    fn signatures_that_do_not_count_are_skipped() {
        let nodes = committee(4);
        let outsider = committee(6).pop().expect("six");
        let session = session_key(9);
        let good = |i: usize| signed(&nodes[i], &session, "demo", NOW);
        // The same signer twice counts once.
        assert_eq!(found(check(&nodes, &[good(0), good(0), good(1)])), 2);
        // A signer outside the committee does not count.
        let foreign = signed(&outsider, &session, "demo", NOW);
        assert_eq!(found(check(&nodes, &[good(0), good(1), foreign])), 2);
        // Another verifier, a stale or a future signature does not count.
        let other = signed(&nodes[2], &session, "other", NOW);
        let stale = signed(&nodes[2], &session, "demo", NOW - 121);
        let future = signed(&nodes[2], &session, "demo", NOW + 61);
        for bad in [other, stale, future] {
            assert_eq!(found(check(&nodes, &[good(0), good(1), bad])), 2);
        }
        // Another session key does not count.
        let elsewhere = signed(&nodes[2], &session_key(8), "demo", NOW);
        assert_eq!(found(check(&nodes, &[good(0), good(1), elsewhere])), 2);
        // A signature over other data does not count.
        let mut forged = good(2);
        forged.data = forged.data.replace("demo", "demO");
        assert_eq!(found(check(&nodes, &[good(0), good(1), forged])), 2);
    }

    #[test]
    fn absurd_times_and_too_many_signatures_are_refused_without_panicking() {
        let nodes = committee(4);
        let session = session_key(9);
        let huge = signed(&nodes[0], &session, "demo", u64::MAX);
        assert_eq!(found(check(&nodes, &[huge])), 0);
        let ids: Vec<DkgId> = nodes.iter().map(|n| n.id.clone()).collect();
        let at_max = check_node_signatures(
            &ids,
            &[signed(&nodes[0], &session, "demo", 0)],
            &COMMITMENT,
            "demo",
            u64::MAX,
        );
        assert!(matches!(at_max, Err(ApiError::NotEnoughSignatures { .. })));
        let five: Vec<_> = (0..5)
            .map(|_| signed(&nodes[0], &session, "demo", NOW))
            .collect();
        assert!(matches!(
            check(&nodes, &five),
            Err(ApiError::TooManySignatures {
                found: 5,
                members: 4
            })
        ));
        assert_eq!(found(check(&nodes, &[])), 0);
    }
}
