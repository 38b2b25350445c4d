#!/usr/bin/env bash
# Gateway (issue 15): GET /v1/postings/{id} through the gateway (HTTP/1.1 keep-alive) alternated
# in rounds with GetPosting over gRPC directly and with a bare Beast server answering the
# gateway's exact bytes, the same number of connections on every side; a second gateway with
# the Redis rate limit on; the gateway's RSS idle and under load. Flags: --seconds (per side
# per round), --rounds, --concurrency.
bench_targets() { echo stellenwerk-postings stellenwerk-gateway gateway_bench; }
bench_run() {
  stw_bench_service postings 59151
  local gw=(env "${SERVICE_ENV[@]}" STELLENWERK_POSTINGS_ADDR=127.0.0.1:59151 STELLENWERK_BIND=127.0.0.1
    STELLENWERK_LOG_LEVEL=warn)
  # Without a rate limit (the transcoding alone) and with Redis counting every request.
  "${gw[@]}" STELLENWERK_HTTP_PORT=59180 STELLENWERK_GATEWAY_RATE_LIMIT=0 \
    "$STW_BUILD_DIR/services/gateway/stellenwerk-gateway" </dev/null >>"$STW_LOG_DIR/gateway-59180.log" 2>&1 &
  local gateway_pid=$!
  pids+=("$gateway_pid")
  "${gw[@]}" STELLENWERK_HTTP_PORT=59181 STELLENWERK_GATEWAY_RATE_LIMIT=1000000 \
    "STELLENWERK_REDIS_ADDR=127.0.0.1:$STW_REDIS_PORT" \
    "$STW_BUILD_DIR/services/gateway/stellenwerk-gateway" </dev/null >>"$STW_LOG_DIR/gateway-59181.log" 2>&1 &
  local limited_pid=$!
  pids+=("$limited_pid")
  stw_wait_port 127.0.0.1 59180 30 "$gateway_pid" || { echo "scripts/bench: gateway did not start" >&2; return 1; }
  stw_wait_port 127.0.0.1 59181 30 "$limited_pid" || { echo "scripts/bench: gateway (limited) did not start" >&2; return 1; }
  local f args=()
  for f in "$@"; do
    case $f in --seconds=* | --rounds=* | --concurrency=*) args+=("$f") ;; esac
  done
  "$STW_BUILD_DIR/bench/gateway_bench" --postings=127.0.0.1:59151 --gateway=127.0.0.1:59180 \
    --gateway-limited=127.0.0.1:59181 --gateway-pid="$gateway_pid" "${args[@]}"
}
