//! The keyholder's share store: this validator's shares of every key range it holds (the keys
//! of one finished DKG batch, in the sharing of one epoch), one file per range under the node's
//! base path, encrypted at rest.
//!
//! File `batch-<id>.shares` (schema version 2):
//! `MAGIC (12) ‖ version (1) ‖ DKG public key (33) ‖ nonce (12) ‖ ChaCha20-Poly1305 ciphertext`
//! of the SCALE-encoded `(batch, epoch, first_key, shares)`. The AEAD key is SHA-256 of a domain
//! tag and the secret of the DKG session key named in the header (so shares stay readable after
//! a session-key rotation while the old key is in the keystore); the header and the batch id
//! are the associated data, so a file cannot be swapped for another batch's. Files are written
//! to a temporary name, synced and renamed over the old file: a crash leaves either the old
//! file or the new one, whole. Schema version 1 (no epoch) reads as epoch 0, the only epoch
//! that keyholder knew. A handover replaces a range's file with the new epoch's shares; a
//! member that no longer holds a range [erases](ShareStore::erase) its file. Every save is
//! announced to [`ShareStore::saves`]' subscribers, so that a login can wait for shares that
//! the finalized chain gives this node and the keyholder is still settling.
//!
//! File `cursor` (schema version 2): `CURSOR_MAGIC (12) ‖ version (1) ‖ SCALE u64`: every batch
//! below it was settled from a finalized block. The keyholder of schema version 1 (a bare SCALE
//! u64) settled batches from the best block, so its files may hold shares of a batch that a
//! fork took back: [`ShareStore::cursor`] reads such a cursor as 0, and the worker checks every
//! stored batch again against the finalized chain, [erasing](ShareStore::erase) what does
//! not match.

use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    ChaCha20Poly1305, Key, Nonce,
};
use codec::{Decode, Encode};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use torus_crypto::{dkg::KeyShares, Scalar};
use torus_primitives::{
    dkg::{DkgId, EpochId},
    BatchId, KeyId,
};
use zeroize::Zeroizing;

const MAGIC: &[u8; 12] = b"torus-shares";
const VERSION: u8 = 2;
/// The schema version without epochs.
const VERSION_WITHOUT_EPOCH: u8 = 1;
const KEY_TAG: &[u8] = b"torus/keyholder/share-store/v1";
const HEADER_LEN: usize = MAGIC.len() + 1 + 33;
const NONCE_LEN: usize = 12;
const CURSOR_MAGIC: &[u8; 12] = b"torus-cursor";
const CURSOR_VERSION: u8 = 2;
/// The length of a cursor file of schema version 1 (a bare SCALE `u64`).
const LEGACY_CURSOR_LEN: usize = 8;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing a file failed.
    #[error("share store I/O at {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A file is not a share file of this schema, or fails authentication.
    #[error("share file {0} is corrupt or was not written by this store")]
    Corrupt(PathBuf),
    /// The file was written under a DKG key that is not in the keystore.
    #[error("share file {0} needs a DKG session key that the keystore does not hold")]
    MissingKey(PathBuf),
}

/// One key range's shares as stored (schema version 2).
#[derive(Encode, Decode)]
struct StoredPlain {
    batch: BatchId,
    epoch: EpochId,
    first_key: KeyId,
    shares: Vec<u8>,
}

/// One batch's shares as schema version 1 stored them.
#[derive(Decode)]
struct StoredPlainWithoutEpoch {
    batch: BatchId,
    first_key: KeyId,
    shares: Vec<u8>,
}

/// One key range's shares, read back.
pub struct StoredShares {
    /// The epoch whose sharing they are.
    pub epoch: EpochId,
    /// The id of the batch's first key.
    pub first_key: KeyId,
    /// This member's shares, in key order.
    pub shares: KeyShares,
}

impl StoredShares {
    /// This member's share of key `key_id`, if the key is in the batch.
    pub fn share(&self, key_id: KeyId) -> Option<&Scalar> {
        let offset = usize::try_from(key_id.checked_sub(self.first_key)?).ok()?;
        self.shares.values.get(offset)
    }
}

/// A directory of encrypted share files.
pub struct ShareStore {
    dir: PathBuf,
    /// Notified whenever a share file is saved.
    saved: watch::Sender<()>,
}

