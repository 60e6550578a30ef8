/** The small parts around the gluster scripts: the delete wrapper, XPath literals, what is read back, the options split. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { volumeOptions } from "../../components/bootstrap";
import { inContainerIfPresent } from "../../components/gluster/exec";
import { xpathLiteral } from "../../components/gluster/prelude";
import { versionFromReadyOutput } from "../../components/gluster/ready";
import { volumeDeleteScript, volumeScript } from "../../components/gluster/volume";
import { preflightScript } from "../../components/gluster/whole";
import { resolveSpec } from "../../components/spec";

/** Runs a delete wrapper with a stand-in docker whose `container inspect` prints `state` (or fails when undefined, or with `error`). */
function runWrapper(state: string | undefined, error?: string, warning?: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exec-"));
    try {
        const calls = path.join(dir, "calls");
        const docker = [
            `#!/bin/sh`,
            `echo "$*" >> ${calls}`,
            `case $1 in`,
            `  container) ${error ? `echo "${error}" >&2; exit 1` : state === undefined ? `echo "Error: No such container: $5" >&2; exit 1` : `${warning ? `echo "${warning}" >&2; ` : ""}printf '%s\\n' "$4" | sed 's/{{.State.Status}}/${state}/'`} ;;`,
            `  exec) shift 4; exec /bin/sh -c "$1" ;;`,
            `esac`,
        ].join("\n");
        fs.writeFileSync(path.join(dir, "docker"), docker, { mode: 0o755 });
        const r = spawnSync("/bin/sh", ["-c", inContainerIfPresent("gluster-0", "echo inner ran")], {
            env: { PATH: `${dir}:/usr/bin:/bin` },
            encoding: "utf8",
        });
        return { ...r, calls: fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [] };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("a delete run inside a node's container", () => {
    it("succeeds without running anything when the container is gone", () => {
        const r = runWrapper(undefined);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, "container gluster-0 is gone; nothing to do\n");
        assert.deepStrictEqual(r.calls, ["container inspect -f state={{.State.Status}} gluster-0"]);
    });

    it("fails, saying what docker said, when docker fails otherwise (it does not pass for a container that is gone)", () => {
        const r = runWrapper(undefined, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?");
        assert.strictEqual(r.status, 1);
        assert.strictEqual(r.stdout, "");
        assert.match(r.stderr, /^error: cannot tell whether container gluster-0 runs: docker said: Cannot connect to the Docker daemon/);
    });

    it("fails with the two ways out when the container is stopped, running nothing in it", () => {
        const r = runWrapper("exited");
        assert.strictEqual(r.status, 1);
        assert.strictEqual(r.stdout, "");
        assert.match(
            r.stderr,
            /^error: container gluster-0 is exited, so its glusterd cannot be asked to clean up\. Start it \(docker start gluster-0\) and run this again; or, .* remove the container \(docker rm gluster-0\) and run this again\.\n$/,
        );
        assert.strictEqual(r.calls.length, 1);
    });

    it("runs the script in the container when it is running", () => {
        const r = runWrapper("running");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, "inner ran\n");
        assert.deepStrictEqual(r.calls, ["container inspect -f state={{.State.Status}} gluster-0", "exec gluster-0 sh -c echo inner ran"]);
    });
});

describe("a container's state", () => {
    it("is the line docker's template marks: a warning docker prints beside it is not the state", () => {
        const r = runWrapper("running", undefined, "WARNING: Error loading config file: /root/.docker/config.json: permission denied");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, "inner ran\n");
    });
});

describe("an XPath literal", () => {
    it("quotes a validated name or address, and refuses anything else whole", () => {
        assert.strictEqual(xpathLiteral("gfs-1.example_net"), "'gfs-1.example_net'");
        assert.strictEqual(xpathLiteral("10.0.0.1"), "'10.0.0.1'");
        for (const bad of ["", "a'b", "x]", "a b", "'a", "a'", "a\nb"]) {
            assert.throws(
                () => xpathLiteral(bad),
                (e: Error) => e.message === `not a name or address: ${JSON.stringify(bad)}`,
                JSON.stringify(bad),
            );
        }
    });
});

describe("what the gluster steps read back", () => {
    it("a ready step's version line, whole and at the start of its line", () => {
        assert.strictEqual(versionFromReadyOutput("ok: glusterd answers\nglusterfs-version: 11.1\n"), "11.1");
        assert.strictEqual(versionFromReadyOutput("glusterfs-version: \n"), "");
        for (const other of ["ok", "# glusterfs-version: 11.1", "glusterfs-version: 11.1 (rc)", ""])
            assert.strictEqual(versionFromReadyOutput(other), "", other);
    });

    it("cluster-wide options go to `volume set all`, every other to the volume", () => {
        const global = {
            "cluster.server-quorum-ratio": "60%",
            "cluster.brick-multiplex": "on",
            "cluster.max-bricks-per-process": "4",
            "cluster.localtime-logging": "enable",
            "cluster.daemon-log-level": "INFO",
        };
        const spec = resolveSpec("g", { nodes: [{ name: "a" }, { name: "b" }, { name: "c" }], volumeOptions: { ...global, "network.ping-timeout": "20" } });
        const split = volumeOptions(spec, [], false);
        assert.deepStrictEqual(split.global, global);
        assert.strictEqual(split.perVolume["network.ping-timeout"], "20");
        for (const k of Object.keys(global)) assert.ok(!(k in split.perVolume), k);
    });
});

describe("the settle deadlines the component leaves at their defaults", () => {
    it("are 15 s for the preflight and the volume step, 30 s for the volume's delete", () => {
        const pre = preflightScript({
            cluster: "gc",
            container: "gc-0",
            fingerprint: "fp",
            volumeName: "vol",
            bricks: ["a:/bricks/vol", "b:/bricks/vol", "c:/bricks/vol"],
            glusterdSeconds: 5,
            healSeconds: 5,
            state: { volume: "gc-gc-0-state" },
        });
        assert.match(pre, /^poll 15 peers_connected \|\| die /m);
        assert.match(pre, /^poll 15 bricks_up \|\| die /m);
        const volume = volumeScript({
            volumeName: "vol",
            servers: ["a", "b", "c"],
            brickPath: "/bricks/vol",
            options: {},
            globalOptions: {},
            ports: { base: 49152, max: 49161 },
            peersSeconds: 5,
            volumeSeconds: 5,
            healSeconds: 5,
            mayCreate: true,
            owner: "o",
        });
        assert.match(volume, /^if ! poll 15 brick_nodes_connected; then$/m);
        assert.match(volumeDeleteScript({ volumeName: "vol", owner: "o" }), /^poll 30 mesh_ok \|\| die /m);
    });
});
