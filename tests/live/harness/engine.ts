/**
 * A Pulumi engine in miniature for live tests: the program runs under the SDK's mocks, and
 * each registration is *applied for real* (Docker engine, shell, SSH) by imitations of the
 * providers (providers.ts), with the step semantics of the real engine
 * (pulumi/pulumi pkg/resource/deploy/step_generator.go, step_executor.go; see
 * shared/notes/provider-semantics.md):
 *
 * - a registration is diffed against the previous state (found by URN or by an alias) and
 *   becomes a same, update, replace or create step; same and update steps write the new
 *   options (protect, retainOnDelete, replaceOnChanges) and dependencies into state;
 * - a replacement is create-before-delete (the old resource is deleted at the end of the
 *   update) unless delete-before-replace is asked for (by the program, or declared by the
 *   provider, as @pulumi/docker does for containers). Delete-before-replace first deletes
 *   the dependents whose *property* dependencies point at the replaced resource and whose
 *   own diff would then replace (calculateDependentReplacements), deepest first; they are
 *   created again when their registration arrives;
 * - a provider change never replaces by itself (the providers' DiffConfig never asks for it);
 * - on the first failed step no new step starts; steps in flight finish; nothing is deleted
 *   at the end, and the old halves of replacements stay in state to be deleted by the next
 *   update; a resource whose create left an object behind is kept with an init error;
 * - the update ends when every registration has finished (not when the outputs resolve);
 * - deletes (end of an update, destroy) run in parallel by dependency layers, dependents
 *   first, and stop at the first failure, keeping what remains;
 * - refresh reads what the providers read.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMonitor, Registration, settle } from "./monitor";
import { Diff, InitError, providerFor, ProviderContext, Script } from "./providers";
import { unwrapSecrets } from "./strict";

export interface Applied {
    urn: string;
    type: string;
    name: string;
    parent: string;
    custom: boolean;
    id: string;
    inputs: Record<string, any>;
    outputs: Record<string, any>;
    /** `urn::id` of the explicit provider, "" for the default one. */
    provider: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    protect: boolean;
    retainOnDelete: boolean;
    replaceOnChanges: string[];
    /** The old half of a create-before-delete replacement: deleted at the end of an update. */
    delete?: boolean;
    /** Set when a create left an object behind and then failed (the provider's initialization error). */
    initErrors?: string[];
    /** What a refresh read that differs from the inputs (e.g. a stopped container's must_run). */
    drift?: Record<string, unknown>;
}

export type Op = "create" | "update" | "replace" | "delete" | "same" | "refresh";
export interface LogEntry {
    op: Op;
    type: string;
    name: string;
    /** How long the real work took (0 for "same"). */
    ms: number;
    /** When the work started and ended (ms since the epoch). */
    start: number;
    end: number;
    /** For commands: which script ran. */
    script?: Script;
}

/** The error a registration gets once an earlier step has failed. */
export class Canceled extends Error {}

const NO_STEPS = "harness: the engine starts no new step after a failed one";

interface Run {
    /** URNs registered in this update. */
    seen: Set<string>;
    /** URNs claimed from older ones through aliases (old URN → new URN). */
    aliased: Map<string, string>;
    failure?: Error;
}

export class Harness implements ProviderContext {
    /** The snapshot: live resources, and old halves of replacements (`delete: true`). */
    private snapshot: Applied[] = [];
    readonly log: LogEntry[] = [];
    /** Warnings the providers would print (e.g. an environment variable an SSH server refused). */
    readonly warnings: string[] = [];
    private readonly tainted = new Set<string>();
    /** The script each command's last create ran (for the log). */
    private readonly lastCreateScript = new Map<string, Script | undefined>();

    /**
     * @param options.rancherDir where rancher2 objects are materialized (one file per
     *   ConfigMap key, as a configMap volume projects it).
     * @param options.rancherNodes what `rancher2.ClusterSync.nodes` reads from the cluster.
     */
    constructor(
        readonly project = "glusterfs",
        readonly stack = "live",
        readonly options: { rancherDir?: string; rancherNodes?: Array<Record<string, unknown>> } = {},
    ) {}

    /** Live resources (not the pending deletes). */
    private live(): Applied[] {
        return this.snapshot.filter((a) => !a.delete);
    }

    byUrn(urn: string): Applied | undefined {
        return this.live().find((a) => a.urn === urn);
    }

