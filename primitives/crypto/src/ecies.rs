//! ECIES exactly as the Torus client's `@toruslabs/eccrypto` does it.
//!
//! * `S = r·P_recipient` (ECDH with a fresh ephemeral key `r`), `Px` = `S.x` as 32 bytes;
//! * `SHA-512(Px)` = AES-256 key ‖ HMAC-SHA256 key;
//! * AES-256-CBC with PKCS#7 padding under a random 16-byte IV;
//! * MAC = HMAC-SHA256 over `iv ‖ ephemeral public key (65 bytes, uncompressed) ‖ ciphertext`,
//!   checked in constant time before decryption.
//!
//! eccrypto's `decrypt` also accepts a KDF input with leading zero bytes of `Px` stripped
//! (what old versions produced); [`decrypt`] accepts both forms and [`encrypt`] always uses
//! the full 32 bytes, as eccrypto's `encrypt` does by default.
//!
//! [`decrypt_with_shared_point`] lets anyone who is shown `S` (with a DLEQ proof, see
//! [`crate::dleq`]) check the MAC and decrypt: that is how the runtime judges a complaint.

use alloc::vec::Vec;
use core::fmt;

use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use k256::{
    elliptic_curve::{ops::MulByGenerator, point::AffineCoordinates},
    AffinePoint, ProjectivePoint, Scalar,
};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{
    encoding::{
        affine_from_sec1, nonzero_scalar_from_bytes, point_to_bytes, point_to_uncompressed,
        PointBytes, ScalarBytes, UNCOMPRESSED_POINT_LEN,
    },
    error::{Error, Result},
    vss::random_nonzero,
};

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

/// Length of the IV.
pub const IV_LEN: usize = 16;
/// Length of the MAC.
pub const MAC_LEN: usize = 32;
/// AES block length.
pub const BLOCK_LEN: usize = 16;
/// Bytes of a serialized ciphertext besides the AES ciphertext: `iv ‖ ephemeral key ‖ mac`.
pub const OVERHEAD: usize = IV_LEN + UNCOMPRESSED_POINT_LEN + MAC_LEN;

/// Length of the AES-CBC ciphertext of a `plaintext_len`-byte message (PKCS#7 always pads).
pub const fn ciphertext_len(plaintext_len: usize) -> usize {
    (plaintext_len / BLOCK_LEN + 1) * BLOCK_LEN
}

/// A secp256k1 secret key for ECIES (and the DLEQ proofs of complaints). Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct EncryptionSecretKey(Scalar);

impl fmt::Debug for EncryptionSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionSecretKey(<redacted>)")
    }
}

impl EncryptionSecretKey {
    /// A fresh random key.
    pub fn random(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self(random_nonzero(rng))
    }

    /// Parse 32 big-endian bytes (non-zero, below the group order).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        nonzero_scalar_from_bytes(bytes).map(Self)
    }

    /// Wrap a non-zero scalar.
    pub fn from_scalar(scalar: Scalar) -> Result<Self> {
        if bool::from(scalar.is_zero()) {
            return Err(Error::ZeroScalar);
        }
        Ok(Self(scalar))
    }

    /// The 32-byte encoding (secret; zeroized when dropped).
    pub fn to_bytes(&self) -> Zeroizing<ScalarBytes> {
        Zeroizing::new(self.0.to_bytes().into())
    }

    /// The public key `sk·G`.
    pub fn public_key(&self) -> EncryptionPublicKey {
        EncryptionPublicKey(ProjectivePoint::mul_by_generator(&self.0).to_affine())
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.0
    }
}

/// A secp256k1 public key that ciphertexts are encrypted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptionPublicKey(AffinePoint);

impl EncryptionPublicKey {
    /// Parse a SEC1 key, 33 bytes compressed or 65 uncompressed; the identity is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        affine_from_sec1(bytes).map(Self)
    }

    /// Wrap a point (refuses the identity).
    pub fn from_point(point: &ProjectivePoint) -> Result<Self> {
        point_to_bytes(point)?;
        Ok(Self(point.to_affine()))
    }

    /// The compressed encoding.
    pub fn to_bytes(&self) -> PointBytes {
        // A key is never the identity (checked on construction), so this cannot fail; the
        // zero array is unreachable.
        point_to_bytes(&self.0.into()).unwrap_or([0u8; 33])
    }

    /// The point.
    pub fn point(&self) -> ProjectivePoint {
        self.0.into()
    }
}

/// An eccrypto ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ciphertext {
    /// The random IV.
    pub iv: [u8; IV_LEN],
    /// The ephemeral public key, 65 bytes uncompressed (the MAC covers these exact bytes).
    pub ephemeral_public_key: [u8; UNCOMPRESSED_POINT_LEN],
    /// AES-256-CBC ciphertext (a non-zero multiple of 16 bytes).
    pub ciphertext: Vec<u8>,
    /// HMAC-SHA256 tag.
    pub mac: [u8; MAC_LEN],
}

