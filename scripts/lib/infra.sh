#!/usr/bin/env bash
# Local infrastructure as plain processes (no systemd, no containers), following
# shared/design/LOCAL-INFRA.md. Sourced by scripts/{up,down,status,test} and also runnable:
#   scripts/lib/infra.sh start-all | stop-all | status | start-rabbitmq | stop-redis | ...
# Everything is parameterised by STW_* variables so the test stack never meets the dev stack.
# Stops only ever use recorded PIDs / the node's own rabbitmqctl — never names.
set -euo pipefail

STW_ROOT="${STW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
STW_RUN_DIR="${STW_RUN_DIR:-$STW_ROOT/.run}"
STW_PG_PORT="${STW_PG_PORT:-55432}"
STW_RMQ_PORT="${STW_RMQ_PORT:-55672}"
STW_RMQ_DIST_PORT="${STW_RMQ_DIST_PORT:-55673}"
STW_EPMD_PORT="${STW_EPMD_PORT:-55674}"
STW_RMQ_NODE="${STW_RMQ_NODE:-stw@localhost}"
STW_REDIS_PORT="${STW_REDIS_PORT:-56379}"
STW_SMTP_PORT="${STW_SMTP_PORT:-2525}"
PG_BIN=/usr/lib/postgresql/15/bin
# Debian's interpreter: python3-grpcio and grpc-tools live there, not in a pyenv/venv python.
STW_PY=/usr/bin/python3

stw_log() { printf '%s\n' "$*" >&2; }

# Data directory for a server that runs as its own user (postgres, rabbitmq): under the run
# dir when that user can reach it, else under /var/tmp (a checkout below a 0700 home dir).
data_dir() {
  local name=$1 user=$2
  mkdir -p "$STW_RUN_DIR"
  if runuser -u "$user" -- test -x "$STW_RUN_DIR" 2>/dev/null; then
    echo "$STW_RUN_DIR/$name"
  else
    echo "/var/tmp/stellenwerk-$(echo "$STW_RUN_DIR" | md5sum | cut -c1-12)/$name"
  fi
}

