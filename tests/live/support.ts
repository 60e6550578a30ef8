/**
 * Live-test helpers: reading gluster's state through its XML, clients, leftovers. Every
 * wait is a bounded poll; every command talks only to containers and networks the tests made.
 */
import * as assert from "assert";
import { check, run } from "./harness/run";

export type Docker = (...args: string[]) => Promise<string>;

/** `docker` against a given engine (default: the local one). */
export function dockerOn(host?: string): Docker {
    return (...args: string[]) => check(host ? ["docker", "-H", host, ...args] : ["docker", ...args]);
}
export const docker = dockerOn();

/** Fails (never skips) when no Docker engine answers. */
export async function requireEngine(host?: string): Promise<void> {
    const r = await run(host ? ["docker", "-H", host, "info", "--format", "{{.ServerVersion}}"] : ["docker", "info", "--format", "{{.ServerVersion}}"]);
    assert.strictEqual(r.code, 0, `no Docker engine answers${host ? ` at ${host}` : ""}; run scripts/setup.sh first.\n${r.stderr}`);
}

/** Runs `gluster --mode=script --xml ARGS` in `container` and evaluates `xpath` over the reply with xmllint. */
export async function gx(d: Docker, container: string, args: string, xpath: string): Promise<string> {
    const script = `gluster --mode=script --xml ${args} | xmllint --xpath "${xpath.replace(/"/g, '\\"')}" -`;
    const r = await d("exec", container, "sh", "-c", `${script} 2>/dev/null || true`);
    return r.trim();
}

export async function nodeUuid(d: Docker, container: string): Promise<string> {
    return (await d("exec", container, "sed", "-n", "s/^UUID=//p", "/var/lib/glusterd/glusterd.info")).trim();
}

/** Polls `probe` every `everyMs` until it returns true; fails with `what` after `limitMs`. */
export async function eventually(what: string, limitMs: number, probe: () => Promise<boolean>, everyMs = 250): Promise<void> {
    const deadline = Date.now() + limitMs;
    for (;;) {
        if (await probe()) return;
        if (Date.now() > deadline) throw new Error(`gave up after ${limitMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}

/** Removes containers, volumes and networks labelled as belonging to `cluster` (leftovers of an earlier run). */
export async function removeLeftovers(d: Docker, cluster: string, extraContainers: string[] = []): Promise<void> {
    const label = `label=io.glusterfs-cluster.cluster=${cluster}`;
    const containers = (await d("ps", "-aq", "--filter", label)).split("\n").filter(Boolean);
    const extra = [];
    for (const c of extraContainers) if ((await run(["docker", "inspect", c])).code === 0) extra.push(c);
    if (containers.length + extra.length > 0) await d("rm", "-f", "-v", ...containers, ...extra);
    const volumes = (await d("volume", "ls", "-q", "--filter", label)).split("\n").filter(Boolean);
    if (volumes.length > 0) await d("volume", "rm", ...volumes);
    const networks = (await d("network", "ls", "-q", "--filter", label)).split("\n").filter(Boolean);
    if (networks.length > 0) await d("network", "rm", ...networks);
}

/** What the engine holds for `cluster`: container, volume and network names. */
export async function engineHolds(d: Docker, cluster: string): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
    const label = `label=io.glusterfs-cluster.cluster=${cluster}`;
    const list = async (...args: string[]) => (await d(...args)).split("\n").filter(Boolean).sort();
    return {
        containers: await list("ps", "-a", "--format", "{{.Names}}", "--filter", label),
        volumes: await list("volume", "ls", "--format", "{{.Name}}", "--filter", label),
        networks: await list("network", "ls", "--format", "{{.Name}}", "--filter", label),
    };
}
