import { dq, shq, shqAll } from "../shell";
import { detachStrays } from "./pool";
import { script } from "./prelude";
import { wholeFunctions } from "./whole";

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
    healSeconds: number;
    /**
     * Whether the volume may be created: only in the step's first run. Afterwards a missing
     * volume means this stack's volume vanished, and a new, empty one must not take its place.
     */
    mayCreate: boolean;
    /** This resource's ownership token (a volume option): a stale delete leaves the volume alone. */
    owner: string;
    /** How long a brick node that is not connected may take to reconnect before the volume is reported degraded. Default 15. */
    settleSeconds?: number;
    /** Every node's address: a peer none of them is, holding no brick, is detached (pool.ts, detachStrays). */
    declared?: string[];
}

/** The volume option where the component records which options it manages. */
export const MANAGED_OPTIONS_KEY = "user.glusterfs-cluster.managed-options";
/** The volume option that names the resource that owns the volume. */
export const OWNER_KEY = "user.glusterfs-cluster.owner";
/** The volume option the TLS switch (tlsSwitch.ts) holds while it is under way: "on" or "off", the way it goes; "done" after (GlusterFS 11.1 cannot reset a user.* option). */
export const TLS_SWITCH_KEY = "user.glusterfs-cluster.tls-switch";

/** Options that `gluster volume set all` takes (cluster-wide, not per volume). */
export function globalOptions(): string[] {
    return [
        "cluster.server-quorum-ratio",
        "cluster.brick-multiplex",
        "cluster.max-bricks-per-process",
        "cluster.localtime-logging",
        "cluster.daemon-log-level",
    ];
}

/** Step 1 of a create: every brick node sees every other as "Peer in Cluster", connected. */
function meshWait(p: VolumeScriptParams): string[] {
    return [
        `# glusterd answers read-only queries from other hosts (--remote-host), so all runs from here.`,
        `mesh_ok() {`,
        `  for node in ${shqAll(p.servers)}; do`,
        `    out=$(gr "$node" peer status)`,
        `    # The common case in one xmllint: every other node is a connected "Peer in Cluster".`,
        `    want=0; others=""`,
        `    for other in ${shqAll(p.servers)}; do`,
        `      [ "$other" = "$node" ] && continue`,
        `      want=$((want + 1)); others="\${others:+$others or }hostnames/hostname='$other'"`,
        `    done`,
        `    [ "$(xv "concat(/cliOutput/opRet, '/', count(//peer[state=3 and connected=1 and ($others)]))")" = "0/$want" ] && continue`,
        `    [ "$(xv /cliOutput/opRet)" = 0 ] || { why="$node: no answer"; return 1; }`,
        `    for other in ${shqAll(p.servers)}; do`,
        `      [ "$other" = "$node" ] && continue`,
        `      st=$(xv "//peer[hostnames/hostname='$other']/stateStr")`,
        `      cn=$(xv "//peer[hostnames/hostname='$other']/connected")`,
        `      [ "$(xv "//peer[hostnames/hostname='$other']/state")" = 3 ] && [ "$cn" = 1 ] || { why="$node sees $other as \${st:-not a peer}\${cn:+, $([ "$cn" = 1 ] && echo connected || echo disconnected)}"; return 1; }`,
        `    done`,
        `    why="$node: a peer is listed twice"`,
        `    return 1`,
        `  done`,
        `}`,
        `wait_for "every brick node to see every other in the cluster" ${p.peersSeconds} mesh_ok`,
    ];
}

