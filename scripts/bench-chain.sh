#!/usr/bin/env bash
# Measures block time and finality lag of a running network (scripts/local-net.sh) by
# sampling one node's best and finalized block once a second.
#
#   scripts/bench-chain.sh [SECONDS] [RPC_PORT]     defaults: 120 s, port 9944
set -euo pipefail
duration="${1:-120}"
port="${2:-9944}"

rpc() {
    curl -sf -m 5 -H 'Content-Type: application/json' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" \
        "http://127.0.0.1:$port"
}
number_of() {
    local hex
    hex=$(sed -nE 's/.*"number":"0x([0-9a-f]+)".*/\1/p')
    [ -n "$hex" ] && echo $((16#$hex))
}
best() { rpc chain_getHeader | number_of; }
finalized() {
    local hash
    hash=$(rpc chain_getFinalizedHead | sed -nE 's/.*"result":"([^"]+)".*/\1/p')
    rpc chain_getHeader "[\"$hash\"]" | number_of
}

start_best=$(best)
start_time=$(date +%s.%N)
samples=0 lag_sum=0 lag_max=0
end=$((SECONDS + duration))
while [ "$SECONDS" -lt "$end" ]; do
    b=$(best) f=$(finalized)
    lag=$((b - f))
    lag_sum=$((lag_sum + lag))
    [ "$lag" -gt "$lag_max" ] && lag_max=$lag
    samples=$((samples + 1))
    sleep 1
done
end_best=$(best)
end_time=$(date +%s.%N)

blocks=$((end_best - start_best))
awk -v b="$blocks" -v t0="$start_time" -v t1="$end_time" -v s="$samples" -v sum="$lag_sum" \
    -v max="$lag_max" 'BEGIN {
        elapsed = t1 - t0
        printf "sampled %d s: %d blocks, mean block time %.2f s\n", elapsed, b, (b > 0 ? elapsed / b : 0)
        printf "finality lag (best - finalized): mean %.2f blocks, max %d blocks\n", sum / s, max
    }'
