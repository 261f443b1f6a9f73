#!/usr/bin/env bash
# Brings the demo stack up on berth's default runtime — native wherever it can serve (Linux, root,
# runc and conmon), else the Docker Engine; BERTH_RUNTIME=docker asks for the engine — with no
# registry and no build: imports the demo's image, made from the host's static busybox
# (import-image.mjs), then `berth up -d --wait` and one request to web from 127.0.0.1. Uses only
# what the README's newcomer line installs (scripts/ci/newcomer-line.sh checks it in CI).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
berth=("$root/bin/berth.js" -f "$here/compose.yaml")

node "$here/import-image.mjs" "berth-demo/busybox:1"
"${berth[@]}" up -d --wait
"${berth[@]}" ps
echo
curl -fsS --max-time 10 "http://127.0.0.1:${DEMO_PORT:-8080}/index.html"
echo
echo "Stop it with: $root/bin/berth.js -f $here/compose.yaml down -v"
