//! The parameters of the four methods: the fields `@toruslabs/torus.js` 17 sends in the
//! sapphire DKG flow. A node reads the fields it needs and ignores the others; the `Option`
//! fields are what torus.js sends besides and a node does not need.

use serde::{Deserialize, Serialize};

use crate::encoding::to_hex;

/// The key type of every request: DirectAuth keys are secp256k1.
pub const KEY_TYPE: &str = "secp256k1";
/// The `messageprefix` of a commitment.
pub const MESSAGE_PREFIX: &str = "mug00";
/// The session token lifetime torus.js asks for by default, in seconds.
pub const DEFAULT_SESSION_SECS: u64 = 86_400;
const SEPARATOR: char = '\u{1c}';

/// `VerifierLookupRequest` and `GetPubKeyOrKeyAssign` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupParams {
    /// The verifier's name.
    pub verifier: String,
    /// The user's id under the verifier.
    pub verifier_id: String,
    /// Always [`KEY_TYPE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// The client's clock, Unix seconds (decimal): replies carry the node's offset from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_time: Option<String>,
    /// `GetPubKeyOrKeyAssign`: `true` (torus.js's OneKey flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_key_flow: Option<bool>,
    /// `GetPubKeyOrKeyAssign`: `true` (the nonce comes from the nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed_metadata: Option<bool>,
    /// `GetPubKeyOrKeyAssign`: `true` (the reply names the node's index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_node_index: Option<bool>,
    /// A TSS key's name, `verifier_id ‖ U+0015 ‖ tag ‖ U+0016 ‖ nonce`: the lookup is of that
    /// key's network key (torus.js's TSS public-key lookup), not of the user's own key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_verifier_id: Option<String>,
}

impl LookupParams {
    /// `VerifierLookupRequest` parameters, as torus.js sends them.
    pub fn lookup(verifier: &str, verifier_id: &str, client_time: u64) -> Self {
        Self {
            verifier: verifier.into(),
            verifier_id: verifier_id.into(),
            key_type: Some(KEY_TYPE.into()),
            client_time: Some(client_time.to_string()),
            one_key_flow: None,
            distributed_metadata: None,
            fetch_node_index: None,
            extended_verifier_id: None,
        }
    }

    /// `GetPubKeyOrKeyAssign` parameters of torus.js's TSS public-key lookup: the network key
    /// of the TSS key named `extended_verifier_id`.
    pub fn get_or_assign_tss(
        verifier: &str,
        verifier_id: &str,
        extended_verifier_id: &str,
        client_time: u64,
    ) -> Self {
        Self {
            extended_verifier_id: Some(extended_verifier_id.into()),
            ..Self::get_or_assign(verifier, verifier_id, client_time)
        }
    }

    /// `GetPubKeyOrKeyAssign` parameters, as torus.js sends them.
    pub fn get_or_assign(verifier: &str, verifier_id: &str, client_time: u64) -> Self {
        Self {
            one_key_flow: Some(true),
            distributed_metadata: Some(true),
            fetch_node_index: Some(true),
            ..Self::lookup(verifier, verifier_id, client_time)
        }
    }
}

/// `CommitmentRequest` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentParams {
    /// Must be [`MESSAGE_PREFIX`].
    pub messageprefix: String,
    /// keccak-256 of the id token, 64 hex digits.
    pub tokencommitment: String,
    /// The client's ephemeral (session) public key, X.
    pub temppubx: String,
    /// The client's ephemeral (session) public key, Y.
    pub temppuby: String,
    /// The verifier's name.
    pub verifieridentifier: String,
    /// The user's id (optional): if the user has a key, the reply names it (`pub_key_x`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier_id: Option<String>,
    /// Always [`KEY_TYPE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keytype: Option<String>,
    /// `true` in torus.js's flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_import_key_flow: Option<bool>,
}

