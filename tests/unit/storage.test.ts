/**
 * Host mode's data directories: the scripts run for real in temporary directories, with a
 * stand-in `docker` that says which containers use a directory.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { dataCreateScript, dataDeleteScript } from "../../components/data";
import { tempDir } from "../support/temp-dirs";

/** Runs `script` with a `docker` stand-in that lists `users` for any volume filter. */
function runScript(script: string, users = ""): { code: number | null; out: string; err: string } {
    const bin = tempDir("bin-");
    fs.writeFileSync(path.join(bin, "docker"), `#!/bin/sh\n[ -n "$USERS" ] && echo "$USERS"\nexit 0\n`, { mode: 0o755 });
    const r = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, USERS: users } });
    return { code: r.status, out: r.stdout, err: r.stderr };
}

const dirsOf = (root: string) => [`${root}/glusterd`, `${root}/bricks`, `${root}/log`];

describe("host data directories", () => {
    // /var/tmp is on the root filesystem on the machines this runs on (checked below).
    const onRoot = () => tempDir("data-", "/var/tmp");
    const rootDevice = fs.statSync("/").dev;

    it("a brick node's bricks on the root filesystem are refused, saying where and what to do; nothing is recorded", () => {
        const root = onRoot();
        assert.strictEqual(fs.statSync(root).dev, rootDevice, "/var/tmp is expected on the root filesystem");
        const r = runScript(dataCreateScript(root, dirsOf(root), "tok", `${root}/bricks`, "g2 (gfs2.example.net)"));
        assert.strictEqual(r.code, 1);
        assert.match(
            r.err,
            new RegExp(
                `^error on the host of g2 \\(gfs2\\.example\\.net\\): ${root}/bricks is on the root filesystem; .*Fix: mount a filesystem of its own at ${root}/bricks \\(or at its dataRoot\\), or accept the risk with allowBricksOnRootFilesystem: true\\.\\n$`,
            ),
        );
        assert.ok(!fs.existsSync(`${root}/.glusterfs-cluster-owner`));
    });

    it("bricks on a filesystem of their own pass, and the owner is recorded", () => {
        const root = fs.mkdtempSync("/dev/shm/data-");
        assert.notStrictEqual(fs.statSync(root).dev, rootDevice, "/dev/shm is expected to be a tmpfs");
        try {
            const r = runScript(dataCreateScript(root, dirsOf(root), "tok", `${root}/bricks`));
            assert.strictEqual(r.code, 0, r.err);
            for (const d of dirsOf(root)) assert.ok(fs.statSync(d).isDirectory());
            assert.strictEqual(fs.readFileSync(`${root}/.glusterfs-cluster-owner`, "utf8"), "tok\n");
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("without a bricks directory to check (pool-only node, or allowBricksOnRootFilesystem) the root filesystem is accepted", () => {
        const root = onRoot();
        const script = dataCreateScript(root, dirsOf(root), "tok");
        assert.doesNotMatch(script, /stat -c/);
        assert.strictEqual(runScript(script).code, 0);
        assert.strictEqual(fs.readFileSync(`${root}/.glusterfs-cluster-owner`, "utf8"), "tok\n");
    });

    it("delete empties and removes the directories it owns, hidden files included, and its record", () => {
        const root = onRoot();
        assert.strictEqual(runScript(dataCreateScript(root, dirsOf(root), "tok")).code, 0);
        fs.writeFileSync(`${root}/bricks/file`, "x");
        fs.writeFileSync(`${root}/bricks/.hidden`, "x");
        fs.mkdirSync(`${root}/bricks/..dots`);
        const r = runScript(dataDeleteScript(root, dirsOf(root), "tok"));
        assert.strictEqual(r.code, 0, r.err);
        assert.match(r.out, new RegExp(`deleted the data under ${root}`));
        for (const d of dirsOf(root)) assert.ok(!fs.existsSync(d), `${d} is left`);
        assert.ok(!fs.existsSync(`${root}/.glusterfs-cluster-owner`));
    });

    it("delete leaves directories that another resource now owns", () => {
        const root = onRoot();
        assert.strictEqual(runScript(dataCreateScript(root, dirsOf(root), "newer")).code, 0);
        fs.writeFileSync(`${root}/bricks/file`, "x");
        const r = runScript(dataDeleteScript(root, dirsOf(root), "older"));
        assert.strictEqual(r.code, 0);
        assert.match(r.out, /now belongs to another resource of this stack; leaving it/);
        assert.ok(fs.existsSync(`${root}/bricks/file`));
    });

    it("delete refuses while a container still uses a directory, and deletes nothing", () => {
        const root = onRoot();
        assert.strictEqual(runScript(dataCreateScript(root, dirsOf(root), "tok")).code, 0);
        fs.writeFileSync(`${root}/bricks/file`, "x");
        const r = runScript(dataDeleteScript(root, dirsOf(root), "tok"), "gluster-1");
        assert.strictEqual(r.code, 1);
        assert.match(r.err, new RegExp(`error: ${root}/glusterd is still used by container\\(s\\) gluster-1; not deleting it`));
        assert.ok(fs.existsSync(`${root}/bricks/file`));
    });
});
