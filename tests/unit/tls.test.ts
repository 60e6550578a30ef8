/**
 * TLS (tls.enabled): validation, the certificates the component declares, the files step
 * that puts a node's material into its state storage (run for real with sh), the volume
 * options, and the identity guard's refusal to switch a running cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { findProblems, GlusterCluster, GlusterClusterArgs } from "../../components";
import { identityText, identityUpdateScript } from "../../components/identity";
import { resolveSpec } from "../../components/spec";
import { expiringSoon } from "../../components/tls";
import { tlsFilesInnerScript, tlsFilesScript } from "../../components/tlsFiles";
import { switchRestartScript, switchStartScript, switchStopScript } from "../../components/tlsSwitch";
import { fixture, runWithGluster } from "./glusterStandIn";
import { MockBehaviour, runProgram, threeRemoteNodes, withWarnings } from "../helpers";
import { volumeOptions } from "../../components/bootstrap";
import { preflightScript } from "../../components/gluster/whole";
import { tempDir } from "../support/temp-dirs";

const THREE = [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }];
const ON: GlusterClusterArgs = { nodes: THREE, tls: { enabled: true, clients: ["app", "backup"] } };

/** Runs a stack with the cluster (the mocks answering as `behaviour` says); its TLS outputs resolved, and the cluster itself. */
async function declare(args: GlusterClusterArgs, behaviour: MockBehaviour = {}) {
    let cluster: GlusterCluster | undefined;
    const { rec, outputs } = await runProgram(() => {
        cluster = new GlusterCluster("gluster", args);
        return {
            clients: cluster.tlsClients,
            files: cluster.tlsClientFiles,
            dockerArgs: cluster.tlsClientDockerArgs,
            expiry: cluster.certificateExpiry,
            servers: cluster.servers,
        };
    }, behaviour);
    return { rec, outputs, cluster: cluster! };
}

function messages(args: GlusterClusterArgs): string[] {
    return findProblems(args).map((p) => `${p.field}: ${p.message}`);
}

