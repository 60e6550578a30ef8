/**
 * The node mount scripts (rancher.nodeMounts), run with sh against stand-ins for systemctl,
 * findmnt, chattr and the GlusterFS client; /etc/systemd/system and the state directory are
 * temporary directories. Also the unit name against the real systemd-escape.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findProblems, GlusterCluster, GlusterClusterArgs } from "../../components";
import { runProgram } from "../helpers";
import { mountUnitName, NodeMountParams, nodeMountCheckScript, nodeMountScript, nodeUnmountScript, systemdEscapePath } from "../../components/nodeMount";
import { tempDir } from "../support/temp-dirs";

const P: NodeMountParams = {
    node: "k1",
    volumeName: "my_vol",
    source: "gluster-0:/my_vol",
    mountPoint: "/mnt/my_vol",
    options: "backup-volfile-servers=gluster-1:gluster-2",
    serverVersion: "11.1",
};

/** The stand-ins: each logs its arguments; findmnt answers from $NODE/mounted; systemctl knows the units in $NODE/units. */
const STANDINS: Record<string, string> = {
    systemctl: `#!/bin/sh
echo "systemctl $*" >> "$NODE/log"
case "$1" in
  cat) [ -f "$NODE/units/$2" ]; exit ;;
  start) [ ! -f "$NODE/start-fails" ] || exit 1; touch "$NODE/mounted" ;;
  disable) [ ! -f "$NODE/busy" ] || exit 1; rm -f "$NODE/mounted" ;;
  status) echo "mount failed" ;;
esac
exit 0`,
    findmnt: `#!/bin/sh
echo "findmnt $*" >> "$NODE/log"
[ -f "$NODE/mounted" ]`,
    chattr: `#!/bin/sh
echo "chattr $*" >> "$NODE/log"`,
    glusterfs: `#!/bin/sh
echo "glusterfs $(cat "$NODE/version") built on Oct  1 2025"`,
    "mount.glusterfs": `#!/bin/sh
exit 0`,
    hostname: `#!/bin/sh
echo k1`,
};

/** SELinux stand-ins, for a node that enforces it: getsebool answers from $NODE/fusefs ("on" or "off"). */
const SELINUX: Record<string, string> = {
    getenforce: `#!/bin/sh
echo Enforcing`,
    getsebool: `#!/bin/sh
echo "virt_use_fusefs --> $(cat "$NODE/fusefs")"`,
    setsebool: `#!/bin/sh
echo "setsebool $*" >> "$NODE/log"
[ ! -f "$NODE/setsebool-fails" ]`,
};

