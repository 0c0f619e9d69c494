#!/usr/bin/env bash
# Runs the Dockerfile without Docker, on a machine that cannot pull images: the build stage's COPY and RUN steps
# as written (a copy of the build context, .dockerignore applied, then `dotnet restore` and `dotnet publish`), then
# the runtime stage's ENTRYPOINT the way a container runs it: as the image's non-root user, with a read-only root
# filesystem and a tmpfs on /tmp, in a network namespace of its own, with the image's environment. It checks that
# the HEALTHCHECK command reports healthy, that the server answers /readyz and the REST API, that SIGTERM gives the
# graceful shutdown and exit code 0, that the HEALTHCHECK then reports unhealthy, and (strace) that the server
# wrote nothing outside /tmp, /proc and /dev.
#
# What it cannot check: the base images themselves (their tags, the `app` user, the SDK version in them), BuildKit
# cache mounts and layer caching, and Docker's own handling of HEALTHCHECK and STOPSIGNAL; those need Docker.
#
# Usage: deploy/verify-dockerfile.sh [Dockerfile]      (as root: it needs unshare, mount and setpriv; and strace)
# Prints one `verify-dockerfile: ...` line per check and ends with `verify-dockerfile: OK`; exits non-zero on a failure.
set -euo pipefail

say() { echo "verify-dockerfile: $*"; }
fail() { echo "verify-dockerfile: FAILED: $*" >&2; exit 1; }

# The base image's environment (mcr.microsoft.com/dotnet/aspnet sets these) and its `app` user.
readonly BASE_IMAGE_ENV=(APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true)
readonly APP_UID=1654
# Where a process of the container may write: the tmpfs, and the kernel's and devices' pseudo files.
readonly WRITABLE='^(/tmp/|/proc/|/dev/)'

if [ "${1:-}" = "--inside" ]; then
  # ---- in the new mount and network namespaces: the container's root is a read-only bind of / with a tmpfs on
  # /tmp (a recursive bind: /proc and /dev stay as they are, as in a container); the output files stay writable
  # because they were opened through the original mount.
  shift
  work=$2
  exec 3>"$work/trace.txt" 4>"$work/server.log" 5>"$work/inside.log" 6>"$work/healthcheck.log"
  # The container part runs from a copy in the work directory: this script may live under /tmp (a checkout
  # there), which the container's tmpfs hides.
  cp "$0" "$work/verify-dockerfile.sh"
  ip link set lo up
  mkdir -p "$work/rootfs"
  mount --rbind / "$work/rootfs"
  mount -o remount,bind,ro "$work/rootfs"
  mount -t tmpfs -o mode=1777,size=64m tmpfs "$work/rootfs/tmp"
  exec chroot "$work/rootfs" bash "$work/verify-dockerfile.sh" --container "$@"
fi

