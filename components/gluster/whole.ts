import { dq, shq, shqAll } from "../shell";
import { plainMemberRefused } from "../tlsFiles";
import { inContainer } from "./exec";
import { script } from "./prelude";

/**
 * Checks that the cluster is whole — every peer connected, every brick online, self-heal
 * caught up — as shell functions over `$vol`. Used before a rolling replacement starts and
 * between its nodes.
 */
export function wholeFunctions(): string[] {
    return [
        `# Each check reads the common case, all fine, with one xmllint; what is wrong, with more.`,
        `peers_connected() {`,
        `  out=$(g peer status)`,
        `  [ "$(xv "concat(/cliOutput/opRet, '/', count(//peer[not(state=3 and connected=1)]))")" = 0/0 ] && return 0`,
        `  bad=$(peers_not_ok)`,
        `  why="$bad"`,
        `  [ "$(xv /cliOutput/opRet)" = 0 ] && [ -z "$bad" ]`,
        `}`,
        `# stray_hint: of the peers in the "peer status" reply in $out that are not connected, those`,
        `# that no node of the program is ($declared; a leftover of a failed or reverted`,
        `# replacement): what to do about them. Nothing when $declared is not set.`,
        `stray_hint() {`,
        `  [ -n "\${declared:-}" ] || return 0`,
        `  sh_s=""`,
        `  for p in $(xl '//peer[not(state=3 and connected=1)]/hostname/text()'); do`,
        `    case " $declared " in *" $p "*) ;; *) sh_s="$sh_s $p" ;; esac`,
        `  done`,
        `  [ -z "$sh_s" ] || printf 'No node of the program is%s (a leftover of a failed or reverted replacement): detach it from a node of the pool (docker exec NODE gluster peer detach NAME), then run pulumi up again. ' "$sh_s"`,
        `}`,
        `bricks_up() {`,
        `  out=$(g volume status "$vol")`,
        `  [ "$(xv "concat(/cliOutput/opRet, '/', count(//volume/node[starts-with(path,'/') and status!=1]), '/', count(//volume/node[starts-with(path,'/')]) > 0)")" = 0/0/true ] && return 0`,
        `  why=$(xl "//volume/node[starts-with(path,'/') and status!=1]/hostname/text()" | tr '\\n' ' ')`,
        `  [ "$(xv /cliOutput/opRet)" = 0 ] && [ "$(xv "count(//volume/node[starts-with(path,'/') and status!=1])")" = 0 ] && [ "$(xv "count(//volume/node[starts-with(path,'/')])")" -gt 0 ]`,
        `}`,
        `# heal_done: every brick connected to the heal info, nothing to heal, nothing in split-brain`,
        `# (a split-brain needs a person: it fails at once). The self-heal daemon crawls when a brick`,
        `# comes back and then every 10 minutes; a file busy with writes is skipped by a crawl (its`,
        `# writer holds the lock), so while something is pending a crawl is asked for every 5 s.`,
        `# A brick the heal info cannot reach shows "-" for every count: only connected bricks are`,
        `# summed, and one that is not connected means "not yet".`,
        `heal_kicked=0`,
        `heal_done() {`,
        `  out=$(g volume heal "$vol" info summary)`,
        `  [ "$(xv "concat(/cliOutput/opRet, '/', count(//healInfo/bricks/brick[status!='Connected']), '/', sum(//healInfo/bricks/brick/totalNumberOfEntries), '/', sum(//healInfo/bricks/brick/numberOfEntriesInSplitBrain), '/', count(//healInfo/bricks/brick) > 0)")" = 0/0/0/0/true ] && return 0`,
        `  if [ "$(xv "sum(//healInfo/bricks/brick[status='Connected']/totalNumberOfEntries)")" != 0 ] && [ $(( $(ms) - heal_kicked )) -ge 5000 ]; then`,
        `    heal_kicked=$(ms)`,
        `    g volume heal "$vol" >/dev/null`,
        `    out=$(g volume heal "$vol" info summary)`,
        `  fi`,
        `  [ "$(xv /cliOutput/opRet)" = 0 ] || { why="heal info: $(reason)"; return 1; }`,
        `  split=$(xv "sum(//healInfo/bricks/brick[status='Connected']/numberOfEntriesInSplitBrain)")`,
        `  [ "$split" = 0 ] || die "the volume $vol has $split entries in split-brain; they need a person (gluster volume heal $vol info split-brain). Nothing was changed."`,
        `  why=$(xl '//healInfo/bricks/brick/name/text()' | while IFS= read -r b; do`,
        `    st=$(xv "//healInfo/bricks/brick[name='$b']/status")`,
        `    n=$(xv "//healInfo/bricks/brick[name='$b']/totalNumberOfEntries")`,
        `    if [ "$st" != Connected ]; then printf '%s: not connected, ' "$b"; elif [ "$n" != 0 ]; then printf '%s: %s entries to heal, ' "$b" "$n"; fi`,
        `  done | sed 's/, $//')`,
        `  [ -z "$why" ] && [ "$(xv "count(//healInfo/bricks/brick)")" -gt 0 ]`,
        `}`,
    ];
}