impl Ciphertext {
    /// Serialize as `iv ‖ ephemeral_public_key ‖ mac ‖ ciphertext`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(OVERHEAD + self.ciphertext.len());
        out.extend_from_slice(&self.iv);
        out.extend_from_slice(&self.ephemeral_public_key);
        out.extend_from_slice(&self.mac);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parse `iv ‖ ephemeral_public_key ‖ mac ‖ ciphertext`; checks lengths and the key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < OVERHEAD + BLOCK_LEN {
            return Err(Error::WrongLength {
                expected: OVERHEAD + BLOCK_LEN,
                actual: bytes.len(),
            });
        }
        let (iv, rest) = bytes.split_at(IV_LEN);
        let (epk, rest) = rest.split_at(UNCOMPRESSED_POINT_LEN);
        let (mac, ct) = rest.split_at(MAC_LEN);
        let out = Self {
            iv: iv.try_into().map_err(|_| Error::WrongLength {
                expected: IV_LEN,
                actual: iv.len(),
            })?,
            ephemeral_public_key: epk.try_into().map_err(|_| Error::WrongLength {
                expected: UNCOMPRESSED_POINT_LEN,
                actual: epk.len(),
            })?,
            ciphertext: ct.to_vec(),
            mac: mac.try_into().map_err(|_| Error::WrongLength {
                expected: MAC_LEN,
                actual: mac.len(),
            })?,
        };
        out.validate()?;
        Ok(out)
    }

    /// Structural checks: the ciphertext is a non-zero multiple of the block size and the
    /// ephemeral key is an uncompressed curve point.
    pub fn validate(&self) -> Result<()> {
        if self.ciphertext.is_empty() || !self.ciphertext.len().is_multiple_of(BLOCK_LEN) {
            let expected = ciphertext_len(self.ciphertext.len().saturating_sub(1));
            return Err(Error::WrongLength {
                expected,
                actual: self.ciphertext.len(),
            });
        }
        if self.ephemeral_public_key[0] != 0x04 {
            return Err(Error::MalformedPoint);
        }
        self.ephemeral_point().map(|_| ())
    }

    /// The ephemeral public key as a point.
    pub fn ephemeral_point(&self) -> Result<ProjectivePoint> {
        affine_from_sec1(&self.ephemeral_public_key).map(ProjectivePoint::from)
    }
}

/// The KDF: `SHA-512(Px)` split into the AES key and the MAC key.
fn kdf(px: &[u8]) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
    let mut hash = Sha512::digest(px);
    let mut enc = Zeroizing::new([0u8; 32]);
    let mut mac = Zeroizing::new([0u8; 32]);
    enc.copy_from_slice(&hash[..32]);
    mac.copy_from_slice(&hash[32..]);
    hash.zeroize();
    (enc, mac)
}

fn mac_over(mac_key: &[u8; 32], ct: &Ciphertext) -> HmacSha256 {
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(mac_key)
        .unwrap_or_else(|_| HmacSha256::new(&[0u8; 64].into()));
    mac.update(&ct.iv);
    mac.update(&ct.ephemeral_public_key);
    mac.update(&ct.ciphertext);
    mac
}

fn shared_x(point: &AffinePoint) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(point.x().into())
}

/// Encrypt `plaintext` to `recipient` with a random ephemeral key and IV.
pub fn encrypt(
    recipient: &EncryptionPublicKey,
    plaintext: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Ciphertext> {
    let ephemeral = EncryptionSecretKey::random(rng);
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut iv);
    encrypt_with(recipient, plaintext, &ephemeral, iv)
}

/// Encrypt with a given ephemeral key and IV (for known-answer tests; never reuse either).
pub fn encrypt_with(
    recipient: &EncryptionPublicKey,
    plaintext: &[u8],
    ephemeral: &EncryptionSecretKey,
    iv: [u8; IV_LEN],
) -> Result<Ciphertext> {
    let ephemeral_public_key =
        point_to_uncompressed(&ProjectivePoint::mul_by_generator(ephemeral.scalar()))?;
    let shared = (recipient.point() * ephemeral.scalar()).to_affine();
    let px = shared_x(&shared);
    let (enc_key, mac_key) = kdf(&px[..]);
    let ciphertext = Aes256CbcEnc::new(enc_key.as_ref().into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut ct = Ciphertext {
        iv,
        ephemeral_public_key,
        ciphertext,
        mac: [0u8; MAC_LEN],
    };
    ct.mac = mac_over(&mac_key, &ct).finalize().into_bytes().into();
    Ok(ct)
}

/// The ECDH point `S = sk·E` for a ciphertext's ephemeral key `E` (what a complaint reveals).
pub fn shared_point(secret: &EncryptionSecretKey, ct: &Ciphertext) -> Result<ProjectivePoint> {
    Ok(ct.ephemeral_point()? * secret.scalar())
}

/// Decrypt with the recipient's secret key.
pub fn decrypt(secret: &EncryptionSecretKey, ct: &Ciphertext) -> Result<Zeroizing<Vec<u8>>> {
    let shared = shared_point(secret, ct)?;
    decrypt_with_shared_point(&shared, ct)
}

/// Decrypt given the ECDH point `S` (checked by the caller, e.g. with a DLEQ proof). Accepts
/// the full 32-byte `Px` KDF input and, as eccrypto does, the form with leading zeros stripped.
pub fn decrypt_with_shared_point(
    shared: &ProjectivePoint,
    ct: &Ciphertext,
) -> Result<Zeroizing<Vec<u8>>> {
    if ct.ciphertext.is_empty() || !ct.ciphertext.len().is_multiple_of(BLOCK_LEN) {
        let expected = ciphertext_len(ct.ciphertext.len().saturating_sub(1));
        return Err(Error::WrongLength {
            expected,
            actual: ct.ciphertext.len(),
        });
    }
    let shared = shared.to_affine();
    let px = shared_x(&shared);
    let (mut enc_key, mac_key) = kdf(&px[..]);
    if mac_over(&mac_key, ct).verify_slice(&ct.mac).is_err() {
        let stripped = px.iter().position(|b| *b != 0).unwrap_or(px.len());
        if stripped == 0 {
            return Err(Error::BadMac);
        }
        let (enc2, mac2) = kdf(&px[stripped..]);
        mac_over(&mac2, ct)
            .verify_slice(&ct.mac)
            .map_err(|_| Error::BadMac)?;
        enc_key = enc2;
    }
    Aes256CbcDec::new(enc_key.as_ref().into(), &ct.iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&ct.ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| Error::BadPadding)
}
