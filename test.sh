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

# Every test assembly runs; a hung test is reported and killed rather than stalling the run.
dotnet test Relay.sln \
  --blame-hang-timeout 5m \
  "$@"
