//! The results of the four methods, and the ECIES fields of a share reply. Fields that clients
//! compare across nodes exactly as sent (as torus.js does) are kept as JSON values.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use torus_crypto::{
    ecies::{Ciphertext, EncryptionSecretKey, IV_LEN, MAC_LEN},
    encoding::UNCOMPRESSED_POINT_LEN,
};
use zeroize::Zeroizing;

use crate::encoding::{decode_base64, decode_hex, to_hex, EncodingError};

/// `{x, y}` of the public nonce `R = r·G`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PubNonce {
    /// Hex X.
    #[serde(default)]
    pub x: String,
    /// Hex Y.
    #[serde(default)]
    pub y: String,
}

/// The OneKey "v2" metadata nonce of a key. `Debug` does not print the nonce scalar.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NonceData {
    /// `"v2"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_of_user: Option<String>,
    /// The nonce scalar `r` (hex); only in authenticated `GetShareOrKeyAssign` replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// `R = r·G`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_nonce: Option<PubNonce>,
    /// Whether the user moved to a user-held share (then there is no nonce); always `false`
    /// on this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgraded: Option<bool>,
}

impl NonceData {
    /// The "v2" nonce data a node sends: `R`, and the scalar only if `nonce` is given.
    pub fn v2(pub_nonce: PubNonce, nonce: Option<String>) -> Self {
        Self {
            type_of_user: Some("v2".into()),
            nonce,
            pub_nonce: Some(pub_nonce),
            upgraded: Some(false),
        }
    }

    /// The public nonce if it has a non-empty X (the condition under which `torus.js` uses it).
    pub fn usable_pub_nonce(&self) -> Option<&PubNonce> {
        self.pub_nonce.as_ref().filter(|p| !p.x.is_empty())
    }
}

impl core::fmt::Debug for NonceData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NonceData")
            .field("type_of_user", &self.type_of_user)
            .field("nonce", &self.nonce.as_ref().map(|_| "<redacted>"))
            .field("pub_nonce", &self.pub_nonce)
            .field("upgraded", &self.upgraded)
            .finish()
    }
}

/// One key of a `VerifierLookupRequest` or `GetPubKeyOrKeyAssign` result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupKey {
    /// The key's X (hex).
    #[serde(rename = "pub_key_X")]
    pub pub_key_x: String,
    /// The key's Y (hex).
    #[serde(rename = "pub_key_Y")]
    pub pub_key_y: String,
    /// The EIP-55 address of the key (compared across nodes, not interpreted).
    #[serde(default)]
    pub address: String,
    /// The key's nonce, without the scalar (`GetPubKeyOrKeyAssign` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_data: Option<NonceData>,
}

/// A `VerifierLookupRequest` or `GetPubKeyOrKeyAssign` result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupResult {
    /// The user's key: `keys[0]` is used.
    pub keys: Vec<LookupKey>,
    /// Whether the key was assigned by this call (`GetPubKeyOrKeyAssign`; kept as sent: it is
    /// part of what clients compare across nodes).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub is_new_key: Value,
    /// The replying node's index (decimal string; `GetPubKeyOrKeyAssign`).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub node_index: Value,
    /// The node's clock minus the client's, seconds (decimal string).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub server_time_offset: Value,
}

impl LookupResult {
    /// The part of a result that nodes must agree on: `keys[0]`'s X, Y and address, and
    /// `is_new_key`, exactly as sent (as `torus.js` compares them). `None` without keys.
    pub fn agreement_key(&self) -> Option<(String, String, String, Value)> {
        let key = self.keys.first()?;
        Some((
            key.pub_key_x.clone(),
            key.pub_key_y.clone(),
            key.address.clone(),
            self.is_new_key.clone(),
        ))
    }
}

/// The `{X, Y}` public key object of a share reply (compared across nodes as a whole).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyXY {
    /// X, hex.
    #[serde(rename = "X")]
    pub x: String,
    /// Y, hex.
    #[serde(rename = "Y")]
    pub y: String,
}

