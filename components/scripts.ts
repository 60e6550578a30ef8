/**
 * The gluster scripts. Each function returns the POSIX sh text that runs *inside* a
 * server container (where `gluster` and `xmllint` are), built only from validated plain
 * values, each passed through `shq`. `inContainer` wraps such a script into the command
 * that runs on the Docker host.
 *
 * Conventions in every script:
 * - gluster is driven as `gluster --mode=script --xml`: it never prompts, and results are
 *   judged by <opRet>/<opErrno> in its XML, because in XML mode the CLI exits 0 even when
 *   the operation failed.
 * - waits poll a condition every 0.1 s and give up at a deadline; nothing sleeps for a
 *   fixed time.
 * - progress goes to stdout as short lines ("ok: ... (0.42 s)") so `pulumi up` shows
 *   where the time goes.
 */
import { shq, shqAll } from "./shell";

/** Helpers shared by all scripts (defined first in each one). */
export const PRELUDE = `set -eu
# g ARGS...: the gluster CLI in script mode (never prompts) with XML output; it gives up
# on glusterd after $cli_timeout seconds.
cli_timeout=60
g() { gluster --mode=script --xml --timeout="$cli_timeout" "$@" 2>/dev/null || true; }
# xv XPATH: the string value of XPATH in the XML reply held in $out ("" if none).
xv() { printf '%s' "$out" | xmllint --xpath "string($1)" - 2>/dev/null || true; }
# xl XPATH: the text of every node XPATH matches, one per line.
xl() { printf '%s' "$out" | xmllint --xpath "$1" - 2>/dev/null || true; }
die() { echo "error: $*" >&2; exit 1; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
since() { t=$(( $(ms) - $1 )); printf '%d.%02d' $((t / 1000)) $((t % 1000 / 10)); }
# wait_for DESCRIPTION SECONDS CHECK...: run CHECK every 0.1 s until it succeeds.
# A CHECK may set $why to say what it saw last; that goes into the error at the deadline.
wait_for() {
  desc=$1; limit=$2; shift 2
  why=""; t0=$(ms); deadline=$(( t0 + limit * 1000 ))
  until "$@"; do
    [ "$(ms)" -lt "$deadline" ] || die "gave up after $limit s waiting for $desc\${why:+ (last seen: $why)}"
    sleep 0.1
  done
  echo "ok: $desc ($(since "$t0") s)"
}
# tx ARGS...: run a gluster operation that takes the cluster-wide lock. "Another
# transaction is in progress" (opErrno 30802) is transient: retry it with backoff.
# Returns 0 when <opRet> is 0; otherwise leaves the reply in $out for the caller.
tx() {
  n=0
  while :; do
    out=$(g "$@")
    [ "$(xv /cliOutput/opRet)" = 0 ] && return 0
    [ "$(xv /cliOutput/opErrno)" = 30802 ] || return 1
    n=$((n + 1))
    [ "$n" -le 40 ] || return 1
    case $n in 1) sleep 0.1 ;; 2) sleep 0.2 ;; 3) sleep 0.4 ;; *) sleep 1 ;; esac
  done
}
# reason: the error text of the reply in $out, or why there was none.
reason() {
  r=$(xv /cliOutput/opErrstr)
  [ -n "$r" ] || r=$(xv /cliOutput/output)
  e=$(xv /cliOutput/opErrno)
  if [ -z "$r$e" ]; then printf 'no reply from glusterd within %s s' "$cli_timeout"; else printf '%s (opErrno %s)' "$r" "$e"; fi
}
# peer_ok ADDRESS: the local glusterd lists ADDRESS as "Peer in Cluster" (state 3), connected.
peer_ok() {
  out=$(g peer status)
  st=$(xv "//peer[hostnames/hostname='$1']/state")
  cn=$(xv "//peer[hostnames/hostname='$1']/connected")
  why="$1: state \${st:-absent}, connected \${cn:-absent}"
  [ "$st" = 3 ] && [ "$cn" = 1 ]
}`;

/**
 * An XPath string literal for a validated name or address (letters, digits, '.', '-', '_'),
 * to be placed inside a double-quoted shell word.
 */
function xpathLiteral(value: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new Error(`not a name or address: ${JSON.stringify(value)}`);
    return `'${value}'`;
}

