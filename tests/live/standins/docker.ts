/**
 * The Docker resources, applied through the real Docker engine the way @pulumi/docker 5.x
 * applies them: `Container`, `Volume`, `Network` and `RemoteImage` are bridged from
 * terraform-provider-docker v4.5.0 (internal/provider/resource_docker_*.go), `Image` is the
 * provider's native build (provider/image.go). Each translation covers exactly the
 * arguments the component sets; any other argument fails the run. The Docker endpoint is
 * the provider's `host`, else DOCKER_HOST, else the default socket (never the CLI's
 * current context); `ssh://` endpoints dial through the runner's `ssh`, as the provider does.
 */
import { changedKeys, Diff, InitError, ProviderConfig, ProviderContext, ProviderImpl, Res, StandIn } from "./provider";
import * as fs from "fs";
import * as path from "path";
import { docker, dockerCheck, useTls } from "./dockerApi";
import { Strict } from "./strict";

/** Keys whose change is an in-place update rather than a replacement (the TF schema's non-ForceNew ones). */
const CONTAINER_IN_PLACE = new Set([
    "restart",
    "maxRetryCount",
    "memory",
    "memorySwap",
    "cpuShares",
    "cpuSet",
    "tmpfs",
    "healthcheck",
    "wait",
    "waitTimeout",
    "mustRun",
    "destroyGraceSeconds",
    "rm",
    "start",
    "attach",
    "logs",
    "removeVolumes",
    "init",
]);

/** A diff where every changed key replaces, except those in `inPlace`. */
function schemaDiff(old: Res, goal: Res, inPlace: Set<string> = new Set()): Diff {
    const keys = changedKeys(old.inputs, goal.inputs);
    if (keys.length === 0) return { kind: "same", keys: [] };
    const replacing = keys.filter((k) => !inPlace.has(k));
    return replacing.length > 0 ? { kind: "replace", keys: replacing } : { kind: "update", keys: [] };
}

// ---- the provider resource ----

const providerConfig: ProviderConfig = {
    check(config, where) {
        const s = new Strict(config, where);
        s.optionalString("host");
        s.optionalString("version");
        // A tcp:// endpoint's TLS material (pulumi-docker's caMaterial, certMaterial, keyMaterial).
        s.optionalString("caMaterial");
        s.optionalString("certMaterial");
        s.optionalString("keyMaterial");
        s.done();
    },
    configure(config) {
        // As the provider's client does with the material: it verifies the engine with the CA and
        // authenticates with the certificate. The CLI takes them as files, in a private directory.
        const host = config.host as string | undefined;
        if (!host?.startsWith("tcp://") || !config.caMaterial) return;
        // Under the test's stack directory, which the test removes: the engine ends a plugin with
        // SIGKILL, so no exit handler of this process would run.
        const scratch = process.env.STANDIN_SCRATCH_DIR;
        if (!scratch) throw new Error("the docker stand-in needs STANDIN_SCRATCH_DIR (where it keeps the TLS material for the docker CLI)");
        const dir = fs.mkdtempSync(path.join(scratch, "docker-tls-"));
        const file = (name: string, text: string) => {
            fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
            return path.join(dir, name);
        };
        useTls(host, {
            ca: file("ca.pem", config.caMaterial),
            cert: file("cert.pem", config.certMaterial ?? ""),
            key: file("key.pem", config.keyMaterial ?? ""),
        });
    },
};

// ---- docker.Image (native) ----

function readImage(s: Strict) {
    const imageName = s.string("imageName");
    // Whether `pulumi preview` builds too; an apply builds either way.
    s.optionalBool("buildOnPreview");
    if (s.bool("skipPush") !== true) throw new Error(`${s.where}: only local builds (skipPush: true) can be applied here`);
    const build = s.object("build");
    const context = build.string("context");
    const dockerfile = build.optionalString("dockerfile");
    const platform = build.optionalString("platform");
    build.done();
    s.done();
    if (!platform && !build.isUnknown("platform")) {
        throw new Error(
            `${s.where}: build.platform is unset; the provider would build for the architecture of the machine running pulumi (linux/<GOARCH>), not for the target host`,
        );
    }
    return { imageName, context, dockerfile, platform };
}

