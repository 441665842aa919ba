//! Chain access over a node's standard JSON-RPC API: signed extrinsics of the Torus runtime
//! (sr25519 key from a secret URI such as `//Alice`), submission with inclusion and outcome,
//! runtime API calls, the verifier calls of `pallet-verifiers` and the key allowance of
//! `pallet-keys`.
//!
//! The runtime's own Rust types encode calls and decode events, so this module must be built
//! from the runtime version the chain runs (`spec_version` is checked at signing by the chain).

use std::time::{Duration, Instant};

use codec::{Decode, Encode};
use jsonrpsee::{
    core::{client::ClientT, params::ArrayParams, ClientError},
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
    ws_client::{WsClient, WsClientBuilder},
};
use polkadot_sdk::{
    frame_support::storage::storage_prefix,
    frame_system::{self, EventRecord, Phase},
    pallet_transaction_payment,
    sp_core::{crypto::Pair as _, sr25519, Bytes, H256},
    sp_runtime::{generic::Era, DispatchError, MultiAddress, MultiSignature},
};
use serde_json::Value;
use torus_primitives::verifier::{
    Jwk, JwkKeyId, Jwks, PendingChange, VerifierChange, VerifierConfig, VerifierName,
    VerifierRecord,
};
use torus_runtime::{
    AccountId, Balance, BlockNumber, RuntimeCall, RuntimeError, RuntimeEvent, SignedPayload,
    TxExtension, UncheckedExtrinsic,
};

/// How long [`ChainClient::submit_and_watch`] waits for inclusion by default.
pub const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// A verifier as the chain records it.
pub type VerifierRecordOf = VerifierRecord<AccountId, Balance>;

/// A verifier's announced change as the chain records it.
pub type PendingChangeOf = PendingChange<BlockNumber>;

/// A change of a verifier that an included extrinsic announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// What changes.
    pub change: VerifierChange,
    /// The block from which on the verifier has the new configuration.
    pub effective_at: BlockNumber,
}

impl Inclusion {
    /// The verifier change this extrinsic announced (`Verifiers::ChangeAnnounced`), if any.
    pub fn announcement(&self) -> Option<Announcement> {
        self.events.iter().find_map(|event| match event {
            RuntimeEvent::Verifiers(pallet_verifiers::Event::ChangeAnnounced {
                change,
                effective_at,
                ..
            }) => Some(Announcement {
                change: change.clone(),
                effective_at: *effective_at,
            }),
            _ => None,
        })
    }
}

/// The decimals of the TORUS token (`torus_runtime::UNIT` is 10¹² of its smallest unit).
pub const TORUS_DECIMALS: u32 = 12;

/// An amount in the chain's smallest unit as TORUS, without trailing zeros (`10 TORUS`,
/// `0.01 TORUS`).
pub fn format_torus(amount: Balance) -> String {
    let unit = torus_runtime::UNIT;
    let (whole, fraction) = (amount / unit, amount % unit);
    if fraction == 0 {
        return format!("{whole} TORUS");
    }
    let digits = format!("{fraction:0width$}", width = TORUS_DECIMALS as usize);
    format!("{whole}.{} TORUS", digits.trim_end_matches('0'))
}

/// The call that buys `keys` keys of allowance for the verifier `name` (`Keys.top_up`).
pub fn top_up_call(name: VerifierName, keys: u32) -> RuntimeCall {
    RuntimeCall::Keys(pallet_keys::Call::top_up {
        verifier: name,
        keys,
    })
}

