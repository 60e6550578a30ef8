import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { imageBuildContext, imageContextDir, projectImageName } from "../../components/image";

describe("the project's image", () => {
    let tmp: string;
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "image-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    /** A copy of the image's directory, to change. */
    function copy(): string {
        const dir = path.join(tmp, "copy");
        fs.cpSync(imageContextDir(), dir, { recursive: true });
        return dir;
    }

    it("is tagged by the content of its Dockerfile and entrypoint, not by where they are or what lies beside them", () => {
        const dir = copy();
        const name = projectImageName();
        assert.match(name, /^glusterfs-cluster\/glusterfs:11-[0-9a-f]{12}$/);
        assert.strictEqual(projectImageName(dir), name);
        fs.writeFileSync(path.join(dir, "NOTES"), "not part of the image");
        assert.strictEqual(projectImageName(dir), name);
        fs.appendFileSync(path.join(dir, "entrypoint.sh"), "\n# changed\n");
        const afterEntrypoint = projectImageName(dir);
        assert.notStrictEqual(afterEntrypoint, name);
        fs.appendFileSync(path.join(dir, "Dockerfile"), "\n# changed\n");
        assert.notStrictEqual(projectImageName(dir), afterEntrypoint);
    });

    it("tells the files apart: text moved across the boundary between them changes the tag", () => {
        const dir = copy();
        const write = (dockerfile: string, entrypoint: string) => {
            fs.writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
            fs.writeFileSync(path.join(dir, "entrypoint.sh"), entrypoint);
            return projectImageName(dir);
        };
        // Each pair would hash the same bytes if a name were not ended by NUL, or a content.
        assert.notStrictEqual(write("x\0entrypoint.shy", "z"), write("x", "y\0entrypoint.shz"));
        assert.notStrictEqual(write("x", "entrypoint.sh\0y"), write("xentrypoint.sh\0", "y"));
    });

    it("is found in the start directory or up to three above it, and refused with the reason beyond", () => {
        const root = path.join(tmp, "pkg");
        fs.mkdirSync(path.join(root, "docker", "glusterfs"), { recursive: true });
        fs.writeFileSync(path.join(root, "docker", "glusterfs", "Dockerfile"), "FROM x\n");
        const three = path.join(root, "a", "b", "c");
        fs.mkdirSync(path.join(three, "d"), { recursive: true });
        assert.strictEqual(imageContextDir(root), path.join(root, "docker", "glusterfs"));
        assert.strictEqual(imageContextDir(three), path.join(root, "docker", "glusterfs"));
        assert.throws(
            () => imageContextDir(path.join(three, "d")),
            (e: Error) => e.message === `GlusterCluster: cannot find docker/glusterfs/Dockerfile above ${path.join(three, "d")}; the package is incomplete.`,
        );
    });

    it("is built from a context relative to the working directory, '.' when it is the context", () => {
        const cwd = process.cwd();
        try {
            process.chdir(path.dirname(path.dirname(imageContextDir())));
            assert.deepStrictEqual(imageBuildContext(), { context: "docker/glusterfs", dockerfile: "docker/glusterfs/Dockerfile" });
            process.chdir(imageContextDir());
            assert.deepStrictEqual(imageBuildContext(), { context: ".", dockerfile: "Dockerfile" });
        } finally {
            process.chdir(cwd);
        }
    });
});
