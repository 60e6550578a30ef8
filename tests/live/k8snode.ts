/**
 * Kubernetes nodes for the live tests: containers of glusterfs-cluster/k8s-node:{trixie,bookworm}
 * (tests/live/k8snode/, built by scripts/setup.sh) that run systemd as PID 1 and sshd (root,
 * key only), so a test can install a systemd .mount unit for a GlusterFS volume, reboot the
 * node (docker restart) and read what rke2-agent.service — a stand-in for the RKE2 agent — saw
 * when it started. Every wait is a bounded poll; nothing here talks to anything but the node.
 */
import { eventually } from "./support";
import { check, run, RunResult } from "./run";

export const NODE_IMAGES = {
    /** systemd 257, GlusterFS 11.1. */
    trixie: "glusterfs-cluster/k8s-node:trixie",
    /** systemd 252, GlusterFS 10.3. */
    bookworm: "glusterfs-cluster/k8s-node:bookworm",
} as const;

/**
 * What systemd and the GlusterFS client need, and no more (verified on a cgroup v1 "hybrid"
 * machine with the cgroupfs driver, Docker 20.10, on both images):
 * - SYS_ADMIN: systemd mounts the tmpfs on /run and /run/lock itself (hence no `--tmpfs`), and
 *   the FUSE client mounts, through /dev/fuse.
 * - LINUX_IMMUTABLE: `chattr +i` on a mount point, so a write there fails while the volume is
 *   not mounted instead of landing on the node's own disk.
 * - a private cgroup namespace: systemd then sees its own cgroup as the root and manages it.
 *   With the host's namespace (Docker's default on cgroup v1) bookworm's systemd exits at
 *   once ("Failed to allocate manager object"); bind-mounting /sys/fs/cgroup instead works
 *   but hands the container the machine's whole cgroup tree, writable (the bind is recursive,
 *   `:ro` holds for the top tmpfs only). systemd logs that it cannot keep its compat name=systemd
 *   v1 hierarchy (read-only there) and goes on: it tracks units in the cgroup2 one.
 * Not `--privileged` (which fails on this machine anyway).
 */
export const NODE_RUN_FLAGS = ["--cap-add", "SYS_ADMIN", "--cap-add", "LINUX_IMMUTABLE", "--device", "/dev/fuse", "--cgroupns", "private"];

export interface K8sNode {
    /** The container's name, also its hostname. */
    name: string;
    /** Its address on the network it was started on (it may change when it restarts). */
    ip: string;
    /** The node's ed25519 host key, "ssh-ed25519 AAAA…" (no comment), as sshd serves it: for pinning. */
    hostKey: string;
}

export interface StartOptions {
    /** Labels on the container (e.g. the one removeLeftovers looks for). */
    labels?: Record<string, string>;
    /** How long boot may take until sshd answers. Defaults to 60 s. */
    readyMs?: number;
    /** A fixed address on the network (it then stays across restarts and reconnects). */
    ip?: string;
}

/** One start of rke2-agent.service: when, and which GlusterFS mounts existed then. */
export interface AgentStart {
    /** Seconds since the epoch. */
    realtime: number;
    /** Seconds since the machine booted (/proc/uptime: containers share the machine's clock). */
    monotonic: number;
    /** Mount points of fuse.glusterfs file systems when the agent started (empty: none). */
    glusterfs: string[];
    /**
     * The ActiveState of each one's mount unit then, e.g. { "mnt-kv.mount": "active" }. A FUSE
     * mount is in the mount table while its unit is still "activating" (the client started, the
     * volume may not answer yet): "mounted when the agent started" means "active" here.
     */
    units: Record<string, string>;
    line: string;
}

/** Runs `script` with bash in the node (`docker exec`); `input` goes to its standard input. Resolves with the result, whatever the exit code. */
export function inNodeResult(name: string, script: string, input?: string, timeoutMs = 120_000): Promise<RunResult> {
    return run(["docker", "exec", "-i", name, "bash", "-c", script], { input, timeoutMs });
}

/** Runs `script` with bash in the node and returns its trimmed output; throws on a non-zero exit. */
export function inNode(name: string, script: string, input?: string, timeoutMs = 120_000): Promise<string> {
    return check(["docker", "exec", "-i", name, "bash", "-c", script], { input, timeoutMs });
}

/**
 * Starts a node on `network` (hostname = `name`), lets root in with `authorizedKey` (an
 * OpenSSH public key line) and waits until systemd has booted and sshd serves the node's host key.
 */
