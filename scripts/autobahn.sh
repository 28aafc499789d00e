#!/usr/bin/env bash
# Runs the Autobahn testsuite against rfc6455 and prints its results by category.
#
#   scripts/autobahn.sh [--compression] server|client [CASES]
#
#   server   tests our server: scripts/echo-server.ts is the testee, wstest the fuzzing client
#   client   tests our client: scripts/echo-client.ts drives the cases of wstest's fuzzing server
#   CASES    comma-separated case ids or patterns, e.g. '1.*,2.1,7.7.*' (default: all)
#   --compression  passes --compression to the testee and runs categories 12 and 13 (which are
#            left out otherwise: a testee that does not negotiate permessage-deflate fails them)
#
# The suite runs in Docker (crossbario/autobahn-testsuite) when a Docker engine answers, else with
# a wstest found on PATH. Environment:
#   WSTEST=PATH              use this wstest, even when Docker is available
#   AUTOBAHN_COMPRESSION=1   same as --compression
#   AUTOBAHN_PORT=9001       the testee's port (server mode) or wstest's (client mode)
#   AUTOBAHN_IMAGE=IMAGE     the Docker image (default crossbario/autobahn-testsuite)
#   AUTOBAHN_REPORTS=DIR     where reports go (default autobahn/reports)
#   AUTOBAHN_SERVER_TESTEE, AUTOBAHN_CLIENT_TESTEE   other testee scripts taking the same flags
#
# Reports go to autobahn/reports/servers (server mode) or autobahn/reports/clients (client mode).
# Exit status: 0 when every case is OK or INFORMATIONAL, 1 when not, 2 when the suite could not
# run (neither Docker nor wstest, or a testee that did not start), 64 for bad usage.
set -uo pipefail

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

mode=''
cases=''
case "${AUTOBAHN_COMPRESSION:-0}" in
  0 | '') compression=0 ;;
  *) compression=1 ;;
esac
for arg in "$@"; do
  case "$arg" in
    --compression) compression=1 ;;
    -h | --help) usage; exit 0 ;;
    server | client) [ -z "$mode" ] || { usage >&2; exit 64; }; mode="$arg" ;;
    -*) echo "unknown option: $arg" >&2; usage >&2; exit 64 ;;
    *) [ -z "$cases" ] || { usage >&2; exit 64; }; cases="$arg" ;;
  esac
done
[ -n "$mode" ] || { usage >&2; exit 64; }

port="${AUTOBAHN_PORT:-9001}"
image="${AUTOBAHN_IMAGE:-crossbario/autobahn-testsuite}"
agent='rfc6455'

# --- Which harness: an explicit WSTEST, a Docker engine that answers, or wstest on PATH.
engine_answers() {
  command -v docker >/dev/null 2>&1 || return 1
  if command -v timeout >/dev/null 2>&1; then timeout 20 docker info >/dev/null 2>&1; else docker info >/dev/null 2>&1; fi
}
runner=''
wstest=''
if [ -n "${WSTEST:-}" ]; then
  wstest="$(command -v "$WSTEST" 2>/dev/null || true)"
  [ -n "$wstest" ] || { echo "WSTEST=$WSTEST is not an executable wstest" >&2; exit 2; }
  runner=wstest
elif engine_answers; then
  runner=docker
elif command -v wstest >/dev/null 2>&1; then
  runner=wstest
  wstest="$(command -v wstest)"
else
  # printf, not cat: this must be readable even with nothing on PATH.
  printf '%s\n' >&2 \
    'Cannot run the Autobahn testsuite: no Docker engine answers and no wstest is on PATH.' \
    "Either start Docker (the script runs $image), or install wstest (pip install autobahntestsuite," \
    'Python 2) and put it on PATH or name it with WSTEST=/path/to/wstest.' \
    "Without either, 'npm test' still runs our own conformance suite (test/conformance/)."
  exit 2
