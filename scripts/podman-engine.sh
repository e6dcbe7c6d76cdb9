#!/usr/bin/env bash
# Makes a Podman engine with a Docker-compatible API available for latentci's tests, beside (not
# instead of) the Docker engine, and stops exactly the one it started. Idempotent.
#
#   scripts/podman-engine.sh start    # install podman if needed (Debian/Ubuntu, root), start its API service
#   scripts/podman-engine.sh stop     # stop the service this script started and remove its containers
#   scripts/podman-engine.sh status   # say whether it runs and where its socket is
#   scripts/podman-engine.sh socket   # print the socket path (DOCKER_HOST=unix://$(… socket))
#
# Rootful Podman with everything private to $LATENTCI_PODMAN_DIR (default <repo>/.engine/podman): its
# own storage (the vfs driver: overlay does not work inside this kind of machine), run root, events
# file and API socket, so it never touches a system-wide Podman. `default_ulimits = []` because runc
# cannot set the default rlimits here ("error setting rlimit type 7: operation not permitted").
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
podman_dir=${LATENTCI_PODMAN_DIR:-$repo_root/.engine/podman}
socket=$podman_dir/podman.sock
pid_file=$podman_dir/service.pid
log_file=$podman_dir/service.log

say() { printf 'podman-engine: %s\n' "$*" >&2; }

export CONTAINERS_STORAGE_CONF=$podman_dir/storage.conf
export CONTAINERS_CONF=$podman_dir/containers.conf

write_configuration() {
  mkdir -p "$podman_dir"
  cat >"$CONTAINERS_STORAGE_CONF" <<EOF
[storage]
driver = "vfs"
graphroot = "$podman_dir/storage"
runroot = "$podman_dir/run"
EOF
  cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$podman_dir/events.log"
EOF
}

install_packages() {
  # catatonit is Podman's init (HostConfig.Init: true): a recommends, so named explicitly.
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  if [ "$(uname -s)" != Linux ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "missing ${missing[*]}: install Podman (Debian/Ubuntu: apt-get install podman catatonit), or run this script as root on Debian/Ubuntu"
    return 1
  fi
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
}

started_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q podman "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

answers() { curl -fsS --max-time 5 --unix-socket "$socket" http://podman/_ping >/dev/null 2>&1; }

start() {
  if started_pid >/dev/null && answers; then
    say "the Podman service this script started is running (pid $(started_pid)), socket $socket"
    return 0
  fi
  install_packages
  write_configuration
  rm -f "$socket"
  say "starting podman system service on unix://$socket, log in $log_file"
  setsid nohup podman system service --time=0 "unix://$socket" >"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  for _ in $(seq 1 30); do
    if answers; then
      say "Podman ready ($(podman version --format '{{.Server.Version}}' 2>/dev/null)), DOCKER_HOST=unix://$socket"
      return 0
    fi
    sleep 1
  done
  say "the Podman service did not answer within 30 s; last lines of $log_file:"
  tail -n 20 "$log_file" >&2 || true
  return 1
}

stop() {
  local pid
  if ! pid=$(started_pid); then
    say "no Podman service started by this script is running; nothing to stop"
    return 0
  fi
  # Containers outlive the API service (conmon keeps them): remove them first. The storage is
  # private to this script, so every container in it is ours.
  podman rm --all --force --time 0 >/dev/null 2>&1 || true
  say "stopping the Podman service (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do
    [ -d "/proc/$pid" ] || { rm -f "$pid_file" "$socket"; return 0; }
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pid_file" "$socket"
}

status() {
  if pid=$(started_pid) && answers; then say "running (pid $pid), socket $socket"; else say "not running"; fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  socket) echo "$socket" ;;
  *) say "usage: $0 [start|stop|status|socket]"; exit 2 ;;
esac