const image: ProviderImpl = {
    check: (g) => void readImage(new Strict(g.inputs, `${g.type} ${g.name}`)),
    // The provider's Diff never replaces: any change rebuilds in place.
    diff: (_c, old, goal) => (changedKeys(old.inputs, goal.inputs).length === 0 ? { kind: "same", keys: [] } : { kind: "update", keys: [] }),
    async create(ctx, g) {
        return { id: readImage(new Strict(g.inputs, g.name)).imageName, outputs: await buildImage(ctx, g) };
    },
    update: async (ctx, _old, g) => ({ outputs: await buildImage(ctx, g) }),
    computed: ["repoDigest"],
    // Delete is a no-op: the built image stays.
    delete: async () => undefined,
};

async function buildImage(ctx: ProviderContext, g: Res): Promise<Record<string, any>> {
    const { imageName, context, dockerfile, platform } = readImage(new Strict(g.inputs, `${g.type} ${g.name}`));
    // Known here: only a preview sends a platform not known yet, and a preview builds nothing.
    if (!platform) throw new Error(`${g.name}: build.platform is not known`);
    const endpoint = ctx.dockerEndpoint();
    await dockerCheck(endpoint, ["build", "-q", "--platform", platform, "-t", imageName, ...(dockerfile ? ["-f", dockerfile] : []), context], {
        timeoutMs: 900_000,
    });
    return { imageName, context, dockerfile, platform, repoDigest: "" };
}

// ---- docker.RemoteImage ----

function readRemoteImage(s: Strict) {
    const name = s.string("name");
    const keepLocally = s.optionalBool("keepLocally") ?? false;
    s.done();
    return { name, keepLocally };
}

const remoteImage: ProviderImpl = {
    check: (g) => void readRemoteImage(new Strict(g.inputs, `${g.type} ${g.name}`)),
    diff: (_c, old, goal) => schemaDiff(old, goal, new Set(["keepLocally"])),
    async create(ctx, g) {
        const { name } = readRemoteImage(new Strict(g.inputs, g.name));
        const endpoint = ctx.dockerEndpoint();
        let id = (await docker(endpoint, ["image", "inspect", "-f", "{{.Id}}", name])).stdout.trim();
        if (!id) {
            await dockerCheck(endpoint, ["pull", name], { timeoutMs: 300_000 });
            id = await dockerCheck(endpoint, ["image", "inspect", "-f", "{{.Id}}", name]);
        }
        return { id: `${id}${name}`, outputs: { imageId: id, repoDigest: id } };
    },
    computed: ["imageId", "repoDigest"],
    update: async (_c, old) => ({ outputs: old.outputs }),
    async delete(ctx, old) {
        const { name, keepLocally } = readRemoteImage(new Strict(old.inputs, old.name));
        if (!keepLocally) await dockerCheck(ctx.dockerEndpoint(), ["rmi", name]);
        return undefined;
    },
};

// ---- docker.Volume ----

function readVolume(s: Strict) {
    const name = s.string("name");
    const labels = s.optionalLabels("labels");
    s.done();
    return { name, labels };
}

const volume: ProviderImpl = {
    check: (g) => void readVolume(new Strict(g.inputs, `${g.type} ${g.name}`)),
    diff: (_c, old, goal) => schemaDiff(old, goal),
    async create(ctx, g) {
        const { name, labels } = readVolume(new Strict(g.inputs, g.name));
        const id = await dockerCheck(ctx.dockerEndpoint(), ["volume", "create", ...labelFlags(labels), name]);
        return { id, outputs: { mountpoint: `/var/lib/docker/volumes/${name}/_data` } };
    },
    computed: ["mountpoint"],
    update: async (_c, old) => ({ outputs: old.outputs }),
    async delete(ctx, old) {
        // Forced removal, retried for 30 s while the volume is in use; any other error fails.
        await retryWhile(ctx.dockerEndpoint(), ["volume", "rm", "-f", old.inputs.name], /volume is in use/, 30_000, `Error deleting volume ${old.inputs.name}`);
        return undefined;
    },
    async read(ctx, old) {
        const r = await docker(ctx.dockerEndpoint(), ["volume", "inspect", old.inputs.name]);
        return r.code === 0 ? old : undefined;
    },
};

