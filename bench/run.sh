#!/usr/bin/env bash
# The one benchmark command (issue 5). From the repository root:
#
#   ./bench/run.sh            # full run: Relay, the SignalR baseline and the Node ws baseline, W1..W4 (~6-10 min)
#   ./bench/run.sh --quick    # same, shorter steps and fewer clients (~2-3 min)
#   ./bench/run.sh --smoke    # Relay only, tiny sizes (~10 s); does not touch docs/
#   ./bench/run.sh --cluster [--quick|--smoke]
#                             # W1 with the clients split across two Relay nodes on one Redis (redis-server on a
#                             # free 127.0.0.1 port), plus one in-memory node and one Redis-mode node for reference;
#                             # results in bench/results/<timestamp>-cluster-<preset>.json and the "W1 across two
#                             # nodes (Redis)" part of docs/benchmarks.md (--smoke: the split run only, ~15 s, no docs)
#
# Other options: --targets relay,signalr,node-ws (with --cluster: relay,relay-redis,relay-cluster; also: sink)
#                --workloads w1,w2,w3,w4   --no-docs
#                --client websocket|raw    how Relay-protocol clients are made (relay, node-ws, sink; SignalR keeps
#                                          its own client): ClientWebSocket (default) or raw sockets
#                --pin                     the server on core 0 (taskset -c 0), the load generator on core 1
#                --rates 1,2,5,...         W1/W2 per-client rates instead of the preset's
#                --no-stop                 run every W1/W2 rate, even past the latency limit
#                The target `sink` is the load generator's own trivial fan-out server (Relay.LoadGen sink): with
#                --client raw --pin it measures the load generator's ceiling, e.g.
#                ./bench/run.sh --targets sink --workloads w1 --client raw --pin --no-docs
#   ./bench/run.sh --writeloop  # the limit of one socket write per recipient batch: a drain on core 0, a write
#                               # loop on core 1 writing batches of 1..32 W1 frames to 1,000 loopback sockets (~30 s)
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
TARGETS_GIVEN=""
WORKLOADS=w1,w2,w3,w4
DOCS=1
CLUSTER=0
CLIENT=websocket
PIN=0
WRITELOOP=0
RATES=""
NO_STOP=()
# The exact command, recorded in the results (and, for --cluster, in docs/benchmarks.md).
export BENCH_COMMAND="./bench/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) PRESET=quick ;;
    --smoke) PRESET=smoke; TARGETS=relay; DOCS=0 ;;
    --full) PRESET=full ;;
    --cluster) CLUSTER=1 ;;
    --targets) TARGETS=$2; TARGETS_GIVEN=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --no-docs) DOCS=0 ;;
    --client) CLIENT=$2; shift ;;
    --pin) PIN=1 ;;
    --writeloop) WRITELOOP=1; DOCS=0 ;;
    --rates) RATES=$2; shift ;;
    --no-stop) NO_STOP=(--no-stop) ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

case "$CLIENT" in websocket|raw) ;; *) echo "run.sh: --client is websocket or raw" >&2; exit 2 ;; esac
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
ART="$ROOT/bench/.artifacts"
RESULTS_DIR="$ROOT/bench/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
if [ "$CLUSTER" = 1 ]; then
  # W1 only; the split run, plus (unless --smoke) the two single-node references.
  WORKLOADS=w1
  if [ -n "$TARGETS_GIVEN" ]; then TARGETS=$TARGETS_GIVEN
  elif [ "$PRESET" = smoke ]; then TARGETS=relay-cluster
  else TARGETS=relay,relay-redis,relay-cluster
  fi
  RUN_NAME="$STAMP-cluster-$PRESET"
elif [ "$WRITELOOP" = 1 ]; then
  RUN_NAME="$STAMP-writeloop"
else
  RUN_NAME="$STAMP-$PRESET"
fi
RESULTS="$RESULTS_DIR/$RUN_NAME.json"
LOGS="$RESULTS_DIR/$RUN_NAME-logs"
mkdir -p "$RESULTS_DIR" "$LOGS"

# The machine's load before this script adds its own (the build): recorded with the results.
export BENCH_LOAD_AVERAGE=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)

