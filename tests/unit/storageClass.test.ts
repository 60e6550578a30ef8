/**
 * rancher.storageClass on mocks (no Rancher server runs here): the provisioner's namespace,
 * the chart's repository and the app, each argument checked against the rancher2 SDK's own
 * argument types (an argument the provider does not have is refused), the app's values read
 * as YAML, the ordering after every node mount, and exactly one StorageClass.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { findProblems, GlusterCluster, GlusterClusterArgs } from "../../components";
import { runProgram } from "../helpers";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----";
const MOUNTS = [1, 2, 3].map((i) => ({ name: `w${i}`, address: `10.20.0.${i}`, ssh: { host: `10.20.0.${i}`, privateKey: KEY } }));
const BASE: GlusterClusterArgs = {
    volumeName: "shared_vol",
    nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
    mountPoint: "/srv/shared",
    rancher: { clusterId: "c-m-abcdefgh", projectId: "c-m-abcdefgh:p-sys01", nodeMounts: MOUNTS, storageClass: {} },
};
const T = {
    app: "rancher2:index/appV2:AppV2",
    repo: "rancher2:index/catalogV2:CatalogV2",
    ns: "rancher2:index/namespace:Namespace",
    sc: "rancher2:index/storageClassV2:StorageClassV2",
};

/** The input names an SDK resource takes: the properties of its `<Name>Args` interface in the package's .d.ts. */
function sdkArgs(file: string, iface: string): string[] {
    const text = fs.readFileSync(path.join(require.resolve("@pulumi/rancher2/package.json"), "..", file), "utf8");
    const body = new RegExp(`export interface ${iface} \\{([\\s\\S]*?)\\n\\}`).exec(text)![1];
    return [...body.matchAll(/^\s{4}(\w+)\??:/gm)].map((m) => m[1]);
}

function build(args: GlusterClusterArgs) {
    return runProgram(() => {
        const c = new GlusterCluster("gluster", args);
        return { storageClassName: c.storageClassName };
    });
}