// ---- docker.Network ----

function readNetwork(s: Strict) {
    const name = s.string("name");
    const driver = s.optionalString("driver") ?? "bridge";
    const labels = s.optionalLabels("labels");
    s.done();
    return { name, driver, labels };
}

const network: ProviderImpl = {
    check: (g) => void readNetwork(new Strict(g.inputs, `${g.type} ${g.name}`)),
    diff: (_c, old, goal) => schemaDiff(old, goal),
    async create(ctx, g) {
        const { name, driver, labels } = readNetwork(new Strict(g.inputs, g.name));
        const endpoint = ctx.dockerEndpoint();
        const id = await dockerCheck(endpoint, ["network", "create", "--driver", driver, ...labelFlags(labels), name]);
        // The provider reads the network back after create: ipam_config is computed from
        // Docker's IPAM config, each field only when Docker gives it (flattenIpamConfigSpec).
        const ipam = JSON.parse(await dockerCheck(endpoint, ["network", "inspect", "-f", "{{json .IPAM.Config}}", id])) ?? [];
        const ipamConfigs = ipam.map((c: { Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }) => ({
            ...(c.Subnet ? { subnet: c.Subnet } : {}),
            ...(c.IPRange ? { ipRange: c.IPRange } : {}),
            ...(c.Gateway ? { gateway: c.Gateway } : {}),
            ...(c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length > 0 ? { auxAddress: c.AuxiliaryAddresses } : {}),
        }));
        return { id, outputs: { ipamConfigs } };
    },
    computed: ["ipamConfigs"],
    update: async (_c, old) => ({ outputs: old.outputs }),
    async delete(ctx, old) {
        const endpoint = ctx.dockerEndpoint();
        // Any inspect error counts as already removed; active endpoints are waited out for 30 s.
        if ((await docker(endpoint, ["network", "inspect", old.id])).code !== 0) return undefined;
        await retryWhile(endpoint, ["network", "rm", old.id], /has active endpoints/, 30_000, `Error deleting network ${old.inputs.name}`);
        return undefined;
    },
};

function labelFlags(labels: Array<{ label: string; value: string }>): string[] {
    return labels.flatMap((l) => ["--label", `${l.label}=${l.value}`]);
}

/** Runs `docker ARGS` until it succeeds, retrying (first after 2 s, then 5 s apart) while its error matches `busy`. */
async function retryWhile(endpoint: string, args: string[], busy: RegExp, limitMs: number, what: string): Promise<void> {
    const deadline = Date.now() + limitMs;
    let wait = 2000;
    for (;;) {
        const r = await docker(endpoint, args);
        if (r.code === 0) return;
        const err = (r.stderr || r.stdout).trim();
        if (!busy.test(err)) throw new Error(`${what}: ${err}`);
        if (Date.now() + wait > deadline) throw new Error(`${what}: timeout while waiting for state to become 'removed' (last error: ${err})`);
        await new Promise((res) => setTimeout(res, wait));
        wait = 5000;
    }
}

// ---- docker.Container ----

interface ContainerSpec {
    name: string;
    /** `docker create` arguments, without the image. */
    argv: string[];
    image: string;
    /** What follows the image: the entrypoint's arguments, then the command. */
    args: string[];
    restart: string;
    mustRun: boolean;
    destroyGraceSeconds: number;
}

