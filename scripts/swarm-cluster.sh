#!/usr/bin/env bash
# A real Docker Swarm on one machine for @latentci/swarm's tests, built only from private engines so
# the shared Docker engine is never touched (no `docker swarm init` there).
#
#   scripts/swarm-cluster.sh start    # two-node swarm (manager + worker) and a single-node swarm
#   scripts/swarm-cluster.sh stop     # removes everything start created (idempotent)
#   scripts/swarm-cluster.sh status   # `docker node ls` of each swarm
#   scripts/swarm-cluster.sh acquire ID / release ID
#                                     # for test files running in parallel: start unless running and
#                                     # hold a lease; the last live lease released stops everything
#
# Each node is a private dockerd (own data root, exec root, pid file, unix socket) running in its own
# network namespace and UTS namespace (its own hostname), joined to the host by a veth pair on a
# host bridge:
#
#   host  lciswarm0 10.214.0.1/24  (the test master and the test registry listen here)
#   ├── netns latentci-swarm-manager  10.214.0.2  hostname swarm-manager  (manager of "cluster")
#   ├── netns latentci-swarm-worker   10.214.0.3  hostname swarm-worker   (worker of "cluster")
#   └── netns latentci-swarm-solo     10.214.0.4  hostname swarm-solo     (a single-node swarm)
#
# Sockets: /run/latentci-swarm/<node>/docker.sock. The file /run/latentci-swarm/cluster.env tells
# the tests where everything is. Needs root, dockerd, ip, iptables, unshare (see
# scripts/prerequisites.d/40-swarm.sh).
set -euo pipefail

state=${LATENTCI_SWARM_STATE:-/run/latentci-swarm}
data=${LATENTCI_SWARM_DATA:-/var/lib/latentci-swarm}
bridge=lciswarm0
host_address=10.214.0.1
nodes=(manager worker solo)

say() { printf 'swarm-cluster: %s\n' "$*" >&2; }

node_index() { case "$1" in manager) echo 2 ;; worker) echo 3 ;; solo) echo 4 ;; esac; }
node_address() { echo "10.214.0.$(node_index "$1")"; }
namespace() { echo "latentci-swarm-$1"; }
host_veth() { echo "lcisw-$1"; }
socket() { echo "$state/$1/docker.sock"; }
node_docker() {
  local node=$1
  shift
  docker --host "unix://$(socket "$node")" "$@"
}

forward_rule=(FORWARD -i "$bridge" -o "$bridge" -j ACCEPT)

start_network() {
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add name "$bridge" type bridge
    ip addr add "$host_address/24" dev "$bridge"
  fi
  ip link set "$bridge" up
  # The shared engine sets FORWARD's policy to DROP and bridged traffic passes through iptables
  # (br_netfilter): let the nodes talk to each other across the bridge.
  iptables -C "${forward_rule[@]}" 2>/dev/null || iptables -I "${forward_rule[@]}"
  for node in "${nodes[@]}"; do
    local ns veth
    ns=$(namespace "$node")
    veth=$(host_veth "$node")
    ip netns list | grep -qw "$ns" || ip netns add "$ns"
    if ! ip link show "$veth" >/dev/null 2>&1; then
      ip link add "$veth" type veth peer name eth0 netns "$ns"
      ip link set "$veth" master "$bridge" up
      ip -n "$ns" addr add "$(node_address "$node")/24" dev eth0
      ip -n "$ns" link set eth0 up
      ip -n "$ns" link set lo up
      ip -n "$ns" route add default via "$host_address"
    fi
  done
}

engine_answers() { timeout 5 docker --host "unix://$(socket "$1")" version >/dev/null 2>&1; }

start_engine() {
  local node=$1 index
  index=$(node_index "$node")
  mkdir -p "$state/$node" "$data/$node"
  if engine_answers "$node"; then return 0; fi
  say "starting dockerd for $node in netns $(namespace "$node") (log $state/$node/dockerd.log)"
  # dockerd gets its own network namespace, hostname and (slave) mount namespace with a sysfs of
  # its network namespace; the host's cgroup hierarchies are bound back under it (dockerd needs
  # them). Its overlay mounts stay in its mount namespace and never appear on the host.
  mkdir -p "$state/$node/host-cgroup"
  setsid nohup nsenter --net="/run/netns/$(namespace "$node")" -- \
    unshare --uts --mount --propagation slave sh -c '
    hostname "swarm-$1"
    mount --rbind /sys/fs/cgroup "$2"
    mount -t sysfs sysfs /sys
    mount --rbind "$2" /sys/fs/cgroup
    shift 2
    exec dockerd "$@"' sh "$node" "$state/$node/host-cgroup" \
    --host "unix://$(socket "$node")" \
    --data-root "$data/$node/data" \
    --exec-root "$state/$node/exec" \
    --pidfile "$state/$node/dockerd.pid" \
    --bip "10.215.$index.1/24" \
    --default-address-pool "base=10.216.$index.0/24,size=28" \
    --insecure-registry 10.214.0.0/24 \
    --userland-proxy=false \
    >"$state/$node/dockerd.log" 2>&1 </dev/null 9>&- &
}

wait_engine() {
  local node=$1
  for _ in $(seq 1 90); do
    engine_answers "$node" && return 0
    sleep 1
  done
  say "the $node engine did not answer within 90 s; the end of its log:"
  tail -n 30 "$state/$node/dockerd.log" >&2 || true
  return 1
}

