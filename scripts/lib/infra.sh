#!/usr/bin/env bash
# scripts/lib/infra.sh — Stellenwerk's local infrastructure as plain processes (no systemd, no
# containers): PostgreSQL 15, RabbitMQ 3.10, Redis 7 and an SMTP sink, all on loopback.
# Recipes: shared/design/LOCAL-INFRA.md.
#
# Two ways to use it:
#   source scripts/lib/infra.sh            # stw_* functions for scripts/{up,down,status,test,bench}
#   scripts/lib/infra.sh COMMAND [ARGS]    # e.g. tests stop and start RabbitMQ for fault tests
#
# Commands: install-deps | start-all | stop-all | status | env | wipe
#           start-postgres | stop-postgres | start-rabbitmq | stop-rabbitmq
#           start-redis | stop-redis | start-smtp | stop-smtp | wait-port HOST PORT TIMEOUT
#
# Every port and directory comes from STW_* variables (defaults: the scripts/up dev stack), so
# the dev, test and bench stacks live side by side. Starting is idempotent (a running component
# is left alone). Stopping uses only a PID this file recorded or the component's own control
# tool for *its* data dir / node name (pg_ctl -D, rabbitmqctl -n) — never a process name — and
# is a no-op when the component is already down. A port held by someone else's process is
# reported as an error, never "reused".
#
# Sourcing leaves the caller's shell options alone (all our scripts run with
# `set -euo pipefail`; an interactive shell that sources this must not exit on an error); run as
# a command, it sets them itself. The functions check their own errors either way.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
fi

# --- configuration (environment, with the dev stack's defaults) ------------------------------
# The checkout this file belongs to (always derived from its location, never from the
# environment, so a variable leaking from another checkout cannot mix two trees).
STW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STW_RUN_DIR="${STW_RUN_DIR:-$STW_ROOT/.run}"
STW_PG_PORT="${STW_PG_PORT:-55432}"
STW_RMQ_PORT="${STW_RMQ_PORT:-55672}"
STW_RMQ_DIST_PORT="${STW_RMQ_DIST_PORT:-55673}"
STW_EPMD_PORT="${STW_EPMD_PORT:-55674}"
STW_RMQ_NODE="${STW_RMQ_NODE:-stw@localhost}"
STW_REDIS_PORT="${STW_REDIS_PORT:-56379}"
STW_SMTP_PORT="${STW_SMTP_PORT:-2525}"
# Exported so that child processes (tests calling this file, scripts/seed) see the same stack.
export STW_RUN_DIR STW_PG_PORT STW_RMQ_PORT STW_RMQ_DIST_PORT STW_EPMD_PORT \
  STW_RMQ_NODE STW_REDIS_PORT STW_SMTP_PORT

# Debian's interpreter: python3-grpcio / python3-grpc-tools live there, not in a pyenv python
# that may come first on PATH.
STW_PY=/usr/bin/python3
STW_PG_BIN=/usr/lib/postgresql/15/bin
STW_LOG_DIR="$STW_RUN_DIR/logs"

STW_PACKAGES=(
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler librabbitmq-dev
  libhiredis-dev libspdlog-dev libpqxx-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libbenchmark-dev prometheus-cpp-dev libcurl4-openssl-dev libssl-dev libical-dev libboost1.81-dev
  postgresql redis-server rabbitmq-server
  cmake g++ make ninja-build pkg-config ccache tzdata clang-format-14
  python3 python3-grpcio python3-grpc-tools python3-aiosmtpd procps iproute2
  python3-yaml python3-icalendar chromium
)

# --- small helpers ----------------------------------------------------------------------------
stw_log() { printf '[infra] %s\n' "$*" >&2; }

# stw_port_open HOST PORT — true when something accepts TCP connections there.
stw_port_open() {
  # The timeout only matters for non-loopback hosts (a lost SYN would otherwise hang).
  # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# stw_wait_port HOST PORT TIMEOUT_SECONDS [PID] — polls until the port accepts connections;
# gives up early when PID (the process expected to open it) has died.
stw_wait_port() {
  local host=$1 port=$2 secs=${3:-30} pid=${4:-}
  local deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    stw_port_open "$host" "$port" && return 0
    if [[ -n $pid ]] && ! stw_pid_running "$pid"; then return 1; fi
    sleep 0.1
  done
  stw_port_open "$host" "$port"
}

# stw_pid_running PID — alive and not a zombie (a child we have not reaped yet still answers
# kill -0).
stw_pid_running() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [[ $state != Z ]]
}

