#!/usr/bin/env bash
# Postings (issue 4): GetPosting vs a bare echo server, SearchPostings cold/warm, RSS.
# Flags: --seconds, --concurrency, --corpus.
bench_targets() { echo stellenwerk-postings bench_echo_server postings_bench; }
bench_run() {
  stw_bench_service postings 59051
  local postings_pid=$BENCH_PID
  "$STW_BUILD_DIR/bench/bench_echo_server" 59099 </dev/null >/dev/null &
  pids+=($!)
  sleep 0.3
  "$STW_BUILD_DIR/bench/postings_bench" --postings=127.0.0.1:59051 --echo=127.0.0.1:59099 \
    --postings-pid="$postings_pid" "$@"
}
