/**
 * The probe worker: a POSIX sh script for busybox that behaves like a Buildbot worker as far as the
 * environment contract goes. It reads `BUILDMASTER`, `BUILDMASTER_PORT`, `WORKERNAME` and
 * `WORKERPASS`, connects to the master with busybox `nc`, presents the name and password in the
 * attach protocol (see `attach-protocol.ts`), reports its environment, and then stays alive until
 * it is stopped. It exits promptly on SIGTERM/SIGINT, also as PID 1 without an init.
 *
 * Knobs (environment variables) for conformance cases:
 * - `PROBE_EXIT_BEFORE_ATTACH=<message>`: print the message to stderr and exit 1 before connecting.
 * - `PROBE_DELAY_SECONDS=<n>`: wait n seconds before connecting (or before exiting, with the knob above).
 * - `PROBE_WRONG_PASSWORD=1`: present a wrong password.
 * - `PROBE_CONNECT_ATTEMPTS=<n>`: connection attempts, one second apart (default 30).
 * - `PROBE_BUSYBOX=<path>`: the busybox binary to run applets with (default `/bin/busybox` when it
 *   exists, else the applets on `PATH`).
 *
 * Run it as a file (`/bin/busybox sh /path/to/probe.sh`, or as an image entrypoint): it re-runs
 * itself through `nc -e "$0" --session` for the connection.
 *
 * The script deliberately contains no `${` (it lives in a template literal): defaults are set with
 * `[ -n "$X" ] || X=...`.
 */
export const PROBE_SCRIPT = String.raw`#!/bin/sh
# latentci probe worker: connects back to the master like a Buildbot worker, then stays alive.
BB=$PROBE_BUSYBOX
if [ -z "$BB" ] && [ -x /bin/busybox ]; then BB=/bin/busybox; fi

if [ "$1" = --session ]; then
  # nc -e: stdin and stdout are the connection to the master; stderr is the probe's own output.
  password=$WORKERPASS
  if [ "$PROBE_WRONG_PASSWORD" = 1 ]; then password=latentci-probe-wrong-password; fi
  printf 'LATENTCI-PROBE 1 %s %s\n' "$WORKERNAME" "$password"
  printf 'ENV %s\n' "$($BB awk 'function esc(s) {
      gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\n/, "\\n", s); gsub(/\r/, "\\r", s); gsub(/\t/, "\\t", s)
      return s
    }
    BEGIN {
      out = "{"; sep = ""
      for (k in ENVIRON) { out = out sep "\"" esc(k) "\":\"" esc(ENVIRON[k]) "\""; sep = "," }
      print out "}"
    }' </dev/null)"
  if ! IFS= read -r reply; then exit 4; fi
  case "$reply" in
    OK*)
      echo "latentci-probe: attached to the master as $WORKERNAME" >&2
      # Hold the connection until the master closes it.
      while IFS= read -r line; do :; done
      exit 0
      ;;
    DENIED*)
      echo "latentci-probe: the master refused worker $WORKERNAME (unknown name or wrong password)" >&2
      exit 3
      ;;
    *) exit 4 ;;
  esac
fi

child=
terminate() {
  if [ -n "$child" ]; then kill "$child" 2>/dev/null; fi
  exit 143
}
trap terminate TERM INT HUP

# Sleeps in the background so that a trapped signal interrupts the wait at once.
pause() {
  $BB sleep "$1" &
  child=$!
  wait "$child"
  child=
}

if [ -n "$PROBE_DELAY_SECONDS" ]; then
  echo "latentci-probe: waiting $PROBE_DELAY_SECONDS s before connecting" >&2
  pause "$PROBE_DELAY_SECONDS"
fi
if [ -n "$PROBE_EXIT_BEFORE_ATTACH" ]; then
  echo "$PROBE_EXIT_BEFORE_ATTACH" >&2
  exit 1
fi
for variable in BUILDMASTER BUILDMASTER_PORT WORKERNAME WORKERPASS; do
  eval "value=\$$variable"
  if [ -z "$value" ]; then
    echo "latentci-probe: $variable is not set" >&2
    exit 2
  fi
done

# An IPv6 address may come bracketed; nc takes it bare.
host=$(printf '%s' "$BUILDMASTER" | $BB tr -d '[]')
attempts=$PROBE_CONNECT_ATTEMPTS
[ -n "$attempts" ] || attempts=30
echo "latentci-probe: connecting to $host port $BUILDMASTER_PORT as $WORKERNAME" >&2
attempt=0
while :; do
  attempt=$((attempt + 1))
  $BB nc -w 5 "$host" "$BUILDMASTER_PORT" -e $BB sh "$0" --session &
  child=$!
  wait "$child"
  status=$?
  child=
  case $status in
    0) break ;;
    3) exit 1 ;;
  esac
  if [ "$attempt" -ge "$attempts" ]; then
    echo "latentci-probe: could not attach to the master at $host port $BUILDMASTER_PORT after $attempt attempts" >&2
    exit 1
  fi
  pause 1
done
echo "latentci-probe: the master closed the connection; staying alive until stopped" >&2
while :; do pause 3600; done
`;
