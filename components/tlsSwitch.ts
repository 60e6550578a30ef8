/**
 * Turning TLS on for a running, plain volume (`tls.acceptOutage`). GlusterFS has no mixed
 * mode: glusterd speaks TLS to its peers only if `secure-access` existed when it started, and
 * a brick speaks TLS only after the volume was restarted with `server.ssl`. So the switch is
 * one planned outage, in three steps after every node's TLS files are in place:
 *
 * 1. stop (first node): every peer connected (still in clear), the volume stopped and its TLS
 *    options set;
 * 2. restart (each node's host): the container restarted, so its glusterd starts with TLS;
 * 3. start (first node): every peer connected again, now over TLS; the volume started, every
 *    brick online, nothing left to heal.
 *
 * The first step says whether there is anything to switch; on a volume that runs TLS, or one
 * not created yet (it is created with TLS), no step touches anything.
 */
import * as pulumi from "@pulumi/pulumi";
import { hostCommand, stdoutOf } from "./commands";
import { containerState, inContainer } from "./gluster/exec";
import { script } from "./gluster/prelude";
import { wholeFunctions } from "./gluster/whole";
import { childOptions, Scope } from "./scope";
import { dq, shq } from "./shell";
import { ClusterSpec, tlsVolumeOptions } from "./spec";

/** The line the stop step prints when it stopped the volume for the switch. */
const SWITCHING = "tls-switch: yes";

/** In the first node's container: the volume stopped and its TLS options set, if it runs plain. */
export function switchStopScript(spec: ClusterSpec): string {
    const vol = shq(spec.volumeName);
    const options = tlsVolumeOptions(spec.nodes, spec.tls?.clients ?? []);
    return script(
        `out=$(g volume info ${vol})`,
        `[ "$(xv /cliOutput/opRet)" = 0 ] || { echo "tls-switch: no (no volume ${dq(spec.volumeName)} yet: it is created with TLS)"; exit 0; }`,
        `[ "$(xv "//volume/options/option[name='server.ssl']/value")" != on ] || { echo "tls-switch: no (${dq(spec.volumeName)} runs TLS)"; exit 0; }`,
        `vol=${vol}`,
        ...wholeFunctions(),
        `wait_for "every peer to be connected before the volume is stopped" ${spec.timeouts.peersSeconds} peers_connected`,
        `[ -e /var/lib/glusterd/secure-access ] || die "the TLS files of this node are not in place; nothing was stopped"`,
        `out=$(g volume info ${vol})`,
        `if [ "$(xv //volume/statusStr)" = Started ]; then`,
        `  tx volume stop ${vol} || die "volume stop ${dq(spec.volumeName)}: $(reason)"`,
        `  echo "stopped ${dq(spec.volumeName)} to switch it to TLS (tls.acceptOutage): its clients lose the mount until they mount with a bundle"`,
        `fi`,
        ...Object.entries(options).map(([k, v]) => `tx volume set ${vol} ${shq(k)} ${shq(v)} || die "volume set ${dq(spec.volumeName)} ${dq(k)}: $(reason)"`),
        `echo "${SWITCHING}"`,
    );
}

/** On a node's host: its container restarted, so that its glusterd starts with TLS. */
export function switchRestartScript(spec: ClusterSpec, node: string): string {
    const c = shq(node);
    return [
        `set -eu`,
        ...containerState(node),
        `[ "$state" = running ] || { echo "error: ${dq(node)} is $state; start it (docker start ${dq(node)}), then run pulumi up again" >&2; exit 1; }`,
        `docker exec ${c} test -e /var/lib/glusterd/secure-access || { echo "error: the TLS files of ${dq(node)} are not in place" >&2; exit 1; }`,
        `docker restart -t 60 ${c} >/dev/null`,
        inContainer(
            node,
            script(
                `glusterd_answers() { out=$(g pool list); [ "$(xv /cliOutput/opRet)" = 0 ]; }`,
                `wait_for "glusterd on ${dq(node)} to answer, now with TLS" ${spec.timeouts.glusterdSeconds} glusterd_answers`,
            ),
        ),
        ``,
    ].join("\n");
}

/** In the first node's container: every peer back over TLS, the volume started and whole. */
export function switchStartScript(spec: ClusterSpec): string {
    const vol = shq(spec.volumeName);
    return script(
        `vol=${vol}`,
        ...wholeFunctions(),
        `wait_for "every peer to be connected over TLS" ${spec.timeouts.peersSeconds} peers_connected`,
        `tx volume start ${vol} || die "volume start ${dq(spec.volumeName)}: $(reason)"`,
        `wait_for "every brick of ${dq(spec.volumeName)} to be online with TLS" ${spec.timeouts.volumeSeconds} bricks_up`,
        `wait_for "self-heal of ${dq(spec.volumeName)} to catch up" ${spec.timeouts.healSeconds} heal_done`,
        `echo "${dq(spec.volumeName)} runs with TLS"`,
    );
}

/** What a step does when the stop step switched nothing. */
const NOTHING = `echo "nothing to switch"`;

/**
 * The three steps, after `after` (every node's TLS files); returns the last, which whatever
 * runs the nodes comes after.
 */
export function declareTlsSwitch(scope: Scope, after: pulumi.Resource[]): pulumi.Resource[] {
    const { spec, names } = scope;
    const first = spec.nodes[0];
    // A new cluster has no first container yet: nothing to switch.
    const stopCreate = [
        `set -eu`,
        ...containerState(first.name),
        `if [ "$state" = gone ]; then echo "tls-switch: no (a new cluster)"; exit 0; fi`,
        inContainer(first.name, switchStopScript(spec)),
        ``,
    ].join("\n");
    const stop = hostCommand(names.tlsSwitchStop(), first.host, { create: stopCreate }, childOptions(scope, { dependsOn: after }));
    const switching = stdoutOf(stop).apply((out) => out.split("\n").includes(SWITCHING));
    const restarts = spec.nodes.map((n) =>
        hostCommand(
            names.tlsSwitchRestart(n.name),
            n.host,
            { create: switching.apply((yes) => (yes ? switchRestartScript(spec, n.name) : NOTHING)) },
            childOptions(scope, { dependsOn: [stop] }),
        ),
    );
    const start = hostCommand(
        names.tlsSwitchStart(),
        first.host,
        { create: switching.apply((yes) => (yes ? inContainer(first.name, switchStartScript(spec)) : NOTHING)) },
        childOptions(scope, { dependsOn: restarts }),
    );
    return [start];
}
