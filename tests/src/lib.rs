//! Test harness for Torus networks: starts real `torus-node` processes on 127.0.0.1 (distinct
//! ports, temporary base paths, one log file each) and talks to them over JSON-RPC.
//!
//! The node binary is `$TORUS_NODE`, or `torus-node` next to the test executable's target
//! directory (`cargo build -p torus-node` first). A log of every node is kept under the
//! network's temporary directory and printed on failure by the tests.

pub mod issuer;

use std::{
    fs::File,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, ensure, Context, Result};
use codec::{Decode, Encode};
use frame_system::{EventRecord, Phase};
use jsonrpsee::{
    core::{client::ClientT, params::ArrayParams},
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use polkadot_sdk::{
    frame_support::storage::storage_prefix,
    frame_system, pallet_session, pallet_staking, pallet_sudo,
    sp_core::{Bytes, H256},
    sp_keyring::Sr25519Keyring,
};
use serde_json::{json, Value};
use tokio::sync::{Mutex, MutexGuard};
use torus_primitives::{dkg::DkgParams, VerifierConfig};
use torus_runtime::{BlockNumber, Runtime, RuntimeCall, RuntimeEvent, UncheckedExtrinsic};

/// The keys of allowance [`Node::register_verifier`] buys for a test's verifier: more than any
/// test assigns (1 000 TORUS of a dev account's 1 000 000 at the runtime's 0.01 TORUS a key).
pub const TEST_KEY_ALLOWANCE: u32 = 100_000;

/// Multi-node tests share two cores: they run one network at a time.
static ONE_NETWORK_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Waits for, and takes, the lock that keeps the networks of one test binary from running side
/// by side. (A failed test releases it as a passing one does.)
pub async fn exclusive() -> MutexGuard<'static, ()> {
    ONE_NETWORK_AT_A_TIME.lock().await
}

/// Where the `torus-node` binary is.
pub fn node_binary() -> Result<PathBuf> {
    if let Ok(path) = std::env::var("TORUS_NODE") {
        return Ok(PathBuf::from(path));
    }
    // The test executable lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("cannot locate the target directory from {}", exe.display()))?;
    let node = profile_dir.join("torus-node");
    if !node.exists() {
        bail!(
            "{} does not exist: run `cargo build -p torus-node` or set TORUS_NODE",
            node.display()
        );
    }
    Ok(node)
}

/// The ports the harness hands out: below Linux's ephemeral range (32768 and up). A port the
/// kernel picked there can be taken by any outgoing connection (a node dialling its peers)
/// before the node binds it, and the node then serves RPC on a random port instead.
const PORTS: std::ops::Range<u16> = 20_000..32_000;

