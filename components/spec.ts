import * as pulumi from "@pulumi/pulumi";
import { argDefaults, FirewallBackend, GlusterClusterArgs, NetworkMode, SshConnectionArgs } from "./args";
import { isIPv4, isOpenToAnyClient, tlsEnabled, validateArgs } from "./validate";

/** A Docker host and the nodes on it. `key` is "local" or the Docker endpoint. */
export interface HostSpec {
    key: string;
    /**
     * A short, stable name for the host's children: "local", or the name of the first node
     * on the host (a node's name is its identity; an SSH address can be renamed).
     */
    id: string;
    /** The name earlier versions gave the host's children (its SSH host), kept as an alias. */
    legacyId?: string;
    dockerHost?: string;
    ssh?: Required<Omit<SshConnectionArgs, "privateKey" | "hostKey">> & { privateKey: pulumi.Input<string>; hostKey?: string };
    /** The TLS material of a tcp:// endpoint, the key a secret. */
    dockerTls?: { caCert: string; cert: string; key: pulumi.Input<string> };
}

export interface NodeSpec {
    name: string;
    /** What peers and clients call this node: its name (container mode) or its address (host mode). */
    address: string;
    index: number;
    /** The first three nodes hold the volume's bricks. */
    holdsBrick: boolean;
    host: HostSpec;
    /** Host mode: where this node's state, bricks and logs live on its host. */
    dataRoot: string;
    /** The brick node this one takes the place of (a lost host), if the config says so. */
    replaces?: string;
    /** Declared rebuilt in place: it may take back the UUID its peers know it by. */
    rebuilt: boolean;
}

/** The arguments with every default applied: what the rest of the component reads. */
export interface ClusterSpec {
    name: string;
    volumeName: string;
    networkMode: NetworkMode;
    networkName: string;
    networkExisting: boolean;
    nodes: NodeSpec[];
    hosts: HostSpec[];
    image?: string;
    deleteDataOnDestroy: boolean;
    /** Options set on the volume (sorted by key); `auth.allow` is added by the component when clientCidrs is set. */
    volumeOptions: Record<string, string>;
    clientCidrs: string[];
    extraHosts: Record<string, string>;
    firewall: { enabled: boolean; backend: FirewallBackend; allowAllClients: boolean };
    /** Any host that reaches the servers may mount (accepted with insecureAllowAnyClient). */
    openToAnyClient: boolean;
    allowBricksOnRootFilesystem: boolean;
    createMissingVolume: boolean;
    /** The switch of a running volume that tls.acceptOutage accepts: to TLS (tls.enabled: true) or off it (false). */
    tlsSwitch?: "on" | "off";
    /**
     * TLS, when declared (the client identities, the rotation counter, the certificates' validity): asked for, or host mode's default (`byDefault`: whether it runs is
     * then the identity step's verdict, Scope.tlsOn). Its volume options are not in
     * `volumeOptions`: they follow that verdict (bootstrap.ts volumeOptions).
     */
    tls?: {
        clients: string[];
        rotation: number;
        validityDays: number;
        acceptOutage: boolean;
        byDefault: boolean;
        ca?: { cert: string; key: pulumi.Input<string> };
    };
    ports: { base: number; max: number };
    mountPoint: string;
    timeouts: { glusterdSeconds: number; peersSeconds: number; volumeSeconds: number; healSeconds: number };
}

/** Where bricks live inside a server container; the brick is a sub-directory, never the mount point. */
export const BRICKS_MOUNT = "/bricks";

export function brickPath(volumeName: string): string {
    return `${BRICKS_MOUNT}/${volumeName}`;
}

/** Sorts an object's keys so that two runs render identical text. */
export function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
    return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Validates `args` (throwing GlusterClusterArgsError) and applies every default. */
