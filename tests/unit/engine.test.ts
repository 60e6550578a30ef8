import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineIdFromOutput, engineScript, platformFromOutput } from "../../components/engine";

/** Runs the engine script with a stand-in `docker` whose body is `docker`. */
function runWith(docker: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-"));
    try {
        fs.writeFileSync(path.join(dir, "docker"), `#!/bin/sh\n${docker}\n`, { mode: 0o755 });
        return spawnSync("/bin/sh", ["-c", engineScript("gfs1.example.net")], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("the engine command", () => {
    it("prints the engine's platform, asked with the Docker CLI's server version", () => {
        const r = runWith(`[ "$1" = info ] && echo E && exit 0; [ "$1 $2 $3" = "version --format {{.Server.Os}}/{{.Server.Arch}}" ] && echo linux/arm64`);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(platformFromOutput(r.stdout), "linux/arm64");
    });

    it("fails naming the host, the user and the fix when the user may not use the engine", () => {
        const r = runWith(`echo "permission denied while trying to connect to the Docker daemon socket" >&2; exit 1`);
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /error on gfs1\.example\.net: user \S+ cannot use the Docker engine: permission denied/);
        assert.match(r.stderr, /Fix: add \S+ to the docker group/);
    });

    it("prints the engine's ID, asked with docker info", () => {
        const r = runWith(
            `case "$1 $2 $3" in "version --format {{.Server.Os}}/{{.Server.Arch}}") echo linux/amd64 ;; "info --format {{.ID}}") echo 7d2f:ABCD:EF01 ;; *) exit 9 ;; esac`,
        );
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, "platform: linux/amd64\nengine: 7d2f:ABCD:EF01\n");
        assert.strictEqual(engineIdFromOutput(r.stdout), "7d2f:ABCD:EF01");
    });

    it("fails, printing no engine line, when docker info does not answer", () => {
        const r = runWith(`[ "$1" = version ] && echo linux/amd64 && exit 0; echo "info: connection reset" >&2; exit 1`);
        assert.notStrictEqual(r.status, 0);
        assert.doesNotMatch(r.stdout, /engine:/);
        assert.match(r.stderr, /connection reset/);
    });

    it("reads only whole lines: refuses output that names no platform or ID, or not alone on its line", () => {
        for (const bad of ["hello", "platform: linux/amd64 (emulated)", "# platform: linux/amd64", "platform: linux"]) {
            assert.throws(
                () => platformFromOutput(bad),
                (e: Error) => e.message === `GlusterCluster: cannot read the Docker engine's platform from ${JSON.stringify(bad)}`,
                bad,
            );
        }
        for (const bad of ["hello", "engine: ABC DEF", "my engine: ABC", "engine: "]) {
            assert.throws(
                () => engineIdFromOutput(bad),
                (e: Error) => e.message === `GlusterCluster: cannot read the Docker engine's ID from ${JSON.stringify(bad)}`,
                bad,
            );
        }
        assert.strictEqual(platformFromOutput("x\nplatform: linux/arm64\nengine: E"), "linux/arm64");
        assert.strictEqual(engineIdFromOutput("platform: linux/arm64\nengine: E1\n"), "E1");
    });
});
