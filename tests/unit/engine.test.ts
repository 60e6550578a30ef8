import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineScript, platformFromOutput } from "../../components/engine";

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
        const r = runWith(`[ "$1 $2 $3" = "version --format {{.Server.Os}}/{{.Server.Arch}}" ] && echo linux/arm64`);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(platformFromOutput(r.stdout), "linux/arm64");
    });

    it("fails naming the host, the user and the fix when the user may not use the engine", () => {
        const r = runWith(`echo "permission denied while trying to connect to the Docker daemon socket" >&2; exit 1`);
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /error on gfs1\.example\.net: user \S+ cannot use the Docker engine: permission denied/);
        assert.match(r.stderr, /Fix: add \S+ to the docker group/);
    });

    it("refuses output that names no platform", () => {
        assert.throws(() => platformFromOutput("hello"), /cannot read the Docker engine's platform/);
    });
});
