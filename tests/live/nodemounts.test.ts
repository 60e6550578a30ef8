/**
 * rancher.nodeMounts on real nodes: containers that run systemd as PID 1 and sshd (two Debian
 * 13 with GlusterFS 11.1's client, one Debian 12 with 10.3's), each with a stand-in
 * rke2-agent.service that logs the mounts present when it starts. Through the real Pulumi
 * engine and a container-mode cluster on the same Docker network. The steps build on each other.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GlusterCluster, GlusterClusterArgs } from "../../components";
import { LiveStack } from "./engine/stack";
import { agentAfter, agentLog, inNode, inNodeResult, K8sNode, NODE_IMAGES, removeNode, restartNode, startNode } from "./k8snode";
import { check, run } from "./run";
import { upgradedImage } from "./rolling-support";
import { docker, eventually, gx, removeLeftovers, requireEngine } from "./support";

const gxOn = (container: string, args: string, xpath: string) => gx(docker, container, args, xpath);

const NET = "ng-net";
const SUBNET = "10.88.0";
const MP = "/mnt/nvol";
const UNIT = "mnt-nvol.mount";
const K8S = [
    { name: "ng-k1", image: NODE_IMAGES.trixie, ip: `${SUBNET}.101` },
    { name: "ng-k2", image: NODE_IMAGES.trixie, ip: `${SUBNET}.102` },
    { name: "ng-k3", image: NODE_IMAGES.bookworm, ip: `${SUBNET}.103` },
];
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), "nodemounts-"));

describe("live: the volume mounted on Kubernetes nodes (rancher.nodeMounts)", function () {
    this.timeout(600_000);
    const h = new LiveStack({ rancherDir: path.join(WORK, "rancher") });
    const nodes: Record<string, K8sNode> = {};
    let privateKey = "";
    let image = "";
    /** The servers' image after step 4's upgrade. */
    let v2 = "";

    const args = (extra: Partial<GlusterClusterArgs> = {}, rancher: Partial<NonNullable<GlusterClusterArgs["rancher"]>> = {}): GlusterClusterArgs => ({
        volumeName: "nvol",
        nodes: [{ name: "ng-0" }, { name: "ng-1" }, { name: "ng-2" }],
        network: { name: NET, existing: true },
        ...extra,
        rancher: {
            clusterId: "local",
            nodeMounts: K8S.map((k) => ({ name: k.name.slice(3), address: k.ip, ssh: { host: k.ip, privateKey, hostKey: nodes[k.name].hostKey } })),
            ...rancher,
        },
    });
    const program = (a: GlusterClusterArgs) => () => {
        const c = new GlusterCluster("ng", a);
        return { mountCommand: c.mountCommand };
    };
    const mounted = async (node: string) => (await inNodeResult(node, `findmnt -rn -t fuse.glusterfs --mountpoint ${MP}`)).code === 0;

    before(async () => {
        await requireEngine();
        await removeLeftovers(
            docker,
            "ng",
            K8S.map((k) => k.name),
        );
        await run(["docker", "network", "rm", NET]);
        await docker("network", "create", "--subnet", `${SUBNET}.0/24`, NET);
        await check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nodemounts", "-f", path.join(WORK, "id")]);
        privateKey = fs.readFileSync(path.join(WORK, "id"), "utf8");
        const pub = fs.readFileSync(path.join(WORK, "id.pub"), "utf8");
        for (const k of K8S) nodes[k.name] = await startNode(k.name, k.image, NET, pub, { ip: k.ip, labels: { "io.glusterfs-cluster.cluster": "ng" } });
    });
    after(async () => {
        if (process.env.KEEP_CLUSTER) return;
        await h.destroy().catch(() => undefined);
        for (const k of K8S) await removeNode(k.name);
        await removeLeftovers(docker, "ng");
        await run(["docker", "network", "rm", NET]);
        fs.rmSync(WORK, { recursive: true, force: true });
    });

    it("1. applies: every node mounts the volume, a write on one is read on the others, and the agent is ordered after the mount", async () => {
        await h.up(program(args()));
        image = h.find("ng-image-local").outputs.imageName;
        for (const k of K8S) {
            assert.ok(await mounted(k.name), `${k.name} has no mount`);
            assert.ok((await agentAfter(k.name)).includes(UNIT), `${k.name}'s agent is not ordered after ${UNIT}`);
        }
        await inNode("ng-k1", `echo from-k1 > ${MP}/shared.txt`);
        for (const k of K8S.slice(1)) assert.strictEqual(await inNode(k.name, `cat ${MP}/shared.txt`), "from-k1", `read on ${k.name}`);
        // Debian 12's client is a major version behind the servers: warned, and it works.
        assert.match(h.find("ng-node-mount-k3").outputs.stderr, /WARNING: k3's GlusterFS client is 10\.3, a major version behind the servers \(11\.1\)/);
        assert.match(
            h.find("ng-node-mount-k1").outputs.stdout,
            /k1: nvol mounted at \/mnt\/nvol by mnt-nvol\.mount \(client 11\.1\), before rke2-agent\.service/,
        );
    });

    it("1b. re-applying changes nothing", async () => {
        const mark = h.log.length;
        await h.up(program(args()));
        assert.deepStrictEqual(
            h.since(mark).filter((e) => e.op !== "same"),
            [],
        );
    });

    it("2. a node restarted (a reboot) mounts again by itself, before its agent starts", async () => {
        const before = (await agentLog("ng-k2")).length;
        await restartNode("ng-k2");
        await eventually("ng-k2's agent to start again", 60_000, async () => (await agentLog("ng-k2")).length > before);
        const last = (await agentLog("ng-k2")).pop()!;
        assert.strictEqual(last.units[UNIT], "active", `the agent started with the mount ${JSON.stringify(last.units)}: ${last.line}`);
        assert.strictEqual(await inNode("ng-k2", `cat ${MP}/shared.txt`), "from-k1");
    });

    it("3. a node that boots while the servers are out of reach gets no mount, and a write there fails instead of landing on its disk", async () => {
        await docker("network", "disconnect", NET, "ng-k3");
        try {
            await check(["docker", "restart", "-t", "30", "ng-k3"], { timeoutMs: 90_000 });
            await eventually("ng-k3 to boot", 60_000, async () => /running|degraded/.test((await inNodeResult("ng-k3", "systemctl is-system-running")).stdout));
            await eventually(`${UNIT} on ng-k3 to give up`, 120_000, async () =>
                /failed|inactive/.test((await inNodeResult("ng-k3", `systemctl is-active ${UNIT}`)).stdout),
            );
            assert.ok(!(await mounted("ng-k3")));
            const w = await inNodeResult("ng-k3", `echo lost > ${MP}/lost.txt`);
            assert.notStrictEqual(w.code, 0, "a write landed on the node's disk");
            assert.match(w.stderr, /Operation not permitted/);
        } finally {
            await docker("network", "connect", "--ip", K8S[2].ip, NET, "ng-k3");
        }
        await restartNode("ng-k3");
        assert.ok(await mounted("ng-k3"), "ng-k3 did not mount again once the servers were back");
        assert.strictEqual(await inNode("ng-k3", `test ! -e ${MP}/lost.txt && cat ${MP}/shared.txt`), "from-k1");
    });

    it("4. a rolling upgrade of the servers under a writer on a node's mount: every write reads back", async () => {
        v2 = await upgradedImage(image, "nodemount-v2");
        const loop = [
            `rm -f /tmp/stop /tmp/result; i=0; bad=0`,
            `while [ ! -f /tmp/stop ]; do`,
            `  i=$((i + 1)); f=${MP}/w/$((i % 50)); mkdir -p ${MP}/w`,
            `  if ! { head -c 65536 /dev/urandom > /tmp/d && cp /tmp/d "$f" && sync "$f" && cmp -s /tmp/d "$f"; }; then bad=$((bad + 1)); echo "$i" >> /tmp/errors; fi`,
            `done`,
            `echo "$i $bad" > /tmp/result`,
        ].join("\n");
        await docker("exec", "-d", "ng-k1", "sh", "-c", loop);
        try {
            await h.up(program(args({ image: v2 })));
        } finally {
            await inNode("ng-k1", "touch /tmp/stop");
        }
        let result = "";
        await eventually("the writer to stop", 60_000, async () => (result = (await inNodeResult("ng-k1", "cat /tmp/result")).stdout.trim()) !== "");
        const [rounds, bad] = result.split(" ").map(Number);
        assert.ok(rounds > 10, `the writer ran only ${rounds} rounds`);
        assert.strictEqual(bad, 0, `${bad} of ${rounds} writes failed or read back wrong`);
        assert.ok(await mounted("ng-k1"));
    });

    it("5. a node of the cluster (ClusterSync) without a mount fails the update, naming it; listed, it passes", async () => {
        const listed = K8S.map((k) => ({ hostname: k.name, ipAddress: k.ip, externalIpAddress: "", roles: ["worker"] }));
        const extra = { hostname: "ng-k9", ipAddress: `${SUBNET}.109`, externalIpAddress: "", roles: ["worker"] };
        h.setEnv("STANDIN_RANCHER_NODES", JSON.stringify([...listed, extra]));
        await assert.rejects(
            h.up(program(args({ image: v2 }, { allowClusterNodes: true }))),
            /the cluster's node\(s\) 10\.88\.0\.109 have no entry in rancher\.nodeMounts/,
        );
        // ClusterSync's node list is read state: the refresh reads it again, as pulumi up --refresh does.
        h.setEnv("STANDIN_RANCHER_NODES", JSON.stringify(listed));
        await h.refresh();
        await h.up(program(args({ image: v2 }, { allowClusterNodes: true })));
        for (const k of K8S) assert.ok(await mounted(k.name), `${k.name} lost its mount`);
    });

    it("5b. a changed mountPoint mounts the new path on every node, then removes the old one; and back", async () => {
        await h.up(program(args({ image: v2, mountPoint: "/mnt/nvol2" }, { allowClusterNodes: true })));
        for (const k of K8S) {
            assert.strictEqual((await inNodeResult(k.name, "findmnt -rn -t fuse.glusterfs --mountpoint /mnt/nvol2")).code, 0, `${k.name} lacks the new mount`);
            assert.ok(!(await mounted(k.name)), `${k.name} keeps the old mount`);
            assert.notStrictEqual((await inNodeResult(k.name, `systemctl cat ${UNIT}`)).code, 0, `${k.name} keeps the old unit`);
            assert.strictEqual(await inNode(k.name, "cat /mnt/nvol2/shared.txt"), "from-k1");
        }
        await h.up(program(args({ image: v2 }, { allowClusterNodes: true })));
        for (const k of K8S) assert.ok(await mounted(k.name), `${k.name} did not mount ${MP} again`);
    });

    it("5c. a change of the mount options is written to each unit, and does not remount under a running writer", async () => {
        const client = () => inNode("ng-k2", "pgrep -o -f 'glusterfs.*--volfile-id'");
        const before = await client();
        const loop = `rm -f /tmp/stop2 /tmp/result2; i=0; bad=0; while [ ! -f /tmp/stop2 ]; do i=$((i + 1)); echo "$i" > ${MP}/w2 && [ "$(cat ${MP}/w2)" = "$i" ] || bad=$((bad + 1)); done; echo "$i $bad" > /tmp/result2`;
        await docker("exec", "-d", "ng-k2", "sh", "-c", loop);
        try {
            await h.up(program(args({ image: v2 }, { allowClusterNodes: true, nodeMountOptions: ["log-level=WARNING"] })));
        } finally {
            await inNode("ng-k2", "touch /tmp/stop2");
        }
        let result = "";
        await eventually("the writer to stop", 60_000, async () => (result = (await inNodeResult("ng-k2", "cat /tmp/result2")).stdout.trim()) !== "");
        const [rounds, bad] = result.split(" ").map(Number);
        assert.ok(rounds > 10 && bad === 0, `the writer saw ${bad} failures in ${rounds} rounds`);
        assert.strictEqual(await client(), before, "the FUSE client was restarted: a remount under the writer");
        assert.match(
            await inNode("ng-k2", `cat /etc/systemd/system/${UNIT}`),
            /^Options=defaults,_netdev,backup-volfile-servers=ng-1:ng-2,log-level=WARNING$/m,
        );
        assert.match(h.find("ng-node-mount-k2").outputs.stderr, /NOTE: the mount unit on k2 changed; the volume stays mounted under its pods/);
    });

    it("6. destroy leaves every node without the unit, the mount or the immutable flag", async () => {
        await h.destroy();
        for (const k of K8S) {
            assert.ok(!(await mounted(k.name)), `${k.name} still mounts`);
            assert.notStrictEqual((await inNodeResult(k.name, `systemctl cat ${UNIT}`)).code, 0, `${k.name} keeps the unit`);
            assert.strictEqual((await inNodeResult(k.name, `test -e ${MP}`)).code, 1, `${k.name} keeps ${MP}`);
        }
    });
});

