import * as pulumi from "@pulumi/pulumi";
import { GlusterClusterArgs, GlusterNodeArgs } from "./args";

/** A node as written in stack config: the SSH key is named, never written in the node itself. */
export interface NodeConfig extends Omit<GlusterNodeArgs, "host"> {
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

/**
 * Builds GlusterCluster arguments from stack config (the `glusterfs:` namespace of the
 * stack program, or any namespace another stack chooses). SSH keys are read as secrets.
 */
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
        rancher: config.getObject("rancher"),
    };
}