/// The ECIES parameters of an encrypted field (eccrypto's form; the ciphertext travels beside
/// it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EciesMetadata {
    /// Hex of the 16-byte IV.
    #[serde(default)]
    pub iv: String,
    /// Hex of the 65-byte uncompressed ephemeral public key.
    #[serde(default)]
    pub ephem_public_key: String,
    /// Hex of the 32-byte MAC.
    #[serde(default)]
    pub mac: String,
    /// `"AES256"` (not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// Why an encrypted field cannot be decrypted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// A field is not valid hex or base64.
    #[error("bad encoding: {0}")]
    Encoding(#[from] EncodingError),
    /// The IV, key or MAC has the wrong length, or the key is not a curve point.
    #[error("malformed ECIES metadata: {0}")]
    Metadata(&'static str),
    /// The MAC does not verify or the padding is wrong (not encrypted to our session key).
    #[error("ECIES decryption failed: {0}")]
    Crypto(torus_crypto::Error),
}

impl EciesMetadata {
    /// A ciphertext as a node sends it: the hex of its AES ciphertext, and its metadata.
    pub fn split(ct: &Ciphertext) -> (String, Self) {
        (
            to_hex(&ct.ciphertext),
            Self {
                iv: to_hex(&ct.iv),
                ephem_public_key: to_hex(&ct.ephemeral_public_key),
                mac: to_hex(&ct.mac),
                mode: Some("AES256".into()),
            },
        )
    }

    /// Whether the field is encrypted at all (`torus.js` reads it as plain when the ephemeral
    /// key is missing).
    pub fn is_encrypted(&self) -> bool {
        !self.ephem_public_key.is_empty()
    }

    /// The eccrypto ciphertext made of this metadata and the AES ciphertext bytes.
    pub fn ciphertext(&self, aes_ciphertext: Vec<u8>) -> Result<Ciphertext, DecryptError> {
        let iv: [u8; IV_LEN] = decode_hex(&self.iv)?
            .try_into()
            .map_err(|_| DecryptError::Metadata("iv is not 16 bytes"))?;
        let ephemeral_public_key: [u8; UNCOMPRESSED_POINT_LEN] =
            decode_hex(&self.ephem_public_key)?
                .try_into()
                .map_err(|_| DecryptError::Metadata("ephemPublicKey is not 65 bytes"))?;
        let mac: [u8; MAC_LEN] = decode_hex(&self.mac)?
            .try_into()
            .map_err(|_| DecryptError::Metadata("mac is not 32 bytes"))?;
        let ct = Ciphertext {
            iv,
            ephemeral_public_key,
            ciphertext: aes_ciphertext,
            mac,
        };
        ct.validate()
            .map_err(|_| DecryptError::Metadata("ephemeral key or ciphertext length invalid"))?;
        Ok(ct)
    }

    /// Decrypts `aes_ciphertext` with the session key.
    pub fn decrypt(
        &self,
        session_key: &EncryptionSecretKey,
        aes_ciphertext: Vec<u8>,
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        let ct = self.ciphertext(aes_ciphertext)?;
        torus_crypto::ecies::decrypt(session_key, &ct).map_err(DecryptError::Crypto)
    }
}

/// `keys[0]` of a `GetShareOrKeyAssign` result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShareKey {
    /// The key's public key (compared across nodes).
    pub public_key: PublicKeyXY,
    /// The share's Shamir x-coordinate: a decimal string (read also as a JSON number).
    pub node_index: Value,
    /// base64 of the ASCII hex of the AES ciphertext of the 32-byte share.
    pub share: String,
    /// The share's ECIES parameters (without them the share is unusable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_metadata: Option<EciesMetadata>,
    /// The key's nonce, with the scalar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_data: Option<NonceData>,
}

impl ShareKey {
    /// `public_key.X` and `public_key.Y` as sent.
    pub fn public_key_xy(&self) -> (&str, &str) {
        (&self.public_key.x, &self.public_key.y)
    }

    /// The node index as a number (a decimal string or a JSON number, as `BigInt()` takes it).
    pub fn index(&self) -> Option<u16> {
        match &self.node_index {
            Value::String(text) => text.trim().parse().ok(),
            Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            _ => None,
        }
    }

