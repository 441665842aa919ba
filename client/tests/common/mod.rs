//! Mock Torus nodes for the client's tests: in-process jsonrpsee servers on 127.0.0.1 that
//! speak the Torus JSON-RPC API over real HTTP.
//!
//! The mock deals the key with a polynomial of degree ⌊n/2⌋ and answers as the protocol
//! reference describes a node: it records commitments (refusing a replay with `Duplicate token
//! found`), checks that the shares request carries ⌊3n/4⌋+1 commitments to the token, and
//! encrypts the share, a session token and a signature to the session key of the commitment.
// Each test binary uses a part of the helpers.
#![allow(dead_code)]

use std::{
    collections::HashSet,
    net::TcpListener as StdListener,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine as _;
use jsonrpsee::{
    server::{RpcModule, Server, ServerHandle},
    types::{ErrorObjectOwned, Params},
};
use k256::{elliptic_curve::ops::MulByGenerator, ProjectivePoint, Scalar};
use rand::{rngs::OsRng, RngCore};
use serde_json::{json, Value};
use torus_client::{
    encoding::{keccak256, point_to_hex},
    TorusClient,
};
use torus_crypto::{
    ecies::{encrypt, Ciphertext, EncryptionPublicKey},
    vss::{random_nonzero, SecretPolynomial},
};

pub const VERIFIER: &str = "mock-verifier";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Honest,
    /// Sends a random share.
    WrongShare,
    /// Answers every call after this delay.
    Slow(Duration),
    /// Not running: its endpoint refuses connections.
    Down,
    /// Refuses every call with this error data.
    Refuses(&'static str),
}

/// What all mock nodes agree on (as a chain would decide it).
pub struct Shared {
    pub n: usize,
    pub polynomial: SecretPolynomial,
    pub nonce: Scalar,
    /// The public nonce the nodes send (`nonce·G` unless a test breaks it).
    pub pub_nonce: ProjectivePoint,
    pub assigned: Mutex<bool>,
}

impl Shared {
    fn oauth_public(&self) -> (String, String) {
        point_to_hex(&ProjectivePoint::mul_by_generator(&self.polynomial.secret()).to_affine())
    }

    fn pub_nonce_json(&self) -> Value {
        let (x, y) = point_to_hex(&self.pub_nonce.to_affine());
        json!({"x": x, "y": y})
    }
}

struct MockNode {
    index: u16,
    behaviour: Behaviour,
    shared: Arc<Shared>,
    seen: Mutex<HashSet<String>>,
    node_key: Scalar,
}

fn error(data: &str) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32000, "Torus request refused", Some(data.to_owned()))
}

/// A refusal with the code a Torus node gives it (clients recognise refusals by code).
fn refusal(code: i32, data: &str) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, data, Some(data.to_owned()))
}

fn encrypted(to: &EncryptionPublicKey, plain: &[u8]) -> (String, Value) {
    let ct: Ciphertext = encrypt(to, plain, &mut OsRng).expect("encrypts");
    (
        hex::encode(&ct.ciphertext),
        json!({
            "iv": hex::encode(ct.iv),
            "ephemPublicKey": hex::encode(ct.ephemeral_public_key),
            "mac": hex::encode(ct.mac),
            "mode": "AES256",
        }),
    )
}

impl MockNode {
    fn lookup_key(&self) -> Value {
        let (x, y) = self.shared.oauth_public();
        json!({"pub_key_X": x, "pub_key_Y": y, "address": "0xmock"})
    }

    fn verifier_lookup(&self) -> Result<Value, ErrorObjectOwned> {
        if !*self.shared.assigned.lock().expect("lock") {
            return Err(refusal(
                torus_client::wire::codes::NOT_ASSIGNED,
                torus_client::wire::codes::NOT_ASSIGNED_MESSAGE,
            ));
        }
        Ok(json!({"keys": [self.lookup_key()], "server_time_offset": "0"}))
    }

