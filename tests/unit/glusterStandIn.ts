/**
 * A stand-in for the `gluster` CLI that the generated scripts drive: it answers each
 * command from replies a test gives (recorded GlusterFS 11.1 `--xml` output, see
 * tests/unit/fixtures/gluster/), records every call, and lets the script run for real in a
 * temporary directory that stands for /var/lib/glusterd. The scripts also need `xmllint`
 * (libxml2-utils) on the machine running the tests, as they have it in the image.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { tempDir } from "../support/temp-dirs";

/** A reply, or a sequence of replies (the n-th call gets the n-th; the last one repeats). */
export type Reply = string | string[];

/**
 * Replies by command: the words after `--`, e.g. "volume info my_vol"; a command sent to
 * another node's glusterd (`--remote-host=H`) is keyed "@H volume info my_vol". A command
 * without a reply gets an empty success (opRet 0): what a write that worked returns.
 */
export type Replies = Record<string, Reply>;

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    /** Every gluster call, keyed as in Replies, in order. */
    calls: string[];
    /** Every docker call's argv, in order (scripts run on the host call docker). */
    docker: string[];
    /** The directory that stood for /var/lib/glusterd. */
    state: string;
    /** Every pause the script took (`sleep`'s argument), in order; none was really waited. */
    sleeps: string[];
    /** How many times the script ran xmllint (counted when RunOptions.countXmllint is set). */
    xmllint: number;
}

export const OK = xml(`<opRet>0</opRet><opErrno>0</opErrno><opErrstr/>`);

/** A CLI reply around `body` (the parts inside <cliOutput>). */
export function xml(body: string): string {
    return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n  ${body}\n</cliOutput>\n`;
}

/** A failed operation, as glusterd reports it. */
export function failed(errno: number, errstr: string): string {
    return xml(`<opRet>-1</opRet><opErrno>${errno}</opErrno><opErrstr>${errstr}</opErrstr>`);
}

// Builtins only past bash's own start (forks cost ~5 ms each on the test machines): the
// reply directory is named by the key with every other character than [A-Za-z0-9._=-] as "_".
const GLUSTER = `#!/bin/bash
host=""
while [ $# -gt 0 ]; do
  case $1 in
    --version) echo "glusterfs \${STANDIN_VERSION:-11.1}"; echo "Repository revision: git://git.gluster.org/glusterfs.git"; exit 0 ;;
    --remote-host=*) host=\${1#*=} ;;
    --) shift; break ;;
  esac
  shift
done
key="$*"
[ -z "$host" ] || key="@$host $key"
printf '%s\\n' "$key" >> "$STANDIN/gluster.log"
d="$STANDIN/replies/\${key//[^A-Za-z0-9._=-]/_}"
if [ -d "$d" ]; then
  n=0
  [ -f "$d/count" ] && read -r n < "$d/count"
  n=$((n + 1))
  echo "$n" > "$d/count"
  [ -f "$d/$n" ] || read -r n < "$d/last"
  while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done < "$d/$n"
else
  printf "%s" @OK@