    /// Decrypts the share: the plaintext is the share scalar as (at most 32) big-endian bytes.
    pub fn decrypt_share(
        &self,
        session_key: &EncryptionSecretKey,
    ) -> Result<Zeroizing<[u8; 32]>, DecryptError> {
        let metadata = self
            .share_metadata
            .as_ref()
            .ok_or(DecryptError::Metadata("no share_metadata"))?;
        let hex_text = decode_base64(&self.share)?;
        let hex_text = String::from_utf8(hex_text)
            .map_err(|_| DecryptError::Encoding(EncodingError::NotHex))?;
        let plain = metadata.decrypt(session_key, decode_hex(&hex_text)?)?;
        if plain.len() > 32 {
            return Err(DecryptError::Metadata(
                "share plaintext longer than 32 bytes",
            ));
        }
        let mut out = Zeroizing::new([0u8; 32]);
        out[32 - plain.len()..].copy_from_slice(&plain);
        Ok(out)
    }
}

/// A `GetShareOrKeyAssign` result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShareResult {
    /// The user's key: `keys[0]` is used.
    pub keys: Vec<ShareKey>,
    /// The encrypted session token (hex ciphertext), or the plain token as base64.
    #[serde(default)]
    pub session_tokens: Vec<String>,
    /// The session token's ECIES parameters.
    #[serde(default)]
    pub session_token_metadata: Vec<EciesMetadata>,
    /// The encrypted session token signature (hex ciphertext), or the plain signature as hex.
    #[serde(default)]
    pub session_token_sigs: Vec<String>,
    /// The signature's ECIES parameters.
    #[serde(default)]
    pub session_token_sig_metadata: Vec<EciesMetadata>,
    /// The node's DKG key, X.
    #[serde(default)]
    pub node_pubx: String,
    /// The node's DKG key, Y.
    #[serde(default)]
    pub node_puby: String,
    /// `"false"` (as sent).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub is_new_key: Value,
    /// The node's clock minus the client's, seconds (decimal string).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub server_time_offset: Value,
}

impl ShareResult {
    /// The session token's bytes (decrypted, or base64-decoded when sent in the clear), if any.
    pub fn session_token(
        &self,
        session_key: &EncryptionSecretKey,
    ) -> Option<Result<Zeroizing<Vec<u8>>, DecryptError>> {
        let token = self.session_tokens.first().filter(|t| !t.is_empty())?;
        Some(match self.session_token_metadata.first() {
            Some(meta) if meta.is_encrypted() => decode_hex(token)
                .map_err(DecryptError::from)
                .and_then(|ct| meta.decrypt(session_key, ct)),
            _ => decode_base64(token)
                .map(Zeroizing::new)
                .map_err(DecryptError::from),
        })
    }

    /// The session token signature's bytes (decrypted, or hex-decoded when sent in the clear).
    pub fn session_token_signature(
        &self,
        session_key: &EncryptionSecretKey,
    ) -> Option<Result<Vec<u8>, DecryptError>> {
        let sig = self.session_token_sigs.first().filter(|s| !s.is_empty())?;
        Some(match self.session_token_sig_metadata.first() {
            Some(meta) if meta.is_encrypted() => decode_hex(sig)
                .map_err(DecryptError::from)
                .and_then(|ct| meta.decrypt(session_key, ct).map(|p| p.to_vec())),
            _ => decode_hex(sig).map_err(DecryptError::from),
        })
    }
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
    use serde_json::json;

