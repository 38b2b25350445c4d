#!/usr/bin/env bash
# Scheduling (issue 14): BookSlot of stellenwerk-scheduling (fake clock) under contention —
# many clients, 20 slots per round, the invariant checked in PostgreSQL after each round —
# and uncontended against the same transaction issued directly by libpqxx on a copy of the
# data (schema scheduling_baseline), alternated in rounds.
# Flags: --clients, --attempts, --contention-rounds, --rounds, --concurrency, --days.
bench_targets() { echo stellenwerk-scheduling scheduling_bench; }
bench_run() {
  local port=${STW_BENCH_SCHEDULING_PORT:-59053} f args=()
  for f in "$@"; do
    case $f in
      --clients=* | --attempts=* | --contention-rounds=* | --rounds=* | --concurrency=* | --days=*)
        args+=("$f") ;;
    esac
  done
  stw_bench_service scheduling "$port" STELLENWERK_FAKE_CLOCK=1
  "$STW_BUILD_DIR/bench/scheduling_bench" "--scheduling=127.0.0.1:$port" \
    "--pg=postgresql://stellenwerk@127.0.0.1:$STW_PG_PORT/stellenwerk" "${args[@]}"
}
