#!/usr/bin/env bash
# Measures the Torus pallets' weights with the FRAME benchmark CLI and writes each pallet's
# `src/weights.rs` (from scripts/weights-template.hbs).
#
#   scripts/bench-weights.sh [PALLET...]      default: every Torus pallet (verifiers keys dkg)
#   STEPS and REPEAT set the benchmark CLI's --steps and --repeat (defaults 50 and 20; 4 and 3
#   for dkg, whose steps are costly).
#
# Builds a node with `--features runtime-benchmarks` (its runtime carries the benchmarks, so it
# is kept apart as `torus-node-benchmarks` and never used to run a chain), then rebuilds the
# normal node, which the cargo cache makes a relink.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/torus-target}"
pallets=("$@")
[ ${#pallets[@]} -gt 0 ] || pallets=(verifiers keys dkg)

cargo build --workspace --bins --features torus-node/runtime-benchmarks
bench_node="$CARGO_TARGET_DIR/debug/torus-node-benchmarks"
cp "$CARGO_TARGET_DIR/debug/torus-node" "$bench_node"
cargo build --workspace --bins

for pallet in "${pallets[@]}"; do
    echo "== pallet_$pallet"
    steps="${STEPS:-50}" repeat="${REPEAT:-20}" ranges=()
    if [ "$pallet" = dkg ]; then
        # Each DKG benchmark step deals for the whole committee inside the wasm runtime: measure
        # committees of 2..8 (and batches up to 256 keys) and let the linear fit extrapolate.
        steps="${STEPS:-4}" repeat="${REPEAT:-3}" ranges=(--low 2,1 --high 8,256)
    fi
    "$bench_node" benchmark pallet \
        --chain dev \
        --pallet "pallet_$pallet" \
        --extrinsic '*' \
        --steps "$steps" \
        --repeat "$repeat" \
        "${ranges[@]}" \
        --template scripts/weights-template.hbs \
        --output "pallets/$pallet/src/weights.rs"
done
