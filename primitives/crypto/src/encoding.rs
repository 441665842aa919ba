//! Fixed-size wire encodings with validating parsers.
//!
//! Points travel as 33-byte SEC1 compressed encodings (the identity is never encoded),
//! scalars as 32 big-endian bytes below the group order. The runtime wraps these byte arrays
//! in its SCALE types; every parser here returns a typed [`Error`] for malformed input.

use k256::{
    elliptic_curve::{
        group::{prime::PrimeCurveAffine, Curve},
        sec1::{FromEncodedPoint, ToEncodedPoint},
        PrimeField,
    },
    AffinePoint, EncodedPoint, FieldBytes, ProjectivePoint, Scalar,
};

use alloc::vec::Vec;

use crate::error::{Error, Result};

/// Length of a compressed point.
pub const POINT_LEN: usize = 33;
/// Length of an uncompressed point (`04 ‖ X ‖ Y`).
pub const UNCOMPRESSED_POINT_LEN: usize = 65;
/// Length of a scalar.
pub const SCALAR_LEN: usize = 32;

/// A compressed point on the wire.
pub type PointBytes = [u8; POINT_LEN];
/// An uncompressed point on the wire (`04 ‖ X ‖ Y`): parsing needs no square root, which
/// makes decoding the thousands of commitment points of a batched dealing ~30× cheaper.
pub type UncompressedPointBytes = [u8; UNCOMPRESSED_POINT_LEN];
/// A scalar on the wire.
pub type ScalarBytes = [u8; SCALAR_LEN];

/// Decode a SEC1 point (33-byte compressed or 65-byte uncompressed); the identity is refused.
pub fn affine_from_sec1(bytes: &[u8]) -> Result<AffinePoint> {
    match bytes.len() {
        POINT_LEN | UNCOMPRESSED_POINT_LEN => {}
        actual => {
            return Err(Error::WrongLength {
                expected: POINT_LEN,
                actual,
            })
        }
    }
    if !matches!(bytes[0], 0x02..=0x04) || (bytes.len() == POINT_LEN && bytes[0] == 0x04) {
        return Err(Error::MalformedPoint);
    }
    let encoded = EncodedPoint::from_bytes(bytes).map_err(|_| Error::MalformedPoint)?;
    let point: Option<AffinePoint> = AffinePoint::from_encoded_point(&encoded).into();
    let point = point.ok_or(Error::MalformedPoint)?;
    if bool::from(point.is_identity()) {
        return Err(Error::IdentityPoint);
    }
    Ok(point)
}

/// Decode a compressed point (exactly 33 bytes, not the identity).
pub fn point_from_bytes(bytes: &[u8]) -> Result<ProjectivePoint> {
    if bytes.len() != POINT_LEN {
        return Err(Error::WrongLength {
            expected: POINT_LEN,
            actual: bytes.len(),
        });
    }
    affine_from_sec1(bytes).map(ProjectivePoint::from)
}

/// Encode an affine point compressed; the identity has no encoding.
pub fn affine_to_bytes(point: &AffinePoint) -> Result<PointBytes> {
    if bool::from(point.is_identity()) {
        return Err(Error::IdentityPoint);
    }
    let encoded = point.to_encoded_point(true);
    let mut out = [0u8; POINT_LEN];
    let bytes = encoded.as_bytes();
    if bytes.len() != POINT_LEN {
        return Err(Error::IdentityPoint);
    }
    out.copy_from_slice(bytes);
    Ok(out)
}

/// Encode an affine point uncompressed; the identity has no encoding.
pub fn affine_to_uncompressed(point: &AffinePoint) -> Result<UncompressedPointBytes> {
    if bool::from(point.is_identity()) {
        return Err(Error::IdentityPoint);
    }
    let encoded = point.to_encoded_point(false);
    let mut out = [0u8; UNCOMPRESSED_POINT_LEN];
    let bytes = encoded.as_bytes();
    if bytes.len() != UNCOMPRESSED_POINT_LEN {
        return Err(Error::IdentityPoint);
    }
    out.copy_from_slice(bytes);
    Ok(out)
}

/// Decode an uncompressed point (exactly 65 bytes `04 ‖ X ‖ Y`, on the curve).
pub fn affine_from_uncompressed(bytes: &[u8]) -> Result<AffinePoint> {
    if bytes.len() != UNCOMPRESSED_POINT_LEN {
        return Err(Error::WrongLength {
            expected: UNCOMPRESSED_POINT_LEN,
            actual: bytes.len(),
        });
    }
    affine_from_sec1(bytes)
}

/// Encode a point compressed; the identity has no encoding.
pub fn point_to_bytes(point: &ProjectivePoint) -> Result<PointBytes> {
    affine_to_bytes(&point.to_affine())
}

/// Encode points compressed, as [`point_to_bytes`] each, with one field inversion for all of
/// them (Montgomery's trick) instead of one per point.
pub fn points_to_bytes(points: &[ProjectivePoint]) -> Result<Vec<PointBytes>> {
    let mut affine = alloc::vec![AffinePoint::IDENTITY; points.len()];
    ProjectivePoint::batch_normalize(points, &mut affine);
    affine.iter().map(affine_to_bytes).collect()
}

/// Encode a point uncompressed (`04 ‖ X ‖ Y`), as `eccrypto` does for ephemeral keys.
pub fn point_to_uncompressed(point: &ProjectivePoint) -> Result<UncompressedPointBytes> {
    affine_to_uncompressed(&point.to_affine())
}

/// Decode a canonical big-endian scalar (zero allowed).
pub fn scalar_from_bytes(bytes: &[u8]) -> Result<Scalar> {
    if bytes.len() != SCALAR_LEN {
        return Err(Error::WrongLength {
            expected: SCALAR_LEN,
            actual: bytes.len(),
        });
    }
    let repr = FieldBytes::clone_from_slice(bytes);
    Option::<Scalar>::from(Scalar::from_repr(repr)).ok_or(Error::MalformedScalar)
}

/// Decode a canonical, non-zero big-endian scalar.
pub fn nonzero_scalar_from_bytes(bytes: &[u8]) -> Result<Scalar> {
    let s = scalar_from_bytes(bytes)?;
    if bool::from(s.is_zero()) {
        return Err(Error::ZeroScalar);
    }
    Ok(s)
}

/// Encode a scalar as 32 big-endian bytes.
pub fn scalar_to_bytes(scalar: &Scalar) -> ScalarBytes {
    scalar.to_bytes().into()
}

/// The scalar of a participant index; index 0 is refused.
pub fn index_scalar(index: u16) -> Result<Scalar> {
    if index == 0 {
        return Err(Error::ZeroIndex);
    }
    Ok(Scalar::from(u64::from(index)))
}
