import * as assert from "assert";
import { GlusterCluster, GlusterClusterArgs, GlusterClusterArgsError, findProblems } from "../../components";
import { runProgram } from "../helpers";

const THREE = [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }];
const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-material\n-----END OPENSSH PRIVATE KEY-----";
const remote = (h: string, extra: object = {}) => ({
    dockerHost: `ssh://root@${h}`,
    ssh: { host: h, privateKey: key, ...extra },
});
const HOST_NODES = [
    { name: "g1", address: "gfs1.example.net", host: remote("gfs1.example.net") },
    { name: "g2", address: "gfs2.example.net", host: remote("gfs2.example.net") },
    { name: "g3", address: "gfs3.example.net", host: remote("gfs3.example.net") },
];

/** [what, args, field expected, a fragment of the message] */
const CASES: Array<[string, GlusterClusterArgs, string, RegExp]> = [
    ["fewer than 3 nodes", { nodes: THREE.slice(0, 2) }, "nodes", /at least 3 nodes.*got 2.*add 1 more/],
    ["duplicate node names", { nodes: [...THREE, { name: "gluster-1" }] }, "nodes[3].name", /also the name of nodes\[1\]/],
    ["a node name with a shell character", { nodes: [THREE[0], THREE[1], { name: "g;rm -rf /" }] }, "nodes[2].name", /DNS label.*"g;rm -rf \/"/],
    ["an upper-case node name", { nodes: [THREE[0], THREE[1], { name: "Gluster_2" }] }, "nodes[2].name", /DNS label/],
    ["a volume name with a space", { nodes: THREE, volumeName: "my vol" }, "volumeName", /letters, digits.*"my vol"/],
    ["a volume name with a quote", { nodes: THREE, volumeName: "v'x" }, "volumeName", /letters, digits/],
    ["a volume name starting with '-'", { nodes: THREE, volumeName: "-v" }, "volumeName", /not starting with '-'/],
    ["a reserved volume name", { nodes: THREE, volumeName: "all" }, "volumeName", /reserves/],
    ["an unknown network mode", { nodes: THREE, networkMode: "bridge" as any }, "networkMode", /"container" or "host"; got "bridge"/],
    [
        "two nodes on one host in host mode",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs1.example.net") }] },
        "nodes[2].host",
        /nodes\[0\] already runs on "ssh:\/\/root@gfs1.example.net"; host mode allows one node per host/,
    ],
    [
        "two local nodes in host mode",
        { networkMode: "host", nodes: [{ name: "a", address: "10.0.0.1" }, { name: "b", address: "10.0.0.2" }, HOST_NODES[2]] },
        "nodes[1].host",
        /already runs on the local Docker engine/,
    ],
    ["host mode without an address", { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { name: "g3", host: remote("gfs3.example.net") }] }, "nodes[2].address", /required in host mode/],
    ["an address in container mode", { nodes: [THREE[0], THREE[1], { name: "gluster-2", address: "x.example.net" }] }, "nodes[2].address", /only applies in host mode/],
    ["a loopback address", { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], address: "127.0.0.1" }] }, "nodes[2].address", /loopback/],
    ["a remote host without SSH", { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: { dockerHost: "tcp://10.0.0.3:2376" } as any }] }, "nodes[2].host.ssh", /needs an SSH connection/],
    ["a remote host without a key", { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs3.example.net", { privateKey: "" }) }] }, "nodes[2].host.ssh.privateKey", /is required/],
    ["a malformed Docker endpoint", { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: { ...remote("gfs3.example.net"), dockerHost: "gfs3:2376" } }] }, "nodes[2].host.dockerHost", /Docker endpoint/],
    ["a bad SSH port", { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs3.example.net", { port: 70000 }) }] }, "nodes[2].host.ssh.port", /1 to 65535; got 70000/],
    ["a malformed CIDR", { nodes: THREE, clientCidrs: ["10.0.0.0/33"] }, "clientCidrs[0]", /CIDR form; got "10.0.0.0\/33"/],
    ["a CIDR that is a name", { nodes: THREE, clientCidrs: ["clients.example.net"] }, "clientCidrs[0]", /CIDR/],
    ["an unknown firewall backend", { networkMode: "host", nodes: HOST_NODES, firewall: { backend: "pf" as any } }, "firewall.backend", /one of "auto", "iptables", "nftables", "firewalld", "ufw"; got "pf"/],
    ["a firewall in container mode", { nodes: THREE, firewall: { enabled: true } }, "firewall.enabled", /container mode does not support/],
    ["a one-port brick range", { nodes: THREE, brickPorts: { base: 49152, max: 49152 } }, "brickPorts.max", /TIME_WAIT/],
    ["a brick range below glusterd's ports", { nodes: THREE, brickPorts: { base: 24007, max: 24100 } }, "brickPorts.base", /24010 to 65534/],
    ["nodes on several engines with a created bridge network", { nodes: HOST_NODES.map(({ address, ...n }) => n) }, "network.existing", /cannot span them/],
    ["an option with a newline", { nodes: THREE, volumeOptions: { "auth.allow": "a\nb" } }, 'volumeOptions["auth.allow"]', /one-line/],
    ["an option name with a space", { nodes: THREE, volumeOptions: { "auth allow": "x" } }, 'volumeOptions["auth allow"]', /not a GlusterFS option name/],
    ["an extra host mapped to a name", { nodes: THREE, extraHosts: { "g1.example.net": "gfs1" } }, 'extraHosts["g1.example.net"]', /IPv4 address/],
    ["a relative mount point", { nodes: THREE, mountPoint: "mnt/x" }, "mountPoint", /absolute path/],
    ["a data root of /", { networkMode: "host", nodes: HOST_NODES, dataRoot: "/" }, "dataRoot", /not "\/"/],
    ["a zero timeout", { nodes: THREE, timeouts: { peersSeconds: 0 } }, "timeouts.peersSeconds", /1 to 3600/],
    ["a misspelt top-level key", { nodes: THREE, clientCidr: ["10.0.5.0/24"] } as any, "clientCidr", /would be ignored. Fix: did you mean `clientCidrs`\?/],
    ["a key under the wrong argument", { nodes: THREE, firewall: { clientCidrs: ["10.0.5.0/24"] } } as any, "firewall.clientCidrs", /belongs elsewhere: the top-level argument `clientCidrs`/],
    ["a misspelt node key", { nodes: [THREE[0], THREE[1], { name: "gluster-2", adress: "x" } as any] }, "nodes[2].adress", /did you mean `nodes\[2\].address`/],
    ["a misspelt SSH key", { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs3.example.net", { privatekey: key }) }] }, "nodes[2].host.ssh.privatekey", /did you mean `nodes\[2\].host.ssh.privateKey`/],
    ["an unknown timeout", { nodes: THREE, timeouts: { bricksSeconds: 5 } } as any, "timeouts.bricksSeconds", /Fix: remove it; the keys here are `glusterdSeconds`/],
    ["a misspelt Rancher key", { nodes: THREE, rancher: { clusterId: "local", clusterID: "local" } } as any, "rancher.clusterID", /did you mean `rancher.clusterId`/],
];

describe("argument validation", () => {
    for (const [what, args, field, message] of CASES) {
        it(`refuses ${what}, naming \`${field}\``, () => {
            const problems = findProblems(args);
            const hit = problems.find((p) => p.field === field);
            assert.ok(hit, `no problem reported for ${field}; got ${JSON.stringify(problems)}`);
            assert.match(hit!.message, message);
        });
    }

    it("accepts the local default and a three-host host-mode config", () => {
        assert.deepStrictEqual(findProblems({ nodes: THREE }), []);
        assert.deepStrictEqual(findProblems({ networkMode: "host", nodes: HOST_NODES, clientCidrs: ["10.0.5.0/24"] }), []);
    });

    it("lists every problem in one error, and never shows an SSH key", () => {
        const args: GlusterClusterArgs = {
            volumeName: "bad name",
            networkMode: "host",
            nodes: [HOST_NODES[0], { ...HOST_NODES[1], name: "G2" }, { ...HOST_NODES[2], host: remote("gfs1.example.net") }],
        };
        const err = (() => {
            try {
                new GlusterCluster("x", args);
            } catch (e) {
                return e as GlusterClusterArgsError;
            }
            return undefined;
        })();
        assert.ok(err instanceof GlusterClusterArgsError);
        assert.deepStrictEqual(err!.problems.map((p) => p.field).sort(), ["nodes[1].name", "nodes[2].host", "volumeName"]);
        assert.match(err!.message, /nothing was created/);
        assert.doesNotMatch(err!.message, /secret-material|PRIVATE KEY/);
    });

    it("registers nothing when the arguments are bad", async () => {
        const { rec } = await runProgram(() => {
            try {
                new GlusterCluster("x", { nodes: THREE.slice(0, 1) });
            } catch {
                /* expected */
            }
            return {};
        });
        assert.deepStrictEqual(rec.records.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });
});