/// How many ports this process has handed out.
static PORTS_HANDED_OUT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A port of [`PORTS`] free on 127.0.0.1 now, and not handed out before by this process (until
/// the range wraps); the process id spreads concurrent test processes over the range.
fn free_port() -> Result<u16> {
    let span = u32::from(PORTS.end - PORTS.start);
    let seed = std::process::id().wrapping_mul(97);
    for _ in 0..span {
        let n = PORTS_HANDED_OUT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let port = PORTS.start + u16::try_from(seed.wrapping_add(n) % span)?;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no free port in {PORTS:?} on 127.0.0.1")
}

/// One running `torus-node` process.
pub struct Node {
    /// The dev account whose keys the node validates with (`alice`, `bob`, ...).
    pub name: String,
    /// JSON-RPC port on 127.0.0.1.
    pub rpc_port: u16,
    /// libp2p port on 127.0.0.1.
    pub p2p_port: u16,
    /// Prometheus port on 127.0.0.1.
    pub prometheus_port: u16,
    /// The node's log file.
    pub log: PathBuf,
    rpc: HttpClient,
    /// The command-line arguments it runs with.
    args: Vec<String>,
    child: Option<Child>,
}

impl Node {
    /// Starts the node process (appending to its log if `append`).
    fn spawn(&mut self, append: bool) -> Result<()> {
        let log_file = File::options()
            .create(true)
            .append(append)
            .write(true)
            .truncate(!append)
            .open(&self.log)?;
        let child = Command::new(node_binary()?)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .context("starting torus-node")?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until the node answers RPC; fails if it exits or takes over 120 s.
    async fn wait_until_serving(&mut self) -> Result<()> {
        let start = Instant::now();
        while self.call("system_health", rpc_params![]).await.is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                bail!(
                    "{} exited ({status}) at start:\n{}",
                    self.name,
                    tail(&self.log, 20)
                );
            }
            if start.elapsed() > Duration::from_secs(120) {
                bail!(
                    "{}'s RPC did not come up in 120 s:\n{}",
                    self.name,
                    tail(&self.log, 20)
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Ok(())
    }

    /// A JSON-RPC call.
    pub async fn call(&self, method: &str, params: ArrayParams) -> Result<Value> {
        self.rpc
            .request(method, params)
            .await
            .with_context(|| format!("{} on {}", method, self.name))
    }

    /// Number of the node's best block.
    pub async fn best_number(&self) -> Result<u32> {
        header_number(&self.call("chain_getHeader", rpc_params![]).await?)
    }

    /// Number of the node's last finalized block.
    pub async fn finalized_number(&self) -> Result<u32> {
        let hash = self.call("chain_getFinalizedHead", rpc_params![]).await?;
        header_number(&self.call("chain_getHeader", rpc_params![hash]).await?)
    }

    /// Raw storage at the best block.
    pub async fn storage(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.storage_at(key, None).await
    }

    /// Raw storage at block `at` (the best block if `None`).
    pub async fn storage_at(&self, key: &[u8], at: Option<H256>) -> Result<Option<Vec<u8>>> {
        let value = self
            .call("state_getStorage", rpc_params![Bytes(key.to_vec()), at])
            .await?;
        match value {
            Value::Null => Ok(None),
            Value::String(hex) => Ok(Some(decode_hex(&hex)?)),
            other => bail!("unexpected storage value {other}"),
        }
    }

    /// Decoded storage at the best block.
    pub async fn storage_value<T: Decode>(&self, key: &[u8]) -> Result<Option<T>> {
        self.storage_value_at(key, None).await
    }

    /// Decoded storage at block `at` (the best block if `None`).
    pub async fn storage_value_at<T: Decode>(
        &self,
        key: &[u8],
        at: Option<H256>,
    ) -> Result<Option<T>> {
        self.storage_at(key, at)
            .await?
            .map(|bytes| T::decode(&mut &bytes[..]).context("decoding storage"))
            .transpose()
    }

    /// `call` signed by `signer` with the next nonce the node knows of (pending ones included).
    pub async fn signed(
        &self,
        signer: Sr25519Keyring,
        call: RuntimeCall,
    ) -> Result<UncheckedExtrinsic> {
        let account = signer.to_account_id();
        let nonce = self
            .call("system_accountNextIndex", rpc_params![account.to_string()])
            .await?;
        let nonce = nonce.as_u64().ok_or_else(|| anyhow!("bad nonce {nonce}"))? as u32;
        let genesis: H256 =
            serde_json::from_value(self.call("chain_getBlockHash", rpc_params![0]).await?)?;
        let version = self.call("state_getRuntimeVersion", rpc_params![]).await?;
        let spec_version = version["specVersion"]
            .as_u64()
            .ok_or_else(|| anyhow!("no specVersion"))?;
        let tx_version = version["transactionVersion"]
            .as_u64()
            .ok_or_else(|| anyhow!("no transactionVersion"))?;
        Ok(torus_client::chain::sign_extrinsic(
            &torus_client::chain::Signer::from_pair(signer.pair()),
            call,
            nonce,
            genesis,
            spec_version as u32,
            tx_version as u32,
        ))
    }

    /// Signs `call` as `signer` and submits it to the pool; returns the extrinsic's hash.
    pub async fn submit(&self, signer: Sr25519Keyring, call: RuntimeCall) -> Result<H256> {
        let xt = self.signed(signer, call).await?;
        let hash = self
            .call("author_submitExtrinsic", rpc_params![Bytes(xt.encode())])
            .await?;
        Ok(serde_json::from_value(hash)?)
    }

    /// Signs and submits `call`, waits until a block includes it, and returns the events it
    /// emitted there (ending in `System::ExtrinsicSuccess` or `System::ExtrinsicFailed`).
    pub async fn submit_and_watch(
        &self,
        signer: Sr25519Keyring,
        call: RuntimeCall,
    ) -> Result<Vec<RuntimeEvent>> {
        let xt_hex = format!("0x{}", hex(&self.signed(signer, call).await?.encode()));
        let mut next = self.best_number().await? + 1;
        self.call("author_submitExtrinsic", rpc_params![&xt_hex])
            .await?;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            while next <= self.best_number().await? {
                let hash = self.call("chain_getBlockHash", rpc_params![next]).await?;
                let block = self.call("chain_getBlock", rpc_params![&hash]).await?;
                let extrinsics = block["block"]["extrinsics"]
                    .as_array()
                    .ok_or_else(|| anyhow!("block {next} without extrinsics"))?;
                if let Some(index) = extrinsics.iter().position(|x| x.as_str() == Some(&xt_hex)) {
                    let hash: H256 = serde_json::from_value(hash)?;
                    let events: Vec<EventRecord<RuntimeEvent, H256>> = self
                        .storage_value_at(&storage_prefix(b"System", b"Events"), Some(hash))
                        .await?
                        .unwrap_or_default();
                    return Ok(events
                        .into_iter()
                        .filter(|r| r.phase == Phase::ApplyExtrinsic(index as u32))
                        .map(|r| r.event)
                        .collect());
                }
                next += 1;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        bail!("the extrinsic was not included within 60 s")
    }

    /// Registers the verifier `name` with `config`, owned by `owner`, and buys it `keys` keys
    /// of allowance (see [`Node::top_up`]): what a dapp does before its users can get keys.
    /// Fails unless both extrinsics succeed.
    pub async fn register_verifier(
        &self,
        owner: Sr25519Keyring,
        name: &str,
        config: VerifierConfig,
        keys: u32,
    ) -> Result<()> {
        let bounded_name = name
            .as_bytes()
            .to_vec()
            .try_into()
            .map_err(|_| anyhow!("verifier name {name} is too long"))?;
        let events = self
            .submit_and_watch(
                owner,
                RuntimeCall::Verifiers(pallet_verifiers::Call::<Runtime>::register {
                    name: bounded_name,
                    config,
                }),
            )
            .await?;
        if !succeeded(&events) {
            bail!("the verifier {name} was not registered: {events:?}");
        }
        self.top_up(owner, name, keys).await?;
        Ok(())
    }

    /// Buys `keys` keys of allowance for the verifier `name`, paid by `payer`
    /// (`Keys.top_up`); fails unless the extrinsic succeeds. Returns its events.
    pub async fn top_up(
        &self,
        payer: Sr25519Keyring,
        name: &str,
        keys: u32,
    ) -> Result<Vec<RuntimeEvent>> {
        let bounded_name = name
            .as_bytes()
            .to_vec()
            .try_into()
            .map_err(|_| anyhow!("verifier name {name} is too long"))?;
        let events = self
            .submit_and_watch(payer, torus_client::chain::top_up_call(bounded_name, keys))
            .await?;
        if !succeeded(&events) {
            bail!("the allowance of {name} was not topped up: {events:?}");
        }
        Ok(events)
    }

    /// The keys of allowance the verifier `name` has left (`KeysApi_allowance`).
    pub async fn allowance(&self, name: &str) -> Result<u32> {
        self.runtime_api("KeysApi_allowance", &name.as_bytes().to_vec().encode())
            .await
    }

    /// Changes the DKG's parameters (read at the best block) with `change`, as root (Alice is
    /// the sudo key of the test chains), and waits until a block applies them.
    pub async fn set_dkg_params(
        &self,
        change: impl FnOnce(&mut DkgParams<BlockNumber>),
    ) -> Result<()> {
        let mut params: DkgParams<BlockNumber> = self.runtime_api("DkgApi_params", &[]).await?;
        change(&mut params);
        let call = RuntimeCall::Dkg(pallet_dkg::Call::set_params { params });
        let events = self
            .submit_and_watch(
                Sr25519Keyring::Alice,
                RuntimeCall::Sudo(pallet_sudo::Call::sudo {
                    call: Box::new(call),
                }),
            )
            .await?;
        ensure!(
            events
                .iter()
                .any(|e| matches!(e, RuntimeEvent::Dkg(pallet_dkg::Event::ParamsSet { .. }))),
            "the DKG parameters were not set: {events:?}"
        );
        Ok(())
    }

    /// Calls a runtime API function (`Trait_method`) at the best block with SCALE-encoded
    /// arguments, and decodes its result.
    pub async fn runtime_api<R: Decode>(&self, method: &str, args: &[u8]) -> Result<R> {
        let result = self
            .call("state_call", rpc_params![method, Bytes(args.to_vec())])
            .await?;
        let hex = result
            .as_str()
            .ok_or_else(|| anyhow!("bad state_call result {result}"))?;
        R::decode(&mut &decode_hex(hex)?[..]).with_context(|| format!("decoding {method}"))
    }

    /// Makes `who` (whose keys this node holds: it runs as `--<who>`) a validator candidate:
    /// session keys generated in the node's keystore with their proof of ownership, a bond of
    /// 100 000 TORUS, the keys registered, and the intention to validate. The next era's
    /// election may elect it.
    pub async fn join_as_validator(&self, who: Sr25519Keyring) -> Result<()> {
        let account = who.to_account_id();
        let generated = self
            .call(
                "author_rotateKeysWithOwner",
                rpc_params![Bytes(account.encode())],
            )
            .await?;
        let field = |name: &str| {
            generated[name]
                .as_str()
                .ok_or_else(|| anyhow!("no {name} in {generated}"))
                .and_then(decode_hex)
        };
        let keys = torus_runtime::SessionKeys::decode(&mut &field("keys")?[..])?;
        let proof = field("proof")?;
        self.submit(
            who,
            RuntimeCall::Staking(pallet_staking::Call::bond {
                value: 100_000 * torus_runtime::UNIT,
                payee: pallet_staking::RewardDestination::Staked,
            }),
        )
        .await?;
        // The next transactions use the pool's view of the nonce; wait until the bond is in.
        wait_for(Duration::from_secs(60), || async {
            let ledger: Option<pallet_staking::StakingLedger<Runtime>> = self
                .storage_value(&pallet_staking::Ledger::<Runtime>::hashed_key_for(&account))
                .await?;
            Ok(ledger.is_some())
        })
        .await
        .context("the bond was not included")?;
        self.submit(
            who,
            RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof }),
        )
        .await?;
        self.submit(
            who,
            RuntimeCall::Staking(pallet_staking::Call::validate {
                prefs: pallet_staking::ValidatorPrefs::default(),
            }),
        )
        .await?;
        Ok(())
    }

    /// The session's validators at the best block.
    pub async fn session_validators(&self) -> Result<Vec<torus_runtime::AccountId>> {
        Ok(self
            .storage_value(&pallet_session::Validators::<Runtime>::hashed_key())
            .await?
            .unwrap_or_default())
    }

    /// [`Node::runtime_api`] at the node's finalized head.
    pub async fn runtime_api_finalized<R: Decode>(&self, method: &str, args: &[u8]) -> Result<R> {
        let head = self.call("chain_getFinalizedHead", rpc_params![]).await?;
        let result = self
            .call(
                "state_call",
                rpc_params![method, Bytes(args.to_vec()), head],
            )
            .await?;
        let hex = result
            .as_str()
            .ok_or_else(|| anyhow!("bad state_call result {result}"))?;
        R::decode(&mut &decode_hex(hex)?[..]).with_context(|| format!("decoding {method}"))
    }

    /// The keyholder's share store directory (`<base>/chains/<id>/keyholder`), if created.
    pub fn share_store(&self) -> Result<Option<PathBuf>> {
        let base = self
            .args
            .iter()
            .position(|a| a == "--base-path")
            .and_then(|i| self.args.get(i + 1))
            .context("the node has no base path")?;
        let chains = Path::new(base).join("chains");
        if !chains.exists() {
            return Ok(None);
        }
        for chain in std::fs::read_dir(chains)? {
            let dir = chain?.path().join("keyholder");
            if dir.is_dir() {
                return Ok(Some(dir));
            }
        }
        Ok(None)
    }

    /// The share files (`batch-<id>.shares`) in the node's share store, by batch id.
    pub fn share_files(&self) -> Result<Vec<u64>> {
        let Some(dir) = self.share_store()? else {
            return Ok(Vec::new());
        };
        let mut batches: Vec<u64> = std::fs::read_dir(dir)?
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                name.strip_prefix("batch-")?
                    .strip_suffix(".shares")?
                    .parse()
                    .ok()
            })
            .collect();
        batches.sort_unstable();
        Ok(batches)
    }

    /// Kills the node process (as `kill -9` would).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether the events of an extrinsic end in success.
fn succeeded(events: &[RuntimeEvent]) -> bool {
    events.iter().any(|event| {
        matches!(
            event,
            RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. })
        )
    })
}

