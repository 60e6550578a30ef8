/**
 * The live harness is our stand-in for `pulumi up`: these tests pin the engine semantics it
 * imitates (pulumi/pulumi pkg/resource/deploy/step_generator.go, step_executor.go), with
 * real local commands whose scripts record what ran, in order, into a file.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as rancher2 from "@pulumi/rancher2";
import { Harness } from "../live/harness/engine";
import { run } from "../live/harness/run";
import { apiCall, docker, dockerCheck } from "../live/harness/engineApi";
import * as http from "http";
import { tempDir } from "../support/temp-dirs";

let dir: string;
let journal: string;
/** What the commands' scripts recorded, in order. */
const ran = () => (fs.existsSync(journal) ? fs.readFileSync(journal, "utf8").trim().split("\n").filter(Boolean) : []);
/** A script that records `what` (and fails with `exit 3` when `fail`). */
const note = (what: string, fail = false) => `echo ${what} >> ${journal}${fail ? "; exit 3" : ""}`;

function cmd(name: string, args: Partial<command.local.CommandArgs>, opts: pulumi.CustomResourceOptions = {}): command.local.Command {
    return new command.local.Command(name, { create: note(`create-${name}`), delete: note(`delete-${name}`), ...args }, opts);
}

const delay = (ms: number) => `sleep ${ms / 1000}`;

