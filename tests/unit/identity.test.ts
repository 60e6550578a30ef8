/**
 * The identity guard: its update compares the identity the last run printed with the new
 * one and refuses what would build a new, empty cluster or volume. Run for real with sh.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import { GlusterClusterArgs } from "../../components";
import { IDENTITY_HISTORY, identityCreateScript, identityText, identityUpdateScript } from "../../components/identity";
import { resolveSpec } from "../../components/spec";
import { threeRemoteNodes } from "../helpers";

const THREE = [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }];
const spec = (args: GlusterClusterArgs, name = "gluster") => resolveSpec(name, args);
/** Each host's engine ID: by default one engine per Docker endpoint. */
const engines = (args: GlusterClusterArgs, ids: Record<string, string> = {}) =>
    Object.fromEntries(spec(args).hosts.map((h) => [h.key, ids[h.key] ?? `ENGINE:${h.key}`]));
const text = (args: GlusterClusterArgs) => identityText(spec(args), engines(args));

/** Runs the update script of `next` as the provider would after a run that printed `previous`. */
function update(previous: GlusterClusterArgs, next: GlusterClusterArgs, nextEngines: Record<string, string> = {}) {
    return updateFrom(text(previous), next, nextEngines);
}

/** The same, after a run that printed `recorded` (a record with its earlier identities). */
function updateFrom(recorded: string, next: GlusterClusterArgs, nextEngines: Record<string, string> = {}) {
    const r = spawnSync("/bin/sh", ["-c", identityUpdateScript(spec(next), engines(next, nextEngines))], {
        env: { PATH: process.env.PATH, PULUMI_COMMAND_STDOUT: recorded },
        encoding: "utf8",
    });
    return { status: r.status, stdout: r.stdout.replace(/\n$/, ""), stderr: r.stderr };
}

