//! The node's DKG session keys, read from the keystore once.
//!
//! A keystore read derives the key from its stored secret URI — for a mnemonic, PBKDF2 with
//! 2 048 rounds — and the keyholder and the Torus API need the key for every message they sign
//! and every share file they open. [`DkgKeys`] keeps each key's 32-byte seed (zeroized when
//! dropped) after its first read.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use polkadot_sdk::{sc_keystore::LocalKeystore, sp_core::Pair as _, sp_keystore::Keystore};
use torus_primitives::dkg::{app, DkgId, DKG_KEY_TYPE};
use zeroize::Zeroizing;

/// The DKG session keys of the node's keystore, cached by public key.
pub struct DkgKeys {
    keystore: Arc<LocalKeystore>,
    seeds: Mutex<HashMap<DkgId, Zeroizing<[u8; 32]>>>,
}

impl DkgKeys {
    /// Read DKG keys from `keystore`.
    pub fn new(keystore: Arc<LocalKeystore>) -> Self {
        Self {
            keystore,
            seeds: Mutex::new(HashMap::new()),
        }
    }

    /// The public keys of the DKG session keys in the keystore (read anew each time: a key
    /// may be added while the node runs).
    pub fn public_keys(&self) -> Vec<DkgId> {
        self.keystore
            .ecdsa_public_keys(DKG_KEY_TYPE)
            .into_iter()
            .map(DkgId::from)
            .collect()
    }

    /// The secret of `key` (what [`ShareStore::load`](super::store::ShareStore::load) needs to
    /// decrypt), if the keystore holds it.
    pub fn secret(&self, key: &DkgId) -> Option<Zeroizing<[u8; 32]>> {
        let mut seeds = self.seeds.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(seed) = seeds.get(key) {
            return Some(seed.clone());
        }
        let pair = self.keystore.key_pair::<app::Pair>(key).ok().flatten()?;
        let seed = Zeroizing::new(pair.into_inner().seed());
        seeds.insert(key.clone(), seed.clone());
        Some(seed)
    }

    /// The key pair of `key`, if the keystore holds it.
    pub fn pair(&self, key: &DkgId) -> Option<app::Pair> {
        self.secret(key).map(|seed| app::Pair::from_seed(&seed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polkadot_sdk::sp_core::crypto::ByteArray;

    #[test]
    fn keys_are_read_once_and_unknown_keys_are_none() {
        let keystore = Arc::new(LocalKeystore::in_memory());
        let public = keystore
            .ecdsa_generate_new(DKG_KEY_TYPE, Some("//Alice"))
            .expect("a key");
        let keys = DkgKeys::new(keystore.clone());
        let id = DkgId::from(public);
        assert_eq!(keys.public_keys(), vec![id.clone()]);
        let pair = keys.pair(&id).expect("the key is in the keystore");
        assert_eq!(polkadot_sdk::sp_core::Pair::public(&pair), id);
        assert_eq!(
            keys.secret(&id).expect("cached").as_ref(),
            &pair.into_inner().seed()
        );
        let other = DkgId::from_slice(&[2u8; 33]).expect("33 bytes");
        assert!(keys.secret(&other).is_none());
        assert!(keys.pair(&other).is_none());
    }
}
