#!/usr/bin/env bash
# The lab's Docker engine: Debian's dockerd, started only when no engine
# answers, and stopped only by the caller that started it.
#   engine.sh start   exit 0 when an engine answers; prints "started" when this
#                     call started it, "running" when one already answered
#   engine.sh stop    stops the dockerd that `start` started (nothing else)
#   engine.sh status  exit 0 when an engine answers
# dockerd runs with --iptables=false --ip-forward=false: the host's firewall
# and forwarding are left as they are; containers reach each other over the
# compose networks' bridges, which is all the lab needs.
# FLOATLB_ENGINE=NAME runs a separate engine (its own socket, roots and no
# default bridge) beside the default one: the tier's own test of this script.
set -euo pipefail

# Debian's client (20.10) speaks the engine's API version; a newer client
# elsewhere on the PATH negotiates too, but the lab names the one it installs.
DOCKER=${DOCKER:-/usr/bin/docker}
NAME=${FLOATLB_ENGINE:-}
if [ -n "$NAME" ]; then
  RUN=/run/floatlb-lab/$NAME
  export DOCKER_HOST=unix://$RUN.sock
  OPTS=(-H "$DOCKER_HOST" --data-root "/var/lib/floatlb-lab/$NAME" --exec-root "$RUN"
    --pidfile "$RUN.pid" --bridge none)
  STATE=$RUN.dockerd.pid
  PIDFILE=$RUN.pid
  CTRPID=$RUN/containerd/containerd.pid
  LOG=/var/log/floatlb-lab-$NAME.log
else
  OPTS=()
  STATE=/run/floatlb-lab/dockerd.pid
  PIDFILE=/run/docker.pid
  CTRPID=/run/docker/containerd/containerd.pid
  LOG=/var/log/floatlb-lab-dockerd.log
fi
say() { printf 'engine: %s\n' "$*" >&2; }

answers() { timeout 10 "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
is_dockerd() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = dockerd ]; }

# Stops the dockerd recorded in $STATE (ours) and the containerd it ran.
stop_ours() {
  local pid ctr
  pid=$(cat "$STATE" 2>/dev/null || true)
  ctr=$(cat "$CTRPID" 2>/dev/null || true)
  if alive "$pid" && is_dockerd "$pid"; then
    kill -TERM "$pid"
    for _ in $(seq 150); do alive "$pid" || break; sleep 0.2; done
    if alive "$pid"; then
      say "dockerd $pid did not stop in 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # A dockerd killed hard leaves its containerd behind; the next start would
  # fail on its socket.
  if alive "$ctr" && [ "$(cat "/proc/$ctr/comm" 2>/dev/null)" = containerd ] &&
    grep -qF "$(dirname "$CTRPID")" "/proc/$ctr/cmdline" 2>/dev/null; then
    kill -TERM "$ctr" 2>/dev/null || true
    for _ in $(seq 50); do alive "$ctr" || break; sleep 0.2; done
    if alive "$ctr"; then kill -KILL "$ctr" 2>/dev/null || true; fi
  fi
  rm -f "$STATE"
}

start() {
  if answers; then
    echo running
    return 0
  fi
  mkdir -p "$(dirname "$STATE")"
  # A previous run that crashed: our dockerd may still be there, wedged.
  if [ -f "$STATE" ]; then
    say "a dockerd started by an earlier run does not answer; restarting it"
    stop_ours
  fi
  local other
  other=$(cat "$PIDFILE" 2>/dev/null || true)
  if alive "$other" && is_dockerd "$other"; then
    # Someone else's engine: wait for it rather than fight over its socket.
    for _ in $(seq 60); do answers && { echo running; return 0; }; sleep 1; done
    say "dockerd $other (not started by the lab) does not answer"
    return 1
  fi
  rm -f "$PIDFILE"
  command -v dockerd >/dev/null || { say "dockerd is not installed (run lab/setup.sh)"; return 1; }
  setsid dockerd --iptables=false --ip-forward=false --ip-masq=false \
    --log-level=warn "${OPTS[@]}" </dev/null >>"$LOG" 2>&1 &
  echo $! >"$STATE"
  for _ in $(seq 120); do
    if answers; then
      echo started
      return 0
    fi
    alive "$(cat "$STATE")" || break
    sleep 0.5
  done
  say "dockerd did not answer within 60 s; the end of $LOG:"
  tail -n 20 "$LOG" >&2 || true
  stop_ours
  return 1
}

case "${1:-}" in
start) start ;;
stop) if [ -f "$STATE" ]; then stop_ours; fi ;;
status) answers ;;
*)
  echo "usage: $0 start|stop|status" >&2
  exit 2
  ;;
esac
