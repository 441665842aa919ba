#!/usr/bin/env bash
# Starts a local Torus network: N validators (default 4: Alice, Bob, Charlie, Dave) of the
# `local` chain on 127.0.0.1, each with its own ports, temporary base path and log file.
# Waits until blocks are finalized, prints the endpoints, and stops every node on Ctrl-C.
#
#   scripts/local-net.sh [start] [-n N] [--detach]   build torus-node and start the network
#   scripts/local-net.sh --dev [--detach]            one validator (Alice) on the `dev` chain
#   scripts/local-net.sh stop                        stop a network started with --detach
#   scripts/local-net.sh status                      best and finalized block of each node
#
# Ports: node i (0-based) uses RPC 9944+i, p2p 30333+i, Prometheus 9615+i.
# Nodes 5 and 6 (Eve, Ferdie) run with their dev keys but are not genesis validators: they
# validate only after bonding and calling `staking.validate`.
# Environment: CARGO_TARGET_DIR (default ~/.cache/torus-target), TORUS_NET_DIR (state, logs
# and base paths; default /tmp/torus-local-net), PROFILE=release for an optimised node.
set -euo pipefail
SCRIPT="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$SCRIPT")/.."

NAMES=(alice bob charlie dave eve ferdie)
STATE_DIR="${TORUS_NET_DIR:-/tmp/torus-local-net}"
PROFILE="${PROFILE:-debug}"

usage() { sed -n '2,17p' "$SCRIPT" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

rpc() { # rpc PORT METHOD [PARAMS_JSON]
    curl -sf -m 5 -H 'Content-Type: application/json' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" \
        "http://127.0.0.1:$1"
}

number_of() { # the block number of the header JSON on stdin, in decimal
    local hex
    hex=$(sed -nE 's/.*"number":"0x([0-9a-f]+)".*/\1/p')
    [ -n "$hex" ] && echo $((16#$hex))
}

finalized_number() { # finalized_number PORT
    local hash
    hash=$(rpc "$1" chain_getFinalizedHead | sed -nE 's/.*"result":"([^"]+)".*/\1/p')
    [ -n "$hash" ] && rpc "$1" chain_getHeader "[\"$hash\"]" | number_of
}

best_number() { # best_number PORT
    rpc "$1" chain_getHeader | number_of
}

stop_network() {
    [ -f "$STATE_DIR/pids" ] || { echo "no network is running (no $STATE_DIR/pids)"; return 0; }
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$STATE_DIR/pids"
    sleep 1
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$STATE_DIR/pids"
    rm -f "$STATE_DIR/pids"
    echo "stopped; logs kept in $STATE_DIR/logs"
}

status() {
    [ -f "$STATE_DIR/ports" ] || { echo "no network state in $STATE_DIR"; return 1; }
    while read -r name port; do
        printf '%-8s http://127.0.0.1:%s  best #%s  finalized #%s\n' "$name" "$port" \
            "$(best_number "$port" || echo '?')" "$(finalized_number "$port" || echo '?')"
    done <"$STATE_DIR/ports"
}

start_network() {
    local count=4 detach=0 chain=local
    while [ $# -gt 0 ]; do
        case "$1" in
            -n) count="$2"; shift 2 ;;
            --dev) chain=dev; count=1; shift ;;
            --detach | -d) detach=1; shift ;;
            -h | --help) usage ;;
            *) echo "unknown argument: $1" >&2; usage 2 ;;
        esac
    done
    if ! [[ "$count" =~ ^[1-6]$ ]]; then
        echo "-n must be 1 to 6 (nodes run with the dev keys of ${NAMES[*]})" >&2
        exit 2
    fi
    if [ -f "$STATE_DIR/pids" ]; then
        echo "a network seems to be running ($STATE_DIR/pids); run 'scripts/local-net.sh stop' first" >&2
        exit 1
    fi

    source scripts/setup.sh
    local build_flags=()
    [ "$PROFILE" = release ] && build_flags+=(--release)
    echo "building torus-node ($PROFILE) in $CARGO_TARGET_DIR ..."
    # The whole workspace, so the node shares its compiled crates with scripts/test.sh.
    cargo build --workspace --bins --locked "${build_flags[@]}"
    local node="$CARGO_TARGET_DIR/$PROFILE/torus-node"

    rm -rf "$STATE_DIR"
    mkdir -p "$STATE_DIR/logs" "$STATE_DIR/base"
    : >"$STATE_DIR/pids"
    : >"$STATE_DIR/ports"

    # Alice is every other node's bootnode; her fixed node key (1) gives a known peer id.
    printf '%064x' 1 >"$STATE_DIR/alice-node-key"
    local alice_peer
    alice_peer=$("$node" key inspect-node-key --file "$STATE_DIR/alice-node-key")

    local i name
    for ((i = 0; i < count; i++)); do
        name=${NAMES[$i]}
        local args=(
            --chain "$chain" --"$name" --validator
            --base-path "$STATE_DIR/base/$name"
            --rpc-port $((9944 + i)) --prometheus-port $((9615 + i))
            --listen-addr "/ip4/127.0.0.1/tcp/$((30333 + i))"
            --rpc-cors all --no-mdns --no-telemetry --allow-private-ip
        )
        # A validator needs a persistent network key; node i gets key i+1.
        printf '%064x' $((i + 1)) >"$STATE_DIR/base/$name-node-key"
        args+=(--node-key-file "$STATE_DIR/base/$name-node-key")
        [ "$i" -eq 0 ] || args+=(--bootnodes "/ip4/127.0.0.1/tcp/30333/p2p/$alice_peer")
        "$node" "${args[@]}" >"$STATE_DIR/logs/$name.log" 2>&1 &
        echo $! >>"$STATE_DIR/pids"
        echo "$name $((9944 + i))" >>"$STATE_DIR/ports"
    done

    trap 'echo; stop_network; exit 0' INT TERM
    echo "started $count node(s) of the '$chain' chain; waiting for finalized blocks (logs: $STATE_DIR/logs) ..."
    local deadline=$((SECONDS + 300)) finalized=0
    while [ "$SECONDS" -lt "$deadline" ]; do
        finalized=$(finalized_number 9944 2>/dev/null || echo 0)
        [ "${finalized:-0}" -ge 1 ] && break
        while read -r pid; do
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "a node exited; see $STATE_DIR/logs" >&2
                stop_network
                exit 1
            fi
        done <"$STATE_DIR/pids"
        sleep 2
    done
    if [ "${finalized:-0}" -lt 1 ]; then
        echo "no block was finalized within 5 minutes; see $STATE_DIR/logs" >&2
        stop_network
        exit 1
    fi

    echo
    echo "Torus local network is finalizing blocks. RPC endpoints (HTTP and WebSocket):"
    for ((i = 0; i < count; i++)); do
        printf '  %-8s http://127.0.0.1:%s  ws://127.0.0.1:%s  log %s\n' "${NAMES[$i]}" \
            $((9944 + i)) $((9944 + i)) "$STATE_DIR/logs/${NAMES[$i]}.log"
    done
    echo "polkadot-js apps: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:9944"
    if [ "$detach" -eq 1 ]; then
        trap - INT TERM
        echo "running in the background; stop with: scripts/local-net.sh stop"
        return 0
    fi
    echo "Ctrl-C stops the network."
    while true; do sleep 3600 & wait $!; done
}

case "${1:-start}" in
    start) shift || true; start_network "$@" ;;
    stop) stop_network ;;
    status) status ;;
    -h | --help | help) usage ;;
    -*) start_network "$@" ;;
    *) echo "unknown command: $1" >&2; usage 2 ;;
esac
