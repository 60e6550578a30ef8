/**
 * Turning TLS on for a running, plain volume, or off for one that runs it (`tls.acceptOutage`).
 * GlusterFS has no mixed mode: glusterd speaks TLS to its peers only if `secure-access`
 * existed when it started, and a brick speaks TLS only after the volume was restarted with
 * `server.ssl`. So the switch is one planned outage, in three steps (to TLS: after every
 * node's TLS files are in place):
 *
 * 1. stop (first node): every peer connected, the volume stopped and `client.ssl`/`server.ssl`
 *    set on (to TLS) or off (off it) — `server.ssl` last: its value marks the switch under way;
 * 2. restart (each node's host): off TLS, `secure-access` and the TLS files removed; the
 *    container restarted, so its glusterd starts with TLS or without;
 * 3. start (first node): every peer connected again, the volume started, every brick online,
 *    nothing left to heal.
 *
 * Each step reads the volume itself: on a volume that runs as asked, or one not created yet (it
 * is created so), no step touches anything; after a failure half-way, the next run goes on
 * from where the switch stands. Off TLS, the volume step resets the TLS options afterwards.
 */
import * as pulumi from "@pulumi/pulumi";
import { hostCommand } from "./commands";
import { containerState, inContainer } from "./gluster/exec";
import { script } from "./gluster/prelude";
import { TLS_SWITCH_KEY } from "./gluster/volume";
import { wholeFunctions } from "./gluster/whole";
import { childOptions, Scope } from "./scope";
import { dq, shq } from "./shell";
import { SECURE_ACCESS, TLS_DIR } from "./tlsFiles";
import { ClusterSpec, tlsVolumeOptions } from "./spec";

/**
 * What the volume is, asked of the local glusterd, as `$ssl/$status` ("on/Started",
 * "/Stopped", ...; a volume never started counts as stopped); `none` when there is no such
 * volume; and in `$mark`, the way a switch under way goes (TLS_SWITCH_KEY). Anything else
 * stops the step.
 */
function volumeState(spec: ClusterSpec, step: string, readMark = false): string[] {
    const vol = shq(spec.volumeName);
    return [
        `out=$(g volume info ${vol})`,
        `if [ "$(xv /cliOutput/opRet)" = 0 ]; then`,
        `  st=$(xv //volume/statusStr); [ "$st" = Started ] || st=Stopped`,
        `  now="$(xv "//volume/options/option[name='server.ssl']/value")/$st"`,
        ...(readMark ? [`  mark=$(xv "//volume/options/option[name='${TLS_SWITCH_KEY}']/value")`] : []),
        `elif [ "$(xv /cliOutput/opErrno)" = 30806 ]; then`,
        `  now=none${readMark ? `; mark=""` : ""}`,
        `else`,
        `  die "${step}: cannot read ${dq(spec.volumeName)}: $(reason)"`,
        `fi`,
    ];
}

/** Which way the switch goes. */
export type SwitchTo = "on" | "off";

/** What every failure after the volume was stopped adds: where things stand and what to do. */
function midSwitch(to: SwitchTo): string {
    return `The volume is stopped for the switch ${to === "on" ? "to" : "off"} TLS: fix that, then run pulumi up again with tls.acceptOutage still set and nothing else changed; the switch goes on from where it stopped.`;
}

/** The options the stop step sets, `server.ssl` last (its value marks the switch under way). */
export function switchOptions(spec: ClusterSpec, to: SwitchTo): Array<[string, string]> {
    if (to === "off")
        return [
            ["client.ssl", "off"],
            ["server.ssl", "off"],
        ];
    const all = tlsVolumeOptions(spec.nodes, spec.tls?.clients ?? []);
    return [...Object.entries(all).filter(([k]) => k !== "server.ssl"), ["server.ssl", all["server.ssl"]]];
}

/**
 * In the first node's container: if the volume does not run as asked, every peer connected,
 * the volume stopped and `client.ssl`/`server.ssl` set. A volume that has them already
 * (switched, or half-way) or none (a new one, created so) is left to the next steps.
 */
