#!/usr/bin/env bash
# The README's newcomer line, run on exactly what it installs (CI and by hand, as root, on Debian 12
# with the line's packages installed).
#
#   scripts/ci/newcomer-line.sh             # the check, on the working tree
#   scripts/ci/newcomer-line.sh --head      # the check, on the last commit (git archive HEAD)
#   scripts/ci/newcomer-line.sh --packages  # the packages the line's `apt-get install` names
#   scripts/ci/newcomer-line.sh --tools     # the commands the line's steps may run, one a line
#
# It reads the first ```sh block under "## Two lines for a newcomer" in README.md, e.g.
#   apt-get update && apt-get install -y docker.io busybox-static curl && npm ci && npm run build && examples/demo/run.sh
# and runs the steps after the apt-get ones (`npm ci && npm run build && examples/demo/run.sh`), then
# the stop command the demo prints (`bin/berth.js -f examples/demo/compose.yaml down -v`), with PATH
# set to a single directory of links to the commands a fresh Debian 12 has after that line: those of
# the packages it installs and their Depends/PreDepends, recursively, as installed here (Recommends
# left out: stricter than apt's default, never looser); those of the Essential and Priority: required
# packages (a fresh Debian has them anyway); the alternatives (update-alternatives) those packages
# provide; and node, npm, npx (the README's prerequisite). A step that runs a command the line does
# not install stops with "not found", and the check fails. Programs run by absolute path are not
# hidden (the demo's `cp /bin/busybox` is busybox-static's file).
#
# The steps run in a copy of the checkout (the files git tracks plus untracked ones it does not
# ignore: what a clone holds, and the work in progress; with --head, the last commit), without
# node_modules and dist: `npm ci` must not delete node_modules under a working tree in use, and the
# build must not lean on an older dist/.
#
# The engine: when one already answers on the socket, the demo uses it, as it would on a newcomer's
# machine, and so does this check. Starting a second dockerd instead is too risky on a shared host:
# it shares the host's links and iptables rules with the first (see scripts/ci/dockerd.sh). The
# line's own commands (npm, berth, the demo script, dockerd.sh) still run under the restricted PATH.
# When none answers (a fresh CI machine: .ci/run runs this check before it starts the engine for the
# tests), the demo script starts dockerd under the restricted PATH, which proves dockerd finds its
# helpers (containerd, runc, iptables, docker-proxy, docker-init) among docker.io's dependencies;
# this check then stops that engine at the end, before removing its links (dockerd and containerd
# look helpers up in PATH for every container). To try that path on a host whose engine runs, give
# the check its own network and mount namespaces and engine directories:
#   unshare --net --mount --propagation private -- sh -c 'ip link set lo up && \
#     BERTH_CI_DIR=/tmp/nl BERTH_CI_DOCKER_SOCKET=/tmp/nl/docker.sock \
#     BERTH_CI_DOCKERD_ARGS="--data-root /tmp/nl/data --exec-root /tmp/nl/exec" \
#     scripts/ci/newcomer-line.sh'
#
# Leaves nothing behind: the demo stack (containers, networks, volumes), the demo image unless it
# was there before, the engine unless it answered before, the temporary directory. Every wait is
# bounded (timeout).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

SOCKET="${BERTH_CI_DOCKER_SOCKET:-/var/run/docker.sock}"
DEMO_COMPOSE="examples/demo/compose.yaml"
STEPS_TIMEOUT="${NEWCOMER_STEPS_TIMEOUT:-900}" # seconds for npm ci, the build and the demo
DOWN_TIMEOUT=120
# Where commands are looked up on Debian, in PATH order: the first directory wins a name.
BIN_DIRS=(/usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin)

say() { printf 'newcomer-line.sh: %s\n' "$*"; }
fail() {
  say "$*" >&2
  exit 1
}