/** Step 2: create the volume, or check that the existing one holds this program's bricks. */
function createOrCheck(p: VolumeScriptParams): string[] {
    const vol = shq(p.volumeName);
    const bricks = p.servers.map((s) => `${s}:${p.brickPath}`);
    // Sorted here, not by `sort` on the host: the set is shown sorted and the order does not count.
    const expected = shq([...bricks].sort().join(" "));
    const create = p.mayCreate
        ? [
              ...meshWait(p).map((l) => `  ${l}`),
              `  # Never "force": a brick on the root filesystem or reused from another volume must stop us.`,
              `  tx volume create ${vol} replica 3 ${shqAll(bricks)} || die "volume create ${dq(p.volumeName)}: $(reason)"`,
              `  echo "created volume ${dq(p.volumeName)} (replica 3)"`,
              `  created=1`,
              `  out=$(g volume info ${vol}); info`,
          ]
        : [
              `  die "volume ${dq(p.volumeName)} was created by this stack and no longer exists. Refusing to create a new, empty volume in its place: clients would write to it, and the bricks may still hold the old one's data. Nothing was changed. Find out what deleted it (cmd_history.log in each node's log directory). Each brick still holds its files. To start over with a new, empty volume: copy what you need out of one brick (each holds a full copy), empty every brick (on each brick node: docker exec NODE rm -rf ${dq(p.brickPath)}; its .glusterfs directory and its volume marks go with it), then run pulumi up with createMissingVolume: true (README: A volume that vanished), and take it out again."`,
          ];
    return [
        `# info: what this step reads of the "volume info" reply in $out, with one xmllint.`,
        `info() {`,
        `  IFS=/ read -r ret errno replica volume_id status ssl switching <<EOF`,
        `$(xv "concat(/cliOutput/opRet, '/', /cliOutput/opErrno, '/', //volume/replicaCount, '/', //volume/id, '/', //volume/statusStr, '/', //volume/options/option[name='server.ssl']/value, '/', //volume/options/option[name='${TLS_SWITCH_KEY}']/value)")`,
        `EOF`,
        `}`,
        `# in_set WORD LIST: WORD is one of the words of LIST (a brick name holds no blank).`,
        `in_set() { for w in $2; do [ "$w" = "$1" ] && return 0; done; return 1; }`,
        `# The bricks as a set: the order of the same three nodes does not change the volume.`,
        `expected=${expected}`,
        `created=""`,
        `out=$(g volume info ${vol}); info`,
        `if [ "$ret" != 0 ]; then`,
        `  [ "$errno" = 30806 ] || die "volume info ${dq(p.volumeName)}: $(reason)"`,
        ...create,
        `else`,
        `  actual=$(xl '//volume/bricks/brick/name/text()')`,
        `  # What the volume has and the program does not, and the other way round.`,
        `  gone=""; for b in $actual; do in_set "$b" "$expected" || gone="\${gone:+$gone }$b"; done`,
        `  new=""; for b in $expected; do in_set "$b" "$actual" || new="\${new:+$new }$b"; done`,
        `  if [ "$replica" != 3 ] || { [ -n "$gone$new" ] && ${p.mayCreate ? "true" : `{ [ "$(echo $gone | wc -w)" != 1 ] || [ "$(echo $new | wc -w)" != 1 ]; }`}; }; then`,
        `    die "volume ${dq(p.volumeName)} has replica $replica on $(echo $actual); this program wants replica 3 on $(echo $expected). Nothing was changed.${p.mayCreate ? " If it is not this stack's volume, choose another volumeName." : " Only one brick can be replaced per update (README: Replacing a lost host)."}"`,
        `  fi`,
        ...tlsOnlyThroughSwitch(p),
        ...(p.mayCreate ? [] : replaceBrick(p)),
        `  echo "volume ${dq(p.volumeName)} holds the expected bricks"`,
        `fi`,
    ];
}

/**
 * A lost host replaced: one brick of the volume is on a node the program no longer has, and
 * one node the program has holds none. The new node is in the pool (the pool step probed
 * it); its empty brick takes the old one's place with `replace-brick … commit force` (the
 * only form GlusterFS has; safe here because the new brick is empty and self-heal fills it
 * from the two others — no other use of force is ever made), and the old node is detached
 * once the new brick is filled (see healAndDetach).
 */
function replaceBrick(p: VolumeScriptParams): string[] {
    const vol = shq(p.volumeName);
    return [
        `  if [ -n "$gone" ]; then`,
        `    new_host=\${new%%:*}`,
        `    for b in $actual; do`,
        `      [ "$b" = "$gone" ] || [ "\${b%%:*}" != "$new_host" ] || die "the new brick $new would share host $new_host with $b: two copies of the data on one host. Nothing was changed."`,
        `    done`,
        `    poll ${p.peersSeconds} peer_ok "$new_host" || die "the new brick node $new_host is not a connected peer ($why); it must be in the pool before its brick replaces $gone. Nothing was changed."`,
        ...survivorsServe(p).map((l) => `    ${l}`),
        ...(p.options["auth.ssl-allow"] !== undefined
            ? [
                  `    # TLS: the new node's name must be allowed before its brick takes over: its self-heal`,
                  `    # daemon and the others' connect to bricks with their certificates' names.`,
                  `    tx volume set ${vol} auth.ssl-allow ${shq(p.options["auth.ssl-allow"])} || die "volume set ${dq(p.volumeName)} auth.ssl-allow: $(reason)"`,
              ]
            : []),
        `    tx volume replace-brick ${vol} "$gone" "$new" commit force || die "volume replace-brick ${dq(p.volumeName)} $gone $new: $(reason)"`,
        `    echo "replaced brick $gone with $new; self-heal fills it from the other two"`,
        `    mkdir -p ${REPLACED_DIR}`,
        `    echo "\${gone%%:*}" >> ${REPLACED_DIR}/hosts`,
        `  fi`,
    ];
}

