//! The JSON shapes of the Torus JSON-RPC API, as `@toruslabs/torus.js` 17 sends and reads them
//! (see `docs/TORUS-API.md`). Unknown request fields are ignored; every hex value is lowercase,
//! without `0x`, and scalars and coordinates are padded to 64 digits.

use k256::{
    elliptic_curve::{
        point::AffineCoordinates,
        sec1::{FromEncodedPoint, ToEncodedPoint},
    },
    AffinePoint, EncodedPoint,
};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};
use torus_crypto::ecies::Ciphertext;

/// `VerifierLookupRequest` and `GetPubKeyOrKeyAssign` parameters (the fields we use).
#[derive(Clone, Debug, Deserialize)]
pub struct LookupParams {
    /// The verifier's name.
    pub verifier: String,
    /// The user's id under the verifier.
    pub verifier_id: String,
}

/// `CommitmentRequest` parameters.
#[derive(Clone, Debug, Deserialize)]
pub struct CommitmentParams {
    /// Must be `mug00`.
    pub messageprefix: String,
    /// keccak-256 of the id token, hex.
    pub tokencommitment: String,
    /// The client's ephemeral (session) public key, X.
    pub temppubx: String,
    /// The client's ephemeral (session) public key, Y.
    pub temppuby: String,
    /// The verifier's name.
    pub verifieridentifier: String,
    /// The user's id (optional): if the user has a key, the reply names it (`pub_key_x`).
    #[serde(default)]
    pub verifier_id: Option<String>,
}

/// `GetShareOrKeyAssign` parameters.
#[derive(Clone, Debug, Deserialize)]
pub struct ShareParams {
    /// Exactly one login.
    pub item: Vec<ShareItem>,
}

/// The one login of a `GetShareOrKeyAssign`.
#[derive(Clone, Debug, Deserialize)]
pub struct ShareItem {
    /// The verifier's name.
    pub verifieridentifier: String,
    /// The user's id under the verifier; must match the token's id claim.
    pub verifier_id: String,
    /// The id token.
    pub idtoken: String,
    /// The `CommitmentRequest` results of the nodes, verbatim.
    pub nodesignatures: Vec<NodeSignature>,
    /// Lifetime of the session tokens, in seconds.
    #[serde(default = "default_session_secs")]
    pub session_token_exp_second: u64,
}

fn default_session_secs() -> u64 {
    86_400
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

/// The prefix of every commitment.
pub const MESSAGE_PREFIX: &str = "mug00";
const SEPARATOR: char = '\u{1c}';

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
        let fields: Vec<&str> = data.split(SEPARATOR).collect();
        let [prefix, commitment, x, y, verifier, time] = fields[..] else {
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

/// keccak-256.
pub fn keccak256(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

/// Lowercase hex, padded to 64 digits, of 32 bytes.
pub fn hex32(bytes: &[u8; 32]) -> String {
    hex::encode(bytes)
}

/// Parses a hex number of at most 32 bytes (optional `0x`, either case, any padding) into
/// 32 big-endian bytes.
pub fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.is_empty() || digits.len() > 64 {
        return None;
    }
    let padded = format!("{digits:0>64}");
    let mut out = [0u8; 32];
    hex::decode_to_slice(padded, &mut out).ok()?;
    Some(out)
}

/// The affine point with the given hex coordinates, if it is on the curve.
pub fn point_from_hex(x: &str, y: &str) -> Option<AffinePoint> {
    let (x, y) = (parse_hex32(x)?, parse_hex32(y)?);
    let encoded = EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
    Option::from(AffinePoint::from_encoded_point(&encoded))
}

/// The padded hex X and Y of a point.
pub fn point_to_hex(point: &AffinePoint) -> (String, String) {
    let encoded = point.to_encoded_point(false);
    let x: [u8; 32] = point.x().into();
    let y: [u8; 32] = encoded.y().map(|y| (*y).into()).unwrap_or([0u8; 32]);
    (hex32(&x), hex32(&y))
}

/// The EIP-55 checksummed Ethereum address of a public key.
pub fn eth_address(point: &AffinePoint) -> String {
    let encoded = point.to_encoded_point(false);
    let hash = keccak256(&encoded.as_bytes()[1..]);
    let lower = hex::encode(&hash[12..]);
    let checksum = hex::encode(keccak256(lower.as_bytes()));
    let address: String = lower
        .chars()
        .zip(checksum.chars())
        .map(|(c, h)| {
            if c.is_ascii_alphabetic() && h.to_digit(16).is_some_and(|d| d >= 8) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    format!("0x{address}")
}

/// The `{X, Y}` public key object of a share reply.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PublicKeyXY {
    /// X, padded hex.
    #[serde(rename = "X")]
    pub x: String,
    /// Y, padded hex.
    #[serde(rename = "Y")]
    pub y: String,
}

/// The public nonce point.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PubNonce {
    /// X, padded hex.
    pub x: String,
    /// Y, padded hex.
    pub y: String,
}

/// The "v2" metadata nonce of a key (`nonce` only in authenticated replies).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NonceData {
    /// Always `v2`.
    pub type_of_user: &'static str,
    /// The nonce scalar, padded hex; only in `GetShareOrKeyAssign`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// `nonce·G`.
    pub pub_nonce: PubNonce,
    /// Always `false` (no key of this network has moved to a user-held 2-of-n share yet).
    pub upgraded: bool,
}

/// One key of a lookup reply.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LookupKey {
    /// The key's X, padded hex.
    #[serde(rename = "pub_key_X")]
    pub pub_key_x: String,
    /// The key's Y, padded hex.
    #[serde(rename = "pub_key_Y")]
    pub pub_key_y: String,
    /// The EIP-55 address of the key.
    pub address: String,
    /// The key's nonce (without the scalar), `GetPubKeyOrKeyAssign` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_data: Option<NonceData>,
}