/// Errors of chain access.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The URL is neither `http(s)://` nor `ws(s)://`, or the connection failed.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The node URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A JSON-RPC call failed.
    #[error("{method}: {source}")]
    Rpc {
        /// The method.
        method: String,
        /// The error.
        #[source]
        source: ClientError,
    },
    /// A reply that cannot be read.
    #[error("{method}: unexpected reply: {detail}")]
    Reply {
        /// The method.
        method: String,
        /// What was wrong.
        detail: String,
    },
    /// The secret URI is not an sr25519 key.
    #[error("invalid secret URI (expected e.g. //Alice or a mnemonic)")]
    InvalidSuri,
    /// The extrinsic was not included within the timeout.
    #[error("the extrinsic {0:?} was not included within the timeout")]
    NotIncluded(H256),
    /// The extrinsic was included but its call failed.
    #[error("the extrinsic failed in block #{block_number}: {error}")]
    DispatchFailed {
        /// The block that included it.
        block_number: u32,
        /// The error, with the pallet's error name when it is one of the runtime's.
        error: String,
    },
}

/// An sr25519 signing key (from a secret URI). `Debug` shows only the account.
pub struct Signer {
    pair: sr25519::Pair,
}

impl Signer {
    /// The key of a secret URI: a dev path (`//Alice`), a mnemonic with optional derivation, or
    /// a hex seed.
    pub fn from_suri(suri: &str) -> Result<Self, ChainError> {
        sr25519::Pair::from_string(suri, None)
            .map(|pair| Self { pair })
            .map_err(|_| ChainError::InvalidSuri)
    }

    /// The signer of an sr25519 key pair (e.g. a dev account's `Sr25519Keyring::pair()`).
    pub fn from_pair(pair: sr25519::Pair) -> Self {
        Self { pair }
    }

    /// The signer's account.
    pub fn account_id(&self) -> AccountId {
        self.pair.public().into()
    }
}

impl core::fmt::Debug for Signer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Signer({})", self.account_id())
    }
}

/// A signed, immortal, tipless extrinsic of the Torus runtime (the transaction extensions in
/// the runtime's `TxExtension` order).
pub fn sign_extrinsic(
    signer: &Signer,
    call: RuntimeCall,
    nonce: u32,
    genesis: H256,
    spec_version: u32,
    tx_version: u32,
) -> UncheckedExtrinsic {
    let extension: TxExtension = (
        frame_system::CheckNonZeroSender::new(),
        frame_system::CheckSpecVersion::new(),
        frame_system::CheckTxVersion::new(),
        frame_system::CheckGenesis::new(),
        frame_system::CheckEra::from(Era::Immortal),
        frame_system::CheckNonce::from(nonce),
        torus_runtime::stake_hold::KeepHandoverStake,
        frame_system::CheckWeight::new(),
        pallet_transaction_payment::ChargeTransactionPayment::from(0),
        frame_system::WeightReclaim::new(),
    );
    let implicit = (
        (),
        spec_version,
        tx_version,
        genesis,
        genesis,
        (),
        (),
        (),
        (),
        (),
    );
    let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
    let signature = payload.using_encoded(|bytes| signer.pair.sign(bytes));
    UncheckedExtrinsic::new_signed(
        call,
        MultiAddress::Id(signer.account_id()),
        MultiSignature::Sr25519(signature),
        extension,
    )
}

/// Where and how an extrinsic was included.
#[derive(Clone, Debug)]
pub struct Inclusion {
    /// The block's hash.
    pub block_hash: H256,
    /// The block's number.
    pub block_number: u32,
    /// The extrinsic's index in the block.
    pub index: u32,
    /// The events the extrinsic emitted, ending in `System::ExtrinsicSuccess`.
    pub events: Vec<RuntimeEvent>,
}

/// Boxed: the clients are large and of very different sizes.
enum Rpc {
    Http(Box<HttpClient>),
    Ws(Box<WsClient>),
}

/// A connection to one node's standard JSON-RPC API (HTTP or WebSocket).
pub struct ChainClient {
    url: String,
    rpc: Rpc,
}

