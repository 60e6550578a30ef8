/**
 * Where the live tests find the real Pulumi CLI, and the environment they run it in.
 *
 * `scripts/setup.sh` builds the CLI from its Go module at the version of @pulumi/pulumi into
 * a cache directory outside the repository (`<cache>/pulumi-v<version>/bin/pulumi`); the
 * tests use that one, never a `pulumi` on the user's PATH. Each stack runs offline: a
 * file:// backend of its own, no update check, no plugin downloads. The stand-in providers
 * are installed as plugins (`pulumi plugin install resource NAME VERSION --file LAUNCHER`)
 * into a PULUMI_HOME that the test process makes for itself, at the versions the SDKs ask
 * for, so the engine loads them as it loads any installed provider.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The version of @pulumi/pulumi, which the CLI must match (the Automation API checks it). */
export const PULUMI_VERSION: string = require("@pulumi/pulumi/package.json").version;

/** The stand-in providers, at the versions of the SDK packages this project uses. */
const STANDINS: Array<[name: string, version: string]> = ["docker", "command", "rancher2", "tls"].map((n) => [n, require(`@pulumi/${n}/package.json`).version]);
const STANDIN_MAIN = path.resolve(__dirname, "..", "standins", "main.ts");
const PROJECT_DIR = path.resolve(__dirname, "..", "..", "..");

/** The cache directory of scripts/setup.sh: GLUSTERFS_CLUSTER_CACHE, else $XDG_CACHE_HOME or ~/.cache, then glusterfs-cluster. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
    if (env.GLUSTERFS_CLUSTER_CACHE) return env.GLUSTERFS_CLUSTER_CACHE;
    return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "glusterfs-cluster");
}

/** The installation root of the CLI the tests use (it holds bin/pulumi); fails naming the fix when it is not built. */
export function cliRoot(env: NodeJS.ProcessEnv = process.env): string {
    const root = path.join(cacheDir(env), `pulumi-v${PULUMI_VERSION}`);
    if (!fs.existsSync(path.join(root, "bin", "pulumi"))) {
        throw new Error(
            `the Pulumi CLI v${PULUMI_VERSION} is not built at ${root}/bin/pulumi: run scripts/setup.sh (as root), which builds it from its Go module`,
        );
    }
    return root;
}

let home: string | undefined;

/** This process's PULUMI_HOME, with the stand-in providers installed (made on first use, removed at exit). */
export function pulumiHome(): string {
    if (home) return home;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "live-pulumi-home-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const bin = path.join(cliRoot(), "bin", "pulumi");
    for (const [name, version] of STANDINS) {
        const launcher = path.join(dir, `pulumi-resource-${name}`);
        fs.writeFileSync(launcher, launcherScript(name), { mode: 0o755 });
        execFileSync(bin, ["plugin", "install", "resource", name, version, "--file", launcher], {
            env: { ...process.env, PULUMI_HOME: dir, PULUMI_SKIP_UPDATE_CHECK: "true" },
            stdio: ["ignore", "ignore", "pipe"],
        });
        fs.rmSync(launcher);
    }
    home = dir;
    return dir;
}

/** A plugin executable that runs the stand-in `name` from this checkout (tests/live/standins/). */
export function launcherScript(name: string): string {
    return [
        "#!/bin/sh",
        `# The ${name} stand-in provider of ${PROJECT_DIR} (tests/live/standins/).`,
        `TS_NODE_PROJECT='${PROJECT_DIR}/tsconfig.json' TS_NODE_TRANSPILE_ONLY=true exec node -r '${PROJECT_DIR}/node_modules/ts-node/register' '${STANDIN_MAIN}' ${name} "$@"`,
        "",
    ].join("\n");
}

/** The environment of one stack's CLI: offline, its own backend, this process's home with the stand-ins. */
export function engineEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
        PULUMI_HOME: pulumiHome(),
        PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "live-tests",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        PATH: `${path.join(cliRoot(), "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        ...extra,
    };
}
