/**
 * Benchmark (not a test), two figures, each against the bare minimum measured in the same
 * run. The component runs through the real Pulumi engine (the CLI built by scripts/setup.sh,
 * the stand-in providers of the live tests), so its figures include the engine's own fixed
 * cost: that cost, an update of a stack that declares nothing, is measured in the same run,
 * printed on its own line, and each ratio is printed with it and without it.
 *
 * - rolling-upgrade: a 3-node cluster's image changed, through the component (the rolling
 *   replacement: one node at a time, each back with its peers, bricks, clients and self-heal
 *   before the next) against the same by hand (per node: stop, remove, start the new
 *   container, wait until its bricks are online and heal info shows nothing pending, with
 *   nothing but 0.05 s polls between steps);
 * - time-to-ready: from nothing to a started volume whose bricks are all online, through the
 *   component (`pulumi up` of a new stack) against the same three containers started by
 *   hand and the gluster commands typed with nothing but tight polling between them.
 *
 * - tls-time-to-ready: the same with TLS on (`tls: { enabled: true, clients: ["app"] }`),
 *   against the bare TLS sequence: the same kind of certificates (made beforehand with
 *   openssl, outside the timing) placed in each node's state by hand, the TLS options set
 *   before the first start;
 * - write throughput: a FUSE client writes one file sequentially (fio, 256 MiB in 1 MiB
 *   blocks, fsync at the end) to the bare cluster, plain and with TLS.
 *
 * Usage: npm run bench            (BENCH_RUNS=5 for more rounds; default 3)
 * The last five lines are:
 *   engine: an update of a stack that declares nothing <s> s
 *   rolling-upgrade: component <s> s, bare <s> s, ratio <r>, without the engine's fixed cost <r>
 *   write throughput: plain <MiB/s>, TLS <MiB/s>, TLS/plain <r>
 *   tls-time-to-ready: component <s> s, bare <s> s, ratio <r>, without the engine's fixed cost <r>
 *   time-to-ready: component <s> s, bare <s> s, ratio <r>, without the engine's fixed cost <r>
 */
import { GlusterCluster } from "../../components";
import { projectImageName } from "../../components/image";
import { LiveStack } from "../live/engine/stack";
import { run } from "../live/run";
import { readLocal, runScript } from "../live/standins/commands";
import { Strict } from "../live/standins/strict";
import { TEST_CLIENT_IMAGE, upgradedImage } from "../live/rolling-support";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, removeLeftovers, requireEngine } from "../live/support";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const IMAGE = projectImageName();

/** The start of both bare scripts: the image as $img, a query helper and a bounded wait of `limit` seconds. */
function bareHelpers(limit: number): string {
    return `set -eu
img=$1
# q NODE XPATH ARGS...: evaluates XPATH over gluster's XML reply to ARGS, inside NODE.
q() { n=$1; x=$2; shift 2; docker exec "$n" sh -c 'gluster --mode=script --xml "$@" 2>/dev/null | xmllint --xpath "$0" - 2>/dev/null' "string($x)" "$@" || true; }
# until_eq WHAT WANT COMMAND...: polls COMMAND every 0.05 s until it prints WANT, for ${limit} s at most.
until_eq() {
  what=$1; want=$2; shift 2; end=$(( $(date +%s) + ${limit} ))
  until [ "$("$@")" = "$want" ]; do
    [ "$(date +%s)" -lt "$end" ] || { echo "bare: gave up after ${limit} s waiting for $what" >&2; exit 1; }
    sleep 0.05
  done
}`;
}

/**
 * The bare sequence, as a person would type it, polling every 0.05 s. gluster's XML is read
 * inside the containers (the image has xmllint; the host need not), and every wait has a
 * deadline and says what it waited for.
 */
