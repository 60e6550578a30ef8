/**
 * A host rebuilt in place (`rebuilt: true`): the node comes back under its old name and
 * address with its state and brick gone, so its glusterd has a new UUID that its peers do not
 * know. GlusterFS's own way back for this: the node takes back the UUID its peers know it by,
 * probes one of them and restarts (the pool's definition and the volume's come over), and
 * `volume reset-brick … commit force` takes the empty directory as the same brick, which
 * self-heal then fills from the others. Nothing is touched unless the node is fresh (no peers,
 * no volume), its brick directory is empty and every other brick is online.
 *
 * The steps need glusterd restarted, which means the container: they are run from the
 * node's Docker host (`reclaimHostScript`), each in-container part a script of its own.
 */
import { dq, shq, shqAll } from "../shell";
import { script, xpathLiteral } from "./prelude";

export interface ReclaimParams {
    name: string;
    address: string;
    /** The other nodes' addresses: the one that knows this address under another UUID is asked. */
    others: string[];
    volumeName: string;
    /** The node's brick directory in its container; none for a pool-only node. */
    brick?: string;
    /** The state directory's TLS certificate, when the cluster runs TLS: it must be in place first. */
    tlsCert?: string;
    glusterdSeconds: number;
    peersSeconds: number;
    volumeSeconds: number;
}

/** The line the check prints when the node is to take back its identity: `reclaim: UUID PEER`. */
const VERDICT = "reclaim:";

/**
 * Written when the node has taken back its UUID, removed once its brick is reset and healing:
 * a run that fails in between is taken up again by the next one (the node then looks like
 * itself to its peers, and would otherwise be left with an empty brick outside the volume).
 */
export const RECLAIM_MARK = "/var/lib/glusterd/glusterfs-cluster/reclaim";

/**
 * In the container: prints `reclaim: UUID PEER` when this node is fresh and PEER knows its
 * address as UUID; prints no verdict when there is nothing to take back (the node is known by
 * its own UUID, or new); fails, touching nothing, when taking it back is not safe.
 */
