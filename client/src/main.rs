//! `torus`: the Torus command-line tool: log in and look keys up (users), manage verifiers
//! (dapp developers), and run a local dev OpenID issuer (demos and tests). See `client/README.md`.

use std::{
    io::Read as _,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::Arc,
    time::Duration,
};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use torus_client::{
    chain::{format_torus, ChainClient, Inclusion, Signer},
    dev_issuer::{DevIssuer, DevKeys, DEFAULT_AUDIENCE},
    jwks::{jwks_from_str, ConvertedJwks},
    verifier::{describe_change, pending_to_json, record_to_json, verifier_name, VerifierSpec},
    TorusClient,
};

/// The node `scripts/local-net.sh` starts first (Alice), asked for the committee by default.
const LOCAL_NODE: &str = "http://127.0.0.1:9944";

/// Prints a line to standard output; a closed pipe (e.g. `torus ... | head`) ends the command
/// quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(error) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if error.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            return Err(error.into());
        }
    }};
}

#[derive(Parser)]
#[command(
    name = "torus",
    version,
    about = "The Torus network's command-line tool"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log in with an id token: reconstruct the user's key from the nodes' shares.
    Login(LoginArgs),
    /// Look a user's key up (assigns nothing unless --assign is given).
    Lookup(LookupArgs),
    /// Register, update, top up or show a verifier (the login rules of a dapp).
    #[command(subcommand)]
    Verifier(VerifierCommand),
    /// Run a local OpenID issuer that mints id tokens on request (demos and tests only).
    DevIssuer(DevIssuerArgs),
}

#[derive(Args)]
struct Network {
    /// The nodes' JSON-RPC URLs, comma-separated. One URL: that node is asked which committee
    /// holds the user's key (`torus_nodeDetails`) and its members' published endpoints are
    /// used. Several: exactly these nodes, in this order (the thresholds are counted from
    /// them). Default: $TORUS_ENDPOINTS (the same rule), else http://127.0.0.1:9944 (the first
    /// node of scripts/local-net.sh).
    #[arg(long, value_delimiter = ',')]
    endpoints: Vec<String>,
}

impl Network {
    /// A client of the nodes that hold the key of `user` (verifier, verifier id), or of new
    /// keys without `user`.
    async fn client(&self, user: Option<(&str, &str)>) -> Result<TorusClient> {
        let endpoints: Vec<String> = if !self.endpoints.is_empty() {
            self.endpoints.clone()
        } else if let Ok(list) = std::env::var("TORUS_ENDPOINTS") {
            list.split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect()
        } else {
            vec![LOCAL_NODE.to_owned()]
        };
        match endpoints.as_slice() {
            [node] => Ok(TorusClient::discover(node, user).await?),
            _ => Ok(TorusClient::try_new(endpoints)?),
        }
    }
}