describe("the identity guard", () => {
    it("prints the identity on its first run, and again, unchanged, when nothing that matters changed", () => {
        const first = spawnSync("/bin/sh", ["-c", identityCreateScript(spec({ nodes: THREE }), engines({ nodes: THREE }))], { encoding: "utf8" });
        assert.strictEqual(first.stdout.replace(/\n$/, ""), text({ nodes: THREE }));
        assert.match(
            first.stdout,
            /^volume my_vol\nmode container\nnetwork gluster-net\nbrick gluster-0 gluster-0 ENGINE:local\|gluster-gluster-0-state,gluster-gluster-0-bricks,gluster-gluster-0-logs -\n/,
        );
        const r = update({ nodes: THREE }, { nodes: THREE, volumeOptions: { "network.ping-timeout": "20" }, clientCidrs: ["10.0.5.0/24"] });
        assert.deepStrictEqual([r.status, r.stdout, r.stderr], [0, text({ nodes: THREE }), ""]);
    });

    it("refuses a changed volumeName, saying what would have happened and what to do", () => {
        const r = update({ nodes: THREE }, { nodes: THREE, volumeName: "other" });
        assert.strictEqual(r.status, 1);
        assert.match(
            r.stderr,
            /error: volumeName changed from "my_vol" to "other": that would create a second, empty volume while the clients keep using "my_vol".*Put back volumeName: "my_vol".*Nothing was changed\./,
        );
    });

    it("refuses a changed networkMode", () => {
        const r = update({ nodes: THREE }, { networkMode: "host", nodes: threeRemoteNodes() });
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /networkMode changed from "container" to "host".*new cluster beside the old one/);
    });

    it("refuses a node whose storage moves (another host, another dataRoot), and a brick node's new address", () => {
        const nodes = threeRemoteNodes();
        const moved = nodes.map((n, i) => (i === 1 ? { ...n, dataRoot: "/srv/gluster" } : n));
        const r = update({ networkMode: "host", nodes }, { networkMode: "host", nodes: moved });
        assert.strictEqual(r.status, 1);
        assert.match(
            r.stderr,
            /node g2's storage changed \(Docker engine\|storage: ENGINE:ssh:\/\/root@10\.10\.0\.2\|\/data\/glusterfs -> ENGINE:ssh:\/\/root@10\.10\.0\.2\|\/srv\/gluster\): it would come back empty/,
        );
        const readdressed = nodes.map((n, i) => (i === 2 ? { ...n, address: "gfs3.example.net" } : n));
        const a = update({ networkMode: "host", nodes }, { networkMode: "host", nodes: readdressed });
        assert.match(a.stderr, /brick node g3's address changed \(10\.10\.0\.3 -> gfs3\.example\.net\): GlusterFS names bricks by address/);
        const net = update({ nodes: THREE }, { nodes: THREE, network: { name: "other-net" } });
        assert.strictEqual(net.status, 1);
        assert.match(
            net.stderr,
            /the Docker network changed from "gluster-net" to "other-net": the nodes would move to it one at a time, where they cannot reach the others/,
        );
    });

    it("follows the Docker engine, not its endpoint: the same engine declared another way moves nothing; another engine does", () => {
        const remote = { dockerHost: "unix:///var/run/docker.sock", ssh: { host: "127.0.0.1", privateKey: "k" } };
        const flipped = { nodes: [{ ...THREE[0], host: remote }, THREE[1], THREE[2]], network: { name: "n", existing: true } };
        const same = update({ nodes: THREE, network: { name: "n", existing: true } }, flipped, { "unix:///var/run/docker.sock": "ENGINE:local" });
        assert.deepStrictEqual([same.status, same.stderr], [0, ""]);
        const moved = update({ nodes: THREE, network: { name: "n", existing: true } }, flipped);
        assert.strictEqual(moved.status, 1);
        assert.match(
            moved.stderr,
            /node gluster-0's storage changed .*ENGINE:local\|.* -> ENGINE:unix:.*only its Docker engine was reinstalled.*accept the new identity once: pulumi up --replace with the URN of the identity step/,
        );
    });

    it("allows one brick node replaced by a new one that says so, and adding or removing pool-only nodes", () => {
        const r = update({ nodes: THREE }, { nodes: [THREE[0], THREE[1], { name: "gluster-5", replaces: "gluster-2" }] });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /replacing brick node gluster-2 with gluster-5/);
        const extras = update({ nodes: [...THREE, { name: "gluster-3" }] }, { nodes: [...THREE, { name: "gluster-4" }] });
        assert.deepStrictEqual([extras.status, extras.stderr], [0, ""]);
        const reordered = update({ nodes: THREE }, { nodes: [THREE[1], THREE[0], THREE[2]] });
        assert.deepStrictEqual([reordered.status, reordered.stderr], [0, ""]);
    });

    it("refuses a brick node swapped for a new name that does not say it replaces it (a misspelling is not a lost host), naming both", () => {
        const typo = update({ nodes: THREE }, { nodes: [THREE[0], { name: "gluster-l" }, THREE[2]] });
        assert.strictEqual(typo.status, 1);
        assert.match(
            typo.stderr,
            /^error: brick node gluster-1 is no longer in the node list and gluster-l is new\. If gluster-1 is lost and gluster-l takes its place, say so: replaces: "gluster-1" on gluster-l \(README: Replacing a lost host\)\. If gluster-l is a misspelling of gluster-1, put back gluster-1\. Nothing was changed\.$/m,
        );
        const other = update({ nodes: THREE }, { nodes: [THREE[0], { name: "gluster-5", replaces: "gluster-9" }, THREE[2]] });
        assert.match(other.stderr, /brick node gluster-1 is no longer in the node list and gluster-5 is new/);
        // A pool-only node promoted to take a lost brick node's place says so too.
        const promoted = update({ nodes: [...THREE, { name: "gluster-3" }] }, { nodes: [THREE[0], THREE[1], { name: "gluster-3" }] });
        assert.match(promoted.stderr, /brick node gluster-2 is no longer in the node list and gluster-3 is new/);
        assert.strictEqual(
            update({ nodes: [...THREE, { name: "gluster-3" }] }, { nodes: [THREE[0], THREE[1], { name: "gluster-3", replaces: "gluster-2" }] }).status,
            0,
        );
    });

    it("refuses two brick nodes replaced at once, a new first node, and a brick node turned pool-only", () => {
        const two = update({ nodes: THREE }, { nodes: [THREE[0], { name: "gluster-5" }, { name: "gluster-6" }] });
        assert.strictEqual(two.status, 1);
        assert.match(two.stderr, /brick nodes gluster-1 gluster-2 would be replaced by gluster-5 gluster-6 in one update: replace one lost host per update/);
        const first = update({ nodes: THREE }, { nodes: [{ name: "gluster-5" }, THREE[1], THREE[2]] });
        assert.match(first.stderr, /the first node is the new brick node gluster-5.*List a surviving brick node first/);
        const demoted = update({ nodes: THREE }, { nodes: [THREE[0], THREE[1], { name: "gluster-3" }, THREE[2]] });
        assert.match(demoted.stderr, /node gluster-2 holds a brick and would become pool-only/);
    });

    it("lists every refusal at once", () => {
        const r = update({ nodes: THREE }, { nodes: [THREE[0], { name: "gluster-5" }, { name: "gluster-6" }], volumeName: "other" });
        assert.strictEqual(r.status, 1);
        assert.deepStrictEqual((r.stderr.match(/^error: (volumeName|brick nodes)/gm) ?? []).sort(), ["error: brick nodes", "error: volumeName"]);
    });

    it("accepts going back from failed attempts: a change refused against the last identity is accepted against an earlier one", () => {
        // [0,1,2]; an attempt with 5 for 2 (recorded, then failed); another with 6 for 1 on top of it.
        const first = update({ nodes: THREE }, { nodes: [THREE[0], THREE[1], { name: "gluster-5", replaces: "gluster-2" }] });
        assert.strictEqual(first.status, 0, first.stderr);
        assert.ok(first.stdout.endsWith(`\nearlier\n${text({ nodes: THREE })}`), first.stdout);
        const stacked = { nodes: [THREE[0], { name: "gluster-6", replaces: "gluster-1" }, { name: "gluster-5", replaces: "gluster-2" }] };
        const second = updateFrom(first.stdout, stacked);
        assert.strictEqual(second.status, 0, second.stderr);
        // Back to [0,1,2]: two brick nodes from the last identity, none from the first.
        const back = updateFrom(second.stdout, { nodes: THREE });
        assert.strictEqual(back.status, 0, back.stderr);
        assert.match(back.stderr, /back to an earlier node list: .*the preflight step checks that the volume is what it describes/);
        assert.ok(back.stdout.startsWith(`${text({ nodes: THREE })}\nearlier\n${text(stacked)}\nearlier\n`), back.stdout);
        // What no recorded identity allows is refused, with the reasons against the last one.
        const two = updateFrom(second.stdout, { nodes: [THREE[0], { name: "gluster-7" }, { name: "gluster-8" }] });
        assert.strictEqual(two.status, 1);
        assert.match(two.stderr, /^error: brick nodes gluster-6 gluster-5 would be replaced by gluster-7 gluster-8 in one update/m);
        // Nor does history let a changed volume name through.
        assert.strictEqual(updateFrom(second.stdout, { nodes: THREE, volumeName: "other" }).status, 1);
    });

    it("keeps at most the last few earlier identities, each once", () => {
        let recorded = text({ nodes: THREE });
        for (let i = 0; i < IDENTITY_HISTORY + 4; i++) {
            const r = updateFrom(recorded, { nodes: [...THREE, { name: `extra-${i % (IDENTITY_HISTORY + 2)}` }] });
            assert.strictEqual(r.status, 0, r.stderr);
            recorded = r.stdout;
        }
        const blocks = recorded.split("\nearlier\n");
        assert.strictEqual(blocks.length, IDENTITY_HISTORY + 1);
        assert.strictEqual(new Set(blocks).size, blocks.length);
        // Unchanged: the record stays as it is.
        assert.strictEqual(updateFrom(recorded, { nodes: [...THREE, { name: `extra-${(IDENTITY_HISTORY + 3) % (IDENTITY_HISTORY + 2)}` }] }).stdout, recorded);
    });

    it("compares nothing when the previous run printed nothing (a stack from before the guard)", () => {
        const r = spawnSync("/bin/sh", ["-c", identityUpdateScript(spec({ nodes: THREE, volumeName: "other" }), engines({ nodes: THREE }))], {
            env: { PATH: process.env.PATH },
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 0);
    });
});