export interface PreflightParams {
    /** The component's name, as the containers' cluster label holds it. */
    cluster: string;
    /** The first node's container, where a rolling replacement starts. */
    container: string;
    /** The fingerprint the first node's container is to run with. */
    fingerprint: string;
    volumeName: string;
    /** The brick nodes' bricks (`address:path`), as the program wants them. */
    bricks: string[];
    glusterdSeconds: number;
    /** How long pending self-heal may take to catch up before the roll is refused. */
    healSeconds: number;
    /** How long a peer or brick that is down may take to come back before the roll is refused. Default 15. */
    settleSeconds?: number;
    /** Where the first node's glusterd state is: a Docker volume (container mode) or a host directory (host mode). */
    state: { volume: string } | { dir: string };
    /** Every node's address: a disconnected peer none of them is gets named as a leftover. */
    declared?: string[];
    /** The brick (`address:path`) of the node that replaces a lost one (`replaces`), if any. */
    replacer?: string;
    /** TLS: when each issued certificate ends (seconds since the epoch), by "node NAME" / "client NAME". */
    expiries?: Array<[string, number]>;
    /**
     * TLS is to run and no switch was accepted (host mode): a first node's state that holds a
     * cluster (glusterd.info) without `secure-access` runs plain, and is refused.
     */
    tlsExpected?: boolean;
}

/**
 * The volume's bricks must be the ones the node list declares, but for at most one: the
 * brick of a node that replaces a lost one (`replaces`), in place of one the volume holds.
 * Anything else means the node list does not describe the volume — a lost-host replacement
 * that finished and is being reverted, or attempts stacked on one another — and building
 * it would rebuild bricks the volume does not hold. Checked on every change of the node
 * list, before anything is touched; needs \`vol\` and glusterd answering.
 */
export function bricksMatch(p: PreflightParams): string[] {
    return [
        `out=$(g volume info "$vol")`,
        `if [ "$(xv "count(/cliOutput[opRet=0]//volume/bricks/brick)")" != 0 ]; then`,
        `  have=$(xl '//volume/bricks/brick/name/text()' | sort)`,
        `  want=$(printf '%s\n' ${shqAll(p.bricks)} | sort)`,
        `  undeclared=$(printf '%s\n' "$have" | grep -vxF -e "$want" || true)`,
        `  absent=$(printf '%s\n' "$want" | grep -vxF -e "$have" || true)`,
        `  if [ -n "$undeclared$absent" ] && { [ "$absent" != ${shq(p.replacer ?? "")} ] || [ "$(printf '%s\n' "$undeclared" | wc -l)" != 1 ]; }; then`,
        `    die "the volume $vol has the bricks $(echo $have), and the node list declares $(echo $want): it must list the nodes that hold the volume's bricks, with at most one new node that replaces a lost one (replaces:). On no node of the list: $(echo $undeclared). Not in the volume: $(echo $absent). If a lost host's replacement finished, its new node holds the brick now: keep it in the list. Nothing was changed."`,
        `  fi`,
        `fi`,
    ];
}

