/**
 * A Pulumi engine in miniature for live tests: the program runs under the SDK's mocks, and
 * each registration is *applied for real* (Docker engine, shell, SSH), with the lifecycle
 * of the real providers:
 *
 * - first apply: create; the result's id and outputs are the real ones;
 * - re-apply over unchanged inputs: nothing runs (as a second `pulumi up`);
 * - changed inputs: commands run `update` (or `create` again) in place; a trigger change
 *   replaces them (the command SDKs set replaceOnChanges: ["triggers[*]"]); Docker resources are replaced,
 *   old-before-new with `deleteBeforeReplace`, new-before-old (old deleted at the end) without;
 * - resources no longer declared are deleted at the end, dependents first;
 * - destroy deletes everything in reverse registration order (dependents first), running
 *   command `delete` scripts and honouring `retainOnDelete` and `protect`.
 *
 * Resource options are not given to mocks, so they are learned with a stack transformation.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import * as util from "util";
import { CommandSpec, readLocal, readRemote, runScript } from "./commands";
import * as d from "./docker";
import { check } from "./run";
import { Strict, unwrapSecrets } from "./strict";

interface Options {
    deleteBeforeReplace: boolean;
    /** Property paths whose change forces a replacement (command SDKs set "triggers[*]"). */
    replaceOnChanges: string[];
    retainOnDelete: boolean;
    protect: boolean;
}

export interface Applied {
    type: string;
    name: string;
    id: string;
    inputs: Record<string, any>;
    outputs: Record<string, any>;
    /** The Docker host of the resource's provider (Docker resources). */
    dockerHost?: string;
    providerId?: string;
    opts: Options;
}

export type Op = "create" | "update" | "replace" | "delete" | "same";
export interface LogEntry {
    op: Op;
    type: string;
    name: string;
    /** How long the real work took (0 for "same"). */
    ms: number;
    /** For commands: which script ran. */
    script?: "create" | "update" | "delete";
}

export class Harness {
    /** What exists now, by `type::name`. */
    readonly state = new Map<string, Applied>();
    /** Registration order of the last run (for deletes: reverse). */
    private order: string[] = [];
    readonly log: LogEntry[] = [];
    private readonly tainted = new Set<string>();

    /**
     * @param rancherDir where rancher2 objects are materialized: a ConfigMapV2 becomes one
     *   file per key under <dir>/<clusterId>/<namespace>/<name>/, as a Kubernetes configMap
     *   volume projects it. There is no Rancher server here; this is what a workload reads.
     */
    constructor(
        private readonly project = "glusterfs",
        private readonly stack = "live",
        private readonly rancherDir?: string,
    ) {}

    /** Marks a resource for replacement on the next apply, as `pulumi up --replace` does. */
    taint(name: string): void {
        const key = [...this.state.keys()].find((k) => k.endsWith(`::${name}`));
        if (!key) throw new Error(`no resource named ${name}`);
        this.tainted.add(key);
    }

    find(name: string): Applied {
        const a = [...this.state.values()].find((x) => x.name === name);
        if (!a) throw new Error(`no resource named ${name}; have ${[...this.state.values()].map((x) => x.name).join(", ")}`);
        return a;
    }

    ofType(type: string): Applied[] {
        return [...this.state.values()].filter((a) => a.type === type);
    }

    /** Log entries since `mark` (from `this.log.length`). */
    since(mark: number): LogEntry[] {
        return this.log.slice(mark);
    }