# stw_pid_of PIDFILE — the PID recorded there (empty when none).
stw_pid_of() {
  local pid=""
  [[ -s $1 ]] && pid=$(tr -dc '0-9' <"$1")
  printf '%s' "$pid"
}

# stw_pid_alive PIDFILE [COMM] — the recorded process is running (and, when COMM is given, is
# still that program: guards against a recycled PID).
stw_pid_alive() {
  local pid comm=${2:-}
  pid=$(stw_pid_of "$1")
  [[ -n $pid ]] && stw_pid_running "$pid" || return 1
  [[ -z $comm || "$(cat "/proc/$pid/comm" 2>/dev/null)" == "${comm:0:15}" ]]
}

# stw_kill_pidfile PIDFILE COMM GRACE_SECONDS — SIGTERM the recorded process, wait up to GRACE
# seconds, then SIGKILL; removes the pid file. Tolerates an already-stopped process.
stw_kill_pidfile() {
  local file=$1 comm=$2 grace=${3:-15} pid deadline
  if ! stw_pid_alive "$file" "$comm"; then
    rm -f "$file"
    return 0
  fi
  pid=$(stw_pid_of "$file")
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + grace))
  while stw_pid_running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if stw_pid_running "$pid"; then
    stw_log "$comm (pid $pid) ignored SIGTERM for ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while stw_pid_running "$pid"; do sleep 0.1; done
  fi
  rm -f "$file"
}

# stw_require_free_port PORT WHAT — fails with a clear message when another process (not one
# of ours, which the caller has already checked) listens on the port.
stw_require_free_port() {
  if stw_port_open 127.0.0.1 "$1"; then
    stw_log "cannot start $2: port $1 is already taken by another process:"
    ss -Hltnp "sport = :$1" 2>/dev/null | sed 's/^/[infra]   /' >&2 || true
    return 1
  fi
}

# stw_base_dir USER — where a server that runs as USER (postgres, rabbitmq) keeps its data: the
# run dir when USER can reach it, else a directory under /var/tmp (a checkout below a 0700
# home directory).
stw_base_dir() {
  mkdir -p "$STW_RUN_DIR"
  if runuser -u "$1" -- test -x "$STW_RUN_DIR" 2>/dev/null; then
    printf '%s\n' "$STW_RUN_DIR"
  else
    printf '/var/tmp/stellenwerk-%s\n' "$(printf '%s' "$STW_RUN_DIR" | md5sum | cut -c1-12)"
  fi
}

# stw_tail_log FILE [LINES] — the end of a log, indented, on stderr.
stw_tail_log() {
  if [[ -f $1 ]]; then tail -n "${2:-20}" "$1" | sed 's/^/[infra]   /' >&2; fi
}

# --- packages ---------------------------------------------------------------------------------
stw_install_deps() {
  local missing=() pkg packages=("${STW_PACKAGES[@]}")
  # kubectl renders deploy/ (scripts/lib/validate_deploy.py): Debian's kubernetes-client,
  # unless a kubectl is there already (another package may own /usr/bin/kubectl, and
  # installing over it would fail).
  command -v kubectl >/dev/null || packages+=(kubernetes-client)
  # node and npm drive the browser test (tests/browser): Debian's, unless a node is there.
  command -v npm >/dev/null || packages+=(nodejs npm)
  for pkg in "${packages[@]}"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  if ((EUID != 0)); then
    stw_log "missing Debian packages (run as root to install): ${missing[*]}"
    return 1
  fi
  stw_log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  mkdir -p "$STW_LOG_DIR"
  local log="$STW_LOG_DIR/apt.log" policy=/usr/sbin/policy-rc.d made_policy="" rc=0
  # The server packages would start system-wide daemons (5432, 5672, 6379) from their
  # maintainer scripts where an init system answers; we run our own, so forbid that for the
  # duration of the install (the usual policy-rc.d "exit 101"), unless a policy exists already.
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, from stellenwerk scripts/lib/infra.sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  } >>"$log" 2>&1 || rc=$?
  [[ -n $made_policy ]] && rm -f "$policy"
  if ((rc != 0)); then
    stw_log "apt-get failed (exit $rc); last lines of $log:"
    stw_tail_log "$log" 30
    return 1
  fi
  stw_log "packages installed"
}

