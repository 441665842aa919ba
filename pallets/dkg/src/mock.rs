//! A test runtime with this pallet and a recording key buffer, for the unit tests and the
//! benchmark tests. Its externalities have a keystore for the members' DKG keys.

use crate as pallet_dkg;
use core::cell::RefCell;
use frame_support::{derive_impl, traits::ConstU32};
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::{BuildStorage, DispatchError};
use torus_primitives::{BatchId, GeneratedKey, KeyBuffer, KeyId};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Dkg: pallet_dkg,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
}

/// The largest committee in the test runtime.
pub const MAX_COMMITTEE: u32 = 8;
/// The longest dealing in the test runtime (4 members: up to 19 keys; 8 members: up to 10).
pub const MAX_DEALING_LEN: u32 = 8192;
/// The most keys the mock buffer takes in one batch.
pub const MAX_BUFFER_BATCH: u32 = 32;
/// Blocks for which dealings stay after a batch finished.
pub const RETENTION: u64 = 5;

frame_support::parameter_types! {
    pub const Retention: u64 = RETENTION;
    pub const Priority: u64 = 1 << 20;
}

impl pallet_dkg::Config for Test {
    type KeyBuffer = MockKeyBuffer;
    type MaxCommittee = ConstU32<MAX_COMMITTEE>;
    type MaxDealingLen = ConstU32<MAX_DEALING_LEN>;
    type MaxConcurrentBatches = ConstU32<2>;
    type DealingRetention = Retention;
    type UnsignedPriority = Priority;
    type WeightInfo = ();
}

thread_local! {
    static INSERTED: RefCell<Vec<(BatchId, Vec<GeneratedKey>)>> = const { RefCell::new(Vec::new()) };
    static REFUSE: RefCell<bool> = const { RefCell::new(false) };
}

/// A key buffer that records the batches it receives; its size is the number of keys received.
pub struct MockKeyBuffer;

impl MockKeyBuffer {
    /// The batches received, in order.
    pub fn inserted() -> Vec<(BatchId, Vec<GeneratedKey>)> {
        INSERTED.with(|i| i.borrow().clone())
    }

    /// Make `insert_generated_keys` fail (or succeed again).
    pub fn refuse(refuse: bool) {
        REFUSE.with(|r| *r.borrow_mut() = refuse);
    }

    fn reset() {
        INSERTED.with(|i| i.borrow_mut().clear());
        Self::refuse(false);
    }
}

impl KeyBuffer for MockKeyBuffer {
    fn buffer_size() -> u64 {
        INSERTED.with(|i| i.borrow().iter().map(|(_, keys)| keys.len() as u64).sum())
    }

    fn max_batch_size() -> u32 {
        MAX_BUFFER_BATCH
    }

    fn insert_generated_keys(
        batch: BatchId,
        keys: Vec<GeneratedKey>,
    ) -> Result<KeyId, DispatchError> {
        if REFUSE.with(|r| *r.borrow()) {
            return Err(DispatchError::Other("the buffer refuses"));
        }
        let first = Self::buffer_size();
        INSERTED.with(|i| i.borrow_mut().push((batch, keys)));
        Ok(first)
    }
}

/// Block 1, an empty committee, a keystore, and parameters: a buffer of 4 keys, batches of 2,
/// one at a time, 5 blocks per phase.
pub fn new_test_ext() -> sp_io::TestExternalities {
    MockKeyBuffer::reset();
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("the test genesis builds");
    pallet_dkg::GenesisConfig::<Test> {
        target_buffer: 4,
        batch_size: 2,
        max_concurrent_batches: 1,
        deal_timeout: 5,
        verify_timeout: 5,
        refresh_interval: 0,
    }
    .assimilate_storage(&mut storage)
    .expect("the DKG genesis builds");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
    ext.execute_with(|| System::set_block_number(1));
    ext
}