#[derive(Args)]
struct LoginArgs {
    /// The verifier's name.
    #[arg(long)]
    verifier: String,
    /// The user's id under the verifier (the token's id claim, e.g. its sub or e-mail).
    #[arg(long)]
    verifier_id: String,
    /// The id token (JWT), used once; `-` reads it from standard input.
    #[arg(long)]
    id_token: String,
    #[command(flatten)]
    network: Network,
    /// Also print the private key.
    #[arg(long)]
    show_private_key: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct LookupArgs {
    /// The verifier's name.
    #[arg(long)]
    verifier: String,
    /// The user's id under the verifier.
    #[arg(long)]
    verifier_id: String,
    /// Assign a key if the user has none (GetPubKeyOrKeyAssign, as torus.js's getPublicAddress).
    #[arg(long)]
    assign: bool,
    #[command(flatten)]
    network: Network,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum VerifierCommand {
    /// Register a new verifier owned by --suri's account (holds a deposit); with --keys, also
    /// buy that many keys of allowance.
    Register(RegisterArgs),
    /// Announce a verifier's whole new configuration (owner only; the key type cannot change):
    /// it takes effect after the chain's announcement delay.
    Update(VerifierWrite),
    /// Announce a new JWKS for a verifier (owner only), in effect after the delay.
    RotateJwks(RotateJwksArgs),
    /// Announce one more key for a verifier's JWKS (owner only), in effect after the delay.
    AddJwk(AddJwkArgs),
    /// Remove a key from a verifier's JWKS at once, and from its pending change (owner only).
    RemoveJwk(RemoveJwkArgs),
    /// Drop a verifier's pending change (owner only).
    CancelChange(OwnerArgs),
    /// Buy keys of allowance for a verifier: each new user's key spends one (the fee is burned).
    TopUp(TopUpArgs),
    /// Show a verifier as recorded on chain, with its key allowance (JSON).
    Show {
        /// The verifier's name.
        name: String,
        /// A node's RPC URL (http:// or ws://).
        #[arg(long, default_value = "http://127.0.0.1:9944")]
        node: String,
    },
}

#[derive(Args)]
struct RegisterArgs {
    #[command(flatten)]
    verifier: VerifierWrite,
    /// Then buy this many keys of allowance (a second extrinsic, same account): without any,
    /// no user of the verifier can get a key.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    keys: Option<u32>,
}

#[derive(Args)]
struct TopUpArgs {
    /// The verifier's name.
    #[arg(long)]
    name: String,
    /// How many keys to buy (the chain's key fee each).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    keys: u32,
    /// The paying account's secret URI, e.g. //Alice or a mnemonic (need not be the owner).
    #[arg(long)]
    suri: String,
    /// A node's RPC URL (http:// or ws://).
    #[arg(long, default_value = "http://127.0.0.1:9944")]
    node: String,
}

#[derive(Args)]
struct VerifierWrite {
    /// The verifier's name (printable ASCII, no spaces).
    #[arg(long)]
    name: String,
    /// The signing account's secret URI, e.g. //Alice or a mnemonic.
    #[arg(long)]
    suri: String,
    /// A node's RPC URL (http:// or ws://).
    #[arg(long, default_value = "http://127.0.0.1:9944")]
    node: String,
    /// The issuer (`iss`) the tokens must carry.
    #[arg(long)]
    issuer: String,
    /// An accepted audience (`aud`); repeat for several.
    #[arg(long = "audience", required = true)]
    audiences: Vec<String>,
    /// Fetch the issuer's JWKS from this plain http:// URL.
    #[arg(
        long,
        conflicts_with = "jwks_file",
        required_unless_present = "jwks_file"
    )]
    jwks_url: Option<String>,
    /// Read the issuer's JWKS from this file.
    #[arg(long)]
    jwks_file: Option<PathBuf>,
    /// The claim that is the user's id: sub, email or another claim's name.
    #[arg(long, default_value = "sub")]
    id_claim: String,
    /// Lower-case the id first (for case-insensitive ids such as e-mail addresses).
    #[arg(long)]
    lowercase_id: bool,
    /// The maximum age of a token, seconds since its iat.
    #[arg(long, default_value_t = 3600)]
    max_token_age: u64,
}

/// The verifier and its owner.
#[derive(Args)]
struct OwnerArgs {
    /// The verifier's name.
    #[arg(long)]
    name: String,
    /// The owner's secret URI, e.g. //Alice or a mnemonic.
    #[arg(long)]
    suri: String,
    /// A node's RPC URL (http:// or ws://).
    #[arg(long, default_value = "http://127.0.0.1:9944")]
    node: String,
}

/// Where a JWKS comes from.
#[derive(Args)]
struct JwksSource {
    /// Fetch the issuer's JWKS from this plain http:// URL.
    #[arg(
        long,
        conflicts_with = "jwks_file",
        required_unless_present = "jwks_file"
    )]
    jwks_url: Option<String>,
    /// Read the issuer's JWKS from this file.
    #[arg(long)]
    jwks_file: Option<PathBuf>,
}

#[derive(Args)]
struct RotateJwksArgs {
    #[command(flatten)]
    owner: OwnerArgs,
    #[command(flatten)]
    jwks: JwksSource,
}

#[derive(Args)]
struct AddJwkArgs {
    #[command(flatten)]
    owner: OwnerArgs,
    /// The JWKS that holds the new key.
    #[command(flatten)]
    jwks: JwksSource,
    /// The `kid` of the key to add, from that JWKS.
    #[arg(long)]
    kid: String,
}

#[derive(Args)]
struct RemoveJwkArgs {
    #[command(flatten)]
    owner: OwnerArgs,
    /// The `kid` of the key to remove.
    #[arg(long)]
    kid: String,
}

