/**
 * @pulumi/command 1.2.1's local.Command and remote.Command, run for real, as the provider
 * runs them (pulumi-command provider/pkg/provider/{local,remote}):
 *
 * - create runs `create`; an input change runs `update` (else `create`) in place; a
 *   `triggers` change replaces; delete runs the *stored* `delete` with the stored connection;
 * - stdout/stderr keep all but one trailing newline; a failure reads
 *   `exit status N: running "<script>":` (remote: `Process exited with status N: ...`)
 *   followed by the combined output; a failed create or update records nothing;
 * - update and delete see the previous outputs in PULUMI_COMMAND_STDOUT/STDERR unless
 *   `addPreviousOutputInEnv: false`; for remote commands they are sent with SSH `Setenv`,
 *   which a stock sshd refuses: the provider then logs a warning and goes on;
 * - remote commands: Go's SSH client, imitated with OpenSSH: no ~/.ssh/config, the agent's
 *   keys besides `privateKey`, no host-key check unless `hostKey` is given, and up to
 *   `dialErrorLimit` + 1 dials with backoff (100 ms × 1.5, at most 5 s), each bounded by
 *   `perDialTimeout`; its errors are worded as Go's (`ssh: handshake failed: ...`).
 *
 * - `stdin` (create, update and delete: each with the inputs it runs with, the delete with the
 *   stored ones) is the process's standard input; "" means none (/dev/null); never logged.
 *
 * The private key goes to a 0600 file in a private directory for the duration of one
 * command and never into a log or an error.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as util from "util";
import type { Diff, ProviderConfig, ProviderImpl, Res, Script, StandIn } from "./provider";
import { run } from "../run";
import { Strict } from "./strict";

export interface Connection {
    host: string;
    port: number;
    user: string;
    privateKey?: string;
    hostKey?: string;
    perDialTimeout: number;
    dialErrorLimit: number;
}

export interface CommandSpec {
    create?: string;
    update?: string;
    delete?: string;
    triggers?: unknown[];
    interpreter: string[];
    addPreviousOutputInEnv: boolean;
    environment: Record<string, string>;
    /** The script's standard input ("" or absent: none). */
    stdin?: string;
    connection?: Connection;
}

const LOGGING = ["stdout", "stderr", "stdoutAndStderr", "none"];

function readCommon(s: Strict): Omit<CommandSpec, "interpreter" | "connection"> {
    const logging = s.optionalString("logging");
    if (logging !== undefined && !LOGGING.includes(logging)) throw new Error(`${s.where}.logging: unknown value ${logging}`);
    return {
        create: s.optionalString("create"),
        update: s.optionalString("update"),
        delete: s.optionalString("delete"),
        triggers: s.optionalAnyList("triggers"),
        addPreviousOutputInEnv: s.optionalBool("addPreviousOutputInEnv") ?? true,
        environment: s.optionalStringMap("environment"),
        stdin: s.optionalString("stdin"),
    };
}

/** Reads a local.Command's arguments strictly. */
export function readLocal(s: Strict): CommandSpec {
    const spec: CommandSpec = { ...readCommon(s), interpreter: s.optionalStringList("interpreter") };
    if (spec.interpreter.length === 0) spec.interpreter = ["/bin/sh", "-c"];
    s.done();
    return spec;
}

/** Reads a remote.Command's arguments strictly (connection defaults come from the SDK and the provider). */
export function readRemote(s: Strict): CommandSpec {
    const c = s.object("connection");
    const connection: Connection = {
        host: c.string("host"),
        port: c.optionalNumber("port") ?? 22,
        user: c.optionalString("user") ?? "root",
        privateKey: c.optionalString("privateKey"),
        hostKey: c.optionalString("hostKey"),
        perDialTimeout: c.optionalNumber("perDialTimeout") ?? 15,
        dialErrorLimit: c.optionalNumber("dialErrorLimit") ?? 10,
    };
    c.done();
    const spec: CommandSpec = { ...readCommon(s), interpreter: [], connection };
    s.done();
    return spec;
}

