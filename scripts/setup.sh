#!/usr/bin/env bash
# Prepares a machine for the live tests and the benchmark, and is safe to run again:
#   1. installs what the tests drive (Docker engine, debootstrap, sshd, iptables, nftables, iproute2,
#      systemd-analyze);
#   2. starts a Docker engine if none answers (no systemd needed);
#   3. gets the base image debian:trixie-slim: `docker pull` first, and when no registry
#      answers, builds it offline from Debian's mirror with debootstrap;
#   4. builds the project's GlusterFS image from docker/glusterfs/ (the real Dockerfile), and
#      the live tests' client image (it adds fio) on top of it.
# Needs root. Every wait is a bounded poll.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
log() { printf 'setup: %s\n' "$*"; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: must run as root (it installs packages and starts dockerd)" >&2
    exit 1
  fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v nft >/dev/null || missing+=(nftables)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v nsenter >/dev/null || missing+=(util-linux)
  # The unit tests check the firewall's systemd unit with `systemd-analyze verify`.
  command -v systemd-analyze >/dev/null || missing+=(systemd)
  # The unit tests run the gluster scripts, which read gluster's XML with xmllint, against a
  # stand-in gluster on this machine (the image has its own xmllint).
  command -v xmllint >/dev/null || missing+=(libxml2-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

start_engine() {
  if docker info >/dev/null 2>&1; then
    log "Docker engine already answers"
    return
  fi
  # A killed dockerd leaves its pid file behind and the next one refuses to start.
  if [ -f /var/run/docker.pid ]; then
    log "removing stale /var/run/docker.pid"
    rm -f /var/run/docker.pid
  fi
  log "starting dockerd"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  local deadline=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "setup: dockerd did not answer within 60 s; last log lines:" >&2
      tail -n 20 /var/log/dockerd.log >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  log "Docker engine answers"
}

base_image() {
  local base=debian:trixie-slim
  if docker image inspect "$base" >/dev/null 2>&1; then
    log "base image $base present"
    return
  fi
  if timeout 60 docker pull -q "$base" >/dev/null 2>&1; then
    log "pulled $base"
    return
  fi
  log "no registry answers: building $base offline with debootstrap"
  local dir
  dir=$(mktemp -d /var/tmp/trixie-rootfs.XXXXXX)
  debootstrap --variant=minbase trixie "$dir" http://deb.debian.org/debian >/var/log/debootstrap.log 2>&1 || {
    echo "setup: debootstrap failed; see /var/log/debootstrap.log" >&2
    tail -n 20 /var/log/debootstrap.log >&2
    exit 1
  }
  tar -C "$dir" -c . | docker import - "$base" >/dev/null
  rm -rf "$dir"
  log "imported $base"
}

project_image() {
  # The tag the component gives the image (a hash of docker/glusterfs/), so the build that
  # the component declares finds everything cached.
  local tag
  tag=$(cd "$here" && node -e 'require("ts-node").register({ transpileOnly: true }); console.log(require("./components/image").projectImageName())')
  log "building $tag from docker/glusterfs/"
  if ! docker build -q -t "$tag" "$here/docker/glusterfs" >/var/log/glusterfs-cluster-build.log 2>&1; then
    echo "setup: docker build failed:" >&2
    tail -n 30 /var/log/glusterfs-cluster-build.log >&2
    exit 1
  fi
  log "built $tag"
  # The live tests' client (fio on top of the project's image).
  if ! docker build -q --build-arg "BASE=$tag" -t glusterfs-cluster/test-client:latest "$here/tests/live/client" >/var/log/glusterfs-cluster-client-build.log 2>&1; then
    echo "setup: docker build of the test client failed:" >&2
    tail -n 30 /var/log/glusterfs-cluster-client-build.log >&2
    exit 1
  fi
  log "built glusterfs-cluster/test-client:latest"
}

need_root
install_packages
start_engine
base_image
project_image
