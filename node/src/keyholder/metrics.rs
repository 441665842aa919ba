//! The keyholder's Prometheus metrics.

use polkadot_sdk::substrate_prometheus_endpoint::{
    register, Counter, Gauge, PrometheusError, Registry, U64,
};

/// Counters and gauges of the keyholder worker, registered once.
pub struct Metrics {
    /// Keys whose shares this node stored.
    pub keys_generated: Counter<U64>,
    /// Batches this node took part in that completed.
    pub batches_completed: Counter<U64>,
    /// Batches this node took part in that were abandoned.
    pub batches_abandoned: Counter<U64>,
    /// Dealings this node submitted.
    pub dealings_submitted: Counter<U64>,
    /// Complaints this node submitted.
    pub complaints_submitted: Counter<U64>,
    /// Batches whose computed shares did not match the keys' commitments on chain (not
    /// stored).
    pub share_mismatches: Counter<U64>,
    /// Batches whose stored shares were discarded: not this node's shares of the batch the
    /// finalized chain has (settled on a fork that lost).
    pub batches_discarded: Counter<U64>,
    /// Unassigned keys on chain at the best block.
    pub buffer_size: Gauge<U64>,
    /// Handovers of key ranges to an epoch of this node that completed and were settled.
    pub handovers_completed: Counter<U64>,
    /// Keys whose new shares this node stored from a handover.
    pub keys_handed_over: Counter<U64>,
    /// Keys whose shares this node erased because their range moved to an epoch without it.
    pub keys_erased: Counter<U64>,
    /// Keys in the handovers running at the best block.
    pub keys_pending_handover: Gauge<U64>,
    /// The epoch of the newest sharing this node stored.
    pub epoch: Gauge<U64>,
}

impl Metrics {
    /// Register the metrics in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
        Ok(Self {
            keys_generated: register(
                Counter::new(
                    "torus_keyholder_keys_generated_total",
                    "Keys whose shares this node stored",
                )?,
                registry,
            )?,
            batches_completed: register(
                Counter::new(
                    "torus_keyholder_batches_completed_total",
                    "DKG batches with this node as member that completed",
                )?,
                registry,
            )?,
            batches_abandoned: register(
                Counter::new(
                    "torus_keyholder_batches_abandoned_total",
                    "DKG batches with this node as member that were abandoned",
                )?,
                registry,
            )?,
            dealings_submitted: register(
                Counter::new(
                    "torus_keyholder_dealings_submitted_total",
                    "DKG dealings this node submitted",
                )?,
                registry,
            )?,
            complaints_submitted: register(
                Counter::new(
                    "torus_keyholder_complaints_submitted_total",
                    "DKG complaints this node submitted",
                )?,
                registry,
            )?,
            share_mismatches: register(
                Counter::new(
                    "torus_keyholder_share_mismatches_total",
                    "DKG batches whose computed shares did not match the commitments on chain",
                )?,
                registry,
            )?,
            batches_discarded: register(
                Counter::new(
                    "torus_keyholder_batches_discarded_total",
                    "Stored DKG batches discarded because the finalized chain does not give them to this node",
                )?,
                registry,
            )?,
            buffer_size: register(
                Gauge::new(
                    "torus_keyholder_buffer_size",
                    "Unassigned keys in the key buffer at the best block",
                )?,
                registry,
            )?,
            handovers_completed: register(
                Counter::new(
                    "torus_keyholder_handovers_completed_total",
                    "Handovers (reshares) of key ranges to this node's epoch that it settled",
                )?,
                registry,
            )?,
            keys_handed_over: register(
                Counter::new(
                    "torus_keyholder_keys_handed_over_total",
                    "Keys whose new shares this node stored from a handover",
                )?,
                registry,
            )?,
            keys_erased: register(
                Counter::new(
                    "torus_keyholder_keys_erased_total",
                    "Keys whose shares this node erased after their range moved to an epoch without it",
                )?,
                registry,
            )?,
            keys_pending_handover: register(
                Gauge::new(
                    "torus_keyholder_keys_pending_handover",
                    "Keys in the handovers running at the best block",
                )?,
                registry,
            )?,
            epoch: register(
                Gauge::new(
                    "torus_keyholder_epoch",
                    "The epoch of the newest sharing this node stored",
                )?,
                registry,
            )?,
        })
    }
}
