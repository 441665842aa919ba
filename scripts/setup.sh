#!/usr/bin/env bash
# Installs what building Torus needs on a fresh Debian/Ubuntu machine, if it is missing:
#   - protoc (apt: protobuf-compiler), needed by the networking crates' build scripts;
#   - OpenSSL headers and pkg-config (apt: libssl-dev, pkg-config), for litep2p's WebRTC;
#   - a C compiler (apt: build-essential), for crates that build C code;
#   - curl (apt), used by scripts/local-net.sh to poll the nodes;
#   - Node.js and npm (apt: nodejs, npm), for the JavaScript interoperability tests;
#   - the Rust toolchain of rust-toolchain.toml with its wasm32 target and rust-src.
# Safe to run again: it only installs what is absent. Sourced by the other scripts.
set -euo pipefail

torus_setup() {
    local missing=()
    command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
    command -v cc >/dev/null 2>&1 || missing+=(build-essential)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
    if [ "${#missing[@]}" -gt 0 ]; then
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "setup: installing ${missing[*]} with apt-get" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if ! command -v rustup >/dev/null 2>&1; then
        echo "setup: rustup is required (https://rustup.rs); it installs the pinned toolchain" >&2
        return 1
    fi
    # Installs the channel, components and targets named in rust-toolchain.toml.
    (cd "$(dirname "${BASH_SOURCE[0]}")/.." && rustup toolchain install >/dev/null 2>&1 || rustup show active-toolchain >/dev/null)
    # One shared target directory outside the clone, so every checkout reuses one build.
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/torus-target}"
}

torus_setup
