//! The pallet's stored types: committees and epochs, the parameters and state of a running
//! batch (fresh keys or a handover), and what the chain keeps about a finished batch.

use alloc::vec::Vec;
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{
    pallet_prelude::{BoundedVec, Get},
    CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use torus_primitives::{
    dkg::{BatchInfo, BatchOutcome, BatchPhase, DkgId, EpochId, Fault, HandoverInfo, MemberIndex},
    BatchId, KeyId,
};

use crate::{Config, EndpointOf, Error};

/// The members of a committee: each member's account and DKG key; member `i` is entry `i − 1`.
pub type MembersOf<T> =
    BoundedVec<(<T as frame_system::Config>::AccountId, DkgId), <T as Config>::MaxCommittee>;

/// A list of member indexes, at most one per member.
pub type MemberListOf<T> = BoundedVec<MemberIndex, <T as Config>::MaxCommittee>;

/// Twice [`Config::MaxCommittee`]: a handover has two committees, and each judged complaint
/// disqualifies one member of one of them.
pub struct MaxFaults<T>(core::marker::PhantomData<T>);

impl<T: Config> Get<u32> for MaxFaults<T> {
    fn get() -> u32 {
        T::MaxCommittee::get().saturating_mul(2)
    }
}

/// The disqualified members of a batch, with the reason (dealers or recipients: see
/// [`BatchSetup::fault_concerns`]).
pub type FaultListOf<T> = BoundedVec<(MemberIndex, Fault), MaxFaults<T>>;

/// An epoch as stored: a committee that holds keys.
#[derive(
    Encode, Decode, TypeInfo, MaxEncodedLen, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct EpochRecord<T: Config> {
    /// The members: member `i` is `members[i − 1]`.
    pub members: MembersOf<T>,
    /// Shares needed to reconstruct a key: ⌊n/2⌋ + 1.
    pub threshold: u16,
    /// The block the epoch started in.
    pub started_at: BlockNumberFor<T>,
}

/// A member's published Torus API URL.
#[derive(Encode, Decode, TypeInfo, MaxEncodedLen, Clone, PartialEq, Eq, Debug)]
pub struct EndpointRecord {
    /// The URL (see `torus_primitives::dkg::is_valid_endpoint`).
    pub url: EndpointOf,
    /// The update's sequence number: the next update must carry one more.
    pub sequence: u32,
}

/// What a batch does.
#[derive(
    Encode, Decode, TypeInfo, MaxEncodedLen, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub enum BatchKind<T: Config> {
    /// Generate new keys for the buffer: the members deal and receive.
    Fresh,
    /// Reshare the keys of a key range from the epoch that holds them (the dealers) to the
    /// batch's members (the recipients).
    Handover {
        /// The key range (the id of the DKG batch that generated it).
        range: BatchId,
        /// Its first key.
        first_key: KeyId,
        /// The epoch that holds it.
        from: EpochId,
        /// That epoch's members.
        dealers: MembersOf<T>,
        /// That epoch's threshold.
        dealer_threshold: u16,
    },
}

/// The parameters of a batch, fixed when it starts.
#[derive(
    Encode, Decode, TypeInfo, MaxEncodedLen, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct BatchSetup<T: Config> {
    /// The committee snapshot (the recipients): member `i` is `members[i − 1]`.
    pub members: MembersOf<T>,
    /// Binds every proof of the batch to it.
    pub session_id: [u8; 32],
    /// The number of keys.
    pub batch_size: u32,
    /// Shares needed to reconstruct a key: ⌊n/2⌋ + 1.
    pub threshold: u16,
    /// The block the batch started in.
    pub started_at: BlockNumberFor<T>,
    /// The epoch of `members`, which holds the keys once the batch completes.
    pub epoch: EpochId,
    /// Fresh keys or a handover.
    pub kind: BatchKind<T>,
}

impl<T: Config> BatchSetup<T> {
    /// The number of members (recipients) `n`.
    pub fn size(&self) -> u32 {
        self.members.len() as u32
    }

    /// The dealers: the handover's old committee, or the members.
    pub fn dealers(&self) -> &MembersOf<T> {
        match &self.kind {
            BatchKind::Fresh => &self.members,
            BatchKind::Handover { dealers, .. } => dealers,
        }
    }

    /// The number of dealers.
    pub fn dealer_count(&self) -> u32 {
        self.dealers().len() as u32
    }

    /// The fewest qualified dealers the batch needs: the dealers' threshold (enough old shares
    /// to interpolate, for a handover).
    pub fn min_qualified(&self) -> usize {
        usize::from(match &self.kind {
            BatchKind::Fresh => self.threshold,
            BatchKind::Handover {
                dealer_threshold, ..
            } => *dealer_threshold,
        })
    }

    /// The DKG key of member (recipient) `member` (1-based).
    pub fn key(&self, member: MemberIndex) -> Option<&DkgId> {
        nth::<T>(&self.members, member)
    }

    /// The DKG key of dealer `dealer` (1-based).
    pub fn dealer_key(&self, dealer: MemberIndex) -> Option<&DkgId> {
        nth::<T>(self.dealers(), dealer)
    }

    /// Whether `fault`, recorded against an index, concerns the dealer (`as_dealer`) or the
    /// recipient of that index (see [`BatchInfo::fault_concerns`]).
    pub fn fault_concerns(&self, fault: &Fault, as_dealer: bool) -> bool {
        matches!(self.kind, BatchKind::Fresh) || fault.is_dealers() == as_dealer
    }

    /// The public form of the parameters.
    pub fn info(&self, batch: BatchId) -> BatchInfo<BlockNumberFor<T>> {
        let keys = |members: &MembersOf<T>| members.iter().map(|(_, key)| key.clone()).collect();
        BatchInfo {
            batch,
            session_id: self.session_id,
            batch_size: self.batch_size,
            threshold: self.threshold,
            members: keys(&self.members),
            started_at: self.started_at,
            epoch: self.epoch,
            handover: match &self.kind {
                BatchKind::Fresh => None,
                BatchKind::Handover {
                    range,
                    first_key,
                    from,
                    dealers,
                    dealer_threshold,
                } => Some(HandoverInfo {
                    range: *range,
                    first_key: *first_key,
                    from_epoch: *from,
                    dealers: keys(dealers),
                    dealer_threshold: *dealer_threshold,
                }),
            },
        }
    }
}

fn nth<T: Config>(members: &MembersOf<T>, index: MemberIndex) -> Option<&DkgId> {
    usize::from(index)
        .checked_sub(1)
        .and_then(|i| members.get(i))
        .map(|(_, key)| key)
}

/// A running batch.
#[derive(
    Encode, Decode, TypeInfo, MaxEncodedLen, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct BatchState<T: Config> {
    /// The batch's parameters.
    pub setup: BatchSetup<T>,
    /// The current phase.
    pub phase: BatchPhase<BlockNumberFor<T>>,
    /// Dealers whose dealing was accepted, ascending.
    pub dealt: MemberListOf<T>,
    /// Members that confirmed, ascending.
    pub confirmed: MemberListOf<T>,
    /// Members disqualified so far, in the order it happened.
    pub disqualified: FaultListOf<T>,
    /// The judged complaints as (complainer, dealer). Each one disqualified one of the two, so
    /// there are at most as many as dealers and recipients.
    pub complaints: BoundedVec<(MemberIndex, MemberIndex), MaxFaults<T>>,
}

impl<T: Config> BatchState<T> {
    /// Whether dealer (`as_dealer`) or recipient `index` is disqualified.
    pub fn is_disqualified(&self, index: MemberIndex, as_dealer: bool) -> bool {
        self.disqualified
            .iter()
            .any(|(m, fault)| *m == index && self.setup.fault_concerns(fault, as_dealer))
    }

    /// Whether every dealer has dealt (accepted or rejected).
    pub(crate) fn all_dealt(&self) -> bool {
        let rejected = self
            .disqualified
            .iter()
            .filter(|(_, f)| *f == Fault::MalformedDealing)
            .count();
        self.dealt.len() + rejected >= self.setup.dealers().len()
    }

    /// Accepted dealers that are not disqualified, ascending.
    pub fn qualified(&self) -> Vec<MemberIndex> {
        self.dealt
            .iter()
            .copied()
            .filter(|m| !self.is_disqualified(*m, true))
            .collect()
    }

    /// Whether everyone who must confirm has: the qualified dealers of fresh keys (they are
    /// the members who take part), every recipient not disqualified in a handover.
    pub(crate) fn all_confirmed(&self) -> bool {
        let confirmed = |m: &MemberIndex| self.confirmed.binary_search(m).is_ok();
        match self.setup.kind {
            BatchKind::Fresh => self.qualified().iter().all(confirmed),
            BatchKind::Handover { .. } => (1..=self.setup.members.len() as MemberIndex)
                .filter(|m| !self.is_disqualified(*m, false))
                .all(|m| confirmed(&m)),
        }
    }

    /// Dealers that posted no dealing at all (neither accepted nor rejected).
    pub(crate) fn absent(&self) -> Vec<MemberIndex> {
        (1..=self.setup.dealers().len() as MemberIndex)
            .filter(|m| {
                self.dealt.binary_search(m).is_err()
                    && !self
                        .disqualified
                        .iter()
                        .any(|(d, f)| d == m && *f == Fault::MalformedDealing)
            })
            .collect()
    }

    pub(crate) fn disqualify(&mut self, member: MemberIndex, fault: Fault) -> Result<(), Error<T>> {
        self.disqualified
            .try_push((member, fault))
            .map_err(|_| Error::<T>::TooManyEntries)
    }
}

/// What the chain keeps about a finished batch.
#[derive(
    Encode, Decode, TypeInfo, MaxEncodedLen, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct FinishedBatch<T: Config> {
    /// The batch's parameters.
    pub setup: BatchSetup<T>,
    /// How it ended.
    pub outcome: BatchOutcome,
    /// The dealers whose dealings make the keys, ascending (empty if abandoned early).
    pub qualified: MemberListOf<T>,
    /// The members disqualified, with the reason.
    pub disqualified: FaultListOf<T>,
    /// The dealers that posted no dealing.
    pub absent: MemberListOf<T>,
    /// The block it ended in.
    pub finished_at: BlockNumberFor<T>,
}

/// A DKG message, for the checks shared by the validity check and the dispatch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Message {
    Dealing,
    Complaint { dealer: MemberIndex },
    Confirmation,
}

impl Message {
    pub(crate) fn kind(&self) -> torus_primitives::dkg::MessageKind {
        use torus_primitives::dkg::MessageKind;
        match self {
            Message::Dealing => MessageKind::Dealing,
            Message::Complaint { .. } => MessageKind::Complaint,
            Message::Confirmation => MessageKind::Confirmation,
        }
    }
}

/// What `on_initialize` did with one running batch.
pub(crate) enum Step {
    /// Nothing (its phase goes on, or it waits for its turn to finish).
    Idle,
    /// Its dealing phase ended; it verifies now.
    DealingEnded,
    /// It finished; `true` if the keys (or their new sharing) were recorded.
    Finished(bool),
}