describe("live harness: engine semantics", function () {
    this.timeout(30_000);
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "harness-"));
        journal = path.join(dir, "journal");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("waits for every registration, not only those the outputs depend on, and fails with a late failure", async () => {
        const h = new Harness();
        const program = () => {
            const slow = cmd("slow", { create: `${delay(200)}; ${note("create-slow")}` });
            // Registered only once `slow` has finished; no output depends on it.
            slow.stdout.apply(() => cmd("late", { create: note("create-late", true) }));
            return { done: "early" };
        };
        await assert.rejects(h.apply(program), /command:local:Command \(late\): error: exit status 3: running "echo create-late/);
        assert.deepStrictEqual(ran(), ["create-slow", "create-late"]);
    });

    it("starts no new step after a failed one; steps in flight finish; nothing is deleted at the end", async () => {
        const h = new Harness();
        await h.apply(() => {
            cmd("doomed-later", {});
            return {};
        });
        await assert.rejects(
            h.apply(() => {
                cmd("fails", { create: `${delay(100)}; ${note("create-fails", true)}` });
                cmd("in-flight", { create: `${delay(400)}; ${note("create-in-flight")}` });
                const waits = cmd("waits", { create: delay(300) });
                cmd("after", { create: note("create-after") }, { dependsOn: [waits] });
                return {};
            }),
            /\(fails\)/,
        );
        // "after" was registered after the failure: never created. "doomed-later" is no longer
        // declared, but a failed update deletes nothing.
        assert.deepStrictEqual(ran(), ["create-doomed-later", "create-fails", "create-in-flight"]);
        assert.ok(h.has("doomed-later"));
        assert.ok(!h.has("after"));
    });

    it("keeps the old half of a create-before-delete replacement after a failure, and the next update deletes it", async () => {
        const h = new Harness();
        const program = (version: string, failing: boolean) => () => {
            cmd("x", { triggers: [version], create: note(`create-x-${version}`), delete: note(`delete-x-${version}`) });
            if (failing) cmd("breaks", { create: `${delay(300)}; exit 3` });
            return {};
        };
        await h.apply(program("1", false));
        await assert.rejects(h.apply(program("2", true)), /\(breaks\)/);
        assert.deepStrictEqual(ran(), ["create-x-1", "create-x-2"]);
        assert.deepStrictEqual(h.pendingDeletes().map((a) => a.name), ["x"]);
        await h.apply(program("2", false));
        assert.deepStrictEqual(ran(), ["create-x-1", "create-x-2", "delete-x-1"]);
        assert.deepStrictEqual(h.pendingDeletes(), []);
    });

    it("writes the new resource options into state on a same step (retainOnDelete turned off, then destroy deletes)", async () => {
        const h = new Harness();
        const program = (retainOnDelete: boolean) => () => {
            cmd("data", {}, { retainOnDelete });
            return {};
        };
        await h.apply(program(true));
        const mark = h.log.length;
        await h.apply(program(false));
        assert.deepStrictEqual(h.since(mark).map((e) => e.op), ["same"]);
        await h.destroy();
        assert.deepStrictEqual(ran(), ["create-data", "delete-data"]);
    });

    it("delete-before-replace deletes first the dependents that would be replaced, and only those", async () => {
        const h = new Harness();
        const program = (version: string) => () => {
            const r = cmd("r", { triggers: [version], create: `echo ${version}; ${note(`create-r-${version}`)}`, delete: note("delete-r") }, { deleteBeforeReplace: true });
            // Replaced: its trigger holds r's id.
            const d = cmd("d", { triggers: [r.id] });
            // Not replaced: r's output reaches only its update script, so it is updated in place.
            cmd("e", { create: note("create-e"), update: pulumi.interpolate`${note("update-e")} # ${r.stdout}` });
            // Linked by dependsOn only: never replaced with it.
            cmd("f", {}, { dependsOn: [r] });
            // Depends on d by property: replaced transitively, through d.
            cmd("g", { triggers: [d.id] });
            return {};
        };
        await h.apply(program("1"));
        fs.writeFileSync(journal, "");
        await h.apply(program("2"));
        assert.deepStrictEqual(ran(), ["delete-g", "delete-d", "delete-r", "create-r-2", "create-d", "update-e", "create-g"]);
    });

    it("destroy deletes dependents first and stops at the first failed delete, keeping what it depends on", async () => {
        const h = new Harness();
        await h.apply(() => {
            const base = cmd("base", {});
            const top = cmd("top", { delete: note("delete-top", true) }, { dependsOn: [base] });
            cmd("leaf", {}, { dependsOn: [top] });
            return {};
        });
        await assert.rejects(h.destroy(), /\(top\): error: exit status 3/);
        assert.deepStrictEqual(ran().filter((l) => l.startsWith("delete")), ["delete-leaf", "delete-top"]);
        assert.ok(h.has("base") && h.has("top"));
        assert.ok(!h.has("leaf"));
    });

    it("takes over the state of an alias instead of creating anew and deleting the old", async () => {
        const h = new Harness();
        await h.apply(() => (cmd("old-name", {}), {}));
        const mark = h.log.length;
        await h.apply(() => (cmd("new-name", { create: note("create-old-name"), delete: note("delete-old-name") }, { aliases: [{ name: "old-name" }] }), {}));
        assert.deepStrictEqual(h.since(mark).map((e) => `${e.op} ${e.name}`), ["same new-name"]);
        assert.deepStrictEqual(ran(), ["create-old-name"]);
    });

    it("refuses to replace a protected resource", async () => {
        const h = new Harness();
        const program = (v: string) => () => (cmd("guarded", { triggers: [v] }, { protect: true }), {});
        await h.apply(program("1"));
        await assert.rejects(h.apply(program("2")), /unable to replace resource .*guarded[\s\S]*marked for protection/);
        assert.deepStrictEqual(ran(), ["create-guarded"]);
    });

    it("keeps outputs as the provider does: one trailing newline trimmed; update and delete see the previous output unless told not to", async () => {
        const h = new Harness();
        const program = (v: string, addPrevious: boolean) => () => {
            const c = new command.local.Command("out", {
                create: `printf 'a\\n\\n'`,
                update: `printf 'prev=[%s] ${v}\\n' "$PULUMI_COMMAND_STDOUT"`,
                addPreviousOutputInEnv: addPrevious,
            });
            return { stdout: c.stdout };
        };
        assert.strictEqual((await h.apply(program("1", true))).stdout, "a\n");
        assert.strictEqual((await h.apply(program("2", true))).stdout, "prev=[a\n] 2");
        assert.strictEqual((await h.apply(program("3", false))).stdout, "prev=[] 3");
    });

    it("fails the update on an unhandled rejection in the program, and takes components' registered outputs", async () => {
        const h = new Harness();
        class Box extends pulumi.ComponentResource {
            constructor(name: string) {
                super("test:index:Box", name, {}, {});
                cmd(`${name}-inner`, {}, { parent: this });
                this.registerOutputs({ ok: true });
            }
        }
        await h.apply(() => (new Box("box"), {}));
        await assert.rejects(
            h.apply(() => {
                new Box("box");
                pulumi.output(1).apply(() => {
                    throw new Error("broken apply");
                });
                return {};
            }),
            /broken apply/,
        );
    });

    it("refuses a resource option it does not imitate", async () => {
        const h = new Harness();
        await assert.rejects(h.apply(() => (cmd("x", {}, { ignoreChanges: ["create"] }), {})), /option ignoreChanges on x is not imitated/);
    });
});

