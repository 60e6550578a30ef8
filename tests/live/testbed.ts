/**
 * A bed of hosts on one machine, for host-mode tests: network namespaces joined by a
 * bridge, each cluster host with its own Docker engine and its own sshd (key-only root
 * login; `docker` in an SSH session talks to that host's engine), a client host with an
 * engine of its own, and an outsider with nothing. Traffic goes only to these addresses.
 * Setup removes leftovers of its own names first; teardown removes everything it made.
 */
import * as fs from "fs";
import * as path from "path";
import { check, run } from "./run";

export const SUBNET = "10.77.0";
export const BRIDGE = "gtbr0";
/** The machine's own address on the bridge (it reaches the hosts over SSH from there). */
export const MACHINE_IP = `${SUBNET}.254`;
const ROOT = "/var/tmp/gt";
const KEY = `${ROOT}/id_ed25519`;
/**
 * What a runner needs for `ssh://` Docker endpoints (the Docker provider dials through the
 * runner's own `ssh`, which reads ~/.ssh/config or /etc/ssh/ssh_config.d and checks
 * known_hosts): the bed's hosts get a config file there for the length of the tests.
 */
const SSH_CLIENT_CONFIG = "/etc/ssh/ssh_config.d/gluster-testbed.conf";
const SSH_MUX_DIR = "/run/gt-ssh";
const KNOWN_HOSTS = `${ROOT}/known_hosts`;

export interface BedHost {
    name: string;
    ns: string;
    ip: string;
    /** The name peers and clients use (resolved through extraHosts / --add-host). */
    hostname: string;
    /** unix:///… socket of the host's Docker engine, when it has one. */
    dockerHost?: string;
    sshd: boolean;
    /** A second address the host answers on (and its sshd listens on). */
    alias?: string;
}

export const HOSTS: BedHost[] = [
    { name: "h1", ns: "gt-h1", ip: `${SUBNET}.1`, hostname: "h1.gt.test", dockerHost: "unix:///run/gt-h1/docker.sock", sshd: true, alias: `${SUBNET}.101` },
    { name: "h2", ns: "gt-h2", ip: `${SUBNET}.2`, hostname: "h2.gt.test", dockerHost: "unix:///run/gt-h2/docker.sock", sshd: true },
    { name: "h3", ns: "gt-h3", ip: `${SUBNET}.3`, hostname: "h3.gt.test", dockerHost: "unix:///run/gt-h3/docker.sock", sshd: true },
    { name: "h4", ns: "gt-h4", ip: `${SUBNET}.4`, hostname: "h4.gt.test", dockerHost: "unix:///run/gt-h4/docker.sock", sshd: true },
    { name: "h5", ns: "gt-h5", ip: `${SUBNET}.5`, hostname: "h5.gt.test", dockerHost: "unix:///run/gt-h5/docker.sock", sshd: true },
    { name: "client", ns: "gt-client", ip: `${SUBNET}.20`, hostname: "client.gt.test", dockerHost: "unix:///run/gt-client/docker.sock", sshd: false },
    { name: "outsider", ns: "gt-out", ip: `${SUBNET}.30`, hostname: "outsider.gt.test", sshd: false },
];
export const CLUSTER_HOSTS = HOSTS.slice(0, 3);
/** Hosts for pool-only nodes (the fourth and fifth). */
export const EXTRA_HOSTS = HOSTS.slice(3, 5);
export const SERVER_HOSTS = HOSTS.slice(0, 5);
export const CLIENT_HOST = HOSTS[5];
export const OUTSIDER = HOSTS[6];

const sh = (script: string) => check(["bash", "-c", script], { timeoutMs: 120_000 });
const shQuiet = (script: string) => run(["bash", "-c", script], { timeoutMs: 120_000 });

