/**
 * Live-test helpers: reading gluster's state through its XML, clients, leftovers. Every
 * wait is a bounded poll; every command talks only to containers and networks the tests made.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { check, run } from "./run";

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

/**
 * A TLS client bundle laid out as tlsClientDockerArgs expects it on a client's host: the three
 * files under GlusterFS's names and the empty management switch.
 */
export function writeBundleDir(dir: string, bundle: { ca: string; cert: string; key: string }): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, text] of [
        ["glusterfs.ca", bundle.ca],
        ["glusterfs.pem", bundle.cert],
        ["glusterfs.key", bundle.key],
        ["secure-access", ""],
    ])
        fs.writeFileSync(path.join(dir, file), text, { mode: 0o600 });
}

/** The names of `containers` whose brick of `volume` holds `file`. */
export async function bricksHolding(containers: string[], volume: string, file: string): Promise<string[]> {
    const on: string[] = [];
    for (const c of containers) if ((await run(["docker", "exec", c, "test", "-e", `/bricks/${volume}/${file}`])).code === 0) on.push(c);
    return on;
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

/**
 * An sshd on loopback of this machine (key-only root login), standing for "a remote host
 * that is in fact this machine": the local engine declared as an SSH host.
 */
export async function loopbackSshd(port: number): Promise<{ privateKey: string; stop: () => Promise<void> }> {
    const fs = await import("fs");
    const os = await import("os");
    const path = await import("path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopback-sshd-"));
    await check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", `${dir}/host_key`]);
    await check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "loopback", "-f", `${dir}/id`]);
    fs.copyFileSync(`${dir}/id.pub`, `${dir}/authorized_keys`);
    fs.mkdirSync("/run/sshd", { recursive: true });
    fs.writeFileSync(
        `${dir}/sshd_config`,
        [
            `ListenAddress 127.0.0.1:${port}`,
            `HostKey ${dir}/host_key`,
            `PidFile ${dir}/sshd.pid`,
            `PermitRootLogin prohibit-password`,
            `PasswordAuthentication no`,
            `KbdInteractiveAuthentication no`,
            `UsePAM no`,
            `StrictModes no`,
            `AuthorizedKeysFile ${dir}/authorized_keys`,
            ``,
        ].join("\n"),
    );
    await check(["/usr/sbin/sshd", "-f", `${dir}/sshd_config`]);
    const key = fs.readFileSync(`${dir}/id`, "utf8");
    await eventually(
        "the loopback sshd",
        10_000,
        async () =>
            (
                await run([
                    "ssh",
                    "-i",
                    `${dir}/id`,
                    "-p",
                    String(port),
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    "StrictHostKeyChecking=no",
                    "-o",
                    "UserKnownHostsFile=/dev/null",
                    "-o",
                    "LogLevel=ERROR",
                    "root@127.0.0.1",
                    "true",
                ])
            ).code === 0,
    );
    return {
        privateKey: key,
        stop: async () => {
            const pid = fs.existsSync(`${dir}/sshd.pid`) ? fs.readFileSync(`${dir}/sshd.pid`, "utf8").trim() : "";
            if (pid) await run(["kill", pid]);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
