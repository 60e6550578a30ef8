import * as pulumi from "@pulumi/pulumi";

/** How the gluster containers reach each other. */
export type NetworkMode = "container" | "host";

/** Which host firewall the firewall child drives; `auto` picks the one the host runs. */
export type FirewallBackend = "auto" | "iptables" | "nftables" | "firewalld" | "ufw";

/** An SSH connection to a Docker host, used for the commands that run on it. */
export interface SshConnectionArgs {
    /** Host name or address that sshd listens on. */
    host: string;
    /** sshd's port. Defaults to `22`. */
    port?: number;
    /** Login user; it must be allowed to run `docker` (and the firewall tools). Defaults to `"root"`. */
    user?: string;
    /**
     * The private key (PEM/OpenSSH text). Pass a secret, e.g. `config.requireSecret("sshKey")`;
     * the component marks it secret in any case, and it never appears in outputs or logs.
     */
    privateKey: pulumi.Input<string>;
    /**
     * The host's public key, pinned: commands refuse to run on a host that presents another
     * one. In `authorized_keys` form, `"ssh-ed25519 AAAAC3Nz..."`: take it from the host's
     * `/etc/ssh/ssh_host_ed25519_key.pub`, or from `ssh-keyscan -t ed25519 <host>` without the
     * leading host name (checked against the host's console). Defaults to none: the key is
     * not checked, and every apply warns that it is not.
     */
    hostKey?: string;
}

/**
 * The TLS material of a Docker endpoint that requires client certificates (`dockerd
 * --tlsverify`, usually `tcp://…:2376`): it reaches the host's Docker provider.
 */
export interface DockerTlsArgs {
    /** The CA certificate that signed the engine's certificate (PEM). */
    caCert: string;
    /** The client certificate (PEM), signed by a CA the engine trusts. */
    cert: string;
    /** The client certificate's private key (PEM). Pass a secret; the component marks it secret in any case. */
    key: pulumi.Input<string>;
}

/** A remote Docker host. */
export interface RemoteHostArgs {
    /**
     * The Docker endpoint of this host as the Docker provider takes it:
     * `ssh://root@gfs1.example.net`, `tcp://10.0.0.11:2376` or `unix:///path/to/docker.sock`.
     */
    dockerHost: string;
    /** How to run commands on this host (gluster bootstrap, firewall). */
    ssh: SshConnectionArgs;
    /**
     * The TLS material of a `tcp://` endpoint that requires client certificates. Required for
     * port 2376 (Docker's TLS port); refused on `ssh://` and `unix://` endpoints. Defaults to none.
     */
    dockerTls?: DockerTlsArgs;
}

/** One GlusterFS server. */
export interface GlusterNodeArgs {
    /**
     * The node's name: a DNS label (`a-z`, `0-9`, `-`). It names the container and, in
     * container mode, is the host name peers and clients use for the node.
     */
    name: string;
    /**
     * Host mode only: the address peers and clients use for this node — a host name that
     * DNS resolves (or that `extraHosts` maps), or an IPv4 address. Required in host mode.
     */
    address?: string;
    /** The Docker host the node runs on. Omit it to use the local Docker engine. */
    host?: RemoteHostArgs;
    /** Host mode only: this node's data directory, when it differs from the cluster's `dataRoot`. */
    dataRoot?: string;
    /**
     * The brick node this new node takes the place of: a lost host's replacement, which moves
     * the lost node's brick here (README: Replacing a lost host). Nothing else replaces a brick
     * node: a brick node missing from the list while a new one appears is refused unless the
     * new one says which node it replaces, so that a misspelt name is never taken for a lost
     * host. It may stay in the config after the replacement; it matters only while the node it
     * names is still in the volume.
     */
    replaces?: string;
    /**
     * This node's host was rebuilt in place: the same name and address, its state and brick
     * lost. When it comes back under a UUID its peers do not know, with an empty brick and
     * every other brick online, it takes back its old UUID, rejoins the pool, and its brick is
     * reset and refilled from the others (README: A host rebuilt in place). A node that is
     * itself is left alone, so it may stay set; take it out once the node is back. Defaults to
     * `false`: a node with a new UUID is refused.
     */
    rebuilt?: boolean;
}

/** The Docker network of container mode. */
export interface NetworkArgs {
    /** The network's name. Defaults to `"<component name>-net"`. */
    name?: string;
    /**
     * Use an existing network of that name (an overlay network, or one Rancher manages)
     * instead of creating a bridge network. Required when the nodes are on several Docker
     * hosts in container mode. Defaults to `false`.
     */
    existing?: boolean;
}

