#!/usr/bin/env bash
# scripts/lib/services.sh — the Stellenwerk processes scripts/up starts, with their ports.
# Sourced after scripts/lib/infra.sh. Each port can be overridden from the environment:
# STW_<NAME>_PORT (gRPC; gateway: HTTP) and STW_<NAME>_METRICS_PORT, e.g. STW_POSTINGS_PORT.

STW_BUILD_DIR="${STW_BUILD_DIR:-$STW_ROOT/build}"

# name, default gRPC port, default metrics port (CONTRACT.md "Running it").
STW_SERVICE_TABLE=(
  "postings 50051 9101"
  "applications 50052 9102"
  "scheduling 50053 9103"
  "notifications 50054 9104"
  "coordination 50055 9105"
)
# shellcheck disable=SC2034 # used by the scripts that source this file
STW_SERVICES=(postings applications scheduling notifications coordination)
STW_GATEWAY_DEFAULT_PORT=8080

# stw_service_port NAME — gRPC port (the gateway: its HTTP port).
stw_service_port() {
  local var="STW_${1^^}_PORT" entry name port _metrics
  if [[ -n ${!var:-} ]]; then printf '%s\n' "${!var}"; return; fi
  [[ $1 == gateway ]] && { printf '%s\n' "$STW_GATEWAY_DEFAULT_PORT"; return; }
  for entry in "${STW_SERVICE_TABLE[@]}"; do
    read -r name port _metrics <<<"$entry"
    [[ $name == "$1" ]] && { printf '%s\n' "$port"; return; }
  done
  return 1
}

# stw_service_metrics_port NAME — Prometheus port (none for the gateway: it serves /metrics).
stw_service_metrics_port() {
  local var="STW_${1^^}_METRICS_PORT" entry name _port metrics
  if [[ -n ${!var:-} ]]; then printf '%s\n' "${!var}"; return; fi
  for entry in "${STW_SERVICE_TABLE[@]}"; do
    read -r name _port metrics <<<"$entry"
    [[ $name == "$1" ]] && { printf '%s\n' "$metrics"; return; }
  done
  return 1
}

stw_service_bin() { printf '%s/services/%s/stellenwerk-%s\n' "$STW_BUILD_DIR" "$1" "$1"; }
stw_service_pidfile() { printf '%s/pids/%s.pid\n' "$STW_RUN_DIR" "$1"; }
stw_service_log() { printf '%s/%s.log\n' "$STW_LOG_DIR" "$1"; }
# What /proc/PID/comm shows for a service (guards against signalling a recycled PID).
stw_service_comm() { printf 'stellenwerk-%s\n' "$1"; }

stw_service_running() { stw_pid_alive "$(stw_service_pidfile "$1")" "$(stw_service_comm "$1")"; }

# stw_service_health NAME — prints SERVING / NOT_SERVING / DOWN / ...; status 0 when healthy.
stw_service_health() {
  local port
  port=$(stw_service_port "$1")
  if [[ $1 == gateway ]]; then
    # HTTP GET /healthz, bypassing any http_proxy of the environment.
    "$STW_PY" - "http://127.0.0.1:$port/healthz" <<'PY'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    ok = opener.open(sys.argv[1], timeout=2).status == 200
except Exception as e:  # connection refused, HTTP error, timeout
    print("DOWN" if isinstance(e, OSError) and not hasattr(e, "code") else f"HTTP {getattr(e, 'code', '?')}")
    sys.exit(1)
print("SERVING" if ok else "NOT_SERVING")
sys.exit(0 if ok else 1)
PY
  else
    "$STW_PY" "$STW_ROOT/tests/tools/grpc_health.py" "127.0.0.1:$port"
  fi
}
