/**
 * The project itself — Pulumi.yaml, Pulumi.dev.yaml and index.ts — run by the real Pulumi
 * engine on the local Docker engine, as the README's first command runs it: it must give a
 * working GlusterFS volume and survive what operators do to clusters. The steps of the
 * first suite build on each other, in order, like an operator's day.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GlusterCluster, GlusterClusterArgs } from "../../components";
import { LiveStack } from "./engine/stack";
import { runScript, readLocal } from "./standins/commands";
import { Strict } from "./standins/strict";
import { PROJECT_DIR } from "../support/stack-config";
import { docker, engineHolds, eventually, gx, nodeUuid, removeLeftovers, requireEngine } from "./support";

const INDEX = path.resolve(__dirname, "..", "..", "index");
const NODES = ["gluster-0", "gluster-1", "gluster-2"];
const CLIENT = "gluster-live-client";
const CONTRACT_CLIENT = "gluster-contract-client";
const RANCHER_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "rancher-"));
/**
 * What the tests add to the dev stack's own config (Pulumi.dev.yaml, which the CLI reads):
 * publishing the mount contract to a Rancher cluster (credentials: the default rancher2
 * provider's config).
 */
const DEV = {
    "glusterfs:rancher": { clusterId: "local", namespace: "storage" },
    "rancher2:apiUrl": "https://rancher.invalid",
    "rancher2:tokenKey": "token-abcde:not-a-real-token",
};
const SECRET_KEYS = ["rancher2:tokenKey"];

/**
 * The project's directory to run in: copies of Pulumi.yaml and Pulumi.dev.yaml (the CLI
 * writes the stack's encryption salt and the tests' config into the stack file), and the
 * program (`main: index.ts`, which the CLI checks is there) linked.
 */
function projectDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "project-"));
    for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml"]) fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
    fs.symlinkSync(`${INDEX}.ts`, path.join(dir, "index.ts"));
    return dir;
}

/** Runs the stack program (index.ts) afresh, as `pulumi up` does. */
function stackProgram(): any {
    delete require.cache[require.resolve(INDEX)];
    return require(INDEX);
}

function clusterProgram(name: string, args: GlusterClusterArgs) {
    return () => {
        const c = new GlusterCluster(name, args);
        return { servers: c.servers, poolMembers: c.poolMembers, mountCommand: c.mountCommand, clientDockerArgs: c.clientDockerArgs };
    };
}

async function clientSh(script: string): Promise<string> {
    return docker("exec", CLIENT, "sh", "-c", script);
}

async function volumeId(node = "gluster-0"): Promise<string> {
    return gx(docker, node, "volume info my_vol", "string(//volume/id)");
}

