#!/usr/bin/env bash
# The one benchmark command (issue 5). From the repository root:
#
#   ./bench/run.sh            # full run: Relay, the SignalR baseline and the Node ws baseline, W1..W4 (~6-10 min)
#   ./bench/run.sh --quick    # same, shorter steps and fewer clients (~2-3 min)
#   ./bench/run.sh --smoke    # Relay only, tiny sizes (~10 s); does not touch docs/
#
# Other options: --targets relay,signalr,node-ws   --workloads w1,w2,w3,w4   --no-docs
#
# It builds Release into bench/.artifacts, installs what is missing (gnuplot-nox for the chart, the Node
# baseline's npm packages), then for each workload runs each target in turn: starts the server on 127.0.0.1
# and a free port, waits for /healthz, runs the load generator against it (which samples the server's CPU and
# memory through /proc), and stops it. Results go to bench/results/<timestamp>-<preset>.json; unless --smoke or
# --no-docs, the results section of docs/benchmarks.md and docs/benchmarks-w1.png are regenerated.
# All traffic stays on 127.0.0.0/8 and every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

PRESET=full
TARGETS=relay,signalr,node-ws
WORKLOADS=w1,w2,w3,w4
DOCS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) PRESET=quick ;;
    --smoke) PRESET=smoke; TARGETS=relay; DOCS=0 ;;
    --full) PRESET=full ;;
    --targets) TARGETS=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --no-docs) DOCS=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
ART="$ROOT/bench/.artifacts"
RESULTS_DIR="$ROOT/bench/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="$RESULTS_DIR/$STAMP-$PRESET.json"
LOGS="$RESULTS_DIR/$STAMP-$PRESET-logs"
mkdir -p "$RESULTS_DIR" "$LOGS"

# The machine's load before this script adds its own (the build): recorded with the results.
export BENCH_LOAD_AVERAGE=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)

say() { echo "[run.sh] $*" >&2; }
warn() { echo "[run.sh] WARNING: $*" >&2; }

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# --- tools ---------------------------------------------------------------------------------------------------
command -v dotnet >/dev/null || { echo "run.sh: the .NET SDK (dotnet) is required" >&2; exit 2; }
command -v curl >/dev/null || { apt-get install -y curl >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y curl >/dev/null 2>&1; } || true; }
if [ "$DOCS" = 1 ] && ! command -v gnuplot >/dev/null; then
  say "installing gnuplot-nox for the chart"
  { apt-get install -y gnuplot-nox >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y gnuplot-nox >/dev/null 2>&1; }; } \
    || warn "could not install gnuplot-nox: the chart will not be redrawn"
fi

# --- build ---------------------------------------------------------------------------------------------------
say "building Release into bench/.artifacts"
dotnet build src/Relay.Api -c Release --artifacts-path "$ART" -v q -nologo >"$LOGS/build-relay.log" 2>&1 \
  || { cat "$LOGS/build-relay.log" >&2; exit 1; }
dotnet build bench/Relay.LoadGen -c Release --artifacts-path "$ART" -v q -nologo >"$LOGS/build-loadgen.log" 2>&1 \
  || { cat "$LOGS/build-loadgen.log" >&2; exit 1; }
LOADGEN="$ART/bin/Relay.LoadGen/release/Relay.LoadGen.dll"
RELAY_DIR="$ART/bin/Relay.Api/release"