/** The part that runs in the first node's container: the cluster must be whole. */
export function wholeBeforeRoll(p: PreflightParams): string {
    const vol = shq(p.volumeName);
    const nothing = "Nothing was changed.";
    return script(
        `vol=${vol}`,
        `declared=${shq((p.declared ?? []).join(" "))}`,
        ...wholeFunctions(),
        `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `wait_for "glusterd on ${dq(p.container)} to answer" ${p.glusterdSeconds} glusterd_answers`,
        `pool=$out`,
        ...bricksMatch(p),
        `out=$pool`,
        `if [ "$(xv 'count(//peerStatus/peer)')" -le 1 ]; then echo "no pool yet: nothing to keep whole"; exit 0; fi`,
        `poll ${p.settleSeconds ?? 15} peers_connected || die "a rolling replacement replaces the nodes one at a time and needs the others in service; these peers are not connected: $why. $(stray_hint)Start them (or replace a lost one first), then run pulumi up again. ${nothing}"`,
        `out=$(g volume info "$vol")`,
        `if [ "$(xv /cliOutput/opRet)" != 0 ] || [ "$(xv //volume/statusStr)" != Started ]; then echo "no started volume yet: nothing more to check"; exit 0; fi`,
        `[ "$(xl '//volume/bricks/brick/name/text()' | sort)" = "$(printf '%s\\n' ${shqAll(p.bricks)} | sort)" ] || die "the volume's bricks are not the ones the program wants (a lost host being replaced?) while the containers would be replaced too: replace the lost host in one update and change the containers in another. ${nothing}"`,
        `poll ${p.settleSeconds ?? 15} bricks_up || die "a rolling replacement needs every brick online; offline on: $why. ${nothing}"`,
        `wait_for "self-heal to catch up before the first node is replaced" ${p.healSeconds} heal_done`,
    );
}

/** The part that runs in the first node's container when it keeps its settings: the volume's bricks are the declared ones. */
export function bricksBeforeChange(p: PreflightParams): string {
    return script(
        `vol=${shq(p.volumeName)}`,
        `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
        `wait_for "glusterd on ${dq(p.container)} to answer" ${p.glusterdSeconds} glusterd_answers`,
        ...bricksMatch(p),
        `echo "the volume's bricks are the declared ones"`,
    );
}

/** A shell test: the first node's glusterd state does not exist (it has never started). */
function stateAbsent(state: PreflightParams["state"]): string {
    return "volume" in state ? `! docker volume inspect ${shq(state.volume)} >/dev/null 2>&1` : `[ ! -e ${shq(`${state.dir}/glusterd.info`)} ]`;
}

/**
 * Runs on the first node's host before anything a cluster runs with is touched (the
 * firewalls, the storage, the containers). A cluster that does not exist yet passes; a
 * container of another GlusterCluster under the first node's name means the component was
 * renamed, and is refused; when the first node's container is to be replaced (a rolling
 * replacement starts), the cluster must be whole.
 */
