/**
 * The stand-in providers the real engine drives in the live tests (tests/live/standins/):
 * their diffs answer as the real providers' schemas say (which changes replace, which
 * update in place, which replacements delete first), their protocol answers are what the
 * engine reads, and their Docker calls are worded as the Go client words them.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as http from "http";
import { run } from "../live/run";
import { apiCall, docker, dockerCheck } from "../live/standins/dockerApi";
import { dockerStandIn } from "../live/standins/docker";
import { commandStandIn } from "../live/standins/commands";
import { rancherStandIn } from "../live/standins/rancher";
import { InitError, ProviderContext, Res, StandIn } from "../live/standins/provider";
import { StandInServer } from "../live/standins/server";
import { Strict, UNKNOWN } from "../live/standins/strict";
import { tempDir } from "../support/temp-dirs";

const ctx: ProviderContext = { dockerEndpoint: () => "unix:///nonexistent.sock", warn: () => undefined, options: {} };
const res = (type: string, inputs: Record<string, any>, outputs: Record<string, any> = inputs): Res => ({
    urn: `urn:pulumi:s::p::${type}::r`,
    type,
    name: "r",
    id: "id-1",
    inputs,
    outputs,
});
/** The stand-in's diff of a resource whose inputs go from `from` to `to`, as "kind keys". */
function diff(standIn: StandIn, type: string, from: Record<string, any>, to: Record<string, any>, stored: Record<string, any> = from): string {
    const d = standIn.resource(type).diff(ctx, res(type, from, stored), res(type, to));
    return [d.kind, ...d.keys].join(" ");
}

const CONTAINER = "docker:index/container:Container";
const container = { name: "n0", image: "img", labels: [{ label: "a", value: "1" }], restart: "unless-stopped", mustRun: false };

