import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** The files of the project's image, in the order they are hashed. */
function imageFiles(): string[] {
    return ["Dockerfile", "entrypoint.sh"];
}

/**
 * The directory of the project's image (`docker/glusterfs/`). It is found relative to this
 * file, so it works from the sources (`components/`), from the compiled package
 * (`bin/components/`) and from `node_modules`: it looks in `from` and its three parents.
 */
export function imageContextDir(from: string = __dirname): string {
    let dir = from;
    for (let i = 0; i < 4; i++) {
        const candidate = path.join(dir, "docker", "glusterfs");
        if (fs.existsSync(path.join(candidate, "Dockerfile"))) {
            return candidate;
        }
        dir = path.dirname(dir);
    }
    throw new Error(`GlusterCluster: cannot find docker/glusterfs/Dockerfile above ${from}; the package is incomplete.`);
}

/**
 * The project image's name. Its tag is a hash of the image's files, so that a changed
 * image is a changed input (the containers are replaced) and an unchanged one is not.
 * `dir` is the image's directory (tests hash a copy).
 */
export function projectImageName(dir: string = imageContextDir()): string {
    const hash = crypto.createHash("sha256");
    for (const file of imageFiles()) {
        hash.update(file)
            .update("\0")
            .update(fs.readFileSync(path.join(dir, file)))
            .update("\0");
    }
    return `glusterfs-cluster/glusterfs:11-${hash.digest("hex").slice(0, 12)}`;
}

/**
 * The build context as the Docker provider takes it: relative to the program's working
 * directory, so the same program gives the same input from any checkout.
 */
export function imageBuildContext(): { context: string; dockerfile: string } {
    const context = path.relative(process.cwd(), imageContextDir()) || ".";
    return { context, dockerfile: path.join(context, "Dockerfile") };
}