describe("live: the dev stack on the local Docker engine", function () {
    this.timeout(600_000);
    const project = projectDir();
    const h = new LiveStack({ workDir: project, stack: "dev", rancherDir: RANCHER_DIR });
    let outputs: Record<string, any>;
    let image: string;
    const uuids: Record<string, string> = {};

    before(async () => {
        await requireEngine();
        await removeLeftovers(docker, "gluster", [CLIENT]);
    });

    after(async () => {
        // Whatever happened above, leave nothing behind.
        await docker("rm", "-f", CLIENT, CONTRACT_CLIENT).catch(() => undefined);
        await h.destroy().catch(() => undefined);
        await removeLeftovers(docker, "gluster", [CLIENT]);
        fs.rmSync(RANCHER_DIR, { recursive: true, force: true });
        fs.rmSync(project, { recursive: true, force: true });
    });

    it("1. applies: every node sees two connected peers; the volume is started, replica 3, one brick per node, ports pinned", async () => {
        outputs = await h.up(stackProgram, DEV, SECRET_KEYS);
        image = h.find("gluster-image-local").outputs.imageName;
        for (const node of NODES) {
            assert.strictEqual(await gx(docker, node, "peer status", "count(//peer)"), "2", `${node}'s peers`);
            assert.strictEqual(await gx(docker, node, "peer status", "count(//peer[state=3 and connected=1])"), "2", `${node}'s connected peers`);
            uuids[node] = await nodeUuid(docker, node);
        }
        // gluster-0 is known by its name (probe-back), not only by the address it probed from.
        assert.strictEqual(await gx(docker, "gluster-2", "peer status", "count(//peer/hostnames[hostname='gluster-0'])"), "1");
        assert.strictEqual(await gx(docker, "gluster-1", "volume info my_vol", "string(//volume/statusStr)"), "Started");
        assert.strictEqual(await gx(docker, "gluster-1", "volume info my_vol", "string(//volume/replicaCount)"), "3");
        const bricks = await gx(docker, "gluster-0", "volume info my_vol", "//volume/bricks/brick/name/text()");
        assert.deepStrictEqual(
            bricks.split("\n"),
            NODES.map((n) => `${n}:/bricks/my_vol`),
        );
        const ports = (await gx(docker, "gluster-0", "volume status my_vol", "//volume/node[starts-with(path,'/')]/port/text()")).split("\n").map(Number);
        assert.strictEqual(ports.length, 3);
        for (const p of ports) assert.ok(p >= 49152 && p <= 49161, `brick port ${p} outside 49152-49161`);
        assert.deepStrictEqual(outputs.servers, NODES);
    });

    it("2. a client started with clientDockerArgs mounts with mountCommand; files land byte-identical on all three bricks", async () => {
        await docker("run", "-d", "--name", CLIENT, ...outputs.clientDockerArgs, "--entrypoint", "sleep", image, "infinity");
        await clientSh(`mkdir -p /mnt/my_vol && ${outputs.mountCommand}`);
        assert.strictEqual(await clientSh("findmnt -n -o FSTYPE /mnt/my_vol"), "fuse.glusterfs");
        await clientSh("head -c 1048576 /dev/urandom > /mnt/my_vol/blob && echo hello > /mnt/my_vol/hello.txt && sync");
        const want = await clientSh("sha256sum < /mnt/my_vol/blob");
        for (const node of NODES) {
            assert.strictEqual(await docker("exec", node, "sh", "-c", "sha256sum < /bricks/my_vol/blob"), want, `blob on ${node}'s brick`);
            assert.strictEqual(await docker("exec", node, "cat", "/bricks/my_vol/hello.txt"), "hello");
        }
    });

    it("2b. the mount contract published for Rancher is all a client needs: it mounts from those files alone", async () => {
        // As a Kubernetes configMap volume would: one file per key.
        const dir = path.join(RANCHER_DIR, "local", "storage", "glusterfs-my-vol");
        assert.strictEqual(fs.readFileSync(path.join(dir, "schemaVersion"), "utf8"), "1");
        const args = fs.readFileSync(path.join(dir, "clientDockerArgs"), "utf8").split(" ");
        await docker("run", "-d", "--name", CONTRACT_CLIENT, ...args, "-v", `${dir}:/etc/glusterfs-mount:ro`, "--entrypoint", "sleep", image, "infinity");
        try {
            const c = "/etc/glusterfs-mount";
            await docker(
                "exec",
                CONTRACT_CLIENT,
                "sh",
                "-c",
                `mkdir -p "$(cat ${c}/mountPoint)" && mount -t glusterfs -o "$(cat ${c}/mountOptions)" "$(cat ${c}/mountSource)" "$(cat ${c}/mountPoint)"`,
            );
            await docker("exec", CONTRACT_CLIENT, "sh", "-c", `echo from-the-contract > "$(cat ${c}/mountPoint)/contract.txt" && sync`);
            assert.strictEqual(await docker("exec", CONTRACT_CLIENT, "sh", "-c", `cat "$(cat ${c}/mountPoint)/hello.txt"`), "hello");
            assert.strictEqual(await clientSh("cat /mnt/my_vol/contract.txt"), "from-the-contract");
        } finally {
            await docker("rm", "-f", CONTRACT_CLIENT);
        }
    });

    it("3. re-apply changes nothing and runs nothing; every script run again succeeds and changes nothing", async () => {
        const id = await volumeId();
        const mark = h.log.length;
        const again = await h.up(stackProgram, DEV, SECRET_KEYS);
        assert.deepStrictEqual(again, outputs);
        const ops = h.since(mark);
        assert.ok(ops.length > 20);
        assert.deepStrictEqual(
            ops.filter((e) => e.op !== "same"),
            [],
            "a second apply over unchanged inputs must not touch anything",
        );

        // Every command's create script, run again on the converged cluster.
        for (const cmd of h.ofType("command:local:Command")) {
            const spec = readLocal(new Strict(cmd.inputs, cmd.name));
            const r = await runScript(spec, spec.create!);
            if (cmd.name === "gluster-volume") {
                assert.match(r.stdout, /holds the expected bricks/);
                assert.doesNotMatch(r.stdout, /^(created|set|reset|started) /m, "the volume script changed something on a converged cluster");
            }
        }
        assert.strictEqual(await volumeId(), id);
        for (const node of NODES) assert.strictEqual(await nodeUuid(docker, node), uuids[node]);
        assert.strictEqual(await clientSh("cat /mnt/my_vol/hello.txt"), "hello");
    });

    it("3b. a changed option is applied in place, and an option taken out of the config is reset, a cluster-wide one too", async () => {
        const option = (name: string) => gx(docker, "gluster-0", "volume info my_vol", `string(//volume/options/option[name='${name}']/value)`);
        const global = (name: string) => gx(docker, "gluster-0", `volume get all ${name}`, `string(//volGetopts/Opt[Option='${name}']/Value)`);
        const id = await volumeId();
        let mark = h.log.length;
        await h.up(stackProgram, { ...DEV, "glusterfs:volumeOptions": { "network.ping-timeout": "20", "cluster.localtime-logging": "enable" } }, SECRET_KEYS);
        assert.strictEqual(await global("cluster.localtime-logging"), "enable");
        assert.deepStrictEqual(
            h
                .since(mark)
                .filter((e) => e.op !== "same")
                .map((e) => `${e.op} ${e.name} ${e.script}`),
            ["update gluster-volume update"],
        );
        assert.strictEqual(await option("network.ping-timeout"), "20");
        mark = h.log.length;
        await h.up(stackProgram, DEV, SECRET_KEYS);
        assert.deepStrictEqual(
            h
                .since(mark)
                .filter((e) => e.op !== "same")
                .map((e) => e.name),
            ["gluster-volume"],
        );
        assert.strictEqual(await option("network.ping-timeout"), "", "the option was not reset");
        assert.strictEqual(await global("cluster.localtime-logging"), "disable (DEFAULT)", "the cluster-wide option was not reset");
        assert.strictEqual(await option("cluster.server-quorum-type"), "none");
        assert.strictEqual(await volumeId(), id);
        assert.strictEqual(await gx(docker, "gluster-0", "volume info my_vol", "string(//volume/statusStr)"), "Started");
    });

    it("3c. `pulumi preview` shows what the README's 'What a change does' says, and applies nothing", async () => {
        const planned = async (config: Record<string, unknown>) =>
            (await h.preview(stackProgram, config, SECRET_KEYS)).steps.filter((e) => e.op !== "same").map((e) => `${e.op} ${e.name}`);
        const containers = await Promise.all(NODES.map((n) => docker("container", "inspect", "-f", "{{.Id}}", n)));
        const mark = h.log.length;
        // Nothing changed: nothing planned.
        assert.deepStrictEqual(await planned(DEV), []);
        // volumeOptions: in place, one step.
        assert.deepStrictEqual(await planned({ ...DEV, "glusterfs:volumeOptions": { "network.ping-timeout": "20" } }), ["update gluster-volume"]);
        // mountPoint: only the published contract.
        assert.deepStrictEqual(await planned({ ...DEV, "glusterfs:mountPoint": "/srv/shared" }), ["update gluster-mount-contract"]);
        // image: every container is replaced (delete first; the rolling order is the update's, not the plan's).
        const image = await planned({ ...DEV, "glusterfs:image": "glusterfs-cluster/glusterfs:test-preview" });
        for (const n of NODES) assert.ok(image.includes(`replace gluster-${n}`), `${n} not replaced in ${image.join(", ")}`);
        // Nothing was applied.
        assert.deepStrictEqual(h.since(mark), []);
        assert.deepStrictEqual(await Promise.all(NODES.map((n) => docker("container", "inspect", "-f", "{{.Id}}", n))), containers);
    });

    it("4. replacing one node's container keeps its UUID; the cluster, the volume and the files come back", async () => {
        const oldId = h.find("gluster-gluster-1").id;
        const id = await volumeId();
        h.taint("gluster-gluster-1");
        const mark = h.log.length;
        await h.up(stackProgram, DEV, SECRET_KEYS);
        const changed = h
            .since(mark)
            .filter((e) => e.op !== "same")
            .map((e) => `${e.op} ${e.name}`);
        // Delete-before-replace, as the engine orders it: first the dependent that would be
        // replaced (the ready command's trigger is the container's id), then the container;
        // the new container, then the ready command again when its registration arrives.
        // The same GlusterFS version: the ready step saw the node back in service, and the
        // volume step has nothing to do (it runs again when a node's version changes).
        assert.deepStrictEqual(changed, [
            "delete-replaced gluster-ready-gluster-1",
            "delete-replaced gluster-gluster-1",
            "replace gluster-gluster-1",
            "create-replacement gluster-gluster-1",
            "replace gluster-ready-gluster-1",
            "create-replacement gluster-ready-gluster-1",
        ]);
        assert.notStrictEqual(h.find("gluster-gluster-1").id, oldId);
        assert.strictEqual(await nodeUuid(docker, "gluster-1"), uuids["gluster-1"]);
        for (const node of NODES) {
            assert.strictEqual(await gx(docker, node, "peer status", "count(//peer[state=3 and connected=1])"), "2", `${node} after the replacement`);
        }
        assert.strictEqual(await gx(docker, "gluster-0", "volume status my_vol", "count(//volume/node[starts-with(path,'/') and status=1])"), "3");
        assert.strictEqual(await volumeId(), id);
        const want = await clientSh("sha256sum < /mnt/my_vol/blob");
        assert.strictEqual(await docker("exec", "gluster-1", "sh", "-c", "sha256sum < /bricks/my_vol/blob"), want);
    });

    it("5. with one node stopped the client still writes; once it is back, self-heal brings its brick up to date", async () => {
        await docker("stop", "gluster-2");
        await clientSh("head -c 262144 /dev/urandom > /mnt/my_vol/while-down && sync");
        const want = await clientSh("sha256sum < /mnt/my_vol/while-down");
        await docker("start", "gluster-2");
        await eventually(
            "gluster-2's brick to be online again",
            120_000,
            async () => (await gx(docker, "gluster-0", "volume status my_vol", "count(//volume/node[starts-with(path,'/') and status=1])")) === "3",
        );
        // What an operator does after an outage: start an index heal, and watch heal info drain.
        await eventually(
            "heal info to reach zero entries",
            180_000,
            async () => {
                await docker("exec", "gluster-0", "gluster", "--mode=script", "volume", "heal", "my_vol").catch(() => "");
                const pending = await gx(docker, "gluster-0", "volume heal my_vol info summary", "sum(//brick/totalNumberOfEntries)");
                return pending === "0";
            },
            1000,
        );
        assert.strictEqual(await docker("exec", "gluster-2", "sh", "-c", "sha256sum < /bricks/my_vol/while-down"), want);
    });

    it("7a. destroy removes the containers and the volume definition, and keeps the brick data", async () => {
        const want = await clientSh("sha256sum < /mnt/my_vol/blob");
        await docker("rm", "-f", CLIENT);
        await h.destroy();
        const held = await engineHolds(docker, "gluster");
        assert.ok(!fs.existsSync(path.join(RANCHER_DIR, "local", "storage", "glusterfs-my-vol")), "the mount contract is still published");
        assert.deepStrictEqual(held.containers, []);
        assert.deepStrictEqual(held.networks, []);
        assert.deepStrictEqual(held.volumes, NODES.flatMap((n) => [`gluster-${n}-bricks`, `gluster-${n}-logs`, `gluster-${n}-state`]).sort());
        for (const n of NODES) {
            const look = (vol: string, target: string, cmd: string) => docker("run", "--rm", "-v", `${vol}:${target}`, "--entrypoint", "sh", image, "-c", cmd);
            assert.strictEqual(await look(`gluster-${n}-state`, "/s", "ls /s/vols | wc -l"), "0", `${n} still defines a volume`);
            assert.strictEqual(await look(`gluster-${n}-bricks`, "/b", "sha256sum < /b/my_vol/blob"), want, `${n}'s brick data`);
        }
    });
});

