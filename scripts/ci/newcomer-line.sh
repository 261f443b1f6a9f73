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
#   apt-get update && apt-get install -y runc conmon ... curl && npm ci && npm run build && examples/demo/run.sh
# and runs the steps after the apt-get ones (`npm ci && npm run build && examples/demo/run.sh`), then
# the stop command the demo prints (`bin/berth.js -f examples/demo/compose.yaml down -v`), with PATH
# set to a single directory of links to the commands a fresh Debian 12 has after that line: those of
# the packages it installs and their Depends/PreDepends, recursively, as installed here (Recommends
# left out: stricter than apt's default, never looser); those of the Essential and Priority: required
# packages (a fresh Debian has them anyway); the alternatives (update-alternatives) those packages
# provide; and node, npm, npx (the README's prerequisite). A step that runs a command the line does
# not install stops with "not found", and the check fails. Programs run by absolute path are not
# hidden (the demo's /bin/busybox is busybox-static's file, /usr/sbin/runc and /usr/bin/conmon are
# the packages' own).
#
# The steps run in a copy of the checkout (the files git tracks plus untracked ones it does not
# ignore: what a clone holds, and the work in progress; with --head, the last commit), without
# node_modules and dist: `npm ci` must not delete node_modules under a working tree in use, and the
# build must not lean on an older dist/.
#
# The runtime: the line brings the demo up on berth's default, which is native wherever it can serve
# (Linux, root, runc and conmon): the check asserts that the stack ran natively. It does not need the
# Docker engine stopped (berth picks native either way for a project the engine does not hold), but
# CI stops it first (.ci/run, scripts/ci/dockerd.sh park) so the line runs as on a machine that has
# none. The native state goes to temporary BERTH_ROOT and BERTH_RUN_ROOT under /var/tmp, so the check
# neither sees nor touches a stack of the machine's own /var/lib/berth; they are the only variables
# the steps get beyond PATH.
#
# Leaves nothing behind, and fails when the line's own `down -v` does not: no container, volume or
# network record in the native state, no mount under it, no process that names it, none of the
# stack's links, network namespaces, nftables tables or iptables rules (found by the names the
# network layer derives, so other stacks on the host never count). Then removes the state (the imported image
# with it) and the temporary directory. Every wait is bounded (timeout).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

DEMO_COMPOSE="examples/demo/compose.yaml"
STEPS_TIMEOUT="${NEWCOMER_STEPS_TIMEOUT:-900}" # seconds for npm ci, the build and the demo
DOWN_TIMEOUT=120
# Seconds the supervisor and the DNS server get to leave once no container needs them.
SETTLE_TIMEOUT=30
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

