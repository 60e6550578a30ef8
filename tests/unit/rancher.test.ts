import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as rancher2 from "@pulumi/rancher2";
import { GlusterCluster, GlusterClusterArgs, findProblems } from "../../components";
import { mountContractKeys } from "../../components/rancher";
import { runProgram, threeRemoteNodes } from "../helpers";
import { PROJECT_DIR } from "../support/stack-config";

const THREE = [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }];
const CM = "rancher2:index/configMapV2:ConfigMapV2";
const NS = "rancher2:index/namespace:Namespace";
const SYNC = "rancher2:index/clusterSync:ClusterSync";
const NODES = [
    { hostname: "w1", ipAddress: "10.20.0.11", externalIpAddress: "203.0.113.11", roles: ["worker"] },
    { hostname: "w2", ipAddress: "10.20.0.12", externalIpAddress: "203.0.113.12", roles: ["worker"] },
    { hostname: "cp", ipAddress: "10.20.0.10", externalIpAddress: "", roles: ["controlplane", "etcd"] },
];
const behaviour = {
    state: (type: string) => (type === SYNC ? { nodes: NODES, defaultProjectId: "c-m-abcdefgh:p-xyz12" } : {}),
};

function build(args: GlusterClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    return runProgram(() => {
        const c = new GlusterCluster("gluster", args, opts);
        return { mountCommand: c.mountCommand, fstabEntry: c.fstabEntry };
    }, behaviour);
}