/** Host firewall rules for GlusterFS (host mode). */
export interface FirewallArgs {
    /** Manage firewall rules on every host. Defaults to `true` in host mode; container mode does not support it. */
    enabled?: boolean;
    /** Firewall backend. Defaults to `"auto"`. */
    backend?: FirewallBackend;
    /**
     * Open the client ports (24007 and the brick ports) to any source instead of only
     * `clientCidrs`. Reported loudly. Defaults to `false`.
     */
    allowAllClients?: boolean;
}

/** The pinned brick port range (glusterd's `base-port` and `max-port`). */
export interface BrickPortsArgs {
    /** First brick port. Defaults to `49152`. */
    base?: number;
    /**
     * Last brick port; must be above `base` (a range of one port breaks restarts while the
     * old port sits in TIME_WAIT). Defaults to `49161`.
     */
    max?: number;
}

/** Deadlines for the readiness waits. Polls are short; these only bound a failure. */
export interface TimeoutsArgs {
    /** How long to wait for a glusterd to answer its CLI. Defaults to `120` seconds. */
    glusterdSeconds?: number;
    /** How long to wait for a peer to reach "Peer in Cluster" and connect. Defaults to `120` seconds. */
    peersSeconds?: number;
    /** How long to wait for the volume's bricks to come online. Defaults to `180` seconds. */
    volumeSeconds?: number;
    /**
     * How long to wait for self-heal to catch up: after a node comes back in a rolling
     * replacement (before the next is touched), and while a replaced brick is filled.
     * Defaults to `3600` seconds.
     */
    healSeconds?: number;
}

/**
 * Publishing the volume's mount contract into a Rancher-managed Kubernetes cluster, as a
 * ConfigMap (`rancher2.ConfigMapV2`). Rancher's credentials come from the `rancher2`
 * provider: the default one reads stack config (`rancher2:apiUrl`, `rancher2:tokenKey` as
 * a secret, `rancher2:caCerts` or `rancher2:insecure`), or pass `provider`, or give the
 * component `providers: { rancher2: ... }`.
 */
/**
 * GlusterFS's TLS: every connection between servers, and between clients and servers,
 * encrypted and authenticated by certificate (README: TLS). The component makes two CAs
 * with `@pulumi/tls` — one for the servers, one for the clients — and a certificate for
 * every node (its address as CN) and every named client; private keys are secrets.
 */
export interface TlsArgs {
    /**
     * Whether the cluster runs with TLS. Defaults to `true` for a new host-mode cluster (the
     * identity step's first run records it on); a host-mode cluster that ran plain before stays
     * plain, with a warning on every run; `false` in container mode. Turning it on for a running
     * volume stops it (every glusterd, brick and client must switch at once), and so does
     * turning it off: each is refused unless `acceptOutage` is set.
     */
    enabled?: boolean;
    /**
     * Accept the outage of turning TLS on (with `enabled: true`) for a running, plain volume,
     * or off (with `enabled: false`) for one that runs TLS: in one update the volume is
     * stopped, its TLS options set on or off, every node's glusterd restarted with TLS or
     * without, and the volume started again and healed; clients must then mount with a bundle
     * (on) or without one (off). Does nothing to a volume that already runs so, or a new one.
     * Defaults to `false`.
     */
    acceptOutage?: boolean;
    /**
     * The client identities: each gets a certificate with the name as its CN, signed by the
     * client CA, and a bundle in the `tlsClients` output. DNS-label characters only; not a
     * node's name or address. Adding or removing one changes nothing that runs (the volume's
     * `auth.ssl-allow` in place): a removed client is disconnected. Defaults to none.
     */
    clients?: string[];
    /** Raise to re-issue every node's and client's certificate (the same keys). Defaults to `0`. */
    rotation?: number;
    /** How long a node's or client's certificate is valid, in days. Defaults to `365`. */
    validityDays?: number;
    /**
     * An operator's CA, dedicated to this cluster, to sign every node's and client's certificate
     * instead of the two CAs the component makes: a self-signed CA certificate (PEM, plain) and
     * its key (PEM; pass a secret). Its certificate is recorded: changing it later is refused
     * (every client's bundle would stop working at once). Defaults to none.
     */
    ca?: { cert: string; key: pulumi.Input<string> };
}

