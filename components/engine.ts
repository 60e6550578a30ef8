/**
 * What a host's Docker engine is, asked on the host by the user the commands run as: its
 * ID (which names the storage of the nodes on it, for the identity guard), the platform
 * images must be built for, and whether that user may use the engine at all.
 * Images are built for the target engine's platform, never for the machine that runs
 * `pulumi` (the Docker provider's default when `build.platform` is unset).
 */
import { shq } from "./shell";

/** The script of a host's engine command. Prints `platform: <os>/<arch>` and `engine: <ID>`. */
export function engineScript(host: string): string {
    return [
        `host=${shq(host)}`,
        `set -eu`,
        `# The Docker CLI follows DOCKER_HOST (else the default socket), as the Docker provider does.`,
        `if ! out=$(docker version --format '{{.Server.Os}}/{{.Server.Arch}}' 2>&1); then`,
        `  echo "error on $host: user $(id -un) cannot use the Docker engine: $out" >&2`,
        `  echo "Fix: add $(id -un) to the docker group (usermod -aG docker $(id -un)), or run as a user that may use docker." >&2`,
        `  exit 1`,
        `fi`,
        `# On its own line, so that set -e stops here if the engine fails to answer.`,
        `id=$(docker info --format '{{.ID}}')`,
        `echo "platform: $out"`,
        `echo "engine: $id"`,
        ``,
    ].join("\n");
}

/** The platform an engine script printed, e.g. `linux/amd64`. */
export function platformFromOutput(stdout: string): string {
    const m = /^platform: (\S+\/\S+)$/m.exec(stdout);
    if (!m) throw new Error(`GlusterCluster: cannot read the Docker engine's platform from ${JSON.stringify(stdout)}`);
    return m[1];
}

/** The engine ID an engine script printed. */
export function engineIdFromOutput(stdout: string): string {
    const m = /^engine: (\S+)$/m.exec(stdout);
    if (!m) throw new Error(`GlusterCluster: cannot read the Docker engine's ID from ${JSON.stringify(stdout)}`);
    return m[1];
}

/** What a healthy engine's script prints: the answer of the package's test mocks (testing.ts). */
export function engineOutputForTests(host: string, platform = "linux/amd64"): string {
    return `platform: ${platform}\nengine: mock-engine-${host}`;
}

/** Whether `script` is an engine script (the test mocks answer it). */
export function isEngineScript(script: string): boolean {
    return script.includes(`echo "engine: $id"`);
}
