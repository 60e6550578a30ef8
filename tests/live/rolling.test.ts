/**
 * Day 2 without an outage (container mode, local engine): an image change rolls through
 * the nodes one at a time while a client writes and verifies; a cluster that is not whole
 * is not rolled; pending self-heal is waited for; a lost host is replaced, dead or alive.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GlusterCluster, GlusterClusterArgs } from "../../components";
import { projectImageName } from "../../components/image";
import { LiveStack } from "./engine/stack";
import { check, run } from "./run";
import { docker, eventually, gx, nodeUuid, removeLeftovers, requireEngine } from "./support";
import { brickChecksums, ClientWriter, sampleRunning, TEST_CLIENT_IMAGE, upgradedImage } from "./rolling-support";

const V1 = projectImageName();
const VOL = "rvol";
const node = (name: string) => ({ name });
/** A node by name, or `new<old` for a new node that replaces the lost node `old`. */
const nodeOf = (n: string) => (n.includes("<") ? { name: n.split("<")[0], replaces: n.split("<")[1] } : node(n));
const args = (image: string, names = ["rg-0", "rg-1", "rg-2"]): GlusterClusterArgs => ({ volumeName: VOL, image, nodes: names.map(nodeOf) });
const program = (a: GlusterClusterArgs) => () => {
    const c = new GlusterCluster("rg", a);
    return { mountCommand: c.mountCommand, clientDockerArgs: c.clientDockerArgs };
};
const CLIENT = "rg-client";