describe("live harness: rancher2", function () {
    this.timeout(30_000);
    let rancherDir: string;
    beforeEach(() => (rancherDir = fs.mkdtempSync(path.join(os.tmpdir(), "rancher-"))));
    afterEach(() => fs.rmSync(rancherDir, { recursive: true, force: true }));
    const NODES = [{ hostname: "w1", ipAddress: "10.20.0.11", externalIpAddress: "203.0.113.11", roles: ["worker"] }];

    it("accepts an explicit provider, changes a ConfigMap's data in place, and reads ClusterSync's nodes from the fixture", async () => {
        const h = new Harness("glusterfs", "live", { rancherDir, rancherNodes: NODES });
        const program = (value: string) => () => {
            const provider = new rancher2.Provider("r", { apiUrl: "https://rancher.invalid", tokenKey: "token-x:y", insecure: false });
            const sync = new rancher2.ClusterSync("sync", { clusterId: "c-m-abcdefgh" }, { provider });
            new rancher2.ConfigMapV2("cm", { clusterId: "c-m-abcdefgh", namespace: "ns", name: "contract", data: { key: value } }, { provider });
            return { addresses: sync.nodes.apply((n) => n.map((x) => x.ipAddress)) };
        };
        const out = await h.apply(program("one"));
        assert.deepStrictEqual(out.addresses, ["10.20.0.11"]);
        const file = path.join(rancherDir, "c-m-abcdefgh", "ns", "contract", "key");
        assert.strictEqual(fs.readFileSync(file, "utf8"), "one");
        const mark = h.log.length;
        await h.apply(program("two"));
        assert.deepStrictEqual(h.since(mark).filter((e) => e.op !== "same").map((e) => `${e.op} ${e.name}`), ["update cm"]);
        assert.strictEqual(fs.readFileSync(file, "utf8"), "two");
    });
});

describe("live harness: running the docker CLI", () => {
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

describe("live harness: the Docker engine's API on a local socket", () => {
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
        assert.strictEqual(await dockerCheck(endpoint(), ["network", "inspect", "-f", "{{json .IPAM.Config}}", "n1"]), '[{"Subnet":"172.30.0.0/16","Gateway":"172.30.0.1"}]');
        // Already started: the CLI says nothing and exits 0.
        assert.strictEqual((await docker(endpoint(), ["start", "c1"])).code, 0);
    });

    it("words an error as the Go client does, for the checks that read it", async () => {
        const r = await docker(endpoint(), ["stop", "-t", "30", "gone"]);
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stderr, "Error response from daemon: No such container: gone\n");
        await assert.rejects(dockerCheck(endpoint(), ["stop", "-t", "30", "gone"]), /^Error: docker -H unix:\S+ stop … exited 1\nError response from daemon: No such container: gone$/);
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