fn header_number(header: &Value) -> Result<u32> {
    let hex = header["number"]
        .as_str()
        .ok_or_else(|| anyhow!("header without number: {header}"))?;
    Ok(u32::from_str_radix(hex.trim_start_matches("0x"), 16)?)
}

/// Lower-case hex of bytes, without a prefix.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a `0x`-prefixed hex string.
pub fn decode_hex(hex: &str) -> Result<Vec<u8>> {
    let hex = hex.trim_start_matches("0x");
    if !hex.len().is_multiple_of(2) {
        bail!("odd-length hex");
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(Into::into))
        .collect()
}

/// A network of nodes on one chain spec, each in its own temporary base path.
pub struct Network {
    /// The running (or killed) nodes, in start order.
    pub nodes: Vec<Node>,
    chain: String,
    bootnode: Option<String>,
    dir: tempfile::TempDir,
}

impl Network {
    /// An empty network on `chain` (`local`, `dev` or a chain spec file).
    pub fn new(chain: &str) -> Result<Self> {
        Ok(Self {
            nodes: Vec::new(),
            chain: chain.to_string(),
            bootnode: None,
            dir: tempfile::Builder::new().prefix("torus-net-").tempdir()?,
        })
    }

    /// Starts the `local` chain's four genesis validators (Alice, Bob, Charlie, Dave).
    pub async fn local_validators() -> Result<Self> {
        Self::local_validators_with(&[]).await
    }