describe("Rancher: ReadWriteMany storage (rancher.storageClass)", () => {
    it("declares only arguments the rancher2 provider has, for the namespace, the chart's repository and the app", async () => {
        const { rec } = await build(BASE);
        for (const [type, file, iface] of [
            [T.app, "appV2.d.ts", "AppV2Args"],
            [T.repo, "catalogV2.d.ts", "CatalogV2Args"],
            [T.ns, "namespace.d.ts", "NamespaceArgs"],
        ]) {
            const known = sdkArgs(file, iface);
            assert.ok(known.length > 3, `no arguments read from ${file}`);
            const records = rec.ofType(type);
            assert.strictEqual(records.length, 1, type);
            const unknown = Object.keys(records[0].inputs).filter((k) => !known.includes(k));
            assert.deepStrictEqual(unknown, [], `${type} has no ${unknown.join(", ")}`);
        }
    });

    it("the app's values, as YAML: shared-filesystem mode on the mount point, nodePathMap empty, its own provisioner, pinned images, Immediate, hostPath, Retain", async () => {
        const { rec } = await build(BASE);
        const app = rec.ofType(T.app)[0].inputs;
        const values = yaml.load(app.values as string) as Record<string, any>;
        assert.deepStrictEqual(values.nodePathMap, []);
        assert.strictEqual(values.sharedFileSystemPath, "/srv/shared");
        assert.deepStrictEqual(values.storageClass, {
            create: true,
            name: "glusterfs-shared-vol",
            provisionerName: "glusterfs-cluster.io/glusterfs-shared-vol",
            defaultClass: false,
            defaultVolumeType: "hostPath",
            reclaimPolicy: "Retain",
            volumeBindingMode: "Immediate",
        });
        assert.deepStrictEqual([values.image.repository, values.image.tag], ["rancher/local-path-provisioner", "v0.0.37"]);
        assert.deepStrictEqual([values.helperImage.repository, values.helperImage.tag], ["busybox", "1.37.0"]);
        assert.deepStrictEqual(
            [app.chartName, app.chartVersion, app.name, app.clusterId, app.wait],
            ["local-path-provisioner", "0.0.37", "glusterfs-shared-vol", "c-m-abcdefgh", true],
        );
    });

    it("exactly one StorageClass (the chart's), whose provisioner is the app's own", async () => {
        const { rec, outputs } = await build(BASE);
        assert.strictEqual(rec.ofType(T.sc).length, 0);
        const values = yaml.load(rec.ofType(T.app)[0].inputs.values as string) as Record<string, any>;
        assert.strictEqual(values.storageClass.create, true);
        assert.notStrictEqual(values.storageClass.provisionerName, "rancher.io/local-path");
        assert.strictEqual(outputs.storageClassName, "glusterfs-shared-vol");
    });

    it("the namespace is privileged (the helper pods use hostPath) and in the project; the chart comes from the upstream repository at its tag", async () => {
        const { rec } = await build(BASE);
        const ns = rec.ofType(T.ns)[0].inputs;
        assert.strictEqual(ns.labels["pod-security.kubernetes.io/enforce"], "privileged");
        assert.deepStrictEqual([ns.name, ns.projectId], ["glusterfs-provisioner", "c-m-abcdefgh:p-sys01"]);
        const repo = rec.ofType(T.repo)[0].inputs;
        assert.deepStrictEqual([repo.gitRepo, repo.gitBranch, repo.url], ["https://github.com/rancher/local-path-provisioner", "v0.0.37", undefined]);
        const app = rec.ofType(T.app)[0];
        assert.strictEqual(app.inputs.repoName, repo.name);
        assert.strictEqual(app.inputs.namespace, ns.name);
    });

    it("the app comes after every node mount, and is replaced delete-first (its name and namespace force a replacement)", async () => {
        const { rec } = await build(BASE);
        const app = rec.ofType(T.app)[0];
        for (const m of MOUNTS) assert.ok(app.dependsOn.includes(`gluster-node-mount-${m.name}`), `not after ${m.name}: ${app.dependsOn.join(", ")}`);
        assert.strictEqual(app.deleteBeforeReplace, true);
    });

    it("a chart from a Helm repository or OCI reference, other images and Delete pass through; systemDefaultRegistry too", async () => {
        const { rec } = await build({
            ...BASE,
            rancher: {
                ...BASE.rancher!,
                storageClass: {
                    chart: { url: "oci://registry.example.net/charts/local-path-provisioner", version: "0.0.37" },
                    image: "registry.example.net:5000/rancher/local-path-provisioner:v0.0.37",
                    helperImage: "registry.example.net:5000/library/busybox:1.37.0",
                    reclaimPolicy: "Delete",
                    systemDefaultRegistry: "registry.example.net:5000",
                },
            },
        });
        const repo = rec.ofType(T.repo)[0].inputs;
        assert.deepStrictEqual([repo.url, repo.gitRepo], ["oci://registry.example.net/charts/local-path-provisioner", undefined]);
        const app = rec.ofType(T.app)[0].inputs;
        const values = yaml.load(app.values as string) as Record<string, any>;
        assert.deepStrictEqual(values.image.repository, "registry.example.net:5000/rancher/local-path-provisioner");
        assert.deepStrictEqual(values.helperImage, { repository: "registry.example.net:5000/library/busybox", tag: "1.37.0" });
        assert.strictEqual(values.storageClass.reclaimPolicy, "Delete");
        assert.strictEqual(app.systemDefaultRegistry, "registry.example.net:5000");
    });

    it("refuses what cannot work, naming the field and the fix", () => {
        const problems = (rancher: Partial<NonNullable<GlusterClusterArgs["rancher"]>>) =>
            findProblems({ ...BASE, rancher: { ...BASE.rancher!, ...rancher } }).map((p) => `${p.field}: ${p.message}`);
        const cases: Array<[Partial<NonNullable<GlusterClusterArgs["rancher"]>>, RegExp]> = [
            [{ nodeMounts: [] }, /^rancher\.storageClass: needs rancher\.nodeMounts/],
            [{ projectId: undefined }, /^rancher\.storageClass: needs rancher\.projectId/],
            [
                { storageClass: { provisionerName: "rancher.io/local-path" } },
                /^rancher\.storageClass\.provisionerName: "rancher\.io\/local-path" is K3s's own provisioner/,
            ],
            [{ storageClass: { helperImage: "busybox:latest" } }, /^rancher\.storageClass\.helperImage: must be an image with a pinned tag/],
            [{ storageClass: { image: "rancher/local-path-provisioner" } }, /^rancher\.storageClass\.image: must be an image with a pinned tag/],
            [
                { storageClass: { chart: { gitRepo: "https://example.net/lpp.git", gitBranch: "master" } } },
                /^rancher\.storageClass\.chart\.gitBranch: "master" moves/,
            ],
            [{ storageClass: { chart: { gitRepo: "https://example.net/lpp.git" } } }, /^rancher\.storageClass\.chart\.gitBranch: is required with gitRepo/],
            [{ storageClass: { chart: { url: "oci://x/y", gitBranch: "v1" } } }, /^rancher\.storageClass\.chart: takes a git repository .* or a url, not both/],
            [{ storageClass: { reclaimPolicy: "Recycle" as never } }, /^rancher\.storageClass\.reclaimPolicy: must be "Retain" or "Delete"/],
            [{ storageClass: { nmae: "x" } as never }, /^rancher\.storageClass\.nmae/],
        ];
        for (const [r, e] of cases) {
            const got = problems(r);
            assert.ok(
                got.some((p) => e.test(p)),
                `${e} not in:\n${got.join("\n")}`,
            );
        }
        assert.deepStrictEqual(problems({}), []);
    });
});
