/**
 * A stack driven by the real Pulumi engine, for live tests: the Automation API runs the
 * test's program inline (in this process, so a program is a plain function) through the
 * CLI built by scripts/setup.sh, with the stand-in providers as plugins. Each `up`,
 * `preview`, `refresh` and `destroy` is one run of the CLI; the engine decides every step.
 *
 * What a test sees of a run:
 * - `log`: the engine's steps (resource outputs events, in the order the engine finished
 *   them), each joined with what the stand-in provider did for it (which command script
 *   ran, when the work started and ended), from the providers' journal;
 * - `find`/`ofType`/`pendingDeletes`: the stack's state as `pulumi stack export` shows it;
 * - a failed run rejects with the engine's error diagnostics (then the CLI's output).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigMap, EngineEvent, LocalWorkspace, OpType, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { cliRoot, engineEnv, PULUMI_VERSION } from "./cli";
import { run } from "../run";
import type { Script } from "../standins/provider";

export interface LogEntry {
    /** The engine's step. */
    op: OpType;
    type: string;
    name: string;
    urn: string;
    /** The engine event's sequence number: steps in the order the engine finished them. */
    seq: number;
    /** The step failed. */
    failed?: boolean;
    /** For commands: which of their scripts ran. */
    script?: Script;
    /** When the provider's work started and ended (ms since the epoch), and how long it took (0 when nothing ran). */
    start: number;
    end: number;
    ms: number;
}

/** One resource of the stack's state (`pulumi stack export --show-secrets`). */
export interface StateResource {
    urn: string;
    type: string;
    name: string;
    id: string;
    custom: boolean;
    inputs: Record<string, any>;
    outputs: Record<string, any>;
    /** The old half of a replacement, waiting to be deleted. */
    delete?: boolean;
    provider?: string;
}

export interface StackOptions {
    project?: string;
    stack?: string;
    /** Where the rancher2 stand-in keeps the cluster's objects. */
    rancherDir?: string;
    /** What the rancher2 stand-in's ClusterSync reads as the cluster's nodes. */
    rancherNodes?: Array<Record<string, unknown>>;
    /** A project directory (Pulumi.yaml, Pulumi.<stack>.yaml) to run in; default: a directory of the stack's own. */
    workDir?: string;
}

export type Program = () => any;

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const OP_PHASE: Partial<Record<OpType, string>> = {
    create: "create",
    "create-replacement": "create",
    update: "update",
    delete: "delete",
    "delete-replaced": "delete",
    refresh: "read",
};

const live = new Set<string>();
process.on("exit", () => {
    for (const dir of live) fs.rmSync(dir, { recursive: true, force: true });
});

export class LiveStack {
    readonly log: LogEntry[] = [];
    /** Warnings the engine printed (the program's and the providers'). */
    readonly warnings: string[] = [];
    private readonly dir: string;
    private stack?: Stack;
    private state: StateResource[] = [];
    private configKeys: string[] = [];
    private readonly tainted = new Set<string>();
    private readonly journal: string;
    private journalRead = 0;
    /** Names of resources whose delete waits for `observeDelete` (see server.ts, STANDIN_HOLD_DIR). */
    private readonly holds = new Set<string>();
    /** A test's probe, awaited while the stand-in holds the delete of a resource named in `holdDeletes`. */
    observeDelete?: (name: string) => Promise<void>;

