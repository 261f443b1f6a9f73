#!/usr/bin/env bash
# The Docker engine and local registry the integration tests run against (CI and by hand, as root).
#
#   scripts/ci/dockerd.sh start          # start dockerd unless one answers on the socket; start a
#                                        # registry on 127.0.0.1:5000 unless one answers there
#   scripts/ci/dockerd.sh stop           # remove what the tests left (label berth.test), then stop
#                                        # only the dockerd and registry this script started (pid files)
#   scripts/ci/dockerd.sh start-engine   # dockerd alone (the demo: needs no registry, and a newcomer's
#                                        # machine has only docker.io)
#   scripts/ci/dockerd.sh stop-engine    # stop only the dockerd this script started (pid file)
#   scripts/ci/dockerd.sh park           # no engine at all, as on a machine without Docker (the
#                                        # README's line): stops the dockerd this script started or
#                                        # the docker.io service (systemd), and puts forwarding as a
#                                        # fresh Debian has it; `start` starts an engine again
#
# Everything this script starts writes its log and pid file under $BERTH_CI_DIR (/tmp/berth-ci).
# Every wait is bounded; on a start that never answers the log tail is printed and the script fails.
set -euo pipefail

DIR="${BERTH_CI_DIR:-/tmp/berth-ci}"
SOCKET="${BERTH_CI_DOCKER_SOCKET:-/var/run/docker.sock}"
REGISTRY_ADDR="${BERTH_CI_REGISTRY_ADDR:-127.0.0.1:5000}"
# Extra dockerd flags (word-split), with BERTH_CI_DOCKER_SOCKET and BERTH_CI_DIR to try the script
# on a second engine (own --data-root and --exec-root). Beware: a second dockerd shares the host's
# links and iptables; with `--bridge none` it deletes docker0, the first engine's default bridge.
DOCKERD_ARGS="${BERTH_CI_DOCKERD_ARGS:-}"
# Label keys whose objects `stop` removes: the integration suites label everything they create.
CLEAN_LABELS="${BERTH_CI_CLEAN_LABELS:-berth.test}"

DOCKERD_PID="$DIR/dockerd.pid"
# Left by `park` when it stopped systemd's docker.io service, so `start` starts that one again.
PARKED_SYSTEMD="$DIR/parked-systemd"
DOCKERD_LOG="$DIR/dockerd.log"
REGISTRY_DIR="$DIR/registry"
REGISTRY_PID="$DIR/registry.pid"
REGISTRY_LOG="$DIR/registry.log"

say() { printf 'dockerd.sh: %s\n' "$*"; }

engine_answers() {
  [ -S "$SOCKET" ] && [ "$(curl -fsS --max-time 2 --unix-socket "$SOCKET" http://localhost/_ping 2>/dev/null)" = "OK" ]
}

registry_status() {
  curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://$REGISTRY_ADDR/v2/" 2>/dev/null || true
}
registry_answers() { [ "$(registry_status)" = "200" ]; }

# alive PIDFILE NAME: the pid in PIDFILE is a live process whose command is NAME (guards against a
# recycled pid: never signal a process this script did not start).
alive() {
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1")"
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}

# wait_for TRIES CHECK...: run CHECK every 0.5 s, at most TRIES times.
wait_for() {
  local tries="$1" i
  shift
  for ((i = 0; i < tries; i++)); do
    if "$@"; then return 0; fi
    sleep 0.5
  done
  return 1
}

# stop_pid PIDFILE NAME TRIES: SIGTERM, wait up to TRIES x 0.5 s, then SIGKILL; removes the pid file.
stop_pid() {
  local pidfile="$1" name="$2" tries="$3" pid
  if ! alive "$pidfile" "$name"; then
    rm -f "$pidfile"
    return 0
  fi
  pid="$(cat "$pidfile")"
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for "$tries" not_alive "$pidfile" "$name"; then
    say "$name (pid $pid) still running after $((tries / 2)) s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 not_alive "$pidfile" "$name" || say "$name (pid $pid) did not exit"
  fi
  rm -f "$pidfile"
}
not_alive() { ! alive "$1" "$2"; }
# running PIDFILE: the process is there and not a zombie (no name check: right after the fork it may
# still be bash, before the exec).
running() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$pid/stat"
}
# answers_or_exited PIDFILE CHECK: CHECK passes, or the process already exited (stop waiting).
answers_or_exited() { "$2" || ! running "$1"; }

