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
import { Scope } from "./hostResources";
import { ownerToken } from "./owner";
import { shq, shqAll } from "./shell";
import { NodeSpec } from "./spec";

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
    const { parent, spec } = scope;
    const onHost: pulumi.CustomResourceOptions = { parent, provider: deps.provider };
    const container = new docker.Container(`${spec.name}-${node.name}`, containerArgs(spec, node, deps.image), {
        ...onHost,
        // The container's name is fixed, so the old one must go before its replacement starts.
        deleteBeforeReplace: true,
        dependsOn: [...scope.after, ...deps.after, ...deps.storage, ...(deps.network ? [deps.network] : [])],
    });
    const params = {
        name: node.name,
        address: node.address,
        others: spec.nodes.filter((n) => n !== node).map((n) => n.address),
        volumeName: spec.volumeName,
        ...spec.timeouts,
    };
    const ready = hostCommand(
        `${spec.name}-ready-${node.name}`,
        node.host,
        {
            // A replaced container (a new id replaces this step) is waited for until it is back in service.
            create: inContainer(node.name, readyScript({ ...params, mode: "start" })),
            // A change of configuration only checks the node's identity again.
            update: inContainer(node.name, readyScript({ ...params, mode: "recheck" })),
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
        { parent, dependsOn: [...scope.after, container, ...deps.readyAfter] },
    );
    return { container, ready, readyStdout: stdoutOf(ready) };
}

/**
 * Where a node's state, bricks and logs live: named Docker volumes (container mode), kept
 * on destroy unless deleteDataOnDestroy; or host directories (host mode), created by a
 * command that empties them on destroy only when deleteDataOnDestroy is set.
 */
export function declareStorage(scope: Scope, node: NodeSpec, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
    const { spec } = scope;
    if (spec.networkMode === "container") {
        return Object.entries(nodeVolumeNames(spec, node)).map(
            ([role, volumeName]) =>
                new docker.Volume(
                    `${spec.name}-${node.name}-${role}`,
                    { name: volumeName, labels: clusterLabels(spec) },
                    {
                        ...opts,
                        retainOnDelete: !spec.deleteDataOnDestroy,
                    },
                ),
        );
    }
    const name = `${spec.name}-data-${node.name}`;
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
            { ...opts, provider: undefined },
        ),
    ];
}

const OWNER_FILE = ".glusterfs-cluster-owner";

/**
 * Creates a node's host directories and records which resource owns them; with `bricks`,
 * refuses a bricks directory on the host's root filesystem.
 */
export function dataCreateScript(dataRoot: string, dirs: string[], owner: string, bricks?: string, who = "the node"): string {
    return [
        `set -eu`,
        `mkdir -p ${shqAll(dirs)}`,
        ...(bricks ? rootFilesystemCheck(bricks, who) : []),
        `echo ${shq(owner)} > ${shq(`${dataRoot}/${OWNER_FILE}`)}`,
        ``,
    ].join("\n");
}

/**
 * GlusterFS refuses a brick on the root filesystem, but inside its container it sees the
 * container's root, never the host's: the check is made here, on the host.
 */
function rootFilesystemCheck(bricks: string, who: string): string[] {
    return [
        `if [ "$(stat -c %d /)" = "$(stat -c %d ${shq(bricks)})" ]; then`,
        `  echo ${shq(
            `error on the host of ${who}: ${bricks} is on the root filesystem; bricks filling it would stop Docker, sshd and the journal with them. ` +
                `Fix: mount a filesystem of its own at ${bricks} (or at its dataRoot), or accept the risk with allowBricksOnRootFilesystem: true.`,
        )} >&2`,
        `  exit 1`,
        `fi`,
    ];
}

/**
 * Empties a node's host directories (deleteDataOnDestroy), if this resource still owns them
 * and no container uses them. Mount points stay (the README advises a filesystem mounted at
 * the bricks directory): their contents go, the directories remain.
 */
export function dataDeleteScript(dataRoot: string, dirs: string[], owner: string): string {
    const record = shq(`${dataRoot}/${OWNER_FILE}`);
    return [
        `set -eu`,
        `if [ -f ${record} ] && [ "$(cat ${record})" != ${shq(owner)} ]; then`,
        `  echo ${shq(`${dataRoot} now belongs to another resource of this stack; leaving it`)}`,
        `  exit 0`,
        `fi`,
        `dirs=${shq(dirs.join(" "))}`,
        `for d in $dirs; do`,
        `  users=$(docker ps -a --format '{{.Names}}' --filter "volume=$d")`,
        `  [ -z "$users" ] || { echo "error: $d is still used by container(s) $users; not deleting it" >&2; exit 1; }`,
        `done`,
        `for d in $dirs; do`,
        `  [ -d "$d" ] || continue`,
        `  rm -rf -- "\${d:?}"/* "\${d:?}"/.[!.]* "\${d:?}"/..?*`,
        `  # A mount point cannot be removed, and must not be: it stays, empty.`,
        `  rmdir -- "$d" 2>/dev/null || echo "$d is a mount point (or not empty): kept, emptied"`,
        `done`,
        `rm -f ${record}`,
        `echo ${shq(`deleted the data under ${dataRoot}`)}`,
        ``,
    ].join("\n");
}