function readContainer(s: Strict): ContainerSpec {
    const argv: string[] = [];
    const name = s.string("name");
    argv.push("--name", name);
    const image = s.string("image");
    const restart = s.optionalString("restart") ?? "no";
    argv.push("--restart", restart);
    const caps = s.optionalObject("capabilities");
    if (caps) {
        for (const c of caps.optionalStringList("adds")) argv.push("--cap-add", c);
        for (const c of caps.optionalStringList("drops")) argv.push("--cap-drop", c);
        caps.done();
    }
    if (s.optionalBool("privileged")) argv.push("--privileged");
    for (const d of s.optionalObjectList("devices")) {
        const host = d.string("hostPath");
        const target = d.optionalString("containerPath") ?? host;
        const perms = d.optionalString("permissions") ?? "rwm";
        d.done();
        argv.push("--device", `${host}:${target}:${perms}`);
    }
    for (const e of s.optionalStringList("envs")) argv.push("--env", e);
    for (const [p, options] of Object.entries(s.optionalStringMap("tmpfs"))) argv.push("--tmpfs", options ? `${p}:${options}` : p);
    for (const v of s.optionalObjectList("volumes")) {
        const target = v.string("containerPath");
        const source = v.optionalString("volumeName") ?? v.optionalString("hostPath");
        if (!source) throw new Error(`${v.where}: needs volumeName or hostPath`);
        const readOnly = v.optionalBool("readOnly");
        v.done();
        // The provider passes these as Binds, which creates a missing host path.
        argv.push("--volume", `${source}:${target}${readOnly ? ":ro" : ""}`);
    }
    for (const h of s.optionalObjectList("hosts")) {
        argv.push("--add-host", `${h.string("host")}:${h.string("ip")}`);
        h.done();
    }
    const networkMode = s.optionalString("networkMode");
    const networks = s.optionalObjectList("networksAdvanced");
    if (networkMode && networks.length > 0) throw new Error(`${s.where}: networkMode and networksAdvanced together are not translated`);
    if (networkMode) argv.push("--network", networkMode);
    // The provider creates the container on the default bridge, disconnects it and connects
    // each networks_advanced entry; the end state is what --network with aliases gives.
    if (networks.length > 1) throw new Error(`${s.where}: more than one networksAdvanced entry is not translated`);
    for (const n of networks) {
        argv.push("--network", n.string("name"));
        for (const a of n.optionalStringList("aliases")) argv.push("--network-alias", a);
        n.done();
    }
    const hostname = s.optionalString("hostname");
    if (hostname) argv.push("--hostname", hostname);
    const hc = s.optionalObject("healthcheck");
    if (hc) {
        const tests = hc.stringList("tests");
        if (tests[0] !== "CMD-SHELL" || tests.length !== 2) throw new Error(`${hc.where}: only ["CMD-SHELL", cmd] is translated`);
        argv.push("--health-cmd", tests[1]);
        const flag = (key: string, f: string) => {
            const v = hc.optionalString(key);
            if (v) argv.push(f, v);
        };
        flag("interval", "--health-interval");
        flag("timeout", "--health-timeout");
        flag("startPeriod", "--health-start-period");
        const retries = hc.optionalNumber("retries");
        if (retries !== undefined) argv.push("--health-retries", String(retries));
        hc.done();
    }
    for (const l of s.optionalLabels("labels")) argv.push("--label", `${l.label}=${l.value}`);
    const stopSignal = s.optionalString("stopSignal");
    if (stopSignal) argv.push("--stop-signal", stopSignal);
    const logDriver = s.optionalString("logDriver");
    if (logDriver) argv.push("--log-driver", logDriver);
    for (const [k, v] of Object.entries(s.optionalStringMap("logOpts"))) argv.push("--log-opt", `${k}=${v}`);
    if (s.optionalBool("wait") === true) throw new Error(`${s.where}: wait: true is not translated (the component polls itself)`);
    const mustRun = s.optionalBool("mustRun") ?? true;
    const destroyGraceSeconds = s.optionalNumber("destroyGraceSeconds") ?? 0;
    // The entrypoint is a list; the CLI takes its first word, the rest go before the command.
    const entrypoint = s.optionalStringList("entrypoints");
    if (entrypoint.length > 0) argv.push("--entrypoint", entrypoint[0]);
    const args = [...entrypoint.slice(1), ...s.optionalStringList("command")];
    s.done();
    return { name, argv, image, args, restart, mustRun, destroyGraceSeconds };
}