if [ "${1:-}" = "--container" ]; then
  # ---- as the container: chrooted into the read-only root ----------------------------------------------------------
  shift
  app_dir=$1 work=$2 port=$3
  if [ -w / ] || [ -w "$app_dir" ] || ! [ -w /tmp ]; then echo "the root filesystem is writable, or /tmp is not" >&5; exit 1; fi

  IFS=$'\x1f' read -r -a entrypoint <<<"$ENTRYPOINT"
  IFS=$'\x1f' read -r -a healthcheck <<<"$HEALTHCHECK"
  as_app() { setpriv --reuid="$APP_UID" --regid="$APP_UID" --clear-groups --no-new-privs env -i "${RUN_ENV[@]}" "$@"; }
  IFS=$'\x1f' read -r -a RUN_ENV <<<"$CONTAINER_ENV"
  cd "$app_dir"

  # The server, traced for file writes; strace exits with the server's exit code.
  strace -f --seccomp-bpf -qq -o /dev/fd/3 \
    -e trace=open,openat,openat2,creat,mkdir,mkdirat,mknod,mknodat,rename,renameat,renameat2,unlink,unlinkat,link,linkat,symlink,symlinkat,truncate,bind \
    sh -c 'echo $$ > /tmp/.verify-app-pid && exec "$@"' verify-app \
    setpriv --reuid="$APP_UID" --regid="$APP_UID" --clear-groups --no-new-privs env -i "${RUN_ENV[@]}" "${entrypoint[@]}" >&4 2>&4 &
  tracer=$!

  started=$SECONDS healthy=""
  while [ $((SECONDS - started)) -lt 90 ]; do
    if as_app "${healthcheck[@]}" >&6 2>&6; then healthy=$((SECONDS - started)); break; fi
    kill -0 "$tracer" 2>/dev/null || { echo "the server exited before it was healthy" >&5; exit 1; }
    sleep 0.5
  done
  [ -n "$healthy" ] || { echo "HEALTHCHECK not healthy within 90 s" >&5; exit 1; }
  echo "healthy=$healthy" >&5

  base="http://127.0.0.1:$port"
  echo "readyz=$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" >&5
  echo "create=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-Api-Key: $API_KEY" -H 'Content-Type: application/json' -d '{}' "$base/v1/api/rooms")" >&5
  echo "anonymous=$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/api/rooms")" >&5
  echo "ready_metric=$(curl -s "$base/metrics" | grep -E '^relay_ready ' || true)" >&5

  # docker stop: SIGTERM to the container's process, then (after the grace period) SIGKILL.
  kill -TERM "$(cat /tmp/.verify-app-pid)"
  stopping=$SECONDS
  for _ in $(seq 1 250); do kill -0 "$tracer" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$tracer" 2>/dev/null; then echo "still running 25 s after SIGTERM" >&5; kill -KILL "$(cat /tmp/.verify-app-pid)"; fi
  code=0
  wait "$tracer" || code=$?
  echo "exit=$code stop_seconds=$((SECONDS - stopping))" >&5
  after=0
  as_app "${healthcheck[@]}" >&6 2>&6 || after=$?
  echo "healthcheck_after_exit=$after" >&5
  echo "tmp_left=$(cd /tmp && find . -mindepth 1 ! -name .verify-app-pid | tr '\n' ' ')" >&5
  exit 0
fi

# ---- outside: parse the Dockerfile, run the build stage, then the runtime stage in namespaces -------------------
self=$(readlink -f "$0")
root=$(cd "$(dirname "$self")/.." && pwd)
dockerfile=${1:-$root/Dockerfile}
[ -f "$dockerfile" ] || fail "no Dockerfile at $dockerfile"
[ "$(id -u)" -eq 0 ] || fail "run as root (unshare, mount and setpriv need it)"
for tool in unshare setpriv strace curl jq ip tar; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (Debian: util-linux, strace, curl, jq, iproute2, tar)"
done

# A directory outside /tmp: the runtime gets a fresh tmpfs on /tmp that would hide it.
work=$(mktemp -d "${RELAY_VERIFY_WORKDIR:-/var/tmp}/relay-dockerfile.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/build" "$work/runtime"

# Instructions one per line: comments dropped, continuation lines joined.
mapfile -t instructions < <(sed -e '/^[[:space:]]*#/d' "$dockerfile" | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' | sed -e '/^[[:space:]]*$/d')

# .dockerignore as tar exclusions (`**/bin/` -> `bin`: any path component; `bench/results/` -> that path).
excludes=()
if [ -f "$root/.dockerignore" ]; then
  while IFS= read -r pattern; do
    pattern=${pattern%%#*}; pattern=${pattern%"${pattern##*[![:space:]]}"}
    [ -n "$pattern" ] || continue
    pattern=${pattern#\*\*/}; pattern=${pattern%/}
    excludes+=("--exclude=$pattern")
  done <"$root/.dockerignore"
fi

# First the runtime stage's settings (the last stage's), checked before anything is built.
entrypoint_json="" healthcheck_json="" user="" stopsignal=""
for line in "${instructions[@]}"; do
  read -r keyword rest <<<"$line"
  case ${keyword^^} in
    FROM) entrypoint_json="" healthcheck_json="" user="" stopsignal="" ;;
    USER) user=$rest ;;
    HEALTHCHECK) healthcheck_json=$(sed -nE 's/.*CMD[[:space:]]+(\[.*\])[[:space:]]*$/\1/p' <<<"$rest") ;;
    ENTRYPOINT) entrypoint_json=$rest ;;
    STOPSIGNAL) stopsignal=$rest ;;
  esac
