/** Running processes for the live tests and the stand-ins: bounded in time, output captured, secrets kept out of errors. */
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
    /** The working directory. Defaults to this process's. */
    cwd?: string;
    /** Kill the process after this long. Defaults to 10 minutes. */
    timeoutMs?: number;
    /** The first back-off of a docker call over ssh:// run again (it doubles each time). Defaults to 500 ms. */
    backoffMs?: number;
}

/**
 * Runs `argv` and resolves with its exit code and output (never rejects on a non-zero exit).
 * The docker CLI pings its engine with a fixed 2 s deadline (docker/cli cli/command/cli.go,
 * defaultInitTimeout) and goes on without the server's OS when the ping is late: over an
 * ssh:// endpoint on a loaded machine, `docker create` then fails with "unknown server OS"
 * before sending anything. The provider's own client has no such deadline, so such a call
 * is run again (five times at most, backing off).
 */
export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const overSsh = argv[0] === "docker" && argv[1] === "-H" && argv[2]?.startsWith("ssh://");
    for (let attempt = 1; ; attempt++) {
        const r = await runOnce(argv, opts);
        if (!overSsh || attempt >= 5 || r.code !== 125 || !/unknown server OS/.test(r.stderr)) return r;
        // A loaded machine stays loaded for a while: back off (0.5, 1, 2, 4 s).
        await new Promise((res) => setTimeout(res, (opts.backoffMs ?? 500) * 2 ** (attempt - 1)));
    }
}

function runOnce(argv: string[], opts: RunOptions): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
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