    fn get_pub_key(&self) -> Result<Value, ErrorObjectOwned> {
        *self.shared.assigned.lock().expect("lock") = true;
        let mut key = self.lookup_key();
        key["nonce_data"] = json!({
            "typeOfUser": "v2",
            "pubNonce": self.shared.pub_nonce_json(),
            "upgraded": false,
        });
        Ok(json!({
            "keys": [key],
            "is_new_key": false,
            "node_index": self.index.to_string(),
            "server_time_offset": "0",
        }))
    }

    fn node_pub(&self) -> (String, String) {
        point_to_hex(&ProjectivePoint::mul_by_generator(&self.node_key).to_affine())
    }

    fn commitment(&self, params: &Value) -> Result<Value, ErrorObjectOwned> {
        let field = |name: &str| params[name].as_str().unwrap_or_default().to_owned();
        if field("messageprefix") != "mug00" || field("keytype") != "secp256k1" {
            return Err(error("bad commitment params"));
        }
        let commitment = field("tokencommitment");
        if !self.seen.lock().expect("lock").insert(commitment.clone()) {
            return Err(refusal(
                torus_client::wire::codes::DUPLICATE_TOKEN,
                torus_client::wire::codes::DUPLICATE_TOKEN_MESSAGE,
            ));
        }
        let data = [
            "mug00".to_owned(),
            commitment,
            field("temppubx"),
            field("temppuby"),
            field("verifieridentifier"),
            "1795626698".to_owned(),
        ]
        .join("\u{1c}");
        let (x, y) = self.node_pub();
        let mut signature = [0u8; 65];
        OsRng.fill_bytes(&mut signature);
        Ok(json!({
            "signature": hex::encode(signature),
            "data": data,
            "nodepubx": x,
            "nodepuby": y,
            "nodeindex": self.index.to_string(),
            "pub_key_x": "",
        }))
    }

    fn share(&self, params: &Value) -> Result<Value, ErrorObjectOwned> {
        let item = &params["item"][0];
        let token = item["idtoken"]
            .as_str()
            .ok_or_else(|| error("no idtoken"))?;
        let signatures = item["nodesignatures"]
            .as_array()
            .ok_or_else(|| error("no signatures"))?;
        let commitment = hex::encode(keccak256(token.as_bytes()));
        let matching: Vec<Vec<&str>> = signatures
            .iter()
            .filter_map(|s| s["data"].as_str())
            .map(|d| d.split('\u{1c}').collect::<Vec<_>>())
            .filter(|f| f.len() == 6 && f[1] == commitment)
            .collect();
        // As the Torus node: ⌊n/2⌋+1 signatures on the commitment.
        if matching.len() < self.shared.n / 2 + 1 {
            return Err(error("Not enough valid signatures"));
        }
        if params["temppubx"] != "" || item["session_token_exp_second"] != 86_400 {
            return Err(error("unexpected share params"));
        }
        let temp = EncryptionPublicKey::from_bytes(
            &[
                &[4u8][..],
                &hex::decode(matching[0][2]).expect("hex"),
                &hex::decode(matching[0][3]).expect("hex"),
            ]
            .concat(),
        )
        .map_err(|_| error("bad temp key"))?;
        *self.shared.assigned.lock().expect("lock") = true;

        let value = match self.behaviour {
            Behaviour::WrongShare => random_nonzero(&mut OsRng),
            _ => {
                self.shared
                    .polynomial
                    .share(self.index)
                    .expect("index")
                    .value
            }
        };
        let (share_ct, share_meta) = encrypted(&temp, &value.to_bytes());
        let share_b64 = base64::engine::general_purpose::STANDARD.encode(share_ct.as_bytes());
        let session_token = json!({"exp": 1_900_000_000u64, "verifier_name": VERIFIER}).to_string();
        let (token_ct, token_meta) = encrypted(&temp, session_token.as_bytes());
        let (sig_ct, sig_meta) = encrypted(&temp, &[self.index as u8; 65]);
        let (x, y) = self.shared.oauth_public();
        let (node_x, node_y) = self.node_pub();
        Ok(json!({
            "keys": [{
                "public_key": {"X": x, "Y": y},
                "node_index": self.index.to_string(),
                "share": share_b64,
                "share_metadata": share_meta,
                "nonce_data": {
                    "typeOfUser": "v2",
                    "nonce": hex::encode(self.shared.nonce.to_bytes()),
                    "pubNonce": self.shared.pub_nonce_json(),
                    "upgraded": false,
                },
            }],
            "session_tokens": [token_ct],
            "session_token_metadata": [token_meta],
            "session_token_sigs": [sig_ct],
            "session_token_sig_metadata": [sig_meta],
            "node_pubx": node_x,
            "node_puby": node_y,
            "is_new_key": "false",
            "server_time_offset": "0",
        }))
    }