describe("stand-ins: diffs as the providers' schemas say", () => {
    it("docker.Container: ForceNew settings replace, delete first; restart, tmpfs and health check update in place", () => {
        assert.strictEqual(diff(dockerStandIn, CONTAINER, container, container), "same");
        assert.strictEqual(diff(dockerStandIn, CONTAINER, container, { ...container, labels: [{ label: "a", value: "2" }] }), "replace labels");
        assert.strictEqual(diff(dockerStandIn, CONTAINER, container, { ...container, image: "img2", name: "n1" }), "replace name image");
        assert.strictEqual(diff(dockerStandIn, CONTAINER, container, { ...container, restart: "always", tmpfs: { "/run": "" } }), "update");
        assert.strictEqual(dockerStandIn.resource(CONTAINER).deleteBeforeReplace, true);
        // A value not known yet (a preview, or the engine asking which dependents a replacement replaces).
        assert.strictEqual(diff(dockerStandIn, CONTAINER, container, { ...container, image: UNKNOWN }), "replace image");
    });

    it("docker.Container: a refresh that found it stopped (must_run false in state) makes the next update start it, unless mustRun is false", () => {
        const { mustRun: _m, ...mustRun } = container;
        assert.strictEqual(diff(dockerStandIn, CONTAINER, mustRun, mustRun, { ...mustRun, mustRun: false }), "update");
        assert.strictEqual(diff(dockerStandIn, CONTAINER, container, container, { ...container, mustRun: false }), "same");
    });

    it("docker.Image rebuilds in place and never replaces; RemoteImage, Volume and Network replace on their name", () => {
        const build = { imageName: "x:1", skipPush: true, build: { context: "ctx", platform: "linux/amd64" } };
        assert.strictEqual(diff(dockerStandIn, "docker:index/image:Image", build, { ...build, imageName: "x:2" }), "update");
        assert.strictEqual(dockerStandIn.resource("docker:index/image:Image").deleteBeforeReplace, undefined);
        assert.strictEqual(diff(dockerStandIn, "docker:index/remoteImage:RemoteImage", { name: "a" }, { name: "a", keepLocally: true }), "update");
        assert.strictEqual(diff(dockerStandIn, "docker:index/remoteImage:RemoteImage", { name: "a" }, { name: "b" }), "replace name");
        assert.strictEqual(diff(dockerStandIn, "docker:index/volume:Volume", { name: "a" }, { name: "b" }), "replace name");
        assert.strictEqual(diff(dockerStandIn, "docker:index/network:Network", { name: "a" }, { name: "a", driver: "overlay" }), "replace driver");
    });

    it("command.Command: a changed script updates in place, a changed trigger replaces", () => {
        const cmd = { create: "echo a", triggers: ["t1"] };
        for (const type of ["command:local:Command", "command:remote:Command"]) {
            assert.strictEqual(diff(commandStandIn, type, cmd, cmd), "same");
            assert.strictEqual(diff(commandStandIn, type, cmd, { ...cmd, create: "echo b" }), "update");
            assert.strictEqual(diff(commandStandIn, type, cmd, { ...cmd, triggers: ["t2"] }), "replace triggers");
            assert.strictEqual(diff(commandStandIn, type, cmd, { ...cmd, triggers: [UNKNOWN] }), "replace triggers");
        }
    });

    it("rancher2: a ConfigMap's data updates in place, its name or namespace replaces; ClusterSync replaces on its cluster", () => {
        const cm = { clusterId: "c", namespace: "ns", name: "n", data: { k: "1" } };
        const type = "rancher2:index/configMapV2:ConfigMapV2";
        assert.strictEqual(diff(rancherStandIn, type, cm, { ...cm, data: { k: "2" } }), "update");
        assert.strictEqual(diff(rancherStandIn, type, cm, { ...cm, namespace: "other" }), "replace namespace");
        assert.strictEqual(diff(rancherStandIn, "rancher2:index/clusterSync:ClusterSync", { clusterId: "a" }, { clusterId: "b" }), "replace clusterId");
    });

    it("every stand-in refuses an argument it does not understand, and a type it does not know", () => {
        assert.throws(
            () => dockerStandIn.resource(CONTAINER).check(res(CONTAINER, { ...container, privilegedMode: true })),
            /does not understand 'privilegedMode'/,
        );
        assert.throws(
            () => commandStandIn.resource("command:local:Command").check(res("command:local:Command", { create: "x", dir: "/tmp" })),
            /does not understand 'dir'/,
        );
        assert.throws(() => dockerStandIn.resource("docker:index/service:Service"), /does not know the resource type docker:index\/service:Service/);
        assert.throws(() => dockerStandIn.config.check({ host: "unix:///x", certPath: "/c" }, "p"), /does not understand 'certPath'/);
    });

    it("reads a value not known yet as absent, and an object not known yet as holding nothing", () => {
        const s = new Strict({ a: UNKNOWN, o: UNKNOWN }, "x");
        assert.strictEqual(s.string("a"), UNKNOWN);
        const o = s.object("o");
        assert.strictEqual(o.optionalString("anything"), undefined);
        o.done();
        s.done();
        // A known value of the wrong type still fails.
        assert.throws(() => new Strict({ a: 1 }, "x").string("a"), /x\.a: expected a string, got 1/);
    });
});

