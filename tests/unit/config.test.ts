import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { clusterArgsFromConfig } from "../../components/config";
import { findProblems } from "../../components/validate";
import { value } from "../helpers";

/** Sets the whole stack config (`ns:key` → value, objects as JSON) and reads the `glusterfs` namespace. */
function argsOf(config: Record<string, unknown>) {
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
    return clusterArgsFromConfig(new pulumi.Config("glusterfs"));
}

function refusal(config: Record<string, unknown>): string {
    try {
        argsOf(config);
    } catch (e) {
        return (e as Error).message;
    }
    return assert.fail("the config was accepted");
}

const remoteNode = (name: string, ssh: Record<string, unknown>) => ({ name, host: { dockerHost: `ssh://root@${name}`, ssh: { host: name, ...ssh } } });

describe("stack config", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}));

    it("passes every key of the namespace to the component under its own name", () => {
        const config = {
            "glusterfs:volumeName": "vol1",
            "glusterfs:networkMode": "host",
            "glusterfs:network": { name: "net1" },
            "glusterfs:image": "img:1",
            "glusterfs:dataRoot": "/data/g",
            "glusterfs:deleteDataOnDestroy": "true",
            "glusterfs:volumeOptions": { "performance.cache-size": "64MB" },
            "glusterfs:clientCidrs": ["10.0.5.0/24"],
            "glusterfs:extraHosts": { gfs1: "10.0.0.1" },
            "glusterfs:firewall": { backend: "nftables" },
            "glusterfs:brickPorts": { start: 49200, end: 49210 },
            "glusterfs:mountPoint": "/mnt/x",
            "glusterfs:timeouts": { ready: 99 },
            "glusterfs:rancher": { projectId: "c-1:p-1" },
            "glusterfs:insecureAllowAnyClient": "true",
            "glusterfs:allowBricksOnRootFilesystem": "true",
            "glusterfs:createMissingVolume": "true",
        };
        const args = argsOf(config) as unknown as Record<string, unknown>;
        for (const [full, v] of Object.entries(config)) {
            const key = full.slice("glusterfs:".length);
            assert.deepStrictEqual(args[key], typeof v === "string" ? (v === "true" ? true : v) : v, key);
        }
    });

    it("reads an operator CA's key from the secret it names (tlsCaKey by default); a key written in clear text is refused", async () => {
        const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        const args = argsOf({ "glusterfs:tls": { enabled: true, ca: { cert } }, "glusterfs:tlsCaKey": "CA-KEY" });
        assert.strictEqual(args.tls!.ca!.cert, cert);
        assert.strictEqual(await value(pulumi.output(args.tls!.ca!.key)), "CA-KEY");
        assert.ok(await pulumi.isSecret(pulumi.output(args.tls!.ca!.key)));
        const named = argsOf({ "glusterfs:tls": { enabled: true, ca: { cert, keySecret: "opsCa" } }, "glusterfs:opsCa": "OPS" });
        assert.strictEqual(await value(pulumi.output(named.tls!.ca!.key)), "OPS");
        const message = refusal({ "glusterfs:tls": { enabled: true, ca: { cert, key: "CA-IN-CLEAR" } } });
        assert.match(message, /glusterfs:tls\.ca\.key`?: never holds a key in stack config/);
        assert.doesNotMatch(message, /CA-IN-CLEAR/);
    });

    it("reads each node mount's SSH key from the secret it names (sshPrivateKey by default); a key written in clear text is refused", async () => {
        const mount = (name: string, ssh: Record<string, unknown>) => ({ name, address: "10.20.0.1", ssh: { host: "10.20.0.1", ...ssh } });
        const args = argsOf({
            "glusterfs:rancher": { clusterId: "local", nodeMounts: [mount("k1", {}), mount("k2", { privateKeySecret: "nodeKey" })] },
            "glusterfs:sshPrivateKey": "KEY-DEFAULT",
            "glusterfs:nodeKey": "KEY-NODE",
        });
        const mounts = args.rancher!.nodeMounts!;
        assert.deepStrictEqual(await Promise.all(mounts.map((m) => value(pulumi.output(m.ssh.privateKey)))), ["KEY-DEFAULT", "KEY-NODE"]);
        assert.ok(await pulumi.isSecret(pulumi.output(mounts[0].ssh.privateKey)));
        const message = refusal({ "glusterfs:rancher": { clusterId: "local", nodeMounts: [mount("k1", { privateKey: "SECRET-IN-CLEAR" })] } });
        assert.match(message, /glusterfs:rancher\.nodeMounts\[0\]\.ssh\.privateKey`?: never holds a key in stack config/);
        assert.doesNotMatch(message, /SECRET-IN-CLEAR/);
    });

    it("reads a tcp:// endpoint's TLS key from the secret it names (dockerTlsKey by default); a key written in clear text is refused", async () => {
        const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        const node = (name: string, tls: Record<string, unknown>) => ({
            ...remoteNode(name, {}),
            host: { dockerHost: `tcp://${name}:2376`, ssh: { host: name }, dockerTls: tls },
        });
        const args = argsOf({
            "glusterfs:nodes": [node("g1", { caCert: cert, cert }), node("g2", { caCert: cert, cert, keySecret: "g2Key" })],
            "glusterfs:sshPrivateKey": "ssh-key",
            "glusterfs:dockerTlsKey": "tls-key-1",
            "glusterfs:g2Key": "tls-key-2",
        });
        assert.strictEqual(await value(pulumi.output(args.nodes[0].host!.dockerTls!.key)), "tls-key-1");
        assert.strictEqual(await value(pulumi.output(args.nodes[1].host!.dockerTls!.key)), "tls-key-2");
        assert.strictEqual(args.nodes[1].host!.dockerTls!.caCert, cert);
        const clear = refusal({
            "glusterfs:nodes": [node("g1", { caCert: cert, cert, key: "-----BEGIN EC PRIVATE KEY-----" })],
            "glusterfs:sshPrivateKey": "k",
            "glusterfs:dockerTlsKey": "t",
        });
        assert.match(clear, /`glusterfs:nodes\[0\]\.host\.dockerTls\.key`: never holds a key in stack config/);
        assert.doesNotMatch(clear, /BEGIN EC PRIVATE KEY/);
    });

    it("defaults to three local nodes gluster-0..2 when no nodes are configured", () => {
        assert.deepStrictEqual(
            argsOf({}).nodes.map((n) => ({ ...n })),
            [
                { name: "gluster-0", host: undefined },
                { name: "gluster-1", host: undefined },
                { name: "gluster-2", host: undefined },
            ],
        );
    });

    it("passes a non-list `nodes`, or a host without `ssh`, on to the argument checks, which name them", () => {
        const notAList = argsOf({ "glusterfs:nodes": { name: "gfs1" } });
        assert.deepStrictEqual(notAList.nodes, { name: "gfs1" });
        assert.match(
            findProblems(notAList)
                .map((p) => `${p.field}: ${p.message}`)
                .join("\n"),
            /^nodes: must be a list of at least 3 nodes/m,
        );
        const noSsh = argsOf({ "glusterfs:nodes": [{ name: "gfs1", host: { dockerHost: "ssh://root@gfs1" } }, { name: "gfs2" }, { name: "gfs3" }] });
        assert.match(
            findProblems(noSsh)
                .map((p) => `${p.field}: ${p.message}`)
                .join("\n"),
            /^nodes\[0\]\.host\.ssh: a remote host needs an SSH connection/m,
        );
    });

    it("reads each host's SSH key from the secret it names, sshPrivateKey by default", async () => {
        const args = argsOf({
            "glusterfs:nodes": [
                remoteNode("gfs1", { port: 2222, user: "ops", hostKey: "ssh-ed25519 AAAA1" }),
                remoteNode("gfs2", { privateKeySecret: "gfs2Key" }),
                remoteNode("gfs3", {}),
            ],
            "glusterfs:sshPrivateKey": "KEY-DEFAULT",
            "glusterfs:gfs2Key": "KEY-GFS2",
        });
        const ssh = args.nodes.map((n) => n.host!.ssh);
        assert.deepStrictEqual(
            ssh.map(({ host, port, user, hostKey }) => ({ host, port, user, hostKey })),
            [
                { host: "gfs1", port: 2222, user: "ops", hostKey: "ssh-ed25519 AAAA1" },
                { host: "gfs2", port: undefined, user: undefined, hostKey: undefined },
                { host: "gfs3", port: undefined, user: undefined, hostKey: undefined },
            ],
        );
        assert.deepStrictEqual(
            args.nodes.map((n) => n.host!.dockerHost),
            ["ssh://root@gfs1", "ssh://root@gfs2", "ssh://root@gfs3"],
        );
        const keys = await Promise.all(ssh.map((s) => value(pulumi.output(s.privateKey))));
        assert.deepStrictEqual(keys, ["KEY-DEFAULT", "KEY-GFS2", "KEY-DEFAULT"]);
        for (const s of ssh) assert.strictEqual(await pulumi.isSecret(pulumi.output(s.privateKey)), true);
    });

    it("refuses a key no node names as its secret, and ignores keys of other namespaces", () => {
        const nodes = [remoteNode("gfs1", { privateKeySecret: "gfs1Key" }), remoteNode("gfs2", {}), remoteNode("gfs3", {})];
        const base = { "glusterfs:nodes": nodes, "glusterfs:gfs1Key": "K1", "glusterfs:sshPrivateKey": "K", "aws:region": "eu-west-1" };
        assert.doesNotThrow(() => argsOf(base));
        const message = refusal({ ...base, "glusterfs:gfs2Key": "K2" });
        assert.match(
            message,
            /`glusterfs:gfs2Key`: is not a configuration key of this program, and would be ignored\. Fix: did you mean `glusterfs:gfs1Key`\?/,
        );
        assert.doesNotMatch(message, /aws:region|K2|K1/);
    });

    it("tells how to remove a key that is nothing like a known one", () => {
        assert.match(
            refusal({ "glusterfs:qqqqqqqqqq": "1" }),
            /`glusterfs:qqqqqqqqqq`: is not a configuration key of this program, and would be ignored\. Fix: remove it \(pulumi config rm glusterfs:qqqqqqqqqq\)\./,
        );
    });

    it("accepts each SSH key it reads and refuses any other, naming the nearest or listing them", () => {
        const ssh = { port: 22, user: "root", privateKeySecret: "sshPrivateKey", hostKey: "ssh-ed25519 AAAA" };
        const nodes = [remoteNode("gfs1", ssh), remoteNode("gfs2", ssh), remoteNode("gfs3", ssh)];
        assert.doesNotThrow(() => argsOf({ "glusterfs:nodes": nodes, "glusterfs:sshPrivateKey": "K" }));
        const wrong = [remoteNode("gfs1", { hostkey: "x" }), remoteNode("gfs2", { qqqqqqqq: 1 }), remoteNode("gfs3", {})];
        const message = refusal({ "glusterfs:nodes": wrong, "glusterfs:sshPrivateKey": "K" });
        assert.match(message, /`glusterfs:nodes\[0\]\.host\.ssh\.hostkey`: is not a known key here, and would be ignored\. Fix: did you mean `hostKey`\?/);
        assert.match(
            message,
            /`glusterfs:nodes\[1\]\.host\.ssh\.qqqqqqqq`: is not a known key here, and would be ignored\. Fix: the keys are host, port, user, privateKeySecret, hostKey\./,
        );
    });

    it("refuses a private key written in clear text, without repeating it", () => {
        const nodes = [remoteNode("gfs1", { privateKey: "SECRET-KEY-TEXT" }), remoteNode("gfs2", {}), remoteNode("gfs3", {})];
        const message = refusal({ "glusterfs:nodes": nodes, "glusterfs:sshPrivateKey": "K" });
        assert.match(
            message,
            /`glusterfs:nodes\[0\]\.host\.ssh\.privateKey`: never holds a key in stack config \(it would be stored in clear text\)\. Fix: pulumi config set --secret sshPrivateKey < KEY/,
        );
        assert.doesNotMatch(message, /SECRET-KEY-TEXT|is not a known key/);
    });
});