    constructor(readonly options: StackOptions = {}) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "live-stack-"));
        live.add(this.dir);
        this.journal = path.join(this.dir, "journal");
        fs.mkdirSync(path.join(this.dir, "state"));
        fs.mkdirSync(path.join(this.dir, "holds"));
    }

    // ---- the operations ----

    /** `pulumi up` of `program` with this stack config (`ns:key` → value; objects as JSON). Returns the stack outputs. */
    async up(program: Program, config: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<Record<string, any>> {
        const stack = await this.ready(program, config, secretKeys);
        const replace = [...this.tainted];
        this.tainted.clear();
        const result = await this.run((onEvent) => stack.up({ program: this.inWorkDir(program), onEvent, replace, color: "never" }));
        return Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value]));
    }

    /** `pulumi preview`: the steps the engine plans (nothing is applied), and the CLI's output. */
    async preview(program: Program, config: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<{ steps: LogEntry[]; stdout: string }> {
        const stack = await this.ready(program, config, secretKeys);
        const steps: LogEntry[] = [];
        const r = await this.run(
            (onEvent) =>
                stack.preview({ program: this.inWorkDir(program), onEvent: (e) => (onEvent(e), collectPlanned(e, steps)), color: "never", diff: true }),
            false,
        );
        return { steps, stdout: r.stdout };
    }

    /** `pulumi refresh`. */
    async refresh(): Promise<void> {
        if (!this.stack) throw new Error("live stack: nothing to refresh before the first up");
        const stack = this.stack;
        await this.run((onEvent) => stack.refresh({ onEvent, color: "never" }));
    }

    /** `pulumi destroy`; the stack's files are removed once it holds nothing. */
    async destroy(): Promise<void> {
        if (!this.stack) return;
        const stack = this.stack;
        await this.run((onEvent) => stack.destroy({ onEvent, color: "never" }));
        if (this.state.length === 0) {
            fs.rmSync(this.dir, { recursive: true, force: true });
            live.delete(this.dir);
            this.stack = undefined;
        }
    }

    /**
     * Runs the Pulumi CLI on this stack, as an operator would (`pulumi stack --show-urns`,
     * `pulumi state delete …`), in the project's directory with the stack's environment.
     * Returns its output; fails with it.
     */
    async cli(args: string[]): Promise<string> {
        if (!this.stack) throw new Error("live stack: no CLI before the first up");
        const env = { ...process.env, ...(this.stack.workspace as LocalWorkspace).envVars };
        const r = await run([path.join(cliRoot(), "bin", "pulumi"), ...args, "--stack", this.stack.name, "--non-interactive"], {
            env,
            cwd: this.workDir(),
            timeoutMs: 120_000,
        });
        this.state = await exportState(this.stack);
        if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
        return r.stdout;
    }

    /** Marks a resource for replacement on the next up, as `pulumi up --replace` does. */
    taint(name: string): void {
        this.tainted.add(this.find(name).urn);
    }

    /** Sets (or, with undefined, removes) a variable of the CLI's and so the providers' environment for the next runs; returns what it was. */
    setEnv(name: string, value: string | undefined): string | undefined {
        if (!this.stack) throw new Error("live stack: no environment before the first up");
        const env = (this.stack.workspace as LocalWorkspace).envVars;
        const before = env[name];
        if (value === undefined) delete env[name];
        else env[name] = value;
        return before;
    }

    /** The next deletes of these resources wait for `observeDelete` before the provider deletes. */
    holdDeletes(names: string[]): void {
        for (const n of names) this.holds.add(n);
    }

    // ---- the state ----

    find(name: string): StateResource {
        const r = this.state.find((x) => x.name === name && x.custom && !x.delete);
        if (!r)
            throw new Error(
                `no resource named ${name}; have ${this.state
                    .filter((x) => x.custom && !x.delete)
                    .map((x) => x.name)
                    .join(", ")}`,
            );
        return r;
    }
    has(name: string): boolean {
        return this.state.some((x) => x.name === name && x.custom && !x.delete);
    }
    ofType(type: string): StateResource[] {
        return this.state.filter((x) => x.type === type && !x.delete);
    }
    /** Old halves of replacements kept after a failure, to be deleted by the next update. */
    pendingDeletes(): StateResource[] {
        return this.state.filter((x) => x.delete);
    }
    /** Log entries since `mark` (from `this.log.length`). */
    since(mark: number): LogEntry[] {
        return this.log.slice(mark);
    }

    // ---- running the CLI ----

    private workDir(): string {
        return this.options.workDir ?? path.join(this.dir, "work");
    }

    /**
     * The program as `pulumi up` runs it: in the project's directory, which is also the
     * providers' working directory (the Docker provider resolves a relative build context
     * there). The program's declarations run synchronously, so the directory is changed
     * back as soon as it returns.
     */
    private inWorkDir(program: Program): Program {
        return () => {
            const before = process.cwd();
            process.chdir(this.workDir());
            try {
                return program();
            } finally {
                process.chdir(before);
            }
        };
    }

    private async ready(program: Program, config: Record<string, unknown>, secretKeys: string[]): Promise<Stack> {
        if (!this.stack) {
            const pulumiCommand = await PulumiCommand.get({ root: cliRoot(), version: undefined, skipVersionCheck: false });
            const workDir = this.workDir();
            fs.mkdirSync(workDir, { recursive: true });
            const ws = await LocalWorkspace.create({
                workDir,
                pulumiCommand,
                program: this.inWorkDir(program),
                envVars: engineEnv(this.dir, {
                    STANDIN_JOURNAL: this.journal,
                    STANDIN_HOLD_DIR: path.join(this.dir, "holds"),
                    // The stand-ins' private files (the Docker TLS key): under the stack's directory,
                    // which this process removes; the engine ends a plugin with SIGKILL, so a plugin's
                    // own exit handler never runs.
                    STANDIN_SCRATCH_DIR: this.dir,
                    ...(this.options.rancherDir ? { STANDIN_RANCHER_DIR: this.options.rancherDir } : {}),
                    ...(this.options.rancherNodes ? { STANDIN_RANCHER_NODES: JSON.stringify(this.options.rancherNodes) } : {}),
                }),
                ...(this.options.workDir ? {} : { projectSettings: { name: this.options.project ?? "glusterfs", runtime: "nodejs" } }),
            });
            if (pulumiCommand.version?.toString() !== PULUMI_VERSION)
                throw new Error(`the Pulumi CLI at ${cliRoot()} is ${String(pulumiCommand.version)}, not ${PULUMI_VERSION}`);
            this.stack = await Stack.createOrSelect(this.options.stack ?? "live", ws);
        }
        await this.setConfig(this.stack, config, secretKeys);
        return this.stack;
    }

    /** Replaces the whole config: a key of an earlier run must not leak into this one. */
    private async setConfig(stack: Stack, config: Record<string, unknown>, secretKeys: string[]): Promise<void> {
        const stale = this.configKeys.filter((k) => !(k in config));
        if (stale.length > 0) await stack.removeAllConfig(stale);
        const values: ConfigMap = Object.fromEntries(
            Object.entries(config).map(([k, v]) => [k, { value: typeof v === "string" ? v : JSON.stringify(v), secret: secretKeys.includes(k) }]),
        );
        if (Object.keys(values).length > 0) await stack.setAllConfig(values);
        this.configKeys = Object.keys(config);
    }

    /** Runs one CLI operation, collecting its steps and diagnostics; rejects with the engine's errors. */
    private async run<T extends { stdout: string }>(op: (onEvent: (e: EngineEvent) => void) => Promise<T>, record = true): Promise<T> {
        const steps: LogEntry[] = [];
        const errors: string[] = [];
        const onEvent = (e: EngineEvent) => {
            if (record) collectSteps(e, steps);
            const d = e.diagnosticEvent;
            // As the CLI prints it: under the resource's type and name, when it has one.
            if (d?.severity === "error")
                errors.push(
                    `${d.urn ? `${d.urn.split("::")[2].split("$").pop()} (${d.urn.split("::").slice(3).join("::")}): ` : ""}error: ${d.message.trim()}`,
                );
            if (d?.severity === "warning") this.warnings.push(d.message.trim());
        };
        const holding = this.watchHolds();
        try {
            return await op(onEvent);
        } catch (e) {
            const out = e instanceof Error ? e.message : String(e);
            throw new Error(`${errors.join("\n")}\n--- the CLI's output:\n${out}`, { cause: e });
        } finally {
            await holding.stop();
            if (record) this.log.push(...this.withJournal(steps));
            if (this.stack) this.state = await exportState(this.stack);
        }
    }

    /** While a run goes on: answers the stand-ins' held deletes with `observeDelete`. */
    private watchHolds(): { stop: () => Promise<void> } {
        const dir = path.join(this.dir, "holds");
        for (const n of this.holds) fs.writeFileSync(path.join(dir, `hold-${n}`), "");
        let stopped = false;
        const loop = (async () => {
            while (!stopped) {
                for (const n of [...this.holds]) {
                    if (!fs.existsSync(path.join(dir, `held-${n}`))) continue;
                    try {
                        await this.observeDelete?.(n);
                    } finally {
                        this.holds.delete(n);
                        fs.rmSync(path.join(dir, `held-${n}`), { force: true });
                        fs.rmSync(path.join(dir, `hold-${n}`), { force: true });
                    }
                }
                await new Promise((r) => setTimeout(r, 100));
            }
        })();
        return {
            stop: async () => {
                stopped = true;
                await loop;
                for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { force: true });
            },
        };
    }

    /** Joins each step with the stand-in's journal entry for it (same URN and kind of work, in order). */
    private withJournal(steps: LogEntry[]): LogEntry[] {
        const lines = fs.existsSync(this.journal) ? fs.readFileSync(this.journal, "utf8").split("\n").filter(Boolean) : [];
        const entries = lines
            .slice(this.journalRead)
            .map((l) => JSON.parse(l) as { op: string; urn: string; script?: Script; start: number; end: number; used?: boolean });
        this.journalRead = lines.length;
        return steps.map((s) => {
            const phase = OP_PHASE[s.op];
            const j = phase ? entries.find((x) => !x.used && x.urn === s.urn && x.op === phase) : undefined;
            if (!j) return s;
            j.used = true;
            return { ...s, ...(j.script ? { script: j.script } : {}), start: j.start, end: j.end, ms: j.end - j.start };
        });
    }
}