export interface RancherArgs {
    /** The cluster's Rancher v1 id, as rancher2 resources take it: `local`, `c-xxxxx` or `c-m-xxxxxxxx`. */
    clusterId: string;
    /** The namespace to publish into. Defaults to `"glusterfs"`. */
    namespace?: string;
    /** Create the namespace (in `projectId`) instead of using an existing one. Defaults to `false`. */
    createNamespace?: boolean;
    /** The Rancher project of a created namespace, `<clusterId>:p-xxxxx`. Required with `createNamespace`. */
    projectId?: string;
    /** The ConfigMap's name. Defaults to `"glusterfs-<volumeName>"` (with `_` written as `-`). */
    configMapName?: string;
    /**
     * Read the cluster's nodes (`rancher2.ClusterSync`) and let their addresses mount: they
     * are added to `auth.allow` and to the firewall's client sources. Defaults to `false`.
     */
    allowClusterNodes?: boolean;
    /** Which node address `allowClusterNodes` uses: `"internal"` (ipAddress) or `"external"`. Defaults to `"internal"`. */
    nodeAddress?: "internal" | "external";
    /** An explicit rancher2 provider. Defaults to the component's `providers.rancher2`, else the default provider. */
    provider?: pulumi.ProviderResource;
    /**
     * The cluster's nodes to mount the volume on, at `mountPoint`, by a systemd mount unit
     * ordered before the Kubernetes agent (README: Rancher). Each is reached over SSH as root;
     * its address may mount (`auth.allow`, firewall). Defaults to none.
     */
    nodeMounts?: NodeMountArgs[];
    /**
     * More mount options for the node mounts' units, after `defaults,_netdev` and
     * `backup-volfile-servers`, e.g. `["log-level=WARNING"]`. A change is written to each node's
     * unit and takes effect at its next reboot: a mounted volume is never remounted. Defaults to none.
     */
    nodeMountOptions?: string[];
    /**
     * ReadWriteMany PVCs from the volume: rancher/local-path-provisioner in shared-filesystem
     * mode, installed by Rancher into a namespace the component creates (in `projectId`), after
     * every node mount (README: Rancher). Needs `nodeMounts`. Defaults to none.
     */
    storageClass?: StorageClassArgs;
}

/** The StorageClass of ReadWriteMany PVCs (`rancher.storageClass`). */
export interface StorageClassArgs {
    /** The StorageClass's name. Defaults to `"glusterfs-<volumeName>"` (with `_` written as `-`). */
    name?: string;
    /** The provisioner's name. Defaults to `"glusterfs-cluster.io/<name>"`; never `rancher.io/local-path` (K3s's own). */
    provisionerName?: string;
    /** What deleting a PVC does to its files. Defaults to `"Retain"`: they stay on the volume. */
    reclaimPolicy?: "Retain" | "Delete";
    /** The namespace the provisioner runs in, created by the component. Defaults to `"glusterfs-provisioner"`. */
    namespace?: string;
    /**
     * Where Rancher takes the chart: a git repository at a tag (`gitRepo`, `gitBranch` — Rancher
     * checks a tag out as it does a branch), or a Helm repository or OCI reference (`url`); and
     * the chart's `version`. Defaults to the upstream repository at tag `v0.0.37`, chart `0.0.37`.
     */
    chart?: { gitRepo?: string; gitBranch?: string; url?: string; version?: string };
    /** The provisioner's image, pinned. Defaults to `"rancher/local-path-provisioner:v0.0.37"`. */
    image?: string;
    /** The image of the helper pods that make and remove each PVC's directory, pinned. Defaults to `"busybox:1.37.0"`. */
    helperImage?: string;
    /** Rancher's system default registry for the app (the chart reads none itself: point `image` and `helperImage` at a mirror). */
    systemDefaultRegistry?: string;
}

/** A Kubernetes node that mounts the volume (`rancher.nodeMounts`). */
export interface NodeMountArgs {
    /** The node's name (a DNS label): its step is named after it. */
    name: string;
    /** The IPv4 address the node mounts from: it becomes a client the volume and the firewall admit. */
    address: string;
    /** How to reach the node: as root (it installs packages, writes a systemd unit and mounts). */
    ssh: SshConnectionArgs;
}