export function reclaimCheckScript(p: ReclaimParams): string {
    const name = dq(p.name);
    const nothing = "Nothing was changed.";
    return script(
        ...(p.tlsCert
            ? [
                  `# With TLS, glusterd speaks to its peers only with the node's certificate, which lives`,
                  `# in the state storage: a wiped state lost it too.`,
                  `[ -s ${shq(p.tlsCert)} ] || die "${name}'s TLS files went with its state, so it cannot speak to its peers. ${nothing} Put them back first: pulumi up --replace with the URN of its TLS files step (pulumi stack --show-urns | grep tls-files-${name}), then pulumi up again."`,
              ]
            : []),
        `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `wait_for "glusterd on ${name} to answer" ${p.glusterdSeconds} glusterd_answers`,
        `# A run that took back the UUID and failed before the brick was reset: go on with it.`,
        `if [ -s ${RECLAIM_MARK} ]; then`,
        `  read -r old from < ${RECLAIM_MARK}`,
        `  case $old$from in *[!0-9a-zA-Z._-]*) die "${RECLAIM_MARK} holds no UUID and peer" ;; esac`,
        `  echo "${VERDICT} $old $from"`,
        `  exit 0`,
        `fi`,
        `# A node with peers is itself (or is judged by the ready step): nothing to take back.`,
        `[ "$(xv 'count(//peerStatus/peer)')" -le 1 ] || exit 0`,
        `my_uuid`,
        `# Ask the other nodes who they know at this address. One that is slow to answer (its`,
        `# glusterd busy with the stranger at this address) is asked again: the node is judged only`,
        `# once every other node has answered, or one knows it under another UUID. Names that do`,
        `# not resolve are nodes not created yet.`,
        `cli_timeout=5`,
        `ask_others() {`,
        `  old=""; from=""; asked=0; resolved=0; silent=""`,
        `  for other in ${shqAll(p.others)}; do`,
        `    getent hosts "$other" >/dev/null 2>&1 || continue`,
        `    resolved=$((resolved + 1))`,
        `    out=$(gr "$other" peer status)`,
        `    [ "$(xv /cliOutput/opRet)" = 0 ] || { silent="$silent $other"; continue; }`,
        `    asked=$((asked + 1))`,
        `    known=$(xv "//peer[hostnames/hostname=${xpathLiteral(p.address)}]/uuid")`,
        `    if [ -n "$known" ] && [ "$known" != "$uuid" ]; then old=$known; from=$other; return 0; fi`,
        `  done`,
        `  [ "$asked" = "$resolved" ] || { why="no answer from$silent"; return 1; }`,
        `}`,
        `wait_for "the other nodes to say whom they know at ${dq(p.address)}" ${p.peersSeconds} ask_others`,
        `cli_timeout=60`,
        `# Nobody knows this address under another UUID: a new node, or one that is itself.`,
        `[ -n "$old" ] || exit 0`,
        `case $old in *[!0-9a-f-]*) die "$from knows ${name} as UUID '$old', which is not a UUID. ${nothing}" ;; esac`,
        `out=$(g volume list)`,
        `[ "$(xv 'count(//volList/volume)')" = 0 ] || die "${name} knows a volume but no peer: it is not a freshly rebuilt node. ${nothing} Replace it as a lost host instead (README: Replacing a lost host)."`,
        ...(p.brick
            ? [
                  `# The brick must be empty: reset-brick takes the directory as it is, and self-heal`,
                  `# fills it from the others; files already there would be taken as the volume's.`,
                  `if [ -d ${shq(p.brick)} ] && [ -n "$(ls -A ${shq(p.brick)})" ]; then`,
                  `  die "${name} has files in its brick directory ${dq(p.brick)}, so it is not an empty, rebuilt brick. ${nothing} If they are to go (the other bricks hold the volume's data), empty it (docker exec ${name} rm -rf ${dq(p.brick)}), then pulumi up."`,
                  `fi`,
              ]
            : []),
        `# The others hold the data the brick is refilled from: every one of them must be online.`,
        `# (The status of a volume leaves out the bricks of a peer that is not connected: the`,
        `# bricks are counted from its definition.)`,
        `out=$(gr "$from" volume info ${shq(p.volumeName)})`,
        `[ "$(xv /cliOutput/opRet)" = 0 ] || die "cannot read the definition of ${dq(p.volumeName)} from $from: $(reason). ${nothing}"`,
        `mine=$(xv "count(//volume/bricks/brick[hostUuid='$old'])")`,
        `others=$(( $(xv 'count(//volume/bricks/brick)') - mine ))`,
        ...(p.brick
            ? [
                  `[ "$mine" = 1 ] || die "$from lists no brick of ${name} (UUID $old) in ${dq(p.volumeName)}. ${nothing} Replace it as a lost host instead (README: Replacing a lost host)."`,
              ]
            : []),
        `out=$(gr "$from" volume status ${shq(p.volumeName)})`,
        `[ "$(xv /cliOutput/opRet)" = 0 ] || die "cannot read the status of ${dq(p.volumeName)} from $from: $(reason). ${nothing}"`,
        `up=$(xv "count(//volume/node[peerid!='$old' and starts-with(path,'/') and status=1 and port > 0])")`,
        `[ "$up" = "$others" ] || die "$up of the $others other bricks of ${dq(p.volumeName)} are online: ${name}'s brick could only be refilled from those, and losing one more would stop the volume. ${nothing} Bring them back, then pulumi up."`,
        `echo "${VERDICT} $old $from"`,
    );
}