    fn seeded(last: u8) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        bytes[31] = last;
        bytes
    }

    /// The test vector of the protocol reference (made with `@toruslabs/eccrypto` 7.0.0).
    #[test]
    fn decrypts_the_reference_share_vector() {
        let reply = json!({
            "keys": [{
                "public_key": {"X": "aa", "Y": "bb"},
                "node_index": "3",
                "share": "ZmE1YjYwNDYzMWMwYTUwNDU2YzU4MjE0OTUyYjU5ODFjOTAzODQyMzU2YTI0YWI5NGY5N2NhYzViOWVjZDdjN2ZkNWFiOGU5MDFhODYwNWNlMTg0MGFmNGQyZjVlZGJl",
                "share_metadata": {
                    "iv": "000102030405060708090a0b0c0d0e0f",
                    "ephemPublicKey": "04774ae7f858a9411e5ef4246b70c65aac5649980be5c17891bbec17895da008cbd984a032eb6b5e190243dd56d7b7b365372db1e2dff9d6a8301d74c9c953c61b",
                    "mac": "5b983e4a8a5933148bf1bc8d4ee23c5b8c8676c5a31e458124b50cd19c48dc1c",
                    "mode": "AES256"
                },
                "nonce_data": {"typeOfUser": "v2", "nonce": "01", "pubNonce": {"x": "1", "y": "2"}, "upgraded": false}
            }],
            "session_tokens": [],
            "session_token_metadata": [],
            "session_token_sigs": [],
            "session_token_sig_metadata": [],
            "node_pubx": "cc",
            "node_puby": "dd",
            "is_new_key": "false",
            "server_time_offset": "0"
        });
        let result: ShareResult = serde_json::from_value(reply.clone()).expect("decodes");
        let key = &result.keys[0];
        assert_eq!(key.index(), Some(3));
        assert_eq!(key.public_key_xy(), ("aa", "bb"));
        let mut seven = [0u8; 32];
        seven[31] = 7;
        let session = EncryptionSecretKey::from_bytes(&seven).expect("valid key");
        let share = key.decrypt_share(&session).expect("decrypts");
        let mut expected = [0u8; 32];
        expected[31] = 0x2a;
        assert_eq!(*share, expected);
        assert!(result.session_token(&session).is_none());

        let mut eight = [0u8; 32];
        eight[31] = 8;
        let wrong = EncryptionSecretKey::from_bytes(&eight).expect("valid key");
        assert!(matches!(
            key.decrypt_share(&wrong),
            Err(DecryptError::Crypto(torus_crypto::Error::BadMac))
        ));
        let nonce = key.nonce_data.as_ref().expect("present");
        assert_eq!(nonce.usable_pub_nonce().map(|p| p.x.as_str()), Some("1"));
        assert!(
            !format!("{nonce:?}").contains("\"01\""),
            "the nonce is not printed"
        );
        // What a node serializes is what a client reads: the reply round-trips.
        assert_eq!(serde_json::to_value(&result).expect("serializes"), reply);
    }

    #[test]
    fn a_node_encrypted_share_decrypts_at_the_client() {
        let session = EncryptionSecretKey::from_bytes(&seeded(3)).expect("valid key");
        let share = seeded(42);
        let ct =
            torus_crypto::ecies::encrypt(&session.public_key(), &share, &mut rand::rngs::OsRng)
                .expect("encrypts");
        let (aes, metadata) = EciesMetadata::split(&ct);
        let key = ShareKey {
            public_key: PublicKeyXY {
                x: "aa".into(),
                y: "bb".into(),
            },
            node_index: json!("2"),
            share: base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                aes.as_bytes(),
            ),
            share_metadata: Some(metadata),
            nonce_data: Some(NonceData::v2(PubNonce::default(), Some("01".into()))),
        };
        let wire = serde_json::to_string(&key).expect("serializes");
        let read: ShareKey = serde_json::from_str(&wire).expect("parses");
        assert_eq!(*read.decrypt_share(&session).expect("decrypts"), share);
    }

    #[test]
    fn lookup_results_compare_as_torus_js_compares_them() {
        let reply = |is_new: Value| {
            serde_json::from_value::<LookupResult>(json!({
                "keys": [{"pub_key_X": "01", "pub_key_Y": "02", "address": "0xA",
                          "nonce_data": {"typeOfUser": "v2", "pubNonce": {"x": "", "y": ""}, "upgraded": false}}],
                "is_new_key": is_new,
                "node_index": "2",
                "server_time_offset": "0"
            }))
            .expect("decodes")
        };
        assert_eq!(
            reply(json!(false)).agreement_key(),
            reply(json!(false)).agreement_key()
        );
        assert_ne!(
            reply(json!(false)).agreement_key(),
            reply(json!("false")).agreement_key()
        );
        let r = reply(json!(false));
        assert!(r.keys[0]
            .nonce_data
            .as_ref()
            .expect("present")
            .usable_pub_nonce()
            .is_none());
        let empty: LookupResult = serde_json::from_value(json!({"keys": []})).expect("decodes");
        assert_eq!(empty.agreement_key(), None);
        // A lookup reply without the optional fields serializes without them.
        let bare = LookupResult {
            keys: vec![],
            is_new_key: Value::Null,
            node_index: Value::Null,
            server_time_offset: json!("0"),
        };
        assert_eq!(
            serde_json::to_value(&bare).expect("serializes"),
            json!({"keys": [], "server_time_offset": "0"})
        );
    }
}
