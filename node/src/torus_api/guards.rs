//! The state that protects logins: the replay guards (commitments a node has acknowledged,
//! tokens it has answered), persisted so that they survive a restart, and the rate limits. All
//! of it is bounded, and no time from a request reaches `Instant` arithmetic.
//!
//! # The replay journal
//!
//! File `<base>/chains/<id>/torus-api/replay-guards` (format version 1): the 13-byte header
//! `MAGIC (12) ‖ version (1)`, then one 41-byte record per remembered digest:
//! `kind (1: commitment, 2: answered) ‖ digest (32) ‖ deadline (8, Unix seconds, little-endian)`.
//! A record is appended and synced to disk *before* the node acts on it (signs a commitment,
//! releases a share), so a node killed at any point refuses, once restarted, every commitment it
//! signed and every token it answered. Opening reads every whole record (a torn last record,
//! from a crash in mid-write, is cut off) and keeps the live ones; when dead records outnumber
//! live ones the file is rewritten with the live ones only (temporary file, sync, rename).
//! The file holds no secret: digests of tokens, never tokens.

use std::{
    collections::{BTreeSet, HashMap},
    fs::{self, File, OpenOptions},
    hash::Hash,
    io::{self, Read, Write},
    path::{Path, PathBuf},
    time::Instant,
};

/// A set of keys, each remembered until its own deadline (Unix seconds), holding at most
/// `capacity` live entries. A key inserted once is refused until it expires. Inserting and
/// expiring take O(log n) whatever order the deadlines come in.
pub struct ExpiringSet<K> {
    deadlines: HashMap<K, u64>,
    order: BTreeSet<(u64, K)>,
    capacity: usize,
}

/// Why a key was refused.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The key is already remembered.
    #[error("seen before")]
    Seen,
    /// The set is full of live entries.
    #[error("full")]
    Full,
    /// The journal could not be written, so the key is not remembered durably.
    #[error("replay journal {path}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl<K: Clone + Ord + Hash> ExpiringSet<K> {
    /// An empty set holding at most `capacity` live keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            deadlines: HashMap::new(),
            order: BTreeSet::new(),
            capacity,
        }
    }

    /// Whether `key` can be inserted at `now`: it is not remembered and there is room.
    fn check(&mut self, key: &K, now: u64) -> Result<(), GuardError> {
        self.expire(now);
        if self.deadlines.contains_key(key) {
            return Err(GuardError::Seen);
        }
        if self.deadlines.len() >= self.capacity {
            return Err(GuardError::Full);
        }
        Ok(())
    }

    /// Remembers `key` until `deadline`, unless it is remembered already or the set is full.
    pub fn insert(&mut self, key: K, deadline: u64, now: u64) -> Result<(), GuardError> {
        self.check(&key, now)?;
        self.deadlines.insert(key.clone(), deadline);
        self.order.insert((deadline, key));
        Ok(())
    }

    /// Whether `key` is remembered at `now`.
    pub fn contains(&mut self, key: &K, now: u64) -> bool {
        self.expire(now);
        self.deadlines.contains_key(key)
    }

    fn expire(&mut self, now: u64) {
        while self.order.first().is_some_and(|(d, _)| *d <= now) {
            if let Some((_, key)) = self.order.pop_first() {
                self.deadlines.remove(&key);
            }
        }
    }

    /// The live keys (after expiring) with their deadlines.
    fn live(&mut self, now: u64) -> impl Iterator<Item = (&K, u64)> {
        self.expire(now);
        self.order.iter().map(|(deadline, key)| (key, *deadline))
    }

    /// The number of live keys (after expiring).
    pub fn len(&mut self, now: u64) -> usize {
        self.expire(now);
        self.deadlines.len()
    }
}

const MAGIC: &[u8; 12] = b"torus-replay";
const VERSION: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 1;
const RECORD_LEN: usize = 1 + 32 + 8;
const KIND_COMMITMENT: u8 = 1;
const KIND_ANSWERED: u8 = 2;
/// Dead records tolerated in the journal beyond the live ones before it is rewritten.
const COMPACT_SLACK: usize = 4096;

/// The two replay guards of the Torus API and their journal on disk.
pub struct ReplayGuards {
    commitments: ExpiringSet<[u8; 32]>,
    answered: ExpiringSet<[u8; 32]>,
    path: PathBuf,
    file: File,
    /// Records in the file, live or dead.
    records: usize,
}