const BARE = `
${bareHelpers(120)}
docker network create bare-net >/dev/null
for i in 0 1 2; do
  docker run -d --name bare-$i --hostname bare-$i --network bare-net --cap-add SYS_ADMIN --tmpfs /run \\
    -v bare-$i-state:/var/lib/glusterd -v bare-$i-bricks:/bricks -v bare-$i-logs:/var/log/glusterfs "$img" >/dev/null &
done
wait
for i in 0 1 2; do until_eq "glusterd on bare-$i" 0 q bare-$i /cliOutput/opRet pool list; done
docker exec bare-0 gluster --mode=script peer probe bare-1 >/dev/null
docker exec bare-0 gluster --mode=script peer probe bare-2 >/dev/null
docker exec bare-1 gluster --mode=script peer probe bare-0 >/dev/null
for i in 0 1 2; do until_eq "the peers of bare-$i" 2 q bare-$i 'count(//peer[state=3 and connected=1])' peer status; done
docker exec bare-0 gluster --mode=script volume create benchvol replica 3 bare-0:/bricks/benchvol bare-1:/bricks/benchvol bare-2:/bricks/benchvol >/dev/null
docker exec bare-0 gluster --mode=script volume start benchvol >/dev/null
until_eq "the bricks of benchvol" 3 q bare-0 "count(//volume/node[starts-with(path,'/') and status=1])" volume status benchvol
`;

/**
 * The bare rolling upgrade, per node: stop (with the same grace as the component), remove,
 * start the new image on the same volumes, then poll until its glusterd answers, every brick
 * is online and heal info shows nothing pending on three connected bricks.
 */
const BARE_ROLL = `
${bareHelpers(300)}
for i in 0 1 2; do
  docker stop -t 30 bare-$i >/dev/null
  docker rm bare-$i >/dev/null
  docker run -d --name bare-$i --hostname bare-$i --network bare-net --cap-add SYS_ADMIN --device /dev/fuse --tmpfs /run \\
    -v bare-$i-state:/var/lib/glusterd -v bare-$i-bricks:/bricks -v bare-$i-logs:/var/log/glusterfs "$img" >/dev/null
  until_eq "glusterd on bare-$i" 0 q bare-$i /cliOutput/opRet pool list
  until_eq "the bricks of benchvol" 3 q bare-$i "count(//volume/node[starts-with(path,'/') and status=1])" volume status benchvol
  until_eq "heal of benchvol" 0/3 q bare-$i "concat(sum(//healInfo/bricks/brick/totalNumberOfEntries), '/', count(//healInfo/bricks/brick[status='Connected']))" volume heal benchvol info summary
done
`;

/**
 * The bare sequence with TLS: before the containers start, each node's key, certificate and
 * CAs (in the directory given as $2, made beforehand) copied into its state volume where the
 * image links OpenSSL's files, with the management switch; the TLS options set before the
 * volume's first start.
 */
const BARE_TLS = BARE.replace(
    "docker network create bare-net >/dev/null\n",
    `docker network create bare-net >/dev/null
for i in 0 1 2; do
  docker run --rm -v bare-$i-state:/var/lib/glusterd -v "$2":/c:ro --entrypoint sh "$img" -c \\
    "mkdir -p /var/lib/glusterd/tls && cp /c/bare-$i.key /var/lib/glusterd/tls/glusterfs.key && cp /c/bare-$i.pem /var/lib/glusterd/tls/glusterfs.pem && cp /c/servers.ca /var/lib/glusterd/tls/glusterfs.ca && touch /var/lib/glusterd/secure-access" &
done
wait
`,
).replace(
    "docker exec bare-0 gluster --mode=script volume start benchvol >/dev/null",
    `docker exec bare-0 gluster --mode=script volume set benchvol client.ssl on >/dev/null
docker exec bare-0 gluster --mode=script volume set benchvol server.ssl on >/dev/null
docker exec bare-0 gluster --mode=script volume set benchvol auth.ssl-allow app,bare-0,bare-1,bare-2 >/dev/null
docker exec bare-0 gluster --mode=script volume start benchvol >/dev/null`,
);

