#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing (a fresh machine has
# only the .NET SDK): nats-server from Debian for the integration tests, chromium from Debian for
# the HTML report's browser test (PuppeteerSharp drives the system binary; it never downloads one),
# the Node SDK clients (tests/clients, npm ci) for the emulator's SDK tests.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "${STREAMER_CHROMIUM:-}" ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

# tests/clients: Alpaca's official Node SDK (pinned in package-lock.json) that the emulator's
# SdkClientTests drive; installed when missing. Without npm those tests fail saying so.
if [ ! -d tests/clients/node_modules ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "test.sh: installing tests/clients (npm ci)"
    npm ci --prefix tests/clients --no-audit --no-fund >/dev/null
  else
    echo "test.sh: npm not found: tests/clients is not installed, so the SdkClientTests (Alpaca's Node SDK against the emulator) will fail; install Node 20+ and npm" >&2
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# a hung test fails its run after 10 minutes instead of holding CI to its limit
dotnet test Streamer.sln -c Release --nologo --blame-hang-timeout 10m "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# one closing line CI can read: "N passed, N failed"
awk '/(Passed|Failed)! +- +Failed:/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$rc"