export async function startNode(name: string, image: string, network: string, authorizedKey: string, opts: StartOptions = {}): Promise<K8sNode> {
    const labels = Object.entries(opts.labels ?? {}).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    const ip = opts.ip ? ["--ip", opts.ip] : [];
    await check(["docker", "run", "-d", "--name", name, "--hostname", name, "--network", network, ...ip, ...labels, ...NODE_RUN_FLAGS, image]);
    await inNode(name, "umask 077 && mkdir -p /root/.ssh && cat >/root/.ssh/authorized_keys", `${authorizedKey.trim()}\n`);
    return waitReady(name, network, opts.readyMs ?? 60_000);
}

/** Reboots the node: `docker restart` (systemd shuts down on SIGRTMIN+3 and boots again), then the same wait as startNode. */
export async function restartNode(name: string, readyMs = 60_000): Promise<K8sNode> {
    const network = await check(["docker", "inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}", name]);
    // A shutdown that has to give up on a mount whose servers are gone takes a while; 30 s
    // before Docker kills it (10 by default).
    await check(["docker", "restart", "-t", "30", name], { timeoutMs: 90_000 });
    return waitReady(name, network, readyMs);
}

/**
 * Removes the node and its anonymous volumes. An immutable mount point in the container's own
 * layer does not stand in the way: overlayfs keeps the flag in an xattr of its own
 * (overlay.protattr), not on the upper directory's inode (verified: `docker rm -f` of a node
 * with a `chattr +i` directory succeeds; on a named volume it would not).
 */
export async function removeNode(name: string): Promise<void> {
    if ((await run(["docker", "inspect", name])).code !== 0) return;
    await check(["docker", "rm", "-f", "-v", name], { timeoutMs: 60_000 });
}

/** Every start of rke2-agent.service the node has seen, oldest first (its log survives reboots). */
export async function agentLog(name: string): Promise<AgentStart[]> {
    const text = await inNode(name, "cat /var/log/rke2-agent.log 2>/dev/null || true");
    return text
        .split("\n")
        .filter(Boolean)
        .map((line) => {
            const field = (k: string) => new RegExp(`(?:^| )${k}=(\\S*)`).exec(line)?.[1] ?? "";
            return {
                realtime: Number(field("realtime")),
                monotonic: Number(field("monotonic")),
                glusterfs: field("glusterfs").split(",").filter(Boolean),
                units: Object.fromEntries(
                    field("units")
                        .split(",")
                        .filter(Boolean)
                        .map((u) => [u.slice(0, u.lastIndexOf(":")), u.slice(u.lastIndexOf(":") + 1)]),
                ),
                line,
            };
        });
}

/**
 * The units rke2-agent.service is ordered after, as systemd resolved them: a mount unit with
 * `Before=rke2-agent.service` is among them. The agent's log alone cannot prove the order: a
 * mount from a server that answers at once wins the race against an unordered agent too.
 */
export async function agentAfter(name: string): Promise<string[]> {
    return (await inNode(name, "systemctl show -p After --value rke2-agent.service")).split(/\s+/).filter(Boolean);
}

async function waitReady(name: string, network: string, limitMs: number): Promise<K8sNode> {
    let state = "";
    const booted = eventually(`systemd in ${name} to finish booting`, limitMs, async () => {
        const up = await run(["docker", "inspect", "-f", "{{.State.Running}}", name]);
        if (up.stdout.trim() !== "true") {
            const logs = await run(["docker", "logs", "--tail", "20", name]);
            throw new Error(`node ${name} is not running (systemd exited?)\n${logs.stdout}${logs.stderr}`);
        }
        // "initializing" and "starting" while it boots; "degraded" when a unit failed, which is the test's business.
        state = (await run(["docker", "exec", name, "systemctl", "is-system-running"])).stdout.trim();
        return state === "running" || state === "degraded";
    });
    await booted.catch((e: Error) => {
        throw new Error(`${e.message} (systemctl is-system-running: ${state || "no answer"})`);
    });
    const ip = await check(["docker", "inspect", "-f", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name]);
    const own = (await inNode(name, "cat /etc/ssh/ssh_host_ed25519_key.pub")).split(" ").slice(0, 2).join(" ");
    let served = "";
    // sshd answers on the node's address with the key it made at first boot.
    await eventually(`sshd of ${name} at ${ip}`, limitMs, async () => {
        const scan = await run(["ssh-keyscan", "-T", "2", "-t", "ed25519", ip], { timeoutMs: 10_000 });
        served = scan.stdout
            .split("\n")
            .filter((l) => l && !l.startsWith("#"))
            .map((l) => l.split(" ").slice(1, 3).join(" "))
            .concat("")[0];
        return served !== "";
    });
    if (served !== own) throw new Error(`sshd of ${name} serves ${served}, not the node's own key ${own}`);
    return { name, ip, hostKey: own };
}