    /**
     * Runs `program` as one `pulumi up`. `config` is the stack config (`ns:key` → value;
     * objects are passed as JSON, as Pulumi stores them), `secretKeys` the keys set with
     * --secret. Returns the stack outputs.
     */
    async apply(program: () => any, config: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<Record<string, any>> {
        const opts = new Map<string, Options>();
        const seen: string[] = [];
        // Registrations in flight: like the engine, a failed run waits for them to finish.
        const inFlight = new Set<Promise<unknown>>();
        const pendingDeletes: Applied[] = [];
        let failure: Error | undefined;

        pulumi.runtime.setMocks(
            {
                newResource: async (args) => {
                    const key = `${args.type}::${args.name}`;
                    seen.push(key);
                    const work = this.register(key, args, opts.get(key) ?? { deleteBeforeReplace: false, replaceOnChanges: [], retainOnDelete: false, protect: false }, pendingDeletes);
                    inFlight.add(work);
                    try {
                        return await work;
                    } catch (e) {
                        failure = failure ?? (e as Error);
                        throw e;
                    } finally {
                        inFlight.delete(work);
                    }
                },
                call: (args) => {
                    throw new Error(`harness: invoke ${args.token} is not translated`);
                },
            },
            this.project,
            this.stack,
            false,
        );
        // The whole config is replaced: a key from an earlier run must not leak into this one.
        pulumi.runtime.setAllConfig(
            Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
            secretKeys,
        );

        let outputs: Record<string, any> = {};
        // What this run registered is known even when it fails, so destroy can clean it up.
        const remember = () => {
            this.order = [...seen, ...this.order.filter((k) => !seen.includes(k) && this.state.has(k))];
        };
        try {
            outputs =
                ((await pulumi.runtime.runInPulumiStack(async () => {
                    pulumi.runtime.registerStackTransformation((t) => {
                        const o = t.opts as pulumi.CustomResourceOptions;
                        for (const unsupported of ["ignoreChanges", "customTimeouts", "import", "deletedWith"] as const) {
                            const v = (o as any)[unsupported];
                            if (v !== undefined && !(Array.isArray(v) && v.length === 0)) {
                                throw new Error(`harness: resource option ${unsupported} on ${t.name} is not imitated`);
                            }
                        }
                        const replaceOnChanges = (o.replaceOnChanges ?? []) as string[];
                        if (replaceOnChanges.some((p) => p !== "triggers[*]")) {
                            throw new Error(`harness: replaceOnChanges ${replaceOnChanges.join(",")} on ${t.name} is not imitated`);
                        }
                        opts.set(`${t.type}::${t.name}`, {
                            deleteBeforeReplace: !!o.deleteBeforeReplace,
                            replaceOnChanges,
                            retainOnDelete: !!o.retainOnDelete,
                            protect: !!o.protect,
                        });
                        return undefined;
                    });
                    return program();
                })) as Record<string, any>) ?? {};
        } catch (e) {
            while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
            remember();
            throw failure ?? e;
        }
        remember();
        if (failure) throw failure;

        // Replaced resources (new-before-old), then resources no longer declared, dependents first.
        for (const old of pendingDeletes) await this.delete(old);
        const gone = [...this.order].reverse().filter((k) => !seen.includes(k) && this.state.has(k));
        for (const k of gone) {
            await this.delete(this.state.get(k)!);
            this.state.delete(k);
        }
        this.order = seen;
        return outputs;
    }

    /** `pulumi destroy`: deletes everything, dependents first. */
    async destroy(): Promise<void> {
        const keys = [...this.order].reverse().filter((k) => this.state.has(k));
        const errors: string[] = [];
        for (const k of keys) {
            try {
                await this.delete(this.state.get(k)!);
                this.state.delete(k);
            } catch (e) {
                errors.push(String((e as Error).message));
            }
        }
        if (errors.length > 0) throw new Error(`destroy failed:\n${errors.join("\n")}`);
    }

    private async register(key: string, args: pulumi.runtime.MockResourceArgs, o: Options, pendingDeletes: Applied[]): Promise<{ id: string; state: any }> {
        const inputs = unwrapSecrets(args.inputs ?? {});
        // Components (and the stack itself) have nothing to apply.
        if (args.custom === false || args.type === "pulumi:pulumi:Stack") {
            return { id: "", state: {} };
        }
        const providerId = args.provider ? args.provider.slice(args.provider.lastIndexOf("::") + 2) : undefined;
        const prev = this.state.get(key);
        const tainted = this.tainted.delete(key);

        if (prev && !tainted && util.isDeepStrictEqual(prev.inputs, inputs) && prev.providerId === providerId) {
            this.log.push({ op: "same", type: args.type, name: args.name, ms: 0 });
            return { id: prev.id, state: { ...prev.inputs, ...prev.outputs } };
        }

        const isCommand = args.type === "command:local:Command" || args.type === "command:remote:Command";
        if (prev && isCommand && !tainted) {
            const spec = this.readCommand(args.type, args.name, inputs);
            // The command SDKs declare replaceOnChanges ["triggers[*]"]: a trigger change
            // replaces the resource even when it has an update script.
            const forcesReplace = o.replaceOnChanges.includes("triggers[*]") && !util.isDeepStrictEqual(prev.inputs.triggers, inputs.triggers);
            if (!forcesReplace) {
                // In place: `update` if given, else `create` again.
                const script = spec.update !== undefined ? "update" : "create";
                const r = spec[script] !== undefined
                    ? await runScript(this.label(args), spec, spec[script]!, { stdout: prev.outputs.stdout, stderr: prev.outputs.stderr })
                    : { stdout: prev.outputs.stdout, stderr: prev.outputs.stderr, ms: 0 };
                const applied = { ...prev, inputs, outputs: { stdout: r.stdout, stderr: r.stderr } };
                this.state.set(key, applied);
                this.log.push({ op: "update", type: args.type, name: args.name, ms: r.ms, script });
                return { id: prev.id, state: { ...inputs, ...applied.outputs } };
            }
        }

        if (prev) {
            // Replace.
            if (prev.opts.protect) throw new Error(`${this.label(args)} is protected and would be replaced`);
            if (o.deleteBeforeReplace) {
                await this.delete(prev);
                this.state.delete(key);
            } else {
                pendingDeletes.push(prev);
            }
        }
        const started = Date.now();
        const applied = await this.create(key, args, inputs, providerId, o);
        this.state.set(key, applied);
        this.log.push({ op: prev ? "replace" : "create", type: args.type, name: args.name, ms: Date.now() - started, ...(isCommand ? { script: "create" as const } : {}) });
        return { id: applied.id, state: { ...inputs, ...applied.outputs } };
    }

    private label(args: { type: string; name: string }): string {
        return `${args.type} ${args.name}`;
    }

    private readCommand(type: string, name: string, inputs: Record<string, any>): CommandSpec {
        const s = new Strict(inputs, `${type} ${name}`);
        return type === "command:local:Command" ? readLocal(s) : readRemote(s);
    }

    private dockerHostOf(providerId: string | undefined): string | undefined {
        if (!providerId) return undefined;
        const p = [...this.state.values()].find((a) => a.type === "pulumi:providers:docker" && a.id === providerId);
        if (!p) throw new Error(`harness: unknown Docker provider ${providerId}`);
        return p.outputs.host;
    }

    private async create(key: string, args: pulumi.runtime.MockResourceArgs, inputs: Record<string, any>, providerId: string | undefined, o: Options): Promise<Applied> {
        const base = { type: args.type, name: args.name, inputs, providerId, opts: o };
        const s = new Strict(inputs, `${args.type} ${args.name}`);
        switch (args.type) {
            case "pulumi:providers:docker": {
                const host = s.optionalString("host");
                s.optionalString("version");
                s.done();
                return { ...base, id: `provider-${args.name}`, outputs: { host } };
            }
            case "command:local:Command":
            case "command:remote:Command": {
                const spec = this.readCommand(args.type, args.name, inputs);
                const r = spec.create !== undefined ? await runScript(this.label(args), spec, spec.create) : { stdout: "", stderr: "" };
                return { ...base, id: `${args.name}-${Date.now()}`, outputs: { stdout: r.stdout, stderr: r.stderr } };
            }
        }
        if (args.type.startsWith("rancher2:") || args.type === "pulumi:providers:rancher2") {
            return { ...base, ...(await this.applyRancher(args.type, args.name, s)) };
        }
        const host = this.dockerHostOf(providerId);
        const make = async (f: (h: string | undefined, s: Strict) => Promise<{ id: string; outputs: Record<string, unknown> }>) => {
            const r = await f(host, s);
            return { ...base, id: r.id, outputs: r.outputs, dockerHost: host };
        };
        switch (args.type) {
            case "docker:index/image:Image":
                return make(d.applyImage);
            case "docker:index/remoteImage:RemoteImage":
                return make(d.applyRemoteImage);
            case "docker:index/network:Network":
                return make(d.applyNetwork);
            case "docker:index/volume:Volume":
                return make(d.applyVolume);
            case "docker:index/container:Container":
                return make(d.applyContainer);
            default:
                throw new Error(`harness: resource type ${args.type} (${args.name}) is not translated`);
        }
    }

    private rancherPath(...parts: string[]): string {
        if (!this.rancherDir) throw new Error("harness: rancher2 resources need a Harness with a rancherDir");
        return path.join(this.rancherDir, ...parts);
    }

    private async applyRancher(type: string, name: string, s: Strict): Promise<{ id: string; outputs: Record<string, any> }> {
        switch (type) {
            case "pulumi:providers:rancher2": {
                for (const k of ["apiUrl", "tokenKey", "caCerts", "version"]) s.optionalString(k);
                s.optionalBool("insecure");
                s.done();
                return { id: `provider-${name}`, outputs: {} };
            }
            case "rancher2:index/namespace:Namespace": {
                const ns = s.string("name");
                const projectId = s.string("projectId");
                s.optionalStringMap("labels");
                s.done();
                const dir = this.rancherPath(projectId.split(":")[0], ns);
                fs.mkdirSync(dir, { recursive: true });
                return { id: `${projectId.split(":")[0]}.${ns}`, outputs: { name: ns, dir } };
            }
            case "rancher2:index/configMapV2:ConfigMapV2": {
                const clusterId = s.string("clusterId");
                const ns = s.optionalString("namespace") ?? "default";
                const cm = s.string("name");
                const data = s.optionalStringMap("data");
                s.optionalStringMap("labels");
                s.optionalStringMap("annotations");
                if (s.optionalBool("immutable")) throw new Error(`${s.where}: immutable is not imitated`);
                s.done();
                const dir = this.rancherPath(clusterId, ns, cm);
                if (fs.existsSync(dir)) throw new Error(`${s.where}: configmaps "${cm}" already exists in ${clusterId}/${ns}`);
                fs.mkdirSync(dir, { recursive: true });
                for (const [k, v] of Object.entries(data)) fs.writeFileSync(path.join(dir, k), v);
                return { id: `${clusterId}.${ns}/${cm}`, outputs: { dir } };
            }
            default:
                throw new Error(`harness: resource type ${type} (${name}) is not translated`);
        }
    }

    private async delete(a: Applied): Promise<void> {
        if (a.opts.protect) throw new Error(`${a.type} ${a.name} is protected`);
        const started = Date.now();
        let script: "delete" | undefined;
        if (!a.opts.retainOnDelete) {
            switch (a.type) {
                case "command:local:Command":
                case "command:remote:Command": {
                    const spec = this.readCommand(a.type, a.name, a.inputs);
                    if (spec.delete !== undefined) {
                        await runScript(this.label(a), spec, spec.delete, { stdout: a.outputs.stdout, stderr: a.outputs.stderr });
                        script = "delete";
                    }
                    break;
                }
                case "docker:index/container:Container":
                    await d.deleteContainer(a.dockerHost, a.id);
                    break;
                case "docker:index/volume:Volume":
                    await d.deleteVolume(a.dockerHost, a.outputs.name);
                    break;
                case "docker:index/network:Network":
                    await d.deleteNetwork(a.dockerHost, a.outputs.name);
                    break;
                case "rancher2:index/configMapV2:ConfigMapV2":
                case "rancher2:index/namespace:Namespace":
                    fs.rmSync(a.outputs.dir, { recursive: true, force: true });
                    break;
                case "docker:index/remoteImage:RemoteImage":
                    if (!a.inputs.keepLocally) await check(d.dockerArgv(a.dockerHost, "rmi", a.outputs.name));
                    break;
                // docker.Image: the provider leaves the built image in place. Providers: nothing to do.
            }
        }
        this.log.push({ op: "delete", type: a.type, name: a.name, ms: Date.now() - started, ...(script ? { script } : {}) });
    }
}
