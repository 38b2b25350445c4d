#!/usr/bin/env bash
# Notifications (issue 13): the service in process on a schema of its own against the bench
# stack's SMTP sink (STARTTLS + AUTH): a burst of acknowledgments until every mail is
# accepted, alternated with a bare libcurl sender pushing the same number of pre-rendered
# messages over the same number of connections; then event-to-SMTP-accepted latency at a
# paced 100 events/s. Flags: --rounds, --burst, --rate, --latency-seconds, --senders.
bench_targets() { echo notifications_bench; }
bench_run() {
  local f args=()
  for f in "$@"; do
    case $f in
      --rounds=* | --burst=* | --rate=* | --latency-seconds=* | --senders=*) args+=("$f") ;;
    esac
  done
  # The service runs inside the bench process: its peak RSS (GNU time's %M, when installed)
  # bounds the service's from above (it includes the baseline sender).
  local rss=()
  [[ -x /usr/bin/time ]] && rss=(/usr/bin/time -f "RSS notifications_bench (service in process, with the baseline): peak %M KiB")
  "${rss[@]}" "$STW_BUILD_DIR/bench/notifications_bench" \
    "--pg=postgresql://stellenwerk@127.0.0.1:$STW_PG_PORT/stellenwerk" \
    "--amqp=amqp://guest:guest@127.0.0.1:$STW_RMQ_PORT/" \
    "--smtp-port=$STW_SMTP_PORT" "${args[@]}"
}