describe("stand-ins: the provider protocol, as the engine reads it", () => {
    const provproto = require("@pulumi/pulumi/proto/provider_pb");
    const structproto = require("google-protobuf/google/protobuf/struct_pb");
    const statusproto = require("@pulumi/pulumi/proto/status_pb");
    const urn = "urn:pulumi:live::glusterfs::docker:index/container:Container::n0";
    /** Calls a protocol method of a server for `standIn` and resolves with its answer or its error. */
    function call(standIn: StandIn, method: string, request: any): Promise<{ err: any; value: any }> {
        const server = new StandInServer(standIn, undefined) as any;
        return new Promise((resolve) => server[method]({ request }, (err: any, value: any) => resolve({ err, value })));
    }

    it("Diff: the replacing keys, and delete-before-replace where the provider declares it", async () => {
        const req = new provproto.DiffRequest();
        req.setUrn(urn);
        req.setId("c1");
        req.setOlds(structproto.Struct.fromJavaScript(container));
        req.setOldInputs(structproto.Struct.fromJavaScript(container));
        req.setNews(structproto.Struct.fromJavaScript({ ...container, image: "img2" }));
        const { err, value } = await call(dockerStandIn, "diff", req);
        assert.ifError(err);
        assert.deepStrictEqual(
            [value.getChanges(), value.getReplacesList(), value.getDeletebeforereplace()],
            [provproto.DiffResponse.DiffChanges.DIFF_SOME, ["image"], true],
        );
    });

    it("Create in a preview returns the inputs and the computed outputs unknown, and runs nothing", async () => {
        const req = new provproto.CreateRequest();
        req.setUrn("urn:pulumi:live::glusterfs::command:local:Command::c");
        req.setPreview(true);
        req.setProperties(structproto.Struct.fromJavaScript({ create: "exit 1" }));
        const { err, value } = await call(commandStandIn, "create", req);
        assert.ifError(err);
        assert.deepStrictEqual(value.getProperties().toJavaScript(), { create: "exit 1", stdout: UNKNOWN, stderr: UNKNOWN });
    });

    it("a create that left an object behind answers ErrorResourceInitFailed with its id, so the engine keeps it", async () => {
        const failing: StandIn = {
            ...dockerStandIn,
            resource: () => ({
                ...dockerStandIn.resource(CONTAINER),
                check: () => undefined,
                create: async () => Promise.reject(new InitError("Unable to start container", "c9", { exitCode: 127 })),
            }),
        };
        const req = new provproto.CreateRequest();
        req.setUrn(urn);
        req.setProperties(structproto.Struct.fromJavaScript(container));
        const { err } = await call(failing, "create", req);
        assert.strictEqual(err.message, "Unable to start container");
        const status = statusproto.Status.deserializeBinary(err.metadata.get("grpc-status-details-bin")[0]);
        const detail = provproto.ErrorResourceInitFailed.deserializeBinary(status.getDetailsList()[0].getValue());
        assert.deepStrictEqual(
            [detail.getId(), detail.getReasonsList(), detail.getProperties().toJavaScript().exitCode],
            ["c9", ["Unable to start container"], 127],
        );
    });

    it("Check answers a failure naming what the stand-in does not understand", async () => {
        const req = new provproto.CheckRequest();
        req.setUrn(urn);
        req.setNews(structproto.Struct.fromJavaScript({ ...container, gpus: "all" }));
        const { err, value } = await call(dockerStandIn, "check", req);
        assert.ifError(err);
        assert.match(value.getFailuresList()[0].getReason(), /does not understand 'gpus'/);
    });
});

describe("stand-ins: running the docker CLI", () => {
    /** A stand-in docker that fails as the real CLI does after a late ping, `fails` times, then succeeds. */
    function fakeDocker(fails: number): { env: NodeJS.ProcessEnv; calls: () => number } {
        const dir = tempDir("fake-docker-");
        const count = path.join(dir, "count");
        fs.writeFileSync(count, "0");
        fs.writeFileSync(
            path.join(dir, "docker"),
            `#!/bin/sh\nn=$(( $(cat ${count}) + 1 )); echo $n > ${count}\nif [ $n -le ${fails} ]; then echo "docker: unknown server OS: " >&2; exit 125; fi\necho created\n`,
            { mode: 0o755 },
        );
        return { env: { PATH: `${dir}:${process.env.PATH}` }, calls: () => Number(fs.readFileSync(count, "utf8")) };
    }

    it("runs a create over ssh:// again when the CLI's 2 s ping came too late ('unknown server OS'), a few times at most", async () => {
        const late = fakeDocker(2);
        const r = await run(["docker", "-H", "ssh://root@h1", "create", "img"], { env: late.env, backoffMs: 1 });
        assert.deepStrictEqual([r.code, r.stdout.trim(), late.calls()], [0, "created", 3]);
        const never = fakeDocker(99);
        assert.strictEqual((await run(["docker", "-H", "ssh://root@h1", "create", "img"], { env: never.env, backoffMs: 1 })).code, 125);
        assert.strictEqual(never.calls(), 5);
        // A local endpoint's failure is the result.
        const local = fakeDocker(1);
        assert.strictEqual((await run(["docker", "-H", "unix:///run/docker.sock", "create", "img"], { env: local.env, backoffMs: 1 })).code, 125);
        assert.strictEqual(local.calls(), 1);
    });
});

