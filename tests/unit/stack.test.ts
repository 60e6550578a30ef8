import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../helpers";
import { stackConfig } from "../support/stack-config";

const INDEX = path.resolve(__dirname, "..", "..", "index");

async function runStack(config: Record<string, unknown>) {
    return runProgram(() => {
        pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
        delete require.cache[require.resolve(INDEX)];
        return require(INDEX);
    });
}

describe("the stack program", () => {
    it("builds the local default from Pulumi.dev.yaml and exports the mount contract", async () => {
        const { rec, outputs } = await runStack(stackConfig("dev"));
        assert.strictEqual(rec.ofType("glusterfs:index:GlusterCluster").length, 1);
        assert.deepStrictEqual(
            rec
                .ofType("docker:index/container:Container")
                .map((c) => c.inputs.name)
                .sort(),
            ["gluster-0", "gluster-1", "gluster-2"],
        );
        assert.strictEqual(outputs.volumeName, "my_vol");
        assert.strictEqual(outputs.mountCommand, "mount -t glusterfs -o backup-volfile-servers=gluster-1:gluster-2 gluster-0:/my_vol /mnt/my_vol");
        assert.deepStrictEqual(Object.keys(outputs).sort(), [
            "backupVolfileServers",
            "brickPortRange",
            "certificateExpiry",
            "clientDockerArgs",
            "clientDockerNote",
            "fstabEntry",
            "mountCommand",
            "mountEndpoint",
            "poolMembers",
            "servers",
            "storageClassName",
            "tlsClientDockerArgs",
            "tlsClientFiles",
            "tlsClients",
            "volumeName",
        ]);
    });

    it("builds the three-host example in host mode, with the SSH key from a secret", async () => {
        const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nexample-secret\n-----END OPENSSH PRIVATE KEY-----";
        const { rec, outputs } = await runStack({ ...stackConfig("hosts.example"), "glusterfs:sshPrivateKey": key });
        const remote = rec.ofType("command:remote:Command");
        assert.ok(remote.length >= 10);
        for (const r of remote) {
            // The connection (with the key) reaches the provider as a secret.
            assert.ok("4dabf18193072939515e22adb298388d" in r.inputs.connection, `${r.name}'s connection is not secret`);
            // Whatever the login shell, the POSIX scripts run under sh.
            for (const script of [r.inputs.create, r.inputs.update, r.inputs.delete].filter((x) => x !== undefined)) {
                assert.match(script, /^sh -c '/, `${r.name} does not run its script with sh -c`);
            }
        }
        assert.deepStrictEqual(
            rec.ofType("docker:index/container:Container").map((c) => c.inputs.networkMode),
            ["host", "host", "host"],
        );
        assert.strictEqual(rec.ofType("pulumi:providers:docker").length, 3);
        assert.deepStrictEqual(
            rec
                .ofType("pulumi:providers:docker")
                .map((p) => p.inputs.host)
                .sort(),
            ["ssh://root@gfs1.example.net", "ssh://root@gfs2.example.net", "ssh://root@gfs3.example.net"],
        );
        assert.deepStrictEqual(
            rec
                .ofType("command:remote:Command")
                .filter((r) => r.name.includes("firewall"))
                .map((r) => r.name)
                .sort(),
            [
                "gluster-firewall-gfs1",
                "gluster-firewall-gfs2",
                "gluster-firewall-gfs3",
                "gluster-firewall-settle-gfs1",
                "gluster-firewall-settle-gfs2",
                "gluster-firewall-settle-gfs3",
            ],
        );
        assert.strictEqual(outputs.mountEndpoint, "gfs1.example.net:/shared");
        assert.doesNotMatch(JSON.stringify(outputs), /example-secret/);
    });

    it("refuses a stack config key the program does not read, naming the nearest one", async () => {
        await assert.rejects(runStack({ ...stackConfig("dev"), "glusterfs:clientCidr": ["10.0.5.0/24"] }), (e: Error) =>
            /`glusterfs:clientCidr`: is not a configuration key of this program, and would be ignored. Fix: did you mean `glusterfs:clientCidrs`\?/.test(
                e.message,
            ),
        );
    });

    it("refuses an SSH key written into stack config in clear text", async () => {
        const config = stackConfig("hosts.example") as Record<string, any>;
        const nodes = config["glusterfs:nodes"].map((n: any, i: number) =>
            i === 0 ? { ...n, host: { ...n.host, ssh: { ...n.host.ssh, privateKey: "KEY" } } } : n,
        );
        await assert.rejects(
            runStack({ ...config, "glusterfs:nodes": nodes, "glusterfs:sshPrivateKey": "k" }),
            (e: Error) => /`glusterfs:nodes\[0\]\.host\.ssh\.privateKey`: never holds a key in stack config/.test(e.message) && !/KEY"/.test(e.message),
        );
    });
});
