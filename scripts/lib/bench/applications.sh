#!/usr/bin/env bash
# Applications (issue 5): SubmitApplication (one 2 KB PDF, durable with its outbox row) vs a
# libpqxx baseline issuing the same statements at the same concurrency, and 1,000
# concurrent submissions across a RabbitMQ restart (every one stored, every event delivered).
# Flags: --seconds (per side per round, default 5), --rounds (default 5), --concurrency,
# --durability=N (0 skips), --skip-throughput. Rounds alternate baseline and service.
# APPLICATIONS_BENCH_PORT overrides the service's gRPC port (default 59052).
bench_targets() { echo stellenwerk-applications applications_bench; }
bench_run() {
  local port=${APPLICATIONS_BENCH_PORT:-59052} concurrency=16 arg
  for arg in "$@"; do
    [[ $arg == --concurrency=* ]] && concurrency=${arg#--concurrency=}
  done
  # The service gets as many database connections as the baseline (one per caller).
  stw_bench_service applications "$port" STELLENWERK_PG_POOL_SIZE="$concurrency" \
    STELLENWERK_WORKERS="$((concurrency > 16 ? concurrency : 16))"
  "$STW_BUILD_DIR/bench/applications_bench" --applications="127.0.0.1:$port" \
    --pg-uri="postgresql://stellenwerk@127.0.0.1:$STW_PG_PORT/stellenwerk" \
    --amqp-uri="amqp://guest:guest@127.0.0.1:$STW_RMQ_PORT/" \
    --stop-cmd="'$STW_ROOT/scripts/lib/infra.sh' stop-rabbitmq >>'$STW_LOG_DIR/bench-rabbitmq-restart.log' 2>&1" \
    --start-cmd="'$STW_ROOT/scripts/lib/infra.sh' start-rabbitmq >>'$STW_LOG_DIR/bench-rabbitmq-restart.log' 2>&1" \
    "$@"
}
