#!/usr/bin/env bash
# Postings (issue 4): GetPosting three ways (anonymous hot / authenticated Redis / cold
# Postgres), each alternated in rounds with a bare echo server answering as many bytes;
# SearchPostings cold/warm; RSS. Flags: --seconds (per side per round), --rounds,
# --concurrency, --corpus, --cold-rounds.
bench_targets() { echo stellenwerk-postings bench_echo_server postings_bench; }
bench_run() {
  stw_bench_service postings 59051
  local postings_pid=$BENCH_PID
  # The cold path: a second process without Redis (an empty address selects the NullCache,
  # so every authenticated read is a SELECT) and without the in-memory replica.
  stw_bench_service postings 59061 STELLENWERK_REDIS_ADDR= STELLENWERK_SEARCH_REPLICA=0
  "$STW_BUILD_DIR/bench/bench_echo_server" 59099 </dev/null >/dev/null &
  pids+=($!)
  stw_wait_port 127.0.0.1 59099 10 "$!" || { echo "scripts/bench: echo server did not start" >&2; return 1; }
  "$STW_BUILD_DIR/bench/postings_bench" --postings=127.0.0.1:59051 --postings-cold=127.0.0.1:59061 \
    --echo=127.0.0.1:59099 --postings-pid="$postings_pid" \
    --pg-uri="postgresql://stellenwerk@127.0.0.1:$STW_PG_PORT/stellenwerk" "$@"
}
