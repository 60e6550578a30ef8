/**
 * What the component declares per node: its storage (named volumes, or host directories),
 * its container, and its ready step.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hostCommand, stdoutOf } from "./commands";
import { clusterLabels, containerArgs, nodeHostDirs, nodeVolumeNames } from "./container";
import { inContainer } from "./gluster/exec";
import { readyDeleteScript, readyScript } from "./gluster/ready";
import { reclaimHostScript } from "./gluster/reclaim";
import { dataCreateScript, dataDeleteScript } from "./data";
import { ownerToken } from "./owner";
import { childOptions, Scope } from "./scope";
import { brickPath, ClusterSpec, NodeSpec } from "./spec";
import { TLS_DIR } from "./tlsFiles";

export interface NodeResources {
    container: docker.Container;
    /** Done when the node's glusterd answers and, for a node that was in a pool, it is back in service. */
    ready: pulumi.CustomResource;
    /** The ready step's output (its first line names the GlusterFS version). */
    readyStdout: pulumi.Output<string>;
}

export interface NodeDeps {
    provider: docker.Provider;
    image: pulumi.Output<string>;
    /** Every node's storage (declareStorage): each container comes after all of it. */
    storage: pulumi.Resource[];
    /**
     * What the node's container comes after: the previous node's ready step, or for the
     * first node the preflight check and the firewalls (see glusterCluster.ts).
     */
    after: pulumi.Resource[];
    network?: docker.Network;
    /** What the ready step comes after besides the container (the hosts' firewalls). */
    readyAfter: pulumi.Resource[];
}

export function declareNode(scope: Scope, node: NodeSpec, deps: NodeDeps): NodeResources {
    const { spec, names } = scope;
    const container = new docker.Container(
        names.container(node.name),
        containerArgs(spec, node, deps.image),
        childOptions(scope, {
            provider: deps.provider,
            // The container's name is fixed, so the old one must go before its replacement starts.
            deleteBeforeReplace: true,
            dependsOn: [...deps.after, ...deps.storage, ...(deps.network ? [deps.network] : [])],
        }),
    );
    const params = {
        name: node.name,
        address: node.address,
        others: spec.nodes.filter((n) => n !== node).map((n) => n.address),
        volumeName: spec.volumeName,
        ...spec.timeouts,
    };
    const start = readyScript({ ...params, mode: "start" });
    const recheck = readyScript({ ...params, mode: "recheck" });
    const ready = hostCommand(
        names.ready(node.name),
        node.host,
        {
            // A replaced container (a new id replaces this step) is waited for until it is back in service.
            create: node.rebuilt ? scope.tlsOn.apply((tls) => reclaimHostScript(reclaimParams(spec, node, tls), start, start)) : inContainer(node.name, start),
            // A change of configuration only checks the node's identity again.
            update: node.rebuilt
                ? scope.tlsOn.apply((tls) => reclaimHostScript(reclaimParams(spec, node, tls), recheck, start))
                : inContainer(node.name, recheck),
            // Before the container goes (a replacement deletes this step first; so does the
            // node leaving the program): the cluster must be able to spare it at that moment.
            delete: readyDeleteScript({
                name: node.name,
                address: node.address,
                volumeName: spec.volumeName,
                glusterdSeconds: spec.timeouts.glusterdSeconds,
                healSeconds: spec.timeouts.healSeconds,
                declared: spec.nodes.map((n) => n.address),
            }),
            triggers: [container.id],
        },
        childOptions(scope, { dependsOn: [container, ...deps.readyAfter] }),
    );
    return { container, ready, readyStdout: stdoutOf(ready) };
}

/** What a node declared rebuilt in place needs to take back its identity (gluster/reclaim.ts). */
function reclaimParams(spec: ClusterSpec, node: NodeSpec, tlsOn: boolean) {
    return {
        name: node.name,
        address: node.address,
        others: spec.nodes.filter((n) => n !== node).map((n) => n.address),
        volumeName: spec.volumeName,
        ...(node.holdsBrick ? { brick: brickPath(spec.volumeName) } : {}),
        ...(tlsOn ? { tlsCert: `${TLS_DIR}/glusterfs.pem` } : {}),
        glusterdSeconds: spec.timeouts.glusterdSeconds,
        peersSeconds: spec.timeouts.peersSeconds,
        volumeSeconds: spec.timeouts.volumeSeconds,
    };
}

/**
 * Where a node's state, bricks and logs live: named Docker volumes (container mode), kept
 * on destroy unless deleteDataOnDestroy; or host directories (host mode), created by a
 * command that empties them on destroy only when deleteDataOnDestroy is set.
 */
export function declareStorage(scope: Scope, node: NodeSpec, provider: docker.Provider, after: pulumi.Resource[]): pulumi.Resource[] {
    const { spec, names } = scope;
    if (spec.networkMode === "container") {
        return (Object.entries(nodeVolumeNames(spec, node)) as Array<["state" | "bricks" | "logs", string]>).map(
            ([role, volumeName]) =>
                new docker.Volume(
                    names.storage(node.name, role),
                    { name: volumeName, labels: clusterLabels(spec) },
                    childOptions(scope, { provider, dependsOn: after, retainOnDelete: !spec.deleteDataOnDestroy }),
                ),
        );
    }
    const name = names.data(node.name);
    const dirs = Object.values(nodeHostDirs(node));
    const owner = ownerToken(node.host, name);
    return [
        hostCommand(
            name,
            node.host,
            {
                create: dataCreateScript(
                    node.dataRoot,
                    dirs,
                    owner,
                    node.holdsBrick && !spec.allowBricksOnRootFilesystem ? nodeHostDirs(node).bricks : undefined,
                    `${node.name} (${node.address})`,
                ),
                ...(spec.deleteDataOnDestroy ? { delete: dataDeleteScript(node.dataRoot, dirs, owner) } : {}),
            },
            childOptions(scope, { dependsOn: after }),
        ),
    ];
}
