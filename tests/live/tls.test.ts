/**
 * TLS on a real cluster (container mode, local engine), through the real Pulumi engine:
 * only a client holding a certificate of this cluster mounts; the management and brick
 * ports speak TLS and demand a client certificate; a rotation re-issues every certificate
 * in place; switching TLS on a running cluster is refused; no private key is in the state
 * in clear. The steps share one cluster and build on each other.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GlusterCluster, GlusterClusterArgs } from "../../components";
import { LiveStack } from "./engine/stack";
import { check, run } from "./run";
import { brickChecksums, ClientWriter, sampleRunning, TEST_CLIENT_IMAGE, upgradedImage } from "./rolling-support";
import { bricksHolding, docker, engineHolds, eventually, gx, removeLeftovers, requireEngine, writeBundleDir } from "./support";

const NODES = [{ name: "tg-0" }, { name: "tg-1" }, { name: "tg-2" }];
const BASE: GlusterClusterArgs = { volumeName: "tvol", nodes: NODES, tls: { enabled: true, clients: ["app", "backup"] } };
/** After step 8: a fourth node, in the pool only, and the clients "app" alone (step 6). */
const FOUR: GlusterClusterArgs = { ...BASE, nodes: [...NODES, { name: "tg-3" }], tls: { enabled: true, clients: ["app"], rotation: 1 } };
const CLIENTS = ["tg-client-app", "tg-client-backup", "tg-client-extra", "tg-client-none", "tg-client-foreign", "tg-client-probe", "tg-client-writer"];
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), "tls-live-"));
/** Where tlsClientDockerArgs expects a client's bundle on its host (this machine). */
const BUNDLE_DIR = "/etc/glusterfs-cluster/tg";

interface Bundle {
    ca: string;
    cert: string;
    key: string;
    expires: string;
}

const program = (args: GlusterClusterArgs) => () => {
    const c = new GlusterCluster("tg", args);
    return {
        mountCommand: c.mountCommand,
        clientDockerArgs: c.clientDockerArgs,
        tlsClientDockerArgs: c.tlsClientDockerArgs,
        tlsClients: c.tlsClients,
        certificateExpiry: c.certificateExpiry,
    };
};

/**
 * A client's /var/lib/glusterd as the test hands it to a client container of the project's
 * image: the bundle in tls/ (where that image links OpenSSL's glusterfs.* files, as a Debian
 * client of the same build keeps them in /etc/ssl) and the management switch. Without a bundle: empty.
 */
function clientDir(name: string, bundle?: Bundle): string {
    const dir = path.join(WORK, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, "tls"), { recursive: true });
    if (bundle) {
        fs.writeFileSync(path.join(dir, "tls", "glusterfs.ca"), bundle.ca);
        fs.writeFileSync(path.join(dir, "tls", "glusterfs.pem"), bundle.cert);
        fs.writeFileSync(path.join(dir, "tls", "glusterfs.key"), bundle.key, { mode: 0o600 });
        fs.writeFileSync(path.join(dir, "secure-access"), "");
    }
    return dir;
}

/** A bundle of another CA, with a CN the volume allows: what a stolen name without the cluster's CA looks like. */
async function foreignBundle(cn: string): Promise<Bundle> {
    const dir = fs.mkdtempSync(path.join(WORK, "foreign-"));
    const sh = (script: string) => check(["sh", "-c", script], { cwd: dir });
    await sh(`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=foreign CA' 2>/dev/null`);
    await sh(`openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj '/CN=${cn}' 2>/dev/null`);
    await sh(`openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 2>/dev/null`);
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    return { ca: read("ca.pem"), cert: read("leaf.pem"), key: read("leaf.key"), expires: "" };
}

/** The paths in `v` whose string holds a private key in clear (a secret's ciphertext does not). */
function inClear(v: unknown, at: string): string[] {
    if (typeof v === "string") return /-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{16}/.test(v) ? [at] : [];
    if (Array.isArray(v)) return v.flatMap((x, i) => inClear(x, `${at}[${i}]`));
    if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => inClear(x, `${at}.${k}`));
    return [];
}

/**
 * Captures every TCP packet in client container `name`'s network namespace (a namespace of a
 * network this test created) while `write` runs: whether `marker` crossed the wire in clear,
 * and how many bytes were captured (so a capture that saw nothing cannot pass for encryption).
 */