/**
 * Before a brick is dropped for an empty one: the two that stay must be online (they are
 * what self-heal fills the new one from), and while the brick that goes still serves (its
 * node alive: a migration), nothing may be left to heal — it may hold the only good copy.
 */
function survivorsServe(p: VolumeScriptParams): string[] {
    return [
        `vol=${shq(p.volumeName)}`,
        ...wholeFunctions(),
        `# A brick of a node that is down is missing from the status: each brick that stays is looked for.`,
        `survivors_up() {`,
        `  out=$(g volume status "$vol")`,
        `  [ "$(xv /cliOutput/opRet)" = 0 ] || { why=" (no volume status: $(reason))"; return 1; }`,
        `  why=""`,
        `  for b in $actual; do`,
        `    [ "$b" = "$gone" ] && continue`,
        `    [ "$(xv "count(//volume/node[hostname='\${b%%:*}' and path='\${b#*:}' and status=1])")" = 1 ] || why="$why \${b%%:*}"`,
        `  done`,
        `  [ -z "$why" ]`,
        `}`,
        `poll ${p.settleSeconds ?? 15} survivors_up || die "the bricks that stay must be online before $gone is replaced by an empty brick (self-heal fills it from them); offline on:$why. Start them, then run pulumi up again. Nothing was changed."`,
        `if [ "$(xv "count(//volume/node[hostname='\${gone%%:*}' and path='\${gone#*:}' and status=1])")" = 1 ]; then`,
        `  wait_for "self-heal of $vol to catch up before the brick $gone is dropped" ${p.healSeconds} heal_done`,
        `fi`,
    ];
}

/** Where the volume step records the hosts whose brick it replaced, to detach them once the new brick is filled. */
export const REPLACED_DIR = "/var/lib/glusterd/glusterfs-cluster/replaced";

/**
 * After a brick was replaced: waits until self-heal has filled the new brick, then detaches
 * the old node (it may be down: glusterd lets a peer that holds no brick go while every
 * other peer is connected).
 */
function healAndDetach(p: VolumeScriptParams): string[] {
    const vol = shq(p.volumeName);
    return [
        `if [ -s ${REPLACED_DIR}/hosts ]; then`,
        `  vol=${vol}`,
        ...wholeFunctions().map((l) => `  ${l}`),
        `  wait_for "self-heal to fill the new brick of "${vol} ${p.healSeconds} heal_done`,
        `  for old in $(sort -u ${REPLACED_DIR}/hosts); do`,
        `    out=$(g peer status)`,
        `    if [ "$(xv "count(//peer[hostnames/hostname='$old'])")" != 0 ]; then`,
        `      down=$(peers_not_ok | sed "s/$old ([^)]*)\\(, \\)\\{0,1\\}//")`,
        `      tx peer detach "$old" || die "peer detach $old (whose brick was replaced): $(reason)\${down:+; these peers must be connected first: $down}"`,
        `      echo "detached $old, whose brick was replaced"`,
        `    fi`,
        `  done`,
        `  rm -f ${REPLACED_DIR}/hosts`,
        `fi`,
    ];
}

/**
 * Once every node runs a GlusterFS that can go further, the cluster's op-version is raised
 * (once; never while a peer is disconnected: `max-op-version` only counts connected peers).
 */
