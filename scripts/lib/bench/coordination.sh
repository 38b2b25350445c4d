#!/usr/bin/env bash
# Coordination (issue 6): burst capacity of TWO replicas of stellenwerk-coordination against a
# baseline (the same SQL from the bench, on a copy of the schema), alternated in rounds; then
# 100,000 open objection windows falling due within one minute are cleared by the replicas
# (real clock) within 5 s after due, each exactly once. Setup seeds notices and timers by SQL;
# the clearing is the services' own work (or the baseline's).
# Flags: --notices, --spread (s), --lead (s), --target (s), --poll-ms, --rounds, --burst,
# --skip-minute.
bench_targets() { echo stellenwerk-coordination coordination_bench; }
bench_run() {
  local port_a=${STW_BENCH_COORD_PORT_A:-59055} port_b=${STW_BENCH_COORD_PORT_B:-59056} f args=()
  # scripts/bench's own --seconds/--concurrency mean nothing here.
  for f in "$@"; do
    case $f in
      --notices=* | --spread=* | --lead=* | --target=* | --poll-ms=* | --rounds=* | --burst=* | --skip-minute)
        args+=("$f") ;;
    esac
  done
  # PGAPPNAME tells the bench which replica wrote each clearing transaction.
  stw_bench_service coordination "$port_a" PGAPPNAME=coord-a
  stw_bench_service coordination "$port_b" PGAPPNAME=coord-b
  "$STW_BUILD_DIR/bench/coordination_bench" \
    "--pg=postgresql://stellenwerk@127.0.0.1:$STW_PG_PORT/stellenwerk" "${args[@]}"
}