/** Runs `script` with bash inside a host's network namespace (the machine's files, the host's network). */
export function inNs(host: BedHost, script: string): Promise<string> {
    return check(["nsenter", `--net=/var/run/netns/${host.ns}`, "bash", "-c", script], { timeoutMs: 120_000 });
}
export function inNsResult(host: BedHost, script: string) {
    return run(["nsenter", `--net=/var/run/netns/${host.ns}`, "bash", "-c", script], { timeoutMs: 120_000 });
}

export function privateKey(): string {
    return fs.readFileSync(KEY, "utf8");
}

/** A key pair that no host accepts. */
export async function strangerKey(): Promise<string> {
    const file = `${ROOT}/stranger_ed25519`;
    if (!fs.existsSync(file)) await check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stranger", "-f", file]);
    return fs.readFileSync(file, "utf8");
}

async function waitFor(what: string, limitMs: number, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!(await probe())) {
        if (Date.now() > deadline) throw new Error(`test bed: gave up waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

/** The TLS port of the first host's engine, which wants client certificates (`dockerd --tlsverify`). */
export const TLS_PORT = 2376;
const TLS_DIR = `${ROOT}/tls`;

/**
 * A CA, a server certificate for the first host's address, and a client certificate it
 * signed; and a client certificate of another CA, which the engine must refuse.
 */
async function makeTlsMaterial(ip: string): Promise<void> {
    fs.mkdirSync(TLS_DIR, { recursive: true });
    const ca = (name: string) =>
        `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=${name} -keyout ${TLS_DIR}/${name}-key.pem -out ${TLS_DIR}/${name}.pem`;
    const leaf = (name: string, signer: string, ext: string) =>
        `openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=${name} -keyout ${TLS_DIR}/${name}-key.pem -out ${TLS_DIR}/${name}.csr && ` +
        `printf '%s\n' '${ext}' > ${TLS_DIR}/${name}.ext && ` +
        `openssl x509 -req -in ${TLS_DIR}/${name}.csr -CA ${TLS_DIR}/${signer}.pem -CAkey ${TLS_DIR}/${signer}-key.pem -CAcreateserial -days 2 -extfile ${TLS_DIR}/${name}.ext -out ${TLS_DIR}/${name}.pem`;
    await sh(
        [
            ca("bed-ca"),
            ca("stranger-ca"),
            leaf("server", "bed-ca", `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth`),
            leaf("client", "bed-ca", "extendedKeyUsage=clientAuth"),
            leaf("stranger", "stranger-ca", "extendedKeyUsage=clientAuth"),
        ]
            .map((c) => `${c} 2>/dev/null`)
            .join(" && "),
    );
}

/** TLS material for the first host's tcp:// endpoint: from the engine's CA, or (stranger) from another CA. */
export function dockerTls(stranger = false): { caCert: string; cert: string; key: string } {
    const read = (f: string) => fs.readFileSync(`${TLS_DIR}/${f}`, "utf8");
    const who = stranger ? "stranger" : "client";
    return { caCert: read("bed-ca.pem"), cert: read(`${who}.pem`), key: read(`${who}-key.pem`) };
}

/** The first host's engine as a tcp:// endpoint with TLS. */
export function tcpDockerHost(h: BedHost): string {
    return `tcp://${h.ip}:${TLS_PORT}`;
}

async function startEngine(h: BedHost, images: string[], load = true): Promise<void> {
    const run_ = `/run/gt-${h.name}`;
    const data = `${ROOT}/${h.name}/docker`;
    fs.mkdirSync(run_, { recursive: true });
    fs.mkdirSync(data, { recursive: true });
    // The first host's engine also listens on its TLS port and wants client certificates.
    const tls =
        h === HOSTS[0]
            ? `-H tcp://${h.ip}:${TLS_PORT} --tlsverify --tlscacert ${TLS_DIR}/bed-ca.pem --tlscert ${TLS_DIR}/server.pem --tlskey ${TLS_DIR}/server-key.pem `
            : "";
    // `ip netns exec` remounts /sys and the cgroup mounts vanish; nsenter keeps them.
    await sh(
        `nohup nsenter --net=/var/run/netns/${h.ns} dockerd --data-root ${data} --exec-root ${run_}/exec ` +
            `--pidfile ${run_}/docker.pid -H ${h.dockerHost} ${tls}--bridge=none --iptables=false --ip6tables=false ` +
            `>${ROOT}/${h.name}/dockerd.log 2>&1 &`,
    );
    await waitFor(`the engine of ${h.name}`, 60_000, async () => (await run(["docker", "-H", h.dockerHost!, "info"])).code === 0);
    // No registry here: images move between engines with save | load.
    if (load) await sh(`docker save ${images.join(" ")} | docker -H ${h.dockerHost} load -q >/dev/null`);
}

async function startSshd(h: BedHost): Promise<void> {
    const dir = `${ROOT}/${h.name}`;
    fs.mkdirSync("/run/sshd", { recursive: true });
    // A host started again keeps its host key.
    if (!fs.existsSync(`${dir}/ssh_host_ed25519_key`)) await check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", `${dir}/ssh_host_ed25519_key`]);
    fs.writeFileSync(
        `${dir}/sshd_config`,
        [
            `ListenAddress ${h.ip}`,
            ...(h.alias ? [`ListenAddress ${h.alias}`] : []),
            `Port 22`,
            `HostKey ${dir}/ssh_host_ed25519_key`,
            `PidFile /run/gt-${h.name}/sshd.pid`,
            `PermitRootLogin prohibit-password`,
            `PubkeyAuthentication yes`,
            `PasswordAuthentication no`,
            `KbdInteractiveAuthentication no`,
            `UsePAM no`,
            `StrictModes no`,
            // The steps run in parallel and every docker CLI call over ssh:// opens a connection of
            // its own: past sshd's default of 10 unauthenticated at once it drops some at random.
            `MaxStartups 100:30:200`,
            // ...and the shared connection of each host carries many sessions at once.
            `MaxSessions 100`,
            `AuthorizedKeysFile ${ROOT}/authorized_keys`,
            // A real host's `docker` talks to its own engine; here that engine has its own socket.
            // And a real host has a filesystem of its own: the bed's hosts share the machine's,
            // so each gets its own directory for what the component records on a host.
            `SetEnv DOCKER_HOST=${h.dockerHost} GLUSTERFS_CLUSTER_STATE_DIR=${ROOT}/${h.name}/state`,
            ``,
        ].join("\n"),
    );
    await check(["nsenter", `--net=/var/run/netns/${h.ns}`, "/usr/sbin/sshd", "-f", `${dir}/sshd_config`]);
    await waitFor(
        `sshd of ${h.name}`,
        20_000,
        async () =>
            (
                await run([
                    "ssh",
                    "-i",
                    KEY,
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    "StrictHostKeyChecking=no",
                    "-o",
                    "UserKnownHostsFile=/dev/null",
                    "-o",
                    "LogLevel=ERROR",
                    `root@${h.ip}`,
                    "true",
                ])
            ).code === 0,
    );
}

/** Builds the bed. `images` are loaded into every engine. */
export async function setUp(images: string[]): Promise<void> {
    await tearDown();
    fs.mkdirSync(ROOT, { recursive: true });
    await check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gluster-testbed", "-f", KEY]);
    fs.copyFileSync(`${KEY}.pub`, `${ROOT}/authorized_keys`);
    await sh(`ip link add ${BRIDGE} type bridge && ip addr add ${MACHINE_IP}/24 dev ${BRIDGE} && ip link set ${BRIDGE} up`);
    // With a Docker engine on the machine, bridged traffic passes the machine's FORWARD chain
    // (policy DROP): let traffic between the bed's hosts through, and nothing else.
    await sh(`iptables -I FORWARD -i ${BRIDGE} -o ${BRIDGE} -j ACCEPT`);
    for (const h of HOSTS) {
        fs.mkdirSync(`${ROOT}/${h.name}`, { recursive: true });
        await sh(
            [
                `ip netns add ${h.ns}`,
                `ip link add gtv-${h.name} type veth peer name eth0 netns ${h.ns}`,
                `ip link set gtv-${h.name} master ${BRIDGE} up`,
                `ip -n ${h.ns} addr add ${h.ip}/24 dev eth0`,
                ...(h.alias ? [`ip -n ${h.ns} addr add ${h.alias}/24 dev eth0`] : []),
                `ip -n ${h.ns} link set eth0 up`,
                `ip -n ${h.ns} link set lo up`,
            ].join(" && "),
        );
    }
    await makeTlsMaterial(HOSTS[0].ip);
    await Promise.all(HOSTS.filter((h) => h.dockerHost).map((h) => startEngine(h, images)));
    for (const h of HOSTS.filter((x) => x.sshd)) await startSshd(h);
    // A real host keeps its bricks on a filesystem of their own (the component refuses the
    // root filesystem): each server host gets one at its bricks directory.
    for (const h of HOSTS.filter((x) => x.sshd)) {
        await sh(`mkdir -p ${dataRootOf(h)}/bricks && mount -t tmpfs -o size=512m gt-bricks-${h.name} ${dataRootOf(h)}/bricks`);
    }
    const sshHosts = HOSTS.filter((x) => x.sshd);
    fs.writeFileSync(KNOWN_HOSTS, sshHosts.map((h) => `${[h.ip, ...(h.alias ? [h.alias] : [])].join(",")} ${hostKey(h)}\n`).join(""));
    fs.mkdirSync(path.dirname(SSH_CLIENT_CONFIG), { recursive: true });
    fs.writeFileSync(
        SSH_CLIENT_CONFIG,
        [
            `# The gluster test bed's hosts (tests/live/testbed.ts); removed on teardown.`,
            `Host ${sshHosts.flatMap((h) => [h.ip, ...(h.alias ? [h.alias] : [])]).join(" ")}`,
            `    IdentityFile ${KEY}`,
            `    UserKnownHostsFile ${KNOWN_HOSTS}`,
            `    StrictHostKeyChecking yes`,
            // An SSH login to a bed host takes about 2 s on this machine, and the docker CLI pings
            // its engine with a fixed 2 s deadline: ssh:// calls share one connection per host.
            `    ControlMaster auto`,
            `    ControlPath ${SSH_MUX_DIR}/%C`,
            `    ControlPersist 30`,
            ``,
        ].join("\n"),
    );
    fs.mkdirSync(SSH_MUX_DIR, { recursive: true });
}

/** A bed host's SSH host key, as known_hosts and `ssh.hostKey` take it ("ssh-ed25519 AAAA..."). */
export function hostKey(h: BedHost): string {
    return fs.readFileSync(`${ROOT}/${h.name}/ssh_host_ed25519_key.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
}

/** The `ssh://` Docker endpoint of a bed host, as a user would write it. */
export function sshDockerHost(h: BedHost): string {
    return `ssh://root@${h.ip}`;
}

/**
 * A host that is gone: its containers stopped, then its engine and its sshd ended, so that
 * neither Docker nor SSH answers (connections are refused at once). Its files stay.
 */
export async function powerOff(h: BedHost): Promise<void> {
    await shQuiet(`ids=$(docker -H ${h.dockerHost} ps -q); [ -z "$ids" ] || docker -H ${h.dockerHost} stop -t 5 $ids`);
    // Everything in the namespace: the engine, sshd and the sessions it forked (a runner's shared
    // SSH connection would keep one alive), what the containers run with the host's network.
    await killNamespace(h);
    await shQuiet(`rm -f /run/gt-${h.name}/docker.pid /run/gt-${h.name}/sshd.pid`);
}

/** Kills every process in a host's namespace, and waits (bounded) for them to be gone. */
async function killNamespace(h: BedHost): Promise<void> {
    const pids = async () => (await shQuiet(`ip netns pids ${h.ns} 2>/dev/null`)).stdout.split("\n").filter(Boolean);
    for (const signal of ["TERM", "KILL"]) {
        const p = await pids();
        if (p.length === 0) break;
        await shQuiet(`kill -${signal} ${p.join(" ")}`);
        await waitFor(`the processes of ${h.ns} to exit`, 20_000, async () => (await pids()).length === 0).catch(() => undefined);
    }
}

/** The same host back: its engine (with the images it had) and its sshd (with its host key). */
export async function powerOn(h: BedHost): Promise<void> {
    await startEngine(h, [], false);
    await startSshd(h);
}

/** Kills what runs in the bed's namespaces, then removes namespaces, links, rules and files. */
export async function tearDown(): Promise<void> {
    for (const h of HOSTS) {
        if (h.dockerHost && (await run(["docker", "-H", h.dockerHost, "info"])).code === 0) {
            await shQuiet(`ids=$(docker -H ${h.dockerHost} ps -aq); [ -z "$ids" ] || docker -H ${h.dockerHost} rm -f -v $ids`);
        }
        await killNamespace(h);
        await shQuiet(`ip netns del ${h.ns} 2>/dev/null; ip link del gtv-${h.name} 2>/dev/null`);
        await shQuiet(`rm -f /run/gt-${h.name}/docker.pid /run/gt-${h.name}/sshd.pid`);
    }
    await shQuiet(`while iptables -D FORWARD -i ${BRIDGE} -o ${BRIDGE} -j ACCEPT 2>/dev/null; do :; done; ip link del ${BRIDGE} 2>/dev/null`);
    // Engines leave mounts (overlay, shm) under their directories.
    await shQuiet(`grep -oE ' (${ROOT}|/run/gt-)[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`);
    await shQuiet(`for c in ${SSH_MUX_DIR}/*; do [ -S "$c" ] && ssh -o ControlPath="$c" -O exit bed 2>/dev/null; done; true`);
    await shQuiet(`rm -rf ${ROOT} ${HOSTS.map((h) => `/run/gt-${h.name}`).join(" ")} ${SSH_CLIENT_CONFIG} ${SSH_MUX_DIR}`);
}

/** Host firewall baselines of a locked-down server: loopback, established/related and SSH; everything else dropped. */
export const BASELINE = {
    iptables: [
        "iptables -P INPUT DROP",
        "iptables -A INPUT -i lo -j ACCEPT",
        "iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        "iptables -A INPUT -p tcp --dport 22 -j ACCEPT",
    ].join(" && "),
    nftables: [
        "nft add table inet filter",
        "nft 'add chain inet filter input { type filter hook input priority filter; policy drop; }'",
        "nft add rule inet filter input iif lo accept",
        "nft add rule inet filter input ct state established,related accept",
        "nft add rule inet filter input tcp dport 22 accept",
    ].join(" && "),
};

/** Clears every rule of a host (iptables-nft rules are nftables rules too). */
export async function resetFirewall(h: BedHost): Promise<void> {
    await inNs(h, "iptables -P INPUT ACCEPT; nft flush ruleset");
}

/** Where the component records its state on a bed host (GLUSTERFS_CLUSTER_STATE_DIR). */
export function stateDirOf(h: BedHost): string {
    return path.join(ROOT, h.name, "state");
}

/** kube-proxy in nftables mode: its own ip and ip6 tables with input base chains (policy accept). */
export const KUBE_PROXY_TABLES = [
    "nft add table ip kube-proxy",
    "nft 'add chain ip kube-proxy filter-input { type filter hook input priority -110; policy accept; }'",
    "nft add chain ip kube-proxy service-endpoints-check",
    "nft add rule ip kube-proxy filter-input ct state new jump service-endpoints-check",
    "nft add rule ip kube-proxy service-endpoints-check ip daddr 10.43.0.10 tcp dport 53 reject",
    "nft add table ip6 kube-proxy",
    "nft 'add chain ip6 kube-proxy filter-input { type filter hook input priority -110; policy accept; }'",
].join(" && ");

export function dataRootOf(h: BedHost): string {
    return path.join(ROOT, h.name, "data");
}