/**
 * Certificates like the component's (ECDSA P-256): a server CA signing bare-0..2, a client CA
 * signing "app"; servers trust both CAs, the client the server CA. Also the client's
 * /var/lib/glusterd as the test client image reads it (tls/ and secure-access).
 */
async function makeCerts(): Promise<{ dir: string; client: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-certs-"));
    const key = (name: string) => `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${name}.key 2>/dev/null`;
    const ca = (name: string) => `${key(name)} && openssl req -x509 -new -key ${name}.key -out ${name}.pem -days 2 -subj '/CN=${name}' 2>/dev/null`;
    const leaf = (name: string, by: string) =>
        `${key(name)} && openssl req -new -key ${name}.key -out ${name}.csr -subj '/CN=${name}' 2>/dev/null && openssl x509 -req -in ${name}.csr -CA ${by}.pem -CAkey ${by}.key -CAcreateserial -out ${name}.pem -days 2 2>/dev/null`;
    const steps = [ca("server-ca"), ca("client-ca"), ...["bare-0", "bare-1", "bare-2"].map((n) => leaf(n, "server-ca")), leaf("app", "client-ca")];
    const r = await run(["sh", "-c", [...steps, "cat server-ca.pem client-ca.pem > servers.ca", "chmod 0644 *.key"].join(" && ")], { cwd: dir });
    if (r.code !== 0) throw new Error(`making the bench's certificates failed: ${r.stderr}`);
    const client = path.join(dir, "client");
    fs.mkdirSync(path.join(client, "tls"), { recursive: true });
    fs.copyFileSync(path.join(dir, "app.key"), path.join(client, "tls", "glusterfs.key"));
    fs.copyFileSync(path.join(dir, "app.pem"), path.join(client, "tls", "glusterfs.pem"));
    fs.copyFileSync(path.join(dir, "server-ca.pem"), path.join(client, "tls", "glusterfs.ca"));
    fs.writeFileSync(path.join(client, "secure-access"), "");
    return { dir, client };
}

/** The write throughput (MiB/s) of a FUSE client on bare-net writing one file sequentially to benchvol; `client`: its /var/lib/glusterd (TLS). */
async function writeThroughput(client?: string): Promise<number> {
    const script =
        "mkdir -p /mnt/v && mount -t glusterfs bare-0:/benchvol /mnt/v >&2 && " +
        "fio --name=seq --directory=/mnt/v --rw=write --bs=1M --size=256M --end_fsync=1 --output-format=json";
    const r = await run(
        [
            "docker",
            "run",
            "--rm",
            "--device",
            "/dev/fuse",
            "--cap-add",
            "SYS_ADMIN",
            "--network",
            "bare-net",
            ...(client ? ["-v", `${client}:/var/lib/glusterd`] : []),
            "--entrypoint",
            "sh",
            TEST_CLIENT_IMAGE,
            "-c",
            script,
        ],
        { timeoutMs: 600_000 },
    );
    if (r.code !== 0) throw new Error(`fio failed: ${r.stderr}`);
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as { jobs: Array<{ write: { bw: number } }> };
    return json.jobs[0].write.bw / 1024;
}

async function bareRolling(to: string): Promise<number> {
    await cleanBare();
    const setup = await run(["bash", "-c", BARE, "bare", IMAGE], { timeoutMs: 600_000 });
    if (setup.code !== 0) throw new Error(`bare setup failed: ${setup.stderr}`);
    const started = Date.now();
    const r = await run(["bash", "-c", BARE_ROLL, "bare", to], { timeoutMs: 900_000 });
    const ms = Date.now() - started;
    if (r.code !== 0) throw new Error(`bare rolling upgrade failed: ${r.stderr}`);
    await cleanBare();
    return ms;
}

/** The component's rolling upgrade: the cluster stood up on IMAGE, then moved to `to`. */
let rollingSteps: string[] = [];