/// `VerifierLookupRequest` and `GetPubKeyOrKeyAssign` result.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LookupResult {
    /// The user's key (exactly one).
    pub keys: Vec<LookupKey>,
    /// Always `false` (it must be the same on every node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_new_key: Option<bool>,
    /// This node's index in the current committee (decimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_index: Option<String>,
    /// This node's clock minus the client's, seconds (decimal).
    pub server_time_offset: String,
}

/// The ECIES parameters of an encrypted field (eccrypto's form, ciphertext travels beside).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EciesMetadata {
    /// Hex of the IV.
    pub iv: String,
    /// Hex of the 65-byte uncompressed ephemeral public key.
    pub ephem_public_key: String,
    /// Hex of the MAC.
    pub mac: String,
    /// Always `AES256`.
    pub mode: &'static str,
}

impl EciesMetadata {
    /// The metadata of a ciphertext and the hex of its AES ciphertext.
    pub fn split(ct: &Ciphertext) -> (String, Self) {
        (
            hex::encode(&ct.ciphertext),
            Self {
                iv: hex::encode(ct.iv),
                ephem_public_key: hex::encode(ct.ephemeral_public_key),
                mac: hex::encode(ct.mac),
                mode: "AES256",
            },
        )
    }
}

/// One key of a share reply.
#[derive(Clone, Debug, Serialize)]
pub struct ShareKey {
    /// The key's public key.
    pub public_key: PublicKeyXY,
    /// The share's x coordinate (this node's member index in the key's DKG batch).
    pub node_index: String,
    /// base64 of the hex of the ECIES ciphertext of the 32-byte share.
    pub share: String,
    /// The share's ECIES parameters.
    pub share_metadata: EciesMetadata,
    /// The key's nonce, with the scalar.
    pub nonce_data: NonceData,
}

/// `GetShareOrKeyAssign` result.
#[derive(Clone, Debug, Serialize)]
pub struct ShareResult {
    /// The user's key (exactly one).
    pub keys: Vec<ShareKey>,
    /// Hex ciphertexts of the session token (one).
    pub session_tokens: Vec<String>,
    /// Their ECIES parameters.
    pub session_token_metadata: Vec<EciesMetadata>,
    /// Hex ciphertexts of the session token's signature (one).
    pub session_token_sigs: Vec<String>,
    /// Their ECIES parameters.
    pub session_token_sig_metadata: Vec<EciesMetadata>,
    /// This node's DKG key, X.
    pub node_pubx: String,
    /// This node's DKG key, Y.
    pub node_puby: String,
    /// Always `"false"`.
    pub is_new_key: String,
    /// This node's clock minus the client's, seconds (decimal).
    pub server_time_offset: String,
}

/// The session token a node issues with a share: authorizes threshold signing later.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionToken {
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// The client's session public key, X.
    pub temp_key_x: String,
    /// The client's session public key, Y.
    pub temp_key_y: String,
    /// The verifier's name.
    pub verifier_name: String,
    /// The user's id.
    pub verifier_id: String,
    /// The issuing node's index in the current committee.
    pub node_index: u16,
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::{elliptic_curve::ops::MulByGenerator, ProjectivePoint, Scalar};

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
    }

    #[test]
    fn the_address_of_key_one_is_the_known_one() {
        let point = ProjectivePoint::mul_by_generator(&Scalar::ONE).to_affine();
        assert_eq!(
            eth_address(&point),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
        );
        let (x, y) = point_to_hex(&point);
        assert_eq!(point_from_hex(&x, &y), Some(point));
        assert_eq!(point_from_hex(&x, &x), None, "off the curve");
    }

    #[test]
    fn hex_numbers_parse_leniently_but_not_overlong() {
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(parse_hex32("0x1"), Some(one));
        assert_eq!(parse_hex32(&"0".repeat(63)), Some([0; 32]));
        assert_eq!(parse_hex32(&"1".repeat(65)), None);
        assert_eq!(parse_hex32("xyz"), None);
        assert_eq!(parse_hex32(""), None);
    }
}