# The host objects the demo's native stack makes, by the names the network layer derives from the
# state root, the network and the container ids (src/runtime/native/network/names.ts, from the
# checkout's build), so that other stacks on the host — tests running meanwhile — never count:
# NAMES_OF ID... prints "link NAME", "netns NAME", "nft-table ip NAME", "tag berth:NAME" lines.
names_of() {
  # shellcheck disable=SC2016 # JavaScript, not shell: its ${...} are template literals
  (cd "$work" && node --input-type=module -e '
    const [names, root, network, ...ids] = process.argv.slice(1);
    const m = await import(names);
    const bridge = m.bridgeName(root, network);
    const out = [`link ${bridge}`, `nft-table ip ${bridge}`, `tag berth:${bridge}`];
    for (const id of ids) out.push(`link ${m.hostVethName(root, id, network)}`, `netns ${m.netnsName(root, id)}`);
    console.log(out.join("\n"));
  ' "$work/dist/runtime/native/network/names.js" "$berth_root" "${project}_default" "$@")
}
# Which of those the host still has.
present() {
  local kind name
  while read -r kind name; do
    case "$kind" in
      link) ip link show dev "$name" >/dev/null 2>&1 && echo "link $name" ;;
      netns) [ -e "/run/netns/$name" ] && echo "netns $name" ;;
      nft-table) nft list table "${name% *}" "${name#* }" >/dev/null 2>&1 && echo "nft table $name" ;;
      tag) iptables-save 2>/dev/null | grep -F -- "$name" | sed 's/^/iptables rule /' ;;
    esac
  done
  return 0
}
# Mounts under the state roots, and processes whose command line or environment names them.
state_mounts() { awk -v a="$state" 'index($2, a) == 1 { print "mount " $2 }' /proc/mounts; }
state_processes() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid="${dir#/proc/}"
    [ "$pid" != "$$" ] || continue
    # A process may be gone between the glob and the read: its files then read as empty.
    if { tr '\0' '\n' <"$dir/cmdline"; } 2>/dev/null | grep -qF "$state" ||
      { tr '\0' '\n' <"$dir/environ"; } 2>/dev/null | grep -qF "=$state/"; then
      printf 'process %s %s\n' "$pid" "$({ tr '\0' ' ' <"$dir/cmdline"; } 2>/dev/null | cut -c1-120)"
    fi
  done
}
# Native records the demo left: containers (the name index aside), volumes, networks.
state_records() {
  local kind
  for kind in containers volumes; do
    [ -d "$berth_root/$kind" ] || continue
    find "$berth_root/$kind" -mindepth 1 -maxdepth 1 ! -name '.*' -printf "$kind %f\n"
  done
  local networks="$berth_root/network/state.json"
  if [ -f "$networks" ] && ! tr -d ' \n' <"$networks" | grep -q '"networks":{},"containers":{}'; then
    echo "network state $(tr -d ' \n' <"$networks" | cut -c1-200)"
  fi
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
[ -n "$project" ] || fail "$DEMO_COMPOSE: no top-level name:"

tmp="$(mktemp -d /tmp/berth-newcomer.XXXXXX)"
work="$tmp/checkout"
bin="$tmp/bin"
# Overlay upper dirs need a filesystem like ext4 (/var/tmp), not the tmpfs /tmp may be.
state="$(mktemp -d /var/tmp/berth-newcomer-state.XXXXXX)"
berth_root="$state/root"
berth_run="$state/run"
# berth as the line runs it: only the line's commands, the check's native state, and nothing of the
# caller's that picks a runtime.
line_env=(env -u BERTH_RUNTIME -u DOCKER_HOST PATH="$bin" BERTH_ROOT="$berth_root" BERTH_RUN_ROOT="$berth_run")
steps_ran=no
ours=""
cleanup() {
  local status=$?
  set +e
  if [ "$steps_ran" = yes ] && [ -d "$work/bin" ]; then
    if state_records | grep -q '^containers '; then
      say "removing what is left of the $project stack"
      (cd "$work" && timeout -k 10 "$DOWN_TIMEOUT" env BERTH_ROOT="$berth_root" BERTH_RUN_ROOT="$berth_run" \
        bin/berth.js --runtime native --progress quiet -f "$DEMO_COMPOSE" down -v --remove-orphans) >/dev/null 2>&1
    fi
    # Anything still running on the state (a supervisor, the DNS server, a monitor) goes with it.
    state_processes | awk '{ print $2 }' | while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
    state_mounts | awk '{ print $2 }' | sort -r | while read -r target; do umount -l "$target" 2>/dev/null; done
    # And the stack's host objects a failed down left (the check has failed already).
    present <<<"$ours" | while read -r kind name rest; do
      case "$kind" in
        link) ip link delete dev "$name" ;;
        netns) ip netns delete "$name" ;;
        nft) nft delete table "${rest% *}" "${rest#* }" ;;
        iptables) printf '%s\n' "$rest" | sed 's/^-A /-D /' | xargs iptables -w 5 ;;
      esac
    done >/dev/null 2>&1
  fi
  rm -rf "$tmp" "$state"
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

engine="none"
if [ -S /var/run/docker.sock ] && curl -fsS --max-time 2 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; then
  engine="one answers on /var/run/docker.sock (berth still picks native: the demo is not on it)"
fi
say "Docker engine: $engine; native state in $state; running in $work with only those commands: $steps"
started=$SECONDS
steps_ran=yes
(cd "$work" && timeout -k 10 "$STEPS_TIMEOUT" "${line_env[@]}" sh -c "$steps") ||
  fail "the README's newcomer line failed on only what it installs (exit $?): $steps"
say "the line's steps passed in $((SECONDS - started)) s"

# It ran natively: the native runtime lists the stack's long-running services.
running="$(cd "$work" && "${line_env[@]}" bin/berth.js --runtime native --progress quiet -f "$DEMO_COMPOSE" ps --services | sort | tr '\n' ' ')"
[ "$running" = "api store web worker " ] || fail "the native runtime does not list the demo's services running (got: ${running:-nothing})"
say "the demo ran natively (running: $running); stopping it as it says"
mapfile -t ids < <(cd "$work" && "${line_env[@]}" bin/berth.js --runtime native --progress quiet -f "$DEMO_COMPOSE" ps -aq --no-trunc)
ours="$(names_of "${ids[@]}")" || fail "cannot derive the names of the stack's links (src/runtime/native/network/names.ts)"
[ -n "$(present <<<"$ours")" ] || fail "the stack's network is not where the check looks for it: $(printf '%s' "$ours" | tr '\n' ';')"

(cd "$work" && timeout -k 10 "$DOWN_TIMEOUT" "${line_env[@]}" bin/berth.js -f "$DEMO_COMPOSE" down -v) ||
  fail "bin/berth.js -f $DEMO_COMPOSE down -v failed (exit $?)"

# Nothing left: records and mounts at once; the supervisor and DNS server leave by themselves.
for ((i = 0; i < SETTLE_TIMEOUT * 2; i++)); do
  [ -n "$(state_processes)" ] || break
  sleep 0.5
done
left="$(state_records; state_mounts; state_processes; present <<<"$ours")"
[ -z "$left" ] || fail "down -v left: $(printf '%s' "$left" | tr '\n' ';')"
say "ok: the newcomer line brings the demo up natively with only what it installs, and down -v leaves nothing ($((SECONDS - started)) s)"
