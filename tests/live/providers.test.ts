/**
 * The docker stand-in provider, driven by the real Pulumi engine against the real Docker
 * engine, on small resources of the tests' own: what the real provider
 * (terraform-provider-docker v4.5.0 bridged into @pulumi/docker 5.x, and its native Image)
 * does on update, failed start, delete and refresh. Every container here runs the
 * project's image with `sleep`; names start with `hp-`.
 */
import * as assert from "assert";
import * as docker from "@pulumi/docker";
import { projectImageName } from "../../components/image";
import { LiveStack } from "./engine/stack";
import { run } from "./run";
import { docker as sh, requireEngine } from "./support";

const IMAGE = projectImageName();
const LABEL = { label: "io.glusterfs-cluster.cluster", value: "hp" };

async function inspect(name: string, format: string): Promise<string> {
    return sh("container", "inspect", "-f", format, name);
}

/** The steps of the runs since `mark` that did something, as "op name". */
const changed = (h: LiveStack, mark: number) =>
    h
        .since(mark)
        .filter((e) => e.op !== "same")
        .map((e) => `${e.op} ${e.name}`);

async function clean(): Promise<void> {
    const ids = (await sh("ps", "-aq", "--filter", "label=io.glusterfs-cluster.cluster=hp")).split("\n").filter(Boolean);
    if (ids.length > 0) await sh("rm", "-f", ...ids);
    for (const v of ["hp-vol"]) await run(["docker", "volume", "rm", "-f", v]);
    await run(["docker", "network", "rm", "hp-net"]);
}

