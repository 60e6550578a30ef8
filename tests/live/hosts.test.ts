/**
 * Host mode across three hosts (network namespaces with their own Docker engine and sshd),
 * with real kernel firewalls: the cluster forms only because of the component's rules,
 * a client host mounts by host name, an outsider cannot connect, re-applying duplicates
 * nothing, and destroy leaves each host's own rules exactly as they were.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GlusterCluster, GlusterClusterArgs, FirewallBackend } from "../../components";
import { projectImageName } from "../../components/image";
import { LiveStack } from "./engine/stack";
import { readRemote, runScript } from "./standins/commands";
import { Strict } from "./standins/strict";
import { Docker, dockerOn, gx, requireEngine, writeBundleDir } from "./support";
import * as bed from "./testbed";
import { brickChecksums, ClientWriter, sampleRunning, TEST_CLIENT_IMAGE, upgradedImage } from "./rolling-support";
import { run } from "./run";

const IMAGE = projectImageName();
let v2: string;
const [H1, H2, H3] = bed.CLUSTER_HOSTS;
const on = (h: bed.BedHost): Docker => dockerOn(h.dockerHost);

interface BedArgs {
    backend?: FirewallBackend;
    enabled?: boolean;
    key?: (h: bed.BedHost) => string;
    dockerHost?: (h: bed.BedHost) => string;
    sshHost?: (h: bed.BedHost) => string;
    /** The pinned host key of each host. Defaults to the host's own. */
    hostKey?: (h: bed.BedHost) => string | undefined;
    /** The hosts of the nodes, in order. Defaults to the three cluster hosts. */
    hosts?: bed.BedHost[];
}

function args(over: Partial<GlusterClusterArgs> & BedArgs = {}): GlusterClusterArgs {
    const { backend, enabled, key, dockerHost, sshHost, hostKey, hosts, ...rest } = over;
    return {
        networkMode: "host",
        volumeName: "hvol",
        image: IMAGE,
        nodes: (hosts ?? bed.CLUSTER_HOSTS).map((h) => ({
            name: `gt-${h.name}`,
            address: h.hostname,
            dataRoot: bed.dataRootOf(h),
            host: {
                dockerHost: dockerHost ? dockerHost(h) : h.dockerHost!,
                ssh: {
                    host: sshHost ? sshHost(h) : h.ip,
                    privateKey: key ? key(h) : bed.privateKey(),
                    ...((hostKey ? hostKey(h) : bed.hostKey(h)) !== undefined ? { hostKey: hostKey ? hostKey(h) : bed.hostKey(h) } : {}),
                },
            },
        })),
        extraHosts: Object.fromEntries(bed.HOSTS.map((h) => [h.hostname, h.ip])),
        clientCidrs: [`${bed.CLIENT_HOST.ip}/32`],
        firewall: { backend: backend ?? "auto", enabled: enabled ?? true },
        deleteDataOnDestroy: true,
        // Plain clients mount in these tests (TLS is host mode's default for a new cluster: 6t).
        tls: { enabled: false },
        ...rest,
    };
}

const program = (a: GlusterClusterArgs) => () => {
    const c = new GlusterCluster("hc", a);
    return { mountCommand: c.mountCommand, clientDockerArgs: c.clientDockerArgs, servers: c.servers };
};

/** Whether `from` can open a TCP connection to ip:port (3 s at most). */
async function canConnect(from: bed.BedHost, ip: string, port: number): Promise<boolean> {
    const r = await bed.inNsResult(from, `timeout 3 bash -c 'exec 3<>/dev/tcp/${ip}/${port}'`);
    return r.code === 0;
}

async function clusterFormed(hosts: bed.BedHost[] = bed.CLUSTER_HOSTS): Promise<void> {
    for (const h of hosts) {
        const d = on(h);
        assert.strictEqual(
            await gx(d, `gt-${h.name}`, "peer status", "count(//peer[state=3 and connected=1])"),
            String(hosts.length - 1),
            `peers seen from ${h.name}`,
        );
    }
    assert.strictEqual(await gx(on(H1), "gt-h1", "volume info hvol", "string(//volume/statusStr)"), "Started");
    assert.strictEqual(await gx(on(H1), "gt-h1", "volume status hvol", "count(//volume/node[starts-with(path,'/') and status=1])"), "3");
}

/** The port of the brick on `host`. */
async function brickPort(host: bed.BedHost): Promise<number> {
    return Number(await gx(on(H1), "gt-h1", "volume status hvol", `string(//volume/node[starts-with(path,'/') and hostname='${host.hostname}']/port)`));
}

/** Every host's whole rule set, as the kernel reports it. */
async function rules(hosts: bed.BedHost[] = bed.CLUSTER_HOSTS): Promise<string[]> {
    // Without counters, which change with every packet (iptables-nft rules carry explicit ones).
    const script = "iptables -S; nft -s list ruleset | sed -E 's/ counter packets [0-9]+ bytes [0-9]+//'";
    return Promise.all(hosts.map((h) => bed.inNs(h, script)));
}

/** Gives every host of `hosts` a locked-down baseline of `kind`; returns the hosts' rules. */
async function lockDown(kind: keyof typeof bed.BASELINE, hosts: bed.BedHost[] = bed.CLUSTER_HOSTS): Promise<string[]> {
    for (const host of hosts) {
        await bed.resetFirewall(host);
        await bed.inNs(host, bed.BASELINE[kind]);
    }
    return rules(hosts);
}

/** Runs each host's firewall script again, as an update does: it must replace the set, not add to it. */
async function rerunFirewalls(h: LiveStack): Promise<void> {
    for (const host of bed.CLUSTER_HOSTS) {
        const fw = h.find(`hc-firewall-gt-${host.name}`);
        const spec = readRemote(new Strict(fw.inputs, fw.name));
        await runScript(spec, spec.update!);
    }
}