async function markerOnTheWire(name: string, marker: string, write: () => Promise<void>): Promise<{ seen: boolean; bytes: number }> {
    const pid = await docker("inspect", "-f", "{{.State.Pid}}", name);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "capture-"));
    const pcap = path.join(dir, "capture.pcap");
    const cap = spawn("nsenter", ["-t", pid, "-n", "tcpdump", "--immediate-mode", "-i", "any", "-U", "-s", "0", "-Z", "root", "-w", pcap, "tcp"], {
        stdio: ["ignore", "ignore", "pipe"],
    });
    try {
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("tcpdump did not start within 10 s")), 10_000);
            cap.stderr.on("data", (d: Buffer) => /listening on/.test(d.toString()) && (clearTimeout(timer), resolve()));
            let said = "";
            cap.stderr.on("data", (d: Buffer) => (said += d.toString()));
            cap.on("exit", (code) => (clearTimeout(timer), reject(new Error(`tcpdump exited ${code}: ${said.trim()}`))));
        });
        await write();
    } finally {
        // Without --immediate-mode, what the kernel holds in its buffer when tcpdump is stopped is lost.
        if (cap.exitCode === null && cap.signalCode === null) {
            const exited = new Promise((r) => cap.once("exit", r));
            cap.kill("SIGINT");
            const force = setTimeout(() => cap.kill("SIGKILL"), 5_000);
            await exited;
            clearTimeout(force);
        }
    }
    const bytes = fs.readFileSync(pcap);
    fs.rmSync(dir, { recursive: true, force: true });
    return { seen: bytes.includes(Buffer.from(marker)), bytes: bytes.length };
}

/** A marker no file holds by chance, and a file of it (repeated: one packet is enough to show it). */
const MARKER = `tls-marker-${Math.random().toString(16).slice(2, 14)}`;
const writeMarker = (client: string, mnt: string) => async () => {
    await check(["docker", "exec", client, "sh", "-c", `for i in $(seq 200); do printf '%s\\n' ${MARKER}; done > ${mnt}/marker.txt && sync`]);
};