async function componentRolling(to: string): Promise<number> {
    await removeLeftovers(docker, "bench");
    const h = new LiveStack({ stack: "bench" });
    const program = (image: string) => () => {
        const c = new GlusterCluster("bench", {
            nodes: [{ name: "bench-0" }, { name: "bench-1" }, { name: "bench-2" }],
            volumeName: "benchvol",
            image,
            deleteDataOnDestroy: true,
        });
        return { mountCommand: c.mountCommand };
    };
    try {
        await h.up(program(IMAGE));
        const mark = h.log.length;
        const started = Date.now();
        await h.up(program(to));
        const ms = Date.now() - started;
        rollingSteps = h
            .since(mark)
            .filter((e) => e.ms > 0)
            .map((e) => `${e.op} ${e.name.replace(/^bench-/, "")}=${e.ms}`);
        return ms;
    } finally {
        await h.destroy();
        await removeLeftovers(docker, "bench");
    }
}

async function cleanBare(): Promise<void> {
    const names = ["bare-0", "bare-1", "bare-2"];
    await run(["docker", "rm", "-f", "-v", ...names]);
    await run(["docker", "volume", "rm", ...names.flatMap((n) => [`${n}-state`, `${n}-bricks`, `${n}-logs`])]);
    await run(["docker", "network", "rm", "bare-net"]);
}

/** The bare sequence timed (with TLS when `certs` is given), then the write throughput through a client of it. */
async function bare(certs?: { dir: string; client: string }): Promise<{ ms: number; mibs: number }> {
    await cleanBare();
    const started = Date.now();
    const r = await run(["bash", "-c", certs ? BARE_TLS : BARE, "bare", IMAGE, ...(certs ? [certs.dir] : [])], { timeoutMs: 600_000 });
    const ms = Date.now() - started;
    if (r.code !== 0) throw new Error(`bare sequence failed: ${r.stderr}`);
    const mibs = await writeThroughput(certs?.client);
    await cleanBare();
    return { ms, mibs };
}

interface ComponentRound {
    ready: number;
    reapply: number;
    reapplyCommandMs: number;
    rerunScriptsMs: number;
    steps: Array<[string, number]>;
}

async function component(tls = false): Promise<ComponentRound> {
    await removeLeftovers(docker, "bench");
    const h = new LiveStack({ stack: "bench" });
    const program = () => {
        const c = new GlusterCluster("bench", {
            nodes: [{ name: "bench-0" }, { name: "bench-1" }, { name: "bench-2" }],
            volumeName: "benchvol",
            deleteDataOnDestroy: true,
            ...(tls ? { tls: { enabled: true, clients: ["app"] } } : {}),
        });
        return { mountCommand: c.mountCommand };
    };
    try {
        const started = Date.now();
        await h.up(program);
        const ready = Date.now() - started;
        const steps = h.log.filter((e) => e.op === "create" && e.ms > 0).map((e) => [e.name, e.ms] as [string, number]);

        const mark = h.log.length;
        const t = Date.now();
        await h.up(program);
        const reapply = Date.now() - t;
        const reapplyCommandMs = h.since(mark).reduce((sum, e) => sum + e.ms, 0);

        // Every command script run again over the converged cluster (what a refresh-and-rerun costs).
        let rerunScriptsMs = 0;
        for (const cmd of h.ofType("command:local:Command")) {
            const spec = readLocal(new Strict(cmd.inputs, cmd.name));
            rerunScriptsMs += (await runScript(spec, spec.create!)).ms;
        }
        return { ready, reapply, reapplyCommandMs, rerunScriptsMs, steps };
    } finally {
        await h.destroy();
        await removeLeftovers(docker, "bench");
    }
}

/** The engine's own cost: `pulumi up` of a stack that declares nothing (after its first update). */
async function engineFixedCost(): Promise<number[]> {
    const h = new LiveStack({ stack: "bench-empty" });
    const empty = () => ({});
    try {
        await h.up(empty);
        const out: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            const started = Date.now();
            await h.up(empty);
            out.push(Date.now() - started);
        }
        return out;
    } finally {
        await h.destroy();
    }
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sec = (ms: number) => (ms / 1000).toFixed(2);