    /// [`Network::local_validators`] with extra command-line arguments for every node.
    pub async fn local_validators_with(extra: &[&str]) -> Result<Self> {
        let mut network = Self::new("local")?;
        for name in ["alice", "bob", "charlie", "dave"] {
            network.start_validator_with(name, extra).await?;
        }
        Ok(network)
    }

    /// Starts a validator node holding the dev keys of `name` (`alice` ... `ferdie`); the first
    /// node started is every later node's bootnode.
    pub async fn start_validator(&mut self, name: &str) -> Result<&Node> {
        self.start_validator_with(name, &[]).await
    }

    /// [`Network::start_validator`] with extra command-line arguments.
    pub async fn start_validator_with(&mut self, name: &str, extra: &[&str]) -> Result<&Node> {
        let (rpc_port, p2p_port, prometheus_port) = (free_port()?, free_port()?, free_port()?);
        let base_path = self.dir.path().join(name);
        let log = self.dir.path().join(format!("{name}.log"));
        let mut args: Vec<String> = vec![
            "--chain".into(),
            self.chain.clone(),
            format!("--{name}"),
            "--validator".into(),
            "--base-path".into(),
            base_path.display().to_string(),
            "--rpc-port".into(),
            rpc_port.to_string(),
            "--prometheus-port".into(),
            prometheus_port.to_string(),
            "--listen-addr".into(),
            format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
            "--no-mdns".into(),
            "--no-telemetry".into(),
            "--allow-private-ip".into(),
            // A validator needs a persistent network key: one per node, distinct within the
            // network.
            "--node-key".into(),
            format!("{:064x}", self.nodes.len() + 1),
        ];
        if let Some(bootnode) = &self.bootnode {
            args.extend(["--bootnodes".into(), bootnode.clone()]);
        }
        // Tests call unsafe methods (e.g. `author_rotateKeys`) unless they choose otherwise.
        if !extra.contains(&"--rpc-methods") {
            args.extend(["--rpc-methods".into(), "unsafe".into()]);
        }
        args.extend(extra.iter().map(|a| a.to_string()));
        let rpc = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(30))
            .build(format!("http://127.0.0.1:{rpc_port}"))?;
        let mut node = Node {
            name: name.to_string(),
            rpc_port,
            p2p_port,
            prometheus_port,
            log,
            rpc,
            args,
            child: None,
        };
        node.spawn(false)?;
        node.wait_until_serving().await?;
        if self.bootnode.is_none() {
            let peer_id = node.call("system_localPeerId", rpc_params![]).await?;
            let peer_id = peer_id.as_str().ok_or_else(|| anyhow!("bad peer id"))?;
            self.bootnode = Some(format!("/ip4/127.0.0.1/tcp/{p2p_port}/p2p/{peer_id}"));
        }
        self.nodes.push(node);
        Ok(self.nodes.last().expect("just pushed"))
    }

    /// Starts a killed node again with the same arguments, base path and ports (its log goes on).
    pub async fn restart(&mut self, name: &str) -> Result<()> {
        let node = self.node_mut(name);
        node.kill();
        node.spawn(true)?;
        node.wait_until_serving().await
    }

    /// The node started as `name`.
    pub fn node(&self, name: &str) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .expect("no node of that name")
    }

    /// The node started as `name`, mutably.
    pub fn node_mut(&mut self, name: &str) -> &mut Node {
        self.nodes
            .iter_mut()
            .find(|n| n.name == name)
            .expect("no node of that name")
    }

    /// Waits until every running node has finalized at least block `number`.
    pub async fn wait_finalized(&self, number: u32, timeout: Duration) -> Result<()> {
        for node in self.nodes.iter().filter(|n| n.child.is_some()) {
            wait_for(timeout, || async {
                Ok(node.finalized_number().await? >= number)
            })
            .await
            .with_context(|| {
                format!(
                    "{} did not finalize block {number}; log: {}",
                    node.name,
                    node.log.display()
                )
            })?;
        }
        Ok(())
    }

    /// The last lines of every node's log, for a failing test's output.
    pub fn log_tails(&self) -> String {
        self.nodes
            .iter()
            .map(|node| {
                format!(
                    "---- {} ({})\n{}",
                    node.name,
                    node.log.display(),
                    tail(&node.log, 20)
                )
            })
            .collect()
    }
}