impl ReplayGuards {
    /// Opens (creating if needed) the journal at `path` and loads the records still live at
    /// `now`; each set holds at most `capacity` live digests.
    pub fn open(path: &Path, capacity: usize, now: u64) -> Result<Self, GuardError> {
        let io = |source| GuardError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let mut guards = Self {
            commitments: ExpiringSet::new(capacity),
            answered: ExpiringSet::new(capacity),
            path: path.to_owned(),
            file: OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(io)?,
            records: 0,
        };
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(io)?;
        if bytes.is_empty() {
            guards.rewrite(now)?;
            return Ok(guards);
        }
        if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
            return Err(io(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a replay journal",
            )));
        }
        if bytes[MAGIC.len()] != VERSION {
            return Err(io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unknown replay journal version {}", bytes[MAGIC.len()]),
            )));
        }
        for record in bytes[HEADER_LEN..].chunks_exact(RECORD_LEN) {
            let mut digest = [0u8; 32];
            digest.copy_from_slice(&record[1..33]);
            let mut deadline = [0u8; 8];
            deadline.copy_from_slice(&record[33..]);
            let deadline = u64::from_le_bytes(deadline);
            if deadline <= now {
                continue;
            }
            let set = match record[0] {
                KIND_COMMITMENT => &mut guards.commitments,
                KIND_ANSWERED => &mut guards.answered,
                kind => {
                    return Err(io(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unknown replay record kind {kind}"),
                    )))
                }
            };
            // A digest written twice (never by this code) or beyond capacity is skipped.
            let _ = set.insert(digest, deadline, now);
        }
        // Rewriting also cuts off a torn last record.
        guards.rewrite(now)?;
        Ok(guards)
    }

    /// Remembers a commitment the node is about to sign, until `deadline`: refused if it was
    /// seen before or if the token it commits to was answered already.
    pub fn remember_commitment(
        &mut self,
        commitment: [u8; 32],
        deadline: u64,
        now: u64,
    ) -> Result<(), GuardError> {
        if self.answered.contains(&commitment, now) {
            return Err(GuardError::Seen);
        }
        self.commitments.check(&commitment, now)?;
        self.append(&[(KIND_COMMITMENT, commitment, deadline)], now)?;
        self.commitments.insert(commitment, deadline, now)
    }

    /// Remembers, until `deadline`, that the token with these digests (its commitment and its
    /// signed digest) is answered: refused if any of them was answered before.
    pub fn mark_answered(
        &mut self,
        digests: [[u8; 32]; 2],
        deadline: u64,
        now: u64,
    ) -> Result<(), GuardError> {
        if digests[0] == digests[1] {
            return Err(GuardError::Seen);
        }
        for digest in &digests {
            self.answered.check(digest, now)?;
        }
        let records = digests.map(|digest| (KIND_ANSWERED, digest, deadline));
        self.append(&records, now)?;
        for digest in digests {
            self.answered.insert(digest, deadline, now)?;
        }
        Ok(())
    }

    /// Appends `records` and syncs them to disk, compacting the journal first when it has
    /// grown well past its live records.
    fn append(&mut self, records: &[(u8, [u8; 32], u64)], now: u64) -> Result<(), GuardError> {
        let live = self.commitments.len(now) + self.answered.len(now);
        if self.records > live.saturating_mul(2).saturating_add(COMPACT_SLACK) {
            self.rewrite(now)?;
        }
        let mut bytes = Vec::with_capacity(records.len() * RECORD_LEN);
        for (kind, digest, deadline) in records {
            encode_record(&mut bytes, *kind, digest, *deadline);
        }
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| GuardError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.records += records.len();
        Ok(())
    }

    /// Replaces the journal with one holding the live records only.
    fn rewrite(&mut self, now: u64) -> Result<(), GuardError> {
        let io = |source| GuardError::Io {
            path: self.path.clone(),
            source,
        };
        let mut bytes = Vec::new();
        bytes.extend_from_slice(MAGIC);
        bytes.push(VERSION);
        let mut records = 0;
        for (kind, set) in [
            (KIND_COMMITMENT, &mut self.commitments),
            (KIND_ANSWERED, &mut self.answered),
        ] {
            for (digest, deadline) in set.live(now) {
                encode_record(&mut bytes, kind, digest, deadline);
                records += 1;
            }
        }
        let temporary = self.path.with_extension("tmp");
        let mut file = File::create(&temporary).map_err(io)?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(io)?;
        fs::rename(&temporary, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        self.file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        self.records = records;
        Ok(())
    }
}

fn encode_record(out: &mut Vec<u8>, kind: u8, digest: &[u8; 32], deadline: u64) {
    out.push(kind);
    out.extend_from_slice(digest);
    out.extend_from_slice(&deadline.to_le_bytes());
}