describe("stand-ins: the Docker engine's API on a local socket", () => {
    let dir: string;
    let server: http.Server;
    let seen: Array<{ method: string; url: string; body: string }>;
    beforeEach(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-api-"));
        seen = [];
        // A stand-in engine: answers as dockerd does for the calls below.
        server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                seen.push({ method: req.method!, url: req.url!, body });
                const reply = (status: number, json: unknown) => {
                    res.writeHead(status, { "Content-Type": "application/json" });
                    res.end(JSON.stringify(json));
                };
                if (req.url === "/volumes/create") return reply(201, { Name: JSON.parse(body).Name, Driver: "local" });
                if (req.url === "/containers/gone/stop?t=30") return reply(404, { message: "No such container: gone" });
                if (req.url === "/containers/c1/start") return reply(304, {});
                if (req.url === "/networks/n1") return reply(200, { Id: "n1", IPAM: { Config: [{ Subnet: "172.30.0.0/16", Gateway: "172.30.0.1" }] } });
                reply(500, { message: `unexpected ${req.method} ${req.url}` });
            });
        });
        await new Promise<void>((r) => server.listen(path.join(dir, "docker.sock"), r));
    });
    afterEach(async () => {
        await new Promise((r) => server.close(r));
        fs.rmSync(dir, { recursive: true, force: true });
    });
    const endpoint = () => `unix://${path.join(dir, "docker.sock")}`;

    it("sends the provider's API request, and gives back what the CLI would print", async () => {
        assert.strictEqual(await dockerCheck(endpoint(), ["volume", "create", "--label", "a=b=c", "--label", "k=v", "vol-1"]), "vol-1");
        assert.deepStrictEqual(seen[0], { method: "POST", url: "/volumes/create", body: JSON.stringify({ Name: "vol-1", Labels: { a: "b=c", k: "v" } }) });
        assert.strictEqual(
            await dockerCheck(endpoint(), ["network", "inspect", "-f", "{{json .IPAM.Config}}", "n1"]),
            '[{"Subnet":"172.30.0.0/16","Gateway":"172.30.0.1"}]',
        );
        // Already started: the CLI says nothing and exits 0.
        assert.strictEqual((await docker(endpoint(), ["start", "c1"])).code, 0);
    });

    it("words an error as the Go client does, for the checks that read it", async () => {
        const r = await docker(endpoint(), ["stop", "-t", "30", "gone"]);
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stderr, "Error response from daemon: No such container: gone\n");
        await assert.rejects(
            dockerCheck(endpoint(), ["stop", "-t", "30", "gone"]),
            /^Error: docker -H unix:\S+ stop … exited 1\nError response from daemon: No such container: gone$/,
        );
    });

    it("an engine that is not there is reported as the Go client reports it", async () => {
        const r = await docker(`unix://${path.join(dir, "none.sock")}`, ["stop", "-t", "30", "c1"]);
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stderr, `Cannot connect to the Docker daemon at unix://${path.join(dir, "none.sock")}. Is the docker daemon running?\n`);
    });

    it("leaves every other call, and every call to a remote engine, to the CLI", () => {
        assert.strictEqual(apiCall(["create", "--name", "x", "img"]), undefined);
        assert.strictEqual(apiCall(["volume", "create", "--driver", "local", "v"]), undefined);
        assert.strictEqual(apiCall(["update", "--restart", "no", "c1"]), undefined);
        assert.deepStrictEqual(apiCall(["rm", "-f", "-v", "c/1"])?.path, "/containers/c%2F1?force=true&v=true");
    });
});