function script(...parts: string[]): string {
    return [PRELUDE, ...parts].join("\n") + "\n";
}

/** The first line of `gluster --version` that a ready script prints, e.g. "11.1". */
export function versionFromReadyOutput(stdout: string): string {
    const m = /^glusterfs-version: (\S+)$/m.exec(stdout);
    return m ? m[1] : "unknown";
}

/**
 * Waits until the node's glusterd answers. A node that is already in a pool (a replaced
 * container keeps its state) must also see every peer it knows connected and its own
 * bricks of the volume online, so a replaced node is back in service when this returns.
 */
export function readyScript(p: { node: string; volumeName: string; glusterdSeconds: number; peersSeconds: number; volumeSeconds: number }): string {
    const node = shq(p.node);
    const vol = shq(p.volumeName);
    return script(
        `command -v xmllint >/dev/null || die "xmllint is missing from the image (Debian package libxml2-utils)"`,
        `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `wait_for "glusterd on "${node}" to answer" ${p.glusterdSeconds} glusterd_answers`,
        `echo "glusterfs-version: $(gluster --version | sed -n '1s/^glusterfs //p')"`,
        ``,
        `# A node that already has peers (a replaced container keeps its state) must rejoin:`,
        `# its peers connected, its bricks of the volume online. A new node has none, and the`,
        `# pool list just read (in $out) says so without another call.`,
        `if [ "$(xv 'count(//peerStatus/peer)')" -gt 1 ]; then`,
        `  known_peers_ok() {`,
        `    out=$(g peer status)`,
        `    bad=$(xv "count(//peer[not(state=3 and connected=1)])")`,
        `    why="$bad peer(s) not connected in cluster"`,
        `    [ "$(xv /cliOutput/opRet)" = 0 ] && [ "$bad" = 0 ]`,
        `  }`,
        `  wait_for "peers known to "${node}" to be connected" ${p.peersSeconds} known_peers_ok`,
        `  # ...and each of them must see this node connected again: a peer reconnects on its own`,
        `  # timer, so "connected" in one direction says nothing of the other.`,
        `  peers=$(xl '//peer/hostname/text()')`,
        `  peers_see_me() {`,
        `    for peer in $peers; do`,
        `      out=$(g --remote-host="$peer" peer status)`,
        `      st=$(xv "//peer[hostnames/hostname=${xpathLiteral(p.node)}]/state")`,
        `      cn=$(xv "//peer[hostnames/hostname=${xpathLiteral(p.node)}]/connected")`,
        `      [ "$st" = 3 ] && [ "$cn" = 1 ] || { why="$peer sees "${node}": state \${st:-absent}, connected \${cn:-absent}"; return 1; }`,
        `    done`,
        `  }`,
        `  wait_for "the peers of "${node}" to see it connected" ${p.peersSeconds} peers_see_me`,
        `  out=$(g volume info ${vol})`,
        `  if [ "$(xv /cliOutput/opRet)" = 0 ] && [ "$(xv //volume/statusStr)" = Started ]; then`,
        `    uuid=$(sed -n 's/^UUID=//p' /var/lib/glusterd/glusterd.info)`,
        `    local_bricks_online() {`,
        `      out=$(g volume status ${vol})`,
        `      down=$(xv "count(//volume/node[peerid='$uuid' and starts-with(path,'/') and status!=1])")`,
        `      why="$down local brick(s) offline"`,
        `      [ "$(xv /cliOutput/opRet)" = 0 ] && [ "$down" = 0 ]`,
        `    }`,
        `    wait_for "bricks of "${vol}" on "${node}" to be online" ${p.volumeSeconds} local_bricks_online`,
        `    # A client reconnects to a restarted brick on its own timer (a few seconds): until it`,
        `    # has, it counts this replica as down, and losing another one would cost it quorum.`,
        `    clients_back() {`,
        `      out=$(g volume status ${vol} clients)`,
        `      [ "$(xv /cliOutput/opRet)" = 0 ] || { why="no client list"; return 1; }`,
        `      mine=$(xl "//volume/node[peerid='$uuid' and starts-with(path,'/')]/clientsStatus/client/hostname/text()" | sed 's/:[0-9]*$//' | sort -u)`,
        `      others=$(xl "//volume/node[peerid!='$uuid' and starts-with(path,'/')]/clientsStatus/client/hostname/text()" | sed 's/:[0-9]*$//' | sort -u)`,
        `      missing=""`,
        `      for c in $others; do printf '%s\\n' "$mine" | grep -qxF "$c" || missing="$missing $c"; done`,
        `      why="clients not yet reconnected:$missing"`,
        `      [ -z "$missing" ]`,
        `    }`,
        `    wait_for "the clients of "${vol}" to reconnect to "${node} ${p.volumeSeconds} clients_back`,
        `  fi`,
        `fi`,
    );
}