describe("live: the docker stand-in under the real engine", function () {
    this.timeout(180_000);
    before(async () => {
        await requireEngine();
        await clean();
    });
    afterEach(clean);

    it("updates a container in place for settings that are not ForceNew, and applies only the restart policy", async () => {
        const h = new LiveStack();
        const program = (tmpfs: string, restart: string, label: string) => () => {
            const c = new docker.Container("c", {
                name: "hp-c",
                image: IMAGE,
                entrypoints: ["sleep", "infinity"],
                tmpfs: { "/scratch": tmpfs },
                restart,
                labels: [LABEL, { label: "hp.version", value: label }],
                mustRun: false,
            });
            return { id: c.id };
        };
        const first = await h.up(program("size=1m", "no", "1"));
        let mark = h.log.length;
        const second = await h.up(program("size=2m", "always", "1"));
        assert.deepStrictEqual(changed(h, mark), ["update c"]);
        assert.strictEqual(second.id, first.id);
        // Recorded in state, never applied: the running container keeps its old tmpfs.
        assert.match(await inspect("hp-c", "{{json .HostConfig.Tmpfs}}"), /size=1m/);
        assert.strictEqual(await inspect("hp-c", "{{.HostConfig.RestartPolicy.Name}}"), "always");
        // A ForceNew setting (a label) replaces it.
        mark = h.log.length;
        const third = await h.up(program("size=2m", "always", "2"));
        // Delete-before-replace, which the provider declares for containers: the old one goes first.
        assert.deepStrictEqual(changed(h, mark), ["delete-replaced c", "replace c", "create-replacement c"]);
        assert.notStrictEqual(third.id, first.id);
        assert.match(await inspect("hp-c", "{{json .HostConfig.Tmpfs}}"), /size=2m/);
        await h.destroy();
    });

    it("keeps a container that was created but failed to start (an init error); the next update does not start it; destroy removes it", async () => {
        const h = new LiveStack();
        const program = () => () => {
            new docker.Container("broken", { name: "hp-broken", image: IMAGE, entrypoints: ["/no/such/program"], labels: [LABEL], mustRun: false });
            return {};
        };
        await assert.rejects(h.up(program()), /Unable to start container/);
        assert.ok(h.has("broken"), "the created container is not in state");
        assert.strictEqual(await inspect("hp-broken", "{{.State.Running}}"), "false");
        // An unchanged resource with init errors gets an empty update (step_generator.go: "continue awaiting initialization").
        const mark = h.log.length;
        await h.up(program());
        assert.deepStrictEqual(changed(h, mark), ["update broken"]);
        await h.destroy();
        assert.strictEqual((await run(["docker", "container", "inspect", "hp-broken"])).code, 1, "destroy left the container");
    });

    it("fails a delete against an unreachable engine and keeps the state", async () => {
        const h = new LiveStack();
        const program = (host: string) => () => {
            const p = new docker.Provider("p", { host });
            new docker.Container("c", { name: "hp-c", image: IMAGE, entrypoints: ["sleep", "infinity"], labels: [LABEL], mustRun: false }, { provider: p });
            return {};
        };
        await h.up(program("unix:///var/run/docker.sock"));
        // Changing the provider's endpoint is an update of the provider, never a replacement of what it manages.
        const mark = h.log.length;
        await h.up(program("unix:///nonexistent/docker.sock"));
        assert.deepStrictEqual(changed(h, mark), ["update p"]);
        assert.deepStrictEqual(
            h
                .since(mark)
                .filter((e) => e.name === "c")
                .map((e) => e.op),
            ["same"],
        );
        await assert.rejects(h.destroy(), /Error stopping container .*Cannot connect to the Docker daemon/);
        assert.ok(h.has("c"));
        await h.up(program("unix:///var/run/docker.sock"));
        await h.destroy();
        assert.strictEqual((await run(["docker", "container", "inspect", "hp-c"])).code, 1);
    });

    it("retries a volume delete while the volume is in use; treats a network deleted out of band as gone", async () => {
        const h = new LiveStack();
        await h.up(() => {
            new docker.Volume("v", { name: "hp-vol", labels: [LABEL] });
            new docker.Network("n", { name: "hp-net", labels: [LABEL] });
            return {};
        });
        await sh("network", "rm", "hp-net");
        // In use for about 3 s more by a container the stack does not know.
        await sh("run", "-d", "--rm", "--label", "io.glusterfs-cluster.cluster=hp", "-v", "hp-vol:/x", "--entrypoint", "sleep", IMAGE, "3");
        const started = Date.now();
        await h.destroy();
        assert.ok(Date.now() - started >= 2000, "the volume was removed while in use");
        assert.strictEqual((await run(["docker", "volume", "inspect", "hp-vol"])).code, 1);
    });

    it("refuses an image build without a platform (the provider would build for the runner's architecture)", async () => {
        const h = new LiveStack();
        await assert.rejects(
            h.up(() => {
                new docker.Image("img", { imageName: "hp/none:1", build: { context: "docker/glusterfs" }, skipPush: true });
                return {};
            }),
            /build\.platform is unset/,
        );
    });

    it("refresh marks a stopped container that must run, and the next update starts it; with mustRun false it stays stopped", async () => {
        const h = new LiveStack();
        const program = () => () => {
            new docker.Container("must", { name: "hp-must", image: IMAGE, entrypoints: ["sleep", "infinity"], labels: [LABEL] });
            new docker.Container("may", { name: "hp-may", image: IMAGE, entrypoints: ["sleep", "infinity"], labels: [LABEL], mustRun: false });
            return {};
        };
        await h.up(program());
        await sh("stop", "-t", "0", "hp-must", "hp-may");
        await h.refresh();
        assert.ok(h.has("must") && h.has("may"), "refresh deleted a stopped container from state");
        const mark = h.log.length;
        await h.up(program());
        assert.deepStrictEqual(
            h
                .since(mark)
                .filter((e) => e.op !== "same")
                .map((e) => `${e.op} ${e.name}`),
            ["update must"],
        );
        assert.strictEqual(await inspect("hp-must", "{{.State.Running}}"), "true");
        assert.strictEqual(await inspect("hp-may", "{{.State.Running}}"), "false");
        await h.destroy();
    });
});