function opVersionSteps(): string[] {
    return [
        `out=$(g peer status)`,
        `if [ -z "$(peers_not_ok)" ]; then`,
        `  out=$(g volume get all cluster.op-version); op=$(xv "//volGetopts/Opt[Option='cluster.op-version']/Value")`,
        `  out=$(g volume get all cluster.max-op-version); max=$(xv "//volGetopts/Opt[Option='cluster.max-op-version']/Value")`,
        `  case "$op$max" in ''|*[!0-9]*) ;; *)`,
        `    if [ "$max" -gt "$op" ]; then`,
        `      tx volume set all cluster.op-version "$max" || die "volume set all cluster.op-version $max: $(reason)"`,
        `      echo "raised the cluster op-version from $op to $max (every node runs a newer GlusterFS)"`,
        `    fi ;;`,
        `  esac`,
        `fi`,
    ];
}

/**
 * TLS (`server.ssl`) changes on a volume only before its first start, or through the switch
 * (tls.acceptOutage), which stops it and sets `server.ssl` on or off first: set or reset on a
 * volume that was started, it would switch its bricks and clients at their next start while
 * every glusterd runs as before (a switch begun and backed out, then TLS by default or
 * tls.acceptOutage taken out; a record made afresh). `$ssl`: the volume's server.ssl and
 * `$status` its state, as `info` read them. Checked before anything is changed.
 */
function tlsOnlyThroughSwitch(p: VolumeScriptParams): string[] {
    const name = dq(p.volumeName);
    const on = p.options["server.ssl"] === "on";
    return [
        `  if [ -n "$switching" ] && [ "$switching" != "done" ]; then`,
        `    die "volume ${name} is stopped half-way through a switch \${switching} TLS (tls.acceptOutage), and that switch is no longer asked for: started now, its bricks and its glusterds would not agree. Nothing was changed. Finish it: set tls.enabled: $([ "$switching" = on ] && echo true || echo false) and tls.acceptOutage: true, and run pulumi up again (README: TLS)."`,
        `  fi`,
        `  if [ "$status" != Created ] && ${on ? `[ "$ssl" != on ]` : `[ "$ssl" = on ]`}; then`,
        on
            ? `    die "volume ${name} runs without TLS (server.ssl: \${ssl:-unset}), and TLS would be set on it outside the switch: every glusterd, brick and client must switch at once, with the volume stopped. Nothing was changed. Switch it (or finish a switch begun): set tls.enabled: true and tls.acceptOutage: true (README: TLS)."`
            : `    die "volume ${name} runs with TLS, and its TLS options would be reset outside the switch: every glusterd, brick and client must switch at once, with the volume stopped. Nothing was changed. Switch it off (or finish a switch begun): set tls.enabled: false and tls.acceptOutage: true; or keep it: tls.enabled: true (README: TLS)."`,
        `  fi`,
    ];
}

/** Step 3: options differing from what the volume holds are set in one transaction per scope; what an earlier run managed and this one does not is reset. */
function options(p: VolumeScriptParams): string[] {
    const vol = shq(p.volumeName);
    // "current" holds `volume get … all`; a default shows as "<value> (DEFAULT)" and is set explicitly.
    const want = ([k, v]: [string, string]) => `[ "$(value_in "$current" ${shq(k)})" = ${shq(v)} ] || set -- "$@" ${shq(k)} ${shq(v)}`;
    // glusterd applies only the first pair of a "volume set all" (glusterd_op_set_all_volume_options
    // reads key1/value1) and still reports success: one transaction per cluster-wide option.
    const setAll = ([k, v]: [string, string]) =>
        `[ "$(value_in "$current" ${shq(k)})" = ${shq(v)} ] || { tx volume set all ${shq(k)} ${shq(v)} || die "volume set all ${dq(k)}: $(reason)"; echo "set on all volumes: "${shq(`${k} ${v}`)}; }`;
    const globalLines = Object.entries(p.globalOptions).map(setAll);
    // Options cannot be set to an empty value, so an empty record is written as "none". The
    // cluster-wide ones are in the record too: taken out of the map, they are reset as well.
    const managed = [...Object.keys(p.options), ...Object.keys(p.globalOptions)].sort().join(",") || "none";
    return [
        `value_in() { printf '%s' "$1" | xmllint --xpath "string(//volGetopts/Opt[Option='$2']/Value)" - 2>/dev/null || true; }`,
        `# A volume created just now holds no option yet, so nothing needs to be read. The user.*`,
        `# options are not listed by "volume get VOL all": they are read one by one.`,
        `managed_before=""`,
        `owner_before=""`,
        `if [ -z "$created" ]; then`,
        `  out=$(g volume get ${vol} ${shq(MANAGED_OPTIONS_KEY)})`,
        `  managed_before=$(xv "//volGetopts/Opt[Option='${MANAGED_OPTIONS_KEY}']/Value")`,
        `  out=$(g volume get ${vol} ${shq(OWNER_KEY)})`,
        `  owner_before=$(xv "//volGetopts/Opt[Option='${OWNER_KEY}']/Value")`,
        `fi`,
        `managed=${shq(managed)}`,
        `global_keys=${shq(globalOptions().join(" "))}`,
        `for key in $(IFS=,; echo $managed_before); do`,
        `  case ",$managed," in *",$key,"*) continue ;; esac`,
        `  case " $global_keys " in`,
        `    *" $key "*) tx volume reset all "$key" || die "volume reset all $key: $(reason)"; echo "reset $key on all volumes" ;;`,
        `    *) tx volume reset ${vol} "$key" || die "volume reset ${dq(p.volumeName)} $key: $(reason)"; echo "reset $key on "${vol} ;;`,
        `  esac`,
        `done`,
        ...(globalLines.length > 0 ? [`current=""; [ -n "$created" ] || current=$(g volume get all all)`, ...globalLines] : []),
        `current=""; [ -n "$created" ] || current=$(g volume get ${vol} all)`,
        `set --`,
        ...Object.entries(p.options).map(want),
        `[ "$managed_before" = ${shq(managed)} ] || set -- "$@" ${shq(MANAGED_OPTIONS_KEY)} ${shq(managed)}`,
        `[ "$owner_before" = ${shq(p.owner)} ] || set -- "$@" ${shq(OWNER_KEY)} ${shq(p.owner)}`,
        `if [ $# -gt 0 ]; then`,
        `  tx volume set ${vol} "$@" || die "volume set ${dq(p.volumeName)} $*: $(reason)"`,
        `  echo "set on ${dq(p.volumeName)}: $*"`,
        `fi`,
    ];
}