/**
 * Run on the first node: probes each peer into the trusted pool, one after another, and
 * waits until each is in the cluster and connected. "Already in peer list" and "probe on
 * localhost not needed" come back with opRet 0 (opErrno 2 and 1), so they count as
 * success. Refuses a peer that runs another GlusterFS version than the first node.
 */
export function probeScript(p: { from: string; fromVersion: string; peers: Array<{ address: string; version: string }>; peersSeconds: number }): string {
    return script(
        ...p.peers.flatMap(({ address, version }) => {
            const peer = shq(address);
            return [
                `if [ ${shq(p.fromVersion)} != ${shq(version)} ]; then`,
                `  die "all nodes must run the same GlusterFS version: "${shq(p.from)}" runs "${shq(p.fromVersion)}", "${peer}" runs "${shq(version)}". Run one image on every host."`,
                `fi`,
            ];
        }),
        `# A probe waits for the peer's glusterd; an unreachable peer fails at the deadline.`,
        `cli_timeout=${p.peersSeconds}`,
        ...p.peers.flatMap(({ address }) => {
            const peer = shq(address);
            return [
                `tx peer probe ${peer} || die "peer probe "${peer}": $(reason). Check that "${peer}" resolves here and that its port 24007 is reachable from this node (DNS, firewall)."`,
                `echo "probed "${peer}": $(xv /cliOutput/output)"`,
            ];
        }),
        ...p.peers.map(({ address }) => `wait_for ${shq(`${address} to be in the cluster and connected`)} ${p.peersSeconds} peer_ok ${shq(address)}`),
    );
}

/** Delete of a probe: detaches the peers, last first (run on the first node). gluster refuses while a peer holds bricks. */
export function detachScript(p: { peers: string[] }): string {
    return script(
        ...[...p.peers].reverse().flatMap((address) => {
            const peer = shq(address);
            return [
                `out=$(g peer status)`,
                `if [ "$(xv "count(//peer[hostnames/hostname='"${peer}"'])")" = 0 ]; then`,
                `  echo ${shq(`${address} is not in the pool; nothing to detach`)}`,
                `else`,
                `  tx peer detach ${peer} || die "peer detach "${peer}": $(reason)"`,
                `  echo ${shq(`detached ${address}`)}`,
                `fi`,
            ];
        }),
    );
}

/**
 * Run on the second node: probes the first node back by name. Without it the first node
 * stays known to the others by the IP address its probes came from.
 */
export function probeBackScript(p: { first: string; peersSeconds: number }): string {
    const first = shq(p.first);
    return script(
        `cli_timeout=${p.peersSeconds}`,
        `tx peer probe ${first} || die "peer probe "${first}": $(reason). Check that "${first}" resolves here and that its port 24007 is reachable from this node (DNS, firewall)."`,
        `echo "probed "${first}" back by name: $(xv /cliOutput/output)"`,
        `wait_for ${shq(`${p.first} to be in the cluster and connected`)} ${p.peersSeconds} peer_ok ${first}`,
    );
}

export interface VolumeScriptParams {
    volumeName: string;
    /** The brick nodes' addresses, in brick order. */
    servers: string[];
    brickPath: string;
    /** Per-volume options to hold, sorted by key. */
    options: Record<string, string>;
    /** Cluster-wide options (`gluster volume set all`), sorted by key. */
    globalOptions: Record<string, string>;
    ports: { base: number; max: number };
    peersSeconds: number;
    volumeSeconds: number;
}

/** The volume option where the component records which options it manages. */
export const MANAGED_OPTIONS_KEY = "user.glusterfs-cluster.managed-options";