impl CommitmentParams {
    /// The parameters torus.js sends: `token_commitment` is keccak-256 of the id token,
    /// `temp_pub` the session key's padded hex X and Y.
    pub fn new(
        verifier: &str,
        verifier_id: &str,
        token_commitment: &[u8; 32],
        temp_pub: (&str, &str),
    ) -> Self {
        Self {
            messageprefix: MESSAGE_PREFIX.into(),
            tokencommitment: to_hex(token_commitment),
            temppubx: temp_pub.0.into(),
            temppuby: temp_pub.1.into(),
            verifieridentifier: verifier.into(),
            verifier_id: Some(verifier_id.into()),
            keytype: Some(KEY_TYPE.into()),
            is_import_key_flow: Some(true),
        }
    }
}

/// `GetShareOrKeyAssign` parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShareParams {
    /// Exactly one login.
    pub item: Vec<ShareItem>,
    /// The client's clock, Unix seconds (decimal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_time: Option<String>,
    /// torus.js's flags of the flow, sent as it sends them and not read by nodes.
    #[serde(flatten)]
    pub flags: ShareFlags,
}

/// The fields torus.js sends with every `GetShareOrKeyAssign` that a node does not read.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ShareFlags {
    /// `"yes"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<String>,
    /// `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_temp: Option<bool>,
    /// [`KEY_TYPE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed_metadata: Option<bool>,
    /// The verifier's name, again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifieridentifier: Option<String>,
    /// Empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temppubx: Option<String>,
    /// Empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temppuby: Option<String>,
    /// `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_key_flow: Option<bool>,
}

impl ShareParams {
    /// The parameters torus.js sends: `node_signatures` are the successful `CommitmentRequest`
    /// results, in endpoint order.
    pub fn new(
        verifier: &str,
        verifier_id: &str,
        id_token: &str,
        node_signatures: Vec<NodeSignature>,
        session_secs: u64,
        client_time: u64,
    ) -> Self {
        Self {
            item: vec![ShareItem {
                verifieridentifier: verifier.into(),
                verifier_id: verifier_id.into(),
                idtoken: id_token.into(),
                nodesignatures: node_signatures,
                session_token_exp_second: session_secs,
                key_type: Some(KEY_TYPE.into()),
                extended_verifier_id: None,
            }],
            client_time: Some(client_time.to_string()),
            flags: ShareFlags {
                encrypted: Some("yes".into()),
                use_temp: Some(true),
                key_type: Some(KEY_TYPE.into()),
                distributed_metadata: Some(true),
                verifieridentifier: Some(verifier.into()),
                temppubx: Some(String::new()),
                temppuby: Some(String::new()),
                one_key_flow: Some(true),
            },
        }
    }
}

/// The one login of a `GetShareOrKeyAssign`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShareItem {
    /// The verifier's name.
    pub verifieridentifier: String,
    /// The user's id under the verifier; must match the token's id claim.
    pub verifier_id: String,
    /// The id token.
    pub idtoken: String,
    /// The `CommitmentRequest` results of the nodes.
    pub nodesignatures: Vec<NodeSignature>,
    /// Lifetime of the session tokens, in seconds.
    #[serde(default = "default_session_secs")]
    pub session_token_exp_second: u64,
    /// [`KEY_TYPE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// A TSS key's name: nodes refuse it (its network key is never released).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_verifier_id: Option<String>,
}

fn default_session_secs() -> u64 {
    DEFAULT_SESSION_SECS
}

/// A node's signed acknowledgement of a commitment: the `CommitmentRequest` result.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeSignature {
    /// Hex of `r ‖ s ‖ v` (`v` 27 or 28) over keccak-256 of `data`.
    pub signature: String,
    /// The signed fields joined with `\x1c` (see [`CommitmentData`]).
    pub data: String,
    /// The node's DKG key, X.
    pub nodepubx: String,
    /// The node's DKG key, Y.
    pub nodepuby: String,
    /// The node's index in the current committee (decimal).
    #[serde(default)]
    pub nodeindex: String,
    /// The user's key X if one is assigned, else empty.
    #[serde(default)]
    pub pub_key_x: String,
}

/// The fields a node signs when it acknowledges a commitment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitmentData {
    /// keccak-256 of the id token, hex.
    pub token_commitment: String,
    /// The client's ephemeral public key, X (hex).
    pub temp_pub_x: String,
    /// The client's ephemeral public key, Y (hex).
    pub temp_pub_y: String,
    /// The verifier's name.
    pub verifier: String,
    /// When the node signed, Unix seconds.
    pub signed_at: u64,
}