swarm_state() { node_docker "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown; }

form_swarms() {
  if [ "$(swarm_state manager)" != active ]; then
    say "manager: swarm init"
    node_docker manager swarm init --advertise-addr "$(node_address manager)" \
      --listen-addr "$(node_address manager):2377" --default-addr-pool 10.217.0.0/16 >/dev/null
  fi
  if [ "$(swarm_state worker)" != active ]; then
    say "worker: swarm join"
    node_docker worker swarm join --token "$(node_docker manager swarm join-token -q worker)" \
      --advertise-addr "$(node_address worker)" --listen-addr "$(node_address worker):2377" \
      "$(node_address manager):2377" >/dev/null
  fi
  if [ "$(swarm_state solo)" != active ]; then
    say "solo: swarm init (a single-node swarm)"
    node_docker solo swarm init --advertise-addr "$(node_address solo)" \
      --listen-addr "$(node_address solo):2377" --default-addr-pool 10.218.0.0/16 >/dev/null
  fi
  for _ in $(seq 1 60); do
    [ "$(node_docker manager node ls --filter role=worker --format '{{.Status}}' 2>/dev/null)" = Ready ] && break
    sleep 1
  done
  node_docker manager node update --label-add latentci.node=manager "$(node_docker manager info --format '{{.Swarm.NodeID}}')" >/dev/null
  node_docker manager node update --label-add latentci.node=worker "$(node_docker worker info --format '{{.Swarm.NodeID}}')" >/dev/null
  cat >"$state/cluster.env" <<EOF
LATENTCI_SWARM_MANAGER_SOCKET=$(socket manager)
LATENTCI_SWARM_WORKER_SOCKET=$(socket worker)
LATENTCI_SWARM_SOLO_SOCKET=$(socket solo)
LATENTCI_SWARM_HOST_ADDRESS=$host_address
EOF
}

start() {
  if [ "$(id -u)" != 0 ]; then say "needs root (network namespaces, a bridge, dockerd)"; return 1; fi
  for tool in dockerd docker ip iptables unshare; do
    command -v "$tool" >/dev/null 2>&1 || { say "$tool is missing: run scripts/prerequisites.d/40-swarm.sh"; return 1; }
  done
  start_network
  for node in "${nodes[@]}"; do start_engine "$node"; done
  for node in "${nodes[@]}"; do wait_engine "$node"; done
  form_swarms
  status
}

# Processes whose command line names this node's state (dockerd, its containerd, the shims).
processes_of() {
  { grep -alsF -- "$1" /proc/[0-9]*/cmdline || true; } | cut -d/ -f3
}

remove_workloads() {
  local node=$1
  engine_answers "$node" || return 0
  # Services first, so nothing restarts while containers go; a swarm's state is deleted below.
  node_docker "$node" service ls -q 2>/dev/null | xargs -r docker --host "unix://$(socket "$node")" service rm >/dev/null 2>&1 || true
  node_docker "$node" ps -aq 2>/dev/null | xargs -r docker --host "unix://$(socket "$node")" rm -f >/dev/null 2>&1 || true
}

stop_engines() {
  local node pid pids=()
  for node in "${nodes[@]}"; do
    [ -f "$state/$node/dockerd.pid" ] || continue
    pid=$(cat "$state/$node/dockerd.pid")
    if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for _ in $(seq 1 60); do
    local alive=0
    for pid in "${pids[@]}"; do [ -d "/proc/$pid" ] && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for node in "${nodes[@]}"; do
    for pid in $(processes_of "$state/$node/") $(processes_of "$data/$node/"); do
      kill -KILL "$pid" 2>/dev/null || true
    done
  done
}

stop() {
  for node in "${nodes[@]}"; do remove_workloads "$node"; done
  stop_engines
  for node in "${nodes[@]}"; do
    local ns
    ns=$(namespace "$node")
    ip link del "$(host_veth "$node")" 2>/dev/null || true
    # Processes still in the namespace (none expected) would keep it alive.
    if ip netns list | grep -qw "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  iptables -D "${forward_rule[@]}" 2>/dev/null || true
  ip link del "$bridge" 2>/dev/null || true
  # Mounts live in the nodes' private mount namespaces, gone with their processes; unmount any that
  # reached the host anyway before deleting the state.
  { grep -oE " ($data|$state)/[^ ]*" /proc/mounts || true; } | sort -r | while read -r mount; do umount -l "$mount" || true; done
  rm -rf "$state" "$data"
  say "stopped; state removed"
}

status() {
  for node in manager solo; do
    if engine_answers "$node"; then
      say "docker node ls ($node's swarm):"
      node_docker "$node" node ls
    else
      say "$node: not running"
    fi
  done
}

leases=${state}-leases

locked() {
  exec 9>"${state}.lock"
  flock 9
  "$@"
}

live_leases() {
  local lease count=0
  for lease in "$leases"/*; do
    [ -e "$lease" ] || continue
    if [ -d "/proc/${lease##*/}" ]; then count=$((count + 1)); else rm -f "$lease"; fi
  done
  echo "$count"
}

acquire() {
  [ -n "${1:-}" ] || { say "usage: $0 acquire <pid of the holder>"; return 2; }
  mkdir -p "$leases"
  touch "$leases/$1"
  start
}

release() {
  [ -n "${1:-}" ] || { say "usage: $0 release <pid of the holder>"; return 2; }
  rm -f "$leases/$1"
  if [ "$(live_leases)" -eq 0 ]; then
    rm -rf "$leases"
    stop
  fi
}

case "${1:-start}" in
  start) locked start ;;
  stop) locked stop; rm -rf "$leases" ;;
  status) status ;;
  acquire) locked acquire "${2:-}" ;;
  release) locked release "${2:-}" ;;
  *) say "usage: $0 start|stop|status|acquire ID|release ID"; exit 2 ;;
esac