export function readCommand(a: { type: string; name: string; inputs: Record<string, any> }): CommandSpec {
    const s = new Strict(a.inputs, `${a.type} ${a.name}`);
    return a.type === "command:local:Command" ? readLocal(s) : readRemote(s);
}

export interface CommandRun {
    stdout: string;
    stderr: string;
    ms: number;
}

/** Go's `%q` of a string, close enough for messages. */
const quoted = (s: string) => JSON.stringify(s);

/** The outputs as the provider keeps them: one trailing newline removed, nothing else. */
const trimOne = (s: string) => (s.endsWith("\n") ? s.slice(0, -1) : s);

/** Runs one of a command's scripts; its errors are worded as the provider's (the engine prints them under the resource). */
export async function runScript(
    spec: CommandSpec,
    script: string,
    previous?: { stdout: string; stderr: string },
    warn: (m: string) => void = () => undefined,
): Promise<CommandRun> {
    const prevEnv: Record<string, string> = {};
    if (previous && spec.addPreviousOutputInEnv) {
        if (previous.stdout) prevEnv.PULUMI_COMMAND_STDOUT = previous.stdout;
        if (previous.stderr) prevEnv.PULUMI_COMMAND_STDERR = previous.stderr;
    }
    if (!spec.connection) {
        const r = await run([...spec.interpreter, script], {
            env: { ...process.env, ...spec.environment, ...prevEnv },
            input: spec.stdin ?? "",
            timeoutMs: 900_000,
        });
        if (r.code !== 0) throw new Error(`exit status ${r.code}: running ${quoted(script)}:\n${r.stdout}${r.stderr}`);
        return { stdout: trimOne(r.stdout), stderr: trimOne(r.stderr), ms: r.ms };
    }
    if (Object.keys(spec.environment).length > 0) {
        // A stock sshd accepts no environment (AcceptEnv): the provider fails the command.
        throw new Error(`could not set environment variable ${quoted(Object.keys(spec.environment)[0])}: ssh: setenv failed`);
    }
    for (const k of Object.keys(prevEnv)) {
        warn(`Unable to set '${k}'. This only works if your SSH server is configured to accept these variables via AcceptEnv.`);
    }
    return runRemote(spec.connection, script, spec.stdin ?? "");
}

/** The ssh argv for one attempt, as Go's client behaves: no config files, agent keys too, host key only if pinned. */
function sshArgv(c: Connection, dir: string, script: string): string[] {
    const argv = ["ssh", "-F", "/dev/null", "-p", String(c.port), "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", `ConnectTimeout=${c.perDialTimeout}`];
    if (c.privateKey !== undefined) {
        const keyFile = path.join(dir, "key");
        fs.writeFileSync(keyFile, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
        argv.push("-i", keyFile);
    }
    if (c.hostKey !== undefined) {
        const known = path.join(dir, "known_hosts");
        fs.writeFileSync(known, `${c.port === 22 ? c.host : `[${c.host}]:${c.port}`} ${c.hostKey.trim()}\n`);
        argv.push("-o", `UserKnownHostsFile=${known}`, "-o", "StrictHostKeyChecking=yes", "-o", `HostKeyAlgorithms=${c.hostKey.trim().split(/\s+/)[0]}`);
    } else {
        argv.push("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null");
    }
    // A host that vanishes mid-command fails the command instead of hanging it.
    argv.push("-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3", `${c.user}@${c.host}`, "--", script);
    return argv;
}

/** The dial error as Go's x/crypto/ssh words it, from OpenSSH's stderr; undefined when the command itself ran. */
function dialError(c: Connection, stderr: string): string | undefined {
    const e = stderr.trim();
    if (/Permission denied/.test(e))
        return "ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain";
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* differs/i.test(e))
        return "ssh: handshake failed: ssh: host key mismatch";
    if (/Connection refused/.test(e)) return `dial tcp ${c.host}:${c.port}: connect: connection refused`;
    if (/timed out/.test(e)) return `dial tcp ${c.host}:${c.port}: i/o timeout`;
    if (/No route to host/.test(e)) return `dial tcp ${c.host}:${c.port}: connect: no route to host`;
    if (/Could not resolve hostname/.test(e)) return `dial tcp: lookup ${c.host}: no such host`;
    if (/kex_exchange_identification|Connection closed by|Connection reset/.test(e)) return "ssh: handshake failed: EOF";
    return undefined;
}

