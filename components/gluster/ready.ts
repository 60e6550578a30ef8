import { dq, shq, shqAll } from "../shell";
import { containerState, inContainer } from "./exec";
import { script, xpathLiteral } from "./prelude";
import { wholeFunctions } from "./whole";

export interface ReadyParams {
    /** The node's name (for messages). */
    name: string;
    /** The node's address, as peers know it. */
    address: string;
    /** The other nodes' addresses: asked whether they know this node under another identity. */
    others: string[];
    volumeName: string;
    glusterdSeconds: number;
    peersSeconds: number;
    volumeSeconds: number;
    healSeconds: number;
    /**
     * "start": the node's container was (re)created: wait for it to be back in service.
     * "recheck": only the configuration changed (the node list, timeouts): check its identity
     * again, and nothing else (a lost node being replaced at the same time is down).
     */
    mode?: "start" | "recheck";
}

/** The version line a ready script prints, e.g. "11.1" ("" when it printed none). */
export function versionFromReadyOutput(stdout: string): string {
    const m = /^glusterfs-version: (\S*)$/m.exec(stdout);
    return m ? m[1] : "";
}

/** What a ready script prints on a healthy node: the answer of the package's test mocks (testing.ts). */
export function readyOutputForTests(version = "11.1"): string {
    return `ok: glusterd answers (0.20 s)\nglusterfs-version: ${version}`;
}

/** Whether `script` is a ready script (the test mocks answer it). */
export function isReadyScript(script: string): boolean {
    return script.includes(`echo "glusterfs-version: $(gluster --version`);
}

/**
 * Waits until the node's glusterd answers and prints its version; refuses a node that came
 * back with another identity than its peers know it by; and a node that already belongs to
 * a pool (a replaced container keeps its state) must be back in service: its peers
 * connected and seeing it, its bricks online, the clients reconnected to them, and
 * self-heal caught up. The next node's container waits for this step: that is what makes a
 * replacement of every node roll, one node at a time.
 */
export function readyScript(p: ReadyParams): string {
    const node = shq(p.name);
    return script(
        `command -v xmllint >/dev/null || die "xmllint is missing from the image (Debian package libxml2-utils)"`,
        `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `wait_for "glusterd on ${dq(p.name)} to answer" ${p.glusterdSeconds} glusterd_answers`,
        `pool=$out`,
        `echo "glusterfs-version: $(gluster --version | sed -n '1s/^glusterfs \\([0-9][0-9.]*\\).*/\\1/p')"`,
        `my_uuid`,
        `[ -n "$uuid" ] || die "glusterd on ${dq(p.name)} has no UUID in /var/lib/glusterd/glusterd.info"`,
        ``,
        `# A node whose state was wiped, or left behind on another host, comes back with a new`,
        `# UUID: its peers still know its address as the old one, and its brick is lost to the`,
        `# volume. same_identity PEER: the \`peer status\` of PEER held in $out does not know this`,
        `# node's address under another UUID; otherwise it stops there.`,
        `same_identity() {`,
        `  known=$(xv "//peer[hostnames/hostname=${xpathLiteral(p.address)}]/uuid")`,
        `  [ -z "$known" ] || [ "$known" = "$uuid" ] || die ${node}" came back with a new identity: it is UUID $uuid, but $1 knows ${dq(p.address)} as UUID $known. Its state (/var/lib/glusterd) was lost or is on another host, and its brick is no longer part of the volume. Nothing was changed. Replace it as a lost host: a node with a new name (in host mode, on another host or under another address: GlusterFS names the brick by address) that says replaces: ${dq(p.name)}, then pulumi up (README: Replacing a lost host). If its host was rebuilt in place (the same address, its state and brick lost), say so instead: rebuilt: true on ${dq(p.name)}, then pulumi up; it takes back its old UUID and its brick is refilled from the others (README: A host rebuilt in place)."`,
        `}`,
        `out=$pool`,
        `peer_count=$(xv 'count(//peerStatus/peer)')`,
        ...(p.mode === "recheck"
            ? askOthers(p)
            : [
                  `# Only a node without peers (new, or its state lost) asks the others now; one with`,
                  `# peers is checked against each of them as it rejoins (below).`,
                  `if [ "$peer_count" -le 1 ]; then`,
                  ...askOthers(p).map((l) => `  ${l}`),
                  `fi`,
              ]),
        ...(p.mode === "recheck" ? [] : rejoin(p)),
    );
}

/** Asks each other node whether it knows this node's address under another UUID. */
function askOthers(p: ReadyParams): string[] {
    return [
        `# A peer that does not answer, or a node not created yet, tells nothing; a name that does`,
        `# not resolve yet is skipped at once (the CLI would spend 3 s on it).`,
        `cli_timeout=5`,
        `for other in ${shqAll(p.others)}; do`,
        `  getent hosts "$other" >/dev/null 2>&1 || continue`,
        `  out=$(gr "$other" peer status)`,
        `  same_identity "$other"`,
        `done`,
        `cli_timeout=60`,
    ];
}