# --- PostgreSQL 15 (must not run as root: runs as user postgres) ------------------------------
stw_pg_data() { printf '%s/pg\n' "$(stw_base_dir postgres)"; }

stw_pg_running() {
  local data
  data=$(stw_pg_data)
  [[ -f $data/PG_VERSION ]] &&
    runuser -u postgres -- "$STW_PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

stw_pg_psql() {
  PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STW_PG_PORT" \
    -U stellenwerk "$@"
}

stw_start_postgres() {
  local data sock log="$STW_LOG_DIR/postgres.log"
  mkdir -p "$STW_LOG_DIR"
  data=$(stw_pg_data)
  sock="$(dirname "$data")/pgsock"
  if stw_pg_running; then
    stw_log "postgres already running on 127.0.0.1:$STW_PG_PORT"
    return 0
  fi
  stw_require_free_port "$STW_PG_PORT" postgres || return 1
  if [[ ! -f $data/PG_VERSION ]]; then
    # initdb once; the directory is created by us (so its parent needs no postgres rights).
    mkdir -p "$data"
    chown postgres:postgres "$data"
    chmod 700 "$data"
    if ! runuser -u postgres -- "$STW_PG_BIN/initdb" -D "$data" -U stellenwerk --auth=trust \
      -E UTF8 --locale=C.UTF-8 </dev/null >>"$log" 2>&1; then
      stw_log "initdb failed; see $log"
      stw_tail_log "$log"
      return 1
    fi
    # fsync and synchronous_commit stay at their (safe) defaults.
    cat >>"$data/postgresql.conf" <<'CONF'

# --- stellenwerk scripts/lib/infra.sh ---
max_connections = 300
shared_buffers = 256MB
listen_addresses = '127.0.0.1'
CONF
  fi
  mkdir -p "$sock"
  chown postgres:postgres "$sock"
  # No -l: the server inherits this redirect (opened by root), so its log can live in the
  # run dir's logs/ even though postgres could not create a file there.
  if ! runuser -u postgres -- "$STW_PG_BIN/pg_ctl" -D "$data" -w -t 60 \
    -o "-p $STW_PG_PORT -k $sock -c listen_addresses=127.0.0.1" start </dev/null >>"$log" 2>&1; then
    stw_log "postgres did not start; see $log"
    stw_tail_log "$log"
    return 1
  fi
  if [[ "$(stw_pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'stellenwerk'")" != 1 ]]; then
    stw_pg_psql -d postgres -c 'CREATE DATABASE stellenwerk' || return 1
  fi
  stw_log "postgres up on 127.0.0.1:$STW_PG_PORT (data $data)"
}

stw_stop_postgres() {
  local data
  data=$(stw_pg_data)
  if ! stw_pg_running; then
    return 0
  fi
  runuser -u postgres -- "$STW_PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop \
    </dev/null >>"$STW_LOG_DIR/postgres.log" 2>&1 || {
    stw_log "pg_ctl stop failed; see $STW_LOG_DIR/postgres.log"
    return 1
  }
  stw_log "postgres stopped"
}

# --- RabbitMQ 3.10 (rabbitmq-server switches to the rabbitmq user) ----------------------------
stw_rmq_base() { printf '%s/rmq\n' "$(stw_base_dir rabbitmq)"; }

# Runs a RabbitMQ tool ("$@") with this stack's node name, ports and directories. Debian's
# wrapper runs it via `su rabbitmq`, which keeps these variables (it resets HOME, so the Erlang
# cookie is /var/lib/rabbitmq/.erlang.cookie for server and CLI alike).
stw_rmq_env() {
  local base
  base=$(stw_rmq_base)
  env RABBITMQ_NODE_PORT="$STW_RMQ_PORT" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODENAME="$STW_RMQ_NODE" RABBITMQ_DIST_PORT="$STW_RMQ_DIST_PORT" \
    ERL_EPMD_PORT="$STW_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$base/log" \
    RABBITMQ_PID_FILE="$base/pid" RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    HOME="$base" "$@"
}

stw_rmq_running() { stw_pid_alive "$(stw_rmq_base)/pid" beam.smp; }

# Launches the node without waiting for it (start-all overlaps its ~5 s boot with the rest).
stw_launch_rabbitmq() {
  local base log="$STW_LOG_DIR/rabbitmq.log"
  mkdir -p "$STW_LOG_DIR"
  base=$(stw_rmq_base)
  if stw_rmq_running; then
    stw_log "rabbitmq already running on 127.0.0.1:$STW_RMQ_PORT (node $STW_RMQ_NODE)"
    return 0
  fi
  stw_require_free_port "$STW_RMQ_PORT" rabbitmq || return 1
  stw_require_free_port "$STW_RMQ_DIST_PORT" "rabbitmq (distribution port)" || return 1
  mkdir -p "$base/mnesia" "$base/log"
  # The node's own logs stay beside its data (rabbitmq must own them); link them into logs/.
  ln -sfn "$base/log" "$STW_LOG_DIR/rabbitmq-node"
  [[ -f $base/enabled_plugins ]] || printf '[].\n' >"$base/enabled_plugins"
  rm -f "$base/pid"
  # rabbitmq-server switches to the rabbitmq user and dies without a word when it cannot
  # write its directories.
  chown -R rabbitmq:rabbitmq "$base"
  if ! stw_rmq_env rabbitmq-server -detached </dev/null >>"$log" 2>&1; then
    stw_log "rabbitmq-server -detached failed; see $log and $base/log"
    return 1
  fi
}

stw_await_rabbitmq() {
  local base
  base=$(stw_rmq_base)
  if ! stw_wait_port 127.0.0.1 "$STW_RMQ_PORT" 60; then
    stw_log "rabbitmq did not open 127.0.0.1:$STW_RMQ_PORT within 60 s; see $base/log"
    stw_tail_log "$base/log/$STW_RMQ_NODE.log"
    return 1
  fi
  stw_log "rabbitmq up on 127.0.0.1:$STW_RMQ_PORT (node $STW_RMQ_NODE, pid $(stw_pid_of "$base/pid"))"
}

stw_start_rabbitmq() {
  stw_rmq_running && {
    stw_log "rabbitmq already running on 127.0.0.1:$STW_RMQ_PORT (node $STW_RMQ_NODE)"
    return 0
  }
  stw_launch_rabbitmq && stw_await_rabbitmq
}

stw_stop_rabbitmq() {
  local base pidfile pid="" deadline
  base=$(stw_rmq_base)
  pidfile="$base/pid"
  stw_pid_alive "$pidfile" beam.smp && pid=$(stw_pid_of "$pidfile")
  # Ask our node (by name, through our epmd) to stop when it runs or may still be booting.
  if [[ -n $pid ]] || stw_port_open 127.0.0.1 "$STW_EPMD_PORT"; then
    stw_rmq_env rabbitmqctl -q -n "$STW_RMQ_NODE" stop </dev/null \
      >>"$STW_LOG_DIR/rabbitmq.log" 2>&1 || true
  fi
  if [[ -n $pid ]]; then
    deadline=$((SECONDS + 30))
    while stw_pid_running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if stw_pid_running "$pid"; then
      stw_log "rabbitmq (pid $pid) still running 30 s after rabbitmqctl stop; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      while stw_pid_running "$pid"; do sleep 0.1; done
    fi
  fi
  rm -f "$pidfile"
  # epmd outlives the node; end the one on our port only (it refuses while a node is still
  # registered with it).
  if stw_port_open 127.0.0.1 "$STW_EPMD_PORT"; then
    ERL_EPMD_PORT="$STW_EPMD_PORT" epmd -kill >/dev/null 2>&1 || true
  fi
  [[ -n $pid ]] && stw_log "rabbitmq stopped"
  return 0
}

# --- Redis 7 ----------------------------------------------------------------------------------
stw_start_redis() {
  local pidfile="$STW_RUN_DIR/redis.pid" log="$STW_LOG_DIR/redis.log"
  mkdir -p "$STW_LOG_DIR"
  if stw_pid_alive "$pidfile" redis-server; then
    stw_log "redis already running on 127.0.0.1:$STW_REDIS_PORT"
    return 0
  fi
  stw_require_free_port "$STW_REDIS_PORT" redis || return 1
  rm -f "$pidfile"
  redis-server --port "$STW_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$pidfile" --logfile "$log" --dir "$STW_RUN_DIR" </dev/null
  if ! stw_wait_port 127.0.0.1 "$STW_REDIS_PORT" 10 || ! stw_pid_alive "$pidfile" redis-server; then
    stw_log "redis did not start; see $log"
    stw_tail_log "$log"
    return 1
  fi
  stw_log "redis up on 127.0.0.1:$STW_REDIS_PORT"
}

stw_stop_redis() {
  local pidfile="$STW_RUN_DIR/redis.pid"
  stw_pid_alive "$pidfile" redis-server || { rm -f "$pidfile"; return 0; }
  stw_kill_pidfile "$pidfile" redis-server 10
  stw_log "redis stopped"
}

# --- SMTP sink (tests/tools/smtp_sink.py) -----------------------------------------------------
stw_mail_dir() { printf '%s/mail\n' "$STW_RUN_DIR"; }

stw_start_smtp() {
  local pidfile="$STW_RUN_DIR/smtp.pid" log="$STW_LOG_DIR/smtp.log" pid
  mkdir -p "$STW_LOG_DIR" "$(stw_mail_dir)"
  if stw_pid_alive "$pidfile" python3; then
    stw_log "smtp sink already running on 127.0.0.1:$STW_SMTP_PORT"
    return 0
  fi
  stw_require_free_port "$STW_SMTP_PORT" "smtp sink" || return 1
  nohup "$STW_PY" "$STW_ROOT/tests/tools/smtp_sink.py" --port "$STW_SMTP_PORT" \
    --dir "$(stw_mail_dir)" </dev/null >>"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$pidfile"
  if ! stw_wait_port 127.0.0.1 "$STW_SMTP_PORT" 10 "$pid"; then
    stw_log "smtp sink did not start; see $log"
    stw_tail_log "$log"
    return 1
  fi
  stw_log "smtp sink up on 127.0.0.1:$STW_SMTP_PORT (mail in $(stw_mail_dir))"
}

stw_stop_smtp() {
  local pidfile="$STW_RUN_DIR/smtp.pid"
  stw_pid_alive "$pidfile" python3 || { rm -f "$pidfile"; return 0; }
  stw_kill_pidfile "$pidfile" python3 5
  stw_log "smtp sink stopped"
}

# --- everything -------------------------------------------------------------------------------
stw_start_all() {
  # RabbitMQ boots slowest: launch it first, start the others meanwhile, then wait for it.
  stw_launch_rabbitmq || return 1
  stw_start_postgres || return 1
  stw_start_redis || return 1
  stw_start_smtp || return 1
  stw_await_rabbitmq || return 1
}

stw_stop_all() {
  local rc=0 rmq_job
  # RabbitMQ stops slowest: stop it in the background while the others go.
  stw_stop_rabbitmq &
  rmq_job=$!
  stw_stop_smtp || rc=1
  stw_stop_redis || rc=1
  stw_stop_postgres || rc=1
  wait "$rmq_job" || rc=1
  return "$rc"
}

# One line per component: name, state, address.
stw_status() {
  local name port ours
  for name in postgres rabbitmq redis smtp; do
    case $name in
      postgres) port=$STW_PG_PORT; stw_pg_running && ours=1 || ours="" ;;
      rabbitmq) port=$STW_RMQ_PORT; stw_rmq_running && ours=1 || ours="" ;;
      redis) port=$STW_REDIS_PORT; stw_pid_alive "$STW_RUN_DIR/redis.pid" redis-server && ours=1 || ours="" ;;
      smtp) port=$STW_SMTP_PORT; stw_pid_alive "$STW_RUN_DIR/smtp.pid" python3 && ours=1 || ours="" ;;
    esac
    if [[ -n $ours ]] && stw_port_open 127.0.0.1 "$port"; then
      printf '%-14s %-22s %s\n' "$name" "127.0.0.1:$port" up
    elif [[ -n $ours ]]; then
      printf '%-14s %-22s %s\n' "$name" "127.0.0.1:$port" "starting (not listening yet)"
    elif stw_port_open 127.0.0.1 "$port"; then
      printf '%-14s %-22s %s\n' "$name" "127.0.0.1:$port" "down (port taken by another process)"
    else
      printf '%-14s %-22s %s\n' "$name" "127.0.0.1:$port" down
    fi
  done
}