fi
`;

/** The directory name the stand-in looks a key's replies up under (see GLUSTER). */
function replyDir(key: string): string {
    return key.replace(/[^A-Za-z0-9._=-]/g, "_");
}

/** Every name resolves, but those listed in $STANDIN/unresolved (nodes not created yet). */
const GETENT = `#!/bin/bash
[ "$1" = hosts ] || exit 2
! grep -qxF "$2" "$STANDIN/unresolved" && echo "10.0.0.9 $2"
`;

// The scripts' pauses between polls and retries, recorded and skipped: a test's replies, not
// the clock, decide when a wait is over (with a deadline of 0 a wait checks once).
const SLEEP = `#!/bin/sh
echo "$1" >> "$STANDIN/sleep.log"
`;

/** pgrep -x NAME: found when NAME is one of the processes the test says run. */
const PGREP = `#!/bin/sh
[ "$1" = -x ] || { echo "stand-in pgrep: only -x NAME" >&2; exit 2; }
grep -qx -- "$2" "$STANDIN/processes"
`;

const DOCKER = `#!/bin/bash
printf '%s\\n' "$*" >> "$STANDIN/docker.log"
case "$1" in
  volume) [ "$2" = inspect ] && [ -f "$STANDIN/volumes/$3" ] ;;
  exec) shift; while [ "$1" != sh ]; do shift; done; exec "$@" ;;
  container) [ "$2" = inspect ] || exit 0
    [ -f "$STANDIN/docker-error" ] && { cat "$STANDIN/docker-error" >&2; exit 1; }
    [ -f "$STANDIN/container" ] || { echo "Error: No such container" >&2; exit 1; }
    [ -f "$STANDIN/docker-warning" ] && cat "$STANDIN/docker-warning" >&2
    # The -f template, with the fields the scripts read filled in (what Go's text/template would print).
    [ "$3" = -f ] || exit 0
    { read -r status; read -r cluster; read -r spec; } < "$STANDIN/container"
    f=$4
    f=\${f//"{{.State.Status}}"/$status}
    f=\${f//'{{index .Config.Labels "io.glusterfs-cluster.cluster"}}'/$cluster}
    f=\${f//'{{index .Config.Labels "io.glusterfs-cluster.spec"}}'/$spec}
    case $f in *"{{"*) echo "stand-in: no field for $f" >&2; exit 2 ;; esac
    printf '%s\\n' "$f" ;;
esac
`;

export interface RunOptions {
    /** The state of the node: files under /var/lib/glusterd (e.g. "glusterd.info"). */
    files?: Record<string, string>;
    /** For host-side scripts: the container `docker container inspect` describes (absent: none). */
    container?: { status: string; cluster: string; spec: string };
    /** The version `gluster --version` prints. */
    version?: string;
    /** The Docker volumes that exist (`docker volume inspect` finds them). */
    volumes?: string[];
    /** Names that do not resolve (`getent hosts` fails). */
    unresolved?: string[];
    /** docker fails with this message (an engine that does not answer, access denied). */
    dockerError?: string;
    /** docker succeeds, and prints this on stderr besides (a warning about its config file). */
    dockerWarning?: string;
    /** The processes that run (pgrep -x finds them by name). Default: glusterd and a brick (glusterfsd). */
    processes?: string[];
    /** Count the script's xmllint runs (through a wrapper, which costs a fork each). */
    countXmllint?: boolean;
}

/** Runs `script` with `sh` against the stand-ins; /var/lib/glusterd is a temporary directory. */
export function runWithGluster(script: string, replies: Replies, opts: RunOptions = {}): RunResult {
    // The stand-ins, the replies and the state that stood for /var/lib/glusterd: removed after the
    // test (tests/support/temp-dirs.ts), so the test can still read the state.
    const dir = tempDir("gluster-standin-");
    const bin = path.join(dir, "bin");
    const state = path.join(dir, "glusterd");
    fs.mkdirSync(bin);
    fs.mkdirSync(state);
    fs.writeFileSync(path.join(bin, "gluster"), GLUSTER.replace("@OK@", shellQuote(OK)), { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "docker"), DOCKER, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "getent"), GETENT, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "sleep"), SLEEP, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "pgrep"), PGREP, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "processes"), (opts.processes ?? ["glusterd", "glusterfsd"]).map((n) => `${n}\n`).join(""));
    if (opts.countXmllint) {
        const real = spawnSync("sh", ["-c", "command -v xmllint"], { encoding: "utf8" }).stdout.trim();
        fs.writeFileSync(path.join(bin, "xmllint"), `#!/bin/sh\necho x >> "$STANDIN/xmllint.log"\nexec ${real} "$@"\n`, { mode: 0o755 });
    }
    fs.writeFileSync(path.join(dir, "unresolved"), (opts.unresolved ?? []).map((n) => `${n}\n`).join(""));
    const seen = new Map<string, string>();
    for (const [key, reply] of Object.entries(replies)) {
        const other = seen.get(replyDir(key));
        if (other !== undefined) throw new Error(`stand-in: replies ${JSON.stringify(other)} and ${JSON.stringify(key)} would share a file`);
        seen.set(replyDir(key), key);
        const d = path.join(dir, "replies", replyDir(key));
        fs.mkdirSync(d, { recursive: true });
        const list = Array.isArray(reply) ? reply : [reply];
        list.forEach((r, i) => fs.writeFileSync(path.join(d, String(i + 1)), r));
        fs.writeFileSync(path.join(d, "last"), String(list.length));
    }
    for (const [name, text] of Object.entries(opts.files ?? {})) {
        fs.mkdirSync(path.dirname(path.join(state, name)), { recursive: true });
        fs.writeFileSync(path.join(state, name), text);
    }
    fs.mkdirSync(path.join(dir, "volumes"));
    for (const v of opts.volumes ?? []) fs.writeFileSync(path.join(dir, "volumes", v), "");
    if (opts.dockerError) fs.writeFileSync(path.join(dir, "docker-error"), opts.dockerError);
    if (opts.dockerWarning) fs.writeFileSync(path.join(dir, "docker-warning"), `${opts.dockerWarning}\n`);
    if (opts.container) {
        const c = opts.container;
        // One line each, in the order the docker stand-in reads them.
        fs.writeFileSync(path.join(dir, "container"), `${c.status}\n${c.cluster}\n${c.spec}\n`);
    }
    const text = script.split("/var/lib/glusterd").join(state);
    const r = spawnSync("sh", ["-c", text], {
        encoding: "utf8",
        timeout: 60_000,
        env: { PATH: `${bin}:${process.env.PATH}`, STANDIN: dir, STANDIN_VERSION: opts.version ?? "11.1", LC_ALL: "C" },
    });
    const lines = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter(Boolean) : []);
    return {
        code: r.status ?? -1,
        stdout: r.stdout,
        stderr: r.stderr,
        calls: lines(path.join(dir, "gluster.log")),
        docker: lines(path.join(dir, "docker.log")),
        state,
        sleeps: lines(path.join(dir, "sleep.log")),
        xmllint: lines(path.join(dir, "xmllint.log")).length,
    };
}

function shellQuote(s: string): string {
    return `'${s.split("'").join(`'\\''`)}'`;
}

/** The recorded reply `name` (tests/unit/fixtures/gluster/NAME.xml). */
export function fixture(name: string): string {
    return fs.readFileSync(path.join(__dirname, "fixtures", "gluster", `${name}.xml`), "utf8");
}