/** In the container, with the UUID as $1 and the peer as $2: the node takes the UUID back, and its brick directory exists. */
export function adoptScript(p: ReclaimParams): string {
    return [
        `set -eu`,
        `case $1 in ''|*[!0-9a-f-]*) echo "error: not a UUID: '$1'" >&2; exit 1 ;; esac`,
        `f=/var/lib/glusterd/glusterd.info`,
        `sed "s/^UUID=.*/UUID=$1/" "$f" > "$f.new"`,
        `grep -qx "UUID=$1" "$f.new" || { echo "error: $f has no UUID line to replace" >&2; exit 1; }`,
        `mv "$f.new" "$f"`,
        `mkdir -p ${RECLAIM_MARK.replace(/\/[^/]*$/, "")}`,
        `printf '%s %s\\n' "$1" "$2" > ${RECLAIM_MARK}`,
        ...(p.brick
            ? [
                  `# glusterd resolves a brick's directory when it loads the volume: one that is not there`,
                  `# then is taken by reset-brick for a new brick, which it refuses.`,
                  `mkdir -p ${shq(p.brick)}`,
              ]
            : []),
        `echo "ok: ${dq(p.name)} has UUID $1 again"`,
        ``,
    ].join("\n");
}

/** In the container after a restart, with the UUID as $1 and a peer as $2: joins the pool again through that peer. */
export function rejoinProbeScript(p: ReclaimParams): string {
    return script(
        `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `wait_for "glusterd on ${dq(p.name)} to answer" ${p.glusterdSeconds} glusterd_answers`,
        `my_uuid`,
        `want=$1`,
        `peer=$2`,
        `[ "$uuid" = "$want" ] || die "${dq(p.name)} did not keep UUID $want (it has $uuid)"`,
        `# The peer knows this UUID: the probe makes them friends again, and the pool's and`,
        `# the volume's definitions come over from it.`,
        `out=$(g peer probe "$peer")`,
        `[ "$(xv /cliOutput/opRet)" = 0 ] || die "peer probe $peer from ${dq(p.name)} failed: $(reason)"`,
        `probed() { out=$(g peer status); [ "$(xv "boolean(//peer[hostnames/hostname='$peer' and connected=1])")" = true ]; }`,
        `wait_for "$peer to take ${dq(p.name)} back" ${p.peersSeconds} probed`,
        `# The volume's definition comes over from the peer. It must be in the node's store before`,
        `# the restart: glusterd resolves its own brick's directory when it loads the volume from`,
        `# there, but not when the definition arrives from a peer while it runs (reset-brick would`,
        `# then take the brick for a new one and refuse).`,
        `has_volume() { out=$(g volume info ${shq(p.volumeName)}); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `wait_for "the definition of ${dq(p.volumeName)} to reach ${dq(p.name)}" ${p.peersSeconds} has_volume`,
    );
}

/** In the container after the second restart: back in the pool with the volume; then its brick is reset and healed. */
export function rejoinBrickScript(p: ReclaimParams): string {
    const vol = shq(p.volumeName);
    const brick = p.brick ? `${p.address}:${p.brick}` : "";
    return script(
        `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `wait_for "glusterd on ${dq(p.name)} to answer" ${p.glusterdSeconds} glusterd_answers`,
        `my_uuid`,
        `# Every peer it knows is connected and in the pool, and sees it so too.`,
        `cli_timeout=5`,
        `in_pool() {`,
        `  out=$(g peer status)`,
        `  [ "$(xv 'count(//peer)')" -gt 0 ] || { why="no peers yet"; return 1; }`,
        `  why=$(peers_not_ok)`,
        `  [ -z "$why" ] || return 1`,
        `  for peer in $(xl '//peer/hostname/text()'); do`,
        `    out=$(gr "$peer" peer status)`,
        `    [ "$(xv "boolean(//peer[uuid='$uuid' and state=3 and connected=1])")" = true ] || { why="$peer does not see ${dq(p.name)} in the pool yet"; return 1; }`,
        `  done`,
        `}`,
        `wait_for "${dq(p.name)} to be back in the pool" ${p.peersSeconds} in_pool`,
        `has_volume() { out=$(g volume info ${vol}); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `wait_for "the definition of ${dq(p.volumeName)} to reach ${dq(p.name)}" ${p.peersSeconds} has_volume`,
        `cli_timeout=60`,
        ...(brick
            ? [
                  `# The empty directory becomes the same brick again (commit force: its volume marks are`,
                  `# gone with the old disk); self-heal refills it from the others, and a full heal makes`,
                  `# sure of every file, not only those the others' indexes name.`,
                  `brick_online() { out=$(g volume status ${vol}); [ "$(xv "boolean(//volume/node[peerid='$uuid' and starts-with(path,'/') and status=1 and port > 0])")" = true ]; }`,
                  `# (A run taken up again may find it done already.)`,
                  `if ! brick_online; then`,
                  `  if ! tx volume reset-brick ${vol} ${shq(brick)} ${shq(brick)} commit force; then`,
                  `    # The brick's directory not resolved yet (see the probe step): the host restarts the`,
                  `    # container once more, and runs this again.`,
                  `    case $(reason) in *"destination brick is new"*) echo "glusterd has not resolved the directory of ${dq(brick)} yet" >&2; exit 3 ;; esac`,
                  `    die "reset-brick of ${dq(brick)} failed: $(reason)"`,
                  `  fi`,
                  `  echo "ok: ${dq(brick)} is the volume's brick again"`,
                  `fi`,
                  `wait_for "the brick ${dq(brick)} to be online" ${p.volumeSeconds} brick_online`,
                  `# The CLI answers heal commands in plain text, even with --xml. It refuses while the`,
                  `# self-heal daemons are still connecting to the new brick.`,
                  `full_heal() { why=$(gluster --mode=script --timeout=60 -- volume heal ${vol} full 2>&1) || return 1; }`,
                  `wait_for "a full heal of ${dq(p.volumeName)} to start" ${p.volumeSeconds} full_heal`,
              ]
            : []),
        `rm -f ${RECLAIM_MARK}`,
    );
}

