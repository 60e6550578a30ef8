import * as assert from "assert";
import { GlusterCluster, GlusterClusterArgs } from "../../components";
import { MANAGED_OPTIONS_KEY, OWNER_KEY } from "../../components/gluster/volume";
import { ownerToken } from "../../components/owner";
import { shq } from "../../components/shell";
import { SPEC_LABEL, specFingerprint } from "../../components/container";
import { Recorder, runProgram, threeRemoteNodes, withWarnings } from "../helpers";

const THREE = [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }];
const T = {
    container: "docker:index/container:Container",
    image: "docker:index/image:Image",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    volume: "docker:index/volume:Volume",
    network: "docker:index/network:Network",
    provider: "pulumi:providers:docker",
    local: "command:local:Command",
    remote: "command:remote:Command",
    cluster: "glusterfs:index:GlusterCluster",
};

function outputsOf(c: GlusterCluster) {
    return {
        volumeName: c.volumeName,
        servers: c.servers,
        mountEndpoint: c.mountEndpoint,
        backupVolfileServers: c.backupVolfileServers,
        mountCommand: c.mountCommand,
        fstabEntry: c.fstabEntry,
        clientDockerArgs: c.clientDockerArgs,
        clientDockerNote: c.clientDockerNote,
        poolMembers: c.poolMembers,
        brickPortRange: c.brickPortRange,
        tlsClients: c.tlsClients,
        certificateExpiry: c.certificateExpiry,
        tlsClientFiles: c.tlsClientFiles,
        tlsClientDockerArgs: c.tlsClientDockerArgs,
        storageClassName: c.storageClassName,
    };
}

async function build(args: GlusterClusterArgs, name = "gluster", behaviour = {}) {
    return runProgram(() => outputsOf(new GlusterCluster(name, args)), behaviour);
}

const countByType = (rec: Recorder) => rec.records.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.type]: (acc[r.type] ?? 0) + 1 }), {});

/** The script a command runs inside its container (unwrapped from `docker exec NAME sh -c '...'`). */
/** The line of the volume script that holds option `key` at `value`. */
const holds = (key: string, value: string) => `[ "$(value_in "$current" ${shq(key)})" = ${shq(value)} ] || set -- "$@" ${shq(key)} ${shq(value)}`;