export interface GlusterClusterArgs {
    /**
     * The GlusterFS volume's name: letters, digits, `-` and `_`, at most 64 characters, not
     * starting with `-`, and not one of GlusterFS's reserved words. Defaults to `"my_vol"`.
     */
    volumeName?: string;
    /**
     * `"container"`: the containers share a Docker network (created by the component, or an
     * existing one named in `network`). `"host"`: each container uses its host's network
     * stack, so at most one node per host. Defaults to `"container"`.
     */
    networkMode?: NetworkMode;
    /** Container mode's Docker network. Defaults to a bridge network named `"<component name>-net"`. */
    network?: NetworkArgs;
    /**
     * The servers, at least 3. The first 3 hold the volume's bricks (replica 3); further
     * nodes join the trusted pool and not the volume.
     */
    nodes: GlusterNodeArgs[];
    /**
     * A prebuilt GlusterFS image to run instead of building `docker/glusterfs/` on each host.
     * It must honour the same contract (see the README). Defaults to building the project's image.
     */
    image?: string;
    /**
     * Host mode: the host directory that holds glusterd's state (`glusterd/`), the bricks
     * (`bricks/`) and the logs (`log/`). Defaults to `"/data/glusterfs"`.
     */
    dataRoot?: string;
    /**
     * Delete the bricks' data and glusterd's state on destroy. Defaults to `false`: destroy
     * removes the containers and the volume definition and keeps the data.
     */
    deleteDataOnDestroy?: boolean;
    /**
     * GlusterFS volume options, applied after create and re-applied when changed; an option
     * removed from this map is reset. Merged over the defaults `cluster.quorum-type=auto`
     * (client quorum: writes need two of the three bricks) and `cluster.server-quorum-type=none`
     * (see the README: server quorum counts pool-only nodes, and on GlusterFS 11.1 a node that
     * regains it can start its brick twice and leave it without a port) and, when
     * `clientCidrs` is set, `auth.allow` = the servers' addresses and `clientCidrs`.
     */
    volumeOptions?: Record<string, string>;
    /**
     * Networks (CIDR, e.g. `10.0.5.0/24`) whose hosts may mount the volume. Used for the
     * firewall's client sources and for `auth.allow`. Defaults to none: only the servers
     * themselves (and, in container mode, containers on the network) can reach it.
     */
    clientCidrs?: string[];
    /**
     * Extra `/etc/hosts` entries (name → IPv4 address) for every gluster container, for
     * host names that DNS does not resolve. Defaults to none.
     */
    extraHosts?: Record<string, string>;
    /** Host firewall rules. Defaults to on in host mode with the `auto` backend. */
    firewall?: FirewallArgs;
    /** The brick port range that glusterd is pinned to. Defaults to `49152`–`49161`. */
    brickPorts?: BrickPortsArgs;
    /** Where the mount outputs mount the volume. Defaults to `"/mnt/<volumeName>"`. */
    mountPoint?: string;
    /** Deadlines for the readiness waits. */
    timeouts?: TimeoutsArgs;
    /** Publish the mount contract into a Rancher-managed cluster. Defaults to nothing from Rancher. */
    rancher?: RancherArgs;
    /** TLS for every connection (README: TLS). Defaults to off. */
    tls?: TlsArgs;
    /**
     * Accept a volume that any host able to reach the servers may mount read-write: host
     * mode with no `clientCidrs` (so no `auth.allow`) and either `firewall.allowAllClients`
     * or the firewall disabled. Such a config is refused without it, and warned about on
     * every apply with it. Defaults to `false`.
     */
    insecureAllowAnyClient?: boolean;
    /**
     * Host mode: accept bricks on the host's root filesystem. GlusterFS refuses that itself,
     * but cannot see it from inside a container; a full root filesystem stops Docker, sshd and
     * journald with it. Defaults to `false`: the node's first apply fails if its `dataRoot` is
     * on the root filesystem.
     */
    allowBricksOnRootFilesystem?: boolean;
    /**
     * Create the volume although this stack created it before and it has gone (someone
     * deleted it): a new, empty volume in its place. Without it such an update is refused.
     * Its bricks must be empty first — GlusterFS refuses a brick that still holds the old
     * volume's marks (README: A volume that vanished). Defaults to `false`; take it out again
     * once the volume is back.
     */
    createMissingVolume?: boolean;
}

/** Defaults, stated once. */
export function argDefaults() {
    return {
        volumeName: "my_vol",
        networkMode: "container" as NetworkMode,
        dataRoot: "/data/glusterfs",
        firewallBackend: "auto" as FirewallBackend,
        brickPortBase: 49152,
        brickPortMax: 49161,
        sshPort: 22,
        sshUser: "root",
        glusterdSeconds: 120,
        peersSeconds: 120,
        volumeSeconds: 180,
        healSeconds: 3600,
        volumeOptions: {
            "cluster.quorum-type": "auto",
            "cluster.server-quorum-type": "none",
        } as Record<string, string>,
    };
}