function node(
    opts: {
        version?: string;
        agents?: string[];
        mounted?: boolean;
        files?: string[];
        unit?: string;
        created?: boolean;
        busy?: boolean;
        selinux?: "on" | "off";
    } = {},
) {
    const dir = tempDir("node-mount-");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const [name, text] of Object.entries({ ...STANDINS, ...(opts.selinux ? SELINUX : {}) }))
        fs.writeFileSync(path.join(bin, name), `${text}\n`, { mode: 0o755 });
    if (opts.selinux) fs.writeFileSync(path.join(dir, "fusefs"), opts.selinux);
    fs.mkdirSync(path.join(dir, "units"));
    for (const a of opts.agents ?? []) fs.writeFileSync(path.join(dir, "units", a), "");
    fs.writeFileSync(path.join(dir, "version"), opts.version ?? "11.1");
    if (opts.mounted) fs.writeFileSync(path.join(dir, "mounted"), "");
    if (opts.busy) fs.writeFileSync(path.join(dir, "busy"), "");
    fs.mkdirSync(path.join(dir, "etc"), { recursive: true });
    if (opts.unit !== undefined) fs.writeFileSync(path.join(dir, "etc", "mnt-my_vol.mount"), opts.unit);
    if (opts.created) fs.mkdirSync(path.join(dir, "state", "mnt-my_vol.mount"), { recursive: true });
    if (opts.created) fs.writeFileSync(path.join(dir, "state", "mnt-my_vol.mount", "created"), "");
    for (const f of opts.files ?? []) {
        fs.mkdirSync(path.join(dir, "mnt", "my_vol"), { recursive: true });
        fs.writeFileSync(path.join(dir, "mnt", "my_vol", f), "x");
    }
    // A GlusterFS client's socket transport, naming the TLS directory it reads (lower case only, as real paths are).
    const ssl = `${os.tmpdir()}/nmtls${process.pid}n${++nodes}/ssl`;
    fs.mkdirSync(path.join(dir, "lib", "glusterfs", "rpc-transport"), { recursive: true });
    fs.writeFileSync(path.join(dir, "lib", "glusterfs", "rpc-transport", "socket.so"), `\0\u0001${ssl}/glusterfs.pem\0${ssl}/glusterfs.key\0`);
    const run = (script: string, input?: string) => {
        const text = script
            .split("/etc/systemd/system")
            .join(path.join(dir, "etc"))
            .split("/var/lib/glusterfs-cluster/mounts")
            .join(path.join(dir, "state"))
            .split("/var/lib/glusterd")
            .join(path.join(dir, "glusterd"))
            .split("find /usr/lib /usr/lib64")
            .join(`find ${path.join(dir, "lib")}`)
            .replace(/^mp=.*$/m, `mp='${path.join(dir, "mnt", "my_vol")}'`);
        assert.ok(text.includes(`mp='${dir}`), "the script would touch this machine's /mnt/my_vol");
        const r = spawnSync("sh", ["-c", text], { input, encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}`, NODE: dir } });
        const log = fs.existsSync(path.join(dir, "log")) ? fs.readFileSync(path.join(dir, "log"), "utf8").split("\n").filter(Boolean) : [];
        return { code: r.status, stdout: r.stdout, stderr: r.stderr, log };
    };
    const unit = () => fs.readFileSync(path.join(dir, "etc", "mnt-my_vol.mount"), "utf8");
    return { dir, run, unit, ssl, mp: path.join(dir, "mnt", "my_vol") };
}

let nodes = 0;
const sslDirs = () => fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(`nmtls${process.pid}n`));

describe("node mounts (rancher.nodeMounts)", () => {
    after(() => {
        for (const d of sslDirs()) fs.rmSync(path.join(os.tmpdir(), d), { recursive: true, force: true });
    });

    it("names the unit as systemd-escape --path does", () => {
        for (const p of ["/mnt/my_vol", "/srv/k8s-shared/data", "/mnt/a.b/.c", "/data/gluster_fs/x-1"]) {
            const real = spawnSync("systemd-escape", ["--path", p], { encoding: "utf8" }).stdout.trim();
            assert.strictEqual(systemdEscapePath(p), real, p);
        }
        assert.strictEqual(mountUnitName("/mnt/my_vol"), "mnt-my_vol.mount");
    });

    it("on a fresh node: makes the mount point, immutable before mounting; writes the unit before the agents the node has; starts it; proves a write", () => {
        const n = node({ agents: ["rke2-agent.service"] });
        const r = n.run(nodeMountScript(P));
        assert.strictEqual(r.code, 0, r.stderr);
        const unit = n.unit();
        assert.match(
            unit,
            /^\[Unit\]\nDescription=GlusterFS volume my_vol for Kubernetes \(glusterfs-cluster\)\nWants=network-online\.target\nAfter=network-online\.target\nBefore=rke2-agent\.service\n\[Mount\]\nWhat=gluster-0:\/my_vol\n/,
        );
        assert.match(
            unit,
            /\nType=glusterfs\nOptions=defaults,_netdev,backup-volfile-servers=gluster-1:gluster-2\n\[Install\]\nWantedBy=remote-fs\.target rke2-agent\.service\n$/,
        );
        const order = (re: RegExp) => r.log.findIndex((l) => re.test(l));
        assert.ok(order(/^chattr \+i /) >= 0 && order(/^chattr \+i /) < order(/^systemctl start mnt-my_vol\.mount/), r.log.join("\n"));
        assert.ok(r.log.includes("systemctl reenable --quiet mnt-my_vol.mount"), r.log.join("\n"));
        assert.match(r.stdout, /k1: my_vol mounted at .* by mnt-my_vol\.mount \(client 11\.1\), before rke2-agent\.service/);
        assert.ok(fs.existsSync(path.join(n.dir, "state", "mnt-my_vol.mount", "created")));
    });

    it("run again with the volume mounted and the unit unchanged: no start, no remount", () => {
        const first = node();
        first.run(nodeMountScript(P));
        const n = node({ mounted: true, unit: first.unit() });
        fs.mkdirSync(n.mp, { recursive: true });
        const r = n.run(nodeMountScript(P));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(
            r.log.filter((l) => /^systemctl (start|restart|stop|daemon-reload)|^chattr/.test(l)),
            [],
        );
        assert.doesNotMatch(r.stderr, /NOTE/);
    });

    it("a changed unit under a mounted volume is written, and takes effect at the next reboot: never remounted under the pods", () => {
        const n = node({ mounted: true, unit: "[Unit]\nold\n" });
        fs.mkdirSync(n.mp, { recursive: true });
        const r = n.run(nodeMountScript(P));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(n.unit(), /What=gluster-0:\/my_vol/);
        assert.deepStrictEqual(
            r.log.filter((l) => /^systemctl (start|restart|stop)/.test(l)),
            [],
        );
        assert.match(
            r.stderr,
            /NOTE: the mount unit on k1 changed; the volume stays mounted under its pods, and the change takes effect at the node's next reboot/,
        );
    });

    it("a client one major version behind the servers is warned about; two behind, or ahead, is refused before anything is written", () => {
        const behind = node({ version: "10.3" });
        const r = behind.run(nodeMountScript(P));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /WARNING: k1's GlusterFS client is 10\.3, a major version behind the servers \(11\.1\)/);
        for (const v of ["9.6", "12.0"]) {
            const n = node({ version: v });
            const x = n.run(nodeMountScript(P));
            assert.strictEqual(x.code, 1, v);
            assert.match(
                x.stderr,
                new RegExp(`k1's GlusterFS client is ${v.replace(".", "\\.")}, and the servers run 11\\.1: install glusterfs-client 11\\.x \\(or 10\\.x\\)`),
            );
            assert.ok(!fs.existsSync(path.join(n.dir, "etc", "mnt-my_vol.mount")), "a unit was written");
        }
    });

    it("a mount point with files in it is refused (they would hide under the volume); a unit that does not start is named", () => {
        const full = node({ files: ["data.db"] });
        const r = full.run(nodeMountScript(P));
        assert.strictEqual(r.code, 1, r.stdout + r.stderr + r.log.join("\n"));
        assert.match(r.stderr, /is not empty: files there would be hidden by the volume/);
        const failing = node();
        fs.writeFileSync(path.join(failing.dir, "start-fails"), "");
        const f = failing.run(nodeMountScript(P));
        assert.strictEqual(f.code, 1);
        assert.match(f.stderr, /k1: mnt-my_vol\.mount did not start: mount failed/);
    });

    it("on a node that enforces SELinux: turns virt_use_fusefs on when it is off, leaves it when on, and names the fix when it cannot", () => {
        const off = node({ selinux: "off" });
        const r = off.run(nodeMountScript(P));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.ok(r.log.includes("setsebool -P virt_use_fusefs on"), r.log.join("\n"));
        const on = node({ selinux: "on" });
        assert.ok(!on.run(nodeMountScript(P)).log.some((l) => l.startsWith("setsebool")));
        const stuck = node({ selinux: "off" });
        fs.writeFileSync(path.join(stuck.dir, "setsebool-fails"), "");
        const x = stuck.run(nodeMountScript(P));
        assert.strictEqual(x.code, 1);
        assert.match(x.stderr, /k1 enforces SELinux, and pods cannot use the FUSE mount without the virt_use_fusefs boolean.*setsebool -P virt_use_fusefs on/);
        // Without SELinux tools (Debian), nothing of it runs.
        assert.ok(
            !node()
                .run(nodeMountScript(P))
                .log.some((l) => l.startsWith("setsebool")),
        );
    });

    it("with TLS: puts the client identity from standard input where the node's GlusterFS reads it, with the switch; delete takes them away", () => {
        const block = (kind: string, body: string) => `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
        const n = node();
        const r = n.run(
            nodeMountScript({ ...P, tls: true }),
            block("EC PRIVATE KEY", "KEY") + block("CERTIFICATE", "CLIENT") + block("CERTIFICATE", "SERVERCA"),
        );
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(fs.readFileSync(path.join(n.ssl, "glusterfs.key"), "utf8"), block("EC PRIVATE KEY", "KEY"));
        assert.strictEqual(fs.statSync(path.join(n.ssl, "glusterfs.key")).mode & 0o077, 0, "the key is readable by others");
        assert.strictEqual(fs.readFileSync(path.join(n.ssl, "glusterfs.ca"), "utf8"), block("CERTIFICATE", "SERVERCA"));
        assert.ok(fs.existsSync(path.join(n.dir, "glusterd", "secure-access")));
        assert.doesNotMatch(r.stdout + r.stderr, /KEY\n|CLIENT/);
        // Run again (a rotation): replaced in place, not refused as another identity.
        assert.strictEqual(
            n.run(nodeMountScript({ ...P, tls: true }), block("EC PRIVATE KEY", "KEY2") + block("CERTIFICATE", "C2") + block("CERTIFICATE", "CA")).code,
            0,
        );
        const d = n.run(nodeUnmountScript(P));
        assert.strictEqual(d.code, 0, d.stderr);
        assert.deepStrictEqual(fs.readdirSync(n.ssl), []);
        assert.ok(!fs.existsSync(path.join(n.dir, "glusterd", "secure-access")));
    });

    it("with TLS: a node that already holds another client identity is refused before anything is mounted", () => {
        const n = node();
        fs.mkdirSync(n.ssl, { recursive: true });
        fs.writeFileSync(path.join(n.ssl, "glusterfs.key"), "someone else's");
        const r = n.run(nodeMountScript({ ...P, tls: true }), "");
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /k1 already holds a GlusterFS client identity in .* a node holds one/);
        assert.strictEqual(fs.readFileSync(path.join(n.ssl, "glusterfs.key"), "utf8"), "someone else's");
        assert.ok(!r.log.some((l) => l.startsWith("systemctl start")));
    });

    it("delete: stops and removes the unit, takes the flag off, removes the mount point it made; a busy mount is refused", () => {
        const made = node({ mounted: true, unit: "[Unit]\n", created: true });
        fs.mkdirSync(made.mp, { recursive: true });
        const r = made.run(nodeUnmountScript(P));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.ok(r.log.includes("systemctl disable --now --quiet mnt-my_vol.mount"), r.log.join("\n"));
        assert.ok(r.log.some((l) => /^chattr -i /.test(l)));
        assert.ok(!fs.existsSync(made.mp), `the mount point it made is still there: ${r.stdout}${r.stderr}${r.log.join("\n")}`);
        assert.ok(!fs.existsSync(path.join(made.dir, "etc", "mnt-my_vol.mount")));
        const busy = node({ mounted: true, unit: "[Unit]\n", busy: true });
        const b = busy.run(nodeUnmountScript(P));
        assert.strictEqual(b.code, 1);
        assert.match(b.stderr, /k1: mnt-my_vol\.mount could not be stopped \(pods still using .*\? drain the node first\)/);
    });

    it("the check of the cluster's node list names every node without a mount", () => {
        const mounts = [{ name: "k1", address: "10.0.0.1" }];
        assert.strictEqual(spawnSync("sh", ["-c", nodeMountCheckScript(["10.0.0.1"], mounts)]).status, 0);
        const r = spawnSync("sh", ["-c", nodeMountCheckScript(["10.0.0.1", "10.0.0.7", "10.0.0.8"], mounts)], { encoding: "utf8" });
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /the cluster's node\(s\) 10\.0\.0\.7, 10\.0\.0\.8 have no entry in rancher\.nodeMounts/);
    });

    it("validation: each node mount named, with an IPv4 address, SSH as root; none twice", () => {
        const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----";
        const problems = findProblems({
            nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
            rancher: {
                clusterId: "local",
                nodeMounts: [
                    { name: "k1", address: "10.0.0.1", ssh: { host: "10.0.0.1", privateKey: key } },
                    { name: "k1", address: "node-2", ssh: { host: "10.0.0.2", privateKey: key, user: "ubuntu" } },
                    { name: "k3", address: "10.0.0.1" } as never,
                ],
            },
        }).map((p) => `${p.field}: ${p.message}`);
        for (const e of [
            /^rancher\.nodeMounts\[1\]\.name: "k1" is listed twice/,
            /^rancher\.nodeMounts\[1\]\.address: must be the node's IPv4 address/,
            /^rancher\.nodeMounts\[1\]\.ssh\.user: must be root/,
            /^rancher\.nodeMounts\[2\]\.address: "10\.0\.0\.1" is listed twice/,
            /^rancher\.nodeMounts\[2\]\.ssh: is required/,
        ])
            assert.ok(
                problems.some((p) => e.test(p)),
                `${e} not in:\n${problems.join("\n")}`,
            );
        assert.ok(!problems.join("\n").includes("OPENSSH"), "a key was shown");
        const withTls = findProblems({
            nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
            tls: { enabled: true, clients: ["rancher-local"] },
            rancher: { clusterId: "local", nodeMounts: [{ name: "k1", address: "10.0.0.1", ssh: { host: "10.0.0.1", privateKey: key } }] },
        });
        assert.match(
            withTls.map((p) => `${p.field}: ${p.message}`).join("\n"),
            /^tls\.clients\[0\]: "rancher-local" is the identity the component gives the Rancher cluster/m,
        );
        // Reserved whenever rancher is set (the cluster's workloads mount with it too), not only with nodeMounts.
        const withoutMounts = findProblems({
            nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
            tls: { enabled: true, clients: ["rancher-local"] },
            rancher: { clusterId: "local" },
        });
        assert.match(withoutMounts.map((p) => `${p.field}: ${p.message}`).join("\n"), /^tls\.clients\[0\]: "rancher-local" is the identity/m);
    });

    describe("what the component declares", () => {
        const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----";
        const mounts = [1, 2].map((i) => ({
            name: `k${i}`,
            address: `10.20.0.${i}`,
            ssh: { host: `10.20.0.${i}`, privateKey: key, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey" },
        }));
        const SYNC = "rancher2:index/clusterSync:ClusterSync";
        const build = (args: GlusterClusterArgs, clusterNodes: string[] = []) =>
            runProgram(
                () => {
                    const c = new GlusterCluster("gluster", args);
                    return { mountCommand: c.mountCommand };
                },
                { state: (type: string) => (type === SYNC ? { nodes: clusterNodes.map((ipAddress) => ({ ipAddress })) } : {}) },
            );

        it("one remote step per node, as root with the key a secret and the host key pinned, after the volume; their addresses may mount", async () => {
            const { rec } = await build({
                nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
                rancher: { clusterId: "local", nodeMounts: mounts },
            });
            for (const m of mounts) {
                const step = rec.named(`gluster-node-mount-${m.name}`);
                assert.strictEqual(step.type, "command:remote:Command");
                // The connection holds the key: the SDK sends the whole of it as a secret.
                const wrapped = step.inputs.connection as Record<string, any>;
                assert.strictEqual(wrapped["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "the connection is not a secret");
                const conn = wrapped.value as Record<string, any>;
                assert.deepStrictEqual([conn.host, conn.user, conn.port], [m.address, "root", 22]);
                assert.strictEqual(conn.hostKey, m.ssh.hostKey);
                assert.match(String(step.inputs.create), /What=gluster-0:\/my_vol/);
                assert.match(String(step.inputs.delete), /systemctl disable --now --quiet/);
                assert.ok(step.dependsOn.includes("gluster-volume"), `${m.name} does not wait for the volume: ${step.dependsOn.join(", ")}`);
            }
            const volume = String(rec.named("gluster-volume").inputs.create).replace(/'\\''/g, "'");
            assert.ok(volume.includes("10.20.0.1,10.20.0.2"), "auth.allow lacks the node mounts' addresses");
        });

        it("with TLS, the nodes share the Rancher cluster's client identity: on each step's standard input (a secret), and in auth.ssl-allow", async () => {
            const { rec } = await build({
                nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
                tls: { enabled: true },
                rancher: { clusterId: "local", nodeMounts: mounts },
            });
            for (const m of mounts) {
                const stdin = rec.named(`gluster-node-mount-${m.name}`).inputs.stdin as Record<string, string>;
                assert.strictEqual(stdin["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "the identity is not a secret");
                assert.match(stdin.value, /^-----BEGIN EC PRIVATE KEY-----[\s\S]*-----BEGIN CERTIFICATE-----[\s\S]*-----BEGIN CERTIFICATE-----/);
            }
            assert.ok(rec.named("gluster-tls-client-cert-rancher-local"), "no certificate for the nodes");
            const volume = String(rec.named("gluster-volume").inputs.create);
            assert.ok(volume.includes("gluster-0,gluster-1,gluster-2,rancher-local"), "auth.ssl-allow lacks the nodes' identity");
        });

        it("more mount options go into every unit, after the component's; one it sets itself, or a malformed one, is refused", async () => {
            const { rec } = await build({
                nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
                rancher: { clusterId: "local", nodeMounts: mounts, nodeMountOptions: ["log-level=WARNING", "attribute-timeout=2"] },
            });
            assert.match(
                String(rec.named("gluster-node-mount-k1").inputs.create),
                /Options=defaults,_netdev,backup-volfile-servers=gluster-1:gluster-2,log-level=WARNING,attribute-timeout=2/,
            );
            const problems = findProblems({
                nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
                rancher: { clusterId: "local", nodeMounts: mounts, nodeMountOptions: ["backup-volfile-servers=x", "a b", "ro"] },
            }).map((p) => `${p.field}: ${p.message}`);
            assert.match(problems.join("\n"), /^rancher\.nodeMountOptions\[0\]: "backup-volfile-servers=x" is set by the component/m);
            assert.match(problems.join("\n"), /^rancher\.nodeMountOptions\[1\]: must be one mount option/m);
            assert.ok(!problems.some((p) => p.startsWith("rancher.nodeMountOptions[2]")), problems.join("\n"));
        });

        it("with allowClusterNodes, a check of ClusterSync's nodes against the mounts comes before every mount", async () => {
            const { rec } = await build(
                {
                    nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
                    rancher: { clusterId: "local", allowClusterNodes: true, nodeMounts: mounts },
                },
                ["10.20.0.1", "10.20.0.2", "10.20.0.9"],
            );
            const check = rec.named("gluster-node-mount-check");
            assert.match(String(check.inputs.create), /10\.20\.0\.9 have no entry in rancher\.nodeMounts/);
            for (const m of mounts) assert.ok(rec.named(`gluster-node-mount-${m.name}`).dependsOn.includes("gluster-node-mount-check"));
        });
    });
});
