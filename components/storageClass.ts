/**
 * ReadWriteMany storage for the cluster's pods (`rancher.storageClass`): rancher/local-path-
 * provisioner in shared-filesystem mode, installed by Rancher (a CatalogV2 of its chart and an
 * AppV2), turns the volume mounted on every node (`rancher.nodeMounts`) into dynamically
 * provisioned PVCs — a sub-directory each, hostPath PVs — so workloads name a PVC, never a
 * hostPath, and their namespaces stay at Pod Security *baseline*.
 */
import * as pulumi from "@pulumi/pulumi";
import * as rancher2 from "@pulumi/rancher2";
import { RancherArgs, StorageClassArgs } from "./args";
import { childOptions, Scope } from "./scope";
import { ClusterSpec } from "./spec";

/** The chart this component was written against, and its images, pinned. */
export function provisionerDefaults() {
    return {
        gitRepo: "https://github.com/rancher/local-path-provisioner",
        gitBranch: "v0.0.37",
        chartVersion: "0.0.37",
        image: "rancher/local-path-provisioner:v0.0.37",
        // The chart's own default is busybox:latest: never what ran yesterday.
        helperImage: "busybox:1.37.0",
        namespace: "glusterfs-provisioner",
        reclaimPolicy: "Retain" as const,
    };
}

/** The StorageClass's name: `glusterfs-<volume>` unless given. */
export function storageClassName(spec: ClusterSpec, s: StorageClassArgs): string {
    return s.name ?? `glusterfs-${spec.volumeName.toLowerCase().replace(/_/g, "-")}`;
}

/** The provisioner's name: its own (K3s already runs one named rancher.io/local-path). */
export function provisionerName(spec: ClusterSpec, s: StorageClassArgs): string {
    return s.provisionerName ?? `glusterfs-cluster.io/${storageClassName(spec, s)}`;
}

/** `repo:tag` → its parts (a digest or a registry port stays in the repository). */
export function splitImage(ref: string): { repository: string; tag: string } {
    const at = ref.lastIndexOf(":");
    return at > ref.lastIndexOf("/") ? { repository: ref.slice(0, at), tag: ref.slice(at + 1) } : { repository: ref, tag: "" };
}

/**
 * The chart's values. `nodePathMap: []` explicitly: the chart's default is non-empty, and
 * with both set every PVC fails to provision ("both nodePathMap and sharedFileSystemPath are
 * defined"). JSON, which is YAML.
 */
export function provisionerValues(spec: ClusterSpec, s: StorageClassArgs): string {
    const d = provisionerDefaults();
    const values = {
        image: { ...splitImage(s.image ?? d.image), pullPolicy: "IfNotPresent" },
        helperImage: splitImage(s.helperImage ?? d.helperImage),
        storageClass: {
            create: true,
            name: storageClassName(spec, s),
            provisionerName: provisionerName(spec, s),
            defaultClass: false,
            defaultVolumeType: "hostPath",
            reclaimPolicy: s.reclaimPolicy ?? d.reclaimPolicy,
            volumeBindingMode: "Immediate",
        },
        nodePathMap: [],
        sharedFileSystemPath: spec.mountPoint.replace(/\/+$/, ""),
    };
    return `${JSON.stringify(values, undefined, 2)}\n`;
}

/**
 * Declares the provisioner's namespace (privileged: its helper pods use hostPath; workload
 * namespaces stay baseline), the chart's repository and the app, after every node mount.
 */
export function declareStorageClass(scope: Scope, r: RancherArgs, s: StorageClassArgs, after: pulumi.Resource[]): rancher2.AppV2 {
    const { spec, names } = scope;
    const d = provisionerDefaults();
    const provider = r.provider ? { provider: r.provider } : {};
    const ns = new rancher2.Namespace(
        names.provisionerNamespace(),
        {
            name: s.namespace ?? d.namespace,
            projectId: r.projectId!,
            labels: { "pod-security.kubernetes.io/enforce": "privileged", "app.kubernetes.io/managed-by": "pulumi" },
        },
        childOptions(scope, provider),
    );
    const chart = s.chart ?? {};
    const repo = new rancher2.CatalogV2(
        names.provisionerRepo(),
        {
            clusterId: r.clusterId,
            name: `${storageClassName(spec, s)}-chart`,
            ...(chart.url !== undefined ? { url: chart.url } : { gitRepo: chart.gitRepo ?? d.gitRepo, gitBranch: chart.gitBranch ?? d.gitBranch }),
        },
        childOptions(scope, provider),
    );
    return new rancher2.AppV2(
        names.provisionerApp(),
        {
            clusterId: r.clusterId,
            namespace: ns.name,
            // An explicit release name: the default provisioner name and the objects' names follow it.
            name: storageClassName(spec, s),
            repoName: repo.name,
            chartName: "local-path-provisioner",
            chartVersion: chart.version ?? d.chartVersion,
            values: provisionerValues(spec, s),
            ...(s.systemDefaultRegistry !== undefined ? { systemDefaultRegistry: s.systemDefaultRegistry } : {}),
            wait: true,
            cleanupOnFail: true,
        },
        // name and namespace force a replacement: the old release must go before one of the same name comes.
        childOptions(scope, { ...provider, dependsOn: after, deleteBeforeReplace: true }),
    );
}