describe("live: TLS between servers and clients", function () {
    this.timeout(600_000);
    const h = new LiveStack();
    let outputs: Record<string, any>;
    let image: string;
    /** The image of step 9, which the later steps keep. */
    let v2: string;

    const startClient = async (name: string, dir: string) => {
        await run(["docker", "rm", "-f", name]);
        await docker("run", "-d", "--name", name, ...outputs.clientDockerArgs, "-v", `${dir}:/var/lib/glusterd`, "--entrypoint", "sleep", image, "infinity");
    };
    /** Mounts in client `name` and writes `text` to `file`, reading it back; the mount's exit and output. */
    const mountAndWrite = async (name: string, file: string, text: string) =>
        run([
            "docker",
            "exec",
            name,
            "sh",
            "-c",
            `mkdir -p /mnt/tvol && ${outputs.mountCommand} && echo ${text} > /mnt/tvol/${file} && sync && cat /mnt/tvol/${file}`,
        ]);
    const containerIds = async () => Promise.all(NODES.map((n) => docker("inspect", "-f", "{{.Id}}", n.name)));
    /** The SHA-256 fingerprint of the certificate a node's files hold. */
    const nodeCert = (node: string) => docker("exec", node, "sh", "-c", "sha256sum < /var/lib/glusterd/tls/glusterfs.pem");
    /** The nodes whose brick holds `file`. */
    const onBricks = (file: string) =>
        bricksHolding(
            NODES.map((n) => n.name),
            "tvol",
            file,
        );
    /** A verifying fio writer holding app's bundle (in its own directory `dir`). */
    const appWriter = (dir: string) =>
        ClientWriter.start(docker, "tg-client-writer", TEST_CLIENT_IMAGE, outputs.clientDockerArgs, outputs.mountCommand, "/mnt/tvol", [
            "-v",
            `${clientDir(dir, outputs.tlsClients.app)}:/var/lib/glusterd`,
        ]);
    /** How many bricks count a connection from `ip` among their clients. */
    const bricksServing = async (ip: string) =>
        Number(
            await gx(
                docker,
                "tg-0",
                "volume status tvol clients",
                `count(//volume/node[starts-with(path,'/')]/clientsStatus/client[starts-with(hostname,'${ip}:')])`,
            ),
        );

    before(async () => {
        await requireEngine();
        await removeLeftovers(docker, "tg", CLIENTS);
    });
    after(async () => {
        if (process.env.KEEP_CLUSTER) return;
        await run(["docker", "rm", "-f", ...CLIENTS]);
        await h.destroy().catch(() => undefined);
        await removeLeftovers(docker, "tg", CLIENTS);
        fs.rmSync(WORK, { recursive: true, force: true });
        fs.rmSync(BUNDLE_DIR, { recursive: true, force: true });
    });

    it("1. stands up with TLS: the volume is started with client.ssl and server.ssl on, and auth.ssl-allow naming every node and client", async () => {
        outputs = await h.up(program(BASE));
        image = h.find("tg-image-local").outputs.imageName;
        const option = (key: string) => gx(docker, "tg-1", "volume info tvol", `string(//volume/options/option[name='${key}']/value)`);
        assert.strictEqual(await gx(docker, "tg-0", "volume info tvol", "string(//volume/statusStr)"), "Started");
        assert.deepStrictEqual([await option("client.ssl"), await option("server.ssl")], ["on", "on"]);
        assert.strictEqual(await option("auth.ssl-allow"), "app,backup,tg-0,tg-1,tg-2");
        for (const n of NODES) {
            await docker("exec", n.name, "test", "-e", "/var/lib/glusterd/secure-access");
            assert.strictEqual(await gx(docker, n.name, "peer status", "count(//peer[state=3 and connected=1])"), "2", `${n.name}'s peers over TLS`);
        }
        assert.deepStrictEqual(Object.keys(outputs.tlsClients).sort(), ["app", "backup"]);
        assert.deepStrictEqual(Object.keys(outputs.certificateExpiry).sort(), ["client app", "client backup", "node tg-0", "node tg-1", "node tg-2"]);
    });

    it("2. a client with its bundle mounts, writes and reads back; without one, or with another CA's certificate, it cannot mount", async () => {
        // As the outputs say: the bundle in the component's directory on the client's host,
        // mounted read-only where its GlusterFS reads it by tlsClientDockerArgs.
        const app: Bundle = outputs.tlsClients.app;
        writeBundleDir(BUNDLE_DIR, app);
        await run(["docker", "rm", "-f", "tg-client-app"]);
        await docker(
            "run",
            "-d",
            "--name",
            "tg-client-app",
            ...outputs.clientDockerArgs,
            ...outputs.tlsClientDockerArgs,
            "--entrypoint",
            "sleep",
            image,
            "infinity",
        );
        const ok = await mountAndWrite("tg-client-app", "hello.txt", "over-tls");
        assert.strictEqual(ok.code, 0, ok.stderr);
        assert.strictEqual(ok.stdout.trim(), "over-tls");
        for (const n of NODES) assert.strictEqual(await docker("exec", n.name, "cat", "/bricks/tvol/hello.txt"), "over-tls", `on ${n.name}'s brick`);
        // No certificate at all: the volfile fetch (management, TLS) fails.
        await startClient("tg-client-none", clientDir("none"));
        await mountAndWrite("tg-client-none", "none.txt", "x");
        assert.deepStrictEqual(await onBricks("none.txt"), [], "a client without a certificate wrote to a brick");
        // A certificate whose CN is allowed, signed by another CA.
        await startClient("tg-client-foreign", clientDir("foreign", { ...(await foreignBundle("app")), ca: outputs.tlsClients.app.ca }));
        await mountAndWrite("tg-client-foreign", "foreign.txt", "x");
        assert.deepStrictEqual(await onBricks("foreign.txt"), [], "a client with another CA's certificate wrote to a brick");
    });

    it("3. the management and brick ports speak TLS, present the node's certificate of the server CA and refuse a client without a certificate", async () => {
        const app: Bundle = outputs.tlsClients.app;
        const dir = clientDir("probe", app);
        await startClient("tg-client-probe", dir);
        const pid = await docker("inspect", "-f", "{{.State.Pid}}", "tg-client-probe");
        const ports = (await gx(docker, "tg-0", "volume status tvol", "//volume/node[hostname='tg-1' and starts-with(path,'/')]/port/text()")).trim();
        const ip = await docker("inspect", "-f", '{{(index .NetworkSettings.Networks "tg-net").IPAddress}}', "tg-1");
        // From the client's network namespace (a network this test's stack created), with the
        // host's openssl, holding the connection open for 1.5 s: GlusterFS completes the handshake
        // without a client certificate and then closes the connection at once (its log says "SSL
        // connect error"); with one, the connection stays open until the client ends it ("DONE").
        const sClient = (port: string, withCert: boolean) => {
            const cert = withCert ? ` -cert ${path.join(dir, "tls", "glusterfs.pem")} -key ${path.join(dir, "tls", "glusterfs.key")}` : "";
            const cmd = `sleep 1.5 | openssl s_client -connect ${ip}:${port} -CAfile ${path.join(dir, "tls", "glusterfs.ca")} -verify_return_error${cert} 2>&1`;
            return run(["nsenter", "-t", pid, "-n", "sh", "-c", cmd], { timeoutMs: 20_000 });
        };
        // A client's certificate cannot pose as a server: the CA a client trusts (the server CA)
        // did not sign it; a node's certificate it did.
        const verify = (cert: string) => run(["openssl", "verify", "-CAfile", path.join(dir, "tls", "glusterfs.ca"), cert]);
        assert.notStrictEqual((await verify(path.join(dir, "tls", "glusterfs.pem"))).code, 0, "a client certificate passes for a server's");
        fs.writeFileSync(path.join(WORK, "tg-1.pem"), await docker("exec", "tg-1", "cat", "/var/lib/glusterd/tls/glusterfs.pem"));
        assert.strictEqual((await verify(path.join(WORK, "tg-1.pem"))).code, 0, "a node's certificate is not the server CA's");
        for (const port of ["24007", ports]) {
            const good = await sClient(port, true);
            assert.match(good.stdout, /^subject=.*CN ?= ?tg-1$/m, `port ${port}: ${good.stdout.slice(0, 400)}`);
            assert.match(good.stdout, /Verify return code: 0 \(ok\)/, `port ${port}`);
            assert.match(good.stdout, /^DONE$/m, `port ${port} closed a connection with a certificate`);
            const bare = await sClient(port, false);
            assert.match(bare.stdout, /Verify return code: 0 \(ok\)/, `port ${port} speaks no TLS`);
            assert.match(bare.stdout, /unexpected eof while reading/, `port ${port} kept a connection without a certificate`);
            assert.doesNotMatch(bare.stdout, /^DONE$/m, `port ${port} kept a connection without a certificate`);
        }
    });

    it("3b. what a client writes crosses the network encrypted: the capture of its traffic never holds the file's marker", async () => {
        const seen = await markerOnTheWire("tg-client-app", MARKER, writeMarker("tg-client-app", "/mnt/tvol"));
        assert.ok(seen.bytes > 20_000, `the capture holds only ${seen.bytes} bytes: it saw no write`);
        assert.strictEqual(seen.seen, false, "the marker crossed the network in clear");
        assert.match(await docker("exec", "tg-1", "head", "-n", "1", "/bricks/tvol/marker.txt"), new RegExp(`^${MARKER}$`), "the file did not reach a brick");
    });

    it("4. re-applying changes nothing", async () => {
        const mark = h.log.length;
        await h.up(program(BASE));
        assert.deepStrictEqual(
            h.since(mark).filter((e) => e.op !== "same"),
            [],
        );
    });

    it("5. a rotation re-issues every certificate in place (no container replaced); the new bundle mounts", async () => {
        const ids = await containerIds();
        const before = await Promise.all(NODES.map((n) => nodeCert(n.name)));
        outputs = await h.up(program({ ...BASE, tls: { ...BASE.tls, rotation: 1 } }));
        assert.deepStrictEqual(await containerIds(), ids, "a container was replaced");
        const after = await Promise.all(NODES.map((n) => nodeCert(n.name)));
        for (let i = 0; i < 3; i++) assert.notStrictEqual(after[i], before[i], `${NODES[i].name} kept its certificate`);
        await run(["docker", "rm", "-f", "tg-client-app"]);
        await startClient("tg-client-app", clientDir("app2", outputs.tlsClients.app));
        const ok = await mountAndWrite("tg-client-app", "rotated.txt", "rotated");
        assert.strictEqual(ok.code, 0, ok.stderr);
    });

    it("6. a client identity added is in place: it mounts, no container is replaced and app's writer sees no error; one taken out is disconnected at once and refused", async () => {
        const writer = await appWriter("writer");
        try {
            await writer.run();
            const ids = await containerIds();
            outputs = await h.up(program({ ...BASE, tls: { enabled: true, clients: ["app", "backup", "extra"], rotation: 1 } }));
            assert.deepStrictEqual(await containerIds(), ids, "a container was replaced");
            await startClient("tg-client-extra", clientDir("extra", outputs.tlsClients.extra));
            const extra = await mountAndWrite("tg-client-extra", "extra.txt", "extra");
            assert.strictEqual(extra.code, 0, extra.stderr);
            // backup mounts now, and is then taken out while mounted.
            const backup: Bundle = outputs.tlsClients.backup;
            await startClient("tg-client-backup", clientDir("backup", backup));
            const mounted = await mountAndWrite("tg-client-backup", "backup.txt", "before");
            assert.strictEqual(mounted.code, 0, mounted.stderr);
            const backupIp = await docker("inspect", "-f", '{{(index .NetworkSettings.Networks "tg-net").IPAddress}}', "tg-client-backup");
            assert.strictEqual(await bricksServing(backupIp), 3, "backup is not connected to every brick");
            outputs = await h.up(program({ ...BASE, tls: { enabled: true, clients: ["app"], rotation: 1 } }));
            assert.strictEqual(
                await gx(docker, "tg-0", "volume info tvol", "string(//volume/options/option[name='auth.ssl-allow']/value)"),
                "app,tg-0,tg-1,tg-2",
            );
            // server.dynamic-auth: every brick drops the connection the new list no longer allows.
            await eventually("every brick to drop backup's connection", 30_000, async () => (await bricksServing(backupIp)) === 0);
            // Judged by what reaches a brick: a write through the cut-off mount, and through a new
            // one, may return 0 from the client's cache, but reaches no brick.
            await run(["docker", "exec", "tg-client-backup", "sh", "-c", "echo after > /mnt/tvol/backup-after.txt; sync"], { timeoutMs: 60_000 });
            await run(["docker", "exec", "tg-client-backup", "umount", "-l", "/mnt/tvol"]);
            await mountAndWrite("tg-client-backup", "backup-again.txt", "again");
            assert.deepStrictEqual(await onBricks("backup-after.txt"), [], "backup wrote through its mount after it was taken out");
            assert.deepStrictEqual(await onBricks("backup-again.txt"), [], "backup mounted again after it was taken out");
            assert.deepStrictEqual(await onBricks("backup.txt"), ["tg-0", "tg-1", "tg-2"]);
            // Their mounts would keep knocking at the bricks through the later steps.
            await run(["docker", "rm", "-f", "tg-client-backup", "tg-client-extra"]);
            const fio = await writer.stop();
            assert.ok(fio.ok, `app's writer failed: ${fio.detail}`);
        } finally {
            await writer.stopClient();
        }
    });

    it("7. turning TLS off for the running cluster is refused before anything is touched", async () => {
        const mark = h.log.length;
        const before = await engineHolds(docker, "tg");
        await assert.rejects(
            h.up(program({ ...BASE, tls: { enabled: false } })),
            /TLS would be turned off for a volume that runs with it[\s\S]*set tls\.acceptOutage: true with tls\.enabled: false[\s\S]*put back tls\.enabled: true/,
        );
        assert.deepStrictEqual(
            h
                .since(mark)
                .filter((e) => e.op !== "same")
                .map((e) => `${e.op} ${e.name}${e.failed ? " failed" : ""}`),
            ["update tg-identity failed"],
        );
        assert.deepStrictEqual(await engineHolds(docker, "tg"), before);
    });

    it("8. a pool-only fourth node joins over TLS, with its own certificate, and is allowed to the bricks", async () => {
        outputs = await h.up(program(FOUR));
        assert.strictEqual(await gx(docker, "tg-3", "peer status", "count(//peer[state=3 and connected=1])"), "3");
        assert.strictEqual(
            await gx(docker, "tg-0", "volume info tvol", "string(//volume/options/option[name='auth.ssl-allow']/value)"),
            "app,tg-0,tg-1,tg-2,tg-3",
        );
        assert.match(await docker("exec", "tg-3", "sh", "-c", "gluster --mode=script volume heal tvol info summary"), /Number of entries: 0/);
    });

    it("9. an image change replaces one node at a time with TLS on, under a verifying writer that keeps its mount", async () => {
        v2 = await upgradedImage(image, "tls-v2");
        const writer = await appWriter("writer");
        try {
            await writer.run();
            const sampler = sampleRunning(docker, "tg", ["tg-0", "tg-1", "tg-2"]);
            try {
                await h.up(program({ ...FOUR, image: v2 }));
            } finally {
                await sampler.stop();
            }
            const fio = await writer.stop();
            assert.ok(fio.ok, `the writer failed: ${fio.detail}`);
            assert.ok(sampler.minimum() >= 2, `at one moment only ${sampler.minimum()} of 3 brick containers ran`);
            const v2Id = await docker("image", "inspect", "-f", "{{.Id}}", v2);
            for (const n of NODES) assert.strictEqual(await docker("inspect", "-f", "{{.Image}}", n.name), v2Id, `${n.name} runs another image`);
            const all = await brickChecksums(() => docker, ["tg-0", "tg-1", "tg-2"], "/bricks/tvol");
            assert.deepStrictEqual(all["tg-1"], all["tg-0"]);
            assert.deepStrictEqual(all["tg-2"], all["tg-0"]);
        } finally {
            await writer.stopClient();
        }
    });

    it("9b. a brick node replaced by a new one with TLS on, under a verifying writer: the new node is allowed before its brick takes over, the old one is gone after", async () => {
        const writer = await appWriter("writer2");
        try {
            await writer.run();
            const moved = { ...FOUR, image: v2, nodes: [NODES[0], NODES[1], { name: "tg-4", replaces: "tg-2" }, { name: "tg-3" }] };
            outputs = await h.up(program(moved));
            const fio = await writer.stop();
            assert.ok(fio.ok, `the writer failed: ${fio.detail}`);
            assert.strictEqual(
                await gx(docker, "tg-0", "volume info tvol", "string(//volume/options/option[name='auth.ssl-allow']/value)"),
                "app,tg-0,tg-1,tg-3,tg-4",
            );
            assert.deepStrictEqual((await gx(docker, "tg-0", "volume info tvol", "//volume/bricks/brick/name/text()")).split("\n"), [
                "tg-0:/bricks/tvol",
                "tg-1:/bricks/tvol",
                "tg-4:/bricks/tvol",
            ]);
            assert.strictEqual(await gx(docker, "tg-4", "peer status", "count(//peer[state=3 and connected=1])"), "3");
            assert.strictEqual((await run(["docker", "inspect", "tg-2"])).code, 1, "the old node's container is still there");
            const all = await brickChecksums(() => docker, ["tg-0", "tg-1", "tg-4"], "/bricks/tvol");
            assert.deepStrictEqual(all["tg-4"], all["tg-0"]);
        } finally {
            await writer.stopClient();
        }
    });

    it("10. no private key is in the stack's state in clear", async () => {
        const state = JSON.parse(await h.cli(["stack", "export"])) as { deployment: { resources: Array<{ urn: string }> } };
        const resources = state.deployment.resources;
        assert.ok(
            resources.some((r) => r.urn.endsWith("tg-tls-files-tg-0")),
            "the export holds the stack",
        );
        // Where a key shows in clear: the resource and the property, never the value.
        const clear = resources.flatMap((r) => inClear(r, "").map((where) => `${r.urn.split("::").pop()}${where}`));
        assert.deepStrictEqual(clear, []);
    });
});