/** "ratio <r>, without the engine's fixed cost <r>". */
function ratios(component: number, bare: number, engine: number): string {
    return `ratio ${(component / bare).toFixed(2)}, without the engine's fixed cost ${((component - engine) / bare).toFixed(2)}`;
}

async function main(): Promise<void> {
    await requireEngine();
    const engine = median(await engineFixedCost());
    const to = await upgradedImage(IMAGE, "bench-upgrade");
    const cr: number[] = [];
    const br: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        if (i % 2 === 0) {
            cr.push(await componentRolling(to));
            br.push(await bareRolling(to));
        } else {
            br.push(await bareRolling(to));
            cr.push(await componentRolling(to));
        }
        console.log(`rolling round ${i + 1}: component ${sec(cr[i])} s, bare ${sec(br[i])} s`);
    }

    const certs = await makeCerts();
    const ct: number[] = [];
    const bt: Array<{ ms: number; mibs: number }> = [];
    for (let i = 0; i < RUNS; i++) {
        if (i % 2 === 0) {
            ct.push((await component(true)).ready);
            bt.push(await bare(certs));
        } else {
            bt.push(await bare(certs));
            ct.push((await component(true)).ready);
        }
        console.log(`tls round ${i + 1}: component ${sec(ct[i])} s, bare ${sec(bt[i].ms)} s; client writes ${bt[i].mibs.toFixed(1)} MiB/s`);
    }
    fs.rmSync(certs.dir, { recursive: true, force: true });

    const c: ComponentRound[] = [];
    const bp: Array<{ ms: number; mibs: number }> = [];
    for (let i = 0; i < RUNS; i++) {
        // Alternate the order so that neither side always runs on a warmer engine.
        if (i % 2 === 0) {
            c.push(await component());
            bp.push(await bare());
        } else {
            bp.push(await bare());
            c.push(await component());
        }
        console.log(`round ${i + 1}: component ${sec(c[i].ready)} s, bare ${sec(bp[i].ms)} s; client writes ${bp[i].mibs.toFixed(1)} MiB/s`);
    }
    const b = bp.map((x) => x.ms);
    console.log("component steps of the last rolling round (ms):", rollingSteps.join(" "));
    const last = c[c.length - 1];
    console.log("component steps of the last round (ms):", last.steps.map(([n, ms]) => `${n.replace(/^bench-/, "")}=${ms}`).join(" "));
    console.log(`converged re-apply: ${sec(median(c.map((r) => r.reapply)))} s wall, ${sec(median(c.map((r) => r.reapplyCommandMs)))} s of command work`);
    console.log(`every script re-run on the converged cluster: ${sec(median(c.map((r) => r.rerunScriptsMs)))} s in all`);
    console.log(`engine: an update of a stack that declares nothing ${sec(engine)} s`);
    console.log(`rolling-upgrade: component ${sec(median(cr))} s, bare ${sec(median(br))} s, ${ratios(median(cr), median(br), engine)}`);
    const plain = median(bp.map((x) => x.mibs));
    const secure = median(bt.map((x) => x.mibs));
    console.log(
        `write throughput (fio, 256 MiB sequential in 1 MiB blocks, one FUSE client): plain ${plain.toFixed(1)} MiB/s, TLS ${secure.toFixed(1)} MiB/s, TLS/plain ${(secure / plain).toFixed(2)}`,
    );
    const tm = median(ct);
    const tb = median(bt.map((x) => x.ms));
    console.log(`tls-time-to-ready: component ${sec(tm)} s, bare ${sec(tb)} s, ${ratios(tm, tb, engine)}`);
    const cm = median(c.map((r) => r.ready));
    const bm = median(b);
    console.log(`time-to-ready: component ${sec(cm)} s, bare ${sec(bm)} s, ${ratios(cm, bm, engine)}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