/** Polls `probe` every 500 ms until it holds, for `limitMs` at most. */
async function eventually(what: string, limitMs: number, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!(await probe().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

/** Whether the bricks on `hosts` are online and the peers connected, as clusterFormed asserts. */
async function whole(hosts: bed.BedHost[] = bed.CLUSTER_HOSTS): Promise<boolean> {
    return clusterFormed(hosts).then(
        () => true,
        () => false,
    );
}

/** A client container on the client host mounts with the outputs, writes `text` to `file` and reads it back. */
async function clientWrites(outputs: Record<string, any>, file: string, text: string): Promise<string> {
    const client = dockerOn(bed.CLIENT_HOST.dockerHost);
    const script = `mkdir -p /mnt/hvol && ${outputs.mountCommand} && echo ${text} > /mnt/hvol/${file} && sync && cat /mnt/hvol/${file}`;
    try {
        return await client("run", "--name", "gt-quorum-client", "--network", "host", ...outputs.clientDockerArgs, "--entrypoint", "sh", IMAGE, "-c", script);
    } finally {
        await client("rm", "-f", "gt-quorum-client").catch(() => undefined);
    }
}

/** Runs the rules script the component keeps on `host`, as its systemd unit does at boot or on a reload. */
async function restoreFromKeptScript(host: bed.BedHost): Promise<string> {
    return bed.inNs(host, `DOCKER_HOST=${host.dockerHost} sh ${bed.stateDirOf(host)}/firewall.sh 2>&1`);
}

describe("live: host mode across three hosts, with firewalls", function () {
    this.timeout(900_000);

    before(async () => {
        await requireEngine();
        v2 = await upgradedImage(IMAGE, "v2");
        await bed.setUp([IMAGE, v2, TEST_CLIENT_IMAGE]);
    });
    after(async () => {
        await bed.tearDown();
    });

    describe("iptables", () => {
        const h = new LiveStack();
        let outputs: Record<string, any>;
        let baseline: string[];

        before(async () => {
            baseline = await lockDown("iptables");
        });
        after(async () => {
            await h.destroy().catch(() => undefined);
        });

        it("1a. without the component's rules the locked-down hosts cannot form a cluster", async () => {
            const blocked = new LiveStack();
            try {
                await assert.rejects(
                    blocked.up(program(args({ enabled: false, timeouts: { peersSeconds: 8 } }))),
                    /hc-pool[\s\S]*peer probe h2\.gt\.test: no reply from glusterd within 8 s\. Check that h2\.gt\.test resolves here and that its port 24007 is reachable/,
                );
            } finally {
                await blocked.destroy();
            }
            assert.deepStrictEqual(await rules(), baseline, "the failed run added rules");
        });

        it("1b. with them, the cluster forms and the volume starts", async () => {
            outputs = await h.up(program(args({ backend: "iptables" })));
            await clusterFormed();
            assert.match(h.find("hc-firewall-gt-h1").outputs.stdout, /iptables on 10\.77\.0\.1: chain GLUSTERFS holds 15 rules/);
            assert.deepStrictEqual(outputs.servers, ["h1.gt.test", "h2.gt.test", "h3.gt.test"]);
        });

        it("1c. a renamed component is refused before any host's firewall is touched; with the name put back, every host keeps its rules", async () => {
            const before = await rules();
            const reserved = () => Promise.all(bed.CLUSTER_HOSTS.map((x) => bed.inNs(x, "cat /proc/sys/net/ipv4/ip_local_reserved_ports")));
            const renamed = () => {
                const c = new GlusterCluster("hc2", args({ backend: "iptables" }));
                return { mountCommand: c.mountCommand };
            };
            await assert.rejects(h.up(renamed), /belongs to GlusterCluster \\?"hc\\?", and this one is named hc2/);
            assert.deepStrictEqual(await rules(), before, "the refused run changed a host's rules");
            // As the refusal says: the name put back. The stray steps of the refused run go; the rules stay.
            await h.up(program(args({ backend: "iptables" })));
            assert.deepStrictEqual(await rules(), before, "putting the name back removed rules");
            assert.deepStrictEqual(await reserved(), ["49152-49161", "49152-49161", "49152-49161"]);
            await clusterFormed();
        });

        it("1d. a second stack of the same program on the same hosts is refused before it touches them, and its destroy leaves the first stack's rules", async () => {
            const before = await rules();
            const owners = () => Promise.all(bed.CLUSTER_HOSTS.map((x) => bed.inNs(x, `cat ${bed.dataRootOf(x)}/.glusterfs-cluster-owner`)));
            const ownersBefore = await owners();
            const other = new LiveStack({ stack: "other" });
            try {
                await assert.rejects(other.up(program(args({ backend: "iptables" }))), /belong to stack live of project glusterfs \(GlusterCluster hc\)/);
                assert.deepStrictEqual(await rules(), before);
            } finally {
                await other.destroy().catch(() => undefined);
            }
            assert.deepStrictEqual(await rules(), before, "the other stack's destroy removed the first stack's rules");
            assert.deepStrictEqual(await owners(), ownersBefore, "the other stack took over the first stack's data directories");
            await clusterFormed();
        });

        it("2. the client host mounts by host name with the mount command and reads back; the outsider cannot connect", async () => {
            const client = dockerOn(bed.CLIENT_HOST.dockerHost);
            await client("run", "-d", "--name", "gt-client", "--network", "host", ...outputs.clientDockerArgs, "--entrypoint", "sleep", IMAGE, "infinity");
            try {
                await client("exec", "gt-client", "sh", "-c", `mkdir -p /mnt/hvol && ${outputs.mountCommand}`);
                await client("exec", "gt-client", "sh", "-c", "echo written-by-the-client > /mnt/hvol/note && sync");
                assert.strictEqual(await client("exec", "gt-client", "cat", "/mnt/hvol/note"), "written-by-the-client");
                assert.strictEqual(await on(H3)("exec", "gt-h3", "cat", "/bricks/hvol/note"), "written-by-the-client");
            } finally {
                await client("rm", "-f", "gt-client");
            }
            const port = await brickPort(H1);
            assert.ok(await canConnect(bed.CLIENT_HOST, H1.ip, 24007), "the client cannot reach 24007");
            assert.ok(await canConnect(bed.CLIENT_HOST, H1.ip, port), `the client cannot reach brick port ${port}`);
            assert.ok(await canConnect(bed.OUTSIDER, H1.ip, 22), "the outsider's network does not work at all (SSH is open to it)");
            assert.strictEqual(await canConnect(bed.OUTSIDER, H1.ip, 24007), false, "the outsider reached 24007");
            assert.strictEqual(await canConnect(bed.OUTSIDER, H1.ip, port), false, `the outsider reached brick port ${port}`);
        });

        it("3. re-applying duplicates no rule; destroy leaves exactly the hosts' own rules", async () => {
            const count = (h_: bed.BedHost) => bed.inNs(h_, "iptables -S GLUSTERFS | wc -l; iptables -S INPUT | grep -c -- '-j GLUSTERFS'");
            const before = await Promise.all(bed.CLUSTER_HOSTS.map(count));
            const mark = h.log.length;
            await h.up(program(args({ backend: "iptables" })));
            assert.deepStrictEqual(
                h.since(mark).filter((e) => e.op !== "same"),
                [],
            );
            await rerunFirewalls(h);
            const after = await Promise.all(bed.CLUSTER_HOSTS.map(count));
            assert.deepStrictEqual(after, before);
            assert.deepStrictEqual(after[0].split("\n"), ["16", "1"]);
            await h.destroy();
            assert.deepStrictEqual(await rules(), baseline);
            for (const x of bed.CLUSTER_HOSTS)
                assert.strictEqual(await bed.inNs(x, "cat /proc/sys/net/ipv4/ip_local_reserved_ports"), "", `${x.name} keeps the reservation`);
        });
    });

    describe("nftables", () => {
        const h = new LiveStack();
        let baseline: string[];

        before(async () => {
            baseline = await lockDown("nftables");
        });
        after(async () => {
            await h.destroy().catch(() => undefined);
            for (const host of bed.CLUSTER_HOSTS) await bed.resetFirewall(host);
        });

        it("4. auto picks nftables on an nftables host; the cluster forms through the component's chain only", async () => {
            await h.up(program(args({ backend: "auto" })));
            await clusterFormed();
            assert.match(h.find("hc-firewall-gt-h2").outputs.stdout, /firewall backend on 10\.77\.0\.2: nftables/);
            assert.match(await bed.inNs(H2, "nft list chain inet filter input"), /jump glusterfs/);
            const port = await brickPort(H2);
            assert.ok(await canConnect(bed.CLIENT_HOST, H2.ip, port), `the client cannot reach brick port ${port}`);
            assert.strictEqual(await canConnect(bed.OUTSIDER, H2.ip, 24007), false);
            assert.strictEqual(await canConnect(bed.OUTSIDER, H2.ip, port), false);
        });

        it("4b. re-applying duplicates no rule; destroy restores the hosts' rule sets exactly", async () => {
            const count = (h_: bed.BedHost) =>
                bed.inNs(h_, "nft list chain inet filter glusterfs | grep -c accept; nft list chain inet filter input | grep -c 'jump glusterfs'");
            const before = await Promise.all(bed.CLUSTER_HOSTS.map(count));
            await rerunFirewalls(h);
            assert.deepStrictEqual(await Promise.all(bed.CLUSTER_HOSTS.map(count)), before);
            assert.deepStrictEqual(before[0].split("\n"), ["15", "1"]);
            await h.destroy();
            assert.deepStrictEqual(await rules(), baseline);
        });
    });

    describe("TLS across hosts (nftables)", () => {
        const h = new LiveStack();
        /** Where tlsClientDockerArgs expects the bundle on the client's host (this machine's files). */
        const BUNDLE = "/etc/glusterfs-cluster/hc";
        const client = () => dockerOn(bed.CLIENT_HOST.dockerHost);

        before(async () => {
            await lockDown("nftables");
        });
        after(async () => {
            await client()("rm", "-f", "gt-tls-client").catch(() => undefined);
            await h.destroy().catch(() => undefined);
            for (const host of bed.CLUSTER_HOSTS) await bed.resetFirewall(host);
            fs.rmSync(BUNDLE, { recursive: true, force: true });
        });

        it("6s. a cluster that ran plain stays plain when tls.enabled is left unset (with a warning), and a plain client still mounts; the identity step replaced (recording TLS afresh) is refused by the preflight until tls.enabled: false is recorded", async () => {
            const plain = new LiveStack();
            try {
                const first = await plain.up(program(args({ backend: "nftables" })));
                await clusterFormed();
                // tls.enabled unset: TLS by default, but this cluster ran plain.
                const unset = program(args({ backend: "nftables", tls: undefined }));
                const mark = plain.warnings.length;
                const outputs = await plain.up(unset);
                assert.deepStrictEqual(outputs, first);
                assert.match(plain.warnings.slice(mark).join("\n"), /TLS is off: this cluster ran without it before TLS became the default/);
                for (const host of bed.CLUSTER_HOSTS)
                    assert.strictEqual(
                        (await on(host)("exec", `gt-${host.name}`, "sh", "-c", "ls /var/lib/glusterd/secure-access 2>&1 || true")).includes("No such file"),
                        true,
                    );
                const volume = await gx(on(H1), "gt-h1", "volume info hvol", "string(//volume/options/option[name='client.ssl']/value)");
                assert.strictEqual(volume, "", "client.ssl was set on a plain cluster");
                const client = dockerOn(bed.CLIENT_HOST.dockerHost);
                await client(
                    "run",
                    "--rm",
                    "--network",
                    "host",
                    ...outputs.clientDockerArgs,
                    "--entrypoint",
                    "sh",
                    IMAGE,
                    "-c",
                    `mkdir -p /mnt/hvol && ${outputs.mountCommand} && echo plain-kept > /mnt/hvol/plain-note && sync`,
                );
                assert.strictEqual(await on(H2)("exec", "gt-h2", "cat", "/bricks/hvol/plain-note"), "plain-kept");
                // Re-applying changes nothing.
                const again = plain.log.length;
                await plain.up(unset);
                assert.deepStrictEqual(
                    plain
                        .since(again)
                        .filter((e) => e.op !== "same")
                        .map((e) => `${e.op} ${e.name}`),
                    [],
                );
                // The identity step replaced (as after a reinstalled engine): its first run records TLS,
                // and the preflight finds the first node's state plain, before anything is touched.
                plain.taint("hc-identity");
                await assert.rejects(
                    plain.up(unset),
                    /holds a cluster that runs without TLS[\s\S]*Nothing was changed\. Keep it plain: set tls\.enabled: false/,
                );
                for (const host of bed.CLUSTER_HOSTS)
                    assert.match(await on(host)("exec", `gt-${host.name}`, "sh", "-c", "ls /var/lib/glusterd/secure-access 2>&1 || true"), /No such file/);
                // The way out the refusal names: tls.enabled: false, recorded by the identity step replaced once more.
                plain.taint("hc-identity");
                await plain.up(program(args({ backend: "nftables" })));
                await clusterFormed();
            } finally {
                await plain.destroy().catch(() => undefined);
            }
        });

        it("6t. TLS by default: a new host-mode cluster with tls.enabled unset runs TLS; the client host mounts with its bundle (tlsClientDockerArgs); an outsider the firewall lets through gets no TLS session without a certificate", async () => {
            const outputs = await h.up(() => {
                const c = new GlusterCluster("hc", args({ backend: "nftables", tls: { clients: ["app"] } }));
                return {
                    mountCommand: c.mountCommand,
                    clientDockerArgs: c.clientDockerArgs,
                    tlsClientDockerArgs: c.tlsClientDockerArgs,
                    tlsClients: c.tlsClients,
                };
            });
            await clusterFormed();
            const app = outputs.tlsClients.app as { ca: string; cert: string; key: string };
            writeBundleDir(BUNDLE, app);
            await client()(
                "run",
                "-d",
                "--name",
                "gt-tls-client",
                "--network",
                "host",
                ...outputs.clientDockerArgs,
                ...outputs.tlsClientDockerArgs,
                "--entrypoint",
                "sleep",
                IMAGE,
                "infinity",
            );
            await client()("exec", "gt-tls-client", "sh", "-c", `mkdir -p /mnt/hvol && ${outputs.mountCommand} && echo over-tls > /mnt/hvol/tls-note && sync`);
            assert.strictEqual(await on(H3)("exec", "gt-h3", "cat", "/bricks/hvol/tls-note"), "over-tls");
            // The outsider, let through H1's firewall by a rule of the operator's: the connection
            // opens, the TLS handshake completes, and glusterd drops it at once (no certificate).
            const mark = "gt-test-outsider";
            await bed.inNs(H1, `nft insert rule inet filter input ip saddr ${bed.OUTSIDER.ip} accept comment ${mark}`);
            try {
                assert.ok(await canConnect(bed.OUTSIDER, H1.ip, 24007), "the outsider was not let through");
                const r = await bed.inNsResult(bed.OUTSIDER, `sleep 1.5 | timeout 20 openssl s_client -connect ${H1.ip}:24007 2>&1`);
                assert.match(r.stdout, /^subject=.*CN ?= ?h1\.gt\.test$/m, r.stdout.slice(0, 600));
                assert.match(r.stdout, /unexpected eof while reading/, r.stdout.slice(0, 600));
                assert.doesNotMatch(r.stdout, /^DONE$/m, "glusterd kept a connection without a certificate");
            } finally {
                await bed.inNs(
                    H1,
                    `nft -a list chain inet filter input | sed -n 's/.*comment "${mark}".*handle \\([0-9]*\\).*/\\1/p' | xargs -r -n1 nft delete rule inet filter input handle`,
                );
            }
        });
    });

    describe("Docker over tcp:// with TLS client certificates", () => {
        const h = new LiveStack();
        let baseline: string[];
        // The first host's engine listens on its TLS port for the machine running pulumi (the operator's own rule).
        const tlsArgs = (tls: ReturnType<typeof bed.dockerTls>) => {
            const a = args({ backend: "iptables" });
            a.nodes[0] = { ...a.nodes[0], host: { ...a.nodes[0].host!, dockerHost: bed.tcpDockerHost(H1), dockerTls: tls } };
            return a;
        };

        before(async () => {
            await lockDown("iptables");
            await bed.inNs(H1, `iptables -A INPUT -p tcp --dport ${bed.TLS_PORT} -s ${bed.MACHINE_IP} -j ACCEPT`);
            baseline = await rules();
        });
        after(async () => {
            await h.destroy().catch(() => undefined);
            for (const host of bed.CLUSTER_HOSTS) await bed.resetFirewall(host);
        });

        it("7t. the provider reaches the first host's engine over tcp:// with its TLS material; a certificate of another CA is refused", async () => {
            await assert.rejects(
                h.up(program(tlsArgs(bed.dockerTls(true)))),
                /hc-(image|docker)-gt-h1[\s\S]*(bad certificate|unknown certificate|certificate required|tls)/i,
            );
            assert.strictEqual(await on(H1)("ps", "-aq"), "", "a container was created with a certificate the engine does not trust");
            await h.up(program(tlsArgs(bed.dockerTls())));
            await clusterFormed();
            assert.deepStrictEqual(
                h
                    .ofType("pulumi:providers:docker")
                    .map((p) => p.inputs.host)
                    .sort(),
                [bed.tcpDockerHost(H1), H2.dockerHost, H3.dockerHost].sort(),
            );
            await h.destroy();
            assert.deepStrictEqual(await rules(), baseline);
        });
    });

    describe("Docker over ssh:// endpoints, clients from Rancher's node list", () => {
        const RANCHER_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "rancher-hosts-"));
        // What ClusterSync reads from the Rancher cluster: one worker, the bed's client host.
        const h = new LiveStack({
            rancherDir: RANCHER_DIR,
            rancherNodes: [{ hostname: "worker-1", ipAddress: bed.CLIENT_HOST.ip, externalIpAddress: "", roles: ["worker"] }],
        });
        let baseline: string[];

        before(async () => {
            baseline = await lockDown("nftables");
        });
        after(async () => {
            await h.destroy().catch(() => undefined);
            fs.rmSync(RANCHER_DIR, { recursive: true, force: true });
            for (const host of bed.CLUSTER_HOSTS) await bed.resetFirewall(host);
        });

        it("7. the providers reach each engine through the runner's ssh; the Rancher cluster's node (and no other client) mounts", async () => {
            const a = args({ dockerHost: bed.sshDockerHost, clientCidrs: [], rancher: { clusterId: "local", namespace: "storage", allowClusterNodes: true } });
            const outputs = await h.up(program(a));
            await clusterFormed();
            assert.deepStrictEqual(
                h
                    .ofType("pulumi:providers:docker")
                    .map((p) => p.inputs.host)
                    .sort(),
                bed.CLUSTER_HOSTS.map((x) => `ssh://root@${x.ip}`),
            );
            // The node address from ClusterSync reached auth.allow and every host's firewall.
            const allow = await gx(on(H1), "gt-h1", "volume info hvol", "string(//volume/options/option[name='auth.allow']/value)");
            assert.ok(allow.split(",").includes(bed.CLIENT_HOST.ip), `auth.allow ${allow}`);
            const contract = path.join(RANCHER_DIR, "local", "storage", "glusterfs-hvol", "mountCommand");
            assert.strictEqual(fs.readFileSync(contract, "utf8"), outputs.mountCommand);
            const client = dockerOn(bed.CLIENT_HOST.dockerHost);
            await client("run", "-d", "--name", "gt-client", "--network", "host", ...outputs.clientDockerArgs, "--entrypoint", "sleep", IMAGE, "infinity");
            try {
                await client("exec", "gt-client", "sh", "-c", `mkdir -p /mnt/hvol && ${outputs.mountCommand} && echo via-rancher > /mnt/hvol/r && sync`);
                assert.strictEqual(await on(H2)("exec", "gt-h2", "cat", "/bricks/hvol/r"), "via-rancher");
            } finally {
                await client("rm", "-f", "gt-client");
            }
            assert.strictEqual(await canConnect(bed.OUTSIDER, H1.ip, 24007), false, "the outsider reached 24007");
            await h.destroy();
            assert.deepStrictEqual(await rules(), baseline);
        });
    });

    describe("day 2 across hosts (nftables)", () => {
        const h = new LiveStack();
        let outputs: Record<string, any>;
        const FIVE = bed.SERVER_HOSTS;
        // The README's advice: a filesystem of its own mounted at the bricks directory.
        const BRICKS_FS = `${bed.dataRootOf(H1)}/bricks`;
        // h1's address reverse-resolves to another name first (a PTR record that differs from the
        // name the program uses): the pool-only node then knows h1 by that other name.
        const ptr = { "h1-ptr.gt.test": H1.ip, ...Object.fromEntries(bed.HOSTS.map((x) => [x.hostname, x.ip])) };
        const day2 = (over: Partial<GlusterClusterArgs> & BedArgs = {}) => args({ backend: "nftables", hosts: FIVE, extraHosts: ptr, ...over });
        let baseline: string[];

        before(async () => {
            baseline = await lockDown("nftables", FIVE);
        });
        after(async () => {
            await h.destroy().catch(() => undefined);
            for (const host of FIVE) await bed.resetFirewall(host);
        });

        it("8a. five nodes, the fourth and fifth pool-only: they know the first node by the program's name too", async () => {
            outputs = await h.up(program(day2()));
            await clusterFormed(FIVE);
            const names = await gx(
                on(bed.EXTRA_HOSTS[0]),
                "gt-h4",
                "peer status",
                `//peer[hostnames/hostname='${H1.ip}' or hostnames/hostname='h1-ptr.gt.test' or hostnames/hostname='h1.gt.test']/hostnames/hostname/text()`,
            );
            assert.ok(names.split("\n").includes("h1.gt.test"), `gt-h4 knows gt-h1 as ${names}`);
        });

        it("8b. the first node's container replaced: its peers, the pool-only one included, are matched by UUID", async () => {
            h.taint("hc-gt-h1");
            const mark = h.log.length;
            await h.up(program(day2()));
            assert.ok(h.since(mark).some((e) => e.op === "create-replacement" && e.name === "hc-ready-gt-h1"));
            await clusterFormed(FIVE);
        });

        it("8c. the first host's SSH address renamed (the same machine): its firewall rules stay, in place", async () => {
            const before = await rules(FIVE);
            const mark = h.log.length;
            await h.up(program(day2({ sshHost: (x) => (x === H1 ? H1.alias! : x.ip) })));
            const ops = h.since(mark).filter((e) => e.name === "hc-firewall-gt-h1");
            assert.deepStrictEqual(
                ops.map((e) => e.op),
                ["update"],
            );
            assert.deepStrictEqual(await rules(FIVE), before);
            await clusterFormed(FIVE);
        });

        it("8d. a change of networkMode is refused, and nothing changes", async () => {
            const before = await rules(FIVE);
            const container = {
                ...day2(),
                networkMode: "container" as const,
                firewall: undefined,
                dataRoot: undefined,
                clientCidrs: [],
                network: { name: "gt-overlay", existing: true },
            };
            container.nodes = container.nodes.map(({ address: _address, dataRoot: _dataRoot, ...n }) => n);
            await assert.rejects(h.up(program(container)), /networkMode changed from "host" to "container"[\s\S]*Nothing was changed/);
            assert.deepStrictEqual(await rules(FIVE), before);
            await clusterFormed(FIVE);
        });

        it("8f. with the default quorum settings, losing a pool-only node and a brick node, then both pool-only nodes and a brick node, leaves the volume serving", async () => {
            const stop = (x: bed.BedHost) => on(x)("stop", `gt-${x.name}`);
            const [, , , H4, H5] = FIVE;
            try {
                await stop(H4);
                await stop(H2);
                assert.strictEqual(await clientWrites(outputs, "one-extra-down", "q1"), "q1");
                await stop(H5);
                // Two of five nodes up is below glusterd's server quorum (more than half): with it on,
                // the last two bricks would stop. Off (the default), client quorum decides: two of three bricks.
                assert.strictEqual(await clientWrites(outputs, "both-extras-down", "q2"), "q2");
                assert.strictEqual(await gx(on(H1), "gt-h1", "volume status hvol", "count(//volume/node[starts-with(path,'/') and status=1])"), "2");
            } finally {
                for (const x of [H2, H4, H5]) await on(x)("start", `gt-${x.name}`);
            }
            await eventually("the stopped nodes back", 120_000, () => whole(FIVE));
        });

        it("8g. a pool-only node removed: it is detached and its rules go; the four-node pool then loses its extra and a brick node and keeps serving", async () => {
            const FOUR = FIVE.slice(0, 4);
            const [, , , H4, H5] = FIVE;
            const fiveRules = await rules(FIVE);
            await h.up(program(day2({ hosts: FOUR })));
            await clusterFormed(FOUR);
            assert.strictEqual(await gx(on(H1), "gt-h1", "peer status", "count(//peer)"), "3", "gt-h5 detached from the pool");
            assert.strictEqual(await on(H5)("ps", "-aq", "--filter", "name=^gt-h5$"), "", "gt-h5's container removed");
            assert.notStrictEqual((await rules([H5]))[0], fiveRules[4], "gt-h5's firewall rules removed");
            try {
                await on(H4)("stop", "gt-h4");
                await on(H2)("stop", "gt-h2");
                // Two of four nodes up: server quorum (more than half) would be lost and the last two
                // bricks stopped. Off (the default), client quorum decides: two of three bricks are up.
                assert.strictEqual(await clientWrites(outputs, "four-pool-extra-and-brick-down", "q3"), "q3");
            } finally {
                for (const x of [H2, H4]) await on(x)("start", `gt-${x.name}`);
            }
            await eventually("the stopped nodes back", 120_000, () => whole(FOUR));
        });

        it("8i. a lost host that cannot be reached: its brick moves to a new host; its leftovers fail the update until the README's way out (pulumi state delete), then up and refresh are green", async () => {
            const [, , , H4, H5] = FIVE;
            const replaced = day2({ hosts: [H1, H2, H5, H4] });
            replaced.nodes[2] = { ...replaced.nodes[2], replaces: "gt-h3" };
            await bed.powerOff(H3);
            try {
                // The replacement is done; then each delete of what the program no longer declares on
                // the dead host needs the host, and fails.
                await assert.rejects(h.up(program(replaced)), /gt-h3/);
                const bricks = await gx(on(H1), "gt-h1", "volume info hvol", "//volume/bricks/brick/name/text()");
                assert.deepStrictEqual(bricks.split("\n"), ["h1.gt.test:/bricks/hvol", "h2.gt.test:/bricks/hvol", "h5.gt.test:/bricks/hvol"]);
                assert.strictEqual(await gx(on(H1), "gt-h1", "peer status", "count(//peer[hostname='h3.gt.test'])"), "0", "gt-h3 is still a peer");
                await assert.rejects(h.up(program(replaced)), /gt-h3/, "a second up went green with the dead host's resources in the state");
                // The README's way out (A host that is gone for good), as written there.
                const listed = await h.cli(["stack", "--show-urns"]);
                const urns = [...listed.matchAll(/urn:pulumi:[^ \n]*::hc-([a-z0-9-]+-)?gt-h3$/gm)].map((m) => m[0]);
                assert.ok(urns.length >= 5, `the dead host's resources in the state: ${urns.join(" ")}`);
                await h.cli(["state", "delete", "--yes", ...urns]);
                assert.deepStrictEqual(
                    h.ofType("command:remote:Command").filter((r) => r.name.endsWith("gt-h3")),
                    [],
                );
                await h.up(program(replaced));
                await h.refresh();
                await clusterFormed([H1, H2, H5, H4]);
            } finally {
                await bed.powerOn(H3);
                // h3 as a new host again for what follows: what the dead node left, taken away by hand.
                await run(["docker", "-H", H3.dockerHost!, "rm", "-f", "gt-h3"]);
                await bed.inNs(
                    H3,
                    `rm -rf ${bed.dataRootOf(H3)}/glusterd ${bed.dataRootOf(H3)}/log ${bed.stateDirOf(H3)} && find ${bed.dataRootOf(H3)}/bricks -mindepth 1 -delete`,
                );
                await bed.resetFirewall(H3);
                await bed.inNs(H3, bed.BASELINE.nftables);
            }
        });

        it("8h. destroy with a filesystem mounted at a bricks directory empties it and leaves the mount point", async () => {
            await h.destroy();
            assert.match(await bed.inNs(H1, `grep -c ' ${BRICKS_FS} tmpfs' /proc/mounts`), /^1$/);
            assert.strictEqual(await bed.inNs(H1, `ls -A ${BRICKS_FS} | wc -l`), "0");
            assert.deepStrictEqual(await rules(FIVE), baseline);
        });
    });

    describe("a rolling upgrade across hosts (iptables)", () => {
        const h = new LiveStack();
        let writer: ClientWriter;
        let outputs: Record<string, any>;
        before(async () => {
            await lockDown("iptables");
            outputs = await h.up(program(args({ backend: "iptables" })));
            writer = await ClientWriter.start(
                dockerOn(bed.CLIENT_HOST.dockerHost),
                "gt-writer",
                TEST_CLIENT_IMAGE,
                outputs.clientDockerArgs,
                outputs.mountCommand,
                "/mnt/hvol",
                ["--network", "host"],
            );
        });
        after(async () => {
            await run(["docker", "-H", bed.CLIENT_HOST.dockerHost!, "rm", "-f", "gt-writer"]);
            await h.destroy().catch(() => undefined);
            for (const host of bed.CLUSTER_HOSTS) await bed.resetFirewall(host);
        });

        it("9. an image change replaces one host's node at a time under a verifying writer, through the firewall rules", async () => {
            const chain = () => Promise.all(bed.CLUSTER_HOSTS.map((x) => bed.inNs(x, "iptables -S GLUSTERFS | wc -l")));
            const rulesBefore = await chain();
            await writer.run();
            const sampler = sampleRunning(bed.CLUSTER_HOSTS.map(on), "hc", ["gt-h1", "gt-h2", "gt-h3"]);
            try {
                await h.up(program(args({ backend: "iptables", image: v2 })));
            } finally {
                await sampler.stop();
            }
            const fio = await writer.stop();
            assert.ok(fio.ok, `the writer failed: ${fio.detail}`);
            assert.ok(sampler.minimum() >= 2, `at one moment only ${sampler.minimum()} of 3 brick containers ran`);
            assert.deepStrictEqual(await chain(), rulesBefore);
            const all = await brickChecksums((n) => on(bed.CLUSTER_HOSTS.find((x) => `gt-${x.name}` === n)!), ["gt-h1", "gt-h2", "gt-h3"], "/bricks/hvol");
            assert.deepStrictEqual(all["gt-h2"], all["gt-h1"]);
            assert.deepStrictEqual(all["gt-h3"], all["gt-h1"]);
        });
    });

    describe("firewall rules that last, beside kube-proxy's tables (nftables)", () => {
        const h = new LiveStack();
        let outputs: Record<string, any>;
        const kubeTables = (x: bed.BedHost) => bed.inNs(x, "nft list table ip kube-proxy; nft list table ip6 kube-proxy");
        let kubeBefore: string[];

        before(async () => {
            await lockDown("nftables");
            for (const x of bed.CLUSTER_HOSTS) await bed.inNs(x, bed.KUBE_PROXY_TABLES);
            kubeBefore = await Promise.all(bed.CLUSTER_HOSTS.map(kubeTables));
        });
        after(async () => {
            await h.destroy().catch(() => undefined);
            for (const x of bed.CLUSTER_HOSTS) await bed.resetFirewall(x);
        });

        it("10a. auto picks nftables beside kube-proxy's ip and ip6 tables; the cluster forms; kube-proxy's tables are untouched", async () => {
            outputs = await h.up(program(args()));
            await clusterFormed();
            assert.match(h.find("hc-firewall-gt-h1").outputs.stdout, /nftables on 10\.77\.0\.1: chain inet filter glusterfs holds \d+ rules/);
            assert.deepStrictEqual(await Promise.all(bed.CLUSTER_HOSTS.map(kubeTables)), kubeBefore);
            assert.strictEqual(await bed.inNs(H1, "nft list ruleset | grep -c 'jump glusterfs'"), "1");
            // The brick range is inside the ephemeral range: it is reserved from it.
            for (const x of bed.CLUSTER_HOSTS) assert.strictEqual(await bed.inNs(x, "cat /proc/sys/net/ipv4/ip_local_reserved_ports"), "49152-49161");
        });

        it("10b. a reload of the host firewall (flush ruleset, load its own file) closes the ports; the kept rules script opens them again", async () => {
            for (const x of bed.CLUSTER_HOSTS) {
                await bed.inNs(x, `nft flush ruleset && ${bed.BASELINE.nftables} && ${bed.KUBE_PROXY_TABLES}`);
            }
            assert.strictEqual(await canConnect(bed.CLIENT_HOST, H1.ip, 24007), false, "the reload left the client port open");
            for (const x of bed.CLUSTER_HOSTS) await restoreFromKeptScript(x);
            assert.ok(await canConnect(bed.CLIENT_HOST, H1.ip, 24007), "the kept script did not open the client port again");
            assert.ok(await canConnect(bed.CLIENT_HOST, H1.ip, await brickPort(H1)), "the kept script did not open the brick port again");
            await clusterFormed();
            assert.strictEqual(await clientWrites(outputs, "after-reload", "after-reload"), "after-reload");
        });

        it("10c. a reboot of a host (its rules gone, its node restarted) is whole again once the kept script runs", async () => {
            await bed.inNs(H2, `nft flush ruleset && ${bed.BASELINE.nftables} && ${bed.KUBE_PROXY_TABLES}`);
            await on(H2)("restart", "gt-h2");
            assert.strictEqual(await canConnect(H1, H2.ip, 24007), false, "the rebooted host's glusterd port is open without its rules");
            await restoreFromKeptScript(H2);
            await eventually("the rebooted host back in the cluster", 90_000, () => whole());
            assert.strictEqual(await clientWrites(outputs, "after-reboot", "after-reboot"), "after-reboot");
        });

        it("10d. a failed apply (a new peer's name that does not resolve) leaves each host's kept script as it was: after a revert and a reload, the rules come back", async () => {
            const kept = () => Promise.all(bed.CLUSTER_HOSTS.map((x) => bed.inNs(x, `cat ${bed.stateDirOf(x)}/firewall.sh`)));
            const before = await kept();
            const grown = args({ hosts: [...bed.CLUSTER_HOSTS, bed.EXTRA_HOSTS[0]] });
            grown.nodes[3] = { ...grown.nodes[3], address: "h9.gt.test" };
            await assert.rejects(h.up(program(grown)), /cannot resolve h9\.gt\.test/);
            assert.deepStrictEqual(await kept(), before, "the failed apply replaced a kept rules script");
            // The revert changes nothing the engine can see (a failed update records nothing)...
            await h.up(program(args()));
            // ...and a reload of the host firewall runs the kept script: the rules come back.
            for (const x of bed.CLUSTER_HOSTS) {
                await bed.inNs(x, `nft flush ruleset && ${bed.BASELINE.nftables} && ${bed.KUBE_PROXY_TABLES}`);
                await restoreFromKeptScript(x);
            }
            assert.ok(await canConnect(bed.CLIENT_HOST, H1.ip, 24007), "the kept script did not open the client port again");
            await clusterFormed();
        });
    });

    describe("switching firewall backends", () => {
        const h = new LiveStack();
        after(async () => {
            await h.destroy().catch(() => undefined);
            for (const x of bed.CLUSTER_HOSTS) await bed.resetFirewall(x);
        });

        it("11. iptables, then the hosts move to nftables and the client's network is taken out: the iptables rules go, and the client is refused", async () => {
            await lockDown("iptables");
            await h.up(program(args()));
            assert.match(h.find("hc-firewall-gt-h1").outputs.stdout, /firewall backend on 10\.77\.0\.1: iptables/);
            assert.ok(await canConnect(bed.CLIENT_HOST, H1.ip, 24007));
            // The operator moves each host to nftables: the iptables policy opens, an inet filter
            // table drops; the component's iptables chain is left where it was.
            for (const x of bed.CLUSTER_HOSTS) await bed.inNs(x, `iptables -P INPUT ACCEPT && ${bed.BASELINE.nftables}`);
            await h.up(program(args({ clientCidrs: [] })));
            assert.match(h.find("hc-firewall-gt-h1").outputs.stdout, /firewall backend on 10\.77\.0\.1: nftables/);
            for (const x of bed.CLUSTER_HOSTS) {
                assert.strictEqual((await bed.inNsResult(x, "iptables -S GLUSTERFS")).code, 1, `${x.name} kept the iptables chain`);
                assert.strictEqual(await bed.inNs(x, "iptables -S INPUT | grep -c GLUSTERFS || true"), "0");
            }
            assert.strictEqual(await canConnect(bed.CLIENT_HOST, H1.ip, 24007), false, "the removed client still reaches 24007");
            await clusterFormed();
        });
    });

    describe("refusals", () => {
        it("12. a volume open to any client is refused unless insecureAllowAnyClient says so", async () => {
            const cases: Array<[Partial<GlusterClusterArgs>, string]> = [
                [{ clientCidrs: [], firewall: { allowAllClients: true } }, "firewall.allowAllClients"],
                [{ clientCidrs: [], firewall: { enabled: false } }, "firewall.enabled"],
            ];
            for (const [over, field] of cases) {
                const h = new LiveStack();
                await assert.rejects(
                    h.up(program({ ...args(), ...over })),
                    (e: Error) =>
                        /GlusterCluster: invalid arguments \(nothing was created\)/.test(e.message) &&
                        new RegExp(
                            `\`${field.replace(".", "\\.")}\`: .*any host that reaches the servers could mount the volume read-write.*insecureAllowAnyClient: true`,
                        ).test(e.message),
                );
                assert.deepStrictEqual(h.log, []);
            }
        });

        it("13. a host presenting another SSH host key than the pinned one is refused, and nothing is created", async () => {
            const h = new LiveStack();
            try {
                await assert.rejects(
                    h.up(program(args({ hostKey: (x) => (x === H2 ? bed.hostKey(H3) : bed.hostKey(x)) }))),
                    /\(hc-[a-z]+-gt-h2\): error: .*ssh: handshake failed: ssh: host key mismatch/,
                );
                for (const host of bed.CLUSTER_HOSTS) assert.strictEqual(await on(host)("ps", "-aq"), "");
            } finally {
                await h.destroy().catch(() => undefined);
            }
        });

        it("14. bricks on a host's root filesystem are refused before any container is created", async () => {
            const h = new LiveStack();
            const onRoot = `${bed.dataRootOf(H2)}-rootfs`;
            const a = args();
            a.nodes[1] = { ...a.nodes[1], dataRoot: onRoot };
            try {
                await assert.rejects(
                    h.up(program(a)),
                    new RegExp(
                        `error on the host of gt-h2 \\(h2\\.gt\\.test\\): ${onRoot}/bricks is on the root filesystem.*allowBricksOnRootFilesystem: true`,
                    ),
                );
                for (const host of bed.CLUSTER_HOSTS) assert.strictEqual(await on(host)("ps", "-aq"), "");
            } finally {
                await h.destroy().catch(() => undefined);
                await run(["rm", "-rf", onRoot]);
            }
        });

        it("5. two nodes on one host are refused before anything is created", async () => {
            const a = args();
            a.nodes[1] = { ...a.nodes[1], host: a.nodes[0].host };
            const h = new LiveStack();
            await assert.rejects(
                h.up(program(a)),
                (e: Error) =>
                    /GlusterCluster: invalid arguments \(nothing was created\)/.test(e.message) && /`nodes\[1\]\.host`.*one node per host/.test(e.message),
            );
            assert.deepStrictEqual(h.log, []);
            for (const host of bed.CLUSTER_HOSTS) assert.strictEqual(await on(host)("ps", "-aq"), "");
        });

        it("6. a host whose SSH key is wrong fails with an error naming the host and the cause", async () => {
            const stranger = await bed.strangerKey();
            const h = new LiveStack();
            try {
                await assert.rejects(
                    h.up(program(args({ key: (host) => (host === H2 ? stranger : bed.privateKey()) }))),
                    // What the real provider says: the resource (which names the host) and Go's SSH error.
                    (e: Error) =>
                        /\(hc-[a-z]+-gt-h2\): error: after 10 failed attempts: ssh: handshake failed: ssh: unable to authenticate/.test(e.message) &&
                        !/PRIVATE KEY/.test(e.message),
                );
            } finally {
                await h.destroy().catch(() => undefined);
            }
        });
    });
});