# The README line: the first ```sh block under the heading, `\`-continued lines joined.
readme_line() {
  awk '
    /^## Two lines for a newcomer/ { section = 1; next }
    section && /^## / { exit }
    section && !block && /^```sh[[:space:]]*$/ { block = 1; next }
    block && /^```/ { exit }
    block {
      continued = sub(/\\[[:space:]]*$/, "")
      line = line $0
      if (!continued) { print line; line = "" }
    }
  ' "$root/README.md"
}

# Splits the line on && into PACKAGES (the packages apt-get install names) and STEPS (the rest, in
# order). Only plain words: the check does not parse shell, so it refuses what it cannot
# split safely.
PACKAGES=()
STEPS=()
parse_line() {
  local line rest step words word
  line="$(readme_line)"
  [ -n "$line" ] || fail "README.md: no \`\`\`sh block under \"## Two lines for a newcomer\""
  [ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] || fail "README.md: the newcomer block holds more than one command line"
  rest="$line"
  while :; do
    step="${rest%%&&*}"
    read -ra words <<<"$step"
    [ "${#words[@]}" -gt 0 ] || fail "README.md: an empty step in: $line"
    [[ "$step" =~ ^[A-Za-z0-9_./=:@+[:space:]-]+$ ]] || fail "README.md: the step \"${words[*]}\" has characters this check does not split (only plain words joined by &&)"
    case "${words[0]}" in
      apt-get | apt)
        [ "${#STEPS[@]}" -eq 0 ] || fail "README.md: an apt step after other steps: \"${words[*]}\""
        case "${words[1]:-}" in
          update) ;;
          install)
            for word in "${words[@]:2}"; do
              [[ "$word" == -* ]] || PACKAGES+=("$word")
            done
            ;;
          *) fail "README.md: an apt step this check does not know: \"${words[*]}\"" ;;
        esac
        ;;
      sudo) fail "README.md: the line runs as root; \"sudo\" is not among what it installs" ;;
      *) STEPS+=("${words[*]}") ;;
    esac
    [[ "$rest" == *"&&"* ]] || break
    rest="${rest#*&&}"
  done
  [ "${#PACKAGES[@]}" -gt 0 ] || fail "README.md: the newcomer line installs no package: $line"
  [ "${#STEPS[@]}" -gt 0 ] || fail "README.md: the newcomer line has no step after apt-get: $line"
}

installed() { dpkg-query -W -f='${db:Status-Abbrev}\t${binary:Package}\n' "$@" 2>/dev/null | awk -F'\t' '$1 ~ /^ii/ { print $2 }'; }

# The installed packages a fresh machine has after the line: the line's packages, Essential and
# Priority: required, and their Depends/PreDepends, recursively.
package_set() {
  local base
  mapfile -t base < <(
    printf '%s\n' "${PACKAGES[@]}"
    dpkg-query -W -f='${binary:Package}\t${Essential}\t${Priority}\n' | awk -F'\t' '$2 == "yes" || $3 == "required" { print $1 }'
  )
  # --installed: only what is installed here (of `a | b`, whichever is installed). Lines that
  # start with a space are the dependency lists, with "<...>" the virtual packages.
  apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "${base[@]}" | grep -v '^[[:space:]<]' | sort -u | {
    mapfile -t names
    installed "${names[@]}"
  } | sort -u
}