/** A node that was in a pool, in a new container, back in service. */
function rejoin(p: ReadyParams): string[] {
    const node = shq(p.name);
    const vol = shq(p.volumeName);
    return [
        ``,
        `# A node that already has peers (a replaced container keeps its state) must rejoin. A`,
        `# new node has none, and the pool list read above says so.`,
        `out=$pool`,
        `if [ "$peer_count" -gt 1 ]; then`,
        `  vol=${vol}`,
        ...wholeFunctions().map((l) => `  ${l}`),
        `  wait_for "peers known to ${dq(p.name)} to be connected" ${p.peersSeconds} peers_connected`,
        `  # ...and each of them must see this node (by its UUID: a peer may know it under another`,
        `  # name) connected again: a peer reconnects on its own timer. One that knows its address`,
        `  # under another UUID refuses it.`,
        `  peers=$(xl '//peer/hostname/text()')`,
        `  peers_see_me() {`,
        `    for peer in $peers; do`,
        `      out=$(gr "$peer" peer status)`,
        `      [ "$(xv "boolean(//peer[uuid='$uuid' and state=3 and connected=1])")" = true ] && continue`,
        `      same_identity "$peer"`,
        `      st=$(xv "//peer[uuid='$uuid']/stateStr")`,
        `      cn=$(xv "//peer[uuid='$uuid']/connected")`,
        `      why="$peer sees ${dq(p.name)} as \${st:-not a peer}\${cn:+, $([ "$cn" = 1 ] && echo connected || echo disconnected)}"`,
        `      return 1`,
        `    done`,
        `  }`,
        `  wait_for "the peers of ${dq(p.name)} to see it connected" ${p.peersSeconds} peers_see_me`,
        `  out=$(g volume info ${vol})`,
        `  if [ "$(xv /cliOutput/opRet)" = 0 ] && [ "$(xv //volume/statusStr)" = Started ]; then`,
        `    # Online means listening: a brick that glusterd counts as running but that never`,
        `    # signed in (no port) serves nobody.`,
        `    local_bricks_online() {`,
        `      out=$(g volume status ${vol})`,
        `      down=$(xv "concat(/cliOutput/opRet, '/', count(//volume/node[peerid='$uuid' and starts-with(path,'/') and (status!=1 or not(port > 0))]))")`,
        `      why="\${down#*/} local brick(s) offline or without a port; if it stays so, restart the container"`,
        `      [ "$down" = 0/0 ]`,
        `    }`,
        `    wait_for "bricks of ${dq(p.volumeName)} on ${dq(p.name)} to be online" ${p.volumeSeconds} local_bricks_online`,
        `    # A client reconnects to a restarted brick on its own timer (a few seconds): until it`,
        `    # has, it counts this replica as down, and losing another one would cost it quorum.`,
        `    # A pool-only node holds no brick: no client connects to it.`,
        `    # Counted per client address: two mounts on one host are two clients, and the one that`,
        `    # has reconnected does not stand for the other. Each other brick says how many there are.`,
        `    clients_back() {`,
        `      out=$(g volume status ${vol} clients)`,
        `      [ "$(xv /cliOutput/opRet)" = 0 ] || { why="no client list"; return 1; }`,
        `      [ "$(xv "count(//volume/node[peerid='$uuid' and starts-with(path,'/')])")" -gt 0 ] || return 0`,
        `      mine=$(xl "//volume/node[peerid='$uuid' and starts-with(path,'/')]/clientsStatus/client/hostname/text()" | sed 's/:[0-9]*$//' | sort | uniq -c)`,
        `      need=$(for peer in $(xl "//volume/node[peerid!='$uuid' and starts-with(path,'/')]/peerid/text()"); do`,
        `        xl "//volume/node[peerid='$peer' and starts-with(path,'/')]/clientsStatus/client/hostname/text()" | sed 's/:[0-9]*$//' | sort | uniq -c`,
        `      done | awk '{ if ($1 > n[$2]) n[$2] = $1 } END { for (c in n) print n[c], c }')`,
        `      missing=$(printf '%s\\n' "$need" | while read -r n c; do`,
        `        [ -n "$c" ] || continue`,
        `        have=$(printf '%s\\n' "$mine" | awk -v c="$c" '$2 == c { print $1 }')`,
        `        [ "\${have:-0}" -ge "$n" ] || printf ' %s (%s of %s)' "$c" "\${have:-0}" "$n"`,
        `      done)`,
        `      why="clients not yet reconnected:$missing"`,
        `      [ -z "$missing" ]`,
        `    }`,
        `    wait_for "the clients of ${dq(p.volumeName)} to reconnect to "${node} ${p.volumeSeconds} clients_back`,
        `    # What was written while it was away must be copied to it before another node may go`,
        `    # (self-heal starts by itself when the brick comes back).`,
        `    wait_for "self-heal of ${dq(p.volumeName)} to catch up after ${dq(p.name)} came back" ${p.healSeconds} heal_done`,
        `  fi`,
        `fi`,
    ];
}