/// The last `lines` lines of a log file.
fn tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Polls `check` every 500 ms until it returns true; fails after `timeout` with the last
/// error, if there was one.
pub async fn wait_for<F, Fut>(timeout: Duration, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let start = Instant::now();
    let mut last_error = None;
    while start.elapsed() < timeout {
        match check().await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => last_error = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    match last_error {
        Some(e) => Err(e.context(format!("timed out after {timeout:?}"))),
        None => bail!("timed out after {timeout:?}"),
    }
}

/// The URL of a node's RPC server (which serves the Torus API).
pub fn endpoint(node: &Node) -> String {
    format!("http://127.0.0.1:{}", node.rpc_port)
}

/// torus.js (`tests/js/retrieve.mjs`): its lookup and login of `user` of `verifier` at the
/// Torus nodes `endpoints` (with DKG public keys `node_keys` as hex X, Y), as JSON.
pub fn torus_js(
    endpoints: &[String],
    node_keys: &[(String, String)],
    verifier: &str,
    user: &str,
    token: &str,
) -> Result<Value> {
    run_torus_js(json!({
        "endpoints": endpoints,
        "nodePubkeys": node_pubkeys(node_keys),
        "verifier": verifier, "verifierId": user, "idToken": token,
    }))
}

/// torus.js's TSS public-key lookup (`getPublicAddress` with `extendedVerifierId`) of the TSS
/// key `extended_id` of `user` of `verifier` at the Torus nodes `endpoints`, as JSON.
pub fn torus_js_tss_lookup(
    endpoints: &[String],
    node_keys: &[(String, String)],
    verifier: &str,
    user: &str,
    extended_id: &str,
) -> Result<Value> {
    run_torus_js(json!({
        "endpoints": endpoints,
        "nodePubkeys": node_pubkeys(node_keys),
        "verifier": verifier, "verifierId": user, "extendedVerifierId": extended_id,
    }))
}

/// torus.js as a dapp uses it with discovery: the committee that holds `user`'s key is asked
/// of the node at `node` (`torus_nodeDetails`), then its lookup and login, as JSON.
pub fn torus_js_discovering(node: &str, verifier: &str, user: &str, token: &str) -> Result<Value> {
    run_torus_js(json!({
        "discoverFrom": node, "verifier": verifier, "verifierId": user, "idToken": token,
    }))
}

/// Node public keys (hex X, Y) as torus.js's `nodePubkeys`.
fn node_pubkeys(node_keys: &[(String, String)]) -> Value {
    node_keys
        .iter()
        .map(|(x, y)| json!({"X": x, "Y": y}))
        .collect()
}

fn run_torus_js(request: Value) -> Result<Value> {
    // Found at run time (`cargo test` sets the variable): a test binary built from another
    // checkout of the same sources uses this one's npm packages.
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").context("run by cargo test")?;
    let dir = Path::new(&crate_dir).join("js");
    ensure!(
        dir.join("node_modules/@toruslabs/torus.js").exists(),
        "run `npm ci` in {} first (scripts/test.sh does)",
        dir.display()
    );
    let output = Command::new("node")
        .arg(dir.join("retrieve.mjs"))
        .arg(request.to_string())
        .current_dir(&dir)
        .output()
        .context("running node")?;
    ensure!(
        output.status.success(),
        "torus.js failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Waits (at most 300 s) until every node's best block has a key in the buffer: a node assigns
/// keys only from its own view of the chain.
pub async fn wait_for_keys(nodes: &[&Node]) -> Result<()> {
    for node in nodes {
        wait_for(Duration::from_secs(300), || async {
            Ok(node.runtime_api::<u64>("KeysApi_buffer_size", &[]).await? > 0)
        })
        .await
        .with_context(|| format!("{} sees no generated key", node.name))?;
    }
    Ok(())
}
