/**
 * The Docker calls of the docker stand-in. The provider talks to the engine's API
 * from one long-running process (the Go client); the stand-in does the same on a local
 * socket for the calls it makes most (volumes, networks, image and container lifecycle), so
 * that it does not pay a CLI process per call, which the provider never pays (about 0.1 s
 * each here, more when several run at once). Errors read as the Go client words them
 * ("Error response from daemon: <message>"). Everything else, and every call to an `ssh://`
 * or `tcp://` endpoint, goes through the docker CLI (`run`).
 */
import * as http from "http";
import { run, RunResult } from "../run";

/** The TLS files of the endpoints that have them (a tcp:// endpoint with the provider's TLS material). */
const tlsFiles = new Map<string, { ca: string; cert: string; key: string }>();

/** Makes every call to `endpoint` verify it with this CA and authenticate with this client certificate. */
export function useTls(endpoint: string, files: { ca: string; cert: string; key: string }): void {
    tlsFiles.set(endpoint, files);
}

export function dockerArgv(endpoint: string, ...args: string[]): string[] {
    const tls = tlsFiles.get(endpoint);
    const flags = tls ? ["--tlsverify", "--tlscacert", tls.ca, "--tlscert", tls.cert, "--tlskey", tls.key] : [];
    return ["docker", ...flags, "-H", endpoint, ...args];
}

interface ApiCall {
    method: "GET" | "POST" | "DELETE";
    path: string;
    body?: unknown;
    /** The CLI's output for a successful reply. */
    out: (reply: any) => string;
}

/** Runs `docker ARGS` against `endpoint`: through the engine's API on a unix socket when the call is one of those below. */
export async function docker(endpoint: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
    const call = endpoint.startsWith("unix://") ? apiCall(args) : undefined;
    if (!call) return run(dockerArgv(endpoint, ...args), opts);
    return request(endpoint.slice("unix://".length), call, opts.timeoutMs ?? 600_000);
}

/** `docker ARGS`, failing with its error unless it succeeds; its output, trimmed. */
export async function dockerCheck(endpoint: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    const r = await docker(endpoint, args, opts);
    // Worded as `check` words a CLI call's failure.
    if (r.code !== 0)
        throw new Error(
            `${dockerArgv(endpoint, ...args)
                .slice(0, 4)
                .join(" ")} … exited ${r.code}\n${r.stderr.trim() || r.stdout.trim()}`,
        );
    return r.stdout.trim();
}

const enc = encodeURIComponent;

/** The API request a CLI call stands for, when it is one of the shapes the stand-in uses. */
export function apiCall(args: string[]): ApiCall | undefined {
    const [a, b, ...rest] = args;
    /** Leading `--label k=v` flags as a map, and what follows them. */
    const labels = (flags: string[]): { labels: Record<string, string>; rest: string[] } => {
        const out: Record<string, string> = {};
        const left = [...flags];
        while (left[0] === "--label") {
            const [k, ...v] = left[1].split("=");
            out[k] = v.join("=");
            left.splice(0, 2);
        }
        return { labels: out, rest: left };
    };
    if (a === "image" && b === "inspect" && rest[0] === "-f" && rest[1] === "{{.Id}}" && rest.length === 3) {
        return { method: "GET", path: `/images/${enc(rest[2])}/json`, out: (r) => r.Id };
    }
    if (a === "volume" && b === "create") {
        const l = labels(rest);
        if (l.rest.length !== 1) return undefined;
        return { method: "POST", path: "/volumes/create", body: { Name: l.rest[0], Labels: l.labels }, out: (r) => r.Name };
    }
    if (a === "volume" && b === "rm" && rest[0] === "-f" && rest.length === 2)
        return { method: "DELETE", path: `/volumes/${enc(rest[1])}?force=true`, out: () => rest[1] };
    if (a === "volume" && b === "inspect" && rest.length === 1) return { method: "GET", path: `/volumes/${enc(rest[0])}`, out: (r) => JSON.stringify([r]) };
    if (a === "network" && b === "create" && rest[0] === "--driver") {
        const l = labels(rest.slice(2));
        if (l.rest.length !== 1) return undefined;
        return {
            method: "POST",
            path: "/networks/create",
            body: { Name: l.rest[0], Driver: rest[1], Labels: l.labels, CheckDuplicate: true },
            out: (r) => r.Id,
        };
    }
    if (a === "network" && b === "inspect" && rest.length === 1) return { method: "GET", path: `/networks/${enc(rest[0])}`, out: (r) => JSON.stringify([r]) };
    if (a === "network" && b === "inspect" && rest[0] === "-f" && rest[1] === "{{json .IPAM.Config}}" && rest.length === 3) {
        return { method: "GET", path: `/networks/${enc(rest[2])}`, out: (r) => JSON.stringify(r.IPAM?.Config ?? null) };
    }
    if (a === "network" && b === "rm" && rest.length === 1) return { method: "DELETE", path: `/networks/${enc(rest[0])}`, out: () => rest[0] };
    if (a === "start" && b !== undefined && rest.length === 0) return { method: "POST", path: `/containers/${enc(b)}/start`, out: () => b };
    if (a === "stop" && b === "-t" && rest.length === 2)
        return { method: "POST", path: `/containers/${enc(rest[1])}/stop?t=${enc(rest[0])}`, out: () => rest[1] };
    if (a === "rm" && b === "-f" && rest[0] === "-v" && rest.length === 2)
        return { method: "DELETE", path: `/containers/${enc(rest[1])}?force=true&v=true`, out: () => rest[1] };
    if (a === "container" && b === "inspect" && rest[0] === "-f" && rest[1] === "{{.State.Running}}" && rest.length === 3) {
        return { method: "GET", path: `/containers/${enc(rest[2])}/json`, out: (r) => String(r.State.Running) };
    }
    return undefined;
}

function request(socketPath: string, call: ApiCall, timeoutMs: number): Promise<RunResult> {
    const started = Date.now();
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    return new Promise((resolve) => {
        const done = (code: number, stdout: string, stderr: string) => resolve({ code, stdout, stderr, ms: Date.now() - started });
        const req = http.request(
            {
                socketPath,
                path: call.path,
                method: call.method,
                headers: body ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } : {},
            },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (d) => (text += d));
                res.on("end", () => {
                    const status = res.statusCode ?? 0;
                    // 304: a container already started or stopped, which the CLI reports as success.
                    if (status < 300 || status === 304) {
                        const reply = text ? JSON.parse(text) : {};
                        done(0, `${call.out(reply)}\n`, "");
                    } else {
                        let message = text.trim();
                        try {
                            message = JSON.parse(text).message ?? message;
                        } catch {
                            // not JSON: the text as it came
                        }
                        done(1, "", `Error response from daemon: ${message}\n`);
                    }
                });
            },
        );
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no reply from the Docker engine within ${timeoutMs} ms`)));
        // An engine that is not there: the Go client's words (client/errors.go, errConnectionFailed).
        req.on("error", (e: NodeJS.ErrnoException) =>
            done(
                1,
                "",
                e.code === "ENOENT" || e.code === "ECONNREFUSED"
                    ? `Cannot connect to the Docker daemon at unix://${socketPath}. Is the docker daemon running?\n`
                    : `${e.message}\n`,
            ),
        );
        if (body) req.write(body);
        req.end();
    });
}