#[derive(Args)]
struct DevIssuerArgs {
    /// The TCP port (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// The issuer URL (the tokens' iss). Default: http://<bind>:<port>.
    #[arg(long)]
    issuer: Option<String>,
    /// The audience of tokens that ask for none.
    #[arg(long, default_value = DEFAULT_AUDIENCE)]
    audience: String,
    /// Keep the signing keys in this directory (generated there on first use).
    #[arg(long)]
    key_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Login(args) => login(args).await,
        Command::Lookup(args) => lookup(args).await,
        Command::Verifier(command) => verifier(command).await,
        Command::DevIssuer(args) => dev_issuer(args).await,
    }
}

async fn login(args: LoginArgs) -> Result<()> {
    let token = if args.id_token == "-" {
        let mut token = String::new();
        std::io::stdin()
            .read_to_string(&mut token)
            .context("reading the id token from standard input")?;
        token
    } else {
        args.id_token.clone()
    };
    let client = args
        .network
        .client(Some((&args.verifier, &args.verifier_id)))
        .await?;
    let key = client
        .retrieve_key(&args.verifier, &args.verifier_id, token.trim())
        .await
        .context("login failed")?;
    let private_key = args.show_private_key.then(|| key.private_key_hex());
    if args.json {
        let mut out = json!({
            "verifier": args.verifier,
            "verifier_id": args.verifier_id,
            "address": key.address(),
            "public_key": key.public_key(),
            "oauth_public_key": key.oauth_public_key(),
            "pub_nonce": key.pub_nonce(),
            "node_indexes": key.node_indexes(),
            "session_tokens": key.session().tokens.len(),
        });
        if let Some(private_key) = &private_key {
            out["private_key"] = json!(private_key.as_str());
        }
        out!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        out!("address        {}", key.address());
        out!("public key x   {}", key.public_key().x_hex());
        out!("public key y   {}", key.public_key().y_hex());
        out!("node indexes   {}", join(key.node_indexes()));
        if let Some(private_key) = &private_key {
            out!("private key    {}", private_key.as_str());
        }
    }
    Ok(())
}

