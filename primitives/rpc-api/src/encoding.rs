//! The text encodings of the Torus JSON-RPC API: hex numbers and points, base64, keccak-256 and
//! EIP-55 Ethereum addresses.
//!
//! Nodes send lowercase hex without `0x`, scalars and coordinates padded to 64 digits. Like
//! `@toruslabs/torus.js`, this module *reads* hex leniently (optional `0x`, either case, any
//! padding, an odd number of digits) and always *writes* the nodes' canonical form.

use base64::{
    alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
    Engine as _,
};
use k256::{
    elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint},
    AffinePoint, EncodedPoint,
};
use sha3::{Digest, Keccak256};

/// Why a hex, base64 or point encoding is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodingError {
    /// Not hex digits (after an optional `0x`), or empty.
    #[error("not a hex string")]
    NotHex,
    /// A hex number longer than 32 bytes where a scalar or coordinate is expected.
    #[error("hex number longer than 32 bytes")]
    TooLong,
    /// Not base64 (standard or URL-safe alphabet, padding optional).
    #[error("not base64")]
    NotBase64,
    /// Coordinates that are not a point of secp256k1.
    #[error("not a point of secp256k1")]
    NotOnCurve,
}

/// keccak-256 (the Ethereum hash; not SHA3-256).
pub fn keccak256(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

/// Lowercase hex without `0x`.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// The bytes of a hex string, read as `torus.js` reads it: an optional `0x`, either case, and a
/// leading `0` implied when the number of digits is odd.
pub fn decode_hex(text: &str) -> Result<Vec<u8>, EncodingError> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.len() % 2 == 1 {
        hex::decode(format!("0{digits}")).map_err(|_| EncodingError::NotHex)
    } else {
        hex::decode(digits).map_err(|_| EncodingError::NotHex)
    }
}

/// A hex number of at most 32 bytes as 32 big-endian bytes (left-padded with zeros).
pub fn decode_hex32(text: &str) -> Result<[u8; 32], EncodingError> {
    if text.is_empty() || text == "0x" {
        return Err(EncodingError::NotHex);
    }
    let bytes = decode_hex(text)?;
    // Leading zero bytes beyond 32 are harmless padding.
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len())
        .min(bytes.len().saturating_sub(32));
    let bytes = &bytes[first..];
    if bytes.len() > 32 {
        return Err(EncodingError::TooLong);
    }
    let mut out = [0u8; 32];
    out[32 - bytes.len()..].copy_from_slice(bytes);
    Ok(out)
}

/// Base64 with the standard or the URL-safe alphabet, padding optional (what `torus.js` accepts
/// in a share reply).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, EncodingError> {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if text.contains(['-', '_']) {
        &alphabet::URL_SAFE
    } else {
        &alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, config)
        .decode(text.trim())
        .map_err(|_| EncodingError::NotBase64)
}

/// Unpadded base64url (the encoding of JWK and JWT fields).
pub fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Base64url as JWKs spell it, padding tolerated.
pub fn decode_base64url(text: &str) -> Result<Vec<u8>, EncodingError> {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    GeneralPurpose::new(&alphabet::URL_SAFE, config)
        .decode(text)
        .map_err(|_| EncodingError::NotBase64)
}

/// The point of secp256k1 with the given hex coordinates.
pub fn point_from_hex(x: &str, y: &str) -> Result<AffinePoint, EncodingError> {
    let (x, y) = (decode_hex32(x)?, decode_hex32(y)?);
    let encoded = EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
    Option::from(AffinePoint::from_encoded_point(&encoded)).ok_or(EncodingError::NotOnCurve)
}

/// The 32-byte big-endian X and Y of a point (zeros for the identity, which has none).
pub fn point_coordinates(point: &AffinePoint) -> ([u8; 32], [u8; 32]) {
    let encoded = point.to_encoded_point(false);
    let mut x = [0u8; 32];
    let mut y = [0u8; 32];
    if let (Some(ex), Some(ey)) = (encoded.x(), encoded.y()) {
        x.copy_from_slice(ex);
        y.copy_from_slice(ey);
    }
    (x, y)
}

/// The padded lowercase hex X and Y of a point, as nodes send them.
pub fn point_to_hex(point: &AffinePoint) -> (String, String) {
    let (x, y) = point_coordinates(point);
    (to_hex(&x), to_hex(&y))
}

/// The EIP-55 checksummed Ethereum address (`0x` + 40 digits) of a public key: the last 20 bytes
/// of keccak-256 of `X ‖ Y`, each letter upper-cased when the matching digit of keccak-256 of the
/// lowercase address is 8 or more.
pub fn eth_address(point: &AffinePoint) -> String {
    let (x, y) = point_coordinates(point);
    let mut xy = [0u8; 64];
    xy[..32].copy_from_slice(&x);
    xy[32..].copy_from_slice(&y);
    let lower = to_hex(&keccak256(&xy)[12..]);
    let checksum = keccak256(lower.as_bytes());
    let address: String = lower
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let nibble = (checksum[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
            if nibble >= 8 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    format!("0x{address}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::{elliptic_curve::ops::MulByGenerator, ProjectivePoint, Scalar};

    #[test]
    fn hex_is_read_leniently_and_bounded() {
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(decode_hex32("1"), Ok(one));
        assert_eq!(decode_hex32("0x01"), Ok(one));
        assert_eq!(
            decode_hex32(&format!("{:0>70}", "1")),
            Ok(one),
            "extra zero padding"
        );
        assert_eq!(decode_hex32(&"f".repeat(65)), Err(EncodingError::TooLong));
        assert_eq!(decode_hex32(""), Err(EncodingError::NotHex));
        assert_eq!(decode_hex32("xyz"), Err(EncodingError::NotHex));
        assert_eq!(decode_hex("ABC"), Ok(vec![0x0a, 0xbc]));
    }

    #[test]
    fn base64_accepts_both_alphabets_with_or_without_padding() {
        assert_eq!(decode_base64("+/8="), Ok(vec![0xfb, 0xff]));
        assert_eq!(decode_base64("-_8"), Ok(vec![0xfb, 0xff]));
        assert_eq!(decode_base64("!!"), Err(EncodingError::NotBase64));
        assert_eq!(decode_base64url("AQAB"), Ok(vec![1, 0, 1]));
    }

    #[test]
    fn known_addresses() {
        // Private keys 1 and 2 (checked with @noble/curves and @noble/hashes).
        let g = ProjectivePoint::mul_by_generator(&Scalar::ONE).to_affine();
        assert_eq!(
            eth_address(&g),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
        );
        let g2 = ProjectivePoint::mul_by_generator(&Scalar::from(2u64)).to_affine();
        assert_eq!(
            eth_address(&g2),
            "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"
        );
    }

    #[test]
    fn points_round_trip_through_padded_hex() {
        let p = ProjectivePoint::mul_by_generator(&Scalar::from(7u64)).to_affine();
        let (x, y) = point_to_hex(&p);
        assert_eq!(
            x,
            "5cbdf0646e5db4eaa398f365f2ea7a0e3d419b7e0330e39ce92bddedcac4f9bc"
        );
        assert_eq!(
            y,
            "6aebca40ba255960a3178d6d861a54dba813d0b813fde7b5a5082628087264da"
        );
        assert_eq!(point_from_hex(&x, &y), Ok(p));
        assert_eq!(point_from_hex(&x, &x), Err(EncodingError::NotOnCurve));
    }
}
