/**
 * The volume's mount contract, published into a Rancher-managed Kubernetes cluster as one
 * ConfigMap, so that node mount units, init containers and operators read it instead of
 * copying host names by hand. Keys are stable and versioned by `schemaVersion`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as rancher2 from "@pulumi/rancher2";
import { RancherArgs } from "./args";
import { clientDockerArgs, mountInfo } from "./mount";
import { Scope, childOptions, whileTls } from "./scope";
import { ClusterSpec, sortedRecord } from "./spec";
import { ClientBundle } from "./tls";

/** Bumped when a key changes meaning or goes away; adding a key keeps the version. */
export const MOUNT_CONTRACT_SCHEMA_VERSION = "1";

/** The contract's keys (the README's table says what each holds). */
export function mountContractKeys(): string[] {
    return [
        "schemaVersion",
        "volume",
        "servers",
        "mountSource",
        "backupVolfileServers",
        "mountOptions",
        "mountPoint",
        "mountCommand",
        "fstab",
        "managementPorts",
        "brickPorts",
        "clientDevice",
        "clientCapability",
        "clientDockerArgs",
        "hosts",
        "tlsSecret",
    ];
}

export function mountContractName(spec: ClusterSpec, r: RancherArgs): string {
    return r.configMapName ?? `glusterfs-${spec.volumeName.toLowerCase().replace(/_/g, "-")}`;
}

/** The Secret beside the ConfigMap that holds the Rancher cluster's client bundle (TLS). */
export function tlsSecretName(spec: ClusterSpec, r: RancherArgs): string {
    return `${mountContractName(spec, r)}-tls`;
}

/** The ConfigMap's data, from the same values as the component's outputs; `tlsSecret` names the Secret (never key material). */
export function mountContractData(spec: ClusterSpec, tlsSecret = ""): Record<string, string> {
    const m = mountInfo(spec);
    const data: Record<string, string> = {
        schemaVersion: MOUNT_CONTRACT_SCHEMA_VERSION,
        volume: spec.volumeName,
        servers: m.servers.join(","),
        mountSource: m.endpoint,
        backupVolfileServers: m.backupVolfileServers,
        mountOptions: m.options,
        mountPoint: spec.mountPoint,
        mountCommand: m.command,
        fstab: m.fstab,
        managementPorts: "24007-24008",
        brickPorts: `${spec.ports.base}-${spec.ports.max}`,
        clientDevice: "/dev/fuse",
        clientCapability: "SYS_ADMIN",
        clientDockerArgs: clientDockerArgs(spec).join(" "),
        hosts: Object.entries(spec.extraHosts)
            .map(([name, ip]) => `${ip} ${name}`)
            .join("\n"),
        tlsSecret,
    };
    return sortedRecord(data);
}

export interface RancherResources {
    /** The addresses of the cluster's nodes, when `allowClusterNodes` is set. */
    nodeAddresses?: pulumi.Output<string[]>;
    /**
     * Declares the ConfigMap once the volume is ready (`after`); with TLS declared, `bundle`
     * (the Rancher cluster's client identity: ca, cert, key) goes into a Secret beside it, which
     * it names — while TLS runs: a cluster that runs plain by default gets a Secret that holds
     * only `tls: off`, and a ConfigMap that names none.
     */
    publish(after: pulumi.Resource[], bundle?: pulumi.Output<ClientBundle>): rancher2.ConfigMapV2;
}

/** Declares the Rancher side: the node list (optional), the namespace (optional), the ConfigMap. */
export function declareRancher(scope: Scope, r: RancherArgs): RancherResources {
    const { spec, names } = scope;
    // Like every child, after the identity guard: a refused update changes nothing in Rancher either.
    const provider = r.provider ? { provider: r.provider } : {};
    const namespace = r.namespace ?? "glusterfs";
    let nodeAddresses: pulumi.Output<string[]> | undefined;
    if (r.allowClusterNodes) {
        const sync = new rancher2.ClusterSync(names.rancherNodes(), { clusterId: r.clusterId }, childOptions(scope, provider));
        const external = r.nodeAddress === "external";
        nodeAddresses = sync.nodes.apply((nodes) =>
            [...new Set((nodes ?? []).map((n) => (external ? n.externalIpAddress : n.ipAddress)).filter((a) => !!a))].sort(),
        );
    }
    const ns = r.createNamespace
        ? new rancher2.Namespace(
              names.rancherNamespace(),
              { name: namespace, projectId: r.projectId!, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
              // The namespace may hold more than the contract: a changed name creates the new one and
              // leaves the old (and destroy leaves it), rather than deleting whatever lives in it.
              childOptions(scope, { ...provider, retainOnDelete: true }),
          )
        : undefined;
    return {
        nodeAddresses,
        publish: (after, bundle) => {
            const labels = { "app.kubernetes.io/name": "glusterfs-mount-contract", "app.kubernetes.io/managed-by": "pulumi" };
            const secret = bundle
                ? new rancher2.SecretV2(
                      names.tlsSecret(),
                      {
                          clusterId: r.clusterId,
                          namespace: ns ? ns.name : namespace,
                          name: tlsSecretName(spec, r),
                          type: "Opaque",
                          labels,
                          // The provider takes the values as they are (it encodes them) and keeps them secret.
                          // The provider requires data: a plain cluster's Secret says so, and holds no key.
                          data: pulumi.secret(
                              whileTls<Record<string, string>>(
                                  scope,
                                  bundle.apply((b) => ({ "glusterfs.ca": b.ca, "glusterfs.pem": b.cert, "glusterfs.key": b.key })),
                                  { tls: "off" },
                              ),
                          ),
                      },
                      childOptions(scope, { ...provider, deleteBeforeReplace: true, dependsOn: after }),
                  )
                : undefined;
            return new rancher2.ConfigMapV2(
                names.mountContract(),
                {
                    clusterId: r.clusterId,
                    namespace: ns ? ns.name : namespace,
                    // An explicit name: no random suffix, so readers can find it.
                    name: mountContractName(spec, r),
                    labels,
                    data: bundle ? whileTls(scope, tlsSecretName(spec, r), "").apply((name) => mountContractData(spec, name)) : mountContractData(spec),
                },
                // A replacement must not leave two objects behind (the name is fixed).
                childOptions(scope, { ...provider, deleteBeforeReplace: true, dependsOn: [...after, ...(secret ? [secret] : [])] }),
            );
        },
    };
}