# Removes the data of PostgreSQL and RabbitMQ and the received mail (the test stack starts
# clean). Refuses while any of them runs.
stw_wipe() {
  if stw_pg_running || stw_rmq_running || stw_pid_alive "$STW_RUN_DIR/smtp.pid" python3; then
    stw_log "wipe: stop the stack first (infra.sh stop-all)"
    return 1
  fi
  rm -rf "$(stw_pg_data)" "$(stw_rmq_base)" "$(stw_mail_dir)"
}

# The shared JWT secret of this stack: 48 random bytes as hex, generated once.
stw_jwt_secret() {
  local dir="$STW_RUN_DIR/secrets" file="$STW_RUN_DIR/secrets/jwt-hs256"
  if [[ ! -s $file ]]; then
    mkdir -p "$dir"
    chmod 700 "$dir"
    (umask 077 && od -An -tx1 -N48 /dev/urandom | tr -d ' \n' >"$file.tmp" && mv "$file.tmp" "$file")
  fi
  cat "$file"
}

# The environment every service process needs, one NAME=value per line.
stw_env_for_services() {
  local secret
  secret=$(stw_jwt_secret)
  printf '%s\n' \
    "STELLENWERK_PG_URI=postgresql://stellenwerk@127.0.0.1:$STW_PG_PORT/stellenwerk" \
    "STELLENWERK_AMQP_URI=amqp://guest:guest@127.0.0.1:$STW_RMQ_PORT/" \
    "STELLENWERK_REDIS_ADDR=127.0.0.1:$STW_REDIS_PORT" \
    "STELLENWERK_SMTP_URL=smtp://127.0.0.1:$STW_SMTP_PORT" \
    "STELLENWERK_SMTP_TLS=starttls" "STELLENWERK_SMTP_CA_FILE=$STW_RUN_DIR/smtp-sink.crt" \
    "STELLENWERK_JWT_HS256_SECRET=$secret"
}