const inner = (create: string) => create.replace(/'\\''/g, "'");

describe("Rancher: the published mount contract", () => {
    it("declares nothing from rancher2 without the rancher argument", async () => {
        const { rec } = await build({ nodes: THREE });
        assert.deepStrictEqual(
            rec.records.filter((r) => r.type.startsWith("rancher2:") || r.type === "pulumi:providers:rancher2"),
            [],
        );
    });

    it("with TLS, publishes the Rancher cluster's client bundle as a SecretV2 beside the ConfigMap, which names it and holds no key", async () => {
        const { rec } = await build({ nodes: THREE, rancher: { clusterId: "c-m-abcdefgh", namespace: "storage" }, tls: { enabled: true } });
        const secret = rec.named("gluster-tls-secret");
        assert.strictEqual(secret.type, "rancher2:index/secretV2:SecretV2");
        // Every argument is one the SDK's SecretV2Args has.
        const args: rancher2.SecretV2Args = secret.inputs as rancher2.SecretV2Args;
        assert.deepStrictEqual(Object.keys(args).sort(), ["clusterId", "data", "labels", "name", "namespace", "type"]);
        assert.deepStrictEqual([args.clusterId, args.namespace, args.name, args.type], ["c-m-abcdefgh", "storage", "glusterfs-my-vol-tls", "Opaque"]);
        // Registered as a secret (Pulumi's secret signature wraps the value).
        const wrapped = secret.inputs.data as { [sig: string]: unknown; value: Record<string, string> };
        assert.strictEqual(wrapped["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
        const data = wrapped.value;
        assert.deepStrictEqual(Object.keys(data).sort(), ["glusterfs.ca", "glusterfs.key", "glusterfs.pem"]);
        assert.match(data["glusterfs.key"], /-----BEGIN EC PRIVATE KEY-----/);
        assert.ok(secret.dependsOn.includes("gluster-volume"));
        const cm = rec.ofType(CM)[0];
        assert.strictEqual(cm.inputs.data.tlsSecret, "glusterfs-my-vol-tls");
        assert.ok(cm.dependsOn.includes("gluster-tls-secret"));
        assert.doesNotMatch(JSON.stringify(cm.inputs), /PRIVATE KEY/);
        // The identity it holds is the Rancher cluster's, allowed by the volume.
        assert.match(String(rec.named("gluster-volume").inputs.create), /auth\.ssl-allow'? '?gluster-0,gluster-1,gluster-2,rancher-c-m-abcdefgh/);
    });

    it("publishes exactly the contract as a ConfigMapV2 with a stable name, after the volume is ready", async () => {
        const { rec, outputs } = await build({ nodes: THREE, rancher: { clusterId: "c-m-abcdefgh", namespace: "storage" } });
        const cms = rec.ofType(CM);
        assert.strictEqual(cms.length, 1);
        const cm = cms[0];
        assert.strictEqual(cm.name, "gluster-mount-contract");
        assert.strictEqual(cm.parent, "gluster");
        assert.strictEqual(cm.deleteBeforeReplace, true);
        assert.deepStrictEqual(cm.dependsOn.sort(), ["gluster-identity", "gluster-volume"]);
        assert.deepStrictEqual(cm.inputs, {
            clusterId: "c-m-abcdefgh",
            namespace: "storage",
            name: "glusterfs-my-vol",
            labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/name": "glusterfs-mount-contract" },
            data: {
                backupVolfileServers: "gluster-1:gluster-2",
                brickPorts: "49152-49161",
                clientCapability: "SYS_ADMIN",
                clientDevice: "/dev/fuse",
                clientDockerArgs: "--device /dev/fuse --cap-add SYS_ADMIN --network gluster-net",
                fstab: "gluster-0:/my_vol /mnt/my_vol glusterfs defaults,_netdev,backup-volfile-servers=gluster-1:gluster-2 0 0",
                hosts: "",
                managementPorts: "24007-24008",
                mountCommand: "mount -t glusterfs -o backup-volfile-servers=gluster-1:gluster-2 gluster-0:/my_vol /mnt/my_vol",
                mountOptions: "backup-volfile-servers=gluster-1:gluster-2",
                mountPoint: "/mnt/my_vol",
                mountSource: "gluster-0:/my_vol",
                schemaVersion: "1",
                servers: "gluster-0,gluster-1,gluster-2",
                tlsSecret: "",
                volume: "my_vol",
            },
        });
        // The same source of truth as the outputs, every key documented, every key a valid ConfigMap key.
        assert.strictEqual(cm.inputs.data.mountCommand, outputs.mountCommand);
        assert.strictEqual(cm.inputs.data.fstab, outputs.fstabEntry);
        assert.deepStrictEqual(Object.keys(cm.inputs.data).sort(), [...mountContractKeys()].sort());
        for (const k of Object.keys(cm.inputs.data)) assert.match(k, /^[-._a-zA-Z0-9]+$/);
        assert.strictEqual(rec.ofType(NS).length, 0);
        assert.strictEqual(rec.ofType(SYNC).length, 0);
    });

    it("documents every key of the contract in the README's table, in order", () => {
        const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
        const table = readme.slice(readme.indexOf("### What is published"));
        const keys = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
        assert.deepStrictEqual(keys.slice(0, mountContractKeys().length), mountContractKeys());
    });

    it("writes extraHosts as hosts-file lines, and defaults the namespace to glusterfs", async () => {
        const { rec } = await build({
            nodes: THREE,
            extraHosts: { "gfs-a.example.net": "10.0.0.11", "gfs-b.example.net": "10.0.0.12" },
            rancher: { clusterId: "c-m-abcdefgh" },
        });
        const cm = rec.ofType(CM)[0];
        assert.strictEqual(cm.inputs.data.hosts, "10.0.0.11 gfs-a.example.net\n10.0.0.12 gfs-b.example.net");
        assert.strictEqual(cm.inputs.namespace, "glusterfs");
        assert.strictEqual(rec.ofType(NS).length, 0);
    });

    it("adds no address when the cluster reports no nodes (yet)", async () => {
        const { rec } = await runProgram(
            () => {
                const c = new GlusterCluster("gluster", { nodes: THREE, rancher: { clusterId: "local", allowClusterNodes: true } });
                return { m: c.mountCommand };
            },
            { state: (type: string) => (type === SYNC ? { nodes: undefined } : {}) },
        );
        const volume = inner(rec.named("gluster-volume").inputs.create);
        assert.ok(volume.includes('auth.allow)" = gluster-0,gluster-1,gluster-2 ]'), "auth.allow is not the servers alone");
    });

    it("creates the namespace only when asked, in the given project", async () => {
        const { rec } = await build({
            nodes: THREE,
            rancher: { clusterId: "c-m-abcdefgh", namespace: "storage", createNamespace: true, projectId: "c-m-abcdefgh:p-xyz12", configMapName: "shared-vol" },
        });
        const ns = rec.ofType(NS);
        assert.strictEqual(ns.length, 1);
        assert.deepStrictEqual(ns[0].inputs, { name: "storage", projectId: "c-m-abcdefgh:p-xyz12", labels: { "app.kubernetes.io/managed-by": "pulumi" } });
        // Kept on a change of name and on destroy: it may hold more than the contract.
        assert.strictEqual(ns[0].retainOnDelete, true);
        assert.notStrictEqual(ns[0].deleteBeforeReplace, true);
        // After the identity guard, like every child: a refused update changes nothing in Rancher.
        assert.ok(ns[0].dependsOn.includes("gluster-identity"), `the namespace waits for ${ns[0].dependsOn.join(", ")}`);
        assert.ok(rec.ofType(CM)[0].dependsOn.includes("gluster-identity"));
        assert.strictEqual(rec.ofType(CM)[0].inputs.namespace, "storage");
        assert.strictEqual(rec.ofType(CM)[0].inputs.name, "shared-vol");
    });

    it("adds the cluster's node addresses from ClusterSync to auth.allow and to the firewall's client sources", async () => {
        const nodes = threeRemoteNodes();
        const { rec } = await build({
            networkMode: "host",
            nodes,
            clientCidrs: ["10.30.0.0/24"],
            firewall: { backend: "iptables" },
            rancher: { clusterId: "c-m-abcdefgh", allowClusterNodes: true },
        });
        assert.deepStrictEqual(
            rec.ofType(SYNC).map((r) => r.inputs),
            [{ clusterId: "c-m-abcdefgh" }],
        );
        const volume = inner(rec.named("gluster-volume").inputs.create);
        assert.ok(
            volume.includes(`auth.allow)" = 10.10.0.1,10.10.0.2,10.10.0.3,10.30.0.0/24,10.20.0.10,10.20.0.11,10.20.0.12 ]`),
            "auth.allow lacks the nodes",
        );
        const fw = rec.named("gluster-firewall-g1").inputs.create as string;
        assert.match(
            fw.replace(/'\\''/g, "'"),
            /client_list='10\.30\.0\.0\/24 10\.20\.0\.10\/32 10\.20\.0\.11\/32 10\.20\.0\.12\/32'; for s in \$client_list; do clients=/,
        );
    });

    it("uses the external addresses when asked", async () => {
        const { rec } = await build({ nodes: THREE, rancher: { clusterId: "c-m-abcdefgh", allowClusterNodes: true, nodeAddress: "external" } });
        const volume = inner(rec.named("gluster-volume").inputs.create);
        assert.ok(volume.includes("= gluster-0,gluster-1,gluster-2,203.0.113.11,203.0.113.12 ]"), "auth.allow lacks the external addresses");
    });

    it("uses an explicit provider for every rancher2 resource", async () => {
        const { rec } = await runProgram(() => {
            const provider = new rancher2.Provider("rancher-prod", { apiUrl: "https://rancher.example.net", tokenKey: pulumi.secret("token-x:y") });
            const c = new GlusterCluster("gluster", { nodes: THREE, rancher: { clusterId: "local", allowClusterNodes: true, provider } });
            return { m: c.mountCommand };
        }, behaviour);
        for (const r of [...rec.ofType(CM), ...rec.ofType(SYNC)]) {
            assert.match(r.provider ?? "", /pulumi:providers:rancher2::rancher-prod::/, r.name);
        }
    });

    const bad: Array<[string, any, string, RegExp]> = [
        ["a malformed cluster id", { clusterId: "my-cluster" }, "rancher.clusterId", /Rancher v1 cluster id.*"my-cluster"/],
        ["a namespace with capitals", { clusterId: "local", namespace: "Storage" }, "rancher.namespace", /Kubernetes namespace name.*"Storage"/],
        ["a namespace of 64 characters", { clusterId: "local", namespace: "a".repeat(64) }, "rancher.namespace", /at most 63/],
        ["a ConfigMap name with '_'", { clusterId: "local", configMapName: "my_vol" }, "rancher.configMapName", /Kubernetes object name/],
        ["createNamespace without a project", { clusterId: "local", createNamespace: true }, "rancher.projectId", /required with createNamespace/],
        ["a project of another cluster", { clusterId: "local", projectId: "c-abcde:p-xyz12" }, "rancher.projectId", /belongs to cluster "c-abcde"/],
    ];
    for (const [what, rancher, field, message] of bad) {
        it(`refuses ${what}, naming \`${field}\``, () => {
            const hit = findProblems({ nodes: THREE, rancher }).find((p) => p.field === field);
            assert.ok(hit, `no problem for ${field}`);
            assert.match(hit.message, message);
        });
    }
});