    /**
     * A test's probe, awaited just before the provider deletes a resource: it observes the
     * world at that moment (it changes nothing of what the engine does).
     */
    observeDelete?: (name: string) => Promise<void>;

    /** Marks a resource for replacement on the next apply, as `pulumi up --replace` does. */
    taint(name: string): void {
        this.tainted.add(this.find(name).urn);
    }

    find(name: string): Applied {
        const a = this.live().find((x) => x.name === name && x.custom);
        if (!a) throw new Error(`no resource named ${name}; have ${this.live().filter((x) => x.custom).map((x) => x.name).join(", ")}`);
        return a;
    }

    has(name: string): boolean {
        return this.live().some((x) => x.name === name && x.custom);
    }

    ofType(type: string): Applied[] {
        return this.live().filter((a) => a.type === type);
    }

    /** Resources waiting for deletion (old halves of replacements kept after a failure). */
    pendingDeletes(): Applied[] {
        return this.snapshot.filter((a) => a.delete);
    }

    /** Log entries since `mark` (from `this.log.length`). */
    since(mark: number): LogEntry[] {
        return this.log.slice(mark);
    }

    /**
     * Runs `program` as one `pulumi up`. `config` is the stack config (`ns:key` → value;
     * objects are passed as JSON, as Pulumi stores them), `secretKeys` the keys set with
     * --secret. Returns the stack outputs; rejects with the first failed step.
     */
    async apply(program: () => any, config: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<Record<string, any>> {
        const run: Run = { seen: new Set(), aliased: new Map() };
        installMonitor(this.project, this.stack, (reg) => this.register(run, reg));
        // The whole config is replaced: a key from an earlier run must not leak into this one.
        pulumi.runtime.setAllConfig(
            Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
            secretKeys,
        );
        let outputs: Record<string, any> = {};
        let programError: unknown;
        // An unhandled rejection fails the program (the language host exits non-zero).
        const rejections: unknown[] = [];
        const onRejection = (reason: unknown) => rejections.push(reason);
        process.on("unhandledRejection", onRejection);
        try {
            outputs = ((await pulumi.runtime.runInPulumiStack(program)) as Record<string, any>) ?? {};
        } catch (e) {
            programError = e;
        } finally {
            // The language host keeps the program alive until every registration has finished.
            await settle();
            await new Promise((r) => setImmediate(r));
            process.off("unhandledRejection", onRejection);
        }
        if (run.failure) throw run.failure;
        if (programError) throw programError;
        if (rejections.length > 0) throw rejections[0];

        // Deletes come last: old halves of replacements and what the program no longer declares.
        const condemned = this.snapshot.filter((a) => a.delete || !run.seen.has(a.urn));
        await this.deleteInOrder(condemned);
        return unwrapSecrets(outputs);
    }

    /** `pulumi destroy`: deletes everything, dependents first, stopping at the first failure. */
    async destroy(): Promise<void> {
        await this.deleteInOrder([...this.snapshot]);
    }

    /** `pulumi refresh`: each resource read back by its provider. */
    async refresh(): Promise<void> {
        for (const a of this.live().filter((x) => x.custom)) {
            const impl = providerFor(a.type);
            if (!impl.read) continue;
            const started = Date.now();
            const r = await impl.read(this, a);
            if (r === undefined) this.snapshot = this.snapshot.filter((x) => x !== a);
            else this.replaceEntry(a, r);
            this.record("refresh", a, started);
        }
    }

    // ---- ProviderContext ----

    /** The Docker endpoint of a provider reference, as the Docker provider resolves it. */
    dockerEndpoint(providerRef: string): string {
        const p = providerRef ? this.byUrn(providerRef.slice(0, providerRef.lastIndexOf("::"))) : undefined;
        if (providerRef && !p) throw new Error(`harness: unknown provider ${providerRef}`);
        // The provider's own default: DOCKER_HOST, else the default socket; `docker context use` is ignored.
        return (p?.inputs.host as string | undefined) ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
    }

    warn(message: string): void {
        this.warnings.push(message);
    }

    // ---- steps ----

    private async register(run: Run, reg: Registration): Promise<{ id: string; outputs: Record<string, any> }> {
        if (process.env.HARNESS_DEBUG) process.stderr.write(`harness: registered ${reg.type} ${reg.name}\n`);
        run.seen.add(reg.urn);
        if (run.failure) throw new Canceled(`${NO_STEPS}: ${reg.type} ${reg.name} was not applied`);
        try {
            return await this.step(run, reg);
        } catch (e) {
            run.failure = run.failure ?? (e as Error);
            throw e;
        }
    }

    private goal(reg: Registration, id: string, outputs: Record<string, any>, extra: Partial<Applied> = {}): Applied {
        return {
            urn: reg.urn,
            type: reg.type,
            name: reg.name,
            parent: reg.parent,
            custom: reg.custom,
            id,
            inputs: unwrapSecrets(reg.inputs),
            outputs,
            provider: reg.provider,
            dependencies: reg.dependencies,
            propertyDependencies: reg.propertyDependencies,
            protect: reg.protect,
            retainOnDelete: reg.retainOnDelete,
            replaceOnChanges: reg.replaceOnChanges,
            ...extra,
        };
    }

    /** The previous state of a registration: by its URN, else by one of its aliases. */
    private previous(run: Run, reg: Registration): Applied | undefined {
        for (const urn of [reg.urn, ...reg.aliases]) {
            const old = this.byUrn(urn);
            if (!old) continue;
            const claimedBy = run.aliased.get(urn);
            if (claimedBy && claimedBy !== reg.urn) throw new Error(`harness: ${urn} is claimed as an alias by two resources`);
            run.aliased.set(urn, reg.urn);
            // What is claimed through an alias is not deleted at the end.
            run.seen.add(urn);
            return old;
        }
        return undefined;
    }

    private async step(run: Run, reg: Registration): Promise<{ id: string; outputs: Record<string, any> }> {
        if (!reg.custom) {
            const old = this.previous(run, reg);
            const a = this.goal(reg, "", {});
            if (old) this.replaceEntry(old, a);
            else this.snapshot.push(a);
            return { id: "", outputs: {} };
        }
        for (const [what, set] of [
            ["ignoreChanges", reg.ignoreChanges.length > 0],
            ["customTimeouts", reg.customTimeouts],
            ["import", !!reg.importId],
            ["deletedWith", !!reg.deletedWith],
        ] as const) {
            if (set) throw new Error(`harness: resource option ${what} on ${reg.name} is not imitated`);
        }
        const impl = providerFor(reg.type);
        const goal = this.goal(reg, "", {});
        impl.check(goal);
        const old = this.previous(run, reg);
        const started = Date.now();

        if (!old) {
            const created = await this.create(goal, impl);
            this.snapshot.push(created);
            this.record("create", created, started, undefined, this.lastCreateScript.get(created.urn));
            return this.result(created);
        }

        const tainted = this.tainted.delete(old.urn);
        const diff: Diff = tainted ? { kind: "replace", keys: ["(taint)"] } : impl.diff(this, old, goal);
        if (diff.kind === "replace" && old.protect && reg.protect) {
            throw new Error(`unable to replace resource "${reg.urn}"\nas it is currently marked for protection.`);
        }
        if (diff.kind === "same" && !old.initErrors) {
            const same = { ...goal, id: old.id, outputs: old.outputs, drift: old.drift };
            this.replaceEntry(old, same);
            this.record("same", same, started, 0);
            return this.result(same);
        }
        if (diff.kind !== "replace") {
            // An update; an unchanged resource with init errors gets an empty update.
            const r = await impl.update(this, old, goal);
            const updated = { ...goal, id: old.id, outputs: r.outputs };
            this.replaceEntry(old, updated);
            this.record("update", updated, started, undefined, r.script);
            return this.result(updated);
        }

        const dbr = reg.deleteBeforeReplace ?? impl.deleteBeforeReplace?.(reg.type) ?? false;
        if (dbr) {
            for (const d of this.dependentReplacements(run, old).reverse()) await this.deleteOne(d, true);
            await this.deleteOne(old, true);
            const created = await this.create(goal, impl);
            this.snapshot.push(created);
            this.record("replace", created, started, undefined, this.lastCreateScript.get(created.urn));
            return this.result(created);
        }
        const created = await this.create(goal, impl);
        // The old half stays until the end of the update (or, after a failure, the next one).
        old.delete = true;
        this.snapshot.push(created);
        this.record("replace", created, started);
        return this.result(created);
    }

    private result(a: Applied): { id: string; outputs: Record<string, any> } {
        return { id: a.id, outputs: { ...a.inputs, ...a.outputs } };
    }

    private async create(goal: Applied, impl: ReturnType<typeof providerFor>): Promise<Applied> {
        try {
            const r = await impl.create(this, goal);
            this.lastCreateScript.set(goal.urn, r.script);
            return { ...goal, id: r.id, outputs: r.outputs };
        } catch (e) {
            if (e instanceof InitError) {
                // The object exists: the state keeps it, with the error, as the bridge does.
                this.snapshot.push({ ...goal, id: e.id, outputs: e.outputs, initErrors: [e.message] });
            }
            throw e;
        }
    }

    /**
     * The resources a delete-before-replace of `root` deletes first: those whose property
     * dependencies point into the replace set and whose diff, with those properties
     * unknown, would replace; transitively through the replaced ones only.
     */
    private dependentReplacements(run: Run, root: Applied): Applied[] {
        const replaceSet = new Set([root.urn]);
        const out: Applied[] = [];
        for (const r of this.topological(this.live())) {
            if (r === root || !r.custom || run.seen.has(r.urn)) continue;
            const providerReplaced = !!r.provider && replaceSet.has(r.provider.slice(0, r.provider.lastIndexOf("::")));
            const keys = Object.entries(r.propertyDependencies)
                .filter(([, urns]) => urns.some((u) => replaceSet.has(u)))
                .map(([k]) => k);
            if (!providerReplaced && (keys.length === 0 || !providerFor(r.type).replacesWhenUnknown(r, keys))) continue;
            out.push(r);
            replaceSet.add(r.urn);
        }
        return out;
    }

    /** Dependencies before dependents (parent, provider, dependsOn, property dependencies). */
    private topological(resources: Applied[]): Applied[] {
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        const done = new Set<Applied>();
        const out: Applied[] = [];
        const visit = (r: Applied) => {
            if (done.has(r)) return;
            done.add(r);
            for (const u of dependenciesOf(r)) {
                const d = byUrn.get(u);
                if (d) visit(d);
            }
            out.push(r);
        };
        resources.forEach(visit);
        return out;
    }

    /** Deletes `condemned` in dependency layers, dependents first; stops at the first failure. */
    private async deleteInOrder(condemned: Applied[]): Promise<void> {
        let remaining = [...condemned];
        while (remaining.length > 0) {
            const needed = new Set(remaining.flatMap((r) => dependenciesOf(r)));
            // A layer: what nothing else still to be deleted depends on. Old halves of a
            // replacement share a URN with the live resource: they go with the first layer.
            const layer = remaining.filter((r) => r.delete || !needed.has(r.urn));
            if (layer.length === 0) throw new Error(`harness: dependency cycle among ${remaining.map((r) => r.name).join(", ")}`);
            const results = await Promise.allSettled(layer.map((r) => this.deleteOne(r, false)));
            const failed = results.find((x): x is PromiseRejectedResult => x.status === "rejected");
            if (failed) throw failed.reason;
            remaining = remaining.filter((r) => !layer.includes(r));
        }
    }

    private async deleteOne(a: Applied, replacing: boolean): Promise<void> {
        if (a.protect && !replacing) {
            throw new Error(`resource "${a.urn}" cannot be deleted\nbecause it is protected.`);
        }
        if (a.custom) await this.observeDelete?.(a.name);
        const started = Date.now();
        let script: "delete" | undefined;
        if (a.custom && !a.retainOnDelete) {
            script = (await providerFor(a.type).delete(this, a)) === "delete" ? "delete" : undefined;
        }
        this.snapshot = this.snapshot.filter((x) => x !== a);
        if (a.custom) this.record("delete", a, started, undefined, script);
    }

    private replaceEntry(old: Applied, next: Applied): void {
        const i = this.snapshot.indexOf(old);
        if (i < 0) this.snapshot.push(next);
        else this.snapshot[i] = next;
    }

    private record(op: Op, a: Applied, started: number, ms?: number, script?: Script): void {
        const end = Date.now();
        if (process.env.HARNESS_DEBUG) process.stderr.write(`harness: ${op} ${a.name} (${end - started} ms)\n`);
        this.log.push({ op, type: a.type, name: a.name, ms: ms ?? end - started, start: started, end, ...(script ? { script } : {}) });
    }
}

/** Everything a resource depends on: parent, provider, dependsOn and property dependencies. */
function dependenciesOf(r: Applied): string[] {
    return [
        ...(r.parent ? [r.parent] : []),
        ...(r.provider ? [r.provider.slice(0, r.provider.lastIndexOf("::"))] : []),
        ...r.dependencies,
        ...Object.values(r.propertyDependencies).flat(),
    ];
}