describe("live: node mounts with TLS (the Rancher cluster's client identity)", function () {
    this.timeout(600_000);
    const NET_TLS = "nt-net";
    const TLS_NODES = [
        { name: "nt-k1", image: NODE_IMAGES.trixie, ip: "10.89.0.101", ssl: "/etc/ssl" },
        { name: "nt-k2", image: NODE_IMAGES.bookworm, ip: "10.89.0.102", ssl: "/usr/lib/ssl" },
    ];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nodemounts-tls-"));
    const h = new LiveStack({ rancherDir: path.join(dir, "rancher") });
    const started: Record<string, K8sNode> = {};
    let privateKey = "";
    const args = (): GlusterClusterArgs => ({
        volumeName: "tvol",
        nodes: [{ name: "nt-0" }, { name: "nt-1" }, { name: "nt-2" }],
        network: { name: NET_TLS, existing: true },
        mountPoint: "/mnt/tvol",
        tls: { enabled: true },
        rancher: {
            clusterId: "local",
            nodeMounts: TLS_NODES.map((k) => ({ name: k.name.slice(3), address: k.ip, ssh: { host: k.ip, privateKey, hostKey: started[k.name].hostKey } })),
        },
    });
    const program = () => {
        const c = new GlusterCluster("nt", args());
        return { mountCommand: c.mountCommand };
    };

    before(async () => {
        await requireEngine();
        await removeLeftovers(
            docker,
            "nt",
            TLS_NODES.map((k) => k.name),
        );
        await run(["docker", "network", "rm", NET_TLS]);
        await docker("network", "create", "--subnet", "10.89.0.0/24", NET_TLS);
        await check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nodemounts-tls", "-f", path.join(dir, "id")]);
        privateKey = fs.readFileSync(path.join(dir, "id"), "utf8");
        const pub = fs.readFileSync(path.join(dir, "id.pub"), "utf8");
        for (const k of TLS_NODES)
            started[k.name] = await startNode(k.name, k.image, NET_TLS, pub, { ip: k.ip, labels: { "io.glusterfs-cluster.cluster": "nt" } });
    });
    after(async () => {
        if (process.env.KEEP_CLUSTER) return;
        await h.destroy().catch(() => undefined);
        for (const k of TLS_NODES) await removeNode(k.name);
        await removeLeftovers(docker, "nt");
        await run(["docker", "network", "rm", NET_TLS]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("1. each node gets the identity where its own GlusterFS reads it (11.1: /etc/ssl, 10.3: /usr/lib/ssl), mounts over TLS and shares files", async () => {
        await h.up(program);
        for (const k of TLS_NODES) {
            await inNode(
                k.name,
                `test -s ${k.ssl}/glusterfs.key && test -s ${k.ssl}/glusterfs.pem && test -s ${k.ssl}/glusterfs.ca && test -e /var/lib/glusterd/secure-access`,
            );
            assert.strictEqual(await inNode(k.name, `stat -c %a ${k.ssl}/glusterfs.key`), "600");
            assert.strictEqual((await inNodeResult(k.name, "findmnt -rn -t fuse.glusterfs --mountpoint /mnt/tvol")).code, 0, `${k.name} has no mount`);
        }
        await inNode("nt-k1", "echo over-tls > /mnt/tvol/t.txt");
        assert.strictEqual(await inNode("nt-k2", "cat /mnt/tvol/t.txt"), "over-tls");
        assert.strictEqual(
            await gxOn("nt-0", "volume info tvol", "string(//volume/options/option[name='auth.ssl-allow']/value)"),
            "nt-0,nt-1,nt-2,rancher-local",
        );
    });

    it("2. destroy takes the identity and the switch away with the mount", async () => {
        await h.destroy();
        for (const k of TLS_NODES) {
            assert.strictEqual((await inNodeResult(k.name, `ls ${k.ssl}/glusterfs.* 2>/dev/null | wc -l`)).stdout.trim(), "0", `${k.name} keeps TLS files`);
            assert.notStrictEqual((await inNodeResult(k.name, "test -e /var/lib/glusterd/secure-access")).code, 0, `${k.name} keeps secure-access`);
        }
    });
});
