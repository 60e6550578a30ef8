/** Running processes for the harness: bounded in time, output captured, secrets kept out of errors. */
import { spawn } from "child_process";

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    ms: number;
}

export interface RunOptions {
    input?: string;
    env?: NodeJS.ProcessEnv;
    /** Kill the process after this long. Defaults to 10 minutes. */
    timeoutMs?: number;
}

/** Runs `argv` and resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 600_000);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: Date.now() - started });
        });
        // A process that exits without reading its input must not crash the run.
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
    });
}

/** Runs `argv` and returns its trimmed stdout; throws with the output on a non-zero exit. */
export async function check(argv: string[], opts: RunOptions = {}): Promise<string> {
    const r = await run(argv, opts);
    if (r.code !== 0) {
        throw new Error(`${argv.slice(0, 4).join(" ")} … exited ${r.code}\n${r.stderr.trim() || r.stdout.trim()}`);
    }
    return r.stdout.trim();
}