fi
command -v node >/dev/null 2>&1 || { echo 'node is not on PATH' >&2; exit 2; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reports="${AUTOBAHN_REPORTS:-$root/autobahn/reports}"
mkdir -p "$reports" && reports="$(cd "$reports" && pwd)" || exit 2
cd "$root" || exit 2
# Background processes are started as simple commands, never through a function: then $! is
# the process itself, not a subshell that would leave it running when killed.
tsx() { node --import tsx "$@"; }

if [ "$mode" = server ]; then
  wstest_mode=fuzzingclient
  report_dir=servers
  testee="${AUTOBAHN_SERVER_TESTEE:-scripts/echo-server.ts}"
else
  wstest_mode=fuzzingserver
  report_dir=clients
  testee="${AUTOBAHN_CLIENT_TESTEE:-scripts/echo-client.ts}"
fi
[ -f "$testee" ] || { echo "the testee $testee does not exist" >&2; exit 2; }
testee_flags=()
[ "$compression" = 1 ] && testee_flags+=(--compression)

outdir="$reports/$report_dir"
spec="$reports/$wstest_mode.json"
# wstest sees the reports directory as /reports in the container.
wstest_outdir="$outdir"
[ "$runner" = docker ] && wstest_outdir="/reports/$report_dir"
spec_flags=(--out "$spec" --port "$port" --cases "$cases" --outdir "$wstest_outdir")
[ "$compression" = 1 ] && spec_flags+=(--compression)
tsx scripts/autobahn-spec.ts "$mode" "${spec_flags[@]}" || exit 2
rm -f "$outdir/index.json" # never report on a previous run

# --- Processes we start, stopped however the script ends.
testee_pid=''
wstest_pid=''
container=''
cleanup() {
  [ -z "$testee_pid" ] || kill "$testee_pid" 2>/dev/null
  [ -z "$wstest_pid" ] || kill "$wstest_pid" 2>/dev/null
  [ -z "$container" ] || docker stop --time 2 "$container" >/dev/null 2>&1
  wait
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs wstest in the foreground (extra arguments go to `docker run`). Host networking lets the
# container reach a testee on 127.0.0.1 and the testee reach wstest's server.
run_wstest() {
  if [ "$runner" = docker ]; then
    docker run --rm --network host -v "$reports:/reports" "$@" "$image" \
      wstest --mode "$wstest_mode" --spec "/reports/$wstest_mode.json"
  else
    "$wstest" --mode "$wstest_mode" --spec "$spec"
  fi
}

harness="Docker image $image"
[ "$runner" = docker ] || harness="$wstest"
echo "Autobahn $wstest_mode ($harness) against $testee ${testee_flags[*]-}"
echo "cases: ${cases:-all}$([ "$compression" = 1 ] || echo ' but 12.* and 13.* (no --compression)')"

if [ "$mode" = server ]; then
  log="$reports/testee.log"
  # The log exists before the testee starts: the backgrounded redirect creates it only when the
  # child runs, and a grep before that would fail on a missing file.
  : >"$log"
  node --import tsx "$testee" --port "$port" --host 127.0.0.1 ${testee_flags[@]+"${testee_flags[@]}"} >"$log" 2>&1 &
  testee_pid=$!
  for ((i = 0; i < 240; i++)); do
    grep -q 'listening on' "$log" && break
    if ! kill -0 "$testee_pid" 2>/dev/null; then
      echo "the testee exited before it was listening:" >&2
      cat "$log" >&2
      exit 2
    fi
    sleep 0.25
  done
  grep -q 'listening on' "$log" || { echo "the testee did not start listening within 60 s" >&2; exit 2; }
  run_wstest
  status=$?
  kill "$testee_pid" 2>/dev/null
  wait "$testee_pid" 2>/dev/null
  testee_pid=''
else
  log="$reports/wstest.log"
  : >"$log" # there to show even if wstest never starts
  if [ "$runner" = docker ]; then
    container="rfc6455-autobahn-$$"
    run_wstest --detach --name "$container" >"$log" 2>&1 || { cat "$log" >&2; container=''; exit 2; }
  else
    "$wstest" --mode "$wstest_mode" --spec "$spec" >"$log" 2>&1 &
    wstest_pid=$!
  fi
  listening=0
  for ((i = 0; i < 240; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then listening=1; break; fi
    sleep 0.25
  done
  [ "$listening" = 1 ] || { echo "wstest did not start listening on port $port within 60 s:" >&2; cat "$log" >&2; exit 2; }
  tsx "$testee" --url "ws://127.0.0.1:$port" --agent "$agent" ${testee_flags[@]+"${testee_flags[@]}"}
  status=$?
fi
[ "$status" = 0 ] || echo "warning: the $([ "$mode" = server ] && echo wstest || echo testee) run exited with status $status" >&2

if [ ! -f "$outdir/index.json" ]; then
  echo "no report was written to $outdir/index.json" >&2
  exit 2
fi
echo
tsx scripts/autobahn-report.ts "$outdir/index.json"
result=$?
echo "HTML report: $outdir/index.html"
exit "$result"
