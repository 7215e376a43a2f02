# shellcheck shell=bash
# Sourced by deploy/test/base-images and deploy/test/image: a Docker engine to talk to.
# ensure_docker installs Debian's docker.io when dockerd is missing (a docker client alone is not
# enough) and, when no daemon answers, starts one in the background and stops it (by its PID) when
# the calling script exits. Log: ${TMPDIR:-/tmp}/souk-dockerd.log.

souk_started_dockerd=""

souk_stop_dockerd() {
  if [ -n "$souk_started_dockerd" ]; then
    kill "$souk_started_dockerd" 2>/dev/null || true
    wait "$souk_started_dockerd" 2>/dev/null || true
    souk_started_dockerd=""
  fi
}

ensure_docker() {
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    echo "installing docker.io (apt)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends docker.io \
      || { apt-get update && apt-get install -y --no-install-recommends docker.io; }
  fi
  docker info >/dev/null 2>&1 && return 0
  local log="${TMPDIR:-/tmp}/souk-dockerd.log"
  echo "no Docker daemon answers: starting dockerd (log: $log; stopped on exit)" >&2
  dockerd >"$log" 2>&1 &
  souk_started_dockerd=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    if ! kill -0 "$souk_started_dockerd" 2>/dev/null; then
      tail -n 20 "$log" >&2
      echo "dockerd exited" >&2
      souk_started_dockerd=""
      return 1
    fi
    sleep 0.5
  done
  echo "dockerd did not answer within 30 s (log: $log)" >&2
  return 1
}