available=()
IFS=',' read -r -a wanted <<<"$TARGETS"
for t in "${wanted[@]}"; do
  case "$t" in
    relay) available+=(relay) ;;
    signalr)
      csproj=$(ls bench/baselines/signalr/*.csproj 2>/dev/null | head -n 1 || true)
      if [ -z "$csproj" ]; then
        warn "bench/baselines/signalr is missing: skipping the SignalR baseline"
        continue
      fi
      name=$(basename "$csproj" .csproj)
      if dotnet build "$csproj" -c Release --artifacts-path "$ART" -v q -nologo >"$LOGS/build-signalr.log" 2>&1; then
        SIGNALR_DLL=$(find "$ART/bin/$name" -path '*release*' -name "$name.dll" | head -n 1)
        if [ -n "$SIGNALR_DLL" ]; then available+=(signalr); else warn "no $name.dll after the build: skipping SignalR"; fi
      else
        warn "the SignalR baseline did not build (see $LOGS/build-signalr.log): skipping it"
      fi
      ;;
    node-ws)
      if [ ! -f bench/baselines/node-ws/server.js ]; then
        warn "bench/baselines/node-ws is missing: skipping the Node ws baseline"
        continue
      fi
      if ! command -v node >/dev/null; then
        apt-get install -y nodejs npm >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y nodejs npm >/dev/null 2>&1; } || true
      fi
      if ! command -v node >/dev/null; then
        warn "node is not installed: skipping the Node ws baseline"
        continue
      fi
      if [ ! -d bench/baselines/node-ws/node_modules/ws ]; then
        say "installing the Node baseline's packages"
        (cd bench/baselines/node-ws && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi) \
          >"$LOGS/npm.log" 2>&1 || { warn "npm install failed (see $LOGS/npm.log): skipping node-ws"; continue; }
      fi
      available+=(node-ws)
      ;;
    *) warn "unknown target $t: skipped" ;;
  esac
done
[ ${#available[@]} -gt 0 ] || { echo "run.sh: no target to run" >&2; exit 1; }
say "targets: ${available[*]}; workloads: $WORKLOADS; preset: $PRESET"
load=$BENCH_LOAD_AVERAGE
if awk -v l="$load" 'BEGIN { exit !(l > 1.5) }'; then
  warn "load average is $load: other work on this machine will distort the numbers (best run on an idle machine)"
fi

# --- limits --------------------------------------------------------------------------------------------------
# W3 holds many connections: the server and the load generator each need a descriptor per connection.
ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
W3_ARGS=()
W3_WANTED=$([ "$PRESET" = full ] && echo 20000 || { [ "$PRESET" = quick ] && echo 5000 || echo 200; })
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((W3_WANTED + 1000)) ]; then
  W3_CONNECTIONS=$((NOFILE - 1000))
  warn "open-file limit is $NOFILE (hard limit $(ulimit -Hn)): W3 holds $W3_CONNECTIONS connections instead of $W3_WANTED"
  W3_ARGS=(--connections "$W3_CONNECTIONS")
fi

# --- servers -------------------------------------------------------------------------------------------------
free_port() {
  local port
  for port in $(seq 5301 5999); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  return 1
}

start_server() { # target port log
  local target=$1 port=$2 log=$3
  case "$target" in
    relay)
      (cd "$RELAY_DIR" && exec dotnet Relay.Api.dll --urls "http://127.0.0.1:$port" --environment Production \
        --Relay:AllowAnonymousApi=true --Relay:RateLimit:MessagesPerSecond=1000000 --Relay:RateLimit:Burst=1000000 \
        --Relay:MaxConnections=100000 --Relay:MaxClientsCap=1000 --Logging:LogLevel:Default=Warning) >"$log" 2>&1 &
      ;;
    signalr)
      (cd "$(dirname "$SIGNALR_DLL")" && exec dotnet "$(basename "$SIGNALR_DLL")" --urls "http://127.0.0.1:$port" \
        --environment Production --Logging:LogLevel:Default=Warning) >"$log" 2>&1 &
      ;;
    node-ws)
      node bench/baselines/node-ws/server.js --port "$port" >"$log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      warn "$target exited at start-up:"; tail -n 20 "$log" >&2
      SERVER_PID=""
      return 1
    fi
    if curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then
      return 0
    fi
    sleep 0.1
  done
  warn "$target did not answer /healthz within 30 s"
  stop_server
  return 1
}

# --- run -----------------------------------------------------------------------------------------------------
started=$(date +%s)
failures=0
IFS=',' read -r -a workloads <<<"$WORKLOADS"
for w in "${workloads[@]}"; do
  for t in "${available[@]}"; do
    port=$(free_port)
    if ! start_server "$t" "$port" "$LOGS/server-$t-$w.log"; then
      failures=$((failures + 1))
      continue
    fi
    extra=()
    if [ "$w" = w3 ] && [ ${#W3_ARGS[@]} -gt 0 ]; then extra=("${W3_ARGS[@]}"); fi
    # A hung run is impossible by design (every step is timed), but bound it anyway.
    if ! timeout 900 dotnet "$LOADGEN" run --target "$t" --url "http://127.0.0.1:$port" --workload "$w" \
        --preset "$PRESET" --server-pid "$SERVER_PID" --out "$RESULTS" "${extra[@]}"; then
      warn "$t $w reported a failure (see above)"
      failures=$((failures + 1))
    fi
    stop_server
  done
done
say "all runs done in $(( $(date +%s) - started )) s; results in ${RESULTS#"$ROOT"/}"

# --- report --------------------------------------------------------------------------------------------------
if [ "$DOCS" = 1 ]; then
  dotnet "$LOADGEN" report --in "$RESULTS" --md docs/benchmarks.md --plot-data "$RESULTS_DIR/$STAMP-$PRESET-plot" --png docs/benchmarks-w1.png >&2
  if command -v gnuplot >/dev/null; then
    gnuplot "$RESULTS_DIR/$STAMP-$PRESET-plot/w1.gp" && say "chart: docs/benchmarks-w1.png"
  else
    warn "gnuplot missing: docs/benchmarks-w1.png not redrawn"
  fi
else
  dotnet "$LOADGEN" report --in "$RESULTS" --md "$RESULTS_DIR/$STAMP-$PRESET.md" >&2
fi

if [ "$failures" -gt 0 ]; then
  warn "$failures run(s) failed"
  exit 1
fi
