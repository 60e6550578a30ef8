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
import { GlusterCluster, GlusterClusterArgs, GlusterClusterArgsError, FirewallBackend } from "../../components";
import { projectImageName } from "../../components/image";
import { Harness } from "./harness/engine";
import { readRemote, runScript } from "./harness/commands";
import { Strict } from "./harness/strict";
import { Docker, dockerOn, gx, requireEngine } from "./support";
import * as bed from "./testbed";

const IMAGE = projectImageName();
const [H1, H2, H3] = bed.CLUSTER_HOSTS;
const on = (h: bed.BedHost): Docker => dockerOn(h.dockerHost);

function args(
    over: Partial<GlusterClusterArgs> & { backend?: FirewallBackend; enabled?: boolean; key?: (h: bed.BedHost) => string; dockerHost?: (h: bed.BedHost) => string } = {},
): GlusterClusterArgs {
    const { backend, enabled, key, dockerHost, ...rest } = over;
    return {
        networkMode: "host",
        volumeName: "hvol",
        image: IMAGE,
        nodes: bed.CLUSTER_HOSTS.map((h) => ({
            name: `gt-${h.name}`,
            address: h.hostname,
            dataRoot: bed.dataRootOf(h),
            host: { dockerHost: dockerHost ? dockerHost(h) : h.dockerHost!, ssh: { host: h.ip, privateKey: key ? key(h) : bed.privateKey() } },
        })),
        extraHosts: Object.fromEntries(bed.HOSTS.map((h) => [h.hostname, h.ip])),
        clientCidrs: [`${bed.CLIENT_HOST.ip}/32`],
        firewall: { backend: backend ?? "auto", enabled: enabled ?? true },
        deleteDataOnDestroy: true,
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

async function clusterFormed(): Promise<void> {
    for (const h of bed.CLUSTER_HOSTS) {
        const d = on(h);
        assert.strictEqual(await gx(d, `gt-${h.name}`, "peer status", "count(//peer[state=3 and connected=1])"), "2", `peers seen from ${h.name}`);
    }
    assert.strictEqual(await gx(on(H1), "gt-h1", "volume info hvol", "string(//volume/statusStr)"), "Started");
    assert.strictEqual(await gx(on(H1), "gt-h1", "volume status hvol", "count(//volume/node[starts-with(path,'/') and status=1])"), "3");
}

/** The port of the brick on `host`. */
async function brickPort(host: bed.BedHost): Promise<number> {
    return Number(await gx(on(H1), "gt-h1", "volume status hvol", `string(//volume/node[starts-with(path,'/') and hostname='${host.hostname}']/port)`));
}

/** Every host's whole rule set, as the kernel reports it. */
async function rules(): Promise<string[]> {
    // Without counters, which change with every packet (iptables-nft rules carry explicit ones).
    const script = "iptables -S; nft -s list ruleset | sed -E 's/ counter packets [0-9]+ bytes [0-9]+//'";
    return Promise.all(bed.CLUSTER_HOSTS.map((h) => bed.inNs(h, script)));
}

/** Gives every cluster host a locked-down baseline of `kind`; returns the hosts' rules. */
async function lockDown(kind: keyof typeof bed.BASELINE): Promise<string[]> {
    for (const host of bed.CLUSTER_HOSTS) {
        await bed.resetFirewall(host);
        await bed.inNs(host, bed.BASELINE[kind]);
    }
    return rules();
}

/** Runs each host's firewall script again, as an update does: it must replace the set, not add to it. */
async function rerunFirewalls(h: Harness): Promise<void> {
    for (const host of bed.CLUSTER_HOSTS) {
        const fw = h.find(`hc-firewall-${host.ip}`);
        const spec = readRemote(new Strict(fw.inputs, fw.name));
        await runScript(fw.name, spec, spec.update!);
    }
}

describe("live: host mode across three hosts, with firewalls", function () {
    this.timeout(900_000);

    before(async () => {
        await requireEngine();
        await bed.setUp(IMAGE);
    });
    after(async () => {
        await bed.tearDown();
    });

    describe("iptables", () => {
        const h = new Harness();
        let outputs: Record<string, any>;
        let baseline: string[];

        before(async () => {
            baseline = await lockDown("iptables");
        });
        after(async () => {
            await h.destroy().catch(() => undefined);
        });

        it("1a. without the component's rules the locked-down hosts cannot form a cluster", async () => {
            const blocked = new Harness();
            try {
                await assert.rejects(
                    blocked.apply(program(args({ enabled: false, timeouts: { peersSeconds: 8 } }))),
                    /hc-pool[\s\S]*peer probe h2\.gt\.test: no reply from glusterd within 8 s\. Check that h2\.gt\.test resolves here and that its port 24007 is reachable/,
                );
            } finally {
                await blocked.destroy();
            }
            assert.deepStrictEqual(await rules(), baseline, "the failed run added rules");
        });

        it("1b. with them, the cluster forms and the volume starts", async () => {
            outputs = await h.apply(program(args({ backend: "iptables" })));
            await clusterFormed();
            assert.match(h.find("hc-firewall-10.77.0.1").outputs.stdout, /iptables on 10\.77\.0\.1: chain GLUSTERFS holds 15 rules/);
            assert.deepStrictEqual(outputs.servers, ["h1.gt.test", "h2.gt.test", "h3.gt.test"]);
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
            await h.apply(program(args({ backend: "iptables" })));
            assert.deepStrictEqual(h.since(mark).filter((e) => e.op !== "same"), []);
            await rerunFirewalls(h);
            const after = await Promise.all(bed.CLUSTER_HOSTS.map(count));
            assert.deepStrictEqual(after, before);
            assert.deepStrictEqual(after[0].split("\n"), ["16", "1"]);
            await h.destroy();
            assert.deepStrictEqual(await rules(), baseline);
        });
    });

    describe("nftables", () => {
        const h = new Harness();
        let baseline: string[];

        before(async () => {
            baseline = await lockDown("nftables");
        });
        after(async () => {
            await h.destroy().catch(() => undefined);
            for (const host of bed.CLUSTER_HOSTS) await bed.resetFirewall(host);
        });

        it("4. auto picks nftables on an nftables host; the cluster forms through the component's chain only", async () => {
            await h.apply(program(args({ backend: "auto" })));
            await clusterFormed();
            assert.match(h.find("hc-firewall-10.77.0.2").outputs.stdout, /firewall backend on 10\.77\.0\.2: nftables/);
            assert.match(await bed.inNs(H2, "nft list chain inet filter input"), /jump glusterfs/);
            const port = await brickPort(H2);
            assert.ok(await canConnect(bed.CLIENT_HOST, H2.ip, port), `the client cannot reach brick port ${port}`);
            assert.strictEqual(await canConnect(bed.OUTSIDER, H2.ip, 24007), false);
            assert.strictEqual(await canConnect(bed.OUTSIDER, H2.ip, port), false);
        });

        it("4b. re-applying duplicates no rule; destroy restores the hosts' rule sets exactly", async () => {
            const count = (h_: bed.BedHost) => bed.inNs(h_, "nft list chain inet filter glusterfs | grep -c accept; nft list chain inet filter input | grep -c 'jump glusterfs'");
            const before = await Promise.all(bed.CLUSTER_HOSTS.map(count));
            await rerunFirewalls(h);
            assert.deepStrictEqual(await Promise.all(bed.CLUSTER_HOSTS.map(count)), before);
            assert.deepStrictEqual(before[0].split("\n"), ["15", "1"]);
            await h.destroy();
            assert.deepStrictEqual(await rules(), baseline);
        });
    });

    describe("Docker over ssh:// endpoints, clients from Rancher's node list", () => {
        const RANCHER_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "rancher-hosts-"));
        // What ClusterSync reads from the Rancher cluster: one worker, the bed's client host.
        const h = new Harness("glusterfs", "live", { rancherDir: RANCHER_DIR, rancherNodes: [{ hostname: "worker-1", ipAddress: bed.CLIENT_HOST.ip, externalIpAddress: "", roles: ["worker"] }] });
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
            const outputs = await h.apply(program(a));
            await clusterFormed();
            assert.deepStrictEqual(h.ofType("pulumi:providers:docker").map((p) => p.inputs.host).sort(), bed.CLUSTER_HOSTS.map((x) => `ssh://root@${x.ip}`));
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

    describe("refusals", () => {
        it("5. two nodes on one host are refused before anything is created", async () => {
            const a = args();
            a.nodes[1] = { ...a.nodes[1], host: a.nodes[0].host };
            const h = new Harness();
            await assert.rejects(h.apply(program(a)), (e: Error) => e instanceof GlusterClusterArgsError && /`nodes\[1\]\.host`.*one node per host/.test(e.message));
            assert.deepStrictEqual(h.log, []);
            for (const host of bed.CLUSTER_HOSTS) assert.strictEqual(await on(host)("ps", "-aq"), "");
        });

        it("6. a host whose SSH key is wrong fails with an error naming the host and the cause", async () => {
            const stranger = await bed.strangerKey();
            const h = new Harness();
            try {
                await assert.rejects(
                    h.apply(program(args({ key: (host) => (host === H2 ? stranger : bed.privateKey()) }))),
                    // What the real provider says: the resource (which names the host) and Go's SSH error.
                    (e: Error) =>
                        /\(hc-[a-z]+-10\.77\.0\.2\): error: after 10 failed attempts: ssh: handshake failed: ssh: unable to authenticate/.test(e.message) &&
                        !/PRIVATE KEY/.test(e.message),
                );
            } finally {
                await h.destroy().catch(() => undefined);
            }
        });
    });
});