impl ShareStore {
    /// Open (creating if needed) the store in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            dir,
            saved: watch::Sender::new(()),
        })
    }

    /// A receiver that changes whenever a share file is saved.
    pub fn saves(&self) -> watch::Receiver<()> {
        self.saved.subscribe()
    }

    fn path(&self, batch: BatchId) -> PathBuf {
        self.dir.join(format!("batch-{batch}.shares"))
    }

    /// Whether the shares of `batch` are stored.
    pub fn contains(&self, batch: BatchId) -> bool {
        self.path(batch).is_file()
    }

    /// Store `shares` of `batch`'s keys (from `first_key`) in the sharing of `epoch`,
    /// encrypted under the DKG key `key` whose secret is `secret`, atomically replacing what
    /// was stored for the batch.
    #[allow(clippy::too_many_arguments)]
    pub fn save(
        &self,
        batch: BatchId,
        epoch: EpochId,
        first_key: KeyId,
        key: &DkgId,
        secret: &[u8; 32],
        shares: &KeyShares,
    ) -> Result<(), StoreError> {
        let path = self.path(batch);
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let plain = Zeroizing::new(
            StoredPlain {
                batch,
                epoch,
                first_key,
                shares: shares.to_bytes().to_vec(),
            }
            .encode(),
        );
        let header = header(key);
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher(secret)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &associated_data(&header, batch),
                },
            )
            .map_err(|_| StoreError::Corrupt(path.clone()))?;

        let mut bytes = header;
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        let tmp = self.dir.join(format!("batch-{batch}.tmp"));
        write_synced(&tmp, &bytes).map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)?;
        fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        self.saved.send_replace(());
        Ok(())
    }

    /// Read the shares of `batch`; `secret_for` gives the secret of a DKG key if the keystore
    /// holds it. `Ok(None)` if the batch is not stored.
    pub fn load(
        &self,
        batch: BatchId,
        secret_for: impl Fn(&DkgId) -> Option<Zeroizing<[u8; 32]>>,
    ) -> Result<Option<StoredShares>, StoreError> {
        let path = self.path(batch);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let corrupt = || StoreError::Corrupt(path.clone());
        if bytes.len() < HEADER_LEN + NONCE_LEN
            || &bytes[..MAGIC.len()] != MAGIC
            || ![VERSION, VERSION_WITHOUT_EPOCH].contains(&bytes[MAGIC.len()])
        {
            return Err(corrupt());
        }
        let version = bytes[MAGIC.len()];
        let (header, rest) = bytes.split_at(HEADER_LEN);
        let key = DkgId::try_from(&header[MAGIC.len() + 1..]).map_err(|_| corrupt())?;
        let secret = secret_for(&key).ok_or_else(|| StoreError::MissingKey(path.clone()))?;
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let plain = Zeroizing::new(
            cipher(&secret)
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: &associated_data(header, batch),
                    },
                )
                .map_err(|_| corrupt())?,
        );
        let stored = if version == VERSION {
            StoredPlain::decode(&mut &plain[..])
        } else {
            StoredPlainWithoutEpoch::decode(&mut &plain[..]).map(|old| StoredPlain {
                batch: old.batch,
                epoch: 0,
                first_key: old.first_key,
                shares: old.shares,
            })
        }
        .map_err(|_| corrupt())?;
        let shares = Zeroizing::new(stored.shares);
        if stored.batch != batch {
            return Err(corrupt());
        }
        Ok(Some(StoredShares {
            epoch: stored.epoch,
            first_key: stored.first_key,
            shares: KeyShares::from_bytes(&shares).map_err(|_| corrupt())?,
        }))
    }

    /// Erase the stored shares of `batch`: shares of a range handed over to an epoch this node
    /// is not in, or that the finalized chain does not give this node (settled on a fork that
    /// lost). The file is overwritten with zeros and synced before it is removed. Erasing a
    /// batch that is not stored is not an error.
    pub fn erase(&self, batch: BatchId) -> Result<(), StoreError> {
        let path = self.path(batch);
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        match fs::metadata(&path) {
            Ok(meta) => {
                let len = usize::try_from(meta.len()).unwrap_or(0);
                let mut file = fs::OpenOptions::new().write(true).open(&path).map_err(io)?;
                file.write_all(&vec![0u8; len])
                    .and_then(|()| file.sync_all())
                    .map_err(io)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(e)),
        }
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(e)),
        }
        fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io)
    }

    /// Read the settled-batch cursor (0 if never written): every batch below it was settled
    /// from a finalized block. A cursor of schema version 1, written by a keyholder that settled
    /// from the best block, promises no finality and reads as 0.
    pub fn cursor(&self) -> Result<BatchId, StoreError> {
        let path = self.dir.join("cursor");
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        if bytes.len() == LEGACY_CURSOR_LEN {
            return Ok(0);
        }
        let prefix = CURSOR_MAGIC.len() + 1;
        if bytes.len() != prefix + LEGACY_CURSOR_LEN
            || &bytes[..CURSOR_MAGIC.len()] != CURSOR_MAGIC
            || bytes[CURSOR_MAGIC.len()] != CURSOR_VERSION
        {
            return Err(StoreError::Corrupt(path));
        }
        BatchId::decode(&mut &bytes[prefix..]).map_err(|_| StoreError::Corrupt(path))
    }

    /// Persist the settled-batch cursor (atomically): call it only once every batch below
    /// `cursor` has been settled from a finalized block.
    pub fn set_cursor(&self, cursor: BatchId) -> Result<(), StoreError> {
        let path = self.dir.join("cursor");
        let tmp = self.dir.join("cursor.tmp");
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let mut bytes = CURSOR_MAGIC.to_vec();
        bytes.push(CURSOR_VERSION);
        bytes.extend_from_slice(&cursor.encode());
        write_synced(&tmp, &bytes).map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn header(key: &DkgId) -> Vec<u8> {
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.push(VERSION);
    header.extend_from_slice(key.as_ref());
    header
}

fn associated_data(header: &[u8], batch: BatchId) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(&batch.to_le_bytes());
    aad
}

