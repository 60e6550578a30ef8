#!/bin/sh
# Starts glusterd in the foreground with the brick port range pinned.
set -eu

base=${GLUSTER_BASE_PORT:-49152}
max=${GLUSTER_MAX_PORT:-49161}
case "$base$max" in
  *[!0-9]*|'') echo "gluster-entrypoint: GLUSTER_BASE_PORT/GLUSTER_MAX_PORT must be numbers (got '$base', '$max')" >&2; exit 64 ;;
esac
# base-port == max-port makes a restart fail while the old port sits in TIME_WAIT
# ("All the ports in the range are exhausted", glusterfs#4505), so demand headroom.
if [ "$base" -lt 1024 ] || [ "$max" -gt 65535 ] || [ "$max" -le "$base" ]; then
  echo "gluster-entrypoint: need 1024 <= GLUSTER_BASE_PORT < GLUSTER_MAX_PORT <= 65535 (got $base..$max)" >&2
  exit 64
fi

# Since GlusterFS 10 brick ports are random within [base-port, max-port]; pinning them is
# what lets a firewall rule be exact. The file is rewritten on every start so the range
# always follows the container's configuration.
mkdir -p /etc/glusterfs
cat > /etc/glusterfs/glusterd.vol <<VOL
volume management
    type mgmt/glusterd
    option working-directory /var/lib/glusterd
    option transport-type socket
    option transport.socket.keepalive-time 10
    option transport.socket.keepalive-interval 2
    option transport.socket.read-fail-log off
    option transport.socket.listen-port 24007
    option transport.address-family inet
    option ping-timeout 0
    option event-threads 1
    option base-port $base
    option max-port $max
end-volume
VOL

# An empty state volume or host directory gets glusterd's pristine working directory.
# glusterd.info (the node's UUID) is then created by glusterd itself on first start.
if [ ! -d /var/lib/glusterd/hooks ]; then
  cp -a /usr/local/share/glusterd-seed/. /var/lib/glusterd/
fi
mkdir -p /var/log/glusterfs /run/gluster

# The self-heal daemon connects to "localhost": it must resolve to 127.0.0.1.
if ! grep -Eq '^127\.0\.0\.1[[:space:]]+([^#]*[[:space:]])?localhost([[:space:]]|$)' /etc/hosts; then
  echo '127.0.0.1 localhost' >> /etc/hosts
fi

# On stop, let the brick and self-heal processes (daemonized, so outside our process
# group) exit cleanly before glusterd does.
stop() {
  pkill -TERM -x glusterfsd 2>/dev/null || true
  pkill -TERM -x glusterfs 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exit 0
}
trap stop TERM INT

glusterd --no-daemon --log-level INFO --log-file=- &
pid=$!
wait "$pid"
