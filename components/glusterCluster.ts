import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { GlusterClusterArgs } from "./args";
import { declareBootstrap } from "./bootstrap";
import { clusterLabels } from "./container";
import { declareEngine, declareFirewall, declareFirewallSettle, declareHost, HostResources } from "./hostResources";
import { declareIdentity, tlsVerdict } from "./identity";
import { clientDockerArgs, clientDockerNote, mountInfo } from "./mount";
import { childNames } from "./names";
import { declareStorage } from "./nodeResources";
import { declareRancher } from "./rancher";
import { declareNodeMounts } from "./nodeMount";
import { declareStorageClass, storageClassName } from "./storageClass";
import { versionFromReadyOutput } from "./gluster/ready";
import { stdoutOf } from "./commands";
import { declareTlsSwitch } from "./tlsSwitch";
import { ClientBundle, clientBundleDir, clientTlsFiles, declareTls, expiringSoon, tlsClientDockerArgs } from "./tls";
import { declareTlsFiles } from "./tlsFiles";
import { declareNodes, declarePreflight } from "./rolling";
import { childOptions, Scope, whileTls } from "./scope";
import { nodeMountClient, resolveSpec } from "./spec";
import { isIPv4Cidr } from "./validate";
import { configWarnings, plainByDefaultWarning } from "./warnings";

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
    /** TLS: each client identity's bundle (`ca`, `cert`, `key` as PEM; `expires`). A secret; empty without TLS. */
    public readonly tlsClients: pulumi.Output<Record<string, ClientBundle>>;
    /** TLS: when each node's and client's certificate expires, by "node NAME" / "client NAME". Empty without TLS. */
    public readonly certificateExpiry: pulumi.Output<Record<string, string>>;
    /** TLS: where a (Debian) client puts each part of its bundle, and the switch for management TLS. Empty without TLS. */
    public readonly tlsClientFiles: pulumi.Output<Record<string, string>>;
    /**
     * TLS: the `docker run` arguments that mount a client's bundle read-only where its
     * GlusterFS reads it, from the host directory `/etc/glusterfs-cluster/<component name>`
     * (holding `glusterfs.ca`, `glusterfs.pem`, `glusterfs.key` and an empty `secure-access`);
     * to be added to `clientDockerArgs`. Empty without TLS.
     */
    public readonly tlsClientDockerArgs: pulumi.Output<string[]>;
    /** Rancher: the StorageClass of ReadWriteMany PVCs (`rancher.storageClass`), once the provisioner is installed; `""` without. */
    public readonly storageClassName: pulumi.Output<string>;

    constructor(name: string, args: GlusterClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated before anything is registered: bad input creates nothing.
        const spec = resolveSpec(name, args);
        super(GLUSTER_CLUSTER_TYPE, name, {}, opts);
        for (const warning of configWarnings(spec)) void pulumi.log.warn(`GlusterCluster ${name}: ${warning}`, this);
        // Every child comes after the identity guard (which reads the engines' IDs): a change
        // that would build a new, empty cluster or volume is refused before anything is touched.
        const names = childNames(name);
        const engines = new Map(spec.hosts.map((h) => [h.key, declareEngine(this, names, h)]));
        const identity = declareIdentity(this, names.identity(), spec, engines);
        // TLS as declared; by default (host mode) as the identity step recorded it.
        const scope: Scope = { parent: this, spec, names, after: [identity], tlsOn: tlsVerdict(spec, identity) };
        scope.tlsOn.apply((on) => {
            if (!on && spec.tls?.byDefault) void pulumi.log.warn(`GlusterCluster ${name}: ${plainByDefaultWarning()}`, this);
        });

        // Rancher (optional): the cluster's node addresses may mount, like clientCidrs.
        const rancher = args.rancher ? declareRancher(scope, args.rancher) : undefined;
        // The cluster's nodes (allowClusterNodes) and the nodes that mount it (nodeMounts) are clients.
        const mountAddresses = (args.rancher?.nodeMounts ?? []).map((m) => m.address);
        const extraClients = pulumi
            .all([rancher?.nodeAddresses ?? pulumi.output([] as string[]), mountAddresses])
            .apply(([cluster, mounts]) => [...new Set([...cluster, ...mounts])].sort());

        const hosts = new Map<string, HostResources>(spec.hosts.map((h) => [h.key, declareHost(scope, h, engines.get(h.key)!)]));
        const onFirstHost = hosts.get(spec.nodes[0].host.key)!;
        // The checks that can refuse the update come before anything a cluster runs with
        // changes: the firewalls come after the preflight.
        // TLS: the certificates (a roll is refused while one has ended).
        const tls = spec.tls ? declareTls(scope) : undefined;
        const preflight = declarePreflight(scope, onFirstHost.image, tls?.expiries);
        const firewalls = spec.firewall.enabled ? spec.hosts.map((h) => declareFirewall(scope, h, extraClients, [preflight])) : [];
        // The network first: the containers need it and the storage; declared first, it is
        // created while the volumes are.
        const network =
            spec.networkMode === "container" && !spec.networkExisting
                ? new docker.Network(
                      names.network(),
                      { name: spec.networkName, driver: "bridge", labels: clusterLabels(spec) },
                      childOptions(scope, { provider: onFirstHost.provider, dependsOn: [preflight] }),
                  )
                : undefined;
        // Every node's storage after the preflight check and the firewalls (which refuse another
        // stack's or cluster's hosts), and before the first container: a refusal there (in host
        // mode, bricks on a host's root filesystem) comes before any container is touched.
        const storage = new Map(spec.nodes.map((n) => [n.name, declareStorage(scope, n, hosts.get(n.host.key)!.provider, [preflight, ...firewalls])]));
        // TLS: each node's files in its state storage before any container starts.
        const tlsFiles = tls
            ? spec.nodes.map((n) =>
                  declareTlsFiles(scope, n, hosts.get(n.host.key)!.image, tls.nodeBundle(n.name), [preflight, ...firewalls, ...storage.get(n.name)!]),
              )
            : [];
        // TLS turned on or off for a running volume (tls.acceptOutage): stopped, every node restarted with TLS or without, started.
        const tlsSwitch = spec.tlsSwitch ? declareTlsSwitch(scope, spec.tlsSwitch, [preflight, ...firewalls, ...tlsFiles], stdoutOf(preflight)) : [];
        const allStorage = [...[...storage.values()].flat(), ...tlsFiles, ...tlsSwitch];

        // The containers come after every firewall holds the new rules (a new brick range must be
        // open before a container listens on it).
        const nodes = declareNodes(scope, hosts, [preflight, ...firewalls], { storage: allStorage, network, readyAfter: firewalls });
        const readies = [...nodes.values()].map((n) => n.ready);
        if (spec.firewall.enabled) spec.hosts.forEach((h) => declareFirewallSettle(scope, h, extraClients, readies));
        const restrict = !!args.rancher?.allowClusterNodes || mountAddresses.length > 0;
        const bootstrap = declareBootstrap(scope, nodes, firewalls, authClients(network, extraClients), restrict);
        // The Rancher cluster's identity, while TLS runs ("" / undefined while it does not).
        const rancherClient = tls && args.rancher ? nodeMountClient(args.rancher.clusterId) : undefined;
        rancher?.publish(bootstrap.last, rancherClient ? tls!.clients.apply((c) => c[rancherClient]) : undefined);
        const mountSteps = args.rancher?.nodeMounts?.length
            ? declareNodeMounts(
                  scope,
                  args.rancher.nodeMounts,
                  nodes.get(spec.nodes[0].name)!.readyStdout.apply(versionFromReadyOutput),
                  rancher?.nodeAddresses,
                  bootstrap.last,
                  rancherClient ? tls!.clientBundle(rancherClient) : undefined,
                  args.rancher.nodeMountOptions,
              )
            : [];
        const app = args.rancher?.storageClass ? declareStorageClass(scope, args.rancher, args.rancher.storageClass, mountSteps) : undefined;

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
        // The TLS outputs, once the volume is ready: empty while TLS does not run.
        const once = <T>(o: pulumi.Output<T>): pulumi.Output<T> => pulumi.all(bootstrap.finished).apply(() => o);
        const expiries = whileTls<Record<string, string>>(scope, tls?.expiries ?? {}, {});
        this.tlsClients = pulumi.secret(once(whileTls<Record<string, ClientBundle>>(scope, tls?.clients ?? {}, {})));
        this.certificateExpiry = once(expiries);
        // A certificate that ends within 30 days: raise tls.rotation before its holder loses the connection.
        expiries.apply((e) => {
            for (const [who, end] of expiringSoon(e, new Date()))
                void pulumi.log.warn(`GlusterCluster ${name}: the certificate of ${who} ends on ${end}. Fix: raise tls.rotation (README: TLS).`, this);
        });
        this.tlsClientFiles = once(whileTls<Record<string, string>>(scope, clientTlsFiles(), {}));
        this.tlsClientDockerArgs = once(whileTls<string[]>(scope, tlsClientDockerArgs(clientBundleDir(name)), []));
        this.storageClassName = app ? app.id.apply(() => storageClassName(spec, args.rancher!.storageClass!)) : whenReady("");
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
            tlsClients: this.tlsClients,
            certificateExpiry: this.certificateExpiry,
            tlsClientFiles: this.tlsClientFiles,
            tlsClientDockerArgs: this.tlsClientDockerArgs,
            storageClassName: this.storageClassName,
        });
    }
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
