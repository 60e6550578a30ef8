/**
 * Helpers for the rolling-replacement tests: a second image to upgrade to, a client that
 * writes and verifies with fio for as long as a change runs, a sampler of running brick
 * containers, and the checksums of what a brick holds.
 */
import { Docker, eventually } from "./support";
import { check } from "./run";

/** The live tests' client image (fio on top of the project's image; built by scripts/setup.sh). */
export const TEST_CLIENT_IMAGE = "glusterfs-cluster/test-client:latest";

/** An image that differs from `base` only by a label: what an upgrade looks like to the component. */
export async function upgradedImage(base: string, tag: string, on: (argv: string[]) => string[] = (a) => a): Promise<string> {
    const name = `glusterfs-cluster/glusterfs:test-${tag}`;
    await check(on(["docker", "build", "-q", "-t", name, "-"]), {
        input: `FROM ${base}\nLABEL io.glusterfs-cluster.test-upgrade=${tag}\n`,
        timeoutMs: 300_000,
    });
    return name;
}

/**
 * A client container that mounts the volume and runs fio in rounds (write 64 MiB at random
 * offsets, verifying each block with crc32c as it goes and fatally on the first mismatch)
 * until told to stop; any I/O error or failed verification ends it with an error.
 */
export class ClientWriter {
    private constructor(
        private readonly d: Docker,
        readonly name: string,
        readonly mountPoint: string,
    ) {}

    static async start(
        d: Docker,
        name: string,
        image: string,
        clientArgs: string[],
        mountCommand: string,
        mountPoint: string,
        runArgs: string[] = [],
    ): Promise<ClientWriter> {
        await d("run", "-d", "--name", name, ...runArgs, ...clientArgs, "--entrypoint", "sleep", image, "infinity");
        const w = new ClientWriter(d, name, mountPoint);
        await w.sh(`mkdir -p ${mountPoint} && ${mountCommand} && findmnt -n -o FSTYPE ${mountPoint} | grep -qx fuse.glusterfs`);
        return w;
    }

    sh(script: string): Promise<string> {
        return this.d("exec", this.name, "sh", "-c", script);
    }

    /** Starts the rounds in the background. */
    async run(): Promise<void> {
        const loop = [
            `rm -f /tmp/stop /tmp/result`,
            `mkdir -p ${this.mountPoint}/fio`,
            `i=0`,
            `while [ ! -f /tmp/stop ]; do`,
            `  i=$((i + 1))`,
            `  fio --name=w --directory=${this.mountPoint}/fio --size=64M --bs=64k --rw=randwrite --ioengine=psync --verify=crc32c --verify_fatal=1 --do_verify=1 --verify_backlog=128 --fsync_on_close=1 --output=/tmp/fio-$i.log || { echo "failed $i" > /tmp/result; exit 1; }`,
            `done`,
            `echo "ok $i" > /tmp/result`,
        ].join("\n");
        await this.d("exec", "-d", this.name, "sh", "-c", loop);
    }

    /** Stops after the current round; returns whether every round passed, and how many ran. */
    async stop(): Promise<{ ok: boolean; rounds: number; detail: string }> {
        await this.sh("touch /tmp/stop");
        let result = "";
        await eventually(
            "the writer to finish its round",
            180_000,
            async () => {
                result = await this.sh("cat /tmp/result 2>/dev/null || true");
                return result !== "";
            },
            500,
        );
        const [status, n] = result.split(" ");
        const detail = status === "ok" ? "" : await this.sh(`grep -h -E "err=|error|verify" /tmp/fio-${n}.log | head -5 || true`);
        return { ok: status === "ok", rounds: Number(n), detail };
    }

    async stopClient(): Promise<void> {
        await this.d("rm", "-f", this.name);
    }
}

/**
 * Samples, every 0.2 s until stopped, how many of `names` run: the fewest seen is what the
 * clients lived through.
 */
export function sampleRunning(
    d: Docker | Docker[],
    cluster: string,
    names: string[],
): { stop: () => Promise<void>; minimum: () => number; samples: () => number } {
    const engines = Array.isArray(d) ? d : [d];
    let stopped = false;
    let min = names.length;
    let count = 0;
    const loop = (async () => {
        while (!stopped) {
            const running = (
                await Promise.all(
                    engines.map((e) =>
                        e("ps", "--filter", `label=io.glusterfs-cluster.cluster=${cluster}`, "--filter", "status=running", "--format", "{{.Names}}").catch(
                            () => "",
                        ),
                    ),
                )
            )
                .join("\n")
                .split("\n")
                .filter((n) => names.includes(n));
            min = Math.min(min, running.length);
            count++;
            await new Promise((r) => setTimeout(r, 200));
        }
    })();
    return {
        stop: async () => {
            stopped = true;
            await loop;
        },
        minimum: () => min,
        samples: () => count,
    };
}

/** Each node's brick content under `dir`, as sorted "sha256  path" lines (GlusterFS's own .glusterfs left out). */
export async function brickChecksums(on: (node: string) => Docker, nodes: string[], dir: string): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const n of nodes) {
        const listing = await on(n)("exec", n, "sh", "-c", `cd ${dir} && find . -path ./.glusterfs -prune -o -type f -print | sort | xargs -r sha256sum`);
        out[n] = listing.split("\n").filter(Boolean);
    }
    return out;
}