function innerScript(create: string): string {
    const m = /^(?:# [^\n]*\n)?docker exec \S+ sh -c '([\s\S]*)'$/.exec(create);
    assert.ok(m, `not a docker exec command: ${create.slice(0, 80)}`);
    return m[1].replace(/'\\''/g, "'");
}

describe("GlusterCluster (container mode, local engine)", () => {
    let rec: Recorder;
    let outputs: Record<string, any>;
    beforeEach(async () => {
        ({ rec, outputs } = await build({ nodes: THREE }));
    });

    it("declares exactly the expected children", () => {
        assert.deepStrictEqual(countByType(rec), {
            "pulumi:pulumi:Stack": 1,
            [T.cluster]: 1,
            [T.provider]: 1,
            [T.image]: 1,
            [T.network]: 1,
            [T.volume]: 9,
            [T.container]: 3,
            // identity, engine, preflight, 3 ready, pool, probe-back, volume
            [T.local]: 9,
        });
        assert.deepStrictEqual(
            rec
                .ofType(T.local)
                .map((r) => r.name)
                .sort(),
            [
                "gluster-engine-local",
                "gluster-identity",
                "gluster-pool",
                "gluster-preflight",
                "gluster-probe-back",
                "gluster-ready-gluster-0",
                "gluster-ready-gluster-1",
                "gluster-ready-gluster-2",
                "gluster-volume",
            ],
        );
    });

    it("parents every child to the component and gives docker resources the explicit provider", () => {
        for (const r of rec.records.filter((r) => r.type !== "pulumi:pulumi:Stack" && r.type !== T.cluster)) {
            assert.strictEqual(r.parent, "gluster", `${r.name} is not parented to the component`);
        }
        for (const r of rec.records.filter((r) => r.type.startsWith("docker:index/"))) {
            assert.match(r.provider ?? "", /pulumi:providers:docker::gluster-docker-local::/, `${r.name} has no explicit provider`);
        }
    });

    it("gives each command the alias of the other command type, so a node moved between local and remote hosts keeps its state", async () => {
        assert.ok(rec.ofType(T.local).length > 0);
        // The identity guard always runs where pulumi runs: it has no other type.
        for (const r of rec.ofType(T.local).filter((x) => x.name !== "gluster-identity"))
            assert.deepStrictEqual(
                r.aliases.filter((a: any) => a.type !== undefined),
                [{ type: T.remote }],
                r.name,
            );
        const { rec: remote } = await build({ networkMode: "host", nodes: threeRemoteNodes(), clientCidrs: ["10.0.5.0/24"] });
        assert.ok(remote.ofType(T.remote).length > 0);
        for (const r of remote.ofType(T.remote))
            assert.deepStrictEqual(
                r.aliases.filter((a: any) => a.type !== undefined),
                [{ type: T.local }],
                r.name,
            );
    });

    it("creates a labelled bridge network for the containers", () => {
        assert.deepStrictEqual(
            rec.ofType(T.network).map((n) => n.inputs),
            [{ name: "gluster-net", driver: "bridge", labels: [{ label: "io.glusterfs-cluster.cluster", value: "gluster" }] }],
        );
    });

    it("runs the identity guard under sh, its update comparing with what the last run printed", () => {
        const id = rec.named("gluster-identity").inputs;
        assert.deepStrictEqual(id.interpreter, ["/bin/sh", "-c"]);
        assert.match(id.create, /^cat <<'IDENTITY_END'\n[\s\S]*\nnetwork gluster-net\n[\s\S]*IDENTITY_END\n$/);
        assert.match(id.update, /^set -eu\nnew=\$\(cat <<'IDENTITY_END'\n/);
        assert.match(id.update, /old=\$\{PULUMI_COMMAND_STDOUT:-\}/);
    });

    it("gives the preflight check the bricks and the first node's state volume", () => {
        const pre = (rec.named("gluster-preflight").inputs.create as string).replace(/'\\''/g, "'");
        assert.match(pre, /printf '%s\\n' gluster-0:\/bricks\/my_vol gluster-1:\/bricks\/my_vol gluster-2:\/bricks\/my_vol \| sort/);
        assert.match(pre, /! docker volume inspect gluster-gluster-0-state >\/dev\/null 2>&1/);
    });

    it("runs each container with SYS_ADMIN only, never privileged, with state, bricks and logs outside it", () => {
        const c = rec.named("gluster-gluster-1");
        assert.strictEqual(c.inputs.name, "gluster-1");
        assert.strictEqual(c.inputs.hostname, "gluster-1");
        assert.deepStrictEqual(c.inputs.capabilities, { adds: ["SYS_ADMIN"] });
        assert.notStrictEqual(c.inputs.privileged, true);
        assert.deepStrictEqual(c.inputs.volumes, [
            { volumeName: "gluster-gluster-1-state", containerPath: "/var/lib/glusterd" },
            { volumeName: "gluster-gluster-1-bricks", containerPath: "/bricks" },
            { volumeName: "gluster-gluster-1-logs", containerPath: "/var/log/glusterfs" },
        ]);
        assert.deepStrictEqual(c.inputs.tmpfs, { "/run": "rw,nosuid,nodev,mode=0755" });
        assert.deepStrictEqual(c.inputs.envs, ["GLUSTER_BASE_PORT=49152", "GLUSTER_MAX_PORT=49161"]);
        assert.deepStrictEqual(c.inputs.networksAdvanced, [{ name: "gluster-net", aliases: ["gluster-1"] }]);
        assert.strictEqual(c.inputs.networkMode, undefined);
        assert.strictEqual(c.inputs.restart, "unless-stopped");
        assert.deepStrictEqual(c.inputs.healthcheck.tests.slice(0, 1), ["CMD-SHELL"]);
        assert.match(c.inputs.healthcheck.tests[1], /opRet/);
        assert.deepStrictEqual(
            { ...c.inputs.healthcheck, tests: undefined },
            { tests: undefined, interval: "30s", timeout: "10s", startPeriod: "30s", retries: 3 },
        );
        // glusterd mounts the volume itself (FUSE) to replace a brick.
        assert.deepStrictEqual(c.inputs.devices, [{ hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: "rwm" }]);
        assert.strictEqual(c.inputs.hosts, undefined);
        assert.deepStrictEqual(c.inputs.labels.slice(0, 2), [
            { label: "io.glusterfs-cluster.cluster", value: "gluster" },
            { label: "io.glusterfs-cluster.node", value: "gluster-1" },
        ]);
        assert.strictEqual(c.deleteBeforeReplace, true);
        assert.match(c.inputs.image, /^glusterfs-cluster\/glusterfs:11-[0-9a-f]{12}$/);
        // A node stopped for maintenance stays stopped; a replaced one gets time to stop cleanly.
        assert.strictEqual(c.inputs.mustRun, false);
        assert.strictEqual(c.inputs.destroyGraceSeconds, 30);
        assert.strictEqual(c.inputs.wait, false);
    });

    it("waits for a new container to be back in service, and only re-checks its identity when the configuration changes", () => {
        const ready = rec.named("gluster-ready-gluster-1").inputs;
        const start = innerScript(ready.create);
        const recheck = innerScript(ready.update);
        for (const text of [start, recheck]) assert.match(text, /^ *for other in gluster-0 gluster-2; do$/m);
        assert.match(start, /wait_for "self-heal of my_vol to catch up after gluster-1 came back"/);
        assert.doesNotMatch(recheck, /self-heal|peers_see_me/);
        assert.ok(recheck.endsWith("cli_timeout=60\n"));
    });

    it("labels each container with the fingerprint of everything it runs with, so that any such change replaces it", () => {
        const c = rec.named("gluster-gluster-1");
        const { image, labels, wait: _wait, mustRun: _mustRun, destroyGraceSeconds: _grace, ...settings } = c.inputs;
        const label = labels.find((l: any) => l.label === SPEC_LABEL);
        assert.strictEqual(label.value, specFingerprint({ ...settings, image }));
        // tmpfs and the health check are only recorded by the provider on change: the label makes them replace.
        assert.notStrictEqual(specFingerprint({ ...settings, image, tmpfs: { "/run": "rw" } }), label.value);
        assert.notStrictEqual(specFingerprint({ ...settings, image, healthcheck: { ...settings.healthcheck, interval: "10s" } }), label.value);
        assert.strictEqual(specFingerprint({ image, ...settings }), label.value, "the fingerprint depends on key order");
        assert.notStrictEqual(rec.named("gluster-gluster-0").inputs.labels.find((l: any) => l.label === SPEC_LABEL).value, label.value);
    });

    it("keeps the fingerprint of unchanged settings from one release to the next (a change would replace every container)", () => {
        // The value is pinned: it is sha256 over the JSON of the settings with their keys sorted, at every depth.
        assert.strictEqual(specFingerprint({ b: [{ y: 1, x: 2 }], a: "s", c: null }), "8a0d9c93c56afaef");
        assert.strictEqual(specFingerprint({ c: null, a: "s", b: [{ x: 2, y: 1 }] }), "8a0d9c93c56afaef");
    });

    it("keeps the named volumes on destroy by default", () => {
        for (const v of rec.ofType(T.volume)) {
            assert.strictEqual(v.retainOnDelete, true, v.name);
        }
        assert.deepStrictEqual(
            rec
                .ofType(T.volume)
                .map((v) => v.inputs.name)
                .sort()
                .slice(0, 3),
            ["gluster-gluster-0-bricks", "gluster-gluster-0-logs", "gluster-gluster-0-state"],
        );
    });

    it("builds the project's image locally, without pushing, for the platform its engine reports", () => {
        const img = rec.ofType(T.image)[0];
        assert.strictEqual(img.inputs.skipPush, true);
        assert.strictEqual(img.inputs.build.platform, "linux/amd64");
        assert.strictEqual(img.inputs.build.context, "docker/glusterfs");
        assert.strictEqual(img.inputs.build.dockerfile, "docker/glusterfs/Dockerfile");
    });

    it("chains the containers whatever the preflight printed (what is new cannot be told, for certain, from what was lost)", async () => {
        const fresh = await build({ nodes: THREE }, "gluster", {
            state: (type: string, name: string) =>
                name === "gluster-preflight" ? { stdout: `no container gluster-0 yet and no state: a new cluster\nnew-cluster: yes` } : {},
        });
        assert.ok(fresh.rec.named("gluster-gluster-1").dependsOn.includes("gluster-ready-gluster-0"));
        assert.ok(fresh.rec.named("gluster-gluster-2").dependsOn.includes("gluster-ready-gluster-1"));
    });

    it("a node's ready step checks, before its container goes, that the cluster can spare it", () => {
        const del = (rec.named("gluster-ready-gluster-1").inputs.delete as string).replace(/'\\''/g, "'");
        assert.match(del, /gluster-1"? cannot go now: the others must be in service/);
        assert.match(del, /wait_for "self-heal of \$vol to catch up before "?gluster-1"? goes" 3600 heal_done/);
    });

    it("orders the steps: probes after every node is ready, probe-back after the probes, volume after probe-back", () => {
        const ready = ["gluster-ready-gluster-0", "gluster-ready-gluster-1", "gluster-ready-gluster-2"];
        assert.deepStrictEqual(rec.named("gluster-pool").dependsOn.sort(), ["gluster-identity", ...ready]);
        assert.deepStrictEqual(rec.named("gluster-probe-back").dependsOn, ["gluster-identity", "gluster-pool"]);
        assert.deepStrictEqual(rec.named("gluster-volume").dependsOn, ["gluster-identity", "gluster-probe-back"]);
        assert.deepStrictEqual(rec.named("gluster-ready-gluster-1").dependsOn, ["gluster-identity", "gluster-gluster-1"]);
        // Nothing is touched before the identity guard (the engine check only reads, and the
        // guard reads it), and no container before the preflight check.
        assert.deepStrictEqual(rec.named("gluster-identity").dependsOn, []);
        assert.match(rec.named("gluster-identity").inputs.create, /brick gluster-0 gluster-0 ENGINE-gluster-engine-local\|/);
        for (const r of rec.records.filter((x) => x.parent === "gluster" && !["gluster-identity", "gluster-engine-local"].includes(x.name))) {
            assert.ok(r.dependsOn.includes("gluster-identity"), `${r.name} does not wait for the identity guard`);
        }
        // Containers roll: the first after the preflight check, each other after the previous node's ready step.
        assert.ok(rec.named("gluster-gluster-0").dependsOn.includes("gluster-preflight"));
        assert.ok(rec.named("gluster-gluster-1").dependsOn.includes("gluster-ready-gluster-0"));
        assert.ok(rec.named("gluster-gluster-2").dependsOn.includes("gluster-ready-gluster-1"));
        assert.ok(!rec.named("gluster-gluster-2").dependsOn.includes("gluster-ready-gluster-0"));
        // Every node's storage comes after the preflight check and before the first container.
        for (const n of ["gluster-0", "gluster-1", "gluster-2"]) {
            for (const role of ["state", "bricks", "logs"]) {
                assert.ok(rec.named(`gluster-${n}-${role}`).dependsOn.includes("gluster-preflight"), `${n}-${role} before the preflight check`);
                assert.ok(rec.named("gluster-gluster-0").dependsOn.includes(`gluster-${n}-${role}`), `gluster-0 before ${n}-${role}`);
            }
        }
        assert.deepStrictEqual(rec.named("gluster-ready-gluster-1").inputs.triggers, ["gluster-gluster-1-container-id"]);
    });

    it("creates the replica-3 volume from the first three nodes' bricks, never with force", () => {
        const script = innerScript(rec.named("gluster-volume").inputs.create);
        assert.match(script, /tx volume create my_vol replica 3 gluster-0:\/bricks\/my_vol gluster-1:\/bricks\/my_vol gluster-2:\/bricks\/my_vol \|\|/);
        assert.doesNotMatch(script, /\bforce\b(?!")/);
        // No cluster-wide option by default (server quorum is off).
        assert.doesNotMatch(script, /tx volume set all (?!cluster\.op-version)/);
        const perVolume = script.slice(script.indexOf("current=$(g volume get my_vol all)"), script.indexOf('tx volume set my_vol "$@"'));
        assert.ok(perVolume.includes(holds("cluster.quorum-type", "auto")));
        assert.ok(perVolume.includes(holds("cluster.server-quorum-type", "none")));
        assert.ok(
            perVolume.includes(
                `[ "$managed_before" = cluster.quorum-type,cluster.server-quorum-type ] || set -- "$@" ${MANAGED_OPTIONS_KEY} cluster.quorum-type,cluster.server-quorum-type`,
            ),
        );
        assert.ok(perVolume.includes(`[ "$owner_before" = ${ownerToken({ key: "local", id: "local" }, "gluster-volume")} ] || set -- "$@" ${OWNER_KEY} `));
        assert.doesNotMatch(script, /auth\.allow/, "auth.allow is only set when clientCidrs is");
    });

    it("runs the volume step again when a node's GlusterFS version changes, not when a container is replaced on the same one", async () => {
        const version = (node: string) => (node === "gluster-2" ? "11.2" : "11.1");
        const upgraded = await build({ nodes: THREE }, "gluster", {
            state: (type: string, name: string) =>
                type === "docker:index/container:Container"
                    ? { id: `${name}-replaced-id` }
                    : name.includes("-ready-")
                      ? { stdout: `ok: glusterd answers (0.20 s)\nglusterfs-version: ${version(name.replace("gluster-ready-", ""))}` }
                      : {},
        });
        const before = rec.named("gluster-volume").inputs;
        const after = upgraded.rec.named("gluster-volume").inputs;
        assert.match(before.create, /^# glusterfs versions: 11\.1 11\.1 11\.1\n/);
        assert.match(after.create, /^# glusterfs versions: 11\.1 11\.1 11\.2\n/);
        assert.notStrictEqual(after.update, before.update);
        const replaced = await build({ nodes: THREE }, "gluster", {
            state: (type: string, name: string) => (type === "docker:index/container:Container" ? { id: `${name}-replaced-id` } : {}),
        });
        assert.notStrictEqual(replaced.rec.named("gluster-ready-gluster-1").inputs.triggers[0], rec.named("gluster-ready-gluster-1").inputs.triggers[0]);
        assert.strictEqual(replaced.rec.named("gluster-volume").inputs.update, before.update);
    });

    it("probes from the first node, probes the first back from the second, and detaches on delete", () => {
        const pool = rec.named("gluster-pool").inputs;
        assert.match(pool.create, /^docker exec gluster-0 sh -c /);
        assert.deepStrictEqual(
            [...innerScript(pool.create).matchAll(/^tx peer probe (\S+) \|\|/gm)].map((m) => m[1]),
            ["gluster-1", "gluster-2"],
        );
        assert.match(pool.delete, /docker exec gluster-0 sh -c /);
        assert.match(pool.delete, /tx peer detach gluster-2[\s\S]*tx peer detach gluster-1/);
        const back = rec.named("gluster-probe-back").inputs;
        assert.match(back.create, /^docker exec gluster-1 sh -c /);
        assert.match(innerScript(back.create), /tx peer probe gluster-0 \|\|/);
        assert.match(rec.named("gluster-volume").inputs.delete, /tx volume stop my_vol/);
        assert.match(rec.named("gluster-volume").inputs.delete, /tx volume delete my_vol/);
    });

    it("gives every command an update equal to its create (an input change re-runs the idempotent script), no previous output, and the provider's Docker engine", () => {
        for (const r of rec.ofType(T.local).filter((x) => !["gluster-identity", "gluster-volume"].includes(x.name) && !x.name.includes("-ready-"))) {
            assert.strictEqual(r.inputs.update, r.inputs.create, r.name);
            assert.deepStrictEqual(r.inputs.interpreter, ["/bin/sh", "-c"], r.name);
            assert.strictEqual(r.inputs.addPreviousOutputInEnv, false, r.name);
            assert.deepStrictEqual(r.inputs.environment, { DOCKER_CONTEXT: "default" }, r.name);
        }
    });

    it("registers every output with the engine (they appear in the component's state)", async () => {
        const pulumi = await import("@pulumi/pulumi");
        const registered: Array<Record<string, unknown>> = [];
        const proto = pulumi.ComponentResource.prototype;
        const original = Object.getOwnPropertyDescriptor(proto, "registerOutputs")!;
        Object.defineProperty(proto, "registerOutputs", {
            ...original,
            value: function (this: any, outs?: any) {
                if (this instanceof GlusterCluster) registered.push(outs);
                return (original.value as (outs?: any) => void).call(this, outs);
            },
        });
        try {
            await build({ nodes: THREE });
        } finally {
            Object.defineProperty(proto, "registerOutputs", original);
        }
        // The SDK registers a component's (empty) outputs once by itself; the component's own call holds them all.
        const mine = registered.filter((r) => r !== undefined && Object.keys(r).length > 0);
        assert.strictEqual(mine.length, 1, JSON.stringify(registered));
        assert.deepStrictEqual(Object.keys(mine[0]).sort(), Object.keys(outputs).sort());
        for (const [k, v] of Object.entries(mine[0])) assert.deepStrictEqual(await (v as any).promise(), outputs[k], k);
    });

    it("exports exactly the mount contract", () => {
        assert.deepStrictEqual(outputs, {
            volumeName: "my_vol",
            servers: ["gluster-0", "gluster-1", "gluster-2"],
            mountEndpoint: "gluster-0:/my_vol",
            backupVolfileServers: "gluster-1:gluster-2",
            mountCommand: "mount -t glusterfs -o backup-volfile-servers=gluster-1:gluster-2 gluster-0:/my_vol /mnt/my_vol",
            fstabEntry: "gluster-0:/my_vol /mnt/my_vol glusterfs defaults,_netdev,backup-volfile-servers=gluster-1:gluster-2 0 0",
            clientDockerArgs: ["--device", "/dev/fuse", "--cap-add", "SYS_ADMIN", "--network", "gluster-net"],
            clientDockerNote: outputs.clientDockerNote,
            poolMembers: ["gluster-0", "gluster-1", "gluster-2"],
            brickPortRange: "49152-49161",
            // Without TLS: nothing.
            tlsClients: {},
            certificateExpiry: {},
            storageClassName: "",
            tlsClientFiles: {},
            tlsClientDockerArgs: [],
        });
        assert.match(outputs.clientDockerNote, /apparmor=unconfined/);
    });

    it("is deterministic: a second evaluation gives identical resource inputs", async () => {
        const again = await build({ nodes: THREE });
        assert.deepStrictEqual(again.rec.snapshot(), rec.snapshot());
    });
});

describe("GlusterCluster with five nodes", () => {
    it("probes the extra nodes into the pool after the volume, and keeps them out of the brick list", async () => {
        const nodes = [...THREE, { name: "gluster-3" }, { name: "gluster-4" }];
        const { rec, outputs } = await build({ nodes });
        assert.deepStrictEqual(rec.named("gluster-probe-gluster-3").dependsOn, ["gluster-identity", "gluster-volume"]);
        assert.deepStrictEqual(rec.named("gluster-probe-back-gluster-3").dependsOn, ["gluster-identity", "gluster-probe-gluster-3"]);
        assert.deepStrictEqual(rec.named("gluster-probe-gluster-4").dependsOn, ["gluster-identity", "gluster-probe-back-gluster-3"]);
        // Each extra node probes the first back by name, from its own container.
        assert.match(rec.named("gluster-probe-back-gluster-4").inputs.create, /^docker exec gluster-4 sh -c [\s\S]*tx peer probe gluster-0 \|\|/m);
        const create = innerScript(rec.named("gluster-volume").inputs.create);
        // Out of the bricks and the pool step's probes; among the nodes a peer may be (the others are detached).
        assert.doesNotMatch(
            create
                .split("\n")
                .filter((l) => !l.startsWith("declared="))
                .join("\n"),
            /gluster-3|gluster-4/,
        );
        assert.match(create, /^declared='gluster-0 gluster-1 gluster-2 gluster-3 gluster-4'$/m);
        const pool = innerScript(rec.named("gluster-pool").inputs.create);
        assert.doesNotMatch(
            pool
                .split("\n")
                .filter((l) => !l.startsWith("declared="))
                .join("\n"),
            /gluster-3|gluster-4/,
        );
        assert.match(pool, /^declared='gluster-0 gluster-1 gluster-2 gluster-3 gluster-4'$/m);
        assert.match(rec.named("gluster-probe-gluster-3").inputs.create, /tx peer probe gluster-3 /);
        assert.match(rec.named("gluster-probe-gluster-3").inputs.delete, /tx peer detach gluster-3/);
        assert.deepStrictEqual(outputs.servers, ["gluster-0", "gluster-1", "gluster-2"]);
        assert.deepStrictEqual(outputs.poolMembers, ["gluster-0", "gluster-1", "gluster-2", "gluster-3", "gluster-4"]);
        assert.strictEqual(rec.ofType(T.container).length, 5);
    });

    it("waits for the registration of every ready command before the first probe (ordering is real)", async () => {
        const { rec } = await build({ nodes: THREE }, "gluster", {
            delay: (type: string, name: string) => (name === "gluster-ready-gluster-2" ? 150 : 0),
        });
        assert.ok(rec.named("gluster-pool").seq > rec.named("gluster-ready-gluster-2").seq);
    });
});

describe("GlusterCluster options", () => {
    it("sets auth.allow to the servers and the client networks when clientCidrs is given", async () => {
        const { rec } = await build({ nodes: THREE, clientCidrs: ["10.0.5.0/24"] });
        const script = innerScript(rec.named("gluster-volume").inputs.create);
        assert.ok(script.includes(holds("auth.allow", "gluster-0,gluster-1,gluster-2,10.0.5.0/24")));
    });

    it("keeps a user's own auth.allow, adding nothing to it", async () => {
        const { rec } = await build({ nodes: THREE, clientCidrs: ["10.0.5.0/24"], volumeOptions: { "auth.allow": "10.9.0.0/16,gluster-*" } });
        const script = innerScript(rec.named("gluster-volume").inputs.create);
        assert.ok(script.includes(holds("auth.allow", "10.9.0.0/16,gluster-*")));
        assert.ok(!script.includes("10.0.5.0/24"));
    });

    it("creates the volume only on the first run: an update treats a missing volume as vanished and replaces one brick at most", async () => {
        const { rec } = await build({ nodes: THREE });
        const v = rec.named("gluster-volume").inputs;
        assert.match(innerScript(v.create.replace(/^# glusterfs versions: .*\n/, "")), /If it is not this stack's volume, choose another volumeName\./);
        const update = innerScript(v.update.replace(/^# glusterfs versions: .*\n/, ""));
        assert.match(update, /Only one brick can be replaced per update/);
        assert.doesNotMatch(update, /choose another volumeName/);
        assert.match(v.update, /^# glusterfs versions: 11\.1 11\.1 11\.1\n/);
    });

    it("gives the pool's probe each node's GlusterFS version, as its ready step printed it", async () => {
        const { rec } = await build({ nodes: THREE }, "gluster", {
            state: (type: string, name: string) =>
                name.includes("-ready-") ? { stdout: `ok\nglusterfs-version: ${name.endsWith("-2") ? "11.2" : "11.1"}` } : {},
        });
        const pool = innerScript(rec.named("gluster-pool").inputs.create);
        assert.match(pool, /runs 11\.1, gluster-2 runs 11\.2/);
    });

    it("in container mode, auth.allow also admits the created network's subnet (the README's client runs on it)", async () => {
        const ipam = (type: string) =>
            type === "docker:index/network:Network" ? { ipamConfigs: [{ subnet: "172.30.0.0/16", gateway: "172.30.0.1" }, { subnet: "fd00::/64" }] } : {};
        const { rec } = await build({ nodes: THREE, clientCidrs: ["10.0.5.0/24"] }, "gluster", { state: ipam });
        const script = innerScript(rec.named("gluster-volume").inputs.create);
        assert.ok(script.includes(holds("auth.allow", "gluster-0,gluster-1,gluster-2,10.0.5.0/24,172.30.0.0/16")), script);
        // Without client networks auth.allow stays unset: the subnet alone does not restrict.
        const open = await build({ nodes: THREE }, "gluster", { state: ipam });
        assert.doesNotMatch(innerScript(open.rec.named("gluster-volume").inputs.create), /auth\.allow/);
    });

    it("holds a cluster-wide option with `volume set all`, and the others with `volume set VOL`", async () => {
        const { rec } = await build({ nodes: THREE, volumeOptions: { "cluster.server-quorum-type": "server", "cluster.server-quorum-ratio": "60%" } });
        const script = innerScript(rec.named("gluster-volume").inputs.create);
        const global = script.slice(script.indexOf("current=$(g volume get all all)"), script.indexOf("current=$(g volume get my_vol all)"));
        assert.ok(global.includes(`[ "$(value_in "$current" cluster.server-quorum-ratio)" = 60% ] || { tx volume set all cluster.server-quorum-ratio 60% ||`));
        const perVolume = script.slice(script.indexOf("current=$(g volume get my_vol all)"), script.indexOf('tx volume set my_vol "$@"'));
        assert.ok(perVolume.includes(holds("cluster.server-quorum-type", "server")));
        assert.ok(!perVolume.includes(`value_in "$current" cluster.server-quorum-ratio`));
        // Recorded as managed, with the per-volume ones: taken out of the map, it is reset on all volumes.
        assert.match(script, /^managed=[a-z.,-]*\bcluster\.server-quorum-ratio\b/m);
        assert.ok(script.includes(`*" $key "*) tx volume reset all "$key"`));
    });

    it("lets volumeOptions override a default and add options", async () => {
        const { rec } = await build({ nodes: THREE, volumeOptions: { "cluster.quorum-type": "fixed", "network.ping-timeout": "20" } });
        const script = innerScript(rec.named("gluster-volume").inputs.create);
        assert.ok(script.includes(holds("cluster.quorum-type", "fixed")));
        assert.ok(script.includes(holds("network.ping-timeout", "20")));
    });

    it("deletes the named volumes on destroy only when deleteDataOnDestroy is set", async () => {
        const { rec } = await build({ nodes: THREE, deleteDataOnDestroy: true });
        for (const v of rec.ofType(T.volume)) assert.strictEqual(v.retainOnDelete, false, v.name);
    });

    it("runs a named image instead of building one, kept locally on destroy", async () => {
        const { rec } = await build({ nodes: THREE, image: "registry.example.net/glusterfs:11" });
        assert.strictEqual(rec.ofType(T.image).length, 0);
        const img = rec.ofType(T.remoteImage)[0];
        assert.deepStrictEqual(img.inputs, { name: "registry.example.net/glusterfs:11", keepLocally: true });
        assert.strictEqual(rec.named("gluster-gluster-0").inputs.image, "sha256:gluster-image-local");
    });

    it("joins an existing network instead of creating one", async () => {
        const { rec, outputs } = await build({ nodes: THREE, network: { name: "overlay-a", existing: true } });
        assert.strictEqual(rec.ofType(T.network).length, 0);
        assert.deepStrictEqual(rec.named("gluster-gluster-0").inputs.networksAdvanced, [{ name: "overlay-a", aliases: ["gluster-0"] }]);
        assert.deepStrictEqual(outputs.clientDockerArgs.slice(-2), ["--network", "overlay-a"]);
    });

    it("gives a tcp:// endpoint's TLS material to that host's Docker provider, the key as a secret", async () => {
        const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        const nodes = threeRemoteNodes();
        nodes[0] = {
            ...nodes[0],
            host: {
                ...nodes[0].host,
                dockerHost: "tcp://10.10.0.1:2376",
                dockerTls: { caCert: cert, cert, key: "-----BEGIN EC PRIVATE KEY-----\nk\n-----END EC PRIVATE KEY-----" },
            } as any,
        };
        const { rec } = await build({ networkMode: "host", nodes, clientCidrs: ["10.0.5.0/24"] });
        const tls = rec.named("gluster-docker-g1").inputs;
        assert.strictEqual(tls.host, "tcp://10.10.0.1:2376");
        assert.strictEqual(tls.caMaterial, cert);
        assert.strictEqual(tls.certMaterial, cert);
        assert.ok("4dabf18193072939515e22adb298388d" in tls.keyMaterial, "the TLS key does not reach the provider as a secret");
        assert.strictEqual(rec.named("gluster-docker-g2").inputs.keyMaterial, undefined);
    });

    it("makes the firewall follow the pinned brick range (host mode)", async () => {
        const nodes = threeRemoteNodes();
        const { rec } = await build({ networkMode: "host", nodes, brickPorts: { base: 50000, max: 50019 }, firewall: { backend: "iptables" } });
        for (const i of [1, 2, 3]) {
            const fw = rec.named(`gluster-firewall-g${i}`).inputs.create as string;
            assert.match(fw, /brick_ranges=50000-50019\n/);
            assert.match(fw, /--dports 24007:24008,\$ranges -j ACCEPT/);
            // Applied again, the same way, once every node is in service (narrowing after a move).
            const settle = rec.named(`gluster-firewall-settle-g${i}`);
            assert.strictEqual(settle.inputs.create, fw);
            assert.strictEqual(settle.inputs.delete, undefined);
            assert.deepStrictEqual(settle.dependsOn.sort(), ["gluster-identity", "gluster-ready-g1", "gluster-ready-g2", "gluster-ready-g3"]);
            assert.match(
                fw.replace(/'\\''/g, "'"),
                /peer_list='10\.10\.0\.1 10\.10\.0\.2 10\.10\.0\.3'\nfor s in \$peer_list; do\n {2}a=\$\(peer_ipv4 "\$s"\)/,
            );
            assert.doesNotMatch(fw, /49152/);
        }
        assert.deepStrictEqual(rec.named("gluster-g1").inputs.envs, ["GLUSTER_BASE_PORT=50000", "GLUSTER_MAX_PORT=50019"]);
        assert.strictEqual(rec.named("gluster-g1").inputs.networkMode, "host");
        assert.strictEqual(rec.named("gluster-g1").inputs.hostname, undefined);
        assert.deepStrictEqual(
            rec.named("gluster-g1").inputs.volumes.map((v: any) => v.hostPath),
            ["/data/glusterfs/glusterd", "/data/glusterfs/bricks", "/data/glusterfs/log"],
        );
        // No host's rules change before the checks that can refuse the update: the firewalls come
        // after the preflight, which waits for no firewall; the first container after both.
        for (const i of [1, 2, 3]) {
            assert.deepStrictEqual(rec.named(`gluster-firewall-g${i}`).dependsOn.sort(), ["gluster-identity", "gluster-preflight"]);
            // ...and the data directories after every firewall: a host another stack holds is refused before its data is touched.
            assert.ok(
                ["gluster-firewall-g1", "gluster-firewall-g2", "gluster-firewall-g3"].every((d) => rec.named(`gluster-data-g${i}`).dependsOn.includes(d)),
            );
        }
        assert.deepStrictEqual(rec.named("gluster-preflight").dependsOn, ["gluster-identity"]);
        assert.ok(
            ["gluster-firewall-g1", "gluster-firewall-g2", "gluster-firewall-g3", "gluster-preflight"].every((d) =>
                rec.named("gluster-g1").dependsOn.includes(d),
            ),
        );
        // The probes wait for every host's firewall as well as every node.
        assert.deepStrictEqual(rec.named("gluster-pool").dependsOn.sort(), [
            "gluster-firewall-g1",
            "gluster-firewall-g2",
            "gluster-firewall-g3",
            "gluster-identity",
            "gluster-ready-g1",
            "gluster-ready-g2",
            "gluster-ready-g3",
        ]);
        // Host directories are kept on destroy unless asked: no delete command.
        assert.strictEqual(rec.named("gluster-data-g1").inputs.delete, undefined);
        // A brick node's directories are checked against the host's root filesystem.
        assert.match(
            rec.named("gluster-data-g1").inputs.create,
            /^sh -c 'set -eu\nmkdir -p \/data\/glusterfs\/glusterd \/data\/glusterfs\/bricks \/data\/glusterfs\/log\nif \[ "\$\(stat -c %d \/\)" = "\$\(stat -c %d \/data\/glusterfs\/bricks\)" \]; then\n.*error on the host of g1 \(10\.10\.0\.1\): \/data\/glusterfs\/bricks is on the root filesystem.*\n {2}exit 1\nfi\necho [0-9a-f]{16} > \/data\/glusterfs\/.glusterfs-cluster-owner\n'$/,
        );
    });

    it("pins a custom brick port range into the containers and the volume check", async () => {
        const { rec, outputs } = await build({ nodes: THREE, brickPorts: { base: 50000, max: 50019 } });
        assert.deepStrictEqual(rec.named("gluster-gluster-0").inputs.envs, ["GLUSTER_BASE_PORT=50000", "GLUSTER_MAX_PORT=50019"]);
        assert.match(rec.named("gluster-volume").inputs.create, /port < 50000 or port > 50019/);
        assert.strictEqual(outputs.brickPortRange, "50000-50019");
    });
});

describe("GlusterCluster: the user's settings reach where they act", () => {
    const hosts = () => threeRemoteNodes().map((n) => ({ ...n, host: { ...n.host, ssh: { ...n.host.ssh, port: 2222, user: "ops" } } }));
    const scriptOf = (rec: Recorder, name: string) => (rec.named(name).inputs.create as string).replace(/'\\''/g, "'");

    it("each timeout bounds its own waits", async () => {
        const { rec } = await build({ nodes: THREE, timeouts: { glusterdSeconds: 111, peersSeconds: 222, volumeSeconds: 333, healSeconds: 444 } });
        const ready = scriptOf(rec, "gluster-ready-gluster-1");
        assert.match(ready, /wait_for "glusterd on gluster-1 to answer" 111 glusterd_answers/);
        assert.match(ready, /wait_for "peers known to gluster-1 to be connected" 222 peers_connected/);
        assert.match(ready, /to be online" 333 local_bricks_online/);
        assert.match(ready, /came back" 444 heal_done/);
        const volume = scriptOf(rec, "gluster-volume");
        assert.match(volume, /wait_for "every brick node to see every other in the cluster" 222 mesh_ok/);
        assert.match(volume, /bricks to be online" 333 bricks_online/);
        assert.match(volume, /fill the new brick of .* 444 heal_done/);
    });

    it("an explicit SSH port and user reach every command's connection", async () => {
        const { rec } = await build({ networkMode: "host", nodes: hosts(), clientCidrs: ["10.0.5.0/24"] });
        assert.ok(rec.ofType(T.remote).length >= 12);
        for (const r of rec.ofType(T.remote)) {
            const c = r.inputs.connection.value;
            assert.deepStrictEqual([c.port, c.user], [2222, "ops"], r.name);
        }
    });

    it("in host mode: no network, and the preflight check looks for the first node's state directory", async () => {
        const { rec } = await build({ networkMode: "host", nodes: hosts(), clientCidrs: ["10.0.5.0/24"], dataRoot: "/srv/gfs" });
        assert.strictEqual(rec.ofType(T.network).length, 0);
        assert.doesNotMatch(rec.named("gluster-identity").inputs.create, /^network /m);
        const pre = scriptOf(rec, "gluster-preflight");
        assert.match(pre, /\[ ! -e '?\/srv\/gfs\/glusterd\/glusterd\.info'? \]/);
        assert.doesNotMatch(pre, /docker volume inspect/);
        assert.match(pre, /10\.10\.0\.1:\/bricks\/my_vol 10\.10\.0\.2:\/bricks\/my_vol 10\.10\.0\.3:\/bricks\/my_vol/);
    });

    it("the firewall backend given is the one applied, with no detection", async () => {
        const { rec } = await build({ networkMode: "host", nodes: hosts(), clientCidrs: ["10.0.5.0/24"], firewall: { backend: "nftables" } });
        assert.match(scriptOf(rec, "gluster-firewall-g1"), /^backend=nftables$/m);
        const { rec: auto } = await build({ networkMode: "host", nodes: hosts(), clientCidrs: ["10.0.5.0/24"] });
        assert.match(scriptOf(auto, "gluster-firewall-g1"), /^backend=\$\(detect\)$/m);
    });

    it("bricks on the host's root filesystem are checked for, unless the user accepts the risk", async () => {
        const { rec } = await build({ networkMode: "host", nodes: hosts(), clientCidrs: ["10.0.5.0/24"] });
        const { rec: accepted } = await build({ networkMode: "host", nodes: hosts(), clientCidrs: ["10.0.5.0/24"], allowBricksOnRootFilesystem: true });
        const data = (r: Recorder) => r.ofType(T.remote).find((x) => /-data-g1$/.test(x.name))!.inputs.create as string;
        assert.match(data(rec), /root filesystem/);
        assert.doesNotMatch(data(accepted), /root filesystem/);
    });

    it("only brick nodes' data is checked for the root filesystem; deleteDataOnDestroy gives the data step a delete", async () => {
        const four = [
            ...hosts(),
            { name: "g4", address: "10.10.0.4", host: { dockerHost: "ssh://root@10.10.0.4", ssh: { host: "10.10.0.4", privateKey: "k" } } },
        ];
        const { rec } = await build({ networkMode: "host", nodes: four, clientCidrs: ["10.0.5.0/24"] });
        assert.match(scriptOf(rec, "gluster-data-g3"), /error on the host of g3 \(10\.10\.0\.3\): \/data\/glusterfs\/bricks is on the root filesystem/);
        assert.doesNotMatch(scriptOf(rec, "gluster-data-g4"), /root filesystem/);
        assert.strictEqual(rec.named("gluster-data-g1").inputs.delete, undefined);
        // A command, not a docker resource: no docker provider.
        assert.doesNotMatch(rec.named("gluster-data-g1").provider ?? "", /providers:docker/);
        const { rec: wiped } = await build({ networkMode: "host", nodes: four, clientCidrs: ["10.0.5.0/24"], deleteDataOnDestroy: true });
        assert.match(wiped.named("gluster-data-g1").inputs.delete, /deleted the data under \/data\/glusterfs/);
    });

    it("extraHosts reach every container and client, in name order", async () => {
        const extraHosts = { "gfs3.example.net": "10.10.0.3", "gfs1.example.net": "10.10.0.1" };
        const { rec, outputs } = await build({ nodes: THREE, extraHosts });
        for (const c of rec.ofType(T.container)) {
            assert.deepStrictEqual(
                c.inputs.hosts,
                [
                    { host: "gfs1.example.net", ip: "10.10.0.1" },
                    { host: "gfs3.example.net", ip: "10.10.0.3" },
                ],
                c.name,
            );
        }
        assert.match(outputs.clientDockerArgs.join(" "), /--add-host gfs1\.example\.net:10\.10\.0\.1 --add-host gfs3\.example\.net:10\.10\.0\.3$/);
    });
});

describe("warnings on every apply", () => {
    const HOSTS = ["10.10.0.1", "10.10.0.2", "10.10.0.3"].map((ip, i) => ({
        name: `g${i + 1}`,
        address: ip,
        host: {
            dockerHost: `ssh://root@${ip}`,
            ssh: { host: ip, privateKey: "k", ...(i === 0 ? { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq" } : {}) },
        },
    }));

    it("an open volume accepted with insecureAllowAnyClient, and a firewall open to all, are each said loudly", async () => {
        const { openDoorWarning } = await import("../../components/warnings");
        const { resolveSpec } = await import("../../components/spec");
        assert.match(
            openDoorWarning(resolveSpec("g", { networkMode: "host", nodes: HOSTS, firewall: { enabled: false }, insecureAllowAnyClient: true }))!,
            /nothing restricts mounting \(no clientCidrs, so no auth\.allow, and no firewall\): ANY host/,
        );
        assert.match(
            openDoorWarning(resolveSpec("g", { networkMode: "host", nodes: HOSTS, firewall: { allowAllClients: true }, insecureAllowAnyClient: true }))!,
            /and the firewall admits every source\): ANY host/,
        );
        assert.match(
            openDoorWarning(resolveSpec("g", { networkMode: "host", nodes: HOSTS, clientCidrs: ["10.0.5.0/24"], firewall: { allowAllClients: true } }))!,
            /open to ANY source on every host \(auth\.allow still admits only the servers and clientCidrs\)/,
        );
        assert.strictEqual(openDoorWarning(resolveSpec("g", { networkMode: "host", nodes: HOSTS, clientCidrs: ["10.0.5.0/24"] })), undefined);
    });

    it("are logged on the component, each once and prefixed with its name; a quiet config logs none", async () => {
        const edge = await withWarnings(() =>
            build({ networkMode: "host", nodes: HOSTS, firewall: { allowAllClients: true }, clientCidrs: ["10.0.5.0/24"] }, "edge"),
        );
        assert.deepStrictEqual(
            edge.logged.map((m) => m.replace(/^(GlusterCluster edge: \S+ \S+ \S+ \S+ \S+).*$/, "$1")),
            [
                "GlusterCluster edge: firewall.allowAllClients is set: GlusterFS's client",
                "GlusterCluster edge: the SSH host key of",
                "GlusterCluster edge: the SSH host key of",
            ],
        );
        const quiet = await withWarnings(() => build({ nodes: THREE }));
        assert.deepStrictEqual(quiet.logged, []);
    });

    it("each remote host without a pinned SSH host key is named; a pinned one is not", async () => {
        const { hostKeyWarnings } = await import("../../components/warnings");
        const { resolveSpec } = await import("../../components/spec");
        const warnings = hostKeyWarnings(resolveSpec("g", { networkMode: "host", nodes: HOSTS, clientCidrs: ["10.0.5.0/24"] }));
        assert.deepStrictEqual(
            warnings.map((w) => /host key of (\S+) is not pinned/.exec(w)![1]),
            ["10.10.0.2", "10.10.0.3"],
        );
        assert.deepStrictEqual(hostKeyWarnings(resolveSpec("g", { nodes: THREE })), []);
    });

    it("a host's children keep, as aliases, the names earlier versions gave them (by SSH host)", async () => {
        const { rec } = await build({ networkMode: "host", nodes: HOSTS, clientCidrs: ["10.0.5.0/24"], image: "gluster/gluster-centos:latest" });
        for (const i of [1, 2, 3]) {
            for (const role of ["engine", "docker", "image", "firewall"]) {
                assert.deepStrictEqual(
                    rec.named(`gluster-${role}-g${i}`).aliases.filter((a: any) => a.name !== undefined),
                    [{ name: `gluster-${role}-10.10.0.${i}` }],
                    `${role} of g${i}`,
                );
            }
        }
        // A node named as its SSH host had no other name.
        const named = HOSTS.map((n) => ({ ...n, host: { ...n.host, ssh: { ...n.host.ssh, host: n.name } } }));
        const { rec: same } = await build({ networkMode: "host", nodes: named, clientCidrs: ["10.0.5.0/24"], image: "gluster/gluster-centos:latest" });
        assert.deepStrictEqual(same.named("gluster-image-g1").aliases, []);
        assert.deepStrictEqual(
            same.named("gluster-firewall-g1").aliases.filter((a: any) => a.name !== undefined),
            [],
        );
    });

    it("names each host in its firewall's messages by its SSH host, and opens client ports to all only when told", async () => {
        const { rec } = await build({ networkMode: "host", nodes: HOSTS, clientCidrs: ["10.0.5.0/24"], firewall: { backend: "iptables" } });
        const fw = rec.named("gluster-firewall-g2");
        assert.match(fw.inputs.create, /\nhost='?10\.10\.0\.2'?\n/);
        assert.match(fw.inputs.delete, /\nhost='?10\.10\.0\.2'?\n/);
        assert.match(fw.inputs.create.replace(/'\\''/g, "'"), /client_list=10\.0\.5\.0\/24; for s in \$client_list; do clients=/);
        assert.doesNotMatch(fw.inputs.create, /0\.0\.0\.0\/0/);
        const { rec: open } = await build({
            networkMode: "host",
            nodes: HOSTS,
            clientCidrs: ["10.0.5.0/24"],
            firewall: { backend: "iptables", allowAllClients: true },
        });
        assert.match(open.named("gluster-firewall-g2").inputs.create.replace(/'\\''/g, "'"), /client_list=0\.0\.0\.0\/0; for s in \$client_list; do clients=/);
        assert.doesNotMatch(open.named("gluster-firewall-g2").inputs.create, /10\.0\.5\.0\/24; do/);
    });

    it("a pinned host key reaches the commands' SSH connection, trimmed", async () => {
        const { rec } = await build({
            networkMode: "host",
            nodes: HOSTS.map((n) => ({ ...n, host: { ...n.host, ssh: { ...n.host.ssh, hostKey: ` ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG${n.name} \n` } } })),
            clientCidrs: ["10.0.5.0/24"],
        });
        // The connection holds the key, so it reaches the provider as a secret: read its value.
        const connection = (name: string) => rec.named(name).inputs.connection.value;
        assert.strictEqual(connection("gluster-ready-g2").hostKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGg2");
        assert.strictEqual(connection("gluster-firewall-g3").hostKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGg3");
        assert.strictEqual(connection("gluster-ready-g1").port, 22);
        // No user given: root, the stated default.
        assert.strictEqual(connection("gluster-ready-g1").user, "root");
    });
});

describe("server quorum with pool-only nodes", () => {
    it("is warned about with the arithmetic when it is on and the pool has nodes beyond the bricks; not otherwise", async () => {
        const { serverQuorumWarning } = await import("../../components/warnings");
        const { resolveSpec } = await import("../../components/spec");
        const four = [...THREE, { name: "gluster-3" }];
        const on = { "cluster.server-quorum-type": "server" };
        assert.match(
            serverQuorumWarning(resolveSpec("g", { nodes: four, volumeOptions: on }))!,
            /1 pool-only node\(s\): glusterd counts all 4 nodes and stops its bricks when fewer than 3 are up/,
        );
        assert.match(
            serverQuorumWarning(resolveSpec("g", { nodes: [...four, { name: "gluster-4" }], volumeOptions: { ...on, "cluster.server-quorum-ratio": "80%" } }))!,
            /counts all 5 nodes and stops its bricks when fewer than 4 are up/,
        );
        assert.strictEqual(serverQuorumWarning(resolveSpec("g", { nodes: four })), undefined);
        assert.strictEqual(serverQuorumWarning(resolveSpec("g", { nodes: THREE, volumeOptions: on })), undefined);
    });
});