function stepOf(e: EngineEvent, failed: boolean): LogEntry | undefined {
    const m = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata ?? e.resourcePreEvent?.metadata;
    if (!m) return undefined;
    // Only resources a provider manages (components and the stack itself run nothing).
    const custom = m.new?.custom ?? m.old?.custom ?? false;
    if (!custom) return undefined;
    const at = e.timestamp * 1000;
    return {
        op: m.op,
        type: m.type,
        name: m.urn.split("::").slice(3).join("::"),
        urn: m.urn,
        seq: e.sequence,
        ...(failed ? { failed } : {}),
        start: at,
        end: at,
        ms: 0,
    };
}

function collectSteps(e: EngineEvent, steps: LogEntry[]): void {
    if (e.resOutputsEvent || e.resOpFailedEvent) {
        const s = stepOf(e, !!e.resOpFailedEvent);
        if (s) steps.push(s);
    }
}

function collectPlanned(e: EngineEvent, steps: LogEntry[]): void {
    if (e.resourcePreEvent) {
        const s = stepOf(e, false);
        if (s) steps.push(s);
    }
}

/** Pulumi's secret envelope, decrypted by `--show-secrets`: the value inside it. */
function reveal(v: any): any {
    if (Array.isArray(v)) return v.map(reveal);
    if (v && typeof v === "object") {
        if (SECRET_SIG in v) return "plaintext" in v ? reveal(JSON.parse(v.plaintext)) : v.value;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
}

async function exportState(stack: Stack): Promise<StateResource[]> {
    const d = await stack.exportStack();
    const resources = (d.deployment?.resources ?? []) as any[];
    return resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: String(r.urn).split("::").slice(3).join("::"),
        id: r.id ?? "",
        custom: !!r.custom,
        inputs: reveal(r.inputs ?? {}),
        outputs: reveal(r.outputs ?? {}),
        ...(r.delete ? { delete: true } : {}),
        ...(r.provider ? { provider: r.provider } : {}),
    }));
}
