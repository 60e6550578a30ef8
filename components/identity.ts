import * as crypto from "crypto";
/**
 * The cluster's identity: what, if it changed, would make the program build a new, empty
 * cluster or volume beside (or instead of) the existing one — the volume's name, the
 * network mode, and each node's storage (the ID of the Docker engine it is on, and its
 * named volumes or data directory) and, for brick nodes, address. The engine's ID, not
 * its endpoint: declaring the same engine another way (the local engine as an SSH host, a
 * renamed SSH host) moves nothing. A `local.Command`
 * prints it on its first run; every later run compares the new identity with the one it
 * printed last (the provider hands the previous stdout to the update in
 * PULUMI_COMMAND_STDOUT) and refuses a change before anything else is touched (every other
 * child depends on it), saying what would have happened and what to do instead.
 *
 * The one brick-node change allowed is replacing one lost host: one brick node swapped for
 * a node the pool did not hold as a brick before, not in the first position, which says
 * which node it replaces (`replaces`): a misspelt name is never taken for a lost host.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { stdoutOf } from "./commands";
import { engineIdFromOutput } from "./engine";
import { shq } from "./shell";
import { ClusterSpec, NodeSpec } from "./spec";
import { nodeVolumeNames } from "./container";

/** The engine ID of each host, by host key. */
export type EngineIds = Record<string, string>;

/** Where a node's state and bricks live: its Docker engine and its named volumes or host directory. */
export function storageOf(spec: ClusterSpec, node: NodeSpec, engines: EngineIds): string {
    const engine = engines[node.host.key];
    if (engine === undefined) throw new Error(`GlusterCluster: no engine ID for host ${node.host.key}`);
    if (spec.networkMode === "host") return `${engine}|${node.dataRoot}`;
    return `${engine}|${Object.values(nodeVolumeNames(spec, node)).join(",")}`;
}

/** The identity as lines: `volume NAME`, `mode MODE`, then `brick|node NAME ADDRESS STORAGE REPLACES` per node ("-": replaces none). */
/** The SHA-256 of a PEM certificate's DER: how the identity records an operator's CA. */
export function caFingerprint(pem: string): string {
    return new crypto.X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
}

/**
 * `tls` is what TLS the identity asks for: "on" (the record's line), or "default" (host mode,
 * tls.enabled unset) — a placeholder the update script resolves to what the last record says.
 */
export function identityText(spec: ClusterSpec, engines: EngineIds, tls: "on" | "default" = "on"): string {
    return [
        `volume ${spec.volumeName}`,
        `mode ${spec.networkMode}`,
        ...(spec.networkMode === "container" ? [`network ${spec.networkName}`] : []),
        // Recorded only when on: an identity of a version before TLS (no line) is a plain cluster.
        ...(spec.tls ? [`tls ${spec.tls.byDefault ? tls : "on"}`, ...(spec.tls.ca ? [`tlsca ${caFingerprint(spec.tls.ca.cert)}`] : [])] : []),
        // Not part of the identity (never compared): the operator's acceptance of a switch.
        ...(spec.tlsSwitch ? ["tlsswitch accepted"] : []),
        ...spec.nodes.map((n) => `${n.holdsBrick ? "brick" : "node"} ${n.name} ${n.address} ${storageOf(spec, n, engines)} ${n.replaces ?? "-"}`),
    ].join("\n");
}

/**
 * The first run: records the identity. TLS by default (host mode, tls.enabled unset) is
 * recorded on: the identity step sees the cluster for the first time. An existing plain
 * cluster seen so (the step replaced, or a new stack on its hosts) is refused by the
 * preflight step, which finds the first node's state without TLS (gluster/whole.ts).
 */
export function identityCreateScript(spec: ClusterSpec, engines: EngineIds): string {
    return [`cat <<'IDENTITY_END'`, identityText(spec, engines), `IDENTITY_END`, ``].join("\n");
}

/** What the first run prints (the record), read from its script; undefined for another script. For the consumers' mocks (testing.ts). */
export function identityRecordForTests(createScript: string): string | undefined {
    const head = "cat <<'IDENTITY_END'\n";
    if (!createScript.startsWith(head)) return undefined;
    return createScript.slice(head.length).split("\nIDENTITY_END\n")[0];
}