export interface GoParams {
    /** The node's name: its container. */
    name: string;
    /** The node's address, as its brick is named. */
    address: string;
    volumeName: string;
    glusterdSeconds: number;
    healSeconds: number;
    /** How long a peer or brick that is down may take to come back before the node's going is refused. Default 15. */
    settleSeconds?: number;
    /** Every node's address: a disconnected peer none of them is gets named as a leftover. */
    declared?: string[];
}

/**
 * The ready step's delete, which runs before the node's container goes, whatever makes it
 * go: the engine deletes a container's dependents that a replacement replaces (the ready
 * step's trigger is the container's id) before the container itself, and the ready step
 * when the node leaves the program. A running node may go only while the cluster can spare
 * it: every peer connected, every other brick online, and — when its own brick serves —
 * nothing left to heal (it may hold the only good copy). Otherwise the delete fails and the
 * container stays. A node that serves nothing already (its container stopped or gone, its
 * glusterd silent) may go: replacing it is how it is repaired.
 */
export function readyDeleteScript(p: GoParams): string {
    return [
        `set -eu`,
        ...containerState(p.name),
        `case $state in`,
        `  gone) echo "container ${dq(p.name)} is gone: nothing to keep"; exit 0 ;;`,
        `  running) ;;`,
        `  *) echo "${dq(p.name)} is $state: it serves nothing now, so it may go"; exit 0 ;;`,
        `esac`,
        inContainer(p.name, goGateScript(p)),
        ``,
    ].join("\n");
}

/** The part of readyDeleteScript that runs in the node's container: may it go now? */
export function goGateScript(p: GoParams): string {
    const node = shq(p.name);
    const settle = p.settleSeconds ?? 15;
    return script(
        `vol=${shq(p.volumeName)}`,
        `declared=${shq((p.declared ?? []).join(" "))}`,
        ...wholeFunctions(),
        `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `stop="Nothing was changed: ${dq(p.name)} still runs. If ${dq(p.name)} is the node that is broken, stop its container (docker stop ${dq(p.name)}) and run pulumi up again: a stopped node may be replaced."`,
        `# A glusterd that does not answer says nothing about the bricks: they serve clients on their`,
        `# own. With no brick process (glusterfsd) the node serves nothing and may go (a pool that`,
        `# never formed, a destroy); with one, whether the others could do without it cannot be`,
        `# told, so it stays.`,
        `if ! poll ${settle} glusterd_answers; then`,
        `  pgrep -x glusterfsd >/dev/null || { echo "glusterd in ${dq(p.name)} does not answer and no brick process runs in it: it serves nothing now, so it may go"; exit 0; }`,
        `  die "glusterd in ${dq(p.name)} does not answer, so whether the others can serve without it cannot be told. $stop"`,
        `fi`,
        `if [ "$(xv 'count(//peerStatus/peer)')" -le 1 ]; then echo ${node}" is in no pool: nothing to keep whole"; exit 0; fi`,
        `out=$(g volume info "$vol")`,
        `if [ "$(xv /cliOutput/opRet)" != 0 ] || [ "$(xv //volume/statusStr)" != Started ]; then echo "no started volume $vol: nothing to keep whole"; exit 0; fi`,
        `bricks=$(xl '//volume/bricks/brick/name/text()')`,
        `poll ${settle} peers_connected || die ${node}" cannot go now: the others must be in service while it is away, and these peers are not connected: $why. $(stray_hint)Start them (or replace a lost one first), then run pulumi up again. $stop"`,
        `# Every other brick online (a brick of a node that is down is missing from the status,`,
        `# so each brick of the volume is looked for); this node's own may be down: that is what`,
        `# is being repaired.`,
        `others_up() {`,
        `  out=$(g volume status "$vol")`,
        `  [ "$(xv /cliOutput/opRet)" = 0 ] || { why="no volume status: $(reason)"; return 1; }`,
        `  why=""`,
        `  for b in $bricks; do`,
        `    [ "\${b%%:*}" = ${shq(p.address)} ] && continue`,
        `    [ "$(xv "count(//volume/node[hostname='\${b%%:*}' and path='\${b#*:}' and status=1])")" = 1 ] || why="$why \${b%%:*}"`,
        `  done`,
        `  [ -z "$why" ]`,
        `}`,
        `poll ${settle} others_up || die ${node}" cannot go now: the others must be in service while it is away, and bricks are offline on:$why. $stop"`,
        `if [ "$(xv "count(//volume/node[starts-with(path,'/') and status=1 and hostname=${xpathLiteral(p.address)}])")" = 0 ]; then echo "the brick of ${dq(p.name)} is offline: nothing it holds can be read now, so it may go"; exit 0; fi`,
        `wait_for "self-heal of $vol to catch up before ${dq(p.name)} goes" ${p.healSeconds} heal_done`,
        `echo ${node}" may go: every peer connected, every brick online, nothing to heal"`,
    );
}