export function switchStopScript(spec: ClusterSpec, to: SwitchTo = "on"): string {
    const vol = shq(spec.volumeName);
    const name = dq(spec.volumeName);
    return script(
        ...volumeState(spec, "the TLS switch"),
        `case $now in`,
        `  none) echo "no volume ${name} yet: it is created ${to === "on" ? "with" : "without"} TLS"; exit 0 ;;`,
        ...(to === "on"
            ? [`  on/*) echo "${name} has its TLS options: nothing to stop"; exit 0 ;;`]
            : [
                  `  off/*) echo "${name} has its TLS options off: nothing to stop"; exit 0 ;;`,
                  `  on/*) ;;`,
                  `  *) echo "${name} runs without TLS: nothing to stop"; exit 0 ;;`,
              ]),
        `esac`,
        `vol=${vol}`,
        ...wholeFunctions(),
        `wait_for "every peer to be connected before the volume is stopped" ${spec.timeouts.peersSeconds} peers_connected`,
        ...(to === "on" ? [`[ -e ${SECURE_ACCESS} ] || die "the TLS files of this node are not in place. Nothing was changed."`] : []),
        `if [ "\${now#*/}" = Started ]; then`,
        `  tx volume stop ${vol} || die "volume stop ${name}: $(reason). Nothing was changed."`,
        to === "on"
            ? `  echo "stopped ${name} to switch it to TLS (tls.acceptOutage): its clients lose the mount until they mount with a bundle"`
            : `  echo "stopped ${name} to switch it off TLS (tls.acceptOutage): its clients lose the mount until they mount without a bundle"`,
        `fi`,
        `# Held until the start step is done: the volume step refuses to start a volume half-way through.`,
        `tx volume set ${vol} ${TLS_SWITCH_KEY} ${to} || die "volume set ${name} ${TLS_SWITCH_KEY}: $(reason). ${midSwitch(to)}"`,
        ...switchOptions(spec, to).map(
            ([k, v]) => `tx volume set ${vol} ${shq(k)} ${shq(v)} || die "volume set ${name} ${dq(k)}: $(reason). ${midSwitch(to)}"`,
        ),
        `echo "${name} has its TLS options ${to}"`,
    );
}

/** Off TLS: the management switch and the TLS files go from the node's state (read at glusterd's start). */
function plainFilesSteps(node: string): string {
    return inContainer(node, `rm -f ${SECURE_ACCESS} ${TLS_DIR}/glusterfs.key ${TLS_DIR}/glusterfs.pem ${TLS_DIR}/glusterfs.ca`);
}

/**
 * Off TLS, on a volume that runs plain: a node that holds TLS files (a switch to TLS that
 * wrote them and stopped before the volume did, then backed out) is refused. Whether its
 * glusterd runs TLS (it restarted since) cannot be told from here, and removing the files of
 * one that does would leave it unable to speak to anyone at its next start; finishing that
 * switch first leaves every node and the volume agreeing.
 */
function leftoverFilesRefused(spec: ClusterSpec, node: string): string[] {
    return [
        `case $now in on/*|off/Stopped) ;; *)`,
        `  if ${inContainer(node, `test -e ${SECURE_ACCESS}`)}; then`,
        `    echo "error: ${dq(node)} holds the TLS files of a switch to TLS that did not finish, while ${dq(spec.volumeName)} runs without TLS; whether its glusterd runs TLS cannot be told from here. Nothing was changed. Finish that switch first: set tls.enabled: true and tls.acceptOutage: true; then, to run without TLS, switch off: tls.enabled: false and tls.acceptOutage: true (README: TLS)." >&2`,
        `    exit 1`,
        `  fi ;;`,
        `esac`,
    ];
}

/**
 * On a node's host: while the volume is stopped with `server.ssl` set as asked (the switch
 * under way), the container restarted (off TLS: its switch and files removed first), so that
 * its glusterd starts with TLS or without. Anything else (the switch done, or never begun)
 * restarts nothing.
 */