const container: ProviderImpl = {
    check: (g) => void readContainer(new Strict(g.inputs, `${g.type} ${g.name}`)),
    diff(_c, old, goal) {
        const d = schemaDiff(old, goal, CONTAINER_IN_PLACE);
        // A refresh that found the container stopped recorded must_run=false: the next update starts it.
        if (d.kind === "same" && old.outputs.mustRun === false && (goal.inputs.mustRun ?? true)) return { kind: "update", keys: [] };
        return d;
    },
    // pulumi-docker declares DeleteBeforeReplace for docker_container (provider/resources.go).
    deleteBeforeReplace: true,
    async create(ctx, g) {
        const spec = readContainer(new Strict(g.inputs, `${g.type} ${g.name}`));
        const endpoint = ctx.dockerEndpoint();
        const id = await dockerCheck(endpoint, ["create", ...spec.argv, spec.image, ...spec.args]);
        const started = await docker(endpoint, ["start", id]);
        if (started.code !== 0) {
            throw new InitError(`creating ${g.name}: Unable to start container: ${started.stderr.trim()}`, id, {});
        }
        return { id, outputs: {} };
    },
    async update(ctx, old, goal) {
        const endpoint = ctx.dockerEndpoint();
        const spec = readContainer(new Strict(goal.inputs, `${goal.type} ${goal.name}`));
        // Only the restart policy (and resource limits) reach the running container; tmpfs,
        // health check and the rest are recorded and never applied.
        if (changedKeys({ r: old.inputs.restart }, { r: goal.inputs.restart }).length > 0)
            await dockerCheck(endpoint, ["update", "--restart", spec.restart, old.id]);
        if (old.outputs.mustRun === false && spec.mustRun) await dockerCheck(endpoint, ["start", old.id]);
        return { outputs: { ...old.outputs, mustRun: spec.mustRun } };
    },
    async delete(ctx, old) {
        const endpoint = ctx.dockerEndpoint();
        const grace = readContainer(new Strict(old.inputs, old.name)).destroyGraceSeconds;
        const gone = /No such container|is already in progress/i;
        const stop = await docker(endpoint, ["stop", "-t", String(grace), old.id], { timeoutMs: (grace + 60) * 1000 });
        if (stop.code !== 0 && !/No such container/i.test(stop.stderr)) throw new Error(`Error stopping container ${old.id}: ${stop.stderr.trim()}`);
        const rm = await docker(endpoint, ["rm", "-f", "-v", old.id]);
        if (rm.code !== 0 && !gone.test(rm.stderr)) throw new Error(`Error deleting container ${old.id}: ${rm.stderr.trim()}`);
        return undefined;
    },
    async read(ctx, old) {
        const r = await docker(ctx.dockerEndpoint(), ["container", "inspect", "-f", "{{.State.Running}}", old.id]);
        if (r.code !== 0) {
            if (/No such (container|object)/i.test(r.stderr)) return undefined;
            throw new Error(`reading ${old.name}: ${r.stderr.trim()}`);
        }
        // A stopped container with must_run is only marked (must_run=false in state), not deleted (v4.5.0).
        if (r.stdout.trim() !== "true" && (old.inputs.mustRun ?? true)) return { ...old, outputs: { ...old.outputs, mustRun: false } };
        return old;
    },
};

/** @pulumi/docker 5.2.0. */
export const dockerStandIn: StandIn = {
    name: "docker",
    version: "5.2.0",
    config: providerConfig,
    resource,
};

function resource(type: string): ProviderImpl {
    switch (type) {
        case "docker:index/image:Image":
            return image;
        case "docker:index/remoteImage:RemoteImage":
            return remoteImage;
        case "docker:index/volume:Volume":
            return volume;
        case "docker:index/network:Network":
            return network;
        case "docker:index/container:Container":
            return container;
        default:
            throw new Error(`the docker stand-in does not know the resource type ${type}`);
    }
}