impl ChainClient {
    /// Connects to `url` (`http://`, `https://`, `ws://` or `wss://`).
    pub async fn connect(url: &str) -> Result<Self, ChainError> {
        let connect_error = |reason: String| ChainError::Connect {
            url: url.to_owned(),
            reason,
        };
        let rpc = if url.starts_with("ws://") || url.starts_with("wss://") {
            Rpc::Ws(Box::new(
                WsClientBuilder::default()
                    .build(url)
                    .await
                    .map_err(|e| connect_error(e.to_string()))?,
            ))
        } else if url.starts_with("http://") || url.starts_with("https://") {
            Rpc::Http(Box::new(
                HttpClientBuilder::default()
                    .build(url)
                    .map_err(|e| connect_error(e.to_string()))?,
            ))
        } else {
            return Err(connect_error(
                "expected an http(s):// or ws(s):// URL".into(),
            ));
        };
        Ok(Self {
            url: url.to_owned(),
            rpc,
        })
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A JSON-RPC call with positional params.
    pub async fn call(&self, method: &str, params: ArrayParams) -> Result<Value, ChainError> {
        let result = match &self.rpc {
            Rpc::Http(c) => c.request(method, params).await,
            Rpc::Ws(c) => c.request(method, params).await,
        };
        result.map_err(|source| ChainError::Rpc {
            method: method.to_owned(),
            source,
        })
    }

    fn reply_error(method: &str, detail: impl Into<String>) -> ChainError {
        ChainError::Reply {
            method: method.to_owned(),
            detail: detail.into(),
        }
    }

    /// Signs `call` for `signer` with the account's next nonce (pending transactions
    /// included), the genesis hash and the runtime's versions.
    pub async fn sign(
        &self,
        signer: &Signer,
        call: RuntimeCall,
    ) -> Result<UncheckedExtrinsic, ChainError> {
        let method = "system_accountNextIndex";
        let nonce = self
            .call(method, rpc_params![signer.account_id().to_string()])
            .await?;
        let nonce = nonce
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| Self::reply_error(method, format!("nonce {nonce}")))?;
        let genesis = self.block_hash(0).await?;
        let method = "state_getRuntimeVersion";
        let version = self.call(method, rpc_params![]).await?;
        let field = |name: &str| {
            version[name]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| Self::reply_error(method, format!("no {name}")))
        };
        Ok(sign_extrinsic(
            signer,
            call,
            nonce,
            genesis,
            field("specVersion")?,
            field("transactionVersion")?,
        ))
    }

    /// The hash of block `number`.
    pub async fn block_hash(&self, number: u32) -> Result<H256, ChainError> {
        let method = "chain_getBlockHash";
        let hash = self.call(method, rpc_params![number]).await?;
        serde_json::from_value(hash).map_err(|e| Self::reply_error(method, e.to_string()))
    }

    /// The number of the best block.
    pub async fn best_number(&self) -> Result<u32, ChainError> {
        let method = "chain_getHeader";
        let header = self.call(method, rpc_params![]).await?;
        header["number"]
            .as_str()
            .and_then(|n| u32::from_str_radix(n.trim_start_matches("0x"), 16).ok())
            .ok_or_else(|| Self::reply_error(method, "header without number"))
    }

    /// Raw storage at block `at` (the best block if `None`).
    pub async fn storage(
        &self,
        key: &[u8],
        at: Option<H256>,
    ) -> Result<Option<Vec<u8>>, ChainError> {
        let method = "state_getStorage";
        match self
            .call(method, rpc_params![Bytes(key.to_vec()), at])
            .await?
        {
            Value::Null => Ok(None),
            value => serde_json::from_value::<Bytes>(value)
                .map(|b| Some(b.0))
                .map_err(|e| Self::reply_error(method, e.to_string())),
        }
    }

    /// Calls the runtime API function `method` (`Trait_function`) at the best block with
    /// SCALE-encoded `args`, and decodes its result.
    pub async fn runtime_api<R: Decode>(&self, method: &str, args: &[u8]) -> Result<R, ChainError> {
        let rpc = "state_call";
        let value = self
            .call(rpc, rpc_params![method, Bytes(args.to_vec())])
            .await?;
        let bytes: Bytes =
            serde_json::from_value(value).map_err(|e| Self::reply_error(rpc, e.to_string()))?;
        R::decode(&mut &bytes.0[..]).map_err(|e| Self::reply_error(method, e.to_string()))
    }

    /// Submits a signed extrinsic (`author_submitExtrinsic`) and returns its hash.
    pub async fn submit(&self, xt: &UncheckedExtrinsic) -> Result<H256, ChainError> {
        let method = "author_submitExtrinsic";
        let hash = self.call(method, rpc_params![Bytes(xt.encode())]).await?;
        serde_json::from_value(hash).map_err(|e| Self::reply_error(method, e.to_string()))
    }

    /// Signs and submits `call`, waits (up to `timeout`) until a block includes it, and returns
    /// its events; [`ChainError::DispatchFailed`] if the call failed.
    pub async fn submit_and_watch(
        &self,
        signer: &Signer,
        call: RuntimeCall,
        timeout: Duration,
    ) -> Result<Inclusion, ChainError> {
        let xt = self.sign(signer, call).await?;
        let encoded = xt.encode();
        let mut next = self.best_number().await? + 1;
        let xt_hash = self.submit(&xt).await?;
        let start = Instant::now();
        while start.elapsed() < timeout {
            while next <= self.best_number().await? {
                if let Some(inclusion) = self.find_in_block(next, &encoded).await? {
                    return Ok(inclusion);
                }
                next += 1;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(ChainError::NotIncluded(xt_hash))
    }

    async fn find_in_block(
        &self,
        number: u32,
        encoded: &[u8],
    ) -> Result<Option<Inclusion>, ChainError> {
        let method = "chain_getBlock";
        let block_hash = self.block_hash(number).await?;
        let block = self.call(method, rpc_params![block_hash]).await?;
        let extrinsics: Vec<Bytes> = serde_json::from_value(block["block"]["extrinsics"].clone())
            .map_err(|e| Self::reply_error(method, e.to_string()))?;
        let Some(index) = extrinsics.iter().position(|x| x.0 == encoded) else {
            return Ok(None);
        };
        let index = index as u32;
        let events: Vec<EventRecord<RuntimeEvent, H256>> = match self
            .storage(&storage_prefix(b"System", b"Events"), Some(block_hash))
            .await?
        {
            Some(bytes) => Decode::decode(&mut &bytes[..])
                .map_err(|e| Self::reply_error("System.Events", e.to_string()))?,
            None => Vec::new(),
        };
        let events: Vec<RuntimeEvent> = events
            .into_iter()
            .filter(|r| r.phase == Phase::ApplyExtrinsic(index))
            .map(|r| r.event)
            .collect();
        for event in &events {
            if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
                dispatch_error,
                ..
            }) = event
            {
                return Err(ChainError::DispatchFailed {
                    block_number: number,
                    error: describe_dispatch_error(dispatch_error),
                });
            }
        }
        Ok(Some(Inclusion {
            block_hash,
            block_number: number,
            index,
            events,
        }))
    }

    /// The verifier registered as `name`, read through the runtime API `VerifiersApi_verifier`.
    pub async fn verifier(&self, name: &str) -> Result<Option<VerifierRecordOf>, ChainError> {
        self.runtime_api("VerifiersApi_verifier", &name.as_bytes().to_vec().encode())
            .await
    }

    /// Registers a verifier (`Verifiers.register`), owned by `signer`, who pays the deposit.
    pub async fn register_verifier(
        &self,
        signer: &Signer,
        name: VerifierName,
        config: VerifierConfig,
    ) -> Result<Inclusion, ChainError> {
        let call = RuntimeCall::Verifiers(pallet_verifiers::Call::register { name, config });
        self.submit_and_watch(signer, call, INCLUSION_TIMEOUT).await
    }

    /// The keys of allowance the verifier `name` has left, read through the runtime API
    /// `KeysApi_allowance` (0 for an unknown verifier).
    pub async fn allowance(&self, name: &str) -> Result<u32, ChainError> {
        self.runtime_api("KeysApi_allowance", &name.as_bytes().to_vec().encode())
            .await
    }

    /// Buys `keys` keys of allowance for the verifier `name` (`Keys.top_up`): `signer` pays the
    /// chain's key fee for each, which is burned. Anyone may pay for any registered verifier.
    pub async fn top_up_allowance(
        &self,
        signer: &Signer,
        name: VerifierName,
        keys: u32,
    ) -> Result<Inclusion, ChainError> {
        self.submit_and_watch(signer, top_up_call(name, keys), INCLUSION_TIMEOUT)
            .await
    }

    /// Replaces a verifier's configuration (`Verifiers.update_config`), as its owner.
    pub async fn update_verifier(
        &self,
        signer: &Signer,
        name: VerifierName,
        config: VerifierConfig,
    ) -> Result<Inclusion, ChainError> {
        let call = RuntimeCall::Verifiers(pallet_verifiers::Call::update_config { name, config });
        self.submit_and_watch(signer, call, INCLUSION_TIMEOUT).await
    }

    /// The change announced for the verifier `name` and not in effect yet, read through the
    /// runtime API `VerifierChangesApi_pending_change`.
    pub async fn pending_change(&self, name: &str) -> Result<Option<PendingChangeOf>, ChainError> {
        self.runtime_api(
            "VerifierChangesApi_pending_change",
            &name.as_bytes().to_vec().encode(),
        )
        .await
    }

    /// The chain's announcement delay in blocks (`VerifierChangesApi_config_delay`).
    pub async fn config_delay(&self) -> Result<BlockNumber, ChainError> {
        self.runtime_api("VerifierChangesApi_config_delay", &[])
            .await
    }

    /// Announces a new JWKS for a verifier (`Verifiers.rotate_jwks`), as its owner.
    pub async fn rotate_jwks(
        &self,
        signer: &Signer,
        name: VerifierName,
        jwks: Jwks,
    ) -> Result<Inclusion, ChainError> {
        let call = RuntimeCall::Verifiers(pallet_verifiers::Call::rotate_jwks { name, jwks });
        self.submit_and_watch(signer, call, INCLUSION_TIMEOUT).await
    }

    /// Announces one more key for a verifier's JWKS (`Verifiers.add_jwk`), as its owner.
    pub async fn add_jwk(
        &self,
        signer: &Signer,
        name: VerifierName,
        jwk: Jwk,
    ) -> Result<Inclusion, ChainError> {
        let call = RuntimeCall::Verifiers(pallet_verifiers::Call::add_jwk { name, jwk });
        self.submit_and_watch(signer, call, INCLUSION_TIMEOUT).await
    }

    /// Removes a key from a verifier's JWKS at once, and from its pending change
    /// (`Verifiers.remove_jwk`), as its owner.
    pub async fn remove_jwk(
        &self,
        signer: &Signer,
        name: VerifierName,
        kid: JwkKeyId,
    ) -> Result<Inclusion, ChainError> {
        let call = RuntimeCall::Verifiers(pallet_verifiers::Call::remove_jwk { name, kid });
        self.submit_and_watch(signer, call, INCLUSION_TIMEOUT).await
    }

    /// Drops a verifier's pending change (`Verifiers.cancel_change`), as its owner.
    pub async fn cancel_change(
        &self,
        signer: &Signer,
        name: VerifierName,
    ) -> Result<Inclusion, ChainError> {
        let call = RuntimeCall::Verifiers(pallet_verifiers::Call::cancel_change { name });
        self.submit_and_watch(signer, call, INCLUSION_TIMEOUT).await
    }
}