async function runRemote(c: Connection, script: string, stdin: string): Promise<CommandRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "standin-ssh-"));
    try {
        const limit = c.dialErrorLimit;
        let delay = 100;
        for (let attempt = 0; ; attempt++) {
            const r = await run(sshArgv(c, dir, script), { input: stdin, timeoutMs: 900_000 });
            const dial = r.code === 255 ? dialError(c, r.stderr) : undefined;
            if (dial === undefined) {
                if (r.code !== 0) {
                    throw new Error(`Process exited with status ${r.code}: running ${quoted(script)}:\n${r.stdout}${r.stderr}`);
                }
                return { stdout: trimOne(r.stdout), stderr: trimOne(r.stderr), ms: r.ms };
            }
            if (limit >= 0 && attempt + 1 > limit) throw new Error(`after ${attempt} failed attempts: ${dial}`);
            await new Promise((res) => setTimeout(res, delay));
            delay = Math.min(delay * 1.5, 5000);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const commands: ProviderImpl = {
    check(goal) {
        readCommand(goal);
    },
    diff(_ctx, old, goal): Diff {
        if (util.isDeepStrictEqual(old.inputs, goal.inputs)) return { kind: "same", keys: [] };
        // The schema marks `triggers` replaceOnChanges and the SDK adds replaceOnChanges ["triggers[*]"].
        if (!util.isDeepStrictEqual(old.inputs.triggers, goal.inputs.triggers)) return { kind: "replace", keys: ["triggers"] };
        return { kind: "update", keys: [] };
    },
    // A preview knows none of the outputs of a script that would run.
    computed: ["stdout", "stderr"],
    async create(ctx, goal) {
        const spec = readCommand(goal);
        if (spec.create === undefined) return { id: idOf(goal), outputs: { stdout: "", stderr: "" } };
        const r = await runScript(spec, spec.create, undefined, (m) => ctx.warn(goal.urn, m));
        return { id: idOf(goal), outputs: { stdout: r.stdout, stderr: r.stderr }, script: "create" };
    },
    async update(ctx, old, goal) {
        const spec = readCommand(goal);
        const which: Script = spec.update !== undefined ? "update" : "create";
        const script = spec[which];
        const previous = { stdout: old.outputs.stdout ?? "", stderr: old.outputs.stderr ?? "" };
        if (script === undefined) return { outputs: previous };
        const r = await runScript(spec, script, previous, (m) => ctx.warn(goal.urn, m));
        return { outputs: { stdout: r.stdout, stderr: r.stderr }, script: which };
    },
    async delete(ctx, old) {
        const spec = readCommand(old);
        if (spec.delete === undefined) return undefined;
        await runScript(spec, spec.delete, { stdout: old.outputs.stdout ?? "", stderr: old.outputs.stderr ?? "" }, (m) => ctx.warn(old.urn, m));
        return "delete";
    },
};

/** @pulumi/command 1.2.1 has no provider settings. */
const providerConfig: ProviderConfig = {
    check(config, where) {
        const s = new Strict(config, where);
        s.optionalString("version");
        s.done();
    },
};

/** @pulumi/command 1.2.1. */
export const commandStandIn: StandIn = {
    name: "command",
    version: "1.2.1",
    config: providerConfig,
    resource(type) {
        if (type === "command:local:Command" || type === "command:remote:Command") return commands;
        throw new Error(`the command stand-in does not know the resource type ${type}`);
    },
};

let counter = 0;
function idOf(a: Res): string {
    return `${a.name}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}