describe("live: TLS with an operator's CA", function () {
    this.timeout(600_000);
    const h = new LiveStack();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-ca-live-"));
    const nodes = [{ name: "to-0" }, { name: "to-1" }, { name: "to-2" }];
    let ca = { cert: "", key: "" };
    const program = () => {
        const c = new GlusterCluster("to", { volumeName: "ovol", nodes, tls: { enabled: true, clients: ["app"], ca } });
        return { mountCommand: c.mountCommand, clientDockerArgs: c.clientDockerArgs, tlsClients: c.tlsClients };
    };

    before(async () => {
        await requireEngine();
        await removeLeftovers(docker, "to", ["to-client"]);
        await check(
            [
                "sh",
                "-c",
                `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=ops CA' 2>/dev/null`,
            ],
            { cwd: dir },
        );
        ca = { cert: fs.readFileSync(path.join(dir, "ca.pem"), "utf8"), key: fs.readFileSync(path.join(dir, "ca.key"), "utf8") };
    });
    after(async () => {
        if (process.env.KEEP_CLUSTER) return;
        await run(["docker", "rm", "-f", "to-client"]);
        await h.destroy().catch(() => undefined);
        await removeLeftovers(docker, "to", ["to-client"]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("every certificate is the operator CA's: the cluster forms, and a client with its bundle (the operator's CA) mounts", async () => {
        const outputs = await h.up(program);
        assert.strictEqual(await gx(docker, "to-0", "volume info ovol", "string(//volume/statusStr)"), "Started");
        const node = await docker("exec", "to-1", "cat", "/var/lib/glusterd/tls/glusterfs.pem");
        fs.writeFileSync(path.join(dir, "node.pem"), node);
        await check(["openssl", "verify", "-CAfile", path.join(dir, "ca.pem"), path.join(dir, "node.pem")]);
        assert.strictEqual(outputs.tlsClients.app.ca.trim(), ca.cert.trim());
        const client = path.join(dir, "client");
        fs.mkdirSync(path.join(client, "tls"), { recursive: true });
        fs.writeFileSync(path.join(client, "tls", "glusterfs.ca"), outputs.tlsClients.app.ca);
        fs.writeFileSync(path.join(client, "tls", "glusterfs.pem"), outputs.tlsClients.app.cert);
        fs.writeFileSync(path.join(client, "tls", "glusterfs.key"), outputs.tlsClients.app.key, { mode: 0o600 });
        fs.writeFileSync(path.join(client, "secure-access"), "");
        const image = h.find("to-image-local").outputs.imageName;
        await docker(
            "run",
            "-d",
            "--name",
            "to-client",
            ...outputs.clientDockerArgs,
            "-v",
            `${client}:/var/lib/glusterd`,
            "--entrypoint",
            "sleep",
            image,
            "infinity",
        );
        const r = await run([
            "docker",
            "exec",
            "to-client",
            "sh",
            "-c",
            `mkdir -p /mnt/ovol && ${outputs.mountCommand} && echo ops > /mnt/ovol/o && cat /mnt/ovol/o`,
        ]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stdout.trim(), "ops");
    });
});

describe("live: a plain cluster: the capture's control, then TLS turned on and off again with tls.acceptOutage", function () {
    this.timeout(600_000);
    const h = new LiveStack();
    const nodes = [{ name: "tp-0" }, { name: "tp-1" }, { name: "tp-2" }];
    const program = (tls?: GlusterClusterArgs["tls"]) => () => {
        const c = new GlusterCluster("tp", { volumeName: "pvol", nodes, ...(tls ? { tls } : {}) });
        return { mountCommand: c.mountCommand, clientDockerArgs: c.clientDockerArgs, tlsClients: c.tlsClients };
    };
    let outputs: Record<string, any>;
    const onBricks = (file: string) =>
        bricksHolding(
            nodes.map((n) => n.name),
            "pvol",
            file,
        );
    const option = (key: string) => gx(docker, "tp-0", "volume info pvol", `string(//volume/options/option[name='${key}']/value)`);

    before(async () => {
        await requireEngine();
        await removeLeftovers(docker, "tp", ["tp-client", "tp-client-tls"]);
    });
    after(async () => {
        if (process.env.KEEP_CLUSTER) return;
        await run(["docker", "rm", "-f", "tp-client", "tp-client-tls"]);
        await h.destroy().catch(() => undefined);
        await removeLeftovers(docker, "tp", ["tp-client", "tp-client-tls"]);
        fs.rmSync(WORK, { recursive: true, force: true });
    });

    it("the same capture of a client writing to a cluster without TLS does hold the marker (so the check can fail)", async () => {
        outputs = await h.up(program());
        await docker("run", "-d", "--name", "tp-client", ...outputs.clientDockerArgs, "--entrypoint", "sleep", TEST_CLIENT_IMAGE, "infinity");
        await check(["docker", "exec", "tp-client", "sh", "-c", `mkdir -p /mnt/pvol && ${outputs.mountCommand}`]);
        const seen = await markerOnTheWire("tp-client", MARKER, writeMarker("tp-client", "/mnt/pvol"));
        assert.strictEqual(seen.seen, true, `the marker was not in the ${seen.bytes} bytes captured from a plain client`);
    });

    it("turning TLS on is refused without tls.acceptOutage, touching nothing; with it, the volume is stopped, switched, started and healed: only a client with a bundle reaches the bricks, and it reads the old files", async () => {
        const ids = await Promise.all(nodes.map((n) => docker("inspect", "-f", "{{.Id}}", n.name)));
        await assert.rejects(
            h.up(program({ enabled: true, clients: ["app"] })),
            /TLS would be turned on for a volume that runs without it[\s\S]*set tls\.acceptOutage: true/,
        );
        assert.deepStrictEqual([await option("server.ssl"), await gx(docker, "tp-0", "volume info pvol", "string(//volume/statusStr)")], ["", "Started"]);
        const mark = h.log.length;
        outputs = await h.up(program({ enabled: true, clients: ["app"], acceptOutage: true }));
        assert.deepStrictEqual(await Promise.all(nodes.map((n) => docker("inspect", "-f", "{{.Id}}", n.name))), ids, "a container was replaced");
        assert.match(h.find("tp-tls-switch-stop").outputs.stdout, /stopped pvol to switch it to TLS/);
        for (const n of nodes) assert.doesNotMatch(h.find(`tp-tls-switch-${n.name}`).outputs.stdout, /no switch under way/, `${n.name} was not restarted`);
        assert.match(h.find("tp-tls-switch-start").outputs.stdout, /pvol runs with TLS/);
        assert.ok(h.since(mark).some((e) => e.name === "tp-tls-switch-start" && e.op === "create"));
        assert.deepStrictEqual(
            [await option("server.ssl"), await option("client.ssl"), await option("auth.ssl-allow"), await option("user.glusterfs-cluster.tls-switch")],
            ["on", "on", "app,tp-0,tp-1,tp-2", "done"],
            "the options, and the switch's mark let go",
        );
        assert.strictEqual(await gx(docker, "tp-0", "volume info pvol", "string(//volume/statusStr)"), "Started");
        for (const n of nodes)
            assert.strictEqual(await gx(docker, n.name, "peer status", "count(//peer[state=3 and connected=1])"), "2", `${n.name}'s peers over TLS`);
        assert.strictEqual(await gx(docker, "tp-0", "volume heal pvol info summary", "sum(//healInfo/bricks/brick/totalNumberOfEntries)"), "0");
        // The plain client's mount reaches no brick any more.
        await run(["docker", "exec", "tp-client", "sh", "-c", "timeout 20 sh -c 'echo x > /mnt/pvol/plain-after.txt; sync'"], { timeoutMs: 60_000 });
        assert.deepStrictEqual(await onBricks("plain-after.txt"), []);
        // A client with its bundle mounts, reads what was written before, and writes.
        await docker(
            "run",
            "-d",
            "--name",
            "tp-client-tls",
            ...outputs.clientDockerArgs,
            "-v",
            `${clientDir("tp-app", outputs.tlsClients.app)}:/var/lib/glusterd`,
            "--entrypoint",
            "sleep",
            TEST_CLIENT_IMAGE,
            "infinity",
        );
        const read = await check([
            "docker",
            "exec",
            "tp-client-tls",
            "sh",
            "-c",
            `mkdir -p /mnt/pvol && ${outputs.mountCommand} && head -n 1 /mnt/pvol/marker.txt && echo y > /mnt/pvol/tls-after.txt && sync`,
        ]);
        assert.strictEqual(read, MARKER);
        // glusterd itself now demands TLS: it presents tp-0's certificate of the server CA.
        const pid = await docker("inspect", "-f", "{{.State.Pid}}", "tp-client-tls");
        const ca = path.join(clientDir("tp-app-ca", outputs.tlsClients.app), "tls", "glusterfs.ca");
        const ip = await docker("inspect", "-f", '{{(index .NetworkSettings.Networks "tp-net").IPAddress}}', "tp-0");
        const hello = await run(["nsenter", "-t", pid, "-n", "sh", "-c", `sleep 1 | timeout 20 openssl s_client -connect ${ip}:24007 -CAfile ${ca} 2>&1`], {
            timeoutMs: 30_000,
        });
        assert.match(hello.stdout, /^subject=.*CN ?= ?tp-0$/m, hello.stdout.slice(0, 400));
        assert.deepStrictEqual(await onBricks("tls-after.txt"), ["tp-0", "tp-1", "tp-2"]);
        // Applied again (the acceptance still set): nothing to do.
        const again = h.log.length;
        await h.up(program({ enabled: true, clients: ["app"], acceptOutage: true }));
        assert.deepStrictEqual(
            h.since(again).filter((e) => e.op !== "same"),
            [],
        );
    });

    it("turning TLS off is refused without tls.acceptOutage, touching nothing; with it (tls.enabled: false), the volume is stopped, switched, started and healed: a plain client mounts again and reads the old files, and no node keeps its TLS files", async () => {
        const ids = await Promise.all(nodes.map((n) => docker("inspect", "-f", "{{.Id}}", n.name)));
        await assert.rejects(
            h.up(program({ enabled: false })),
            /TLS would be turned off for a volume that runs with it[\s\S]*set tls\.acceptOutage: true with tls\.enabled: false/,
        );
        assert.deepStrictEqual([await option("server.ssl"), await gx(docker, "tp-0", "volume info pvol", "string(//volume/statusStr)")], ["on", "Started"]);
        outputs = await h.up(program({ enabled: false, acceptOutage: true }));
        assert.deepStrictEqual(await Promise.all(nodes.map((n) => docker("inspect", "-f", "{{.Id}}", n.name))), ids, "a container was replaced");
        assert.match(h.find("tp-tls-switch-stop").outputs.stdout, /stopped pvol to switch it off TLS/);
        for (const n of nodes) assert.doesNotMatch(h.find(`tp-tls-switch-${n.name}`).outputs.stdout, /no switch under way/, `${n.name} was not restarted`);
        assert.match(h.find("tp-tls-switch-start").outputs.stdout, /pvol runs without TLS/);
        // The volume step reset the options the switch had set off.
        assert.deepStrictEqual(
            [await option("server.ssl"), await option("client.ssl"), await option("auth.ssl-allow"), await option("user.glusterfs-cluster.tls-switch")],
            ["", "", "", "done"],
        );
        assert.strictEqual(await gx(docker, "tp-0", "volume info pvol", "string(//volume/statusStr)"), "Started");
        for (const n of nodes) {
            assert.strictEqual(await gx(docker, n.name, "peer status", "count(//peer[state=3 and connected=1])"), "2", `${n.name}'s peers in clear`);
            assert.strictEqual(
                await docker("exec", n.name, "sh", "-c", "ls /var/lib/glusterd/secure-access /var/lib/glusterd/tls/glusterfs.key 2>/dev/null | wc -l"),
                "0",
            );
        }
        assert.strictEqual(await gx(docker, "tp-0", "volume heal pvol info summary", "sum(//healInfo/bricks/brick/totalNumberOfEntries)"), "0");
        assert.deepStrictEqual(outputs.tlsClients, {});
        // The plain client mounts again, reads what was written with TLS, and writes.
        const read = await check([
            "docker",
            "exec",
            "tp-client",
            "sh",
            "-c",
            `umount -l /mnt/pvol 2>/dev/null || true; ${outputs.mountCommand} && cat /mnt/pvol/tls-after.txt && echo z > /mnt/pvol/plain-again.txt && sync`,
        ]);
        assert.strictEqual(read, "y");
        assert.deepStrictEqual(await onBricks("plain-again.txt"), ["tp-0", "tp-1", "tp-2"]);
        // Applied again (the acceptance still set): nothing to do.
        const again = h.log.length;
        await h.up(program({ enabled: false, acceptOutage: true }));
        assert.deepStrictEqual(
            h.since(again).filter((e) => e.op !== "same"),
            [],
        );
    });
});