export function switchRestartScript(spec: ClusterSpec, node: string, to: SwitchTo = "on"): string {
    const c = shq(node);
    return [
        `set -eu`,
        ...containerState(node),
        `[ "$state" != gone ] || { echo "no container ${dq(node)} yet"; exit 0; }`,
        `[ "$state" = running ] || { echo "error: ${dq(node)} is $state; start it (docker start ${dq(node)}), then run pulumi up again. ${midSwitch(to)}" >&2; exit 1; }`,
        `now=$(${inContainer(node, script(...volumeState(spec, "the TLS switch"), `echo "$now"`))})`,
        ...(to === "off" ? leftoverFilesRefused(spec, node) : []),
        `if [ "$now" != ${to}/Stopped ]; then echo "${dq(node)}: no switch under way (${dq(spec.volumeName)}: $now)"; exit 0; fi`,
        to === "on"
            ? `${inContainer(node, `test -e ${SECURE_ACCESS}`)} || { echo "error: the TLS files of ${dq(node)} are not in place. ${midSwitch(to)}" >&2; exit 1; }`
            : plainFilesSteps(node),
        `docker restart -t 60 ${c} >/dev/null`,
        inContainer(
            node,
            script(
                `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
                `wait_for "glusterd on ${dq(node)} to answer, now ${to === "on" ? "with" : "without"} TLS" ${spec.timeouts.glusterdSeconds} glusterd_answers`,
            ),
        ),
        ``,
    ].join("\n");
}

/** In the first node's container: while the switch is under way, every peer back (over TLS, or in clear), then the volume started and whole. */
export function switchStartScript(spec: ClusterSpec, to: SwitchTo = "on"): string {
    const vol = shq(spec.volumeName);
    const how = to === "on" ? "with" : "without";
    return script(
        ...volumeState(spec, "the TLS switch", true),
        `if [ "$now" != ${to}/Stopped ]; then`,
        `  # Started by a run that failed before it let go of the volume: the switch is done.`,
        `  if [ "$mark" = ${to} ] && [ "$now" = ${to}/Started ]; then tx volume set ${vol} ${TLS_SWITCH_KEY} 'done' || die "volume set ${dq(spec.volumeName)} ${TLS_SWITCH_KEY} done: $(reason)"; fi`,
        `  echo "no switch under way (${dq(spec.volumeName)}: $now)"; exit 0`,
        `fi`,
        `vol=${vol}`,
        ...wholeFunctions(),
        `wait_for "every peer to be connected ${to === "on" ? "over TLS" : "without TLS"}" ${spec.timeouts.peersSeconds} peers_connected`,
        `tx volume start ${vol} || die "volume start ${dq(spec.volumeName)}: $(reason). ${midSwitch(to)}"`,
        `wait_for "every brick of ${dq(spec.volumeName)} to be online ${how} TLS" ${spec.timeouts.volumeSeconds} bricks_up`,
        `wait_for "self-heal of ${dq(spec.volumeName)} to catch up" ${spec.timeouts.healSeconds} heal_done`,
        `tx volume set ${vol} ${TLS_SWITCH_KEY} 'done' || die "volume set ${dq(spec.volumeName)} ${TLS_SWITCH_KEY} done: $(reason). ${midSwitch(to)}"`,
        `echo "${dq(spec.volumeName)} runs ${how} TLS"`,
    );
}

/**
 * The three steps, after `after` (to TLS: every node's TLS files); returns the last, which
 * whatever runs the nodes comes after. Each step reads the volume itself: re-run (a timeout
 * changed, a retry after a failure), it goes on from where the switch stands and never
 * restarts a node of a volume that runs. `preflight`: the preflight step's output, which
 * says whether the cluster is new.
 */
export function declareTlsSwitch(scope: Scope, to: SwitchTo, after: pulumi.Resource[], preflight: pulumi.Output<string>): pulumi.Resource[] {
    const { spec, names } = scope;
    const first = spec.nodes[0];
    const how = to === "on" ? "with" : "without";
    const stopCreate = preflight.apply((said) =>
        [
            `set -eu`,
            ...containerState(first.name),
            `if [ "$state" = gone ]; then`,
            // The preflight saw no container and no state before anything was created: a new cluster.
            /: a new cluster$/m.test(said)
                ? `  echo "a new cluster: it is created ${how} TLS"; exit 0`
                : `  echo "error: the container ${dq(first.name)} of this existing cluster is gone; the switch ${to === "on" ? "to" : "off"} TLS starts on it. Bring it back (pulumi up without tls.acceptOutage, or docker start), then switch. Nothing was changed." >&2; exit 1`,
            `fi`,
            inContainer(first.name, switchStopScript(spec, to)),
            ``,
        ].join("\n"),
    );
    const stop = hostCommand(names.tlsSwitchStop(), first.host, { create: stopCreate }, childOptions(scope, { dependsOn: after }));
    const restarts = spec.nodes.map((n) =>
        hostCommand(names.tlsSwitchRestart(n.name), n.host, { create: switchRestartScript(spec, n.name, to) }, childOptions(scope, { dependsOn: [stop] })),
    );
    const start = hostCommand(
        names.tlsSwitchStart(),
        first.host,
        { create: containerGuarded(first.name, switchStartScript(spec, to)) },
        childOptions(scope, { dependsOn: restarts }),
    );
    return [start];
}

/** In the container when it exists (a new cluster has none yet when the step runs). */
function containerGuarded(container: string, inner: string): string {
    return [
        `set -eu`,
        ...containerState(container),
        `[ "$state" != gone ] || { echo "no container ${dq(container)} yet"; exit 0; }`,
        inContainer(container, inner),
        ``,
    ].join("\n");
}
