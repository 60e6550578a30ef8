#!/usr/bin/env bash
# Prepares a machine for the live tests and the benchmark, and is safe to run again:
#   1. installs what the tests drive (Docker engine, debootstrap, sshd, iptables, nftables, iproute2,
#      systemd-analyze);
#   2. starts a Docker engine if none answers (no systemd needed);
#   3. gets the base images debian:trixie-slim and debian:bookworm-slim: `docker pull` first,
#      and when no registry answers, builds each offline from Debian's mirror with debootstrap;
#   4. builds the project's GlusterFS image from docker/glusterfs/ (the real Dockerfile), and
#      the live tests' client image (it adds fio) on top of it;
#   5. builds the live tests' Kubernetes nodes (systemd as PID 1, sshd, the GlusterFS client)
#      from tests/live/k8snode/ on each base: glusterfs-cluster/k8s-node:trixie and :bookworm;
#   6. builds the Pulumi CLI the live tests drive, from its Go module at the version of
#      @pulumi/pulumi, into a cache directory outside the repository (a second run builds
#      nothing). It never touches a `pulumi` the user already has.
# Needs root, and `npm ci` done (it reads versions from node_modules). Every wait is a bounded poll.
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
  # ...and check every generated script with ShellCheck.
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  # The tls stand-in provider makes real keys and certificates with openssl.
  command -v openssl >/dev/null || missing+=(openssl)
  # The TLS suite captures a client's traffic to show the data crosses the network encrypted.
  command -v tcpdump >/dev/null || missing+=(tcpdump)
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

# The Debian mirror apt is configured with: the first source of Debian's own "main"
# component that is not the security archive (Docker's or any other vendor's repository has
# other components). Users behind a mirror of their own need the base image built from it.
debian_mirror() {
  local apt=${GLUSTERFS_CLUSTER_APT_DIR:-/etc/apt} f
  {
    for f in "$apt"/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      # deb822: stanzas of "Field: value" lines, separated by blank lines.
      awk '
        function flush() { if (uri != "" && comps ~ / main / && suites !~ /-security/) print uri; uri = ""; comps = ""; suites = "" }
        /^[ \t]*$/ { flush(); next }
        /^URIs:/ { uri = ""; for (i = 2; i <= NF; i++) if ($i !~ /-security\/?$/) { uri = $i; break } }
        /^Suites:/ { suites = $0 }
        /^Components:/ { comps = $0 " " }
        END { flush() }' "$f"
    done
    for f in "$apt"/sources.list "$apt"/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      # deb [options] URI suite components...: the URI is the first word after the options.
      awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        comps = " "; for (j = i + 2; j <= NF; j++) comps = comps $j " "
        if ($i !~ /-security\/?$/ && $(i + 1) !~ /-security/ && comps ~ / main /) print $i }' "$f"
    done
  } | head -n 1
}

# debian:SUITE-slim (SUITE: trixie, bookworm), pulled or, offline, debootstrapped from apt's
# mirror and imported (25 to 40 s each); skipped when present.
base_image() {
  local suite=$1
  local base=debian:$suite-slim
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
  dir=$(mktemp -d "/var/tmp/$suite-rootfs.XXXXXX")
  local mirror
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || { echo "setup: no Debian mirror found in apt's sources (/etc/apt/sources.list*)" >&2; exit 1; }
  log "debootstrap $suite from $mirror (apt's own mirror)"
  debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"/var/log/debootstrap-$suite.log" 2>&1 || {
    echo "setup: debootstrap failed; see /var/log/debootstrap-$suite.log" >&2
    tail -n 20 "/var/log/debootstrap-$suite.log" >&2
    rm -rf "$dir"
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

# The live tests' Kubernetes nodes: systemd as PID 1 and sshd, on each Debian release a node
# may run, so the GlusterFS client of each is covered (trixie: 11.1, bookworm: 10.3).
k8s_node_images() {
  local suite
  for suite in trixie bookworm; do
    if ! docker build -q --build-arg "BASE=debian:$suite-slim" -t "glusterfs-cluster/k8s-node:$suite" "$here/tests/live/k8snode" \
        >"/var/log/glusterfs-cluster-k8s-node-$suite-build.log" 2>&1; then
      echo "setup: docker build of the $suite Kubernetes node failed:" >&2
      tail -n 30 "/var/log/glusterfs-cluster-k8s-node-$suite-build.log" >&2
      exit 1
    fi
    log "built glusterfs-cluster/k8s-node:$suite"
  done
}

# The cache directory (GLUSTERFS_CLUSTER_CACHE, else $XDG_CACHE_HOME or ~/.cache, then
# glusterfs-cluster): tests/live/engine/cli.ts reads the same rule.
cache_dir() {
  printf '%s\n' "${GLUSTERFS_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/glusterfs-cluster}"
}

# The wrapper module that builds the CLI: it requires pkg/v3 and sdk/v3 at one version
# (`go install` refuses pkg/v3, whose go.mod has replace lines; in a wrapper they do not apply).
pulumi_wrapper() {
  local version=$1 dir=$2
  printf '%s\n' "module local/pulumi-cli" "" "go 1.25" "" "require (" \
    "	github.com/pulumi/pulumi/pkg/v3 v$version" "	github.com/pulumi/pulumi/sdk/v3 v$version" ")" "" \
    "// pkg/v3's own replace: a fork that only changes how Windows loads a DLL." \
    "replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e" >"$dir/go.mod"
  printf '%s\n' "//go:build tools" "" "package tools" "" 'import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"' >"$dir/tools.go"
}

# The Pulumi CLI, built as its releases are (pulumi/pulumi .goreleaser.yml): CGO off, the
# release tags, and the version stamped in (without it the Automation API refuses the CLI).
pulumi_cli() {
  local version root work
  version=$(cd "$here" && node -p 'require("@pulumi/pulumi/package.json").version' 2>/dev/null) || {
    echo "setup: run npm ci first (the CLI is built at the version of @pulumi/pulumi in node_modules)" >&2
    exit 1
  }
  root="$(cache_dir)/pulumi-v$version"
  if [ -x "$root/bin/pulumi" ] && [ "$("$root/bin/pulumi" version 2>/dev/null)" = "v$version" ]; then
    log "Pulumi CLI v$version present in $root"
    return
  fi
  command -v go >/dev/null || { echo "setup: Go is needed to build the Pulumi CLI (Debian: apt-get install golang)" >&2; exit 1; }
  log "building the Pulumi CLI v$version from its Go module (minutes on a cold Go cache)"
  work=$(mktemp -d)
  pulumi_wrapper "$version" "$work"
  mkdir -p "$root/bin"
  if ! (cd "$work" && GOFLAGS=-mod=mod go mod tidy && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
      -o "$root/bin/pulumi.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >/var/log/glusterfs-cluster-pulumi-build.log 2>&1; then
    echo "setup: building the Pulumi CLI failed:" >&2
    tail -n 30 /var/log/glusterfs-cluster-pulumi-build.log >&2
    rm -rf "$work"
    exit 1
  fi
  rm -rf "$work"
  mv "$root/bin/pulumi.partial" "$root/bin/pulumi"
  log "built $root/bin/pulumi ($("$root/bin/pulumi" version))"
}

need_root
install_packages
start_engine
base_image trixie
base_image bookworm
project_image
k8s_node_images
pulumi_cli
