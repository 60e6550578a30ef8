import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { GlusterClusterArgs } from "./args";
import { hostCommand } from "./commands";
import { clusterLabels, containerArgs, nodeHostDirs, nodeVolumeNames } from "./container";
import { firewallApplyScript, firewallRemoveScript } from "./firewall";
import { engineScript, platformFromOutput } from "./engine";
import { imageBuildContext, projectImageName } from "./image";
import { clientDockerArgs, CLIENT_DOCKER_NOTE, mountInfo } from "./mount";
import { declareRancher } from "./rancher";
import {
    detachScript,
    GLOBAL_OPTIONS,
    inContainer,
    inContainerIfPresent,
    probeBackScript,
    probeScript,
    readyScript,
    versionFromReadyOutput,
    volumeDeleteScript,
    volumeScript,
} from "./scripts";
import { shqAll } from "./shell";
import { brickPath, ClusterSpec, HostSpec, NodeSpec, resolveSpec, serverSourceAddresses, sortedRecord } from "./spec";

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

        if (spec.firewall.enabled && spec.firewall.allowAllClients) {
            pulumi.log.warn(
                `GlusterCluster ${name}: firewall.allowAllClients is set: GlusterFS's client ports are open to ANY source on every host.`,
                this,
            );
        }

        const providers = new Map<string, docker.Provider>();
        const images = new Map<string, pulumi.Output<string>>();
        for (const host of spec.hosts) {
            const provider = new docker.Provider(
                `${name}-docker-${host.id}`,
                host.dockerHost ? { host: host.dockerHost } : {},
                { parent: this },
            );
            providers.set(host.key, provider);
            const engine = hostCommand(`${name}-engine-${host.id}`, host, { create: engineScript(host.id) }, { parent: this });
            images.set(host.key, this.declareImage(spec, host, provider, engine.stdout.apply(platformFromOutput)));
        }
        const onHost = (host: HostSpec): pulumi.CustomResourceOptions => ({ parent: this, provider: providers.get(host.key) });

        const network =
            spec.networkMode === "container" && !spec.networkExisting
                ? new docker.Network(`${name}-net`, { name: spec.networkName, driver: "bridge", labels: clusterLabels(spec) }, onHost(spec.hosts[0]))
                : undefined;

        // Rancher (optional): the cluster's node addresses may mount, like clientCidrs.
        const rancher = args.rancher ? declareRancher(this, spec, args.rancher) : undefined;
        const extraClients = rancher?.nodeAddresses ?? pulumi.output([] as string[]);

        const firewalls = spec.firewall.enabled ? spec.hosts.map((host) => this.declareFirewall(spec, host, extraClients)) : [];

        const ready = new Map<string, pulumi.CustomResource>();
        const readyStdout = new Map<string, pulumi.Output<string>>();
        for (const node of spec.nodes) {
            const storage = this.declareStorage(spec, node, onHost(node.host));
            const container = new docker.Container(
                `${name}-${node.name}`,
                containerArgs(spec, node, images.get(node.host.key)!),
                {
                    ...onHost(node.host),
                    // The container's name is fixed, so the old one must go before its replacement starts.
                    deleteBeforeReplace: true,
                    dependsOn: [...storage, ...(network ? [network] : [])],
                },
            );
            const cmd = hostCommand(
                `${name}-ready-${node.name}`,
                node.host,
                {
                    create: inContainer(node.name, readyScript({ node: node.address, volumeName: spec.volumeName, ...spec.timeouts })),
                    // A replaced container must be waited for again.
                    triggers: [container.id],
                },
                { parent: this, dependsOn: [container] },
            );
            ready.set(node.name, cmd);
            readyStdout.set(node.name, cmd.stdout);
        }

        // Probes run from the first node, one at a time: gluster allows one transaction at a time.
        // `pool` brings in the other brick nodes; each extra node gets its own probe (after the
        // volume), so removing one from the config detaches exactly that node.
        const [first, second] = spec.nodes;
        const brickNodes = spec.nodes.filter((n) => n.holdsBrick);
        const extraNodes = spec.nodes.filter((n) => !n.holdsBrick);
        const finished: pulumi.Output<string>[] = [];
        const probe = (resourceName: string, peers: NodeSpec[], dependsOn: pulumi.Resource[]) => {
            const cmd = hostCommand(
                resourceName,
                first.host,
                {
                    create: pulumi.all([first, ...peers].map((n) => readyStdout.get(n.name)!)).apply(([firstOut, ...peerOuts]) =>
                        inContainer(
                            first.name,
                            probeScript({
                                from: first.address,
                                fromVersion: versionFromReadyOutput(firstOut),
                                peers: peers.map((n, i) => ({ address: n.address, version: versionFromReadyOutput(peerOuts[i]) })),
                                peersSeconds: spec.timeouts.peersSeconds,
                            }),
                        ),
                    ),
                    delete: inContainerIfPresent(first.name, detachScript({ peers: peers.map((n) => n.address) })),
                },
                { parent: this, dependsOn },
            );
            finished.push(cmd.stdout);
            return cmd;
        };
        const pool = probe(`${name}-pool`, brickNodes.slice(1), [...ready.values(), ...firewalls]);
        const probeBack = hostCommand(
            `${name}-probe-back`,
            second.host,
            { create: inContainer(second.name, probeBackScript({ first: first.address, peersSeconds: spec.timeouts.peersSeconds })) },
            { parent: this, dependsOn: [pool] },
        );

        const volume = hostCommand(
            `${name}-volume`,
            first.host,
            {
                create: extraClients.apply((clients) => {
                    const options = this.volumeOptions(spec, clients, !!args.rancher?.allowClusterNodes);
                    return inContainer(
                        first.name,
                        volumeScript({
                            volumeName: spec.volumeName,
                            servers: brickNodes.map((n) => n.address),
                            brickPath: brickPath(spec.volumeName),
                            options: options.perVolume,
                            globalOptions: options.global,
                            ports: spec.ports,
                            peersSeconds: spec.timeouts.peersSeconds,
                            volumeSeconds: spec.timeouts.volumeSeconds,
                        }),
                    );
                }),
                delete: inContainerIfPresent(first.name, volumeDeleteScript({ volumeName: spec.volumeName })),
            },
            { parent: this, dependsOn: [probeBack] },
        );

        // Nodes beyond the first three join the pool, not the volume.
        finished.push(volume.stdout);
        const extraProbes: pulumi.Resource[] = [];
        for (const node of extraNodes) {
            extraProbes.push(probe(`${name}-probe-${node.name}`, [node], [extraProbes[extraProbes.length - 1] ?? volume]));
        }
        rancher?.publish([volume, ...extraProbes]);

        // Outputs resolve once the volume is started and every node is in the pool, so a
        // stack that mounts from them waits for a volume that can be mounted.
        const whenReady = <T>(value: T): pulumi.Output<T> => pulumi.all(finished).apply(() => value);
        const mount = mountInfo(spec);
        this.volumeName = whenReady(spec.volumeName);
        this.servers = whenReady(mount.servers);
        this.mountEndpoint = whenReady(mount.endpoint);
        this.backupVolfileServers = whenReady(mount.backupVolfileServers);
        this.mountCommand = whenReady(mount.command);
        this.fstabEntry = whenReady(mount.fstab);
        this.clientDockerArgs = whenReady(clientDockerArgs(spec));
        this.clientDockerNote = whenReady(CLIENT_DOCKER_NOTE);
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

    /** The image on one host: the project's image built there, or the named image pulled there. */
    private declareImage(spec: ClusterSpec, host: HostSpec, provider: docker.Provider, platform: pulumi.Output<string>): pulumi.Output<string> {
        const opts = { parent: this, provider };
        if (spec.image) {
            const remote = new docker.RemoteImage(`${spec.name}-image-${host.id}`, { name: spec.image, keepLocally: true }, opts);
            return remote.imageId;
        }
        const built = new docker.Image(
            `${spec.name}-image-${host.id}`,
            // Built for the target engine's platform, not for the machine running pulumi.
            { imageName: projectImageName(), build: { ...imageBuildContext(), platform }, skipPush: true },
            opts,
        );
        return built.imageName;
    }

    /**
     * Where a node's state, bricks and logs live: named Docker volumes (container mode),
     * kept on destroy unless deleteDataOnDestroy; or host directories (host mode), created
     * by a command that removes them on destroy only when deleteDataOnDestroy is set.
     */
    private declareStorage(spec: ClusterSpec, node: NodeSpec, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
        if (spec.networkMode === "container") {
            const names = nodeVolumeNames(spec, node);
            return Object.entries(names).map(
                ([role, volumeName]) =>
                    new docker.Volume(`${spec.name}-${node.name}-${role}`, { name: volumeName, labels: clusterLabels(spec) }, {
                        ...opts,
                        retainOnDelete: !spec.deleteDataOnDestroy,
                    }),
            );
        }
        const dirs = Object.values(nodeHostDirs(node));
        return [
            hostCommand(
                `${spec.name}-data-${node.name}`,
                node.host,
                {
                    create: `mkdir -p ${shqAll(dirs)}`,
                    ...(spec.deleteDataOnDestroy ? { delete: `rm -rf -- ${shqAll(dirs)}` } : {}),
                },
                { parent: this },
            ),
        ];
    }

    private declareFirewall(spec: ClusterSpec, host: HostSpec, extraClients: pulumi.Output<string[]>): pulumi.Resource {
        return hostCommand(
            `${spec.name}-firewall-${host.id}`,
            host,
            {
                create: extraClients.apply((extra) =>
                    firewallApplyScript({
                        host: host.id,
                        backend: spec.firewall.backend,
                        peers: serverSourceAddresses(spec),
                        clients: spec.firewall.allowAllClients ? ["0.0.0.0/0"] : [...spec.clientCidrs, ...extra.map((ip) => `${ip}/32`)],
                        ports: spec.ports,
                    }),
                ),
                delete: firewallRemoveScript(host.id),
            },
            { parent: this },
        );
    }

    /**
     * The options the volume holds, split into per-volume and cluster-wide ones. With client
     * networks or Rancher's nodes, `auth.allow` lists the servers too: without them
     * self-heal and glusterd's own mounts break.
     */
    private volumeOptions(spec: ClusterSpec, extraClients: string[], restrict: boolean): { perVolume: Record<string, string>; global: Record<string, string> } {
        const all: Record<string, string> = { ...spec.volumeOptions };
        if ((spec.clientCidrs.length > 0 || restrict) && all["auth.allow"] === undefined) {
            all["auth.allow"] = [...serverSourceAddresses(spec), ...spec.clientCidrs, ...extraClients].join(",");
        }
        const perVolume: Record<string, string> = {};
        const global: Record<string, string> = {};
        for (const [k, v] of Object.entries(all)) {
            (GLOBAL_OPTIONS.includes(k) ? global : perVolume)[k] = v;
        }
        return { perVolume: sortedRecord(perVolume), global: sortedRecord(global) };
    }
}