describe("TLS", () => {
    describe("validation", () => {
        it("accepts TLS on with client identities, and off with none", () => {
            assert.deepStrictEqual(messages(ON), []);
            assert.deepStrictEqual(messages({ nodes: THREE, tls: { enabled: false } }), []);
        });

        it("refuses a client name that is a glob, a node's name, or twice; clients without TLS; the ssl keys in volumeOptions", () => {
            const m = messages({
                nodes: THREE,
                tls: { enabled: true, clients: ["app*", "gluster-1", "app", "app"], rotation: -1, validityDays: 0 },
                volumeOptions: { "ssl.own-cert": "/etc/x.pem", "auth.ssl-allow": "*" },
            });
            const expect = [
                /^tls\.rotation: must be a whole number, 0 or more/,
                /^tls\.validityDays: must be a whole number of days from 1 to 3650/,
                /^tls\.clients\[0\]: must be a DNS label .*no '\*'/,
                /^tls\.clients\[1\]: "gluster-1" is a node's name or address: .*could pass for the node/,
                /^tls\.clients\[3\]: "app" is listed twice/,
                /^volumeOptions\["ssl\.own-cert"\]: is set by the component while it manages TLS.*Fix: remove it/,
                /^volumeOptions\["auth\.ssl-allow"\]: is set by the component/,
            ];
            for (const e of expect)
                assert.ok(
                    m.some((x) => e.test(x)),
                    `${e} not in:\n${m.join("\n")}`,
                );
            assert.match(
                messages({ nodes: THREE, tls: { clients: ["app"] } }).join("\n"),
                /tls\.clients: client identities need TLS, which is off by default in container mode\. Fix: set tls\.enabled: true/,
            );
        });

        it("refuses a node whose name would give a TLS resource the name of another child", () => {
            const m = messages({ nodes: [{ name: "gluster-0" }, { name: "tls-key-gluster-0" }, { name: "gluster-2" }], tls: { enabled: true } });
            assert.ok(
                m.some((x) => /^nodes\[1\]\.name: "tls-key-gluster-0" would give two of the component's resources the same name/.test(x)),
                m.join("\n"),
            );
            assert.deepStrictEqual(messages({ nodes: [{ name: "gluster-0" }, { name: "tls-key-gluster-0" }, { name: "gluster-2" }] }), []);
        });
    });

    describe("what the component declares", () => {
        it("declares nothing of TLS when it is off, and empty TLS outputs", async () => {
            const { rec, outputs } = await declare({ nodes: THREE });
            assert.deepStrictEqual(
                rec.records.filter((r) => r.type.startsWith("tls:") || r.name.includes("-tls-")),
                [],
            );
            assert.deepStrictEqual([outputs.clients, outputs.files, outputs.expiry, outputs.dockerArgs], [{}, {}, {}, []]);
        });

        it("two CAs and a P-256 key and certificate per node (CN: its address) and per client (CN: its name), with the rotation in the OU", async () => {
            const { rec } = await declare({ ...ON, tls: { ...ON.tls, rotation: 3 } });
            for (const k of rec.ofType("tls:index/privateKey:PrivateKey"))
                assert.deepStrictEqual([k.inputs.algorithm, k.inputs.ecdsaCurve], ["ECDSA", "P256"], k.name);
            assert.deepStrictEqual(rec.ofType("tls:index/privateKey:PrivateKey").length, 2 + 3 + 2);
            const cas = rec.ofType("tls:index/selfSignedCert:SelfSignedCert");
            assert.deepStrictEqual(cas.map((c) => [c.name, c.inputs.isCaCertificate, c.inputs.subject.commonName]).sort(), [
                ["gluster-tls-client-ca", true, "gluster client CA"],
                ["gluster-tls-server-ca", true, "gluster server CA"],
            ]);
            const requests = rec
                .ofType("tls:index/certRequest:CertRequest")
                .map((r) => `${r.inputs.subject.commonName} / ${r.inputs.subject.organizationalUnit}`);
            assert.deepStrictEqual(requests.sort(), [
                "app / rotation 3",
                "backup / rotation 3",
                "gluster-0 / rotation 3",
                "gluster-1 / rotation 3",
                "gluster-2 / rotation 3",
            ]);
            const signed = rec.ofType("tls:index/locallySignedCert:LocallySignedCert");
            assert.deepStrictEqual(
                signed.map((s) => s.inputs.validityPeriodHours),
                [365 * 24, 365 * 24, 365 * 24, 365 * 24, 365 * 24],
            );
        });

        it("each node's files step gets its material as a secret standard input, never in its script, and comes before the node's container", async () => {
            const { rec } = await declare(ON);
            for (const node of ["gluster-0", "gluster-1", "gluster-2"]) {
                const files = rec.named(`gluster-tls-files-${node}`);
                assert.match(String(files.inputs.create), /docker run --rm -i --network none -v gluster-gluster-[0-2]-state:\/var\/lib\/glusterd /);
                // Recorded as the SDK serializes a secret.
                const secret = files.inputs.stdin as { [sig: string]: unknown; value: string };
                assert.strictEqual(secret["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "the material is not a secret");
                const stdin = secret.value;
                for (const line of stdin.split("\n").filter((l) => l && !l.startsWith("-----")))
                    assert.ok(!String(files.inputs.create).includes(line), "the script holds the material");
                assert.match(
                    stdin,
                    /^-----BEGIN EC PRIVATE KEY-----\n[\s\S]*-----BEGIN CERTIFICATE-----[\s\S]*-----BEGIN CERTIFICATE-----[\s\S]*-----BEGIN CERTIFICATE-----/,
                );
                assert.ok(rec.named(`gluster-${node}`).dependsOn.includes(`gluster-tls-files-${node}`), `${node}'s container does not wait for its TLS files`);
            }
        });

        it("the volume gets client.ssl and server.ssl on, and auth.ssl-allow lists every node and client", () => {
            const spec = resolveSpec("gluster", { ...ON, nodes: [...THREE, { name: "gluster-3" }] });
            const options = volumeOptions(spec, [], false, true).perVolume;
            assert.deepStrictEqual(
                [options["client.ssl"], options["server.ssl"], options["auth.ssl-allow"]],
                ["on", "on", "app,backup,gluster-0,gluster-1,gluster-2,gluster-3"],
            );
            // Only while TLS runs (a host-mode cluster that ran plain by default keeps running plain).
            assert.strictEqual(volumeOptions(spec, [], false, false).perVolume["client.ssl"], undefined);
            assert.strictEqual(volumeOptions(resolveSpec("gluster", { nodes: THREE }), [], false, true).perVolume["client.ssl"], undefined);
        });

        it("the preflight holds when each certificate ends, to refuse a roll once one has", async () => {
            const { rec } = await declare(ON);
            const create = String(rec.named("gluster-preflight").inputs.create);
            // The mocks' certificates end on 2036-01-01.
            for (const who of ["client app", "client backup", "node gluster-0", "node gluster-2"])
                assert.ok(create.includes(`[ "$now" -lt 2082758400 ] || expired="$expired, ${who}"`), who);
            const plain = await declare({ nodes: THREE });
            assert.doesNotMatch(String(plain.rec.named("gluster-preflight").inputs.create), /expired=/);
        });

        it("the client bundles are a secret output, with the files a client puts them in", async () => {
            const { outputs, cluster } = await declare(ON);
            assert.ok(await pulumi.isSecret(cluster.tlsClients), "tlsClients is not a secret");
            const clients = outputs.clients;
            assert.deepStrictEqual(Object.keys(clients).sort(), ["app", "backup"]);
            assert.match(clients.app.key, /^-----BEGIN EC PRIVATE KEY-----/);
            assert.deepStrictEqual(Object.keys(outputs.files).sort(), [
                "/etc/ssl/glusterfs.ca",
                "/etc/ssl/glusterfs.key",
                "/etc/ssl/glusterfs.pem",
                "/var/lib/glusterd/secure-access",
            ]);
            assert.deepStrictEqual(Object.keys(outputs.expiry).sort(), ["client app", "client backup", "node gluster-0", "node gluster-1", "node gluster-2"]);
            // The docker arguments mount each of those files, read-only, from the component's directory.
            assert.deepStrictEqual(outputs.dockerArgs, [
                "-v",
                "/etc/glusterfs-cluster/gluster/glusterfs.ca:/etc/ssl/glusterfs.ca:ro",
                "-v",
                "/etc/glusterfs-cluster/gluster/glusterfs.pem:/etc/ssl/glusterfs.pem:ro",
                "-v",
                "/etc/glusterfs-cluster/gluster/glusterfs.key:/etc/ssl/glusterfs.key:ro",
                "-v",
                "/etc/glusterfs-cluster/gluster/secure-access:/var/lib/glusterd/secure-access:ro",
            ]);
        });
    });

    describe("the files step (run with sh)", () => {
        const block = (kind: string, body: string) => `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
        const bundle = block("EC PRIVATE KEY", "KEY") + block("CERTIFICATE", "LEAF") + block("CERTIFICATE", "SERVERCA") + block("CERTIFICATE", "CLIENTCA");

        function run(input: string) {
            const state = tempDir("tls-files-");
            const text = tlsFilesInnerScript("gluster-0").split("/var/lib/glusterd").join(state);
            const r = spawnSync("sh", ["-c", text], { input, encoding: "utf8" });
            return { ...r, state };
        }

        it("splits the key, the node's certificate and the CAs into OpenSSL's three files, and turns management TLS on", () => {
            const r = run(bundle);
            assert.strictEqual(r.status, 0, r.stderr);
            const read = (f: string) => fs.readFileSync(path.join(r.state, "tls", f), "utf8");
            assert.strictEqual(read("glusterfs.key"), block("EC PRIVATE KEY", "KEY"));
            assert.strictEqual(read("glusterfs.pem"), block("CERTIFICATE", "LEAF"));
            assert.strictEqual(read("glusterfs.ca"), block("CERTIFICATE", "SERVERCA") + block("CERTIFICATE", "CLIENTCA"));
            assert.strictEqual(fs.statSync(path.join(r.state, "tls", "glusterfs.key")).mode & 0o077, 0, "the key is readable by others");
            assert.ok(fs.existsSync(path.join(r.state, "secure-access")));
            assert.doesNotMatch(r.stdout + r.stderr, /KEY\n|LEAF/);
        });

        it("fails, naming the missing part and printing none of the material, when the bundle lacks one, and leaves the files it had", () => {
            const first = run(bundle);
            const text = tlsFilesInnerScript("gluster-0").split("/var/lib/glusterd").join(first.state);
            const r = spawnSync("sh", ["-c", text], { input: block("CERTIFICATE", "LEAF"), encoding: "utf8" });
            assert.strictEqual(r.status, 1);
            assert.match(r.stderr, /the TLS material of gluster-0 has no glusterfs\.key part/);
            assert.doesNotMatch(r.stderr, /LEAF/);
            assert.strictEqual(fs.readFileSync(path.join(first.state, "tls", "glusterfs.key"), "utf8"), block("EC PRIVATE KEY", "KEY"));
        });

        it("refuses a node whose state runs plain (a pool member without secure-access), writing nothing, unless the switch to TLS is accepted; a new or TLS node passes", () => {
            const state = tempDir("tls-files-plain-");
            fs.writeFileSync(path.join(state, "glusterd.info"), "UUID=x\n");
            const text = (accepted: boolean) => tlsFilesInnerScript("gluster-0", accepted).split("/var/lib/glusterd").join(state);
            // A node whose state is new (a host rebuilt in place: glusterd wrote its UUID, knows no one) passes.
            const fresh = spawnSync("sh", ["-c", text(false)], { input: bundle, encoding: "utf8" });
            assert.strictEqual(fresh.status, 0, fresh.stderr);
            fs.rmSync(path.join(state, "tls"), { recursive: true });
            fs.rmSync(path.join(state, "secure-access"));
            fs.mkdirSync(path.join(state, "peers"));
            fs.writeFileSync(path.join(state, "peers", "74ef5fff-07be-433e-8442-c25c2753660c"), "hostname1=gluster-1\n");
            const refused = spawnSync("sh", ["-c", text(false)], { input: bundle, encoding: "utf8" });
            assert.strictEqual(refused.status, 1);
            assert.match(
                refused.stderr,
                /gluster-0 runs without TLS .*Nothing was changed\. Keep it plain: set tls\.enabled: false, and replace the identity step once more.*Or switch it: set tls\.enabled: true and tls\.acceptOutage: true/,
            );
            assert.deepStrictEqual([fs.existsSync(path.join(state, "tls")), fs.existsSync(path.join(state, "secure-access"))], [false, false]);
            const accepted = spawnSync("sh", ["-c", text(true)], { input: bundle, encoding: "utf8" });
            assert.strictEqual(accepted.status, 0, accepted.stderr);
            // Now that it has secure-access (a node that runs TLS), a later run (a rotation) passes.
            assert.strictEqual(spawnSync("sh", ["-c", text(false)], { input: bundle, encoding: "utf8" }).status, 0);
        });

        it("the host side runs the node's image with its state storage, no network, the material on standard input", () => {
            const spec = resolveSpec("gluster", ON);
            const s = tlsFilesScript(spec, spec.nodes[0], "glusterfs-cluster/glusterfs:11");
            assert.match(
                s,
                /^set -eu\ndocker run --rm -i --network none -v gluster-gluster-0-state:\/var\/lib\/glusterd --entrypoint sh glusterfs-cluster\/glusterfs:11 -c '/,
            );
        });
    });

    describe("certificates near their end", () => {
        it("names those that end within 30 days", () => {
            const now = new Date("2026-12-06T00:00:00Z");
            assert.deepStrictEqual(
                expiringSoon({ "node a": "2026-12-20T00:00:00Z", "node b": "2027-03-01T00:00:00Z", "client c": "2027-01-05T00:00:00Z", "client d": "" }, now),
                [
                    ["node a", "2026-12-20T00:00:00Z"],
                    ["client c", "2027-01-05T00:00:00Z"],
                ],
            );
        });

        it("warns on every run, naming the certificate and the fix", async () => {
            const soon = new Date(Date.now() + 10 * 24 * 3600 * 1000).toISOString();
            const { logged } = await withWarnings(() =>
                declare(ON, {
                    state: (type: string, name: string) =>
                        type === "tls:index/locallySignedCert:LocallySignedCert" && name.endsWith("-app") ? { validityEndTime: soon } : {},
                }),
            );
            assert.deepStrictEqual(
                logged.filter((m) => m.includes("ends on")),
                [`GlusterCluster gluster: the certificate of client app ends on ${soon}. Fix: raise tls.rotation (README: TLS).`],
            );
        });
    });

    describe("TLS by default in host mode", () => {
        const HOSTS: GlusterClusterArgs = { networkMode: "host", nodes: threeRemoteNodes(), clientCidrs: ["10.0.5.0/24"], tls: { clients: ["app"] } };
        /** The identity step's record of a host-mode cluster that ran plain (as the update script leaves it). */
        const plainRecord = (args: GlusterClusterArgs) => identityText(resolveSpec("gluster", { ...args, tls: { enabled: false } }), hostEngines(args));
        const hostEngines = (args: GlusterClusterArgs) => Object.fromEntries(resolveSpec("gluster", args).hosts.map((h) => [h.key, `ENGINE:${h.key}`]));

        /** Declares the cluster with the identity step answering `record`, collecting the warnings. */
        async function declareWithRecord(args: GlusterClusterArgs, record?: string) {
            const { result, logged } = await withWarnings(() =>
                declare(args, { state: (_t, name) => (record !== undefined && name === "gluster-identity" ? { stdout: record } : {}) }),
            );
            return { ...result, logged };
        }

        it("a new host-mode cluster with tls.enabled unset runs TLS: the identity records it, the files steps write the switch, the volume gets its options, the outputs hold the bundles", async () => {
            const { rec, outputs, logged } = await declareWithRecord(HOSTS);
            assert.match(String(rec.named("gluster-identity").inputs.create), /^tls on$/m);
            assert.match(String(rec.named("gluster-identity").inputs.update), /^tls default$/m);
            for (const node of ["g1", "g2", "g3"])
                assert.match(String(rec.named(`gluster-tls-files-${node}`).inputs.create), /: > \/var\/lib\/glusterd\/secure-access/);
            assert.match(String(rec.named("gluster-volume").inputs.create), /client\.ssl/);
            assert.deepStrictEqual(Object.keys(outputs.clients), ["app"]);
            assert.ok(outputs.dockerArgs.length > 0);
            assert.deepStrictEqual(
                logged.filter((m) => m.includes("TLS is off")),
                [],
            );
        });

        it("a host-mode cluster that ran plain (its record has no TLS) stays plain with tls.enabled unset: no files, no options, no key material sent, empty outputs, and a warning that says how to switch", async () => {
            const { rec, outputs, logged } = await declareWithRecord(HOSTS, plainRecord(HOSTS));
            for (const node of ["g1", "g2", "g3"]) {
                const files = rec.named(`gluster-tls-files-${node}`);
                assert.doesNotMatch(String(files.inputs.create), /secure-access|docker run/);
                assert.strictEqual((files.inputs.stdin as { value: string }).value, "", "key material sent to a plain cluster's host");
            }
            assert.doesNotMatch(String(rec.named("gluster-volume").inputs.create), /client\.ssl|auth\.ssl-allow/);
            assert.doesNotMatch(String(rec.named("gluster-preflight").inputs.create), /certificate of|secure-access/);
            assert.deepStrictEqual([outputs.clients, outputs.dockerArgs, outputs.expiry, outputs.files], [{}, [], {}, {}]);
            // With Rancher: the Secret holds no key material, and the ConfigMap names none.
            const withRancher = { ...HOSTS, rancher: { clusterId: "local" } };
            const r = await declareWithRecord(withRancher, plainRecord(withRancher));
            assert.deepStrictEqual((r.rec.named("gluster-tls-secret").inputs.data as { value: unknown }).value, { tls: "off" });
            assert.strictEqual((r.rec.named("gluster-mount-contract").inputs.data as Record<string, string>).tlsSecret, "");
            const warnings = logged.filter((m) => m.includes("TLS is off"));
            assert.strictEqual(warnings.length, 1, logged.join("\n"));
            assert.match(warnings[0], /ran without it before TLS became the default.*tls\.enabled: true and tls\.acceptOutage: true.*tls\.enabled: false/);
        });

        it("container mode, and host mode with tls.enabled: false, declare no TLS", async () => {
            for (const args of [{ nodes: THREE }, { ...HOSTS, tls: { enabled: false } }] as GlusterClusterArgs[]) {
                const { rec, logged } = await declareWithRecord(args);
                assert.deepStrictEqual(
                    rec.records.filter((r) => r.type.startsWith("tls:") || r.name.includes("tls-files")).map((r) => r.name),
                    [],
                );
                assert.deepStrictEqual(
                    logged.filter((m) => m.includes("TLS is off")),
                    [],
                );
            }
        });

        it("the identity step keeps the default as the last record says: on after a record with TLS, off (no line, no CA) after a plain one", () => {
            const next = resolveSpec("gluster", HOSTS);
            const run = (recorded: string) =>
                spawnSync("/bin/sh", ["-c", identityUpdateScript(next, hostEngines(HOSTS))], {
                    env: { PATH: process.env.PATH, PULUMI_COMMAND_STDOUT: recorded },
                    encoding: "utf8",
                });
            const on = run(identityText(next, hostEngines(HOSTS)));
            assert.deepStrictEqual([on.status, on.stderr], [0, ""]);
            assert.match(on.stdout, /^tls on$/m);
            const plain = run(plainRecord(HOSTS));
            assert.deepStrictEqual([plain.status, plain.stderr], [0, ""]);
            assert.doesNotMatch(plain.stdout, /^tls/m);
            assert.strictEqual(plain.stdout.replace(/\n$/, ""), plainRecord(HOSTS));
        });

        it("the preflight refuses TLS for a cluster whose first node's state runs plain (the record made afresh), before anything is touched; not a new cluster, nor one with the switch in place", () => {
            const root = tempDir("tls-default-");
            const state = path.join(root, "glusterd");
            fs.mkdirSync(state);
            const script = (tlsExpected: boolean) =>
                preflightScript({
                    cluster: "gluster",
                    container: "g1",
                    fingerprint: "f",
                    volumeName: "my_vol",
                    bricks: [],
                    glusterdSeconds: 1,
                    healSeconds: 1,
                    state: { dir: state },
                    tlsExpected,
                });
            // docker answers that there is no container: the script then judges the state alone.
            const bin = path.join(root, "bin");
            fs.mkdirSync(bin);
            fs.writeFileSync(path.join(bin, "docker"), "#!/bin/sh\necho 'Error: No such container: g1' >&2\nexit 1\n", { mode: 0o755 });
            const run = (tlsExpected = true) =>
                spawnSync("/bin/sh", ["-c", script(tlsExpected)], { env: { PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8" });
            assert.strictEqual(run().status, 0, "a new cluster is refused");
            fs.writeFileSync(path.join(state, "glusterd.info"), "UUID=x\n");
            assert.strictEqual(run().status, 0, "a first node rebuilt in place (its state new) is refused");
            fs.mkdirSync(path.join(state, "vols", "my_vol"), { recursive: true });
            const refused = run();
            assert.strictEqual(refused.status, 1);
            assert.match(
                refused.stderr,
                /holds a cluster that runs without TLS.*Nothing was changed\. Keep it plain: set tls\.enabled: false, and replace the identity step once more.*--replace.*Or switch it: set tls\.enabled: true and tls\.acceptOutage: true/,
            );
            fs.writeFileSync(path.join(state, "secure-access"), "");
            assert.strictEqual(run().status, 0, "a cluster that runs TLS is refused");
            fs.rmSync(path.join(state, "secure-access"));
            assert.strictEqual(run(false).status, 0, "a plain cluster is refused while TLS is not to run (or its switch is accepted)");
        });
    });

    describe("turning TLS on for a running volume (tls.acceptOutage)", () => {
        const ACCEPT: GlusterClusterArgs = { nodes: THREE, tls: { enabled: true, clients: ["app"], acceptOutage: true } };

        it("declares the stop, one restart per node and the start, after every node's TLS files and before any container", async () => {
            const { rec } = await declare(ACCEPT);
            const stop = rec.named("gluster-tls-switch-stop");
            for (const n of ["gluster-0", "gluster-1", "gluster-2"]) {
                assert.ok(stop.dependsOn.includes(`gluster-tls-files-${n}`), `the stop does not wait for ${n}'s files`);
                assert.ok(rec.named(`gluster-tls-switch-${n}`).dependsOn.includes("gluster-tls-switch-stop"));
                assert.ok(rec.named("gluster-tls-switch-start").dependsOn.includes(`gluster-tls-switch-${n}`));
                assert.ok(rec.named(`gluster-${n}`).dependsOn.includes("gluster-tls-switch-start"), `${n}'s container does not wait for the switch`);
            }
            const plain = await declare(ON);
            assert.deepStrictEqual(
                plain.rec.records.filter((r) => r.name.includes("tls-switch")),
                [],
            );
        });

        const SPEC = () => resolveSpec("gluster", { ...ACCEPT, nodes: [{ name: "rec-0" }, { name: "rec-1" }, { name: "rec-2" }], volumeName: "vol" });
        const INFO = { files: { "glusterd.info": "UUID=74ef5fff-07be-433e-8442-c25c2753660c\n", "secure-access": "" } };
        const withOptions = (status: string) =>
            fixture("volume-info")
                .replace("</options>", "<option><name>server.ssl</name><value>on</value></option></options>")
                .replace(/<statusStr>Started<\/statusStr>/, `<statusStr>${status}</statusStr>`);
        const REPLIES = { "volume info vol": fixture("volume-info"), "peer status": fixture("peer-status") };
        const running = { container: { status: "running", cluster: "gluster", spec: "x" } };

        it("the stop step stops a plain, started volume and sets its TLS options; a volume that has them (switched, or half-way) it leaves to the next steps", () => {
            const r = runWithGluster(switchStopScript(SPEC()), REPLIES, INFO);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(
                r.calls.filter((c) => /^volume (stop|set)/.test(c)),
                // server.ssl last: its value marks the switch under way.
                [
                    "volume stop vol",
                    "volume set vol user.glusterfs-cluster.tls-switch on",
                    "volume set vol client.ssl on",
                    "volume set vol auth.ssl-allow app,rec-0,rec-1,rec-2",
                    "volume set vol server.ssl on",
                ],
            );
            for (const status of ["Started", "Stopped"]) {
                const again = runWithGluster(switchStopScript(SPEC()), { ...REPLIES, "volume info vol": withOptions(status) }, INFO);
                assert.strictEqual(again.code, 0, again.stderr);
                assert.deepStrictEqual(again.calls, ["volume info vol"], status);
            }
            // glusterd not answering is not "no volume yet": the step stops.
            const silent = runWithGluster(switchStopScript(SPEC()), { ...REPLIES, "volume info vol": "" }, INFO);
            assert.strictEqual(silent.code, 1);
            assert.match(silent.stderr, /cannot read vol/);
        });

        it("a node is restarted only while the switch is under way (the volume stopped with its TLS options): re-run on a volume that runs, it restarts nothing", () => {
            const under = runWithGluster(
                switchRestartScript(SPEC(), "rec-1"),
                { "volume info vol": withOptions("Stopped"), "pool list": fixture("pool-list") },
                { ...INFO, ...running },
            );
            assert.strictEqual(under.code, 0, under.stderr);
            assert.ok(under.docker.includes("restart -t 60 rec-1"), under.docker.join("\n"));
            for (const info of [withOptions("Started"), fixture("volume-info")]) {
                const done = runWithGluster(switchRestartScript(SPEC(), "rec-1"), { "volume info vol": info }, { ...INFO, ...running });
                assert.strictEqual(done.code, 0, done.stderr);
                assert.ok(!done.docker.some((d) => d.startsWith("restart")), done.docker.join("\n"));
            }
        });

        it("the start step starts the volume only while the switch is under way, then waits for it whole; a running volume it leaves alone", () => {
            const replies = {
                ...REPLIES,
                "volume info vol": withOptions("Stopped"),
                "volume status vol": fixture("volume-status"),
                "volume heal vol info summary": fixture("heal-summary"),
            };
            const under = runWithGluster(switchStartScript(SPEC()), replies, INFO);
            assert.strictEqual(under.code, 0, under.stderr);
            assert.ok(under.calls.includes("volume start vol"));
            assert.ok(under.calls.indexOf("volume start vol") < under.calls.indexOf("volume heal vol info summary"));
            const done = runWithGluster(switchStartScript(SPEC()), { ...replies, "volume info vol": withOptions("Started") }, INFO);
            assert.strictEqual(done.code, 0, done.stderr);
            assert.deepStrictEqual(done.calls, ["volume info vol"]);
        });
    });

    describe("turning TLS off for a running volume (tls.enabled: false, tls.acceptOutage)", () => {
        const OFF: GlusterClusterArgs = {
            nodes: [{ name: "rec-0" }, { name: "rec-1" }, { name: "rec-2" }],
            volumeName: "vol",
            tls: { enabled: false, acceptOutage: true },
        };
        const SPEC = () => resolveSpec("gluster", OFF);
        const INFO = { files: { "glusterd.info": "UUID=74ef5fff-07be-433e-8442-c25c2753660c\n" } };
        const withSsl = (value: string, status: string) =>
            fixture("volume-info")
                .replace("</options>", `<option><name>server.ssl</name><value>${value}</value></option></options>`)
                .replace(/<statusStr>Started<\/statusStr>/, `<statusStr>${status}</statusStr>`);
        const REPLIES = { "volume info vol": withSsl("on", "Started"), "peer status": fixture("peer-status") };
        const running = { container: { status: "running", cluster: "gluster", spec: "x" } };

        it("is validated: acceptOutage says which way by tls.enabled, and declares the three steps without TLS material", async () => {
            assert.deepStrictEqual(messages({ nodes: THREE, tls: { enabled: false, acceptOutage: true } }), []);
            assert.match(
                messages({ nodes: THREE, tls: { acceptOutage: true } }).join("\n"),
                /tls\.acceptOutage: .*says which by tls\.enabled, which is not set\. Fix: set tls\.enabled: true \(to TLS\) or false \(off it\)/,
            );
            const { rec } = await declare({ nodes: THREE, tls: { enabled: false, acceptOutage: true } });
            assert.deepStrictEqual(
                rec.records
                    .filter((r) => r.name.includes("tls-"))
                    .map((r) => r.name)
                    .sort(),
                [
                    "gluster-tls-switch-gluster-0",
                    "gluster-tls-switch-gluster-1",
                    "gluster-tls-switch-gluster-2",
                    "gluster-tls-switch-start",
                    "gluster-tls-switch-stop",
                ],
            );
        });

        it("the stop step stops a volume that runs TLS and sets client.ssl and server.ssl off (server.ssl last); a plain volume, or one with them off, it leaves alone", () => {
            const r = runWithGluster(switchStopScript(SPEC(), "off"), REPLIES, INFO);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(
                r.calls.filter((c) => /^volume (stop|set)/.test(c)),
                ["volume stop vol", "volume set vol user.glusterfs-cluster.tls-switch off", "volume set vol client.ssl off", "volume set vol server.ssl off"],
            );
            for (const info of [fixture("volume-info"), withSsl("off", "Stopped"), withSsl("off", "Started")]) {
                const again = runWithGluster(switchStopScript(SPEC(), "off"), { ...REPLIES, "volume info vol": info }, INFO);
                assert.strictEqual(again.code, 0, again.stderr);
                assert.deepStrictEqual(again.calls, ["volume info vol"]);
            }
        });

        it("a node's switch and TLS files are removed and it is restarted only while the switch is under way", () => {
            const under = runWithGluster(
                switchRestartScript(SPEC(), "rec-1", "off"),
                { "volume info vol": withSsl("off", "Stopped"), "pool list": fixture("pool-list") },
                { ...INFO, ...running },
            );
            assert.strictEqual(under.code, 0, under.stderr);
            const removed = under.docker.findIndex((d) =>
                /^exec rec-1 sh -c rm -f \S*\/secure-access \S*\/tls\/glusterfs\.key \S*\/tls\/glusterfs\.pem \S*\/tls\/glusterfs\.ca$/.test(d),
            );
            const restarted = under.docker.indexOf("restart -t 60 rec-1");
            assert.ok(removed >= 0 && restarted > removed, under.docker.join("\n"));
            for (const info of [withSsl("on", "Stopped"), withSsl("off", "Started"), fixture("volume-info")]) {
                const done = runWithGluster(switchRestartScript(SPEC(), "rec-1", "off"), { "volume info vol": info }, { ...INFO, ...running });
                assert.strictEqual(done.code, 0, done.stderr);
                assert.ok(!done.docker.some((d) => d.startsWith("restart") || d.includes("rm -f")), done.docker.join("\n"));
            }
        });

        it("on a volume that runs plain, a node holding the TLS files of a switch to TLS that never stopped the volume is refused, touching nothing: finishing that switch first is the way", () => {
            const withFiles = { files: { ...INFO.files, "secure-access": "", "tls/glusterfs.key": "K" } };
            const r = runWithGluster(
                switchRestartScript(SPEC(), "rec-1", "off"),
                { "volume info vol": fixture("volume-info"), "peer status": fixture("peer-status") },
                { ...withFiles, ...running },
            );
            assert.strictEqual(r.code, 1);
            assert.match(
                r.stderr,
                /rec-1 holds the TLS files of a switch to TLS that did not finish.*Nothing was changed\. Finish that switch first: set tls\.enabled: true and tls\.acceptOutage: true/,
            );
            assert.ok(!r.docker.some((d) => /rm -f|^restart/.test(d)), r.docker.join("\n"));
            // Without such files, nothing to do.
            const clean = runWithGluster(switchRestartScript(SPEC(), "rec-1", "off"), { "volume info vol": fixture("volume-info") }, { ...INFO, ...running });
            assert.strictEqual(clean.code, 0, clean.stderr);
        });

        it("a volume never started counts as stopped: the switch sets its options and the start step starts it", () => {
            const created = fixture("volume-info").replace(/<statusStr>Started<\/statusStr>/, "<statusStr>Created</statusStr>");
            const r = runWithGluster(
                switchStopScript(SPEC(), "off"),
                { ...REPLIES, "volume info vol": created.replace("</options>", "<option><name>server.ssl</name><value>on</value></option></options>") },
                INFO,
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(
                r.calls.filter((c) => /^volume (stop|set)/.test(c)),
                ["volume set vol user.glusterfs-cluster.tls-switch off", "volume set vol client.ssl off", "volume set vol server.ssl off"],
            );
        });

        it("the start step starts the volume only while the switch off is under way", () => {
            const replies = {
                ...REPLIES,
                "volume info vol": withSsl("off", "Stopped"),
                "volume status vol": fixture("volume-status"),
                "volume heal vol info summary": fixture("heal-summary"),
            };
            const under = runWithGluster(switchStartScript(SPEC(), "off"), replies, INFO);
            assert.strictEqual(under.code, 0, under.stderr);
            assert.ok(under.calls.includes("volume start vol"));
            assert.match(under.stdout, /vol runs without TLS/);
            // It lets go of the volume only once it is whole; one a failed run started, it lets go of then.
            assert.ok(under.calls.indexOf("volume set vol user.glusterfs-cluster.tls-switch done") > under.calls.indexOf("volume heal vol info summary"));
            const marked = withSsl("off", "Started").replace(
                "</options>",
                "<option><name>user.glusterfs-cluster.tls-switch</name><value>off</value></option></options>",
            );
            const leftOver = runWithGluster(switchStartScript(SPEC(), "off"), { ...replies, "volume info vol": marked }, INFO);
            assert.deepStrictEqual(leftOver.calls, ["volume info vol", "volume set vol user.glusterfs-cluster.tls-switch done"]);
            const on = runWithGluster(switchStartScript(SPEC(), "off"), { ...replies, "volume info vol": withSsl("on", "Stopped") }, INFO);
            assert.deepStrictEqual(on.calls, ["volume info vol"]);
        });
    });

    describe("the identity guard", () => {
        function update(previous: GlusterClusterArgs, next: GlusterClusterArgs) {
            const engines = (a: GlusterClusterArgs) => Object.fromEntries(resolveSpec("gluster", a).hosts.map((h) => [h.key, `ENGINE:${h.key}`]));
            const recorded = identityText(resolveSpec("gluster", previous), engines(previous));
            const r = spawnSync("/bin/sh", ["-c", identityUpdateScript(resolveSpec("gluster", next), engines(next))], {
                env: { PATH: process.env.PATH, PULUMI_COMMAND_STDOUT: recorded },
                encoding: "utf8",
            });
            return { status: r.status, stderr: r.stderr };
        }

        it("refuses turning TLS on or off for a running cluster, saying what to put back; a new client or a rotation passes", () => {
            const on = update({ nodes: THREE }, ON);
            assert.strictEqual(on.status, 1);
            assert.match(on.stderr, /TLS would be turned on for a volume that runs without it.*put back tls\.enabled: false/);
            const off = update(ON, { nodes: THREE });
            assert.strictEqual(off.status, 1);
            assert.match(
                off.stderr,
                /TLS would be turned off for a volume that runs with it.*set tls\.acceptOutage: true with tls\.enabled: false.*put back tls\.enabled: true/,
            );
            assert.strictEqual(update(ON, { ...ON, tls: { enabled: true, clients: ["app", "backup", "etl"], rotation: 1 } }).status, 0);
            assert.strictEqual(update({ nodes: THREE }, { nodes: THREE, tls: { enabled: false } }).status, 0);
        });

        it("going back to an identity recorded before a switch does not switch TLS back: the refusal stands", () => {
            const engines = (a: GlusterClusterArgs) => Object.fromEntries(resolveSpec("gluster", a).hosts.map((h) => [h.key, `ENGINE:${h.key}`]));
            const switched = { ...ON, tls: { ...ON.tls, acceptOutage: true } };
            // The record after a switch to TLS: the switched identity, then the plain one before it.
            const recorded = `${identityText(resolveSpec("gluster", switched), engines(switched))}\nearlier\n${identityText(resolveSpec("gluster", { nodes: THREE }), engines({ nodes: THREE }))}`;
            const r = spawnSync(
                "/bin/sh",
                ["-c", identityUpdateScript(resolveSpec("gluster", { nodes: THREE, tls: { enabled: false } }), engines({ nodes: THREE }))],
                {
                    env: { PATH: process.env.PATH, PULUMI_COMMAND_STDOUT: recorded },
                    encoding: "utf8",
                },
            );
            assert.strictEqual(r.status, 1, r.stdout);
            assert.match(r.stderr, /TLS would be turned off for a volume that runs with it/);
        });

        it("lets TLS be turned on, or off, for a running cluster with tls.acceptOutage, saying what it does", () => {
            assert.match(update({ nodes: THREE }, ON).stderr, /To accept that outage, set tls\.acceptOutage: true/);
            const accepted = update({ nodes: THREE }, { ...ON, tls: { ...ON.tls, acceptOutage: true } });
            assert.strictEqual(accepted.status, 0, accepted.stderr);
            assert.match(
                accepted.stderr,
                /switching TLS on for the running volume \(tls\.acceptOutage\): it is stopped, every node restarted with TLS, and started again/,
            );
            // Once on, the acceptance changes nothing and says nothing.
            const again = update({ ...ON, tls: { ...ON.tls, acceptOutage: true } }, { ...ON, tls: { ...ON.tls, acceptOutage: true } });
            assert.deepStrictEqual([again.status, again.stderr], [0, ""]);
            assert.strictEqual(update({ ...ON, tls: { ...ON.tls, acceptOutage: true } }, ON).status, 0);
            const off = update(ON, { nodes: THREE, tls: { enabled: false, acceptOutage: true } });
            assert.strictEqual(off.status, 0, off.stderr);
            assert.match(
                off.stderr,
                /switching TLS off for the running volume \(tls\.acceptOutage\): it is stopped, every node restarted without TLS, and started again/,
            );
        });
    });

    describe("an operator's CA (tls.ca)", () => {
        /** A CA (self-signed), and a certificate it issued that is itself a CA (an intermediate). */
        function makeCas() {
            const dir = tempDir("tls-ca-");
            const sh = (cmd: string) => {
                const r = spawnSync("sh", ["-c", cmd], { cwd: dir, encoding: "utf8" });
                assert.strictEqual(r.status, 0, r.stderr);
            };
            sh(`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=ops CA' 2>/dev/null`);
            sh(`openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr -subj '/CN=ops intermediate' 2>/dev/null`);
            sh(
                `printf 'basicConstraints=critical,CA:TRUE\\n' > ext && openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out int.pem -days 2 -extfile ext 2>/dev/null`,
            );
            const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
            return { cert: read("ca.pem"), key: read("ca.key"), intermediate: read("int.pem"), intermediateKey: read("int.key") };
        }
        const cas = makeCas();

        it("accepts a self-signed CA and its key; refuses an intermediate, a non-certificate or no key, never showing the key", () => {
            assert.deepStrictEqual(messages({ nodes: THREE, tls: { enabled: true, ca: { cert: cas.cert, key: cas.key } } }), []);
            const m = messages({ nodes: THREE, tls: { enabled: true, ca: { cert: cas.intermediate, key: cas.intermediateKey } } });
            assert.match(m.join("\n"), /^tls\.ca\.cert: must be a self-signed CA certificate .* got one issued by "CN=ops CA"/m);
            const bad = messages({ nodes: THREE, tls: { enabled: true, ca: { cert: "not a certificate", key: "" } } });
            assert.match(bad.join("\n"), /^tls\.ca\.cert: must be the CA's certificate \(PEM\)/m);
            assert.match(bad.join("\n"), /^tls\.ca\.key: must be the CA's private key \(PEM\)/m);
            assert.doesNotMatch(m.join("\n") + bad.join("\n"), /PRIVATE KEY/);
        });

        it("refuses a CA that has expired, and a key that is not its own, naming the field and never the key", () => {
            const dir = tempDir("tls-old-ca-");
            const sh = (cmd: string) => {
                const r = spawnSync("sh", ["-c", cmd], { cwd: dir, encoding: "utf8" });
                assert.strictEqual(r.status, 0, r.stderr);
            };
            // openssl req cannot back-date; openssl ca can (-startdate/-enddate).
            sh(`openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.csr -subj '/CN=old CA' 2>/dev/null`);
            fs.writeFileSync(
                path.join(dir, "ca.cnf"),
                "[ca]\ndefault_ca=d\n[d]\ndatabase=index\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n",
            );
            sh(
                `: > index && echo 01 > serial && openssl ca -batch -config ca.cnf -selfsign -keyfile ca.key -in ca.csr -out ca.pem -startdate 20200101000000Z -enddate 20200102000000Z -extensions v3 -notext 2>/dev/null`,
            );
            const old = { cert: fs.readFileSync(path.join(dir, "ca.pem"), "utf8"), key: fs.readFileSync(path.join(dir, "ca.key"), "utf8") };
            const expired = messages({ nodes: THREE, tls: { enabled: true, ca: old } });
            assert.match(expired.join("\n"), /^tls\.ca\.cert: expired on Jan {2}2 00:00:00 2020 GMT/m);
            const mismatched = messages({ nodes: THREE, tls: { enabled: true, ca: { cert: cas.cert, key: old.key } } });
            assert.match(mismatched.join("\n"), /^tls\.ca\.key: is not the key of tls\.ca\.cert/m);
            assert.doesNotMatch(expired.join("\n") + mismatched.join("\n"), /PRIVATE KEY|BEGIN/);
        });

        it("signs every node and client with it: no CA of the cluster's own, the CA key a secret, one CA in each node's files", async () => {
            const { rec } = await declare({ ...ON, tls: { ...ON.tls, ca: { cert: cas.cert, key: cas.key } } });
            assert.strictEqual(rec.ofType("tls:index/selfSignedCert:SelfSignedCert").length, 0);
            assert.strictEqual(rec.ofType("tls:index/privateKey:PrivateKey").length, 3 + 2);
            for (const c of rec.ofType("tls:index/locallySignedCert:LocallySignedCert")) {
                assert.strictEqual(c.inputs.caCertPem, cas.cert.trim());
                const key = c.inputs.caPrivateKeyPem as Record<string, string>;
                assert.strictEqual(key["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "the CA key is not a secret");
            }
            const stdin = (rec.named("gluster-tls-files-gluster-0").inputs.stdin as Record<string, string>).value;
            assert.strictEqual((stdin.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length, 2, "the node's files hold more than its certificate and the CA");
        });

        it("the identity guard refuses a change of CA (own to operator's, or another operator's), and passes the same one", () => {
            const engines = (a: GlusterClusterArgs) => Object.fromEntries(resolveSpec("gluster", a).hosts.map((h) => [h.key, `ENGINE:${h.key}`]));
            const update = (previous: GlusterClusterArgs, next: GlusterClusterArgs) => {
                const recorded = identityText(resolveSpec("gluster", previous), engines(previous));
                return spawnSync("/bin/sh", ["-c", identityUpdateScript(resolveSpec("gluster", next), engines(next))], {
                    env: { PATH: process.env.PATH, PULUMI_COMMAND_STDOUT: recorded },
                    encoding: "utf8",
                });
            };
            const withCa = (cert: string, key: string): GlusterClusterArgs => ({ ...ON, tls: { ...ON.tls, ca: { cert, key } } });
            const own = update(ON, withCa(cas.cert, cas.key));
            assert.strictEqual(own.status, 1);
            assert.match(own.stderr, /the CA that signs the cluster's certificates would change \(the cluster's own -> operator CA [0-9a-f]{64}\)/);
            const other = makeCas();
            assert.strictEqual(update(withCa(cas.cert, cas.key), withCa(other.cert, other.key)).status, 1);
            assert.strictEqual(update(withCa(cas.cert, cas.key), withCa(cas.cert, cas.key)).status, 0);
        });
    });
});
