/**
 * Day-2 changes to a running cluster (container mode, local engine): what must be refused
 * before anything is touched, what must work, and what must never undo itself. The steps
 * share one cluster and build on each other, like an operator's week.
 */
import * as assert from "assert";
import { GlusterCluster, GlusterClusterArgs } from "../../components";
import { LiveStack } from "./engine/stack";
import { run } from "./run";
import { docker, engineHolds, eventually, gx, loopbackSshd, nodeUuid, removeLeftovers, requireEngine } from "./support";

const NET = "cg-net";
const NODES = [{ name: "cg-0" }, { name: "cg-1" }, { name: "cg-2" }];
const BASE: GlusterClusterArgs = { volumeName: "cvol", nodes: NODES, network: { name: NET, existing: true } };
const SSH_PORT = 2222;

const program =
    (args: GlusterClusterArgs, name = "cg") =>
    () => {
        const c = new GlusterCluster(name, args);
        return { mountEndpoint: c.mountEndpoint, mountCommand: c.mountCommand };
    };

const volumeId = () => gx(docker, "cg-0", "volume info cvol", "string(//volume/id)");
const option = (node: string, key: string) => gx(docker, node, "volume info cvol", `string(//volume/options/option[name='${key}']/value)`);
const connectedPeers = (node: string) => gx(docker, node, "peer status", "count(//peer[state=3 and connected=1])");
const bricksOnline = () => gx(docker, "cg-0", "volume status cvol", "count(//volume/node[starts-with(path,'/') and status=1])");
const waitWhole = () => eventually("every brick online", 120_000, async () => (await bricksOnline()) === "3");

