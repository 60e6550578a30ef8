import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { GlusterClusterArgs } from "./args";
import { declareBootstrap } from "./bootstrap";
import { hostCommand } from "./commands";
import { clusterLabels, nodeFingerprint, nodeHostDirs, nodeVolumeNames } from "./container";
import { preflightScript } from "./gluster/whole";
import { engineIdFromOutput } from "./engine";
import { declareEngine, declareFirewall, declareFirewallSettle, declareHost, HostResources, Scope } from "./hostResources";
import { identityCreateScript, identityUpdateScript } from "./identity";
import { clientDockerArgs, clientDockerNote, mountInfo } from "./mount";
import { declareNode, declareStorage, NodeDeps, NodeResources } from "./nodeResources";
import { declareRancher } from "./rancher";
import { brickPath, ClusterSpec, resolveSpec } from "./spec";
import { isIPv4Cidr } from "./validate";
import { configWarnings } from "./warnings";

/** The component's type token. */
export const GLUSTER_CLUSTER_TYPE = "glusterfs:index:GlusterCluster";

/**
 * A replicated (replica 3) GlusterFS volume served by gluster containers on Docker hosts:
 * the image, the persistent state and brick storage, the containers, host firewall rules,
 * and the commands that form the trusted pool and create, configure and start the volume.
 */
export class GlusterCluster extends pulumi.ComponentResource {
    /** The volume's name. */
    public readonly volumeName: pulumi.Output<string>;
    /** The addresses of the three nodes that hold the volume's bricks. */
    public readonly servers: pulumi.Output<string[]>;
    /** The mount source, e.g. `gluster-0:/my_vol`. */
    public readonly mountEndpoint: pulumi.Output<string>;
    /** The other volfile servers a client falls back to, e.g. `gluster-1:gluster-2`. */
    public readonly backupVolfileServers: pulumi.Output<string>;
    /** A complete mount command line. */
    public readonly mountCommand: pulumi.Output<string>;
    /** An /etc/fstab line for the mount. */
    public readonly fstabEntry: pulumi.Output<string>;
    /** The `docker run` arguments a client container needs to mount the volume. */
    public readonly clientDockerArgs: pulumi.Output<string[]>;
    /** What else a client container may need on some hosts (AppArmor). */
    public readonly clientDockerNote: pulumi.Output<string>;
    /** Every node's address: the brick nodes and the pool-only nodes. */
    public readonly poolMembers: pulumi.Output<string[]>;
    /** The brick port range glusterd is pinned to, e.g. `49152-49161`. */
    public readonly brickPortRange: pulumi.Output<string>;

    constructor(name: string, args: GlusterClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated before anything is registered: bad input creates nothing.
        const spec = resolveSpec(name, args);
        super(GLUSTER_CLUSTER_TYPE, name, {}, opts);
        for (const warning of configWarnings(spec)) void pulumi.log.warn(`GlusterCluster ${name}: ${warning}`, this);
        // Every child comes after the identity guard (which reads the engines' IDs): a change
        // that would build a new, empty cluster or volume is refused before anything is touched.
        const engines = new Map(spec.hosts.map((h) => [h.key, declareEngine(this, spec, h)]));
        const scope: Scope = { parent: this, spec, after: [this.declareIdentity(spec, engines)] };

        // Rancher (optional): the cluster's node addresses may mount, like clientCidrs.
        const rancher = args.rancher ? declareRancher(scope, args.rancher) : undefined;
        const extraClients = rancher?.nodeAddresses ?? pulumi.output([] as string[]);

        const hosts = new Map<string, HostResources>(spec.hosts.map((h) => [h.key, declareHost(scope, h, engines.get(h.key)!)]));
        const onFirstHost = hosts.get(spec.nodes[0].host.key)!;
        // The checks that can refuse the update come before anything a cluster runs with
        // changes: the firewalls come after the preflight.
        const preflight = this.declarePreflight(scope, onFirstHost.image);
        const firewalls = spec.firewall.enabled ? spec.hosts.map((h) => declareFirewall(scope, h, extraClients, [preflight])) : [];
        // The network first: the containers need it and the storage; declared first, it is
        // created while the volumes are.
        const network =
            spec.networkMode === "container" && !spec.networkExisting
                ? new docker.Network(
                      `${name}-net`,
                      { name: spec.networkName, driver: "bridge", labels: clusterLabels(spec) },
                      { parent: this, provider: onFirstHost.provider, dependsOn: [...scope.after, preflight] },
                  )
                : undefined;
        // Every node's storage after the preflight check and the firewalls (which refuse another
        // stack's or cluster's hosts), and before the first container: a refusal there (in host
        // mode, bricks on a host's root filesystem) comes before any container is touched.
        const storage = new Map(
            spec.nodes.map((n) => [
                n.name,
                declareStorage(scope, n, { parent: this, provider: hosts.get(n.host.key)!.provider, dependsOn: [...scope.after, preflight, ...firewalls] }),
            ]),
        );
        const allStorage = [...storage.values()].flat();

        // The containers come after every firewall holds the new rules (a new brick range must be
        // open before a container listens on it).
        const nodes = declareNodes(scope, hosts, [preflight, ...firewalls], { storage: allStorage, network, readyAfter: firewalls });
        const readies = [...nodes.values()].map((n) => n.ready);
        if (spec.firewall.enabled) spec.hosts.forEach((h) => declareFirewallSettle(scope, h, extraClients, readies));
        const bootstrap = declareBootstrap(scope, nodes, firewalls, authClients(network, extraClients), !!args.rancher?.allowClusterNodes);
        rancher?.publish(bootstrap.last);

        // Outputs resolve once the volume is started and every node is in the pool, so a
        // stack that mounts from them waits for a volume that can be mounted.
        const whenReady = <T>(value: T): pulumi.Output<T> => pulumi.all(bootstrap.finished).apply(() => value);
        const mount = mountInfo(spec);
        this.volumeName = whenReady(spec.volumeName);
        this.servers = whenReady(mount.servers);
        this.mountEndpoint = whenReady(mount.endpoint);
        this.backupVolfileServers = whenReady(mount.backupVolfileServers);
        this.mountCommand = whenReady(mount.command);
        this.fstabEntry = whenReady(mount.fstab);
        this.clientDockerArgs = whenReady(clientDockerArgs(spec));
        this.clientDockerNote = whenReady(clientDockerNote());
        this.poolMembers = whenReady(spec.nodes.map((n) => n.address));
        this.brickPortRange = whenReady(`${spec.ports.base}-${spec.ports.max}`);
        this.registerOutputs({
            volumeName: this.volumeName,
            servers: this.servers,
            mountEndpoint: this.mountEndpoint,
            backupVolfileServers: this.backupVolfileServers,
            mountCommand: this.mountCommand,
            fstabEntry: this.fstabEntry,
            clientDockerArgs: this.clientDockerArgs,
            clientDockerNote: this.clientDockerNote,
            poolMembers: this.poolMembers,
            brickPortRange: this.brickPortRange,
        });
    }