/** Step 4: started, every brick's node a connected peer, every brick online in the pinned range. */
function startAndVerify(p: VolumeScriptParams): string[] {
    const vol = shq(p.volumeName);
    return [
        `if [ "$status" != Started ]; then`,
        `  tx volume start ${vol} || die "volume start ${dq(p.volumeName)}: $(reason)"`,
        `  echo "started volume "${vol}`,
        `fi`,
        `my_uuid; me=$uuid`,
        `out=$(g volume info ${vol})`,
        `brick_nodes=$(xl '//volume/bricks/brick/hostUuid/text()')`,
        `# The other brick nodes, as an XPath test of a peer's uuid.`,
        `want=0; others="false()"`,
        `for u in $brick_nodes; do`,
        `  [ "$u" = "$me" ] || { want=$((want + 1)); others="$others or uuid='$u'"; }`,
        `done`,
        `brick_nodes_connected() {`,
        `  out=$(g peer status)`,
        `  # The common case in one xmllint: each of them a connected "Peer in Cluster".`,
        `  [ "$(xv "count(//peer[state=3 and connected=1 and ($others)])")" = "$want" ] && return 0`,
        `  bad=""`,
        `  for u in $brick_nodes; do`,
        `    [ "$u" = "$me" ] && continue`,
        `    if [ "$(xv "//peer[uuid='$u']/state")" != 3 ] || [ "$(xv "//peer[uuid='$u']/connected")" != 1 ]; then`,
        `      bad="$bad $(xv "//peer[uuid='$u']/hostname") ($(xv "//peer[uuid='$u']/stateStr"), $([ "$(xv "//peer[uuid='$u']/connected")" = 1 ] && echo connected || echo disconnected))"`,
        `    fi`,
        `  done`,
        `  why="$bad"`,
        `  [ -z "$bad" ]`,
        `}`,
        `# A brick node that stays disconnected is reported at once, not after the brick deadline.`,
        `if ! poll ${p.settleSeconds ?? 15} brick_nodes_connected; then`,
        `  die "the volume ${dq(p.volumeName)} is degraded: these brick nodes are not connected peers:$why. What this step changed above was applied. Start them (docker start), or replace a lost one (README: Replacing a lost host), and run pulumi up again."`,
        `fi`,
        `bricks_online() {`,
        `  out=$(g volume status ${vol})`,
        `  # The reply's status, the bricks online, and how many of them listen outside the pinned range.`,
        `  read -r ret up stray <<EOF`,
        `$(xv "concat(/cliOutput/opRet, ' ', count(//volume/node[starts-with(path,'/') and status=1]), ' ', count(//volume/node[starts-with(path,'/') and status=1 and (port < ${p.ports.base} or port > ${p.ports.max})]))")`,
        `EOF`,
        `  # No reply (a CLI timeout) tells nothing: poll again.`,
        `  [ "$ret" = 0 ] || { why="no volume status: $(reason)"; return 1; }`,
        `  [ "$stray" = 0 ] || die "a brick of ${dq(p.volumeName)} listens outside the pinned range ${p.ports.base}-${p.ports.max}: $(xl '//volume/node/port/text()' | tr '\\n' ' ')"`,
        `  why="$up of ${p.servers.length} bricks online"`,
        `  [ "$up" = ${p.servers.length} ]`,
        `}`,
        `wait_for "${p.volumeName} bricks to be online" ${p.volumeSeconds} bricks_online`,
    ];
}