/// A dispatch error with the pallet error's name (e.g. `Verifiers(NameTaken)`) when the runtime
/// knows it.
pub fn describe_dispatch_error(error: &DispatchError) -> String {
    match RuntimeError::from_dispatch_error(*error) {
        Some(runtime_error) => format!("{runtime_error:?}"),
        None => format!("{error:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_uris_give_the_dev_accounts() {
        let alice = Signer::from_suri("//Alice").expect("valid");
        assert_eq!(
            alice.account_id().to_string(),
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
        assert!(format!("{alice:?}").starts_with("Signer(5Grw"));
        assert!(matches!(
            Signer::from_suri("not a uri"),
            Err(ChainError::InvalidSuri)
        ));
    }

    #[test]
    fn a_signed_extrinsic_verifies_and_round_trips() {
        use polkadot_sdk::sp_runtime::generic::Preamble;
        let alice = Signer::from_suri("//Alice").expect("valid");
        let call = RuntimeCall::System(frame_system::Call::remark {
            remark: b"hi".to_vec(),
        });
        let genesis = H256::repeat_byte(7);
        let xt = sign_extrinsic(&alice, call.clone(), 3, genesis, 100, 1);
        let decoded = UncheckedExtrinsic::decode(&mut &xt.encode()[..]).expect("decodes");
        assert_eq!(decoded, xt);
        let Preamble::Signed(address, MultiSignature::Sr25519(signature), extension) = &xt.preamble
        else {
            panic!("a signed sr25519 extrinsic");
        };
        assert_eq!(address, &MultiAddress::Id(alice.account_id()));
        // The signature covers the call, the extensions and the implicit data (versions and
        // genesis hash, twice: CheckGenesis and the immortal CheckEra).
        let implicit = ((), 100u32, 1u32, genesis, genesis, (), (), (), (), ());
        let payload = SignedPayload::from_raw(call, extension.clone(), implicit);
        let public = alice.pair.public();
        assert!(payload.using_encoded(|bytes| sr25519::Pair::verify(signature, bytes, &public)));
        let other = SignedPayload::from_raw(
            RuntimeCall::System(frame_system::Call::remark {
                remark: b"ho".to_vec(),
            }),
            extension.clone(),
            implicit,
        );
        assert!(!other.using_encoded(|bytes| sr25519::Pair::verify(signature, bytes, &public)));
    }

    #[test]
    fn amounts_show_in_torus() {
        let unit = torus_runtime::UNIT;
        assert_eq!(format_torus(10 * unit), "10 TORUS");
        assert_eq!(format_torus(unit / 100), "0.01 TORUS");
        assert_eq!(format_torus(unit + 1), "1.000000000001 TORUS");
        assert_eq!(format_torus(0), "0 TORUS");
    }

    #[test]
    fn the_top_up_call_is_the_pallets() {
        let name: VerifierName = b"demo".to_vec().try_into().expect("short");
        assert_eq!(
            top_up_call(name.clone(), 1000),
            RuntimeCall::Keys(pallet_keys::Call::top_up {
                verifier: name,
                keys: 1000
            })
        );
        // Pallet index 21, call index 1: what a chain built from this runtime expects.
        assert_eq!(
            &top_up_call(b"x".to_vec().try_into().expect("short"), 1).encode()[..2],
            &[21, 1]
        );
    }

    #[test]
    fn an_inclusion_names_the_change_it_announced() {
        let name: VerifierName = b"demo".to_vec().try_into().expect("short");
        let announced = RuntimeEvent::Verifiers(pallet_verifiers::Event::ChangeAnnounced {
            name: name.clone(),
            change: VerifierChange::Jwks,
            effective_at: 42,
        });
        let other = RuntimeEvent::Verifiers(pallet_verifiers::Event::ChangeCancelled { name });
        let inclusion = |events| Inclusion {
            block_hash: H256::zero(),
            block_number: 32,
            index: 1,
            events,
        };
        assert_eq!(
            inclusion(vec![other.clone(), announced]).announcement(),
            Some(Announcement {
                change: VerifierChange::Jwks,
                effective_at: 42
            })
        );
        assert_eq!(inclusion(vec![other]).announcement(), None);
    }

    #[test]
    fn module_errors_are_named() {
        let error = DispatchError::Module(polkadot_sdk::sp_runtime::ModuleError {
            index: 20,
            error: [1, 0, 0, 0],
            message: None,
        });
        assert_eq!(describe_dispatch_error(&error), "Verifiers(NameTaken)");
        assert_eq!(
            describe_dispatch_error(&DispatchError::BadOrigin),
            "BadOrigin"
        );
    }
}
