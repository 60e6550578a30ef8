import * as assert from "assert";
import { execFileSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

describe("the package", () => {
    it("is importable from its compiled entry point, with its types", () => {
        const pkg = require(path.join(ROOT, "package.json"));
        const m = require(path.join(ROOT, pkg.main));
        assert.strictEqual(typeof m.GlusterCluster, "function");
        assert.strictEqual(m.GLUSTER_CLUSTER_TYPE, "glusterfs:index:GlusterCluster");
        assert.strictEqual(typeof m.clusterArgsFromConfig, "function");
        assert.ok(require("fs").existsSync(path.join(ROOT, pkg.types)));
    });

    it("has a testing entry point (glusterfs-cluster/testing) with the mocks for consumers' tests", () => {
        const testing = require(path.join(ROOT, "testing"));
        assert.strictEqual(typeof testing.glusterMocks, "function");
        assert.ok(require("fs").existsSync(path.join(ROOT, "bin", "components", "testing.d.ts")));
    });

    it("finds its image from the compiled files too", () => {
        const image = require(path.join(ROOT, "bin", "components", "image"));
        assert.strictEqual(image.imageContextDir(), path.join(ROOT, "docker", "glusterfs"));
    });

    it("ships the compiled component and the image's files", () => {
        const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT }).toString();
        const files = (JSON.parse(out)[0].files as Array<{ path: string }>).map((f) => f.path);
        for (const f of [
            "bin/components/index.js",
            "bin/components/index.d.ts",
            "bin/components/testing.js",
            "bin/components/testing.d.ts",
            "testing/package.json",
            "docker/glusterfs/Dockerfile",
            "docker/glusterfs/entrypoint.sh",
            "README.md",
        ]) {
            assert.ok(files.includes(f), `${f} is not in the package`);
        }
        assert.ok(!files.some((f) => f.startsWith("tests/")), "tests are shipped");
    });
});