/// A token bucket per key: `rate` requests per second on average, bursts up to `burst`.
///
/// Buckets live in two generations that swap every `window` (the time an empty bucket takes to
/// fill up again): a bucket untouched for a whole window is full, so forgetting it loses
/// nothing. Forgetting is therefore one swap, never a scan of the buckets; and the current
/// generation is also swapped out early when it reaches `capacity` keys, which bounds memory
/// (a flood of distinct keys can then make a bucket be forgotten early: that key gets a fresh
/// burst, at most once per two swaps).
pub struct RateLimiter<K> {
    current: HashMap<K, (f64, Instant)>,
    previous: HashMap<K, (f64, Instant)>,
    since: Option<Instant>,
    rate: f64,
    burst: f64,
    window: f64,
    capacity: usize,
}

impl<K: Clone + Eq + Hash> RateLimiter<K> {
    /// A limiter of `rate` per second with bursts of `burst`, keeping at most about
    /// `2 × capacity` keys; a rate of 0 disables it.
    pub fn new(rate: u32, burst: u32, capacity: usize) -> Self {
        let burst = f64::from(burst.max(1));
        let rate = f64::from(rate);
        Self {
            current: HashMap::new(),
            previous: HashMap::new(),
            since: None,
            rate,
            burst,
            window: if rate > 0.0 { burst / rate } else { 0.0 },
            capacity: capacity.max(1),
        }
    }

    /// Takes one request for `key` at `now`; `false` if over the limit.
    pub fn allow(&mut self, key: &K, now: Instant) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let since = *self.since.get_or_insert(now);
        if now.saturating_duration_since(since).as_secs_f64() >= self.window
            || self.current.len() >= self.capacity
        {
            self.previous = std::mem::take(&mut self.current);
            self.since = Some(now);
        }
        let (mut tokens, at) = self
            .current
            .remove(key)
            .or_else(|| self.previous.remove(key))
            .unwrap_or((self.burst, now));
        tokens =
            (tokens + now.saturating_duration_since(at).as_secs_f64() * self.rate).min(self.burst);
        let allowed = tokens >= 1.0;
        if allowed {
            tokens -= 1.0;
        }
        self.current.insert(key.clone(), (tokens, now));
        allowed
    }

    /// The number of keys held in both generations.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