const bricks = (from = "rg-0") => gx(docker, from, `volume info ${VOL}`, "//volume/bricks/brick/name/text()");
const peers = (from: string) => gx(docker, from, "pool list", "//peer/hostname/text()");
const heal = (from = "rg-0") => gx(docker, from, `volume heal ${VOL} info summary`, "sum(//healInfo/bricks/brick/totalNumberOfEntries)");
/** After a node was stopped and started out of band: nothing to heal, and the client on every brick again (it reconnects on its own timer). */
async function settled(): Promise<void> {
    const ip = await docker("container", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", CLIENT);
    await eventually(
        "nothing to heal and the client on all three bricks",
        180_000,
        async () =>
            (await heal()) === "0" &&
            (await gx(
                docker,
                "rg-0",
                `volume status ${VOL} clients`,
                `count(//volume/node[starts-with(path,'/')][clientsStatus/client/hostname[starts-with(., '${ip}:')]])`,
            )) === "3",
        1000,
    );
}

describe("live: rolling replacement and lost hosts", function () {
    this.timeout(900_000);
    const h = new LiveStack();
    let v2: string;
    let outputs: Record<string, any>;
    let writer: ClientWriter;
    const uuids: Record<string, string> = {};

    before(async () => {
        await requireEngine();
        await removeLeftovers(docker, "rg", [CLIENT]);
        v2 = await upgradedImage(V1, "v2");
    });
    after(async () => {
        await run(["docker", "rm", "-f", CLIENT]);
        for (const n of ["rg-0", "rg-1", "rg-2", "rg-3", "rg-4"]) await run(["docker", "start", n]);
        await h.destroy().catch(() => undefined);
        await removeLeftovers(docker, "rg", [CLIENT]);
    });

    it("0. stands up the cluster; a client mounts", async () => {
        outputs = await h.up(program(args(V1)));
        for (const n of ["rg-0", "rg-1", "rg-2"]) uuids[n] = await nodeUuid(docker, n);
        writer = await ClientWriter.start(docker, CLIENT, TEST_CLIENT_IMAGE, outputs.clientDockerArgs, outputs.mountCommand, `/mnt/${VOL}`);
    });

    it("1. an image change replaces the nodes one at a time under a verifying writer: never two down, no client error", async () => {
        await writer.run();
        const sampler = sampleRunning(docker, "rg", ["rg-0", "rg-1", "rg-2"]);
        const mark = h.log.length;
        try {
            await h.up(program(args(v2)));
        } finally {
            await sampler.stop();
        }
        const fio = await writer.stop();
        assert.ok(fio.ok, `the writer failed: ${fio.detail}`);
        assert.ok(fio.rounds >= 2, `the writer wrote only ${fio.rounds} round(s)`);
        assert.ok(sampler.minimum() >= 2, `at one moment only ${sampler.minimum()} of 3 brick containers ran (${sampler.samples()} samples)`);
        // One node after the other: each replaced only once the previous one's ready step (heal included) finished.
        const ops = h.since(mark);
        const at = (op: string, name: string) => {
            const e = ops.find((x) => x.op === op && x.name === name);
            assert.ok(
                e,
                `no step ${op} ${name} in ${ops
                    .filter((x) => x.op !== "same")
                    .map((x) => `${x.op} ${x.name}`)
                    .join(", ")}`,
            );
            return e;
        };
        for (const [prev, next] of [
            ["rg-0", "rg-1"],
            ["rg-1", "rg-2"],
        ]) {
            const back = at("create-replacement", `rg-ready-${prev}`);
            const goes = at("delete-replaced", `rg-${next}`);
            assert.ok(back.seq < goes.seq && back.end <= goes.start, `${next} went before ${prev} was back`);
        }
        for (const n of ["rg-0", "rg-1", "rg-2"]) {
            assert.strictEqual(await nodeUuid(docker, n), uuids[n], `${n}'s identity`);
            assert.strictEqual(await docker("container", "inspect", "-f", "{{.Image}}", n), await docker("image", "inspect", "-f", "{{.Id}}", v2));
        }
        const sums = await brickChecksums(() => docker, ["rg-0", "rg-1", "rg-2"], `/bricks/${VOL}`);
        assert.ok(sums["rg-0"].length > 0);
        assert.deepStrictEqual(sums["rg-1"], sums["rg-0"]);
        assert.deepStrictEqual(sums["rg-2"], sums["rg-0"]);
    });

    it("2. with a node stopped, a change that would replace the containers fails before any is touched, naming it", async () => {
        const ids = async () => Promise.all(["rg-0", "rg-1", "rg-2"].map((n) => docker("container", "inspect", "-f", "{{.Id}}", n)));
        const before = await ids();
        await docker("stop", "rg-1");
        try {
            await assert.rejects(
                h.up(program(args(V1))),
                /a rolling replacement replaces the nodes one at a time and needs the others in service; these peers are not connected: rg-1 \(Peer in Cluster, disconnected\)[\s\S]*Nothing was changed/,
            );
            assert.deepStrictEqual(await ids(), before);
        } finally {
            await docker("start", "rg-1");
        }
        await settled();
    });

    it("3. with self-heal pending, the rolling replacement waits for it before the first node goes", async () => {
        await docker("stop", "rg-2");
        await writer.sh(`mkdir -p /mnt/${VOL}/while-down && for i in $(seq 1 300); do echo "file $i" > /mnt/${VOL}/while-down/f$i; done && sync`);
        assert.notStrictEqual(await heal(), "0", "nothing was pending heal: the scenario shows nothing");
        await docker("start", "rg-2");
        // What GlusterFS says at the very moment the first node is deleted.
        let atFirstDelete: { pending: string; connected: string } | undefined;
        h.holdDeletes(["rg-rg-0"]);
        h.observeDelete = async (name) => {
            if (name !== "rg-rg-0" || atFirstDelete) return;
            atFirstDelete = {
                pending: await heal(),
                connected: await gx(docker, "rg-0", `volume heal ${VOL} info summary`, "count(//healInfo/bricks/brick[status='Connected'])"),
            };
        };
        try {
            await h.up(program(args(V1)));
        } finally {
            h.observeDelete = undefined;
        }
        assert.deepStrictEqual(atFirstDelete, { pending: "0", connected: "3" }, "rg-0 was deleted before self-heal had caught up");
        const sums = await brickChecksums(() => docker, ["rg-0", "rg-1", "rg-2"], `/bricks/${VOL}/while-down`);
        assert.strictEqual(sums["rg-2"].length, 300);
        assert.deepStrictEqual(sums["rg-2"], sums["rg-0"]);
    });

    it("3d. a misspelt brick node name is not a lost host: refused, naming both, before anything is created", async () => {
        await assert.rejects(
            h.up(program(args(V1, ["rg-0", "rg-l", "rg-2"]))),
            /brick node rg-1 is no longer in the node list and rg-l is new\. If rg-1 is lost and rg-l takes its place, say so: replaces: "rg-1" on rg-l[\s\S]*If rg-l is a misspelling of rg-1, put back rg-1\. Nothing was changed\./,
        );
        assert.strictEqual((await run(["docker", "container", "inspect", "rg-l"])).code, 1, "a container rg-l was created");
        assert.deepStrictEqual((await bricks()).split("\n"), [`rg-0:/bricks/${VOL}`, `rg-1:/bricks/${VOL}`, `rg-2:/bricks/${VOL}`]);
    });

    it("3e. two failed lost-host attempts (a survivor down) are reverted: the old node list is accepted, nothing of the attempts is left in the pool", async () => {
        await docker("stop", "rg-1");
        try {
            // rg-7 for rg-2 fails (rg-1 is down); then rg-8 for rg-1 on top of it fails too (the volume never changed).
            await assert.rejects(h.up(program(args(V1, ["rg-0", "rg-1", "rg-7<rg-2"]))));
            await assert.rejects(h.up(program(args(V1, ["rg-0", "rg-8<rg-1", "rg-7<rg-2"]))));
        } finally {
            await docker("start", "rg-1");
        }
        await settled();
        assert.deepStrictEqual((await bricks()).split("\n"), [`rg-0:/bricks/${VOL}`, `rg-1:/bricks/${VOL}`, `rg-2:/bricks/${VOL}`]);
        // Back to the node list the volume has: accepted, though the last attempt recorded another.
        await h.up(program(args(V1)));
        assert.deepStrictEqual((await bricks()).split("\n"), [`rg-0:/bricks/${VOL}`, `rg-1:/bricks/${VOL}`, `rg-2:/bricks/${VOL}`]);
        assert.deepStrictEqual((await peers("rg-0")).split("\n").sort(), ["localhost", "rg-1", "rg-2"]);
        for (const n of ["rg-7", "rg-8"]) assert.strictEqual((await run(["docker", "container", "inspect", n])).code, 1, `${n}'s container is still there`);
        for (const n of ["rg-0", "rg-1", "rg-2"]) assert.strictEqual(await nodeUuid(docker, n), uuids[n], `${n}'s identity`);
    });

    it("4. a lost host: its container and storage destroyed out of band, a new node in its place takes its brick; the files are on it, the old peer is gone", async () => {
        await docker("rm", "-f", "rg-2");
        await docker("volume", "rm", "rg-rg-2-state", "rg-rg-2-bricks", "rg-rg-2-logs");
        await h.up(program(args(V1, ["rg-0", "rg-1", "rg-3<rg-2"])));
        assert.deepStrictEqual((await bricks()).split("\n"), [`rg-0:/bricks/${VOL}`, `rg-1:/bricks/${VOL}`, `rg-3:/bricks/${VOL}`]);
        assert.deepStrictEqual((await peers("rg-0")).split("\n").sort(), ["localhost", "rg-1", "rg-3"]);
        const sums = await brickChecksums(() => docker, ["rg-0", "rg-1", "rg-3"], `/bricks/${VOL}`);
        assert.deepStrictEqual(sums["rg-3"], sums["rg-0"]);
        assert.deepStrictEqual(sums["rg-1"], sums["rg-0"]);
        assert.strictEqual(await writer.sh(`cat /mnt/${VOL}/while-down/f300`), "file 300");
    });

    it("4b. going back to the lost node after its replacement finished is refused before anything is created, naming the node that holds its brick", async () => {
        await assert.rejects(
            h.up(program(args(V1))),
            /the volume rvol has the bricks rg-0:\/bricks\/rvol rg-1:\/bricks\/rvol rg-3:\/bricks\/rvol, and the node list declares rg-0:\/bricks\/rvol rg-1:\/bricks\/rvol rg-2:\/bricks\/rvol[\s\S]*Nothing was changed/,
        );
        assert.strictEqual((await run(["docker", "container", "inspect", "rg-2"])).code, 1, "a container rg-2 was created");
        assert.strictEqual((await run(["docker", "volume", "inspect", "rg-rg-2-state"])).code, 1, "rg-2's storage was created");
        assert.deepStrictEqual((await bricks()).split("\n"), [`rg-0:/bricks/${VOL}`, `rg-1:/bricks/${VOL}`, `rg-3:/bricks/${VOL}`]);
    });

    it("5. the same with the old node still running: its brick moves, then its container goes", async () => {
        await h.up(program(args(V1, ["rg-0", "rg-4<rg-1", "rg-3"])));
        assert.deepStrictEqual((await bricks()).split("\n"), [`rg-0:/bricks/${VOL}`, `rg-4:/bricks/${VOL}`, `rg-3:/bricks/${VOL}`]);
        assert.deepStrictEqual((await peers("rg-0")).split("\n").sort(), ["localhost", "rg-3", "rg-4"]);
        assert.strictEqual((await run(["docker", "container", "inspect", "rg-1"])).code, 1, "rg-1's container is still there");
        const sums = await brickChecksums(() => docker, ["rg-0", "rg-4", "rg-3"], `/bricks/${VOL}`);
        assert.deepStrictEqual(sums["rg-4"], sums["rg-0"]);
    });

    it("6. replacing two brick nodes at once is refused before anything is created", async () => {
        await assert.rejects(
            h.up(program(args(V1, ["rg-0", "rg-5", "rg-6"]))),
            /brick nodes rg-4 rg-3 would be replaced by rg-5 rg-6 in one update[\s\S]*Nothing was changed/,
        );
        assert.strictEqual((await run(["docker", "container", "inspect", "rg-5"])).code, 1);
        await writer.stopClient();
    });
});

/**
 * Every replacement of a brick container is gated on the cluster being whole at that moment,
 * whichever node it is and whatever triggered it (here `pulumi up --replace`), and goes one
 * node at a time — on a cluster whose first node was never replaced too.
 */
describe("live: every container replacement waits for a whole cluster", function () {
    this.timeout(900_000);
    const h = new LiveStack();
    const NAMES = ["gg-0", "gg-1", "gg-2"];
    const gated =
        (extra: Partial<GlusterClusterArgs> = {}) =>
        () => {
            const c = new GlusterCluster("gg", { volumeName: "gvol", image: V1, nodes: NAMES.map(node), ...extra });
            return { mountCommand: c.mountCommand, clientDockerArgs: c.clientDockerArgs };
        };
    const ids = () => Promise.all(NAMES.map((n) => docker("container", "inspect", "-f", "{{.Id}}", n)));
    const whole = () =>
        eventually(
            "gvol whole again",
            120_000,
            async () =>
                (await gx(docker, "gg-0", "volume status gvol", "count(//volume/node[starts-with(path,'/') and status=1])")) === "3" &&
                (await gx(docker, "gg-0", "volume heal gvol info summary", "sum(//healInfo/bricks/brick/totalNumberOfEntries)")) === "0",
            500,
        );

    before(async () => {
        await requireEngine();
        await removeLeftovers(docker, "gg");
        await h.up(gated());
    });
    after(async () => {
        await run(["docker", "rm", "-f", "gg-client"]);
        for (const n of NAMES) await run(["docker", "start", n]);
        await h.destroy().catch(() => undefined);
        await removeLeftovers(docker, "gg");
    });

    it("1. on a cluster whose first node was never replaced, two nodes replaced in one update (--replace both) go one at a time: never fewer than two brick containers run", async () => {
        const before = await ids();
        h.taint("gg-gg-1");
        h.taint("gg-gg-2");
        const sampler = sampleRunning(docker, "gg", NAMES);
        try {
            await h.up(gated());
        } finally {
            await sampler.stop();
        }
        const after = await ids();
        assert.notStrictEqual(after[1], before[1]);
        assert.notStrictEqual(after[2], before[2]);
        assert.ok(sampler.minimum() >= 2, `at one moment only ${sampler.minimum()} of 3 brick containers ran (${sampler.samples()} samples)`);
        await whole();
    });

    it("2. with another node stopped, a node's replacement (--replace) is refused before its container goes", async () => {
        const before = await ids();
        await docker("stop", "gg-2");
        try {
            h.taint("gg-gg-1");
            await assert.rejects(h.up(gated()), /gg-1 cannot go now: the others must be in service[\s\S]*gg-2/);
            assert.strictEqual((await ids())[1], before[1], "gg-1's container was replaced while gg-2 was down");
        } finally {
            await docker("start", "gg-2");
        }
        await whole();
    });

    it("4. two mounts from one client host: a node is back only once both have reconnected to it (one does not stand for the other)", async () => {
        const outputs = await h.up(gated());
        const client = await ClientWriter.start(docker, "gg-client", TEST_CLIENT_IMAGE, outputs.clientDockerArgs, outputs.mountCommand, "/mnt/gvol");
        const second = (outputs.mountCommand as string).replace(" /mnt/gvol", " /mnt/second");
        assert.notStrictEqual(second, outputs.mountCommand, `no mount point to replace in ${outputs.mountCommand}`);
        await client.sh(`mkdir -p /mnt/second && ${second} && findmnt -n -o FSTYPE /mnt/second | grep -qx fuse.glusterfs`);
        // The second mount's client process, stopped: it cannot reconnect to a brick that restarts.
        const pid = await client.sh("pgrep -f '^[^ ]*glusterfs .*/mnt/second'");
        assert.match(pid, /^\d+$/, `one client process for /mnt/second: ${pid}`);
        await client.sh(`kill -STOP ${pid}`);
        try {
            h.taint("gg-gg-1");
            await assert.rejects(
                h.up(gated({ timeouts: { volumeSeconds: 20 } })),
                /waiting for the clients of gvol to reconnect to gg-1 \(last seen: clients not yet reconnected: \d+\.\d+\.\d+\.\d+ \(1 of 2\)\)/,
            );
        } finally {
            await client.sh(`kill -CONT ${pid}`);
        }
        // Resumed, it reconnects, and the node's ready step (created again) sees both.
        await h.up(gated());
        await whole();
        await client.sh("umount /mnt/second && umount /mnt/gvol");
        await run(["docker", "rm", "-f", "gg-client"]);
    });

    it("3. a docker that fails otherwise than 'no such container' (access denied) stops the update before any container goes", async () => {
        const before = await ids();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "denied-docker-"));
        const real = (await check(["sh", "-c", "command -v docker"])).trim();
        fs.writeFileSync(
            path.join(dir, "docker"),
            `#!/bin/sh\ncase "$*" in *"container inspect"*) echo "permission denied while trying to connect to the Docker daemon socket" >&2; exit 1 ;; esac\nexec ${real} "$@"\n`,
            { mode: 0o755 },
        );
        const path0 = h.setEnv("PATH", "")!;
        h.setEnv("PATH", `${dir}:${path0}`);
        try {
            const v2 = await upgradedImage(V1, "gated");
            const moved = () => () => {
                const c = new GlusterCluster("gg", { volumeName: "gvol", image: v2, nodes: NAMES.map(node) });
                return { mountCommand: c.mountCommand };
            };
            await assert.rejects(h.up(moved()), /cannot tell whether gg-0 runs on this host: docker said: permission denied/);
            assert.deepStrictEqual(await ids(), before, "a container was replaced although docker could not say what runs");
        } finally {
            h.setEnv("PATH", path0);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