# tool_links: "name<TAB>path" for node, npm, npx and every command of the package set; of two
# with one name, the first (BIN_DIRS in PATH order).
tool_links() {
  local packages files merged=0
  mapfile -t packages < <(package_set)
  files="$(mktemp)"
  # The packages' files: on a merged /usr (Debian 12), /bin/x is /usr/bin/x.
  [ "$(readlink -f /bin)" = /usr/bin ] && merged=1
  dpkg -L "${packages[@]}" 2>/dev/null | awk -v merged="$merged" '
    { if (merged && sub(/^\/(bin|sbin)\//, "/usr/&")) sub(/^\/usr\/\//, "/usr/"); print }
  ' | sort -u >"$files"
  {
    # The README's prerequisite, wherever it is installed.
    local tool
    for tool in "${NODE_TOOLS[@]}"; do printf '%s\t%s\n' "$tool" "$(command -v "$tool")"; done
    # The packages' own commands.
    local dir
    for dir in "${BIN_DIRS[@]}"; do
      grep -E "^$(readlink -f "$dir")/[^/]+$" "$files" || true
    done | while IFS= read -r path; do
      if [ -x "$path" ] && [ ! -d "$path" ]; then printf '%s\t%s\n' "${path##*/}" "$path"; fi
    done
    # The alternatives they provide (iptables, awk, ...): of the candidates the package set ships,
    # the one of highest priority, as update-alternatives picks it on a fresh machine, with its
    # slaves.
    local name
    update-alternatives --get-selections | while read -r name _; do
      update-alternatives --query "$name" 2>/dev/null
    done | awk -v files="$files" -v merged="$merged" '
      function canon(p) { if (merged && sub(/^\/(bin|sbin)\//, "/usr/&", p)) sub(/^\/usr\/\//, "/usr/", p); return p }
      function flush() {
        if (link != "" && best != "") {
          print link "\t" best
          for (s in bestslave) if (slavelink[s] != "") print slavelink[s] "\t" bestslave[s]
        }
        link = ""; best = ""; bestprio = ""; delete slavelink; delete bestslave
      }
      BEGIN { while ((getline f < files) > 0) shipped[f] = 1 }
      /^Name: / { flush(); section = "head"; next }
      /^Link: / { link = $2; next }
      /^Alternative: / { candidate = $2; section = "alt"; next }
      /^Priority: / { prio = $2 + 0; ok = (canon(candidate) in shipped) && (bestprio == "" || prio > bestprio)
                      if (ok) { best = candidate; bestprio = prio; delete bestslave; take = 1 } else take = 0; next }
      /^ / && section == "head" { slavelink[$1] = $2; next }
      /^ / && section == "alt" && take { bestslave[$1] = $2; next }
      END { flush() }
    ' | while IFS=$'\t' read -r link path; do
      for dir in "${BIN_DIRS[@]}"; do
        if [ "${link%/*}" = "$dir" ] && [ -x "$path" ] && [ ! -d "$path" ]; then
          printf '%s\t%s\n' "${link##*/}" "$path"
          break
        fi
      done
    done
  } | awk -F'\t' '!seen[$1]++'
  rm -f "$files"
}

engine_answers() {
  [ -S "$SOCKET" ] && [ "$(curl -fsS --max-time 2 --unix-socket "$SOCKET" http://localhost/_ping 2>/dev/null)" = "OK" ]
}
docker_cli() { docker -H "unix://$SOCKET" "$@"; }
# The demo stack's objects, by the project label berth puts on them (as Docker Compose does).
stack_objects() {
  local filter="label=com.docker.compose.project=$project"
  {
    docker_cli ps -aq --filter "$filter" | sed 's/^/container /'
    docker_cli network ls -q --filter "$filter" | sed 's/^/network /'
    docker_cli volume ls -q --filter "$filter" | sed 's/^/volume /'
  } 2>/dev/null || true
}

NODE_TOOLS=(node npm npx)
require_node() {
  local tool
  for tool in "${NODE_TOOLS[@]}"; do
    command -v "$tool" >/dev/null || fail "$tool not found (the README expects Node 20)"
  done
}

from="worktree"
case "${1:-}" in
  --packages)
    parse_line
    printf '%s\n' "${PACKAGES[@]}"
    exit 0
    ;;
  --tools)
    parse_line
    require_node
    tool_links | cut -f1 | sort
    exit 0
    ;;
  --head) from="head" ;;
  "") ;;
  *)
    echo "usage: $0 [--head|--packages|--tools]" >&2
    exit 2
    ;;
esac

parse_line
require_node
steps="$(printf '%s && ' "${STEPS[@]}")"
steps="${steps% && }"
say "README line: installs ${PACKAGES[*]}, then runs: $steps"
mapfile -t missing < <(comm -23 <(printf '%s\n' "${PACKAGES[@]}" | sort -u) <(installed "${PACKAGES[@]}" | sed 's/:.*//' | sort -u))
[ "${#missing[@]}" -eq 0 ] || fail "not installed here: ${missing[*]} (apt-get install -y ${missing[*]})"

project="$(sed -n 's/^name:[[:space:]]*//p' "$root/$DEMO_COMPOSE" | head -n 1)"
image="$(sed -n 's/^[[:space:]]*image:[[:space:]]*//p' "$root/$DEMO_COMPOSE" | head -n 1)"
if [ -z "$project" ] || [ -z "$image" ]; then fail "$DEMO_COMPOSE: no top-level name: or no image:"; fi

engine_before=no
image_before=no
if engine_answers; then
  engine_before=yes
  docker_cli image inspect "$image" >/dev/null 2>&1 && image_before=yes
  [ -z "$(stack_objects)" ] || fail "a $project stack already exists on this engine; the check would take it over and remove it (stop it first: bin/berth.js -f $DEMO_COMPOSE down -v)"
fi

tmp="$(mktemp -d /tmp/berth-newcomer.XXXXXX)"
work="$tmp/checkout"
bin="$tmp/bin"
steps_ran=no
cleanup() {
  local status=$?
  set +e
  if [ "$steps_ran" = yes ] && engine_answers; then
    if [ -n "$(stack_objects)" ]; then
      say "removing what is left of the $project stack"
      stack_objects | while read -r kind id; do
        case "$kind" in
          container) docker_cli rm -fv "$id" ;;
          network) docker_cli network rm "$id" ;;
          volume) docker_cli volume rm -f "$id" ;;
        esac
      done >/dev/null 2>&1
    fi
    if [ "$image_before" = no ] && docker_cli image inspect "$image" >/dev/null 2>&1; then
      say "removing the image $image (it was not there before)"
      docker_cli rmi "$image" >/dev/null || true
    fi
  fi
  # Stops only a dockerd that dockerd.sh started (its pid file), before the links it runs from go.
  if [ "$engine_before" = no ] && [ "$steps_ran" = yes ]; then
    "$work/scripts/ci/dockerd.sh" stop-engine
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT

mkdir -p "$bin" "$work"
count=0
while IFS=$'\t' read -r name path; do
  ln -s "$path" "$bin/$name"
  count=$((count + 1))
done < <(tool_links)
say "$count commands on PATH=$bin (scripts/ci/newcomer-line.sh --tools lists them)"

# A copy of the checkout: git's files, or, without git, everything but what the build makes.
if [ "$from" = head ]; then
  git -C "$root" archive --format=tar HEAD | tar -C "$work" -xf -
elif command -v git >/dev/null && git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$root" ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    if [ -e "$root/$f" ] || [ -L "$root/$f" ]; then printf '%s\0' "$f"; fi
  done | tar -C "$root" --null -T - -cf - | tar -C "$work" -xf -
else
  tar -C "$root" --exclude=./.git --exclude=./node_modules --exclude=./dist -cf - . | tar -C "$work" -xf -
fi

say "engine answers on $SOCKET before the line: $engine_before; running in $work with only those commands: $steps"
started=$SECONDS
steps_ran=yes
# DOCKER_HOST: berth and dockerd.sh address the same engine as this check.
(cd "$work" && DOCKER_HOST="unix://$SOCKET" timeout -k 10 "$STEPS_TIMEOUT" env PATH="$bin" sh -c "$steps") ||
  fail "the README's newcomer line failed on only what it installs (exit $?): $steps"
say "the line's steps passed in $((SECONDS - started)) s; stopping the demo as it says"

(cd "$work" && DOCKER_HOST="unix://$SOCKET" timeout -k 10 "$DOWN_TIMEOUT" env PATH="$bin" bin/berth.js -f "$DEMO_COMPOSE" down -v) ||
  fail "bin/berth.js -f $DEMO_COMPOSE down -v failed (exit $?)"
left="$(stack_objects)"
[ -z "$left" ] || fail "down -v left: $(printf '%s' "$left" | tr '\n' ' ')"
say "ok: the newcomer line works with only what it installs ($((SECONDS - started)) s)"