/** Options that `gluster volume set all` takes (cluster-wide, not per volume). */
export const GLOBAL_OPTIONS = [
    "cluster.server-quorum-ratio",
    "cluster.brick-multiplex",
    "cluster.max-bricks-per-process",
    "cluster.localtime-logging",
    "cluster.daemon-log-level",
];

/**
 * Run on the first node: waits until every brick node sees every other in the cluster,
 * creates the replica-3 volume if it does not exist (and refuses, touching nothing, if one
 * of that name has another layout), applies the options, starts it and waits for its bricks.
 */
export function volumeScript(p: VolumeScriptParams): string {
    const vol = shq(p.volumeName);
    const bricks = p.servers.map((s) => `${s}:${p.brickPath}`);
    // "current" holds `volume get … all`; a default shows as "<value> (DEFAULT)" and is set explicitly.
    const want = ([k, v]: [string, string]) => `[ "$(value_in "$current" ${shq(k)})" = ${shq(v)} ] || set -- "$@" ${shq(k)} ${shq(v)}`;
    const optionLines = Object.entries(p.options).map(want);
    const globalLines = Object.entries(p.globalOptions).map(want);
    // Options cannot be set to an empty value, so an empty record is written as "none".
    const managed = Object.keys(p.options).join(",") || "none";
    return script(
        `# 1. Every brick node sees every other as "Peer in Cluster" and connected. glusterd`,
        `#    answers read-only queries from other hosts (--remote-host), so all runs from here.`,
        `node_sees_all() {`,
        `  node=$1; shift`,
        `  out=$(g --remote-host="$node" peer status)`,
        `  [ "$(xv /cliOutput/opRet)" = 0 ] || { why="$node: no answer"; return 1; }`,
        `  for other in "$@"; do`,
        `    [ "$other" = "$node" ] && continue`,
        `    st=$(xv "//peer[hostnames/hostname='$other']/state")`,
        `    cn=$(xv "//peer[hostnames/hostname='$other']/connected")`,
        `    [ "$st" = 3 ] && [ "$cn" = 1 ] || { why="$node sees $other: state \${st:-absent}, connected \${cn:-absent}"; return 1; }`,
        `  done`,
        `}`,
        `# The three queries are read-only, so they run side by side.`,
        `pids=""`,
        ...p.servers.map(
            (s) => `( wait_for ${shq(`${s} to see every brick node in the cluster`)} ${p.peersSeconds} node_sees_all ${shqAll([s, ...p.servers])} ) & pids="$pids $!"`,
        ),
        `for pid in $pids; do wait "$pid" || exit 1; done`,
        ``,
        `# 2. Create the volume, or check that the existing one has this layout.`,
        `expected=$(printf '%s\\n' ${shqAll(bricks)})`,
        `created=""`,
        `out=$(g volume info ${vol})`,
        `if [ "$(xv /cliOutput/opRet)" != 0 ]; then`,
        `  [ "$(xv /cliOutput/opErrno)" = 30806 ] || die "volume info "${vol}": $(reason)"`,
        `  # Never "force": a brick on the root filesystem or reused from another volume must stop us.`,
        `  tx volume create ${vol} replica 3 ${shqAll(bricks)} || die "volume create "${vol}": $(reason)"`,
        `  echo "created volume "${vol}" (replica 3)"`,
        `  created=1`,
        `  out=$(g volume info ${vol})`,
        `else`,
        `  actual=$(xl '//volume/bricks/brick/name/text()')`,
        `  replica=$(xv //volume/replicaCount)`,
        `  if [ "$replica" != 3 ] || [ "$actual" != "$expected" ]; then`,
        `    die "volume "${vol}" exists with another layout (replica $replica; bricks: $(echo $actual)); this program wants replica 3 on: $(echo $expected). Nothing was changed. Rename volumeName or remove that volume."`,
        `  fi`,
        `  echo "volume "${vol}" exists with the expected layout"`,
        `fi`,
        `volume_id=$(xv //volume/id)`,
        `status=$(xv //volume/statusStr)`,
        ``,
        `# 3. Options: everything that differs is set in one transaction per scope (volume,`,
        `#    cluster); what an earlier run managed and this one does not is reset.`,
        `value_in() { printf '%s' "$1" | xmllint --xpath "string(//volGetopts/Opt[Option='$2']/Value)" - 2>/dev/null || true; }`,
        `#    A volume created just now holds no option yet, so nothing needs to be read.`,
        `managed_before=""`,
        `if [ -z "$created" ]; then`,
        `  out=$(g volume get ${vol} ${shq(MANAGED_OPTIONS_KEY)})`,
        `  managed_before=$(xv "//volGetopts/Opt[Option='${MANAGED_OPTIONS_KEY}']/Value")`,
        `fi`,
        `for key in $(echo "$managed_before" | tr ',' ' '); do`,
        `  case ",${managed}," in *",$key,"*) continue ;; esac`,
        `  tx volume reset ${vol} "$key" || die "volume reset "${vol}" $key: $(reason)"`,
        `  echo "reset $key on "${vol}`,
        `done`,
        ...(globalLines.length > 0
            ? [
                  `current=""; [ -n "$created" ] || current=$(g volume get all all)`,
                  `set --`,
                  ...globalLines,
                  `if [ $# -gt 0 ]; then`,
                  `  tx volume set all "$@" || die "volume set all $*: $(reason)"`,
                  `  echo "set on all volumes: $*"`,
                  `fi`,
              ]
            : []),
        `current=""; [ -n "$created" ] || current=$(g volume get ${vol} all)`,
        `set --`,
        ...optionLines,
        `[ "$managed_before" = ${shq(managed)} ] || set -- "$@" ${shq(MANAGED_OPTIONS_KEY)} ${shq(managed)}`,
        `if [ $# -gt 0 ]; then`,
        `  tx volume set ${vol} "$@" || die "volume set "${vol}" $*: $(reason)"`,
        `  echo "set on "${vol}": $*"`,
        `fi`,
        ``,
        `# 4. Start it, and wait until every brick is online on a port in the pinned range.`,
        `if [ "$status" != Started ]; then`,
        `  tx volume start ${vol} || die "volume start "${vol}": $(reason)"`,
        `  echo "started volume "${vol}`,
        `fi`,
        `bricks_online() {`,
        `  out=$(g volume status ${vol})`,
        `  up=$(xv "count(//volume/node[starts-with(path,'/') and status=1])")`,
        `  stray=$(xv "count(//volume/node[starts-with(path,'/') and status=1 and (port < ${p.ports.base} or port > ${p.ports.max})])")`,
        `  [ "$stray" = 0 ] || die "a brick of "${vol}" listens outside the pinned range ${p.ports.base}-${p.ports.max}: $(xl '//volume/node/port/text()' | tr '\\n' ' ')"`,
        `  why="$up of ${bricks.length} bricks online"`,
        `  [ "$up" = ${bricks.length} ]`,
        `}`,
        `wait_for "${p.volumeName} bricks to be online" ${p.volumeSeconds} bricks_online`,
        `echo "volume-id: $volume_id"`,
    );
}

