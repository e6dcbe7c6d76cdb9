#!/usr/bin/env bash
# Makes a Docker engine available for latentci's tests and demo, and can stop exactly the one it
# started. Idempotent. Never touches an engine it did not start.
#
#   scripts/docker-engine.sh start    # default: reuse a running engine, or install + start one
#   scripts/docker-engine.sh stop     # stop the engine this script started (and nothing else)
#   scripts/docker-engine.sh status   # say what is running and where the TLS material is
#
# The engine it starts listens on the unix socket and on a TLS listener tcp://127.0.0.1:2376 with a
# CA/server/client certificate set generated with openssl in $LATENTCI_ENGINE_DIR/tls (default
# <repo>/.engine/tls), so the docker provider's TLS path is tested for real. dockerd applies its TLS
# flags to all TCP listeners, so plain tcp:// is tested through a loopback forwarder instead
# (@latentci/docker/testing).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
engine_dir=${LATENTCI_ENGINE_DIR:-$repo_root/.engine}
tls_dir=$engine_dir/tls
pid_file=$engine_dir/dockerd.pid
log_file=$engine_dir/dockerd.log
tls_port=${LATENTCI_DOCKER_TLS_PORT:-2376}

say() { printf 'docker-engine: %s\n' "$*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

started_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q dockerd "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

explain_missing() {
  say "no Docker engine answers 'docker info'."
  case "$(uname -s)" in
    Darwin) say "on macOS start Docker Desktop, Colima or OrbStack, then run this again." ;;
    *) say "install Docker (Debian/Ubuntu: apt-get install docker.io busybox-static) and start it, or run this script as root on Debian/Ubuntu to have it do so." ;;
  esac
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
}

make_tls_material() {
  [ -f "$tls_dir/ca.pem" ] && [ -f "$tls_dir/server-cert.pem" ] && [ -f "$tls_dir/cert.pem" ] && return 0
  say "generating a CA, a server and a client certificate in $tls_dir"
  mkdir -p "$tls_dir"
  (
    cd "$tls_dir"
    openssl genrsa -out ca-key.pem 2048 2>/dev/null
    openssl req -new -x509 -days 3650 -key ca-key.pem -sha256 -subj '/CN=latentci test CA' -out ca.pem 2>/dev/null
    openssl genrsa -out server-key.pem 2048 2>/dev/null
    openssl req -new -key server-key.pem -subj '/CN=localhost' -out server.csr 2>/dev/null
    printf 'subjectAltName = DNS:localhost,IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' >server-ext.cnf
    openssl x509 -req -days 3650 -sha256 -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
      -out server-cert.pem -extfile server-ext.cnf 2>/dev/null
    openssl genrsa -out key.pem 2048 2>/dev/null
    openssl req -new -key key.pem -subj '/CN=latentci client' -out client.csr 2>/dev/null
    printf 'extendedKeyUsage = clientAuth\n' >client-ext.cnf
    openssl x509 -req -days 3650 -sha256 -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
      -out cert.pem -extfile client-ext.cnf 2>/dev/null
    rm -f server.csr client.csr server-ext.cnf client-ext.cnf
    chmod 600 ca-key.pem server-key.pem key.pem
  )
}

start() {
  if engine_answers; then
    if started_pid >/dev/null; then say "the engine this script started is running (pid $(started_pid))"; else say "a Docker engine is already running; using it as it is"; fi
    return 0
  fi
  if [ "$(uname -s)" != Linux ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    explain_missing
    return 1
  fi
  install_packages
  make_tls_material
  mkdir -p "$engine_dir"
  say "starting dockerd (unix socket + TLS on tcp://127.0.0.1:$tls_port), log in $log_file"
  setsid nohup dockerd \
    --host unix:///var/run/docker.sock \
    --host "tcp://127.0.0.1:$tls_port" \
    --tlsverify --tlscacert "$tls_dir/ca.pem" --tlscert "$tls_dir/server-cert.pem" --tlskey "$tls_dir/server-key.pem" \
    --pidfile "$pid_file" >"$log_file" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    if engine_answers; then
      say "engine ready (server $(docker version --format '{{.Server.Version}}' 2>/dev/null))"
      return 0
    fi
    sleep 1
  done
  say "dockerd did not answer within 60 s; last lines of $log_file:"
  tail -n 20 "$log_file" >&2 || true
  return 1
}

stop() {
  local pid
  if ! pid=$(started_pid); then
    say "no engine started by this script is running; nothing to stop"
    return 0
  fi
  say "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 30); do
    [ -d "/proc/$pid" ] || { rm -f "$pid_file"; return 0; }
    sleep 1
  done
  say "dockerd did not exit within 30 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

status() {
  if engine_answers; then
    if pid=$(started_pid); then say "running, started by this script (pid $pid)"; else say "running, not started by this script"; fi
  else
    say "not running"
  fi
  [ -f "$tls_dir/ca.pem" ] && say "TLS material: $tls_dir (tcp://127.0.0.1:$tls_port)"
  return 0
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) say "usage: $0 [start|stop|status]"; exit 2 ;;
esac