say() { echo "[run.sh] $*" >&2; }
warn() { echo "[run.sh] WARNING: $*" >&2; }
free_port() { # [first port]
  local port
  for port in $(seq "${1:-5301}" $(( ${1:-5301} + 698 ))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  return 1
}


stop_pid() { # pid: TERM, up to 10 s, then KILL
  local pid=$1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
SERVER_PID=""
stop_server() {
  stop_pid "$SERVER_PID"
  SERVER_PID=""
}
# --cluster: the Relay nodes and redis-server this script started.
NODE_PIDS=()
REDIS_PID=""
stop_nodes() {
  local pid
  for pid in "${NODE_PIDS[@]}"; do stop_pid "$pid"; done
  NODE_PIDS=()
}
stop_all() {
  stop_server
  stop_nodes
  stop_pid "$REDIS_PID"
  REDIS_PID=""
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# --- tools ---------------------------------------------------------------------------------------------------
apt_install() { # packages...: quietly, refreshing the package lists only when the first try fails
  apt-get install -y "$@" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$@" >/dev/null 2>&1; }
}
command -v dotnet >/dev/null || { echo "run.sh: the .NET SDK (dotnet) is required" >&2; exit 2; }
command -v curl >/dev/null || apt_install curl || true
if [ "$DOCS" = 1 ] && [ "$CLUSTER" = 0 ] && ! command -v gnuplot >/dev/null; then
  say "installing gnuplot-nox for the chart"
  apt_install gnuplot-nox || warn "could not install gnuplot-nox: the chart will not be redrawn"
fi
if [ "$CLUSTER" = 1 ] && ! command -v redis-server >/dev/null; then
  say "installing redis-server for the cluster run"
  apt_install redis-server || true
  command -v redis-server >/dev/null || { echo "run.sh: --cluster needs redis-server, which could not be installed (apt-get install redis-server)" >&2; exit 2; }
fi

# --- build ---------------------------------------------------------------------------------------------------
say "building Release into bench/.artifacts"
dotnet build src/Relay.Api -c Release --artifacts-path "$ART" -v q -nologo >"$LOGS/build-relay.log" 2>&1 \
  || { cat "$LOGS/build-relay.log" >&2; exit 1; }
dotnet build bench/Relay.LoadGen -c Release --artifacts-path "$ART" -v q -nologo >"$LOGS/build-loadgen.log" 2>&1 \
  || { cat "$LOGS/build-loadgen.log" >&2; exit 1; }
LOADGEN="$ART/bin/Relay.LoadGen/release/Relay.LoadGen.dll"
RELAY_DIR="$ART/bin/Relay.Api/release"

# --- write loop (--writeloop) --------------------------------------------------------------------------------
if [ "$WRITELOOP" = 1 ]; then
  command -v taskset >/dev/null || { echo "run.sh: --writeloop needs taskset (util-linux)" >&2; exit 2; }
  port=$(free_port 5901)
  taskset -c 0 dotnet "$LOADGEN" drain --port "$port" >"$LOGS/drain.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  say "write loop on core 1 against a drain on core 0 (port $port); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  taskset -c 1 dotnet "$LOADGEN" writeloop --port "$port" | tee "$RESULTS_DIR/$RUN_NAME.md"
  stop_server
  say "table in bench/results/$RUN_NAME.md"
  exit 0
fi

available=()
IFS=',' read -r -a wanted <<<"$TARGETS"
for t in "${wanted[@]}"; do
  case "$t" in
    relay|sink) available+=("$t") ;;
    relay-redis|relay-cluster)
      if [ "$CLUSTER" = 1 ]; then available+=("$t"); else warn "$t needs --cluster: skipped"; fi
      ;;
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
        apt_install nodejs npm || true
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
say "targets: ${available[*]}; workloads: $WORKLOADS; preset: $PRESET; client: $CLIENT$([ "$PIN" = 1 ] && echo "; server pinned to core 0, load generator to core 1")"
if [ "$PIN" = 1 ] && [ "$CLUSTER" = 1 ]; then
  warn "--pin applies to single-server runs only: ignored with --cluster"
fi
if [ "$PIN" = 1 ] && ! command -v taskset >/dev/null; then
  echo "run.sh: --pin needs taskset (util-linux)" >&2; exit 2
fi
if awk -v l="$BENCH_LOAD_AVERAGE" 'BEGIN { exit !(l > 1.5) }'; then
  warn "load average is $BENCH_LOAD_AVERAGE: other work on this machine will distort the numbers (best run on an idle machine)"
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
# The gen0 budget the shipped Dockerfile and systemd unit give Relay (docs/operations.md, Memory).
RELAY_GEN0=0x1000000

relay_args() { # the production settings of every Relay server and node
  echo --environment Production --Relay:AllowAnonymousApi=true --Relay:RateLimit:MessagesPerSecond=1000000 \
    --Relay:RateLimit:Burst=1000000 --Relay:MaxConnections=100000 --Relay:MaxClientsCap=1000 \
    --Logging:LogLevel:Default=Warning
}

wait_ready() { # name pid url log: true once url answers, within 30 s, while pid lives
  local name=$1 pid=$2 url=$3 log=$4
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      warn "$name exited at start-up:"; tail -n 20 "$log" >&2
      return 1
    fi
    if curl -sf -o /dev/null "$url"; then
      return 0
    fi
    sleep 0.1
  done
  warn "$name did not answer /${url##*/} within 30 s"
  return 1
}

SERVER_PIN=()
LOADGEN_PIN=()
if [ "$PIN" = 1 ] && [ "$CLUSTER" = 0 ]; then
  SERVER_PIN=(taskset -c 0)
  LOADGEN_PIN=(taskset -c 1)
fi

start_server() { # target port log
  local target=$1 port=$2 log=$3
  case "$target" in
    relay)
      # shellcheck disable=SC2046
      (cd "$RELAY_DIR" && DOTNET_GCgen0size=$RELAY_GEN0 exec "${SERVER_PIN[@]}" dotnet Relay.Api.dll --urls "http://127.0.0.1:$port" $(relay_args)) >"$log" 2>&1 &
      ;;
    signalr)
      (cd "$(dirname "$SIGNALR_DLL")" && exec "${SERVER_PIN[@]}" dotnet "$(basename "$SIGNALR_DLL")" --urls "http://127.0.0.1:$port" \
        --environment Production --Logging:LogLevel:Default=Warning) >"$log" 2>&1 &
      ;;
    node-ws)
      "${SERVER_PIN[@]}" node bench/baselines/node-ws/server.js --port "$port" >"$log" 2>&1 &
      ;;
    sink)
      "${SERVER_PIN[@]}" dotnet "$LOADGEN" sink --port "$port" >"$log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  wait_ready "$target" "$SERVER_PID" "http://127.0.0.1:$port/healthz" "$log" || { stop_server; return 1; }
}