fn join(indexes: &[u16]) -> String {
    indexes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

async fn lookup(args: LookupArgs) -> Result<()> {
    let client = args
        .network
        .client(Some((&args.verifier, &args.verifier_id)))
        .await?;
    let info = if args.assign {
        Some(
            client
                .get_or_assign(&args.verifier, &args.verifier_id)
                .await?,
        )
    } else {
        client.lookup(&args.verifier, &args.verifier_id).await?
    };
    match (info, args.json) {
        (Some(info), true) => {
            let mut out = serde_json::to_value(&info)?;
            out["assigned"] = json!(true);
            out!("{}", serde_json::to_string_pretty(&out)?);
        }
        (None, true) => out!("{}", json!({"assigned": false})),
        (Some(info), false) => {
            out!("address        {}", info.address);
            out!("public key x   {}", info.x);
            out!("public key y   {}", info.y);
            out!("node indexes   {}", join(&info.node_indexes));
        }
        (None, false) => out!(
            "no key is assigned to {} under verifier {} yet (a login, or `torus lookup --assign`, assigns one)",
            args.verifier_id, args.verifier
        ),
    }
    Ok(())
}

async fn verifier(command: VerifierCommand) -> Result<()> {
    match command {
        VerifierCommand::Register(args) => {
            // Check the name and the count before anything is signed.
            let name = verifier_name(&args.verifier.name)?;
            write_verifier(&args.verifier, true).await?;
            if let Some(keys) = args.keys {
                let signer = Signer::from_suri(&args.verifier.suri)?;
                let chain = ChainClient::connect(&args.verifier.node).await?;
                top_up(&chain, &signer, &args.verifier.name, name, keys)
                    .await
                    .context("the verifier is registered, but buying its keys failed (retry with `torus verifier top-up`)")?;
            }
            Ok(())
        }
        VerifierCommand::Update(args) => write_verifier(&args, false).await,
        VerifierCommand::RotateJwks(args) => {
            let name = verifier_name(&args.owner.name)?;
            let jwks = load_jwks(
                args.jwks.jwks_url.as_deref(),
                args.jwks.jwks_file.as_deref(),
            )
            .await?
            .keys
            .try_into()
            .map_err(|_| {
                anyhow!(
                    "the JWKS has more than {} usable keys",
                    torus_primitives::limits::MAX_JWKS
                )
            })?;
            let signer = Signer::from_suri(&args.owner.suri)?;
            let chain = ChainClient::connect(&args.owner.node).await?;
            let inclusion = chain.rotate_jwks(&signer, name, jwks).await?;
            report_announcement(&args.owner.name, &inclusion, &signer)
        }
        VerifierCommand::AddJwk(args) => {
            let name = verifier_name(&args.owner.name)?;
            let jwks = load_jwks(
                args.jwks.jwks_url.as_deref(),
                args.jwks.jwks_file.as_deref(),
            )
            .await?;
            let jwk = jwks
                .keys
                .iter()
                .find(|key| key.kid.as_slice() == args.kid.as_bytes())
                .cloned()
                .ok_or_else(|| {
                    let kids: Vec<String> = jwks
                        .keys
                        .iter()
                        .map(|key| String::from_utf8_lossy(&key.kid).into_owned())
                        .collect();
                    anyhow!(
                        "the JWKS has no usable key with kid {} (it has: {})",
                        args.kid,
                        kids.join(", ")
                    )
                })?;
            let signer = Signer::from_suri(&args.owner.suri)?;
            let chain = ChainClient::connect(&args.owner.node).await?;
            let inclusion = chain.add_jwk(&signer, name, jwk).await?;
            report_announcement(&args.owner.name, &inclusion, &signer)
        }
        VerifierCommand::RemoveJwk(args) => {
            let name = verifier_name(&args.owner.name)?;
            let kid = args.kid.as_bytes().to_vec().try_into().map_err(|_| {
                anyhow!(
                    "a kid has at most {} bytes",
                    torus_primitives::limits::MAX_KID_LEN
                )
            })?;
            let signer = Signer::from_suri(&args.owner.suri)?;
            let chain = ChainClient::connect(&args.owner.node).await?;
            let inclusion = chain.remove_jwk(&signer, name, kid).await?;
            out!(
                "removed key {} from verifier {} in block #{} ({:?}): no token signed with it is accepted from this block on",
                args.kid,
                args.owner.name,
                inclusion.block_number,
                inclusion.block_hash
            );
            print_events(&inclusion)
        }
        VerifierCommand::CancelChange(args) => {
            let name = verifier_name(&args.name)?;
            let signer = Signer::from_suri(&args.suri)?;
            let chain = ChainClient::connect(&args.node).await?;
            let inclusion = chain.cancel_change(&signer, name).await?;
            out!(
                "cancelled the pending change of verifier {} in block #{} ({:?}); its configuration stays as it is",
                args.name,
                inclusion.block_number,
                inclusion.block_hash
            );
            print_events(&inclusion)
        }
        VerifierCommand::TopUp(args) => {
            let name = verifier_name(&args.name)?;
            let signer = Signer::from_suri(&args.suri)?;
            let chain = ChainClient::connect(&args.node).await?;
            top_up(&chain, &signer, &args.name, name, args.keys).await
        }
        VerifierCommand::Show { name, node } => {
            let chain = ChainClient::connect(&node).await?;
            let record = chain
                .verifier(&name)
                .await?
                .ok_or_else(|| anyhow!("no verifier named {name} on {node}"))?;
            let mut shown = record_to_json(&name, &record);
            shown["allowance"] = json!(chain.allowance(&name).await?);
            shown["pending_change"] = match chain.pending_change(&name).await? {
                Some(pending) => pending_to_json(&pending),
                None => serde_json::Value::Null,
            };
            out!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(())
        }
    }
}

/// Buys `keys` keys of allowance for the verifier `shown_name` and reports the fee and the new
/// allowance.
async fn top_up(
    chain: &ChainClient,
    signer: &Signer,
    shown_name: &str,
    name: torus_primitives::VerifierName,
    keys: u32,
) -> Result<()> {
    let inclusion = chain.top_up_allowance(signer, name, keys).await?;
    let fee = inclusion.events.iter().find_map(|event| match event {
        torus_runtime::RuntimeEvent::Keys(pallet_keys::Event::AllowanceToppedUp {
            fee, ..
        }) => Some(*fee),
        _ => None,
    });
    let allowance = chain.allowance(shown_name).await?;
    out!(
        "bought {keys} keys for verifier {shown_name} in block #{} ({:?}) as {}: fee {} (burned), allowance now {allowance}",
        inclusion.block_number,
        inclusion.block_hash,
        signer.account_id(),
        fee.map_or_else(|| "unknown".to_owned(), format_torus),
    );
    Ok(())
}

async fn read_jwks(args: &VerifierWrite) -> Result<ConvertedJwks> {
    load_jwks(args.jwks_url.as_deref(), args.jwks_file.as_deref()).await
}

/// The usable keys of the JWKS at `url` or in `file` (skipped keys are warned about).
async fn load_jwks(url: Option<&str>, file: Option<&Path>) -> Result<ConvertedJwks> {
    let text = match (url, file) {
        (Some(url), _) => {
            let body = torus_client::http::get(url, Duration::from_secs(30)).await?;
            String::from_utf8(body.to_vec()).context("the JWKS is not UTF-8")?
        }
        (None, Some(path)) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        (None, None) => bail!("give --jwks-url or --jwks-file"),
    };
    let converted = jwks_from_str(&text)?;
    for skipped in &converted.skipped {
        eprintln!("warning: skipping key {}: {}", skipped.kid, skipped.reason);
    }
    Ok(converted)
}

async fn write_verifier(args: &VerifierWrite, register: bool) -> Result<()> {
    let name = verifier_name(&args.name)?;
    let jwks = read_jwks(args).await?;
    let config = VerifierSpec {
        issuer: args.issuer.clone(),
        audiences: args.audiences.clone(),
        jwks: jwks.keys,
        id_claim: args.id_claim.clone(),
        lowercase_id: args.lowercase_id,
        max_token_age_secs: args.max_token_age,
    }
    .to_config()?;
    let signer = Signer::from_suri(&args.suri)?;
    let chain = ChainClient::connect(&args.node).await?;
    let inclusion: Inclusion = if register {
        chain.register_verifier(&signer, name, config).await?
    } else {
        chain.update_verifier(&signer, name, config).await?
    };
    if !register {
        return report_announcement(&args.name, &inclusion, &signer);
    }
    out!(
        "registered verifier {} in block #{} ({:?}) as {}",
        args.name,
        inclusion.block_number,
        inclusion.block_hash,
        signer.account_id()
    );
    print_events(&inclusion)
}

/// Tells the user that a change of the verifier `name` is announced, and from which block on
/// it takes effect.
fn report_announcement(name: &str, inclusion: &Inclusion, signer: &Signer) -> Result<()> {
    let announcement = inclusion
        .announcement()
        .ok_or_else(|| anyhow!("the chain announced no change: {:?}", inclusion.events))?;
    let blocks = announcement
        .effective_at
        .saturating_sub(inclusion.block_number);
    out!(
        "announced {} of verifier {} in block #{} ({:?}) as {}",
        describe_change(&announcement.change),
        name,
        inclusion.block_number,
        inclusion.block_hash,
        signer.account_id()
    );
    out!(
        "it takes effect at block #{} (in {} blocks, about {} s); until then the current configuration stays in effect",
        announcement.effective_at,
        blocks,
        u64::from(blocks) * torus_runtime::MILLISECS_PER_BLOCK / 1000
    );
    out!(
        "`torus verifier show {name}` shows the pending change, `torus verifier cancel-change` drops it"
    );
    print_events(inclusion)
}

/// Lists the events of an included extrinsic.
fn print_events(inclusion: &Inclusion) -> Result<()> {
    for event in &inclusion.events {
        out!("  event {event:?}");
    }
    Ok(())
}

async fn dev_issuer(args: DevIssuerArgs) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.bind, args.port))
        .await
        .with_context(|| format!("listening on {}:{}", args.bind, args.port))?;
    let address = listener.local_addr()?;
    let issuer_url = args
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let keys = match &args.key_dir {
        Some(dir) => {
            let (keys, generated) = DevKeys::load_or_generate(dir)?;
            eprintln!(
                "{} signing keys in {}",
                if generated {
                    "generated and saved"
                } else {
                    "loaded"
                },
                dir.display()
            );
            keys
        }
        None => DevKeys::generate()?,
    };
    let issuer = Arc::new(DevIssuer::new(issuer_url, args.audience.clone(), keys)?);
    out!("Torus dev issuer listening on http://{address} (for tests only: it signs tokens for anyone)");
    out!("issuer   {}", issuer.issuer());
    out!("jwks     {}", issuer.jwks_url());
    out!(
        "token    {}?sub=alice[&alg=ES256][&email=..][&aud=..][&ttl=secs]",
        issuer.token_url()
    );
    out!("audience {}", issuer.audience());
    tokio::select! {
        () = issuer.serve(listener) => Ok(()),
        signal = tokio::signal::ctrl_c() => signal.context("waiting for Ctrl-C"),
    }
}
