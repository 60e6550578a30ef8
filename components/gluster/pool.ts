import { dq, shq } from "../shell";
import { script } from "./prelude";

/**
 * Where a node records which resource of the component probed each peer, so that a delete
 * detaches only the peers that resource still owns: when a resource's identity (its URN)
 * changes, Pulumi creates the successor first and runs the old one's stored delete at the
 * end of the update; the successor's create has overwritten the record by then.
 */
export const OWNERS_DIR = "/var/lib/glusterd/glusterfs-cluster/owners";

export interface Peer {
    address: string;
    /** The GlusterFS version its ready command printed ("" when none). */
    version: string;
}

/** The lines that refuse a peer whose GlusterFS major version differs from the first node's, or cannot be told. */
function versionChecks(from: Peer, peers: Peer[]): string[] {
    const lines = [`major() { case $1 in ''|*[!0-9.]*|.*) return 1 ;; esac; echo "\${1%%.*}"; }`];
    for (const n of [from, ...peers]) {
        lines.push(
            `major ${shq(n.version)} >/dev/null || die "cannot tell which GlusterFS version ${dq(n.address)} runs (its ready step printed: ${dq(n.version || "nothing")}). Check that its image follows the image contract (README)."`,
        );
    }
    for (const n of peers) {
        lines.push(
            `[ "$(major ${shq(from.version)})" = "$(major ${shq(n.version)})" ] || die "all nodes must run the same GlusterFS major version: ${dq(from.address)} runs ${dq(from.version)}, ${dq(n.address)} runs ${dq(n.version)}. Run one image on every host."`,
        );
    }
    return lines;
}

/**
 * Run on the first node: probes each peer into the trusted pool, one after another, and
 * waits until each is in the cluster and connected. "Already in peer list" and "probe on
 * localhost not needed" come back with opRet 0 (opErrno 2 and 1), so they count as
 * success. Records `owner` as the owner of each peer it probed.
 */
export function probeScript(p: { from: Peer; peers: Peer[]; peersSeconds: number; owner: string; declared?: string[] }): string {
    return script(
        ...versionChecks(p.from, p.peers),
        `# A probe waits for the peer's glusterd; an unreachable peer fails at the deadline.`,
        `cli_timeout=${p.peersSeconds}`,
        `mkdir -p ${OWNERS_DIR}`,
        ...p.peers.flatMap(({ address }) => {
            const peer = shq(address);
            return [
                `tx peer probe ${peer} || die "peer probe ${dq(address)}: $(reason). Check that ${dq(address)} resolves here and that its port 24007 is reachable from this node (DNS, firewall)."`,
                `echo "probed ${dq(address)}: $(xv /cliOutput/output)"`,
                `echo ${shq(p.owner)} > ${OWNERS_DIR}/peer-${address}`,
            ];
        }),
        ...p.peers.map(({ address }) => `wait_for ${shq(`${address} to be in the cluster and connected`)} ${p.peersSeconds} peer_ok ${shq(address)}`),
        ...(p.declared ? detachStrays(p.declared) : []),
    );
}

/**
 * The pool converges to the declared nodes: a peer that no node of the program is (by any of
 * its names), that this component probed (its record is here) and that holds no brick is
 * detached — what a failed or reverted lost-host replacement, or a replace-brick whose reply
 * timed out after glusterd had done it, leaves behind. Such a peer, once gone, blocks every
 * later detach, rolling replacement and destroy. A peer the component never probed is left
 * alone, with a warning; one that cannot be detached now (a peer down) too.
 */
export function detachStrays(declared: string[]): string[] {
    return [
        `# Peers the program does not declare, probed by this component, holding no brick: detached.`,
        `declared=${shq(declared.join(" "))}`,
        `out=$(g peer status)`,
        `strays=""`,
        `for h in $(xl '//peer/hostname/text()'); do`,
        `  names=$(xl "//peer[hostname='$h']/hostnames/hostname/text()")`,
        `  keep=""`,
        `  for n in $h $names; do case " $declared " in *" $n "*) keep=1 ;; esac; done`,
        `  [ -n "$keep" ] || strays="$strays $h"`,
        `done`,
        `for h in $strays; do`,
        `  if [ ! -f "${OWNERS_DIR}/peer-$h" ]; then`,
        `    echo "WARNING: peer $h is not a node of this program and was not probed by it: left in the pool" >&2`,
        `    continue`,
        `  fi`,
        `  if tx peer detach "$h"; then`,
        `    rm -f "${OWNERS_DIR}/peer-$h"`,
        `    echo "detached $h: no node of the program, and it holds no brick"`,
        `  else`,
        `    echo "WARNING: could not detach $h, which no node of the program is: $(reason)" >&2`,
        `  fi`,
        `done`,
    ];
}

/**
 * Delete of a probe: detaches the peers it still owns, last first (run on the first node).
 * gluster refuses while a peer holds bricks, and while any other peer is down.
 */
export function detachScript(p: { peers: string[]; owner: string }): string {
    return script(
        ...[...p.peers].reverse().flatMap((address) => {
            const peer = shq(address);
            const record = `${OWNERS_DIR}/peer-${address}`;
            return [
                `out=$(g peer status)`,
                `if [ "$(xv "count(//peer[hostnames/hostname='${dq(address)}'])")" = 0 ]; then`,
                `  echo ${shq(`${address} is not in the pool; nothing to detach`)}`,
                `elif [ -f ${record} ] && [ "$(cat ${record})" != ${shq(p.owner)} ]; then`,
                `  echo ${peer}" now belongs to another resource of this stack ($(cat ${record})); leaving it"`,
                `else`,
                `  down=$(peers_not_ok)`,
                `  if ! tx peer detach ${peer}; then`,
                `    case $(xv /cliOutput/opErrno) in`,
                `      4) die "peer detach ${dq(address)}: every other peer must be connected, and these are not: $down. Start them (or replace a lost one), then run this again." ;;`,
                `      3) die "peer detach ${dq(address)}: it still holds bricks of a volume: $(reason)" ;;`,
                `      *) die "peer detach ${dq(address)}: $(reason)" ;;`,
                `    esac`,
                `  fi`,
                `  rm -f ${record}`,
                `  echo ${shq(`detached ${address}`)}`,
                `fi`,
            ];
        }),
    );
}

/**
 * Run on a node that is already in the pool: probes `first` back by name. Without it the
 * first node stays known to that node by the address (or reverse-DNS name) its probes came
 * from, not by the address the program gives it.
 */
export function probeBackScript(p: { first: string; peersSeconds: number }): string {
    const first = shq(p.first);
    return script(
        `cli_timeout=${p.peersSeconds}`,
        `tx peer probe ${first} || die "peer probe ${dq(p.first)}: $(reason). Check that ${dq(p.first)} resolves here and that its port 24007 is reachable from this node (DNS, firewall)."`,
        `echo "probed ${dq(p.first)} back by name: $(xv /cliOutput/output)"`,
        `wait_for ${shq(`${p.first} to be in the cluster and connected`)} ${p.peersSeconds} peer_ok ${first}`,
    );
}