export function resolveSpec(name: string, args: GlusterClusterArgs): ClusterSpec {
    validateArgs(args);
    const networkMode = args.networkMode ?? argDefaults().networkMode;

    const hosts = new Map<string, HostSpec>();
    const hostFor = (node: GlusterClusterArgs["nodes"][number]): HostSpec => {
        const key = node.host?.dockerHost ?? "local";
        let host = hosts.get(key);
        if (!host) {
            const ssh = node.host?.ssh;
            host = ssh
                ? {
                      key,
                      id: node.name,
                      legacyId: ssh.host,
                      dockerHost: node.host!.dockerHost,
                      ssh: {
                          host: ssh.host,
                          port: ssh.port ?? argDefaults().sshPort,
                          user: ssh.user ?? argDefaults().sshUser,
                          privateKey: pulumi.secret(ssh.privateKey),
                          ...(ssh.hostKey !== undefined ? { hostKey: ssh.hostKey.trim() } : {}),
                      },
                      ...(node.host!.dockerTls
                          ? {
                                dockerTls: {
                                    caCert: node.host!.dockerTls.caCert,
                                    cert: node.host!.dockerTls.cert,
                                    key: pulumi.secret(node.host!.dockerTls.key),
                                },
                            }
                          : {}),
                  }
                : { key, id: "local" };
            hosts.set(key, host);
        }
        return host;
    };

    const nodes: NodeSpec[] = args.nodes.map((node, index) => ({
        name: node.name,
        address: networkMode === "host" ? node.address! : node.name,
        index,
        holdsBrick: index < 3,
        host: hostFor(node),
        dataRoot: node.dataRoot ?? args.dataRoot ?? argDefaults().dataRoot,
        ...(node.replaces !== undefined ? { replaces: node.replaces } : {}),
        rebuilt: node.rebuilt === true,
    }));

    const fw = args.firewall ?? {};
    // The Rancher cluster's nodes and workloads share one client identity (rancher.nodeMounts
    // mount with it; its bundle is published there as a Secret).
    const nodeClient = args.rancher ? [nodeMountClient(args.rancher.clusterId)] : [];
    const tls = tlsEnabled(args)
        ? {
              clients: [...(args.tls?.clients ?? []), ...nodeClient].sort(),
              rotation: args.tls?.rotation ?? 0,
              validityDays: args.tls?.validityDays ?? 365,
              acceptOutage: args.tls?.acceptOutage === true,
              byDefault: args.tls?.enabled === undefined,
              ...(args.tls?.ca ? { ca: { cert: args.tls.ca.cert.trim(), key: pulumi.secret(args.tls.ca.key) } } : {}),
          }
        : undefined;
    return {
        name,
        volumeName: args.volumeName ?? argDefaults().volumeName,
        networkMode,
        networkName: args.network?.name ?? `${name}-net`,
        networkExisting: args.network?.existing ?? false,
        nodes,
        hosts: [...hosts.values()],
        image: args.image,
        deleteDataOnDestroy: args.deleteDataOnDestroy ?? false,
        volumeOptions: sortedRecord({ ...argDefaults().volumeOptions, ...(args.volumeOptions ?? {}) }),
        clientCidrs: [...(args.clientCidrs ?? [])],
        extraHosts: sortedRecord({ ...(args.extraHosts ?? {}) }),
        firewall: {
            enabled: fw.enabled ?? networkMode === "host",
            backend: fw.backend ?? argDefaults().firewallBackend,
            allowAllClients: fw.allowAllClients ?? false,
        },
        openToAnyClient: isOpenToAnyClient(args),
        allowBricksOnRootFilesystem: args.allowBricksOnRootFilesystem ?? false,
        createMissingVolume: args.createMissingVolume ?? false,
        ...(tls ? { tls } : {}),
        ...(args.tls?.acceptOutage === true && args.tls.enabled !== undefined ? { tlsSwitch: args.tls.enabled ? ("on" as const) : ("off" as const) } : {}),
        ports: { base: args.brickPorts?.base ?? argDefaults().brickPortBase, max: args.brickPorts?.max ?? argDefaults().brickPortMax },
        mountPoint: args.mountPoint ?? `/mnt/${args.volumeName ?? argDefaults().volumeName}`,
        timeouts: {
            glusterdSeconds: args.timeouts?.glusterdSeconds ?? argDefaults().glusterdSeconds,
            peersSeconds: args.timeouts?.peersSeconds ?? argDefaults().peersSeconds,
            volumeSeconds: args.timeouts?.volumeSeconds ?? argDefaults().volumeSeconds,
            healSeconds: args.timeouts?.healSeconds ?? argDefaults().healSeconds,
        },
    };
}

/**
 * The volume options of TLS: on for the I/O path of clients and bricks (set before the
 * volume's first start, they cost no restart), and `auth.ssl-allow` listing exactly the
 * pool members' CNs (every member connects to bricks as a client: self-heal, heal info,
 * replace-brick) and the client identities'. `auth.allow` still applies besides.
 */
/** The client identity (certificate CN) of the Rancher cluster's nodes that mount the volume. */
export function nodeMountClient(clusterId: string): string {
    return `rancher-${clusterId}`;
}

export function tlsVolumeOptions(nodes: NodeSpec[], clients: string[]): Record<string, string> {
    const allowed = [...new Set([...nodes.map((n) => n.address), ...clients])].sort();
    return { "client.ssl": "on", "server.ssl": "on", "auth.ssl-allow": allowed.join(",") };
}

/**
 * The addresses the servers' own connections come from, for `auth.allow` and the firewall:
 * an IPv4 address where the node's address is one or `extraHosts` maps it, else the name.
 */
export function serverSourceAddresses(spec: ClusterSpec): string[] {
    return spec.nodes.map((n) => (isIPv4(n.address) ? n.address : (spec.extraHosts[n.address] ?? n.address)));
}
