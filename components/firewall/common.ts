/**
 * What the firewall scripts share: their parameters, names, and the shell prelude that
 * resolves the peers, clients and brick port ranges.
 */
import { FirewallBackend } from "../args";
import { shq } from "../shell";

export interface FirewallParams {
    /** Names the host in messages. */
    host: string;
    backend: FirewallBackend;
    /** Every server's address (IPv4 or a name the host resolves). */
    peers: string[];
    /** CIDRs that may mount; `0.0.0.0/0` when every client is allowed. */
    clients: string[];
    ports: { base: number; max: number };
    /** The firewall command's ownership token (see owner.ts), recorded with the rules. */
    owner: string;
    /** Whose rules they are, `project/stack/cluster` (owner.ts, clusterClaim): recorded beside the token. */
    claim: string;
    /** The cluster's label value: the containers whose brick ports stay open while they run. */
    cluster: string;
}

/** The iptables chain and the nftables chain the component owns. */
export const CHAIN = "GLUSTERFS";
export const NFT_CHAIN = "glusterfs";
/** The table used when the host has no nftables input chain of its own. */
export const NFT_TABLE = "glusterfs";
/**
 * Where the firewalld backend records the rich rules it added (firewalld has no rule
 * comments); GLUSTERFS_CLUSTER_STATE_DIR on the host overrides it.
 */
export const RECORD_DIR = "/var/lib/glusterfs-cluster";
export const UFW_COMMENT = "glusterfs-cluster";

/** Shell helpers shared by the backends; `host` names the host in every message. */
export const prelude = (host: string) => `set -eu
host=${shq(host)}
die() { echo "error on host $host: $*" >&2; exit 1; }
state_dir=\${GLUSTERFS_CLUSTER_STATE_DIR:-${RECORD_DIR}}
# ipv4 NAME-OR-ADDRESS-OR-CIDR: prints it as an IPv4 address or CIDR, resolving names.
ipv4() {
  case $1 in
    # The address that starts getent's first line ("10.0.0.9       STREAM name").
    *[!0-9./]*) a=$(getent ahostsv4 "$1") || a=""; a=\${a%%[[:space:]]*}; [ -n "$a" ] || die "cannot resolve $1"; echo "$a" ;;
    *) echo "$1" ;;
  esac
}
# peer_ipv4 NAME-OR-ADDRESS: as ipv4, but only an apply (GLUSTERFS_CLUSTER_APPLY=1, a pulumi up)
# fails on a name that does not resolve. At boot or on a reload of the host firewall, DNS may
# not answer yet: the name takes the address it had at the last apply, or is left out with a
# warning, so that one name never costs a host all its GlusterFS rules.
resolved_file="$state_dir/firewall-resolved"
peer_ipv4() {
  case $1 in *[!0-9./]*) ;; *) echo "$1"; return ;; esac
  a=$(getent ahostsv4 "$1") || a=""; a=\${a%%[[:space:]]*}
  if [ -n "$a" ]; then echo "$a"; return; fi
  [ "\${GLUSTERFS_CLUSTER_APPLY:-}" != 1 ] || die "cannot resolve $1"
  last=""
  [ -f "$resolved_file" ] && while read -r n addr; do [ "$n" = "$1" ] && last=$addr; done < "$resolved_file"
  if [ -n "$last" ]; then
    echo "WARNING: $1 does not resolve on $host now: using the address it had at the last apply, $last" >&2
    echo "$last"
  else
    echo "WARNING: $1 does not resolve on $host now and has no address from an earlier apply: left out of the rules" >&2
  fi
}`;

/** The sources and ports every backend opens, as shell variables: $peers, $clients, $brick_ranges. */
export function lists(p: FirewallParams): string[] {
    return [
        `# The brick ports: the configured range and, while a rolling replacement moves the bricks`,
        `# to a new range, the range each of the cluster's containers on this host still has — a`,
        `# stopped one too: it starts again with that range. Docker is asked only by an apply: at`,
        `# boot this runs before docker.service, and a docker command would start a socket-activated`,
        `# Docker, which waits for this unit: a deadlock. At boot and on a reload of the host's`,
        `# firewall, the ranges of the last apply.`,
        `brick_ranges=${p.ports.base}-${p.ports.max}`,
        `ranges_file="$state_dir/firewall-brick-ranges"`,
        `add_range() { case "$1" in ''|*[!0-9-]*) return ;; esac; case " $brick_ranges " in *" $1 "*) ;; *) brick_ranges="$brick_ranges $1" ;; esac; }`,
        `if [ "\${GLUSTERFS_CLUSTER_APPLY:-}" = 1 ]; then`,
        `  for c in $(docker ps -aq --filter label=io.glusterfs-cluster.cluster=${shq(p.cluster)} 2>/dev/null); do`,
        `    env=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$c" 2>/dev/null) || continue`,
        `    b=$(printf '%s\n' "$env" | sed -n 's/^GLUSTER_BASE_PORT=//p'); m=$(printf '%s\n' "$env" | sed -n 's/^GLUSTER_MAX_PORT=//p')`,
        `    case "$b$m" in ''|*[!0-9]*) continue ;; esac`,
        `    add_range "$b-$m"`,
        `  done`,
        `elif [ -f "$ranges_file" ]; then`,
        `  while read -r r; do add_range "$r"; done < "$ranges_file"`,
        `fi`,
        `peers=""; resolved=""`,
        `# The lists are plain words: split on blanks (a one-item list in a loop's own words is a ShellCheck warning).`,
        `peer_list=${shq(p.peers.join(" "))}`,
        `for s in $peer_list; do`,
        `  a=$(peer_ipv4 "$s")`,
        `  [ -n "$a" ] || continue`,
        `  peers="$peers $a"`,
        `  [ "$a" = "$s" ] || resolved="$resolved$s $a\n"`,
        `done`,
        p.clients.length > 0
            ? `clients=""; client_list=${shq(p.clients.join(" "))}; for s in $client_list; do clients="$clients $(ipv4 "$s")"; done`
            : `clients=""`,
        ...(p.clients.includes("0.0.0.0/0")
            ? [`echo "WARNING: the GlusterFS client ports are open to ANY source on $host (firewall.allowAllClients)" >&2`]
            : []),
    ];
}
