#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy, the no_std wasm build of the
# crypto crate, unit and property tests, the multi-node integration tests (real torus-node
# processes on 127.0.0.1), and the JavaScript interoperability checks (npm packages).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The pallets' benchmarks compile only with `runtime-benchmarks`: lint them too.
cargo clippy -p pallet-verifiers -p pallet-keys -p pallet-dkg --all-targets --features runtime-benchmarks --locked -- -D warnings

step "torus-crypto builds no_std for wasm32"
cargo check -p torus-crypto --no-default-features --target wasm32-unknown-unknown --locked

# Built with the whole workspace's features, as `cargo test --workspace` builds its crates, so
# the node and runtime are compiled once for both.
step "build torus-node (the integration tests run it)"
cargo build --workspace --bins --locked

step "the published @toruslabs/eccrypto decrypts what torus-crypto encrypts"
(cd primitives/crypto/tests/fixtures/eccrypto && npm ci --no-audit --no-fund --loglevel=error && node check-rust.mjs)

step "npm packages of the JavaScript client test (the published @toruslabs/torus.js)"
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

step "the pallets' benchmarks, run as tests against their mock runtimes"
cargo test -p pallet-verifiers -p pallet-keys -p pallet-dkg --features runtime-benchmarks --locked benchmark

step "cargo test --workspace"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"

# One closing line for the whole run: the sum over every test binary and doc-test run.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\ntests: %d passed, %d failed\n", p, f }' "$log"

