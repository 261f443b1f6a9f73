#!/usr/bin/env bash
# Brings the demo stack up on Docker: starts dockerd if none answers, puts the host's static
# busybox into the base image's build context, then `berth up -d --wait` and one request to web.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

"$root/scripts/ci/dockerd.sh" start
cp /bin/busybox "$here/base/busybox"
"$root/bin/berth.js" -f "$here/compose.yaml" up -d --wait
"$root/bin/berth.js" -f "$here/compose.yaml" ps
echo
curl -fsS "http://127.0.0.1:${DEMO_PORT:-8080}/index.html"
echo
echo "Stop it with: $root/bin/berth.js -f $here/compose.yaml down -v"
