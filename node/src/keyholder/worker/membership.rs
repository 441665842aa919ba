//! The member's standing on chain, beside the protocol: the Torus API URL it publishes
//! (`dkg.set_endpoint`), and the epochs whose shares it lost (`dkg.report_lost_shares`), so that
//! clients are not sent to it and a handover to the same committee gives it new shares.
//!
//! Lost shares are found by an audit of the share store against the finalized chain, once the
//! store is settled up to a finalized block with no batch running (a share a running handover
//! has just given is not missed for a lost one): every key range held by an epoch that this
//! node is a member of must be stored with that epoch. The audit runs after the start and then
//! every [`AUDIT_EVERY`] finalized blocks, so a share file lost while the node runs is reported
//! too. A batch that cannot be settled (its dealings were pruned while the node was away) is
//! reported at once.

use std::collections::BTreeSet;

use log::{info, warn};
use polkadot_sdk::{
    sc_transaction_pool_api::TransactionPool, sp_api::ProvideRuntimeApi,
    sp_blockchain::HeaderBackend, sp_core::Pair as _,
};
use torus_primitives::{
    dkg::{endpoint_payload, lost_shares_payload, DkgId, EpochId, MemberIndex},
    DkgApi, KeysApi,
};
use torus_runtime::{opaque::Block, BlockNumber, Hash};

use super::{Worker, RESEND_AFTER};
use crate::keyholder::LOG_TARGET;

/// Finalized blocks from one audit of the share store to the next (30 minutes of 3-second
/// blocks): an audit reads and decrypts every stored range, so it is not run at every block.
pub(super) const AUDIT_EVERY: BlockNumber = 600;

/// What the worker keeps about its standing on chain.
#[derive(Default)]
pub(super) struct Membership {
    /// When each DKG key's endpoint update was last posted: (sequence, block).
    published: std::collections::HashMap<DkgId, (u32, BlockNumber)>,
    /// Epochs whose shares this node lost and has not seen reported on chain yet, with when
    /// the report was last posted.
    lost: std::collections::BTreeMap<EpochId, Option<BlockNumber>>,
    /// The finalized block at which the store was last audited against the chain.
    audited_at: Option<BlockNumber>,
}

impl Membership {
    /// Note that this node lost its shares of epoch `epoch`'s keys.
    pub(super) fn lost(&mut self, epoch: EpochId) {
        self.lost.entry(epoch).or_insert(None);
    }
}

/// Whether a message last posted at `sent` should be posted again at block `now`.
fn due(sent: Option<BlockNumber>, now: BlockNumber) -> bool {
    sent.is_none_or(|sent| now >= sent.saturating_add(RESEND_AFTER))
}

/// Whether the store, last audited at finalized block `audited_at`, is due an audit at the
/// finalized block `finalized`.
pub(super) fn audit_due(audited_at: Option<BlockNumber>, finalized: BlockNumber) -> bool {
    audited_at.is_none_or(|at| finalized >= at.saturating_add(AUDIT_EVERY))
}

