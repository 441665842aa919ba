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

step "torus-crypto builds no_std for wasm32"
cargo check -p torus-crypto --no-default-features --target wasm32-unknown-unknown --locked

# Built with the whole workspace's features, as `cargo test --workspace` builds its crates, so
# the node and runtime are compiled once for both.
step "build torus-node (the integration tests run it)"
cargo build --workspace --bins --locked

step "the published @toruslabs/eccrypto decrypts what torus-crypto encrypts"
(cd primitives/crypto/tests/fixtures/eccrypto && npm ci --no-audit --no-fund --loglevel=error && node check-rust.mjs)

step "cargo test --workspace"
cargo test --workspace --locked