stw_usage() {
  cat >&2 <<'USAGE'
usage: scripts/lib/infra.sh COMMAND
  install-deps                     apt-get install the Debian packages that are missing
  start-all | stop-all | status    all of PostgreSQL, RabbitMQ, Redis, SMTP sink
  start-postgres | stop-postgres   start-rabbitmq | stop-rabbitmq
  start-redis | stop-redis         start-smtp | stop-smtp
  env                              the NAME=value lines services need
  wipe                             delete PostgreSQL/RabbitMQ data and mail (stack stopped)
  wait-port HOST PORT TIMEOUT      wait until HOST:PORT accepts connections
  rabbitmqctl ARGS...              rabbitmqctl against this stack's node (users, vhosts)
Ports and directories: STW_RUN_DIR STW_PG_PORT STW_RMQ_PORT STW_RMQ_DIST_PORT STW_EPMD_PORT
STW_RMQ_NODE STW_REDIS_PORT STW_SMTP_PORT (defaults: the scripts/up stack).
USAGE
}

# --- command line (only when executed, not when sourced) --------------------------------------
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  cmd=${1:-}
  case $cmd in
    install-deps | start-all | stop-all | status | start-postgres | stop-postgres | \
      start-rabbitmq | stop-rabbitmq | start-redis | stop-redis | start-smtp | stop-smtp | wipe)
      "stw_${cmd//-/_}"
      ;;
    env) stw_env_for_services ;;
    wait-port)
      if (($# != 4)); then stw_usage; exit 64; fi
      stw_wait_port "$2" "$3" "$4" || { stw_log "$2:$3 not reachable within $4 s"; exit 1; }
      ;;
    rabbitmqctl)
      shift
      stw_rmq_env rabbitmqctl -q -n "$STW_RMQ_NODE" "$@" </dev/null
      ;;
    -h | --help | help) stw_usage ;;
    *) stw_usage; exit 64 ;;
  esac
fi
