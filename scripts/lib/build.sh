#!/usr/bin/env bash
# scripts/lib/build.sh — configure and build the Release tree the scripts share.
# Sourced after scripts/lib/infra.sh (for STW_ROOT, STW_LOG_DIR, stw_log).

STW_BUILD_DIR="${STW_BUILD_DIR:-$STW_ROOT/build}"

# stw_build [TARGET...] — cmake -G Ninja Release into $STW_BUILD_DIR with ccache, then build
# (everything, or the given targets) with -j2. Same flags in scripts/up, test and bench, so
# they never make each other rebuild.
stw_build() {
  local log="$STW_LOG_DIR/cmake-configure.log" args=()
  mkdir -p "$STW_LOG_DIR"
  command -v ccache >/dev/null && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  stw_log "configuring $STW_BUILD_DIR (Release, Ninja; log $log)"
  if ! cmake -G Ninja -S "$STW_ROOT" -B "$STW_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "${args[@]}" \
    >"$log" 2>&1; then
    stw_log "cmake configure failed:"
    stw_tail_log "$log" 40
    return 1
  fi
  stw_log "building"
  if (($# > 0)); then
    cmake --build "$STW_BUILD_DIR" -j2 --target "$@"
  else
    cmake --build "$STW_BUILD_DIR" -j2
  fi
}
