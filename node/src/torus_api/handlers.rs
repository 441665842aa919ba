//! The four methods of the Torus API.

use std::{
    net::IpAddr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use codec::{Decode, Encode};
use jsonrpsee::types::Params;
use k256::{
    elliptic_curve::ops::MulByGenerator, AffinePoint, ProjectivePoint, PublicKey as K256PublicKey,
};
use pallet_keys::AssignRefusal;
use polkadot_sdk::{
    sc_transaction_pool_api::{
        error::{Error as PoolError, IntoPoolError},
        TransactionPool, TransactionSource,
    },
    sp_core::Pair as _,
    sp_runtime::{transaction_validity::InvalidTransaction, OpaqueExtrinsic},
};
use rand::rngs::OsRng;
use serde_json::Value;
use torus_crypto::ecies::{self, EncryptionPublicKey};
use torus_primitives::{dkg::DkgId, keys::assign_payload, AssignedKey, KeyType, VerifierConfig};
use torus_rpc_api::{
    encoding::{decode_hex32, eth_address, point_to_hex, to_hex},
    CommitmentData, EciesMetadata, LookupKey, LookupResult, NodeSignature, NonceData, PubNonce,
    PublicKeyXY, SessionToken, ShareKey, ShareResult,
};
use torus_runtime::{opaque::Block, Hash, RuntimeCall};

use super::{
    chain::Finalized,
    error::{internal, ApiError},
    guards::{GuardError, COMMITMENT_TTL_SECS},
    lock, params,
    signatures::{check_node_signatures, sign_eth},
    ApiClient, TorusApi,
};
use crate::id_token;

/// How long a login waits for its key assignment, or its verifier, to be finalized.
const FINALITY_TIMEOUT: Duration = Duration::from_secs(45);
/// The most public nonce points kept in memory.
const NONCES_CACHED: usize = 100_000;

/// The system clock in Unix seconds (0 before 1970).
pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn guard_refusal(e: GuardError) -> ApiError {
    match e {
        GuardError::Seen => ApiError::DuplicateToken,
        GuardError::Full => ApiError::Busy,
        e @ GuardError::Io { .. } => internal("writing the replay journal", e),
    }
}

impl<C: ApiClient, P> TorusApi<C, P>
where
    P: TransactionPool<Block = Block, Hash = Hash> + 'static,
{
    /// The verifier `name` at the best block, if registered, within its request rate for
    /// `caller`. (Checked in this order, so the rate limiter only ever holds registered names.)
    fn admit(&self, name: &str, caller: Option<IpAddr>) -> Result<VerifierConfig, ApiError> {
        let config = self.verifier(self.best(), name)?;
        self.admit_for_verifier(name, caller)?;
        Ok(config)
    }

    /// [`Self::admit`] for a lookup: a DirectAuth verifier's users have keys of their own, a
    /// threshold-signing verifier's users the network keys of their TSS keys (as the chain
    /// decides, `pallet_keys::AssignRefusal::KeyTypeNotServed`).
    fn admit_lookup(&self, user: &params::User, caller: Option<IpAddr>) -> Result<(), ApiError> {
        let config = self.admit(&user.verifier, caller)?;
        let expected = match user.tss {
            true => KeyType::ThresholdSigning,
            false => KeyType::DirectAuth,
        };
        if config.key_type != expected {
            return Err(ApiError::VerifierNotSupported(user.verifier.clone()));
        }
        Ok(())
    }

    pub(super) fn verifier_lookup(
        &self,
        params: Params<'static>,
        caller: Option<IpAddr>,
    ) -> Result<LookupResult, ApiError> {
        let user = params::lookup(&params)?;
        self.admit_lookup(&user, caller)?;
        let key = self
            .lookup_finalized(&user.verifier, &user.user_id)?
            .ok_or(ApiError::NotAssigned)?;
        let (x, y, address) = key_hex(&key)?;
        Ok(LookupResult {
            keys: vec![LookupKey {
                pub_key_x: x,
                pub_key_y: y,
                address,
                nonce_data: None,
            }],
            is_new_key: Value::Null,
            node_index: Value::Null,
            server_time_offset: time_offset(user.client_time.as_deref()),
        })
    }

    pub(super) async fn get_pub_key_or_assign(
        &self,
        params: Params<'static>,
        caller: Option<IpAddr>,
    ) -> Result<LookupResult, ApiError> {
        let user = params::lookup(&params)?;
        self.admit_lookup(&user, caller)?;
        let key = self.ensure_assigned(&user.verifier, &user.user_id).await?;
        let member = self.member()?;
        let (x, y, address) = key_hex(&key)?;
        // A TSS key's network key has no metadata nonce: the client adds none to it.
        let nonce_data = match user.tss {
            true => None,
            false => Some(self.nonce_data(&key.nonce, false)?),
        };
        Ok(LookupResult {
            keys: vec![LookupKey {
                pub_key_x: x,
                pub_key_y: y,
                address,
                nonce_data,
            }],
            is_new_key: Value::Bool(false),
            node_index: Value::String(member.index.to_string()),
            server_time_offset: time_offset(user.client_time.as_deref()),
        })
    }

    pub(super) fn commitment_request(
        &self,
        params: Params<'static>,
        caller: Option<IpAddr>,
    ) -> Result<NodeSignature, ApiError> {
        let request = params::commitment(&params)?;
        self.admit(&request.verifier, caller)?;
        let member = self.member()?;
        let existing = match &request.verifier_id {
            Some(id) => self.lookup_finalized(&request.verifier, id)?,
            None => None,
        };
        let now = now_secs();
        // Durably remembered before it is signed: a restarted node refuses it too.
        lock(&self.replay)
            .remember_commitment(
                request.commitment,
                now.saturating_add(COMMITMENT_TTL_SECS),
                now,
            )
            .map_err(guard_refusal)?;
        let (temp_x, temp_y) = point_to_hex(&request.session_key);
        let data = CommitmentData {
            token_commitment: to_hex(&request.commitment),
            temp_pub_x: temp_x,
            temp_pub_y: temp_y,
            verifier: request.verifier,
            signed_at: now,
        }
        .encode();
        let (node_x, node_y) = member.public_xy.clone();
        Ok(NodeSignature {
            signature: hex::encode(sign_eth(&member.signer, data.as_bytes())?),
            data,
            nodepubx: node_x,
            nodepuby: node_y,
            nodeindex: member.index.to_string(),
            pub_key_x: match existing {
                Some(key) => key_hex(&key)?.0,
                None => String::new(),
            },
        })
    }

    pub(super) async fn get_share_or_assign(
        &self,
        params: Params<'static>,
        caller: Option<IpAddr>,
    ) -> Result<ShareResult, ApiError> {
        let params::Login {
            item,
            commitment,
            client_time,
        } = params::login(&params)?;
        self.admit(&item.verifieridentifier, caller)?;
        let names_token = |s: &NodeSignature| {
            CommitmentData::decode(&s.data)
                .is_some_and(|d| decode_hex32(&d.token_commitment).ok() == Some(commitment))
        };
        if !item.nodesignatures.is_empty() && !item.nodesignatures.iter().any(names_token) {
            // Signed commitments, but to another token.
            return Err(ApiError::CommitmentMismatch);
        }
        let now = now_secs();
        // Signed by a threshold of one committee that holds keys, before anything else; the
        // committee of the user's key is checked once the key is known.
        let check = |committee: &[DkgId]| {
            check_node_signatures(
                committee,
                &item.nodesignatures,
                &commitment,
                &item.verifieridentifier,
                now,
            )
        };
        let mut signed = None;
        let mut refusal = None;
        for epoch in self.holding_epochs()?.iter().rev() {
            match check(&epoch.members) {
                Ok(key) => {
                    signed = Some((epoch.epoch, key));
                    break;
                }
                // The newest committee's refusal is the one the client hears.
                Err(e) => {
                    refusal.get_or_insert(e);
                }
            }
        }
        let (signed_by, mut session_key) = signed
            .ok_or_else(|| refusal.unwrap_or(ApiError::NoShare("no committee holds keys")))?;
        // The token is checked against the verifier as finalized: a fork cannot change it.
        let config = self.finalized_verifier(&item.verifieridentifier).await?;
        // The network keys of TSS keys are used, never handed out.
        if config.key_type != KeyType::DirectAuth {
            return Err(ApiError::NeverReleased);
        }
        let verified = id_token::verify(&item.idtoken, &config, now).map_err(ApiError::IdToken)?;
        if verified.verifier_id.as_slice() != item.verifier_id.as_bytes() {
            return Err(ApiError::VerifierIdMismatch);
        }
        let key = self
            .ensure_assigned(&item.verifieridentifier, &item.verifier_id)
            .await?;
        let (holders, member) = self.holders_of(&key)?;
        let member = member.ok_or(ApiError::NoShare(
            "not a member of the committee that holds the key",
        ))?;
        if holders.epoch != signed_by {
            session_key = check(&holders.members)?;
        }
        let (share_index, share) = self.share_of(&key, &member).await?;
        // Durably remembered before the share leaves the node, by commitment and by signed
        // digest (an ECDSA token re-spelled with `(r, n − s)` has a new commitment but the same
        // digest); kept until the token's capped expiry.
        lock(&self.replay)
            .mark_answered(
                [verified.commitment, verified.signed_digest],
                verified.replay_deadline(),
                now_secs(),
            )
            .map_err(guard_refusal)?;

        let recipient = EncryptionPublicKey::from_point(&ProjectivePoint::from(session_key))
            .map_err(|_| ApiError::BadSessionKey)?;
        let encrypt = |plaintext: &[u8]| {
            ecies::encrypt(&recipient, plaintext, &mut OsRng)
                .map(|ct| EciesMetadata::split(&ct))
                .map_err(|e| internal("encrypting", e))
        };
        let (share_ct, share_metadata) = encrypt(share.as_ref())?;

        let (temp_x, temp_y) = point_to_hex(&session_key);
        let session = SessionToken {
            // Bounded by `params::login`: at most a week after now.
            exp: now.saturating_add(item.session_token_exp_second),
            temp_key_x: temp_x,
            temp_key_y: temp_y,
            verifier_name: item.verifieridentifier.clone(),
            verifier_id: item.verifier_id.clone(),
            node_index: member.index,
        };
        let session_json =
            serde_json::to_vec(&session).map_err(|e| internal("encoding a session token", e))?;
        let session_sig = sign_eth(&member.signer, STANDARD.encode(&session_json).as_bytes())?;
        let (token_ct, token_metadata) = encrypt(&session_json)?;
        let (sig_ct, sig_metadata) = encrypt(&session_sig)?;

        let (x, y, _) = key_hex(&key)?;
        let (node_x, node_y) = member.public_xy.clone();
        Ok(ShareResult {
            keys: vec![ShareKey {
                public_key: PublicKeyXY { x, y },
                node_index: Value::String(share_index.to_string()),
                share: STANDARD.encode(share_ct.as_bytes()),
                share_metadata: Some(share_metadata),
                nonce_data: Some(self.nonce_data(&key.nonce, true)?),
            }],
            session_tokens: vec![token_ct],
            session_token_metadata: vec![token_metadata],
            session_token_sigs: vec![sig_ct],
            session_token_sig_metadata: vec![sig_metadata],
            node_pubx: node_x,
            node_puby: node_y,
            is_new_key: Value::String("false".into()),
            server_time_offset: time_offset(client_time.as_deref()),
        })
    }

    /// The verifier `name` as recorded in the finalized block; if it is so far only in the
    /// best block (just registered), once that block is finalized.
    async fn finalized_verifier(&self, name: &str) -> Result<VerifierConfig, ApiError> {
        let read = || match self.verifier(self.finalized_hash(), name) {
            Ok(config) => Ok(Some(config)),
            Err(ApiError::VerifierNotSupported(_)) => Ok(None),
            Err(e) => Err(e),
        };
        if let Some(config) = read()? {
            return Ok(config);
        }
        // Not finalized: wait only for a verifier the best block has.
        self.verifier(self.best(), name)?;
        self.when_finalized(FINALITY_TIMEOUT, read, ApiError::AssignmentTimeout)
            .await
    }

    /// The user's key in the finalized block, assigned on chain first if needed (and then
    /// waited for until its block is finalized).
    async fn ensure_assigned(&self, verifier: &str, id: &str) -> Result<AssignedKey, ApiError> {
        if let Some(key) = self.lookup_finalized(verifier, id)? {
            return Ok(key);
        }
        let best = self.best();
        if self.lookup_at(best, verifier, id)?.is_none() {
            self.submit_assignment(best, verifier, id).await?;
        }
        self.when_finalized(
            FINALITY_TIMEOUT,
            || {
                if let Some(key) = self.lookup_finalized(verifier, id)? {
                    return Ok(Some(key));
                }
                // The pool takes more new users than keys are left (each is checked alone):
                // once the best block has no allowance left and no key for this user, none
                // will come, and waiting out the timeout would only hide why.
                let best = self.best();
                if self.lookup_at(best, verifier, id)?.is_none()
                    && self.allowance_at(best, verifier)? == 0
                {
                    return Err(ApiError::AllowanceSpent);
                }
                Ok(None)
            },
            ApiError::AssignmentTimeout,
        )
        .await
    }

    /// Submits `keys.assign` for the user, signed with this node's DKG key, at block `at`.
    async fn submit_assignment(&self, at: Hash, verifier: &str, id: &str) -> Result<(), ApiError> {
        self.verifier(at, verifier)?;
        // Any committee member may assign; the finalized committee's key is the one we hold.
        let member = self.member()?;
        let call = pallet_keys::Call::<torus_runtime::Runtime>::assign {
            verifier: bounded(verifier)?,
            verifier_id: bounded(id)?,
            assigner: member.pair.public(),
            signature: member
                .pair
                .sign(&assign_payload(verifier.as_bytes(), id.as_bytes())),
        };
        let xt = torus_runtime::UncheckedExtrinsic::new_bare(RuntimeCall::Keys(call));
        let opaque = OpaqueExtrinsic::decode(&mut &xt.encode()[..])
            .map_err(|e| internal("encoding an assignment", e))?;
        match self
            .pool
            .submit_one(at, TransactionSource::Local, opaque)
            .await
            .map_err(|e| e.into_pool_error())
        {
            Ok(_)
            | Err(Ok(PoolError::AlreadyImported(_)))
            | Err(Ok(PoolError::TooLowPriority { .. }))
            | Err(Ok(PoolError::InvalidTransaction(InvalidTransaction::Stale))) => Ok(()),
            Err(Ok(PoolError::InvalidTransaction(InvalidTransaction::ExhaustsResources))) => {
                Err(ApiError::VerifierBlockFull)
            }
            Err(Ok(PoolError::InvalidTransaction(InvalidTransaction::Custom(code)))) => {
                Err(assign_refusal(verifier, code))
            }
            Err(Ok(e)) => Err(internal("submitting an assignment", e)),
            Err(Err(e)) => Err(internal("submitting an assignment", e)),
        }
    }

    /// The `nonce_data` of a key with nonce `nonce` (the scalar only if `with_scalar`); the
    /// public nonce point is computed once per nonce.
    fn nonce_data(&self, nonce: &[u8; 32], with_scalar: bool) -> Result<NonceData, ApiError> {
        let cached = lock(&self.finalized).pub_nonces.get(nonce).cloned();
        let pub_nonce = match cached {
            Some(point) => point,
            None => {
                let point = pub_nonce(nonce)?;
                let mut cache = lock(&self.finalized);
                Finalized::room(&mut cache.pub_nonces, NONCES_CACHED);
                cache.pub_nonces.insert(*nonce, point.clone());
                point
            }
        };
        Ok(NonceData::v2(pub_nonce, with_scalar.then(|| to_hex(nonce))))
    }
}

fn bounded<S: polkadot_sdk::sp_core::Get<u32>>(
    text: &str,
) -> Result<polkadot_sdk::sp_runtime::BoundedVec<u8, S>, ApiError> {
    text.as_bytes()
        .to_vec()
        .try_into()
        .map_err(|_| ApiError::TooLong("verifier or verifier_id"))
}

/// The API error of a refused assignment's `Custom` code.
fn assign_refusal(verifier: &str, code: u8) -> ApiError {
    match AssignRefusal::from_code(code) {
        Some(AssignRefusal::UnknownVerifier | AssignRefusal::KeyTypeNotServed) => {
            ApiError::VerifierNotSupported(verifier.to_owned())
        }
        Some(AssignRefusal::EmptyVerifierId) => ApiError::AssignmentRefused("empty verifier_id"),
        Some(AssignRefusal::VerifierIdNotNormalized) => {
            ApiError::AssignmentRefused("verifier_id must be lower-case for this verifier")
        }
        Some(AssignRefusal::BufferEmpty) => {
            ApiError::AssignmentRefused("no key is ready; the validators are generating more")
        }
        Some(AssignRefusal::AllowanceSpent) => ApiError::AllowanceSpent,
        Some(AssignRefusal::VerifierBlockFull) => ApiError::VerifierBlockFull,
        Some(AssignRefusal::MalformedUserId) => {
            ApiError::AssignmentRefused("malformed TSS key name")
        }
        None => ApiError::AssignmentRefused("refused by the chain"),
    }
}

/// The padded hex X and Y and the Ethereum address of a key from the chain.
fn key_hex(key: &AssignedKey) -> Result<(String, String, String), ApiError> {
    let point = decompress(&key.public_key.0)?;
    let (x, y) = point_to_hex(&point);
    Ok((x, y, eth_address(&point)))
}

/// The affine point of a compressed key from the chain.
fn decompress(bytes: &[u8]) -> Result<AffinePoint, ApiError> {
    K256PublicKey::from_sec1_bytes(bytes)
        .map(|key| *key.as_affine())
        .map_err(|e| internal("decoding a public key", e))
}

/// `nonce·G` as the client protocol sends it.
fn pub_nonce(nonce: &[u8; 32]) -> Result<PubNonce, ApiError> {
    let scalar = torus_crypto::encoding::nonzero_scalar_from_bytes(nonce)
        .map_err(|e| internal("decoding a nonce", e))?;
    let (x, y) = point_to_hex(&ProjectivePoint::mul_by_generator(&scalar).to_affine());
    Ok(PubNonce { x, y })
}

/// The node's clock minus the client's `client_time` (Unix seconds, decimal), in seconds, as a
/// decimal string; 0 without a readable client time.
fn time_offset(client_time: Option<&str>) -> Value {
    let now = i64::try_from(now_secs()).unwrap_or(i64::MAX);
    client_time
        .and_then(|t| t.parse::<i64>().ok())
        .map(|client| now.saturating_sub(client))
        .unwrap_or(0)
        .to_string()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_nonce_is_the_nonce_times_g() {
        let mut nonce = [0u8; 32];
        nonce[31] = 1;
        let (gx, gy) = point_to_hex(&AffinePoint::GENERATOR);
        assert_eq!(
            pub_nonce(&nonce).expect("valid"),
            PubNonce {
                x: gx.clone(),
                y: gy
            }
        );
        nonce[31] = 2;
        assert_ne!(pub_nonce(&nonce).expect("valid").x, gx);
        assert!(pub_nonce(&[0; 32]).is_err(), "zero is not a nonce");
        assert!(pub_nonce(&[0xff; 32]).is_err(), "not below the group order");
    }

    #[test]
    fn every_assignment_refusal_has_its_api_error() {
        let api = |refusal: AssignRefusal| assign_refusal("demo", refusal.code()).code();
        assert_eq!(api(AssignRefusal::UnknownVerifier), 1001);
        assert_eq!(api(AssignRefusal::KeyTypeNotServed), 1001);
        assert_eq!(api(AssignRefusal::EmptyVerifierId), 1003);
        assert_eq!(api(AssignRefusal::BufferEmpty), 1003);
        assert_eq!(api(AssignRefusal::AllowanceSpent), 1005);
        assert_eq!(api(AssignRefusal::VerifierBlockFull), 1006);
        assert_eq!(assign_refusal("demo", 200).code(), 1003);
    }

    #[test]
    fn the_time_offset_survives_absurd_client_times() {
        for time in ["-9223372036854775808", "9223372036854775807", "x", "1e300"] {
            let offset = time_offset(Some(time));
            assert!(
                offset.as_str().is_some_and(|o| o.parse::<i64>().is_ok()),
                "{time}"
            );
        }
        assert_eq!(time_offset(None), Value::String("0".into()));
        let now = now_secs();
        let offset = time_offset(Some(&(now - 5).to_string()));
        let offset: i64 = offset
            .as_str()
            .expect("a string")
            .parse()
            .expect("a number");
        assert!((5..=6).contains(&offset), "{offset}");
    }
}
