/** scripts/setup.sh's reading of apt's configuration: the Debian mirror the base image is built from. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SETUP = path.join(__dirname, "..", "..", "scripts", "setup.sh");

/** debian_mirror, taken from setup.sh, run against an apt directory holding `files`. */
function debianMirror(files: Record<string, string>): { status: number | null; lines: string[] } {
    const fn = /^debian_mirror\(\) \{\n[\s\S]*?\n\}\n/m.exec(fs.readFileSync(SETUP, "utf8"));
    assert.ok(fn, "no debian_mirror in setup.sh");
    const apt = fs.mkdtempSync(path.join(os.tmpdir(), "apt-"));
    try {
        fs.mkdirSync(path.join(apt, "sources.list.d"));
        for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(apt, name), text);
        const r = spawnSync("bash", ["-c", `${fn[0]}\ndebian_mirror`], { env: { PATH: process.env.PATH, GLUSTERFS_CLUSTER_APT_DIR: apt }, encoding: "utf8" });
        return { status: r.status, lines: r.stdout.split("\n").filter(Boolean) };
    } finally {
        fs.rmSync(apt, { recursive: true, force: true });
    }
}

const DEBIAN = [
    "Types: deb",
    "URIs: http://mirror.invalid/debian",
    "Suites: trixie trixie-updates",
    "Components: main",
    "",
    "Types: deb",
    "URIs: http://mirror.invalid/debian-security",
    "Suites: trixie-security",
    "Components: main",
    "",
].join("\n");
const VENDOR = ["Types: deb", "URIs: http://vendor.invalid/linux/debian", "Suites: trixie", "Components: stable", ""].join("\n");

describe("setup.sh: the Debian mirror from apt's configuration", () => {
    it("is one line: Debian's main archive, not a vendor's repository (Docker's) nor the security archive, in either format", () => {
        assert.deepStrictEqual(debianMirror({ "sources.list.d/a-vendor.sources": VENDOR, "sources.list.d/debian.sources": DEBIAN }).lines, [
            "http://mirror.invalid/debian",
        ]);
        const oneLine = debianMirror({
            "sources.list":
                "deb http://mirror.invalid/debian-security trixie-security main\ndeb [arch=amd64] http://mirror.invalid/debian trixie main contrib\n",
            "sources.list.d/docker.list": "deb [signed-by=/k.gpg] http://vendor.invalid/linux/debian trixie stable\n",
        });
        assert.deepStrictEqual(oneLine.lines, ["http://mirror.invalid/debian"]);
        // Both formats at once: still one line.
        assert.deepStrictEqual(
            debianMirror({ "sources.list.d/debian.sources": DEBIAN, "sources.list": "deb http://other.invalid/debian trixie main\n" }).lines,
            ["http://mirror.invalid/debian"],
        );
    });
});