describe("live: changes to a running cluster", function () {
    this.timeout(600_000);
    const h = new LiveStack();
    let id: string;
    const uuids: Record<string, string> = {};
    let sshd: { privateKey: string; stop: () => Promise<void> };

    before(async () => {
        await requireEngine();
        await removeLeftovers(docker, "cg");
        await run(["docker", "network", "rm", NET]);
        await docker("network", "create", NET);
        sshd = await loopbackSshd(SSH_PORT);
    });
    after(async () => {
        if (process.env.KEEP_CLUSTER) return;
        for (const n of NODES) await run(["docker", "start", n.name]);
        await h.destroy().catch(() => undefined);
        await removeLeftovers(docker, "cg");
        await run(["docker", "network", "rm", NET]);
        await sshd?.stop();
    });

    it("0. stands up the cluster", async () => {
        await h.up(program(BASE));
        id = await volumeId();
        for (const n of NODES) uuids[n.name] = await nodeUuid(docker, n.name);
        assert.match(id, /^[0-9a-f-]{36}$/);
    });

    it("1. a changed volumeName is refused, saying what would happen, and nothing changes", async () => {
        const mark = h.log.length;
        const before = await engineHolds(docker, "cg");
        await assert.rejects(
            h.up(program({ ...BASE, volumeName: "other" })),
            /volumeName changed from "cvol" to "other": that would create a second, empty volume[\s\S]*Nothing was changed/,
        );
        // The identity guard's update is the step that refused; nothing else ran.
        assert.deepStrictEqual(
            h
                .since(mark)
                .filter((e) => e.op !== "same")
                .map((e) => `${e.op} ${e.name}${e.failed ? " failed" : ""}`),
            ["update cg-identity failed"],
        );
        assert.deepStrictEqual(await engineHolds(docker, "cg"), before);
        assert.strictEqual(await gx(docker, "cg-0", "volume list", "count(//volList/volume)"), "1");
    });

    it("2. a renamed component is refused before anything is touched", async () => {
        const before = await engineHolds(docker, "cg");
        await assert.rejects(
            h.up(program(BASE, "cg2")),
            /the container cg-0 on this host belongs to GlusterCluster "cg", and this one is named cg2[\s\S]*Put back the name "cg"/,
        );
        assert.deepStrictEqual(await engineHolds(docker, "cg2"), { containers: [], volumes: [], networks: [] });
        assert.deepStrictEqual(await engineHolds(docker, "cg"), before);
        // Back under its name, the stray steps of the refused run are dropped and nothing else moves.
        const mark = h.log.length;
        await h.up(program(BASE));
        assert.deepStrictEqual(
            h.since(mark).filter((e) => !["same", "delete"].includes(e.op)),
            [],
        );
        assert.ok(
            h
                .since(mark)
                .filter((e) => e.op === "delete")
                .every((e) => e.name.startsWith("cg2-")),
        );
    });

    it("3. node 0 moved from the local engine to an SSH host that is the same machine, and back, keeps the volume and the pool", async () => {
        const asRemote = {
            ...BASE,
            nodes: [
                { ...NODES[0], host: { dockerHost: "unix:///var/run/docker.sock", ssh: { host: "127.0.0.1", port: SSH_PORT, privateKey: sshd.privateKey } } },
                NODES[1],
                NODES[2],
            ],
        };
        for (const args of [asRemote, BASE]) {
            const mark = h.log.length;
            await h.up(program(args));
            const ops = h.since(mark);
            // The same resources (aliased across command types), updated in place: no stale delete ran.
            assert.deepStrictEqual(
                ops.filter((e) => e.script === "delete"),
                [],
                JSON.stringify(ops.filter((e) => e.op !== "same")),
            );
            // The node's Docker provider is another resource now, but the engine asks its DiffConfig
            // (step_generator.go, providerChanged), which asks for no replacement: the node's
            // container and volumes stay as they are (only the host's image step is new).
            const kept = (type: string) => ops.filter((e) => e.type === type && e.op !== "same").map((e) => `${e.op} ${e.name}`);
            assert.deepStrictEqual(kept("docker:index/container:Container"), []);
            assert.deepStrictEqual(kept("docker:index/volume:Volume"), []);
            for (const step of ["cg-pool", "cg-volume"])
                assert.deepStrictEqual(
                    ops.filter((e) => e.name === step).map((e) => e.op),
                    ["update"],
                );
            assert.strictEqual(await volumeId(), id);
            for (const n of NODES) assert.strictEqual(await connectedPeers(n.name), "2", n.name);
            assert.strictEqual(await bricksOnline(), "3");
        }
    });

    it("4. with a brick node stopped, an option change is applied; the step fails saying the volume is degraded; once it is back, the next update is green", async () => {
        await docker("stop", "cg-1");
        try {
            const changed = { ...BASE, volumeOptions: { "network.ping-timeout": "20" } };
            await assert.rejects(
                h.up(program(changed)),
                /the volume cvol is degraded: these brick nodes are not connected peers: cg-1 \(Peer in Cluster, disconnected\)\. What this step changed above was applied/,
            );
            assert.strictEqual(await option("cg-0", "network.ping-timeout"), "20");
            await docker("start", "cg-1");
            await waitWhole();
            await h.up(program(changed));
            assert.strictEqual(await option("cg-1", "network.ping-timeout"), "20");
        } finally {
            await run(["docker", "start", "cg-1"]);
        }
    });

    it("5. a refresh with a node stopped for maintenance leaves it stopped, and in the stack", async () => {
        await docker("stop", "cg-2");
        try {
            await h.refresh();
            await h.up(program({ ...BASE, volumeOptions: { "network.ping-timeout": "20" } }));
            assert.ok(h.has("cg-cg-2"));
            assert.strictEqual(await docker("container", "inspect", "-f", "{{.State.Running}}", "cg-2"), "false");
        } finally {
            await docker("start", "cg-2");
        }
        await waitWhole();
    });

    it("6. the same three brick nodes in another order are the same volume", async () => {
        const reordered = { ...BASE, volumeOptions: { "network.ping-timeout": "20" }, nodes: [NODES[1], NODES[0], NODES[2]] };
        const out = await h.up(program(reordered));
        assert.strictEqual(out.mountEndpoint, "cg-1:/cvol");
        assert.strictEqual(await volumeId(), id);
        await h.up(program({ ...BASE, volumeOptions: { "network.ping-timeout": "20" } }));
    });

    it("7. a node whose state was wiped comes back under a new UUID, and the update fails naming it", async () => {
        const args = { ...BASE, volumeOptions: { "network.ping-timeout": "20" } };
        const state = "cg-cg-2-state";
        const image = h.find("cg-image-local").outputs.imageName as string;
        const inState = (cmd: string) => docker("run", "--rm", "-v", `${state}:/s`, "-v", "cg-backup:/b", "--entrypoint", "sh", image, "-c", cmd);
        await docker("stop", "cg-2");
        await inState("cp -a /s/. /b/ && find /s -mindepth 1 -delete");
        await docker("start", "cg-2");
        try {
            h.taint("cg-cg-2");
            await assert.rejects(
                h.up(program(args)),
                new RegExp(
                    `cg-2 came back with a new identity: it is UUID [0-9a-f-]+, but cg-[01] knows cg-2 as UUID ${uuids["cg-2"]}[\\s\\S]*Replace it as a lost host`,
                ),
            );
        } finally {
            await docker("stop", "cg-2");
            await inState("find /s -mindepth 1 -delete && cp -a /b/. /s/");
            await docker("volume", "rm", "cg-backup");
            await docker("start", "cg-2");
        }
        // glusterd 11 sometimes starts a brick twice on a quick restart; the survivor then has
        // no port (the ready step refuses to count it as online). Restart until it listens.
        const brickPort = () => gx(docker, "cg-0", "volume status cvol", "string(//volume/node[hostname='cg-2' and starts-with(path,'/')]/port)");
        for (let i = 0; i < 3 && !/^\d+$/.test(await brickPort().catch(() => "")); i++) {
            await eventually("cg-2's brick to have a port", 20_000, async () => /^\d+$/.test(await brickPort())).catch(() =>
                docker("restart", "-t", "30", "cg-2"),
            );
        }
        await h.up(program(args));
        assert.strictEqual(await nodeUuid(docker, "cg-2"), uuids["cg-2"]);
        await waitWhole();
    });

    it("7a. a host rebuilt in place (its state and brick lost, the same name) is refused naming rebuilt: true; with it, the node takes back its UUID and its brick is refilled", async () => {
        const args = { ...BASE, volumeOptions: { "network.ping-timeout": "20" } };
        const image = h.find("cg-image-local").outputs.imageName as string;
        // Files written before the loss: the rebuilt brick must end up with the same bytes.
        const mnt = "/mnt/rebuilt-test";
        await docker(
            "exec",
            "cg-0",
            "sh",
            "-c",
            `mkdir -p ${mnt} && mount -t glusterfs cg-0:/cvol ${mnt} && mkdir -p ${mnt}/r && for i in $(seq 40); do head -c 4096 /dev/urandom > ${mnt}/r/f$i; done; umount ${mnt}`,
        );
        const sums = (node: string) => docker("exec", node, "sh", "-c", "cd /bricks/cvol/r && md5sum f* | sort");
        const want = await sums("cg-0");
        // The rebuild: the host's storage is gone, the container comes back empty, same name.
        await docker("stop", "cg-2");
        for (const role of ["state", "bricks"]) {
            await docker("run", "--rm", "-v", `cg-cg-2-${role}:/s`, "--entrypoint", "sh", image, "-c", "find /s -mindepth 1 -delete");
        }
        await docker("start", "cg-2");
        h.taint("cg-cg-2");
        await assert.rejects(h.up(program(args)), /cg-2 came back with a new identity[\s\S]*rebuilt: true/);
        // The way forward the refusal names.
        const rebuilt = { ...args, nodes: [NODES[0], NODES[1], { name: "cg-2", rebuilt: true }] };
        await h.up(program(rebuilt));
        assert.strictEqual(await nodeUuid(docker, "cg-2"), uuids["cg-2"]);
        assert.strictEqual(await bricksOnline(), "3");
        assert.strictEqual(await connectedPeers("cg-0"), "2");
        await eventually("cg-2's brick to hold every file", 60_000, async () => (await sums("cg-2").catch(() => "")) === want);
        assert.strictEqual(await volumeId(), id);
        // Taken out again: a node that is itself changes nothing.
        await h.up(program(args));
        assert.strictEqual(await nodeUuid(docker, "cg-2"), uuids["cg-2"]);
    });

    it("7b. a volume deleted out of band is not replaced by an empty one; the refusal's way to start over works", async () => {
        // The next update that runs the volume step (here: an option changed) finds it gone.
        const args = { ...BASE, volumeOptions: { "network.ping-timeout": "25" } };
        await docker("exec", "cg-0", "sh", "-c", "gluster --mode=script volume stop cvol && gluster --mode=script volume delete cvol");
        await assert.rejects(
            h.up(program(args)),
            /volume cvol was created by this stack and no longer exists[\s\S]*docker exec NODE rm -rf \/bricks\/cvol[\s\S]*createMissingVolume: true/,
        );
        assert.strictEqual(await gx(docker, "cg-0", "volume list", "count(//volList/volume)"), "0", "a volume was created");
        // As the message says: empty every brick, then once with createMissingVolume.
        for (const n of NODES) await docker("exec", n.name, "rm", "-rf", "/bricks/cvol");
        await h.up(program({ ...args, createMissingVolume: true }));
        assert.notStrictEqual(await volumeId(), id, "the same volume");
        assert.strictEqual(await gx(docker, "cg-0", "volume info cvol", "string(//volume/statusStr)"), "Started");
        await waitWhole();
        // Taken out again: nothing to do.
        const mark = h.log.length;
        await h.up(program(args));
        assert.deepStrictEqual(
            h
                .since(mark)
                .filter((e) => e.op === "create" || e.op === "delete" || e.op.includes("replace"))
                .map((e) => `${e.op} ${e.name}`),
            [],
        );
        id = await volumeId();
    });

    it("8. destroy with a peer down, or the first node stopped, fails saying what to do; then completes", async () => {
        await docker("stop", "cg-1");
        await assert.rejects(
            h.destroy(),
            /volume cvol cannot be deleted now: every peer must be connected, and these are not: cg-1 \(Peer in Cluster, disconnected\)\. Start them[\s\S]*The volume was left as it is/,
        );
        // ...and it was: still started.
        assert.strictEqual(await gx(docker, "cg-0", "volume info cvol", "string(//volume/statusStr)"), "Started");
        await docker("start", "cg-1");
        await waitWhole();
        await docker("stop", "cg-0");
        await assert.rejects(h.destroy(), /container cg-0 is exited, so its glusterd cannot be asked to clean up\. Start it \(docker start cg-0\)/);
        await docker("start", "cg-0");
        await eventually("cg-0's glusterd", 60_000, async () => (await gx(docker, "cg-0", "pool list", "string(/cliOutput/opRet)")) === "0");
        await h.destroy();
        assert.deepStrictEqual((await engineHolds(docker, "cg")).containers, []);
    });
});
