/**
 * The stack program: reads this stack's config (the `glusterfs:` namespace, declared in
 * Pulumi.yaml; values in Pulumi.<stack>.yaml), builds one GlusterCluster and exports its
 * outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { clusterArgsFromConfig, GlusterCluster } from "./components";

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
/** TLS (glusterfs:tls): each client identity's bundle, a secret (`pulumi stack output tlsClients --show-secrets`). */
export const tlsClients = cluster.tlsClients;
export const certificateExpiry = cluster.certificateExpiry;
export const tlsClientFiles = cluster.tlsClientFiles;
export const tlsClientDockerArgs = cluster.tlsClientDockerArgs;
/** Rancher (glusterfs:rancher.storageClass): the StorageClass of ReadWriteMany PVCs. */
export const storageClassName = cluster.storageClassName;
