/**
 * The name of every child of a GlusterCluster, in one table. A child's name is part of its
 * URN: a released child is never renamed (Pulumi would create the new one and delete the
 * old, with whatever its delete does), so every name is made here and reviewed here. The
 * component, the owner tokens, the legacy aliases and the tests all take names from it.
 */
export interface ChildNames {
    /** Per Docker host (`id`: "local", or the first node's name on the host). */
    readonly engine: (hostId: string) => string;
    readonly docker: (hostId: string) => string;
    readonly image: (hostId: string) => string;
    readonly firewall: (hostId: string) => string;
    readonly firewallSettle: (hostId: string) => string;
    /** Once. */
    readonly identity: () => string;
    readonly preflight: () => string;
    readonly network: () => string;
    readonly pool: () => string;
    readonly probeBack: () => string;
    readonly volume: () => string;
    readonly rancherNodes: () => string;
    readonly rancherNamespace: () => string;
    readonly mountContract: () => string;
    /** TLS with Rancher: the Secret holding the Rancher cluster's client bundle. */
    readonly tlsSecret: () => string;
    /** Per node. */
    readonly container: (node: string) => string;
    readonly ready: (node: string) => string;
    readonly data: (node: string) => string;
    readonly storage: (node: string, role: "state" | "bricks" | "logs") => string;
    /** Per pool-only node. */
    readonly probe: (node: string) => string;
    readonly probeBackOf: (node: string) => string;
    /** TLS (when on): the two CAs; per node and per client identity, its key, request and certificate; per node, its files. */
    readonly tlsCaKey: (role: "server" | "client") => string;
    readonly tlsCa: (role: "server" | "client") => string;
    readonly tlsNodeKey: (node: string) => string;
    readonly tlsNodeRequest: (node: string) => string;
    readonly tlsNodeCert: (node: string) => string;
    readonly tlsClientKey: (client: string) => string;
    readonly tlsClientRequest: (client: string) => string;
    readonly tlsClientCert: (client: string) => string;
    readonly tlsFiles: (node: string) => string;
    /** Turning TLS on or off for a running volume (tls.acceptOutage): the stop, each node's restart, the start. */
    readonly tlsSwitchStop: () => string;
    readonly tlsSwitchRestart: (node: string) => string;
    readonly tlsSwitchStart: () => string;
    /** Rancher's node mounts: each node's step, and the check of the cluster's node list against them. */
    readonly nodeMount: (node: string) => string;
    readonly nodeMountCheck: () => string;
    /** Rancher's StorageClass: the provisioner's namespace, its chart's repository, the app. */
    readonly provisionerNamespace: () => string;
    readonly provisionerRepo: () => string;
    readonly provisionerApp: () => string;
}

/** The names of the children of the GlusterCluster named `cluster`. */
export function childNames(cluster: string): ChildNames {
    const n = (...parts: string[]) => [cluster, ...parts].join("-");
    return {
        engine: (h) => n("engine", h),
        docker: (h) => n("docker", h),
        image: (h) => n("image", h),
        firewall: (h) => n("firewall", h),
        firewallSettle: (h) => n("firewall-settle", h),
        identity: () => n("identity"),
        preflight: () => n("preflight"),
        network: () => n("net"),
        pool: () => n("pool"),
        probeBack: () => n("probe-back"),
        volume: () => n("volume"),
        rancherNodes: () => n("rancher-nodes"),
        rancherNamespace: () => n("rancher-namespace"),
        mountContract: () => n("mount-contract"),
        tlsSecret: () => n("tls-secret"),
        container: (node) => n(node),
        ready: (node) => n("ready", node),
        data: (node) => n("data", node),
        storage: (node, role) => n(node, role),
        probe: (node) => n("probe", node),
        probeBackOf: (node) => n("probe-back", node),
        tlsCaKey: (role) => n("tls", role, "ca-key"),
        tlsCa: (role) => n("tls", role, "ca"),
        tlsNodeKey: (node) => n("tls-key", node),
        tlsNodeRequest: (node) => n("tls-request", node),
        tlsNodeCert: (node) => n("tls-cert", node),
        tlsClientKey: (client) => n("tls-client-key", client),
        tlsClientRequest: (client) => n("tls-client-request", client),
        tlsClientCert: (client) => n("tls-client-cert", client),
        tlsFiles: (node) => n("tls-files", node),
        tlsSwitchStop: () => n("tls-switch-stop"),
        tlsSwitchRestart: (node) => n("tls-switch", node),
        tlsSwitchStart: () => n("tls-switch-start"),
        nodeMount: (node) => n("node-mount", node),
        nodeMountCheck: () => n("node-mount-check"),
        provisionerNamespace: () => n("provisioner-namespace"),
        provisionerRepo: () => n("provisioner-chart"),
        provisionerApp: () => n("provisioner"),
    };
}