/** How many earlier identities the record keeps (newest first), for a revert of failed attempts. */
export const IDENTITY_HISTORY = 8;

/**
 * Later runs: compares the recorded identity (PULUMI_COMMAND_STDOUT) with the new one;
 * prints the new one when the change is safe, else fails listing every refusal.
 *
 * The record is the identity of the last run whose guard passed, then the earlier ones, each
 * after a line "earlier" (newest first, at most IDENTITY_HISTORY). The guard passes before the
 * rest of the update runs, so a failed attempt is recorded too: a change refused against the
 * last identity is accepted against an earlier one — going back from attempts that failed.
 * Whether the volume still is what that earlier node list describes is checked next, on the
 * cluster, by the preflight step (gluster/whole.ts bricksMatch), before anything is touched.
 */
export function identityUpdateScript(spec: ClusterSpec, engines: EngineIds): string {
    return [
        `set -eu`,
        `new=$(cat <<'IDENTITY_END'`,
        identityText(spec, engines, "default"),
        `IDENTITY_END`,
        `)`,
        `old=\${PULUMI_COMMAND_STDOUT:-}`,
        `# compare OLD: the refusals of the change from OLD to $new (exit 1), or what it does.`,
        `compare() { { printf '%s\\n' "$1" | sed 's/^/O /'; printf '%s\\n' "$new" | sed 's/^/N /'; } | awk ${shq(compareSteps())}; }`,
        `# block K: the K-th identity of the record (1: the last one).`,
        `block() { printf '%s\\n' "$old" | awk -v k="$1" '$0 == "earlier" { n++; next } n + 1 == k'; }`,
        `last=$(block 1)`,
        ...tlsDefaultSteps(),
        `# Nothing recorded (the step ran before with an older component): nothing to compare.`,
        `if [ -n "$last" ] && ! verdict=$(compare "$last"); then`,
        `  k=2`,
        `  # An earlier identity lifts a refusal only with the TLS the last one records: TLS is`,
        `  # switched by the switch steps alone, never by going back past a switch.`,
        `  tls_of() { printf '%s\\n' "$1" | grep '^tls' | grep -v '^tlsswitch' || true; }`,
        `  while earlier=$(block "$k") && [ -n "$earlier" ]; do`,
        `    if [ "$(tls_of "$earlier")" = "$(tls_of "$last")" ] && compare "$earlier" >/dev/null; then`,
        `      verdict="back to an earlier node list: the change from the last one is refused, but not from one before it (the runs since failed?); the preflight step checks that the volume is what it describes"`,
        `      break`,
        `    fi`,
        `    k=$((k + 1))`,
        `  done`,
        `  [ -n "$earlier" ] || { printf '%s\\n' "$verdict" >&2; exit 1; }`,
        `fi`,
        `[ -z "\${verdict:-}" ] || printf '%s\\n' "$verdict" >&2`,
        `printf '%s\\n' "$new"`,
        `# The earlier identities: the last one if it differs, then the record's, each once, newest first.`,
        `{ [ -z "$last" ] || [ "$last" = "$new" ] || printf 'earlier\\n%s\\n' "$last"; printf '%s\\n' "$old" | sed -n '/^earlier$/,$p'; } |`,
        `  IDENTITY_NEW=$new awk -v max=${IDENTITY_HISTORY} ${shq(keepHistory())}`,
        ``,
    ].join("\n");
}

/**
 * TLS by default (host mode, tls.enabled unset) stays what the last record says: on for a
 * cluster first seen with it, off for one that ran plain (or whose record predates TLS) —
 * never switched silently; the component warns then (glusterCluster.ts).
 */
function tlsDefaultSteps(): string[] {
    return [
        `if printf '%s\\n' "$new" | grep -qx 'tls default'; then`,
        `  if printf '%s\\n' "$last" | grep -qx 'tls on'; then`,
        `    new=$(printf '%s\\n' "$new" | sed 's/^tls default$/tls on/')`,
        `  else`,
        `    new=$(printf '%s\\n' "$new" | sed '/^tls default$/d; /^tlsca /d')`,
        `  fi`,
        `fi`,
    ];
}