/// How long a node remembers a commitment it acknowledged (and refuses it again), in seconds.
pub const COMMITMENT_TTL_SECS: u64 = 600;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_key_is_refused_until_it_expires() {
        let mut set = ExpiringSet::new(10);
        assert!(set.insert("a", 110, 100).is_ok());
        assert!(matches!(set.insert("a", 110, 100), Err(GuardError::Seen)));
        assert!(set.contains(&"a", 109));
        assert!(!set.contains(&"a", 110));
        assert!(set.insert("a", 111, 110).is_ok());
    }

    #[test]
    fn a_full_set_refuses_new_keys_until_some_expire() {
        let mut set = ExpiringSet::new(2);
        assert!(set.insert(1, 200, 100).is_ok());
        assert!(set.insert(2, 101, 100).is_ok());
        assert!(matches!(set.insert(3, 200, 100), Err(GuardError::Full)));
        assert_eq!(set.len(100), 2);
        // Expiry follows deadlines, not insertion order.
        assert!(set.insert(3, 200, 101).is_ok());
        assert!(set.contains(&1, 101));
        assert!(!set.contains(&2, 101));
    }

    fn journal_path(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("torus-replay-test-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("replay-guards")
    }

    #[test]
    fn guards_survive_a_reopen_and_forget_only_what_expired() {
        let path = journal_path("reopen");
        let mut guards = ReplayGuards::open(&path, 100, 1_000).expect("opens");
        guards.remember_commitment([1; 32], 2_000, 1_000).unwrap();
        guards
            .mark_answered([[2; 32], [3; 32]], 1_500, 1_000)
            .unwrap();
        assert!(matches!(
            guards.mark_answered([[4; 32], [3; 32]], 1_500, 1_000),
            Err(GuardError::Seen)
        ));
        // A commitment of a token already answered is refused.
        assert!(matches!(
            guards.remember_commitment([2; 32], 2_000, 1_000),
            Err(GuardError::Seen)
        ));
        drop(guards);

        // As after a kill -9: nothing but the file carries the state.
        let mut reopened = ReplayGuards::open(&path, 100, 1_100).expect("reopens");
        assert!(matches!(
            reopened.remember_commitment([1; 32], 2_000, 1_100),
            Err(GuardError::Seen)
        ));
        assert!(matches!(
            reopened.mark_answered([[2; 32], [9; 32]], 1_500, 1_100),
            Err(GuardError::Seen)
        ));
        assert!(matches!(
            reopened.mark_answered([[9; 32], [3; 32]], 1_500, 1_100),
            Err(GuardError::Seen)
        ));
        drop(reopened);

        // After the answered deadline only the commitment is still remembered.
        let mut later = ReplayGuards::open(&path, 100, 1_600).expect("reopens");
        assert!(later
            .mark_answered([[2; 32], [3; 32]], 2_500, 1_600)
            .is_ok());
        assert!(matches!(
            later.remember_commitment([1; 32], 3_000, 1_600),
            Err(GuardError::Seen)
        ));
        // The rewrite on open kept only live records: 1 commitment (+ 2 answered appended).
        let len = fs::metadata(&path).unwrap().len() as usize;
        assert_eq!(len, HEADER_LEN + 3 * RECORD_LEN);
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_torn_last_record_is_cut_off_and_a_foreign_file_refused() {
        let path = journal_path("torn");
        let mut guards = ReplayGuards::open(&path, 100, 1_000).expect("opens");
        guards.remember_commitment([1; 32], 2_000, 1_000).unwrap();
        drop(guards);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[KIND_COMMITMENT, 7, 7, 7]).unwrap();
        drop(file);
        let mut reopened = ReplayGuards::open(&path, 100, 1_000).expect("a torn tail is cut");
        assert!(matches!(
            reopened.remember_commitment([1; 32], 2_000, 1_000),
            Err(GuardError::Seen)
        ));
        assert!(reopened.remember_commitment([7; 32], 2_000, 1_000).is_ok());
        drop(reopened);

        fs::write(&path, b"something else entirely").unwrap();
        assert!(matches!(
            ReplayGuards::open(&path, 100, 1_000),
            Err(GuardError::Io { .. })
        ));
        let mut other_version = MAGIC.to_vec();
        other_version.push(VERSION + 1);
        fs::write(&path, other_version).unwrap();
        assert!(matches!(
            ReplayGuards::open(&path, 100, 1_000),
            Err(GuardError::Io { .. })
        ));
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn the_journal_is_compacted_when_dead_records_pile_up() {
        let path = journal_path("compact");
        let mut guards = ReplayGuards::open(&path, 100_000, 1_000).expect("opens");
        for i in 0..(COMPACT_SLACK as u32 + 10) {
            let mut digest = [0u8; 32];
            digest[..4].copy_from_slice(&i.to_le_bytes());
            guards.remember_commitment(digest, 1_001, 1_000).unwrap();
        }
        // All of those are dead at 1_001: the next append rewrites the file first.
        guards
            .remember_commitment([0xaa; 32], 5_000, 1_001)
            .unwrap();
        let len = fs::metadata(&path).unwrap().len() as usize;
        assert_eq!(len, HEADER_LEN + RECORD_LEN);
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_full_guard_refuses_without_writing() {
        let path = journal_path("full");
        let mut guards = ReplayGuards::open(&path, 1, 1_000).expect("opens");
        guards.remember_commitment([1; 32], 2_000, 1_000).unwrap();
        let before = fs::metadata(&path).unwrap().len();
        assert!(matches!(
            guards.remember_commitment([2; 32], 2_000, 1_000),
            Err(GuardError::Full)
        ));
        assert_eq!(fs::metadata(&path).unwrap().len(), before);
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn the_rate_limiter_allows_bursts_then_the_rate() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(2, 3, 1000);
        assert!((0..3).all(|_| limiter.allow(&"v", start)));
        assert!(!limiter.allow(&"v", start));
        assert!(limiter.allow(&"other", start), "keys are independent");
        assert!(limiter.allow(&"v", start + Duration::from_millis(500)));
        assert!(!limiter.allow(&"v", start + Duration::from_millis(500)));
        // Across a generation swap (window 1.5 s) the bucket's state is kept: 1.1 s after the
        // last take, 2.2 tokens came back, so two requests pass and the third does not.
        let later = start + Duration::from_millis(1600);
        assert!(limiter.allow(&"v", later));
        assert!(limiter.allow(&"v", later));
        assert!(!limiter.allow(&"v", later));

        let mut off = RateLimiter::new(0, 0, 10);
        assert!((0..1000).all(|_| off.allow(&"v", start)));
    }

    #[test]
    fn the_rate_limiter_forgets_only_full_buckets_and_stays_bounded() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(1, 2, 100);
        assert!(limiter.allow(&0u32, start));
        assert!(limiter.allow(&0u32, start));
        assert!(!limiter.allow(&0u32, start), "key 0 is empty");
        // Many other keys within the same window swap generations early: key 0's empty bucket
        // moves to the previous generation and is found there.
        for key in 1..100u32 {
            limiter.allow(&key, start);
        }
        assert!(!limiter.allow(&0u32, start), "key 0 is still empty");
        for key in 1000..10_000u32 {
            limiter.allow(&key, start);
        }
        assert!(limiter.len() <= 200, "bounded: {}", limiter.len());
        // A whole window later every bucket is full again.
        assert!(limiter.allow(&0u32, start + Duration::from_secs(2)));
    }
}
