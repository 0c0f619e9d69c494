#!/usr/bin/env bash
# Runs every test of the solution. On a fresh machine with the .NET SDK this is the only command needed:
# it installs whatever the tests need that is missing, then runs `dotnet test` over Relay.sln.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET SDK (dotnet) is required: https://dot.net" >&2
  exit 2
fi

# What the tests need beyond the SDK: a real redis-server (the cluster tests start their own on a free port) and
# Debian's Chromium (the browser tests drive it with Playwright). Installed once, when missing.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The shipping tests (tests/Relay.IntegrationTests/Shipping) run the real tools the deployment files are for:
# nginx and Caddy in front of real nodes, promtool on the alert rules, systemd-analyze on the unit, and strace in
# deploy/verify-dockerfile.sh. Installed without recommends (prometheus would bring its exporters); the tests start
# what they run themselves, on free ports.
shipping=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || shipping+=(nginx)
command -v caddy >/dev/null 2>&1 || shipping+=(caddy)
command -v promtool >/dev/null 2>&1 || shipping+=(prometheus)
command -v strace >/dev/null 2>&1 || shipping+=(strace)
command -v systemd-analyze >/dev/null 2>&1 || shipping+=(systemd)
apt_install() {
  echo "test.sh: installing $*"
  local sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get install -y "$@" >/dev/null \
    || { $sudo_cmd apt-get update >/dev/null && $sudo_cmd apt-get install -y "$@" >/dev/null; }
}
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
if [ ${#shipping[@]} -gt 0 ]; then apt_install --no-install-recommends "${shipping[@]}"; fi

# Every test assembly runs (the chaos suite has a pass of its own, below); a hung test is reported and killed rather
# than stalling the run.
status=0
dotnet test Relay.sln \
  --blame-hang-timeout 5m \
  --filter "Category!=Chaos" \
  "$@" || status=$?

# Second pass: the single-node integration tests again, each against three Redis-backed nodes of one cluster
# (clients and REST calls spread over the nodes; see RelayServer in tests/Relay.Testing). Tests of a
# node's own limits and metrics (trait Scope=node), the suites that start their own clusters and the shipping
# tests (packages and deployment files) are left out.
RELAY_TEST_TOPOLOGY=cluster dotnet test tests/Relay.IntegrationTests/Relay.IntegrationTests.csproj \
  --no-build --blame-hang-timeout 5m \
  --filter "Scope!=node&Category!=Chaos&FullyQualifiedName!~.Cluster.&FullyQualifiedName!~.Contract.&FullyQualifiedName!~.Bench.&FullyQualifiedName!~.Shipping." \
  "$@" || status=$?

# Third pass: the chaos suite (tests/Relay.IntegrationTests/Chaos, trait Category=Chaos), alone, after everything else.
# Each test starts its own redis-server and Relay nodes as real processes, injects one fault (Redis stalled, killed,
# restarted empty; pub/sub connections dropped; a node killed or frozen; a network partition where the machine allows
# network namespaces) and checks what the docs promise. Every wait in it is bounded; a test that still hangs is killed
# after 4 minutes, and no process it started outlives it.
dotnet test tests/Relay.IntegrationTests/Relay.IntegrationTests.csproj \
  --no-build --blame-hang-timeout 4m \
  --filter "Category=Chaos" \
  "$@" || status=$?
exit $status