# --- cluster (--cluster) -------------------------------------------------------------------------------------
# W1 with the clients split across two Redis-mode Relay nodes, plus single-node references, then exit.
redis_ping() { # port: true once redis answers PING
  ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && IFS= read -r -t 1 reply <&3 && [[ "$reply" == +PONG* ]] ) 2>/dev/null
}

start_redis() { # sets REDIS_PORT and REDIS_PID
  local attempt
  mkdir -p "$LOGS/redis"
  for attempt in 1 2 3; do
    REDIS_PORT=$(free_port 6400)
    # In-memory only (no RDB, no AOF), loopback only; it dies with this script (trap).
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes --save "" --appendonly no \
      --dir "$LOGS/redis" --daemonize no >"$LOGS/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 100); do
      if ! kill -0 "$REDIS_PID" 2>/dev/null; then break; fi
      if redis_ping "$REDIS_PORT"; then return 0; fi
      sleep 0.1
    done
    warn "redis-server did not start on port $REDIS_PORT (attempt $attempt):"; tail -n 5 "$LOGS/redis.log" >&2
    stop_pid "$REDIS_PID"; REDIS_PID=""
  done
  return 1
}

start_node() { # name log [extra Relay args...]: starts a Relay node on a free port, sets NODE_PORT and NODE_PID
  local name=$1 log=$2
  shift 2
  NODE_PORT=$(free_port)
  # shellcheck disable=SC2046
  (cd "$RELAY_DIR" && DOTNET_GCgen0size=$RELAY_GEN0 exec dotnet Relay.Api.dll --urls "http://127.0.0.1:$NODE_PORT" $(relay_args) "$@") >"$log" 2>&1 &
  NODE_PID=$!
  NODE_PIDS+=("$NODE_PID")
  # /readyz: up, and (in Redis mode) connected to Redis.
  wait_ready "$name" "$NODE_PID" "http://127.0.0.1:$NODE_PORT/readyz" "$log"
}