/**
 * On the node's Docker host: the check, and when it says so the steps with a restart of the
 * container between them; then `ready` (the ready step's script, run in the container). A
 * node that took back its identity is waited for as a restarted one (`readyStart`): back
 * in service, its brick filled.
 */
export function reclaimHostScript(p: ReclaimParams, ready: string, readyStart: string): string {
    const c = shq(p.name);
    const exec = (s: string, args = "") => `docker exec ${c} sh -c ${shq(s)}${args ? ` sh ${args}` : ""}`;
    return [
        `set -eu`,
        `# ${p.name} is declared rebuilt: if it came back fresh under a UUID its peers do not know, it takes back the old one.`,
        `verdict=$(${exec(reclaimCheckScript(p))})`,
        `printf '%s\\n' "$verdict" | grep -v '^${VERDICT} ' || true`,
        `old=$(printf '%s\\n' "$verdict" | sed -n 's/^${VERDICT} \\([0-9a-f-]*\\) .*/\\1/p')`,
        `if [ -n "$old" ]; then`,
        `  from=$(printf '%s\\n' "$verdict" | sed -n 's/^${VERDICT} [0-9a-f-]* //p')`,
        `  echo "${dq(p.name)} was rebuilt in place: it takes back UUID $old, known to $from"`,
        `  ${exec(adoptScript(p), `"$old" "$from"`)}`,
        `  docker restart -t 60 ${c} >/dev/null`,
        `  ${exec(rejoinProbeScript(p), `"$old" "$from"`)}`,
        `  # Restarted once more, it loads what the peer sent: the pool and the volume.`,
        `  docker restart -t 60 ${c} >/dev/null`,
        `  rc=0`,
        `  ${exec(rejoinBrickScript(p))} || rc=$?`,
        `  if [ "$rc" = 3 ]; then`,
        `    echo "restarting ${dq(p.name)} once more, so that glusterd loads the volume from its store"`,
        `    docker restart -t 60 ${c} >/dev/null`,
        `    ${exec(rejoinBrickScript(p))}`,
        `  elif [ "$rc" != 0 ]; then`,
        `    exit "$rc"`,
        `  fi`,
        `  ${exec(readyStart)}`,
        `  exit 0`,
        `fi`,
        exec(ready),
        ``,
    ].join("\n");
}