    /**
     * The identity guard (identity.ts): always a local command, because it compares the new
     * identity with the previous run's output, which the provider hands only to local updates.
     */
    private declareIdentity(spec: ClusterSpec, engines: Map<string, pulumi.Output<string>>): command.local.Command {
        const ids = pulumi.all(Object.fromEntries([...engines].map(([key, out]) => [key, out.apply(engineIdFromOutput)])));
        return new command.local.Command(
            `${spec.name}-identity`,
            {
                create: ids.apply((e) => identityCreateScript(spec, e)),
                update: ids.apply((e) => identityUpdateScript(spec, e)),
                interpreter: ["/bin/sh", "-c"],
            },
            { parent: this },
        );
    }

    /** Before anything a cluster runs with is touched: refuses a renamed component, and wants the cluster whole before a rolling replacement starts. */
    private declarePreflight(scope: Scope, image: pulumi.Output<string>): command.local.Command | command.remote.Command {
        const { spec } = scope;
        const first = spec.nodes[0];
        const bricks = spec.nodes.filter((n) => n.holdsBrick).map((n) => `${n.address}:${brickPath(spec.volumeName)}`);
        const create = nodeFingerprint(spec, first, image).apply((fingerprint) =>
            preflightScript({
                cluster: spec.name,
                container: first.name,
                fingerprint,
                volumeName: spec.volumeName,
                bricks,
                glusterdSeconds: spec.timeouts.glusterdSeconds,
                healSeconds: spec.timeouts.healSeconds,
                declared: spec.nodes.map((n) => n.address),
                state: spec.networkMode === "host" ? { dir: nodeHostDirs(first).state } : { volume: nodeVolumeNames(spec, first).state },
            }),
        );
        return hostCommand(`${spec.name}-preflight`, first.host, { create }, { parent: this, dependsOn: scope.after });
    }
}

/**
 * The nodes' containers and ready steps. Each node's container comes after the previous
 * node's ready step (the first after the preflight check and the firewalls): whatever
 * replaces the containers (a new image, changed settings, `pulumi up --replace`, a
 * provider's own decision) replaces them one at a time, each back in service, its peers and
 * clients reconnected and self-heal caught up, before the next is touched. And each
 * container goes only once its ready step's delete has found the cluster whole at that
 * moment (nodeResources.ts). A new cluster's containers start one after another too: what
 * is new cannot be told apart, for certain, from what was lost.
 */
function declareNodes(
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

/**
 * Who `auth.allow` admits besides the servers and clientCidrs, once it restricts: Rancher's
 * nodes, and in container mode the created network's subnet (the clients the README runs
 * are containers on it).
 */
function authClients(network: docker.Network | undefined, extraClients: pulumi.Output<string[]>): pulumi.Output<string[]> {
    if (!network) return extraClients;
    return pulumi.all([network.ipamConfigs, extraClients]).apply(([ipam, extra]) => [...(ipam ?? []).map((c) => c.subnet ?? "").filter(isIPv4Cidr), ...extra]);
}
