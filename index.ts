/**
 * The stack program: reads this stack's config (the `glusterfs:` namespace, declared in
 * Pulumi.yaml; values in Pulumi.<stack>.yaml), builds one GlusterCluster and exports its
 * outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { GlusterCluster, GlusterClusterArgs, GlusterNodeArgs } from "./components";

/** A node as written in stack config: the SSH key is named, never written in the node itself. */
interface NodeConfig extends Omit<GlusterNodeArgs, "host"> {
    host?: {
        dockerHost: string;
        ssh: {
            host: string;
            port?: number;
            user?: string;
            /** The config key holding this host's private key (a secret). Defaults to `sshPrivateKey`. */
            privateKeySecret?: string;
        };
    };
}

export function clusterArgsFromConfig(config: pulumi.Config): GlusterClusterArgs {
    const nodes = config.getObject<NodeConfig[]>("nodes") ?? [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }];
    return {
        volumeName: config.get("volumeName"),
        networkMode: config.get("networkMode") as GlusterClusterArgs["networkMode"],
        network: config.getObject("network"),
        nodes: nodes.map((node) => ({
            ...node,
            host: node.host && {
                dockerHost: node.host.dockerHost,
                ssh: {
                    host: node.host.ssh.host,
                    port: node.host.ssh.port,
                    user: node.host.ssh.user,
                    privateKey: config.requireSecret(node.host.ssh.privateKeySecret ?? "sshPrivateKey"),
                },
            },
        })),
        image: config.get("image"),
        dataRoot: config.get("dataRoot"),
        deleteDataOnDestroy: config.getBoolean("deleteDataOnDestroy"),
        volumeOptions: config.getObject("volumeOptions"),
        clientCidrs: config.getObject("clientCidrs"),
        extraHosts: config.getObject("extraHosts"),
        firewall: config.getObject("firewall"),
        brickPorts: config.getObject("brickPorts"),
        mountPoint: config.get("mountPoint"),
        timeouts: config.getObject("timeouts"),
    };
}

const cluster = new GlusterCluster("gluster", clusterArgsFromConfig(new pulumi.Config("glusterfs")));

export const volumeName = cluster.volumeName;
export const servers = cluster.servers;
export const mountEndpoint = cluster.mountEndpoint;
export const backupVolfileServers = cluster.backupVolfileServers;
export const mountCommand = cluster.mountCommand;
export const fstabEntry = cluster.fstabEntry;
export const clientDockerArgs = cluster.clientDockerArgs;
export const clientDockerNote = cluster.clientDockerNote;
export const poolMembers = cluster.poolMembers;
export const brickPortRange = cluster.brickPortRange;