# wait_port PORT SECONDS: until something accepts on 127.0.0.1:PORT.
wait_port() {
  local port=$1 secs=${2:-30} i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_deps() {
  local pkgs=(libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
    librabbitmq-dev libhiredis-dev libspdlog-dev libpqxx-dev nlohmann-json3-dev libgtest-dev
    libgmock-dev libbenchmark-dev prometheus-cpp-dev libcurl4-openssl-dev libssl-dev postgresql
    redis-server rabbitmq-server cmake g++ make ninja-build pkg-config ccache tzdata python3
    python3-grpcio python3-grpc-tools procps iproute2)
  local missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then return 0; fi
  stw_log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian packages start their own servers where an init system exists; we run ours.
}

start_postgres() {
  local dir
  dir=$(data_dir pg postgres)
  mkdir -p "$STW_RUN_DIR/logs"
  if runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    stw_log "postgres already running on $STW_PG_PORT"
    return 0
  fi
  if [[ ! -f $dir/PG_VERSION ]]; then
    mkdir -p "$dir"
    chown postgres "$(dirname "$dir")" "$dir"
    chmod 700 "$dir"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$dir" -U stellenwerk --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$STW_RUN_DIR/logs/initdb.log"
    cat >>"$dir/postgresql.conf" <<CONF
max_connections = 300
shared_buffers = 256MB
listen_addresses = '127.0.0.1'
CONF
  fi
  local sock
  sock="$(dirname "$dir")/pgsock"
  mkdir -p "$sock"
  chown postgres "$sock"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir" -w -t 60 -l "$(dirname "$dir")/postgres.log" \
    -o "-p $STW_PG_PORT -k $sock" start >/dev/null
  psql -h 127.0.0.1 -p "$STW_PG_PORT" -U stellenwerk -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'stellenwerk'" | grep -q 1 ||
    psql -h 127.0.0.1 -p "$STW_PG_PORT" -U stellenwerk -d postgres -qc "CREATE DATABASE stellenwerk"
}

stop_postgres() {
  local dir
  dir=$(data_dir pg postgres)
  [[ -f $dir/postmaster.pid ]] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}

rmq_env() {
  local base
  base=$(data_dir rmq rabbitmq)
  env RABBITMQ_NODE_PORT="$STW_RMQ_PORT" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODENAME="$STW_RMQ_NODE" RABBITMQ_DIST_PORT="$STW_RMQ_DIST_PORT" \
    ERL_EPMD_PORT="$STW_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$base/log" \
    RABBITMQ_PID_FILE="$base/pid" RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" \
    HOME="$base" "$@"
}

start_rabbitmq() {
  if port_open "$STW_RMQ_PORT"; then
    stw_log "rabbitmq already running on $STW_RMQ_PORT"
    return 0
  fi
  local base
  base=$(data_dir rmq rabbitmq)
  mkdir -p "$base"
  [[ -f $base/enabled_plugins ]] || echo '[].' >"$base/enabled_plugins"
  # rabbitmq-server switches to the rabbitmq user and dies silently without its own dirs.
  chown -R rabbitmq:rabbitmq "$base"
  rmq_env rabbitmq-server -detached >/dev/null 2>&1
  if ! wait_port "$STW_RMQ_PORT" 90; then
    stw_log "rabbitmq did not start; see $base/log"
    return 1
  fi
}

stop_rabbitmq() {
  local base
  base=$(data_dir rmq rabbitmq)
  [[ -d $base ]] || return 0
  if port_open "$STW_RMQ_PORT" || [[ -f $base/pid ]]; then
    rmq_env rabbitmqctl -n "$STW_RMQ_NODE" stop "$base/pid" >/dev/null 2>&1 || true
  fi
  # epmd outlives the node; end the one on our port only.
  ERL_EPMD_PORT="$STW_EPMD_PORT" epmd -kill >/dev/null 2>&1 || true
  rm -f "$base/pid"
}

start_redis() {
  mkdir -p "$STW_RUN_DIR/logs"
  if pid_alive "$STW_RUN_DIR/redis.pid"; then
    stw_log "redis already running on $STW_REDIS_PORT"
    return 0
  fi
  redis-server --port "$STW_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$STW_RUN_DIR/redis.pid" --logfile "$STW_RUN_DIR/logs/redis.log"
  wait_port "$STW_REDIS_PORT" 10
}

stop_redis() {
  local pidfile="$STW_RUN_DIR/redis.pid" i
  pid_alive "$pidfile" || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do pid_alive "$pidfile" || break; sleep 0.1; done
  rm -f "$pidfile"
}

start_smtp() {
  mkdir -p "$STW_RUN_DIR/logs" "$STW_RUN_DIR/mail"
  if pid_alive "$STW_RUN_DIR/smtp.pid"; then return 0; fi
  nohup "$STW_PY" "$STW_ROOT/tests/tools/smtp_sink.py" --port "$STW_SMTP_PORT" \
    --dir "$STW_RUN_DIR/mail" >"$STW_RUN_DIR/logs/smtp.log" 2>&1 &
  echo $! >"$STW_RUN_DIR/smtp.pid"
  wait_port "$STW_SMTP_PORT" 10
}

stop_smtp() {
  pid_alive "$STW_RUN_DIR/smtp.pid" && kill "$(cat "$STW_RUN_DIR/smtp.pid")" 2>/dev/null || true
  rm -f "$STW_RUN_DIR/smtp.pid"
}

jwt_secret() {
  local f="$STW_RUN_DIR/secrets/jwt-hs256"
  if [[ ! -s $f ]]; then
    mkdir -p "$STW_RUN_DIR/secrets"
    chmod 700 "$STW_RUN_DIR/secrets"
    head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"
    chmod 600 "$f"
  fi
  cat "$f"
}

# The environment every service process gets.
stw_env_for_services() {
  echo "STELLENWERK_PG_URI=postgresql://stellenwerk@127.0.0.1:$STW_PG_PORT/stellenwerk"
  echo "STELLENWERK_AMQP_URI=amqp://guest:guest@127.0.0.1:$STW_RMQ_PORT/"
  echo "STELLENWERK_REDIS_ADDR=127.0.0.1:$STW_REDIS_PORT"
  echo "STELLENWERK_SMTP_URL=smtp://127.0.0.1:$STW_SMTP_PORT"
  echo "STELLENWERK_JWT_HS256_SECRET=$(jwt_secret)"
}

status() {
  local name port
  for name in postgres:$STW_PG_PORT rabbitmq:$STW_RMQ_PORT redis:$STW_REDIS_PORT smtp:$STW_SMTP_PORT; do
    port=${name#*:}
    if port_open "$port"; then
      printf '%-14s %-22s up\n' "${name%%:*}" "127.0.0.1:$port"
    else
      printf '%-14s %-22s down\n' "${name%%:*}" "127.0.0.1:$port"
    fi
  done
}

start_all() { start_postgres; start_redis; start_smtp; start_rabbitmq; }
stop_all() { stop_rabbitmq; stop_smtp; stop_redis; stop_postgres; }

# Removes the data of postgres, rabbitmq and the mail sink (the test stack starts clean).
wipe_data() {
  rm -rf "$(data_dir pg postgres)" "$(data_dir rmq rabbitmq)" "$STW_RUN_DIR/mail"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  cmd=${1:-}
  case "$cmd" in
    install-deps) install_deps ;;
    start-all | stop-all | status | start-postgres | stop-postgres | start-rabbitmq | \
      stop-rabbitmq | start-redis | stop-redis | start-smtp | stop-smtp)
      "${cmd//-/_}" ;;
    env) stw_env_for_services ;;
    wait-port) wait_port "$2" "${3:-30}" ;;
    *) echo "usage: $0 install-deps|start-all|stop-all|status|env|{start,stop}-{postgres,rabbitmq,redis,smtp}" >&2; exit 64 ;;
  esac
fi
