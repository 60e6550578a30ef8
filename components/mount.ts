import { ClusterSpec } from "./spec";

/** How clients mount the volume, computed from the arguments alone. */
export interface MountInfo {
    /** The brick nodes' addresses. */
    servers: string[];
    /** `server:/volume` of the first brick node. */
    endpoint: string;
    /** The other brick nodes, colon-separated, as `backup-volfile-servers` takes them. */
    backupVolfileServers: string;
    /** The mount options (without `_netdev`, which only fstab needs). */
    options: string;
    command: string;
    fstab: string;
}

export function mountInfo(spec: ClusterSpec): MountInfo {
    const servers = spec.nodes.filter((n) => n.holdsBrick).map((n) => n.address);
    const endpoint = `${servers[0]}:/${spec.volumeName}`;
    // The primary must not be repeated in the backup list (glusterfs#871).
    const backupVolfileServers = servers.slice(1).join(":");
    const options = `backup-volfile-servers=${backupVolfileServers}`;
    return {
        servers,
        endpoint,
        backupVolfileServers,
        options,
        command: `mount -t glusterfs -o ${options} ${endpoint} ${spec.mountPoint}`,
        fstab: `${endpoint} ${spec.mountPoint} glusterfs defaults,_netdev,${options} 0 0`,
    };
}

/**
 * What `docker run` needs for a container that mounts the volume with FUSE: the FUSE
 * device and the one capability mount needs (never --privileged); in container mode the
 * cluster's network, so that the node names resolve; the extra host entries, if any.
 */
export function clientDockerArgs(spec: ClusterSpec): string[] {
    return [
        "--device",
        "/dev/fuse",
        "--cap-add",
        "SYS_ADMIN",
        ...(spec.networkMode === "container" ? ["--network", spec.networkName] : []),
        ...Object.entries(spec.extraHosts).flatMap(([host, ip]) => ["--add-host", `${host}:${ip}`]),
    ];
}

export function clientDockerNote(): string {
    return (
        "On hosts where AppArmor confines containers (Ubuntu), also pass --security-opt apparmor=unconfined: " +
        "the default profile denies the mount. The client image needs the GlusterFS client (glusterfs-client) " +
        "of the same major version as the servers."
    );
}