    async fn answer(
        self: Arc<Self>,
        method: &str,
        params: Value,
    ) -> Result<Value, ErrorObjectOwned> {
        if let Behaviour::Slow(delay) = self.behaviour {
            tokio::time::sleep(delay).await;
        }
        if let Behaviour::Refuses(data) = self.behaviour {
            return Err(error(data));
        }
        match method {
            "VerifierLookupRequest" => self.verifier_lookup(),
            "GetPubKeyOrKeyAssign" => self.get_pub_key(),
            "CommitmentRequest" => self.commitment(&params),
            "GetShareOrKeyAssign" => self.share(&params),
            _ => Err(error("unknown method")),
        }
    }
}

pub struct MockNetwork {
    pub shared: Arc<Shared>,
    pub endpoints: Vec<String>,
    _handles: Vec<ServerHandle>,
}

impl MockNetwork {
    pub async fn start(behaviours: &[Behaviour]) -> Self {
        let n = behaviours.len();
        let t = (n / 2 + 1) as u16;
        let secret = random_nonzero(&mut OsRng);
        let nonce = random_nonzero(&mut OsRng);
        let shared = Arc::new(Shared {
            n,
            polynomial: SecretPolynomial::random(secret, t, &mut OsRng).expect("t > 0"),
            nonce,
            pub_nonce: ProjectivePoint::mul_by_generator(&nonce),
            assigned: Mutex::new(false),
        });
        Self::with_shared(shared, behaviours).await
    }

    pub async fn with_shared(shared: Arc<Shared>, behaviours: &[Behaviour]) -> Self {
        let mut endpoints = Vec::new();
        let mut handles = Vec::new();
        for (i, behaviour) in behaviours.iter().enumerate() {
            if *behaviour == Behaviour::Down {
                // A port nobody listens on.
                let port = StdListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .expect("free port")
                    .port();
                endpoints.push(format!("http://127.0.0.1:{port}"));
                continue;
            }
            let node = Arc::new(MockNode {
                index: i as u16 + 1,
                behaviour: *behaviour,
                shared: shared.clone(),
                seen: Mutex::new(HashSet::new()),
                node_key: random_nonzero(&mut OsRng),
            });
            let mut module = RpcModule::new(node);
            for method in [
                "VerifierLookupRequest",
                "GetPubKeyOrKeyAssign",
                "CommitmentRequest",
                "GetShareOrKeyAssign",
            ] {
                module
                    .register_async_method(
                        method,
                        move |params: Params<'static>, node, _| async move {
                            let params: Value = params.parse().unwrap_or(Value::Null);
                            node.as_ref().clone().answer(method, params).await
                        },
                    )
                    .expect("register");
            }
            let server = Server::builder().build("127.0.0.1:0").await.expect("bind");
            endpoints.push(format!("http://{}", server.local_addr().expect("address")));
            handles.push(server.start(module));
        }
        Self {
            shared,
            endpoints,
            _handles: handles,
        }
    }

    pub fn client(&self) -> TorusClient {
        TorusClient::try_new(self.endpoints.clone()).expect("valid endpoints")
    }

    pub fn final_key(&self) -> Scalar {
        self.shared.polynomial.secret() + self.shared.nonce
    }
}

pub fn token() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    format!("eyJhbGciOiJSUzI1NiJ9.{}.c2ln", hex::encode(bytes))
}
