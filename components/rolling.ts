/**
 * The order in which a cluster's containers are replaced: the preflight check on the first
 * node (a renamed component refused; the cluster whole before a rolling replacement starts),
 * then the containers one after another, each after the previous node's ready step — and
 * each container goes only once its own ready step's delete has found that the cluster can
 * spare it (nodeResources.ts, gluster/ready.ts).
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { hostCommand } from "./commands";
import { nodeFingerprint, nodeHostDirs, nodeVolumeNames } from "./container";
import { preflightScript } from "./gluster/whole";
import { HostResources } from "./hostResources";
import { declareNode, NodeDeps, NodeResources } from "./nodeResources";
import { childOptions, Scope } from "./scope";
import { brickPath, NodeSpec } from "./spec";

/** Before anything a cluster runs with is touched: refuses a renamed component, and wants the cluster whole before a rolling replacement starts. */
export function declarePreflight(
    scope: Scope,
    image: pulumi.Output<string>,
    expiries: pulumi.Output<Record<string, string>> = pulumi.output<Record<string, string>>({}),
): command.local.Command | command.remote.Command {
    const { spec } = scope;
    const first = spec.nodes[0];
    const brickOf = (n: NodeSpec) => `${n.address}:${brickPath(spec.volumeName)}`;
    const bricks = spec.nodes.filter((n) => n.holdsBrick).map(brickOf);
    const replacer = spec.nodes.find((n) => n.holdsBrick && n.replaces);
    const create = pulumi.all([nodeFingerprint(spec, first, image), expiries, scope.tlsOn]).apply(([fingerprint, issued, tlsOn]) => {
        // Certificates a plain cluster does not use cannot cost a client its mount.
        const ends = tlsOn ? issued : {};
        return preflightScript({
            cluster: spec.name,
            container: first.name,
            fingerprint,
            volumeName: spec.volumeName,
            bricks,
            glusterdSeconds: spec.timeouts.glusterdSeconds,
            healSeconds: spec.timeouts.healSeconds,
            declared: spec.nodes.map((n) => n.address),
            ...(replacer ? { replacer: brickOf(replacer) } : {}),
            ...(Object.keys(ends).length
                ? {
                      expiries: Object.entries(ends).flatMap(([who, end]): Array<[string, number]> =>
                          Number.isNaN(Date.parse(end)) ? [] : [[who, Date.parse(end) / 1000]],
                      ),
                  }
                : {}),
            state: spec.networkMode === "host" ? { dir: nodeHostDirs(first).state } : { volume: nodeVolumeNames(spec, first).state },
            tlsExpected: tlsOn && !spec.tls?.acceptOutage,
        });
    });
    return hostCommand(scope.names.preflight(), first.host, { create }, childOptions(scope));
}

/**
 * The nodes' containers and ready steps. Each node's container comes after the previous
 * node's ready step (the first after `first`: the preflight check and the firewalls):
 * whatever replaces the containers (a new image, changed settings, `pulumi up --replace`, a
 * provider's own decision) replaces them one at a time, each back in service, its peers and
 * clients reconnected and self-heal caught up, before the next is touched. A new cluster's
 * containers start one after another too: what is new cannot be told apart, for certain,
 * from what was lost.
 */
export function declareNodes(
    scope: Scope,
    hosts: Map<string, HostResources>,
    first: pulumi.Resource[],
    shared: Omit<NodeDeps, "provider" | "image" | "after">,
): Map<string, NodeResources> {
    const nodes = new Map<string, NodeResources>();
    let previous: pulumi.Resource[] = first;
    for (const node of scope.spec.nodes) {
        const host = hosts.get(node.host.key)!;
        const declared = declareNode(scope, node, { provider: host.provider, image: host.image, after: previous, ...shared });
        nodes.set(node.name, declared);
        previous = [declared.ready];
    }
    return nodes;
}
