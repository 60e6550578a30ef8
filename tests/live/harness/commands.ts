/**
 * @pulumi/command's local.Command and remote.Command, run for real: local commands through
 * their interpreter, remote ones over real SSH to the connection they name. The private key
 * goes to a 0600 file in a private directory for the duration of one command and never
 * into a log or an error.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "./run";
import { Strict } from "./strict";

export interface CommandSpec {
    create?: string;
    update?: string;
    delete?: string;
    triggers?: unknown[];
    interpreter: string[];
    connection?: { host: string; port: number; user: string; privateKey: string; perDialTimeout: number };
}

/** Reads a local.Command's arguments strictly. */
export function readLocal(s: Strict): CommandSpec {
    const spec: CommandSpec = {
        create: s.optionalString("create"),
        update: s.optionalString("update"),
        delete: s.optionalString("delete"),
        triggers: s.optionalAnyList("triggers"),
        interpreter: s.optionalStringList("interpreter"),
    };
    if (spec.interpreter.length === 0) spec.interpreter = ["/bin/sh", "-c"];
    s.done();
    return spec;
}

/** Reads a remote.Command's arguments strictly (connection defaults come from the SDK). */
export function readRemote(s: Strict): CommandSpec {
    const c = s.object("connection");
    const connection = {
        host: c.string("host"),
        port: c.optionalNumber("port") ?? 22,
        user: c.optionalString("user") ?? "root",
        privateKey: c.string("privateKey"),
        perDialTimeout: c.optionalNumber("perDialTimeout") ?? 15,
    };
    c.optionalNumber("dialErrorLimit");
    c.done();
    const spec: CommandSpec = {
        create: s.optionalString("create"),
        update: s.optionalString("update"),
        delete: s.optionalString("delete"),
        triggers: s.optionalAnyList("triggers"),
        interpreter: [],
        connection,
    };
    s.done();
    return spec;
}

export interface CommandRun {
    stdout: string;
    stderr: string;
    ms: number;
}

/**
 * Runs one of a command's scripts. Like the provider: a non-zero exit fails with the
 * output in the error; stdout and stderr are returned trimmed; a local update or delete
 * sees the previous run's output in PULUMI_COMMAND_STDOUT/STDERR.
 */
export async function runScript(
    resource: string,
    spec: CommandSpec,
    script: string,
    previous?: { stdout: string; stderr: string },
): Promise<CommandRun> {
    if (!spec.connection) {
        const env = { ...process.env, ...(previous ? { PULUMI_COMMAND_STDOUT: previous.stdout, PULUMI_COMMAND_STDERR: previous.stderr } : {}) };
        const r = await run([...spec.interpreter, script], { env, timeoutMs: 900_000 });
        if (r.code !== 0) throw commandError(resource, r.code, r.stdout, r.stderr);
        return { stdout: r.stdout.trim(), stderr: r.stderr.trim(), ms: r.ms };
    }
    const c = spec.connection;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harness-ssh-"));
    const keyFile = path.join(dir, "key");
    try {
        fs.writeFileSync(keyFile, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
        const argv = [
            "ssh",
            "-i", keyFile,
            "-p", String(c.port),
            "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes",
            // The provider checks no host key unless hostKey is given.
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR",
            "-o", `ConnectTimeout=${c.perDialTimeout}`,
            // A host that vanishes mid-command fails the command in 15 s instead of hanging.
            "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3",
            `${c.user}@${c.host}`,
            "--",
            script,
        ];
        const r = await run(argv, { timeoutMs: 900_000 });
        if (r.code === 255 && /Permission denied|Connection refused|timed out|No route/i.test(r.stderr)) {
            throw new Error(`${resource}: cannot connect to ${c.user}@${c.host}:${c.port} over SSH: ${r.stderr.trim()}`);
        }
        if (r.code !== 0) throw commandError(resource, r.code, r.stdout, r.stderr);
        return { stdout: r.stdout.trim(), stderr: r.stderr.trim(), ms: r.ms };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function commandError(resource: string, code: number, stdout: string, stderr: string): Error {
    return new Error(`${resource}: command exited with code ${code}\nstdout:\n${stdout.trim()}\nstderr:\n${stderr.trim()}`);
}