impl<C, P> Worker<C, P>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: DkgApi<Block, BlockNumber> + KeysApi<Block>,
    P: TransactionPool<Block = Block, Hash = Hash> + 'static,
{
    /// At the best block `at`: publish the node's Torus API URL for each of its DKG keys in the
    /// session's committee whose published URL differs, and report the epochs whose shares it
    /// lost.
    pub(super) async fn stand(&mut self, at: Hash, now: BlockNumber, mine: &[DkgId]) {
        if let Err(e) = self.publish_endpoint(at, now, mine).await {
            warn!(target: LOG_TARGET, "cannot publish the Torus API URL: {e}");
        }
        if let Err(e) = self.report_lost(at, now, mine).await {
            warn!(target: LOG_TARGET, "cannot report lost shares: {e}");
        }
    }

    async fn publish_endpoint(
        &mut self,
        at: Hash,
        now: BlockNumber,
        mine: &[DkgId],
    ) -> Result<(), String> {
        let Some(url) = self.public_url.clone() else {
            return Ok(());
        };
        let api = self.client.runtime_api();
        let committee = api.committee(at).map_err(|e| e.to_string())?;
        for key in mine.iter().filter(|k| committee.contains(k)) {
            let published = api.endpoint(at, key.clone()).map_err(|e| e.to_string())?;
            if published.as_ref().is_some_and(|(u, _)| *u == url) {
                continue;
            }
            let sequence = published.map_or(0, |(_, s)| s.saturating_add(1));
            let sent = self.membership.published.get(key).copied();
            if sent.is_some_and(|(s, block)| s == sequence && !due(Some(block), now)) {
                continue;
            }
            let payload = endpoint_payload(&self.genesis_hash, key, &url, sequence);
            let signature = self.pair(key)?.sign(&payload);
            let endpoint = url
                .clone()
                .try_into()
                .map_err(|_| "the URL is too long".to_string())?;
            self.submit(
                at,
                pallet_dkg::Call::set_endpoint {
                    member: key.clone(),
                    endpoint,
                    sequence,
                    signature,
                },
            )
            .await?;
            self.membership
                .published
                .insert(key.clone(), (sequence, now));
            info!(target: LOG_TARGET, "published the Torus API URL {} for DKG key {key}", String::from_utf8_lossy(&url));
        }
        Ok(())
    }

    async fn report_lost(
        &mut self,
        at: Hash,
        now: BlockNumber,
        mine: &[DkgId],
    ) -> Result<(), String> {
        let epochs: Vec<(EpochId, Option<BlockNumber>)> =
            self.membership.lost.iter().map(|(e, s)| (*e, *s)).collect();
        for (epoch, sent) in epochs {
            let nodes = self
                .client
                .runtime_api()
                .nodes(at, epoch)
                .map_err(|e| e.to_string())?;
            let me = nodes
                .as_ref()
                .and_then(|nodes| nodes.iter().find(|n| mine.contains(&n.key)));
            let Some(me) = me.filter(|me| !me.lost) else {
                // Reported, or the epoch (or this node's place in it) is gone.
                self.membership.lost.remove(&epoch);
                continue;
            };
            if !due(sent, now) {
                continue;
            }
            let (index, key): (MemberIndex, DkgId) = (me.index, me.key.clone());
            let payload = lost_shares_payload(&self.genesis_hash, epoch, index);
            let signature = self.pair(&key)?.sign(&payload);
            self.submit(
                at,
                pallet_dkg::Call::report_lost_shares {
                    epoch,
                    member: index,
                    signature,
                },
            )
            .await?;
            self.membership.lost.insert(epoch, Some(now));
            warn!(target: LOG_TARGET, "reported the loss of this node's shares of epoch {epoch} (member {index}): a handover will give it new ones");
        }
        Ok(())
    }

    /// After the start and every [`AUDIT_EVERY`] blocks, when the store is settled up to the
    /// finalized block `finalized` (number `number`) and no batch runs there: note every epoch
    /// this node is a member of that holds a key range whose shares are not stored for it.
    pub(super) fn audit_store(
        &mut self,
        finalized: Hash,
        number: BlockNumber,
        mine: &[DkgId],
    ) -> Result<(), String> {
        if !audit_due(self.membership.audited_at, number) {
            return Ok(());
        }
        let api = self.client.runtime_api();
        if !api
            .active_batches(finalized)
            .map_err(|e| e.to_string())?
            .is_empty()
        {
            return Ok(());
        }
        // The epochs this node is a member of that hold keys, then one pass over the ranges.
        let mine_epochs: BTreeSet<EpochId> = api
            .holding_epochs(finalized)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|epoch| epoch.members.iter().any(|k| mine.contains(k)))
            .map(|epoch| epoch.epoch)
            .collect();
        let mut lost = BTreeSet::new();
        for id in 0..self.cursor {
            let Some(range) = api.key_range(finalized, id).map_err(|e| e.to_string())? else {
                continue;
            };
            if !mine_epochs.contains(&range.holder) || lost.contains(&range.holder) {
                continue;
            }
            let stored = self
                .store
                .load(range.range, |key| self.keys.secret(key))
                .ok()
                .flatten();
            if stored.is_none_or(|s| s.epoch != range.holder) {
                lost.insert(range.holder);
            }
        }
        for epoch in lost {
            warn!(target: LOG_TARGET, "the share store lacks shares of key ranges held by epoch {epoch}, of which this node is a member");
            self.membership.lost(epoch);
        }
        self.membership.audited_at = Some(number);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_audited_after_the_start_then_every_audit_interval() {
        assert!(audit_due(None, 0));
        assert!(audit_due(None, 12_345));
        assert!(!audit_due(Some(10), 10));
        assert!(!audit_due(Some(10), 10 + AUDIT_EVERY - 1));
        assert!(audit_due(Some(10), 10 + AUDIT_EVERY));
        // Near the end of the block numbers the interval saturates instead of overflowing.
        assert!(!audit_due(Some(BlockNumber::MAX - 1), BlockNumber::MAX - 1));
        assert!(audit_due(Some(BlockNumber::MAX - 1), BlockNumber::MAX));
    }
}
