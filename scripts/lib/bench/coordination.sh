#!/usr/bin/env bash
# Coordination (issue 6): 100,000 open objection windows falling due within one minute are
# cleared by TWO replicas of stellenwerk-coordination (real clock) within 5 s after due, each
# exactly once. Setup seeds notices and timers by SQL; the clearing is the services' own work.
# Flags: --notices, --spread (s), --lead (s), --target (s), --poll-ms.
bench_targets() { echo stellenwerk-coordination coordination_bench; }
bench_run() {
  local port_a=${STW_BENCH_COORD_PORT_A:-59055} port_b=${STW_BENCH_COORD_PORT_B:-59056} f args=()
  # scripts/bench's own --seconds/--concurrency mean nothing here.
  for f in "$@"; do
    case $f in --notices=* | --spread=* | --lead=* | --target=* | --poll-ms=*) args+=("$f") ;; esac
  done
  # PGAPPNAME tells the bench which replica wrote each clearing transaction.
  stw_bench_service coordination "$port_a" PGAPPNAME=coord-a
  stw_bench_service coordination "$port_b" PGAPPNAME=coord-b
  "$STW_BUILD_DIR/bench/coordination_bench" \
    "--pg=postgresql://stellenwerk@127.0.0.1:$STW_PG_PORT/stellenwerk" "${args[@]}"
}
