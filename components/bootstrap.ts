/**
 * The commands that form the trusted pool and hold the volume, all run from the first node
 * (gluster allows one transaction at a time): `pool` probes the other brick nodes,
 * `probe-back` has the second node probe the first back by name, `volume` creates (first
 * run only) or checks the volume, holds its options and verifies it, and each node past the
 * third gets a `probe-<node>` (removing it from the config detaches exactly that node) and
 * a `probe-back-<node>` of its own.
 */
import * as pulumi from "@pulumi/pulumi";
import { hostCommand, stdoutOf } from "./commands";
import { inContainer, inContainerIfPresent } from "./gluster/exec";
import { detachScript, probeBackScript, probeScript } from "./gluster/pool";
import { versionFromReadyOutput } from "./gluster/ready";
import { globalOptions, volumeDeleteScript, volumeScript } from "./gluster/volume";
import { NodeResources } from "./nodeResources";
import { ownerToken } from "./owner";
import { childOptions, Scope } from "./scope";
import { brickPath, ClusterSpec, NodeSpec, serverSourceAddresses, sortedRecord, tlsVolumeOptions } from "./spec";

export interface Bootstrap {
    /** Outputs of the steps after which the volume is mountable and every node is in the pool. */
    finished: pulumi.Output<string>[];
    /** The volume step and the extra nodes' probes, for what must come after them. */
    last: pulumi.Resource[];
}

export function declareBootstrap(
    scope: Scope,
    nodes: Map<string, NodeResources>,
    after: pulumi.Resource[],
    extraClients: pulumi.Output<string[]>,
    restrictClients: boolean,
): Bootstrap {
    const { spec, names } = scope;
    const [first, second] = spec.nodes;
    const brickNodes = spec.nodes.filter((n) => n.holdsBrick);
    const ready = (n: NodeSpec) => nodes.get(n.name)!;
    const opts = (dependsOn: pulumi.Resource[]) => childOptions(scope, { dependsOn });
    const finished: pulumi.Output<string>[] = [];

    // The pool step (converge: true) also detaches the peers no node of the program is.
    const probe = (name: string, peers: NodeSpec[], dependsOn: pulumi.Resource[], converge = false) => {
        const owner = ownerToken(first.host, name);
        const cmd = hostCommand(
            name,
            first.host,
            {
                create: pulumi.all([first, ...peers].map((n) => ready(n).readyStdout)).apply(([firstOut, ...peerOuts]) =>
                    inContainer(
                        first.name,
                        probeScript({
                            from: { address: first.address, version: versionFromReadyOutput(firstOut) },
                            peers: peers.map((n, i) => ({ address: n.address, version: versionFromReadyOutput(peerOuts[i]) })),
                            peersSeconds: spec.timeouts.peersSeconds,
                            owner,
                            ...(converge ? { declared: spec.nodes.map((n) => n.address) } : {}),
                        }),
                    ),
                ),
                delete: inContainerIfPresent(first.name, detachScript({ peers: peers.map((n) => n.address), owner })),
            },
            opts(dependsOn),
        );
        finished.push(stdoutOf(cmd));
        return cmd;
    };
    const probeBack = (name: string, from: NodeSpec, dependsOn: pulumi.Resource[]) =>
        hostCommand(
            name,
            from.host,
            { create: inContainer(from.name, probeBackScript({ first: first.address, peersSeconds: spec.timeouts.peersSeconds })) },
            opts(dependsOn),
        );

    const pool = probe(names.pool(), brickNodes.slice(1), [...[...nodes.values()].map((n) => n.ready), ...after], true);
    const back = probeBack(names.probeBack(), second, [pool]);

    const volumeName = names.volume();
    const owner = ownerToken(first.host, volumeName);
    // Every node's GlusterFS version is in the script's text (a comment): when an upgrade
    // changes one, the step runs again and raises the op-version once every node allows it.
    // A container replaced on the same version needs nothing more: its ready step has seen
    // it back in service.
    const versions = pulumi.all(spec.nodes.map((n) => ready(n).readyStdout)).apply((outs) => outs.map(versionFromReadyOutput));
    const render = (mayCreate: boolean) =>
        pulumi.all([extraClients, versions, scope.tlsOn]).apply(([clients, glusterfs, tlsOn]) => {
            const options = volumeOptions(spec, clients, restrictClients, tlsOn);
            const text = volumeScript({
                volumeName: spec.volumeName,
                servers: brickNodes.map((n) => n.address),
                brickPath: brickPath(spec.volumeName),
                options: options.perVolume,
                globalOptions: options.global,
                ports: spec.ports,
                peersSeconds: spec.timeouts.peersSeconds,
                volumeSeconds: spec.timeouts.volumeSeconds,
                healSeconds: spec.timeouts.healSeconds,
                mayCreate,
                owner,
                declared: spec.nodes.map((n) => n.address),
            });
            return `# glusterfs versions: ${glusterfs.join(" ")}\n${inContainer(first.name, text)}`;
        });
    const volume = hostCommand(
        volumeName,
        first.host,
        {
            // Only the first run may create the volume: later, a missing volume is this stack's, vanished.
            create: render(true),
            // ...or a later one that says so (createMissingVolume).
            update: render(spec.createMissingVolume),
            delete: inContainerIfPresent(first.name, volumeDeleteScript({ volumeName: spec.volumeName, owner })),
        },
        opts([back]),
    );
    finished.push(stdoutOf(volume));

    // Nodes beyond the first three join the pool, not the volume, one after another; each
    // probes the first node back by name, so that every peer knows it by its address.
    const last: pulumi.Resource[] = [volume];
    let previous: pulumi.Resource = volume;
    for (const node of spec.nodes.filter((n) => !n.holdsBrick)) {
        const joined = probe(names.probe(node.name), [node], [previous]);
        const knowsFirst = probeBack(names.probeBackOf(node.name), node, [joined]);
        finished.push(stdoutOf(knowsFirst));
        last.push(joined, knowsFirst);
        previous = knowsFirst;
    }
    return { finished, last };
}

/**
 * The options the volume holds, split into per-volume and cluster-wide ones. With client
 * networks or Rancher's nodes, `auth.allow` lists the servers too: without them
 * self-heal and glusterd's own mounts break. With TLS on (`tlsOn`), its options.
 */
export function volumeOptions(
    spec: ClusterSpec,
    extraClients: string[],
    restrict: boolean,
    tlsOn = false,
): { perVolume: Record<string, string>; global: Record<string, string> } {
    const all: Record<string, string> = { ...spec.volumeOptions, ...(tlsOn && spec.tls ? tlsVolumeOptions(spec.nodes, spec.tls.clients) : {}) };
    if ((spec.clientCidrs.length > 0 || restrict) && all["auth.allow"] === undefined) {
        all["auth.allow"] = [...serverSourceAddresses(spec), ...spec.clientCidrs, ...extraClients].join(",");
    }
    const perVolume: Record<string, string> = {};
    const global: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) {
        (globalOptions().includes(k) ? global : perVolume)[k] = v;
    }
    return { perVolume: sortedRecord(perVolume), global: sortedRecord(global) };
}