fn cipher(secret: &[u8; 32]) -> ChaCha20Poly1305 {
    let mut hasher = Sha256::new();
    hasher.update(KEY_TAG);
    hasher.update(secret);
    let key = Zeroizing::new(hasher.finalize());
    ChaCha20Poly1305::new(Key::from_slice(&key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::Scalar;

    fn shares() -> KeyShares {
        KeyShares {
            index: 3,
            values: (1..=5u64).map(Scalar::from).collect(),
        }
    }

    fn key(byte: u8) -> DkgId {
        let mut bytes = [byte; 33];
        bytes[0] = 2;
        DkgId::from(polkadot_sdk::sp_core::ecdsa::Public::from_raw(bytes))
    }

    fn temp_store() -> (tempdir::Dir, ShareStore) {
        let dir = tempdir::Dir::new();
        let store = ShareStore::open(dir.path()).unwrap();
        (dir, store)
    }

    /// A directory removed when dropped (no extra crate for this).
    mod tempdir {
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let mut bytes = [0u8; 8];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
                let path = std::env::temp_dir()
                    .join(format!("torus-store-test-{}", u64::from_le_bytes(bytes)));
                std::fs::create_dir_all(&path).unwrap();
                Self(path)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn a_batch_gives_the_share_of_each_of_its_keys_and_no_other() {
        let stored = StoredShares {
            epoch: 0,
            first_key: 10,
            shares: shares(),
        };
        assert_eq!(stored.share(10), Some(&Scalar::from(1u64)));
        assert_eq!(stored.share(14), Some(&Scalar::from(5u64)));
        assert_eq!(stored.share(9), None);
        assert_eq!(stored.share(15), None);
    }

    #[test]
    fn stored_shares_read_back_with_the_right_key_only() {
        let (_dir, store) = temp_store();
        let secret = [7u8; 32];
        store.save(4, 3, 100, &key(1), &secret, &shares()).unwrap();
        assert!(store.contains(4));
        let loaded = store
            .load(4, |k| (*k == key(1)).then(|| Zeroizing::new(secret)))
            .unwrap()
            .unwrap();
        assert_eq!((loaded.epoch, loaded.first_key), (3, 100));
        assert_eq!(loaded.shares.index, 3);
        assert_eq!(loaded.shares.values, shares().values);

        assert!(matches!(
            store.load(4, |_| None),
            Err(StoreError::MissingKey(_))
        ));
        assert!(matches!(
            store.load(4, |_| Some(Zeroizing::new([8u8; 32]))),
            Err(StoreError::Corrupt(_))
        ));
        assert!(store.load(5, |_| None).unwrap().is_none());
    }

    #[test]
    fn every_save_is_announced_and_a_failed_one_is_not() {
        let (dir, store) = temp_store();
        let mut saves = store.saves();
        assert!(!saves.has_changed().unwrap());
        store.save(4, 0, 0, &key(1), &[7u8; 32], &shares()).unwrap();
        assert!(saves.has_changed().unwrap());
        saves.mark_unchanged();
        std::fs::remove_dir_all(dir.path()).unwrap();
        assert!(store.save(5, 0, 0, &key(1), &[7u8; 32], &shares()).is_err());
        assert!(!saves.has_changed().unwrap());
    }

    #[test]
    fn the_file_is_encrypted_and_bound_to_its_batch() {
        let (dir, store) = temp_store();
        let secret = [9u8; 32];
        let values = shares();
        store.save(1, 0, 0, &key(2), &secret, &values).unwrap();
        let bytes = fs::read(dir.path().join("batch-1.shares")).unwrap();
        let first = values.values[0].to_bytes();
        assert!(!bytes.windows(32).any(|w| w == first.as_slice()));

        // The same file under another batch's name fails authentication.
        fs::copy(
            dir.path().join("batch-1.shares"),
            dir.path().join("batch-2.shares"),
        )
        .unwrap();
        assert!(matches!(
            store.load(2, |_| Some(Zeroizing::new(secret))),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn a_tampered_or_truncated_file_is_corrupt() {
        let (dir, store) = temp_store();
        let secret = [3u8; 32];
        store.save(6, 0, 0, &key(3), &secret, &shares()).unwrap();
        let path = dir.path().join("batch-6.shares");
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            store.load(6, |_| Some(Zeroizing::new(secret))),
            Err(StoreError::Corrupt(_))
        ));
        fs::write(&path, &bytes[..20]).unwrap();
        assert!(matches!(
            store.load(6, |_| Some(Zeroizing::new(secret))),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn a_new_epochs_shares_replace_the_old_ones() {
        let (dir, store) = temp_store();
        let secret = [4u8; 32];
        store.save(6, 0, 10, &key(3), &secret, &shares()).unwrap();
        let newer = KeyShares {
            index: 2,
            values: (7..=11u64).map(Scalar::from).collect(),
        };
        store.save(6, 1, 10, &key(3), &secret, &newer).unwrap();
        let loaded = store
            .load(6, |_| Some(Zeroizing::new(secret)))
            .unwrap()
            .unwrap();
        assert_eq!((loaded.epoch, loaded.shares.index), (1, 2));
        assert_eq!(loaded.shares.values, newer.values);
        assert!(!dir.path().join("batch-6.tmp").exists());
    }

    #[test]
    fn a_file_of_schema_version_one_reads_as_epoch_zero() {
        let (dir, store) = temp_store();
        let secret = [6u8; 32];
        // What the keyholder without epochs wrote: version 1, (batch, first_key, shares).
        let plain = (9u64, 40u64, shares().to_bytes().to_vec()).encode();
        let mut header = header(&key(5));
        header[MAGIC.len()] = VERSION_WITHOUT_EPOCH;
        let nonce = [1u8; NONCE_LEN];
        let sealed = cipher(&secret)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &associated_data(&header, 9),
                },
            )
            .unwrap();
        let mut bytes = header;
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        fs::write(dir.path().join("batch-9.shares"), bytes).unwrap();
        let loaded = store
            .load(9, |_| Some(Zeroizing::new(secret)))
            .unwrap()
            .unwrap();
        assert_eq!((loaded.epoch, loaded.first_key), (0, 40));
        assert_eq!(loaded.shares.values, shares().values);
    }

    #[test]
    fn the_cursor_persists() {
        let (_dir, store) = temp_store();
        assert_eq!(store.cursor().unwrap(), 0);
        store.set_cursor(17).unwrap();
        assert_eq!(store.cursor().unwrap(), 17);
        let reopened = ShareStore::open(&store.dir).unwrap();
        assert_eq!(reopened.cursor().unwrap(), 17);
    }

    #[test]
    fn a_cursor_of_the_best_block_keyholder_reads_as_zero_and_a_damaged_one_is_corrupt() {
        let (dir, store) = temp_store();
        // Schema version 1: a bare SCALE u64, settled from best blocks.
        fs::write(dir.path().join("cursor"), 17u64.encode()).unwrap();
        assert_eq!(store.cursor().unwrap(), 0);
        store.set_cursor(17).unwrap();
        let path = dir.path().join("cursor");
        let mut bytes = fs::read(&path).unwrap();
        assert_eq!(&bytes[..12], b"torus-cursor");
        bytes[12] = 3;
        fs::write(&path, &bytes).unwrap();
        assert!(matches!(store.cursor(), Err(StoreError::Corrupt(_))));
        fs::write(&path, &bytes[..15]).unwrap();
        assert!(matches!(store.cursor(), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn an_erased_batch_is_gone_and_erasing_twice_is_harmless() {
        let (dir, store) = temp_store();
        let secret = [5u8; 32];
        store.save(2, 0, 0, &key(1), &secret, &shares()).unwrap();
        store.save(3, 0, 0, &key(1), &secret, &shares()).unwrap();
        store.erase(2).unwrap();
        assert!(!store.contains(2));
        assert!(!dir.path().join("batch-2.shares").exists());
        assert!(store.contains(3));
        assert!(store
            .load(2, |_| Some(Zeroizing::new(secret)))
            .unwrap()
            .is_none());
        store.erase(2).unwrap();
        // A batch can be stored again once erased.
        store.save(2, 1, 8, &key(1), &secret, &shares()).unwrap();
        let loaded = store
            .load(2, |_| Some(Zeroizing::new(secret)))
            .unwrap()
            .unwrap();
        assert_eq!(loaded.first_key, 8);
    }
}