describe("live: more clusters", function () {
    this.timeout(600_000);

    before(async () => {
        await requireEngine();
        for (const c of ["g5", "bad"]) await removeLeftovers(docker, c);
    });

    it("6 and 7b. five nodes: the extra two are in the pool and not in the volume; with deleteDataOnDestroy nothing is left", async () => {
        const h = new LiveStack();
        const nodes = [0, 1, 2, 3, 4].map((i) => ({ name: `g5-${i}` }));
        try {
            const out = await h.up(clusterProgram("g5", { nodes, volumeName: "vol5", deleteDataOnDestroy: true }));
            assert.deepStrictEqual(
                out.poolMembers,
                nodes.map((n) => n.name),
            );
            for (const n of nodes) {
                assert.strictEqual(await gx(docker, n.name, "peer status", "count(//peer[state=3 and connected=1])"), "4", `${n.name}'s peers`);
            }
            const bricks = await gx(docker, "g5-3", "volume info vol5", "//volume/bricks/brick/name/text()");
            assert.deepStrictEqual(bricks.split("\n"), ["g5-0:/bricks/vol5", "g5-1:/bricks/vol5", "g5-2:/bricks/vol5"]);
        } finally {
            await h.destroy();
        }
        assert.deepStrictEqual(await engineHolds(docker, "g5"), { containers: [], volumes: [], networks: [] });
    });

    it("8. a bad config is refused before anything is created", async () => {
        const h = new LiveStack();
        await assert.rejects(
            h.up(clusterProgram("bad", { nodes: [{ name: "bad-0" }, { name: "bad-1" }], volumeName: "x y" })),
            (e: Error) =>
                /GlusterCluster: invalid arguments \(nothing was created\)/.test(e.message) && /`nodes`/.test(e.message) && /`volumeName`/.test(e.message),
        );
        assert.deepStrictEqual(h.log, []);
        assert.deepStrictEqual(await engineHolds(docker, "bad"), { containers: [], volumes: [], networks: [] });
    });
});