/** Whether the identity step's record (its stdout) has TLS on: the verdict a TLS-by-default cluster runs by. */
export function tlsRecorded(stdout: string): boolean {
    const lines = stdout.split("\n");
    const end = lines.indexOf("earlier");
    return (end === -1 ? lines : lines.slice(0, end)).includes("tls on");
}

/** Whether the cluster runs TLS: as declared, or — by default — as the identity step recorded it. */
export function tlsVerdict(spec: ClusterSpec, identity: command.local.Command): pulumi.Output<boolean> {
    if (!spec.tls) return pulumi.output(false);
    if (!spec.tls.byDefault) return pulumi.output(true);
    return stdoutOf(identity).apply(tlsRecorded);
}

/** Prints the "earlier" blocks it reads, without duplicates or the new identity (from the environment: -v would mangle it), at most `max`. */
function keepHistory(): string {
    return `
BEGIN { new = ENVIRON["IDENTITY_NEW"] }
function flush() { if (b != "" && b != new && !(b in seen) && kept < max) { seen[b] = 1; kept++; print "earlier"; print b } b = "" }
$0 == "earlier" { flush(); next }
{ b = (b == "" ? $0 : b "\\n" $0) }
END { flush() }`;
}

/** The comparison, in awk: old lines come prefixed "O ", new ones "N ". Prints each refusal; exits 1 if any. */
function compareSteps(): string {
    return `
function refuse(m) { print "error: " m " Nothing was changed."; bad = 1 }
$1 == "O" && $2 == "volume" { ovol = $3 }
$1 == "N" && $2 == "volume" { nvol = $3 }
$1 == "O" && $2 == "mode" { omode = $3 }
$1 == "O" && $2 == "network" { onet = $3 }
$1 == "N" && $2 == "network" { nnet = $3 }
$1 == "N" && $2 == "mode" { nmode = $3 }
$1 == "O" && $2 == "tls" { otls = $3 }
$1 == "N" && $2 == "tls" { ntls = $3 }
$1 == "O" && $2 == "tlsca" { oca = $3 }
$1 == "N" && $2 == "tlsca" { nca = $3 }
$1 == "N" && $2 == "tlsswitch" { nswitch = $3 }
$1 == "O" && ($2 == "brick" || $2 == "node") { okind[$3] = $2; oaddr[$3] = $4; ostore[$3] = $5; if ($2 == "brick") obrick[++no] = $3 }
$1 == "N" && ($2 == "brick" || $2 == "node") { nkind[$3] = $2; naddr[$3] = $4; nstore[$3] = $5; nrepl[$3] = $6; if ($2 == "brick") nbrick[++nn] = $3 }
END {
  if (ovol != nvol) refuse("volumeName changed from \\"" ovol "\\" to \\"" nvol "\\": that would create a second, empty volume while the clients keep using \\"" ovol "\\" (GlusterFS cannot rename a volume). Put back volumeName: \\"" ovol "\\"; to move the data to a volume of another name, stand it up as another stack and copy.")
  if (omode != nmode) refuse("networkMode changed from \\"" omode "\\" to \\"" nmode "\\": the nodes would start on the other mode's storage, empty, as a new cluster beside the old one. Put back networkMode: \\"" omode "\\"; to move a cluster between modes, stand up a new stack and copy the data.")
  if (omode == nmode && onet != nnet) refuse("the Docker network changed from \\"" onet "\\" to \\"" nnet "\\": the nodes would move to it one at a time, where they cannot reach the others. Put back network.name: \\"" onet "\\".")
  if (otls != ntls && ntls == "on" && nswitch != "accepted") refuse("TLS would be turned on for a volume that runs without it: every glusterd, brick and client must switch at once, with the volume stopped. To accept that outage, set tls.acceptOutage: true (the update then stops the volume, switches every node and starts it again; clients mount with a bundle afterwards); or put back tls.enabled: false (README: TLS).")
  if (otls != ntls && ntls != "on" && nswitch != "accepted") refuse("TLS would be turned off for a volume that runs with it: every glusterd, brick and client must switch at once, with the volume stopped. To accept that outage, set tls.acceptOutage: true with tls.enabled: false (the update then stops the volume, switches every node off TLS and starts it again; clients mount without a bundle afterwards); or put back tls.enabled: true (README: TLS).")
  if (otls != ntls && ntls != "on" && nswitch == "accepted" && !bad) print "switching TLS off for the running volume (tls.acceptOutage): it is stopped, every node restarted without TLS, and started again"
  if (otls != ntls && ntls == "on" && nswitch == "accepted" && !bad) print "switching TLS on for the running volume (tls.acceptOutage): it is stopped, every node restarted with TLS, and started again"
  if (otls == "on" && ntls == "on" && (oca == "" ? "own" : oca) != (nca == "" ? "own" : nca)) refuse("the CA that signs the cluster's certificates would change (" (oca == "" ? "the cluster's own" : "operator CA " oca) " -> " (nca == "" ? "the cluster's own" : "operator CA " nca) "): every node and client would stop trusting the others at once. Put back tls.ca as it was; to move to another CA, stand up a new stack with it and copy the data.")
  for (n in nstore) {
    if (!(n in ostore)) continue
    if (ostore[n] != nstore[n]) refuse("node " n "'s storage changed (Docker engine|storage: " ostore[n] " -> " nstore[n] "): it would come back empty, under a new identity, and its brick would be lost to the volume. Put it back; to move a node to another host or directory, replace it as a lost host under a new name (README: Replacing a lost host). If it is the same host and data and only its Docker engine was reinstalled (a new engine ID), and nothing else changed, accept the new identity once: pulumi up --replace with the URN of the identity step (pulumi stack --show-urns; a replaced identity step records the identity without comparing, and replaces nothing else; a host-mode cluster that runs without TLS: set tls.enabled: false first, or the new record has TLS on, its default).")
    if (okind[n] == "brick" && nkind[n] == "brick" && oaddr[n] != naddr[n]) refuse("brick node " n "'s address changed (" oaddr[n] " -> " naddr[n] "): GlusterFS names bricks by address and cannot rename them. Put it back; to change it, replace the node as a lost host under a new name.")
    if (okind[n] == "brick" && nkind[n] == "node") refuse("node " n " holds a brick and would become pool-only (it moved past the first three nodes). Keep it among the first three.")
  }
  removed = ""; added = ""; nr = 0; na = 0
  for (i = 1; i <= no; i++) if (nkind[obrick[i]] != "brick") { removed = removed " " obrick[i]; nr++; gone = obrick[i] }
  for (i = 1; i <= nn; i++) if (okind[nbrick[i]] != "brick") { added = added " " nbrick[i]; na++; came = nbrick[i] }
  if (nr > 1) refuse("brick nodes" removed " would be replaced by" added " in one update: replace one lost host per update, so that two copies of the data stay online while the third is rebuilt.")
  if (nr == 1 && okind[nbrick[1]] != "brick") refuse("the first node is the new brick node " nbrick[1] ": the first node runs the pool and volume steps, so it must already be in the pool. List a surviving brick node first (the order of the first three nodes does not change the volume).")
  if (nr == 1 && na == 1 && nrepl[came] != gone) refuse("brick node " gone " is no longer in the node list and " came " is new. If " gone " is lost and " came " takes its place, say so: replaces: \\"" gone "\\" on " came " (README: Replacing a lost host). If " came " is a misspelling of " gone ", put back " gone ".")
  if (nr == 1 && !bad) print "replacing brick node" removed " with" added
  exit bad
}`;
}

/**
 * The identity guard's resource: always a local command, because it compares the new
 * identity with the previous run's output, which the provider hands only to local updates.
 * It comes first: every other child depends on it.
 */
export function declareIdentity(
    parent: pulumi.ComponentResource,
    name: string,
    spec: ClusterSpec,
    engines: Map<string, pulumi.Output<string>>,
): command.local.Command {
    const ids = pulumi.all(Object.fromEntries([...engines].map(([key, out]) => [key, out.apply(engineIdFromOutput)])));
    return new command.local.Command(
        name,
        {
            create: ids.apply((e) => identityCreateScript(spec, e)),
            update: ids.apply((e) => identityUpdateScript(spec, e)),
            interpreter: ["/bin/sh", "-c"],
        },
        { parent },
    );
}