export function preflightScript(p: PreflightParams): string {
    const c = shq(p.container);
    const label = (key: string) => `{{index .Config.Labels "${key}"}}`;
    return [
        `set -eu`,
        ...plainStateRefused(p),
        `# One inspect for the three fields (each docker call costs a round trip, over SSH too).`,
        `# Only "no such container" means there is none: any other failure (the engine, the user's`,
        `# access to it) stops here, rather than being taken for a cluster that does not exist.`,
        `# The fields are the line the template marks: a warning docker prints beside them is not one.`,
        `if ! info=$(docker container inspect -f 'info={{.State.Status}}|${label("io.glusterfs-cluster.cluster")}|${label("io.glusterfs-cluster.spec")}' ${c} 2>&1); then`,
        `  case $info in`,
        `    *"No such container"*|*"No such object"*) ;;`,
        `    *) echo "error: cannot tell whether ${dq(p.container)} runs on this host: docker said: $info. Nothing was changed." >&2; exit 1 ;;`,
        `  esac`,
        `  if ${stateAbsent(p.state)}; then echo "no container ${dq(p.container)} yet and no state: a new cluster"; exit 0; fi`,
        `  echo "no container ${dq(p.container)}, but its state is there: an existing cluster"`,
        `  exit 0`,
        `fi`,
        `said=$info; info=$(printf '%s\\n' "$said" | sed -n 's/^info=//p' | tail -n 1)`,
        `[ -n "$info" ] || { echo "error: cannot tell whether ${dq(p.container)} runs on this host: docker said: $said. Nothing was changed." >&2; exit 1; }`,
        `state=\${info%%|*}; labels=\${info#*|}; owner=\${labels%%|*}; spec=\${labels#*|}`,
        `if [ "$owner" != ${shq(p.cluster)} ]; then`,
        `  echo "error: the container ${dq(p.container)} on this host belongs to GlusterCluster \\"$owner\\", and this one is named ${dq(p.cluster)}. A GlusterCluster's name names its storage and resources: renamed, it would build a new, empty cluster beside the old one. Put back the name \\"$owner\\". Nothing was changed." >&2`,
        `  exit 1`,
        `fi`,
        `if [ "$spec" = ${shq(p.fingerprint)} ]; then`,
        `  echo ${c}" already runs with these settings: no rolling replacement starts"`,
        `  [ "$state" = running ] || exit 0`,
        `  ${inContainer(p.container, bricksBeforeChange(p))}`,
        `  exit 0`,
        `fi`,
        `if [ "$state" != running ]; then`,
        `  echo "error: ${dq(p.container)} is $state; a rolling replacement starts with it and needs the whole cluster in service. Start it (docker start ${dq(p.container)}), then run pulumi up again. Nothing was changed." >&2`,
        `  exit 1`,
        `fi`,
        ...expiredBeforeRoll(p.expiries ?? []),
        inContainer(p.container, wholeBeforeRoll(p)),
        ``,
    ].join("\n");
}

/** TLS that is to run on a cluster whose first node runs plain (tlsFiles.ts plainMemberRefused). */
function plainStateRefused(p: PreflightParams): string[] {
    if (!p.tlsExpected || !("dir" in p.state)) return [];
    return plainMemberRefused(
        shq(p.state.dir),
        `the first node's state (${dq(p.state.dir)}) holds a cluster that runs without TLS, and TLS would be turned on for it node by node (the identity step recorded TLS afresh: a new stack, or the step replaced)`,
    );
}

/**
 * A rolling replacement reconnects every client and peer to each restarted node: a holder
 * of a certificate that has ended would lose its mount (or its place in the pool) there.
 * Refused, before anything is touched, by the host's clock.
 */
function expiredBeforeRoll(expiries: Array<[string, number]>): string[] {
    if (expiries.length === 0) return [];
    return [
        `now=$(date +%s)`,
        `expired=""`,
        ...expiries.map(([who, end]) => `[ "$now" -lt ${Math.floor(end)} ] || expired="$expired, ${who.replace(/[^a-z0-9 .-]/g, "")}"`),
        `if [ -n "$expired" ]; then`,
        `  echo "error: the certificate of \${expired#, } has ended, and a rolling replacement reconnects every client and peer: its holder would lose its mount there. Nothing was changed. Put back the change that replaces the containers, raise tls.rotation (it re-issues every certificate in place, with no container replaced), give each client its new bundle (pulumi stack output tlsClients --show-secrets), then make the change again (README: TLS)." >&2`,
        `  exit 1`,
        `fi`,
    ];
}