start_dockerd() {
  if engine_answers; then
    say "an engine already answers on $SOCKET: using it"
    return 0
  fi
  if [ -f "$PARKED_SYSTEMD" ]; then
    rm -f "$PARKED_SYSTEMD"
    say "starting the docker.io service that park stopped (systemd)"
    systemctl start docker.socket docker.service
    if wait_for 60 engine_answers; then return 0; fi
    say "the docker.io service did not answer within 30 s: starting dockerd here"
  fi
  command -v dockerd >/dev/null || { say "dockerd not installed (apt-get install docker.io)"; return 1; }
  local forwarding_was_on
  forwarding_was_on="$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null || echo 0)"
  say "starting dockerd (log $DOCKERD_LOG)"
  : >"$DOCKERD_LOG"
  # shellcheck disable=SC2086 # DOCKERD_ARGS is a list of flags
  dockerd --host "unix://$SOCKET" --pidfile "$DIR/dockerd.own.pid" $DOCKERD_ARGS \
    >>"$DOCKERD_LOG" 2>&1 </dev/null &
  echo $! >"$DOCKERD_PID"
  if ! wait_for 60 answers_or_exited "$DOCKERD_PID" engine_answers || ! engine_answers; then
    say "dockerd did not answer /_ping (waited up to 30 s; exited: $(running "$DOCKERD_PID" && echo no || echo yes)); log tail:"
    tail -n 40 "$DOCKERD_LOG" || true
    stop_pid "$DOCKERD_PID" dockerd 20
    return 1
  fi
  # dockerd sets the FORWARD policy DROP only when it turns forwarding on itself; where something
  # turned it on first (a native stack, as the newcomer line runs before this), it stays ACCEPT.
  # The tests run under the policy a machine with Docker usually has, so it is set as dockerd would.
  if [ "$forwarding_was_on" = "1" ] && command -v iptables >/dev/null \
    && iptables -w 5 -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD ACCEPT'; then
    say "forwarding was on before dockerd started, so it left the FORWARD policy ACCEPT: DROP, as dockerd sets it"
    iptables -w 5 -P FORWARD DROP
  fi
  say "dockerd answers: $(curl -fsS --max-time 2 --unix-socket "$SOCKET" http://localhost/version \
    | grep -o '"ApiVersion":"[^"]*"' | head -n 1 || true)"
}

start_registry() {
  local status
  status="$(registry_status)"
  if [ "$status" = "200" ]; then
    say "a registry already answers on $REGISTRY_ADDR: using it"
    return 0
  elif [ -n "$status" ] && [ "$status" != "000" ]; then
    say "$REGISTRY_ADDR answers /v2/ with HTTP $status: not an open registry the tests can push to"
    return 1
  fi
  command -v docker-registry >/dev/null || { say "docker-registry not installed (apt-get install docker-registry)"; return 1; }
  rm -rf "$REGISTRY_DIR"
  mkdir -p "$REGISTRY_DIR/data"
  cat >"$REGISTRY_DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  say "starting docker-registry on $REGISTRY_ADDR (log $REGISTRY_LOG)"
  : >"$REGISTRY_LOG"
  docker-registry serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_LOG" 2>&1 </dev/null &
  echo $! >"$REGISTRY_PID"
  if ! wait_for 30 answers_or_exited "$REGISTRY_PID" registry_answers || ! registry_answers; then
    say "docker-registry did not answer (waited up to 15 s; exited: $(running "$REGISTRY_PID" && echo no || echo yes)); log tail:"
    tail -n 40 "$REGISTRY_LOG" || true
    stop_pid "$REGISTRY_PID" docker-registry 10
    return 1
  fi
  say "registry answers on $REGISTRY_ADDR"
}

# Remove containers, networks, volumes and images carrying one of CLEAN_LABELS (tests leave none when
# they pass; this keeps a failed run from leaking into the next). The docker CLI is fine here.
clean_leftovers() {
  engine_answers || return 0
  command -v docker >/dev/null || return 0
  local label ids
  local docker=(docker -H "unix://$SOCKET")
  # shellcheck disable=SC2086 # $ids is a list of ids, one a word
  for label in $CLEAN_LABELS; do
    ids="$("${docker[@]}" ps -aq --filter "label=$label" 2>/dev/null || true)"
    if [ -n "$ids" ]; then say "removing containers left with label $label"; "${docker[@]}" rm -fv $ids >/dev/null || true; fi
    ids="$("${docker[@]}" network ls -q --filter "label=$label" 2>/dev/null || true)"
    if [ -n "$ids" ]; then say "removing networks left with label $label"; "${docker[@]}" network rm $ids >/dev/null || true; fi
    ids="$("${docker[@]}" volume ls -q --filter "label=$label" 2>/dev/null || true)"
    if [ -n "$ids" ]; then say "removing volumes left with label $label"; "${docker[@]}" volume rm -f $ids >/dev/null || true; fi
    ids="$("${docker[@]}" images -q --filter "label=$label" 2>/dev/null | sort -u || true)"
    if [ -n "$ids" ]; then say "removing images left with label $label"; "${docker[@]}" rmi -f $ids >/dev/null || true; fi
  done
}

# dockerd stops its containers and its managed containerd before exiting.
stop_dockerd() { stop_pid "$DOCKERD_PID" dockerd 60; }

# No engine, as on a Debian machine where Docker was never installed: the dockerd this script
# started stopped, or systemd's (socket activation too, or the next connection starts it again);
# fails when another engine still answers. dockerd leaves two things behind that such a machine does
# not have: the FORWARD policy DROP, which drops bridged traffic nothing accepts, and br_netfilter,
# which sends bridged traffic through iptables at all. Both go back to a fresh machine's state
# (ACCEPT, not loaded); dockerd sets them again when `start` starts it.
park_engine() {
  stop_dockerd
  if command -v systemctl >/dev/null && systemctl is-active --quiet docker.socket docker.service 2>/dev/null; then
    say "stopping the docker.io service (systemd); '$0 start' starts it again"
    systemctl stop docker.socket docker.service
    : >"$PARKED_SYSTEMD"
  fi
  if engine_answers; then
    # Not ours to stop (another checkout's, a developer's): the line then runs beside it, as berth
    # still picks native there, with dockerd's FORWARD policy and br_netfilter left as they are.
    say "an engine still answers on $SOCKET, started by neither this script nor systemd: left running"
    return 0
  fi
  if command -v iptables >/dev/null && iptables -w 5 -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD DROP'; then
    say "FORWARD policy DROP (dockerd's): ACCEPT, as on a fresh Debian"
    iptables -w 5 -P FORWARD ACCEPT
  fi
  if [ -d /sys/module/br_netfilter ]; then
    if modprobe -r br_netfilter 2>/dev/null; then
      say "br_netfilter unloaded, as on a fresh Debian"
    else
      # Built in, or held by another user: bridged traffic then meets the FORWARD chain, whose
      # policy is ACCEPT now and whose Docker rules match Docker's bridges only.
      say "br_netfilter stays loaded (in use); the FORWARD policy accepts bridged traffic"
    fi
  elif [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
    # This kernel has it built in: a fresh machine with this kernel has it too.
    say "br_netfilter is built into this kernel; the FORWARD policy accepts bridged traffic"
  fi
  say "no engine answers on $SOCKET"
}

case "${1:-}" in
  start)
    mkdir -p "$DIR"
    start_dockerd
    start_registry
    ;;
  start-engine)
    mkdir -p "$DIR"
    start_dockerd
    ;;
  stop)
    clean_leftovers
    stop_pid "$REGISTRY_PID" docker-registry 20
    rm -rf "$REGISTRY_DIR"
    stop_dockerd
    ;;
  stop-engine)
    stop_dockerd
    ;;
  park)
    mkdir -p "$DIR"
    park_engine
    ;;
  *)
    echo "usage: $0 start|stop|start-engine|stop-engine|park" >&2
    exit 2
    ;;
esac