/** Delete of the volume resource: stops and deletes the volume definition. Brick data stays on disk. */
export function volumeDeleteScript(p: { volumeName: string }): string {
    const vol = shq(p.volumeName);
    return script(
        `out=$(g volume info ${vol})`,
        `if [ "$(xv /cliOutput/opRet)" != 0 ] && [ "$(xv /cliOutput/opErrno)" = 30806 ]; then`,
        `  echo "volume "${vol}" does not exist; nothing to delete"`,
        `  exit 0`,
        `fi`,
        `if [ "$(xv //volume/statusStr)" = Started ]; then`,
        `  tx volume stop ${vol} || die "volume stop "${vol}": $(reason)"`,
        `fi`,
        `tx volume delete ${vol} || die "volume delete "${vol}": $(reason)"`,
        `echo "deleted volume "${vol}" (the bricks' data stays on disk)"`,
    );
}

/** Runs `script` inside `container` on the Docker host the command runs on. */
export function inContainer(container: string, script: string): string {
    return `docker exec ${shq(container)} sh -c ${shq(script)}`;
}

/**
 * For delete commands: a container that is already gone has nothing to clean up, so the
 * delete succeeds instead of blocking `pulumi destroy`.
 */
export function inContainerIfPresent(container: string, script: string): string {
    const c = shq(container);
    return [
        `if ! docker container inspect ${c} >/dev/null 2>&1; then`,
        `  echo "container "${c}" is gone; nothing to do"`,
        `  exit 0`,
        `fi`,
        inContainer(container, script),
    ].join("\n");
}