if [ "$CLUSTER" = 1 ]; then
  started=$(date +%s)
  failures=0
  start_redis || { echo "run.sh: could not start redis-server" >&2; exit 1; }
  say "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$REDIS_PORT (pid $REDIS_PID)"
  for t in "${available[@]}"; do
    prefix="bench-$STAMP-$t"
    redis=(--Relay:Backplane=Redis "--Relay:Redis:ConnectionString=127.0.0.1:$REDIS_PORT" "--Relay:Redis:KeyPrefix=$prefix")
    args=()
    case "$t" in
      relay)
        start_node relay "$LOGS/node-relay.log" || { failures=$((failures + 1)); stop_nodes; continue; }
        args=(--target relay --url "http://127.0.0.1:$NODE_PORT" --server-pid "$NODE_PID")
        ;;
      relay-redis)
        start_node relay-redis "$LOGS/node-relay-redis.log" "${redis[@]}" --Relay:Redis:NodeId=bench-single \
          || { failures=$((failures + 1)); stop_nodes; continue; }
        args=(--target relay --label relay-redis --url "http://127.0.0.1:$NODE_PORT" --server-pid "$NODE_PID" --redis-pid "$REDIS_PID")
        ;;
      relay-cluster)
        start_node "node A" "$LOGS/node-cluster-a.log" "${redis[@]}" --Relay:Redis:NodeId=bench-a \
          || { failures=$((failures + 1)); stop_nodes; continue; }
        url_a="http://127.0.0.1:$NODE_PORT"; pid_a=$NODE_PID
        start_node "node B" "$LOGS/node-cluster-b.log" "${redis[@]}" --Relay:Redis:NodeId=bench-b \
          || { failures=$((failures + 1)); stop_nodes; continue; }
        url_b="http://127.0.0.1:$NODE_PORT"; pid_b=$NODE_PID
        say "relay-cluster: node A $url_a (pid $pid_a), node B $url_b (pid $pid_b), key prefix $prefix"
        args=(--target relay --label relay-cluster --url "$url_a,$url_b" --server-pid "$pid_a,$pid_b" --redis-pid "$REDIS_PID")
        ;;
      *) warn "$t is not a --cluster target (relay, relay-redis, relay-cluster): skipped"; continue ;;
    esac
    if [ -n "$RATES" ]; then args+=(--rates "$RATES"); fi
    args+=("${NO_STOP[@]}")
    if ! timeout 900 dotnet "$LOADGEN" run "${args[@]}" --client "$CLIENT" --workload w1 --preset "$PRESET" --out "$RESULTS"; then
      warn "$t w1 reported a failure (see above)"
      failures=$((failures + 1))
    fi
    stop_nodes
  done
  stop_pid "$REDIS_PID"; REDIS_PID=""
  say "cluster runs done in $(( $(date +%s) - started )) s; results in ${RESULTS#"$ROOT"/}"
  if [ ! -f "$RESULTS" ]; then
    warn "no results were written"
    exit 1
  fi
  if [ "$DOCS" = 1 ]; then
    dotnet "$LOADGEN" report --section cluster --in "$RESULTS" --md docs/benchmarks.md >&2
  else
    dotnet "$LOADGEN" report --section cluster --in "$RESULTS" --md "$RESULTS_DIR/$RUN_NAME.md" >&2
  fi
  if [ "$failures" -gt 0 ]; then
    warn "$failures run(s) failed"
    exit 1
  fi
  exit 0
fi

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
    if [ -n "$RATES" ]; then extra+=(--rates "$RATES"); fi
    extra+=("${NO_STOP[@]}")
    target_args=(--target "$t")
    case "$t" in
      sink) target_args=(--target relay --label sink --client "$CLIENT") ;;
      relay|node-ws) target_args+=(--client "$CLIENT") ;;
    esac
    # A hung run is impossible by design (every step is timed), but bound it anyway.
    if ! timeout 900 "${LOADGEN_PIN[@]}" dotnet "$LOADGEN" run "${target_args[@]}" --url "http://127.0.0.1:$port" --workload "$w" \
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
  dotnet "$LOADGEN" report --in "$RESULTS" --md docs/benchmarks.md --plot-data "$RESULTS_DIR/$RUN_NAME-plot" --png docs/benchmarks-w1.png >&2
  if command -v gnuplot >/dev/null; then
    gnuplot "$RESULTS_DIR/$RUN_NAME-plot/w1.gp" && say "chart: docs/benchmarks-w1.png"
  else
    warn "gnuplot missing: docs/benchmarks-w1.png not redrawn"
  fi
else
  dotnet "$LOADGEN" report --in "$RESULTS" --md "$RESULTS_DIR/$RUN_NAME.md" >&2
fi

if [ "$failures" -gt 0 ]; then
  warn "$failures run(s) failed"
  exit 1
fi