impl CommitmentData {
    /// The signed string: prefix, commitment, temp X, temp Y, verifier and time joined with
    /// the ASCII file separator `\x1c`.
    pub fn encode(&self) -> String {
        [
            MESSAGE_PREFIX,
            &self.token_commitment,
            &self.temp_pub_x,
            &self.temp_pub_y,
            &self.verifier,
            &self.signed_at.to_string(),
        ]
        .join(&SEPARATOR.to_string())
    }

    /// Parses [`encode`](Self::encode)'s output.
    pub fn decode(data: &str) -> Option<Self> {
        let mut fields = data.split(SEPARATOR);
        let mut next = || fields.next();
        let (Some(prefix), Some(commitment), Some(x), Some(y), Some(verifier), Some(time), None) =
            (next(), next(), next(), next(), next(), next(), next())
        else {
            return None;
        };
        (prefix == MESSAGE_PREFIX).then_some(())?;
        Some(Self {
            token_commitment: commitment.to_owned(),
            temp_pub_x: x.to_owned(),
            temp_pub_y: y.to_owned(),
            verifier: verifier.to_owned(),
            signed_at: time.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn commitment_data_round_trips_and_refuses_other_prefixes() {
        let data = CommitmentData {
            token_commitment: "ab".repeat(32),
            temp_pub_x: "01".repeat(32),
            temp_pub_y: "02".repeat(32),
            verifier: "google".into(),
            signed_at: 1_795_626_698,
        };
        let text = data.encode();
        assert_eq!(text.matches('\u{1c}').count(), 5);
        assert_eq!(CommitmentData::decode(&text), Some(data));
        assert_eq!(
            CommitmentData::decode(&text.replacen("mug00", "mug01", 1)),
            None
        );
        assert_eq!(CommitmentData::decode("mug00"), None);
        assert_eq!(CommitmentData::decode(&format!("{text}\u{1c}extra")), None);
    }

    #[test]
    fn requests_carry_the_fields_torus_js_sends() {
        let p = CommitmentParams::new("v", "alice", &[0xab; 32], ("01", "02"));
        let p = to_json(&p);
        assert_eq!(p["messageprefix"], "mug00");
        assert_eq!(p["keytype"], "secp256k1");
        assert_eq!(p["tokencommitment"], "ab".repeat(32));
        assert_eq!(p["is_import_key_flow"], true);
        let signature = NodeSignature {
            signature: "s".into(),
            data: "d".into(),
            nodepubx: "x".into(),
            nodepuby: "y".into(),
            nodeindex: "1".into(),
            pub_key_x: String::new(),
        };
        let s = to_json(&ShareParams::new(
            "v",
            "alice",
            "tok",
            vec![signature],
            86_400,
            5,
        ));
        assert_eq!(s["item"][0]["session_token_exp_second"], 86_400);
        assert_eq!(s["item"][0]["nodesignatures"][0]["data"], "d");
        assert_eq!(s["temppubx"], "");
        assert_eq!(s["encrypted"], "yes");
        assert_eq!(s["client_time"], "5");
        let g = to_json(&LookupParams::get_or_assign("v", "alice", 7));
        assert_eq!(g["fetch_node_index"], true);
        assert_eq!(g["client_time"], "7");
        let l = to_json(&LookupParams::lookup("v", "alice", 7));
        assert!(l.get("fetch_node_index").is_none());
    }

    #[test]
    fn a_node_reads_what_torus_js_sends_and_ignores_the_rest() {
        let item: ShareParams = serde_json::from_value(json!({
            "item": [{"verifieridentifier": "v", "verifier_id": "a", "idtoken": "t",
                      "nodesignatures": [], "unknown": 1}],
            "something": "else"
        }))
        .expect("parses");
        assert_eq!(item.item[0].session_token_exp_second, DEFAULT_SESSION_SECS);
        let lookup: LookupParams =
            serde_json::from_value(json!({"verifier": "v", "verifier_id": "a"})).expect("parses");
        assert_eq!(lookup.client_time, None);
    }

    fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).expect("serializes")
    }
}