done
case $user in '$APP_UID' | '${APP_UID}' | "$APP_UID") ;; *) fail "USER is '$user', expected the base image's non-root \$APP_UID" ;; esac
[ "${stopsignal:-SIGTERM}" = "SIGTERM" ] || fail "STOPSIGNAL is $stopsignal, expected SIGTERM"
# The runtime image has no shell: ENTRYPOINT and the HEALTHCHECK command must be exec form (JSON arrays).
[ -n "$entrypoint_json" ] && jq -e 'type == "array" and length > 0' >/dev/null 2>&1 <<<"$entrypoint_json" || fail "no ENTRYPOINT in exec form: '$entrypoint_json'"
[ -n "$healthcheck_json" ] && jq -e 'type == "array" and length > 0' >/dev/null 2>&1 <<<"$healthcheck_json" || fail "no HEALTHCHECK CMD in exec form"
say "runtime stage: USER $user, ENTRYPOINT $entrypoint_json, HEALTHCHECK $healthcheck_json, STOPSIGNAL ${stopsignal:-SIGTERM}"

stage="" build_stage="" stage_root="" workdir="/" steps=0 runs=()
build_env=() runtime_env=() app_dir=""
for line in "${instructions[@]}"; do
  read -r keyword rest <<<"$line"
  keyword=${keyword^^}
  case $keyword in
    ARG) ;;
    FROM)
      stage=$(sed -nE 's/.*[[:space:]][Aa][Ss][[:space:]]+([^[:space:]]+)$/\1/p' <<<"$rest")
      [ -n "$build_stage" ] || build_stage=$stage
      stage_root="$work/$([ "$stage" = "$build_stage" ] && echo build || echo runtime)"
      workdir="/" ;;
    WORKDIR)
      workdir=$rest; mkdir -p "$stage_root$workdir" ;;
    ENV)
      for pair in $rest; do
        [[ $pair == *=* ]] || fail "ENV without '=' is not supported here: $line"
        if [ "$stage" = "$build_stage" ]; then build_env+=("$pair"); else runtime_env+=("$pair"); fi
      done ;;
    COPY)
      read -r -a words <<<"$rest"
      from=""
      while [[ ${words[0]} == --* ]]; do
        case ${words[0]} in --from=*) from=${words[0]#--from=} ;; esac
        words=("${words[@]:1}")
      done
      dest=${words[-1]}; sources=("${words[@]:0:${#words[@]}-1}")
      [[ $dest == /* ]] || dest="$workdir/$dest"
      target=$(realpath -m "$stage_root$dest")
      if [ -n "$from" ]; then
        [ "$from" = "$build_stage" ] || fail "COPY --from=$from: only the build stage is supported"
        for source in "${sources[@]}"; do
          [ -e "$work/build$source" ] || fail "COPY --from=$from $source: the build stage has no $source"
          mkdir -p "$target" && cp -a "$work/build$source/." "$target/"
        done
        app_dir=$target
      else
        for source in "${sources[@]}"; do
          [ -e "$root/$source" ] || fail "COPY $source: not in the build context"
          if [ -d "$root/$source" ]; then
            mkdir -p "$target"
            tar -C "$root/$source" "${excludes[@]}" -cf - . | tar -C "$target" -xf -
          else
            mkdir -p "$target" && cp -a "$root/$source" "$target/"
          fi
        done
      fi
      steps=$((steps + 1)) ;;
    RUN)
      [ "$stage" = "$build_stage" ] || fail "RUN in the runtime stage is not supported here: $line"
      command=$rest
      while [[ $command == --* ]]; do command=${command#* }; done   # BuildKit flags (--mount=type=cache,...)
      say "RUN $command"
      (cd "$stage_root$workdir" && env "${build_env[@]}" bash -c "$command") >"$work/run.log" 2>&1 \
        || { tail -40 "$work/run.log" >&2; fail "build step failed: RUN $command"; }
      runs+=("${command%% -*}")
      steps=$((steps + 1)) ;;
    USER | HEALTHCHECK | ENTRYPOINT | STOPSIGNAL | EXPOSE | LABEL | CMD | SHELL | VOLUME | ONBUILD) ;;
    *) fail "unsupported instruction: $line" ;;
  esac
done

say "build stage '$build_stage': $steps COPY/RUN steps ($(IFS=,; echo "${runs[*]}")) in a copy of the build context"
[ -n "$app_dir" ] && [ -f "$app_dir/Relay.Api.dll" ] || fail "the runtime stage copies no published Relay.Api.dll"
join_json() { jq -r 'join("\u001f")' <<<"$1"; }

api_key=$(head -c 24 /dev/urandom | base64 | tr -d '+/=')
port=8080
container_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/home/app "${BASE_IMAGE_ENV[@]}" "${runtime_env[@]}" "Relay__ApiKeys__0=$api_key")
chmod -R a+rX "$work/runtime"
say "runtime: ${entrypoint_json} in the runtime stage's ${app_dir#"$work/runtime"} as uid $APP_UID, read-only /, tmpfs /tmp, own network namespace"

ENTRYPOINT=$(join_json "$entrypoint_json") HEALTHCHECK=$(join_json "$healthcheck_json") API_KEY=$api_key \
  CONTAINER_ENV=$(IFS=$'\x1f'; echo "${container_env[*]}") \
  unshare --mount --net --propagation private -- "$self" --inside "$app_dir" "$work" "$port" \
  || { cat "$work/inside.log" "$work/server.log" >&2 2>/dev/null || true; fail "the runtime run failed"; }

declare -A result
while IFS='=' read -r key value; do result[$key]=$value; done <"$work/inside.log"
show_logs() { echo "--- server log" >&2; cat "$work/server.log" >&2; echo "--- healthcheck log" >&2; cat "$work/healthcheck.log" >&2; }
say "HEALTHCHECK ${healthcheck_json}: healthy after ${result[healthy]} s"
[ "${result[readyz]}" = 200 ] || { show_logs; fail "/readyz answered ${result[readyz]}"; }
[ "${result[create]}" = 201 ] || { show_logs; fail "POST /v1/api/rooms with the API key answered ${result[create]}"; }
[ "${result[anonymous]}" = 401 ] || { show_logs; fail "GET /v1/api/rooms without a key answered ${result[anonymous]}"; }
[ "${result[ready_metric]}" = "relay_ready 1" ] || { show_logs; fail "/metrics has '${result[ready_metric]}', expected relay_ready 1"; }
say "/readyz 200, POST /v1/api/rooms 201 (401 without the key), relay_ready 1"
read -r exit_part stop_part <<<"${result[exit]}"
[ "$exit_part" = 0 ] || { show_logs; fail "the server exited with ${result[exit]} after SIGTERM"; }
grep -q 'Shutting down: closed 1 rooms' "$work/server.log" || { show_logs; fail "no graceful shutdown in the server log"; }
say "SIGTERM: graceful shutdown ($(grep -o 'Shutting down: [^.]*' "$work/server.log" | head -1)), exit code 0, ${stop_part#stop_seconds=} s"
[ "${result[healthcheck_after_exit]}" != 0 ] || fail "the HEALTHCHECK still reports healthy after the server exited"
say "HEALTHCHECK after the exit: exit code ${result[healthcheck_after_exit]} (unhealthy)"

# File writes: every traced call that creates, opens for writing, renames, removes or binds a path.
writes=$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|^[0-9]+ +(creat|mkdir|mkdirat|mknod|mknodat|rename|renameat|renameat2|unlink|unlinkat|link|linkat|symlink|symlinkat|truncate)\(|sun_path=' "$work/trace.txt" \
  | grep -oE '(sun_path=)?"[^"]*"' | sed -e 's/^sun_path=//' -e 's/"//g' | sort -u || true)
outside=$(grep -vE "$WRITABLE" <<<"$writes" | grep -v '^$' || true)
if [ -n "$outside" ]; then
  grep -F -f <(echo "$outside") "$work/trace.txt" | head -20 >&2
  fail "the server wrote (or tried to write) outside /tmp, /proc and /dev: $(echo "$outside" | tr '\n' ' ')"
fi
say "writes outside /tmp, /proc and /dev: none ($(grep -c . "$work/trace.txt") file calls traced); in /tmp: $(grep -E '^/tmp/' <<<"$writes" | grep -v verify-app-pid | sed -E 's/-[0-9]+-[0-9]+-/-<pid>-/' | sort -u | tr '\n' ' ')"
say OK
