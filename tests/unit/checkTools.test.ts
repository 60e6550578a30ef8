/** `npm test` first checks the host tools the unit tests run (scripts/check-tools.sh). */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { tempDir } from "../support/temp-dirs";

const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "check-tools.sh");

/** Runs the check with only `tools` on PATH (each linked to the machine's own). */
function checkWith(tools: string[]) {
    const bin = tempDir("tools-");
    for (const t of tools) {
        const real = spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
        if (real) fs.symlinkSync(real, path.join(bin, t));
    }
    return spawnSync("/bin/sh", [SCRIPT], { env: { PATH: bin }, encoding: "utf8" });
}

describe("npm test's check of the host tools", () => {
    it("passes with every tool the unit tests run", () => {
        const r = checkWith(["xmllint", "systemd-analyze", "bash", "getent", "shellcheck", "openssl"]);
        assert.strictEqual(r.status, 0, r.stderr);
    });

    it("stops with one message naming each missing tool, its package and the command that installs them, never the image", () => {
        const r = checkWith(["bash", "getent", "shellcheck", "openssl"]);
        assert.strictEqual(r.status, 1);
        assert.match(
            r.stderr,
            /^npm test: the unit tests need these tools on this machine, missing here: xmllint \(libxml2-utils\) systemd-analyze \(systemd\)\.\n/,
        );
        assert.match(r.stderr, /sudo apt-get install -y libxml2-utils systemd shellcheck/);
        assert.doesNotMatch(r.stderr, /image/);
    });
});
