#!/usr/bin/env bash
# Brings the demo stack up on Docker: starts dockerd if none answers (the engine alone: the demo
# needs no registry), puts the host's static busybox into the base image's build context, then
# `berth up -d --wait` and one request to web. Uses only what the README's newcomer line installs
# (scripts/ci/newcomer-line.sh checks it in CI).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

"$root/scripts/ci/dockerd.sh" start-engine
cp /bin/busybox "$here/base/busybox"
"$root/bin/berth.js" -f "$here/compose.yaml" up -d --wait
"$root/bin/berth.js" -f "$here/compose.yaml" ps
echo
curl -fsS "http://127.0.0.1:${DEMO_PORT:-8080}/index.html"
echo
echo "Stop it with: $root/bin/berth.js -f $here/compose.yaml down -v"