/**
 * Run on the first node: creates the replica-3 volume (first run only, once every brick node
 * sees every other) or checks that the existing one holds this program's bricks (as a set),
 * applies the options, starts it, and verifies that every brick's node is a connected peer
 * and every brick is online. Works with one brick node down: glusterd accepts option
 * changes with quorum; the step then fails, saying the volume is degraded.
 */
export function volumeScript(p: VolumeScriptParams): string {
    return script(
        `# 1-2. The volume: created, or checked.`,
        ...createOrCheck(p),
        ``,
        `# 3. Options.`,
        ...options(p),
        ``,
        `# 4. Started and whole.`,
        ...startAndVerify(p),
        ``,
        `# 5. A replaced brick filled, its old node detached; the op-version as high as every node allows.`,
        ...healAndDetach(p),
        ...(p.declared ? detachStrays(p.declared) : []),
        ...opVersionSteps(),
        `echo "volume-id: $volume_id"`,
    );
}

/** Delete of the volume resource: stops and deletes the volume definition, if this resource still owns it. Brick data stays on disk. */
export function volumeDeleteScript(p: { volumeName: string; owner: string; settleSeconds?: number }): string {
    const vol = shq(p.volumeName);
    const needsPeers = `every peer must be connected, and these are not: $down. Start them and run this again (the bricks' data stays on disk either way)`;
    return script(
        `out=$(g volume info ${vol})`,
        `if [ "$(xv /cliOutput/opRet)" != 0 ] && [ "$(xv /cliOutput/opErrno)" = 30806 ]; then`,
        `  echo "volume ${dq(p.volumeName)} does not exist; nothing to delete"`,
        `  exit 0`,
        `fi`,
        `status=$(xv //volume/statusStr)`,
        `out=$(g volume get ${vol} ${shq(OWNER_KEY)})`,
        `owner=$(xv "//volGetopts/Opt[Option='${OWNER_KEY}']/Value")`,
        `if [ -n "$owner" ] && [ "$owner" != ${shq(p.owner)} ]; then`,
        `  echo "volume ${dq(p.volumeName)} now belongs to another resource of this stack ($owner); leaving it"`,
        `  exit 0`,
        `fi`,
        `# "volume stop" succeeds with a peer down, "volume delete" does not: check first (every`,
        `# peer, as each of them sees the others; a node just started needs a moment), so that a`,
        `# destroy that cannot finish does not stop the volume and leave it so.`,
        `mesh_ok() {`,
        `  out=$(g peer status); down=$(peers_not_ok)`,
        `  [ -z "$down" ] || return 1`,
        `  for p in $(xl '//peer/hostname/text()'); do`,
        `    out=$(gr "$p" peer status); d=$(peers_not_ok)`,
        `    [ -z "$d" ] || { down="$d, as $p sees them"; return 1; }`,
        `  done`,
        `}`,
        `poll ${p.settleSeconds ?? 30} mesh_ok || die "volume ${dq(p.volumeName)} cannot be deleted now: ${needsPeers}. The volume was left as it is."`,
        `if [ "$status" = Started ]; then`,
        `  tx volume stop ${vol} || die "volume stop ${dq(p.volumeName)}: $(reason)"`,
        `fi`,
        `tx volume delete ${vol} || die "volume delete ${dq(p.volumeName)}: $(reason)"`,
        `echo "deleted volume ${dq(p.volumeName)} (the bricks' data stays on disk)"`,
    );
}
