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
 * Usage: npm run bench            (BENCH_RUNS=5 for more rounds; default 3)
 * The last three lines are:
 *   engine: an update of a stack that declares nothing <s> s
 *   rolling-upgrade: component <s> s, bare <s> s, ratio <r>, without the engine's fixed cost <r>
 *   time-to-ready: component <s> s, bare <s> s, ratio <r>, without the engine's fixed cost <r>
 */
import { GlusterCluster } from "../../components";
import { projectImageName } from "../../components/image";
import { LiveStack } from "../live/engine/stack";
import { run } from "../live/run";
import { readLocal, runScript } from "../live/standins/commands";
import { Strict } from "../live/standins/strict";
import { upgradedImage } from "../live/rolling-support";
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

async function bare(): Promise<number> {
    await cleanBare();
    const started = Date.now();
    const r = await run(["bash", "-c", BARE, "bare", IMAGE], { timeoutMs: 600_000 });
    const ms = Date.now() - started;
    if (r.code !== 0) throw new Error(`bare sequence failed: ${r.stderr}`);
    await cleanBare();
    return ms;
}

interface ComponentRound {
    ready: number;
    reapply: number;
    reapplyCommandMs: number;
    rerunScriptsMs: number;
    steps: Array<[string, number]>;
}

async function component(): Promise<ComponentRound> {
    await removeLeftovers(docker, "bench");
    const h = new LiveStack({ stack: "bench" });
    const program = () => {
        const c = new GlusterCluster("bench", {
            nodes: [{ name: "bench-0" }, { name: "bench-1" }, { name: "bench-2" }],
            volumeName: "benchvol",
            deleteDataOnDestroy: true,
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

    const c: ComponentRound[] = [];
    const b: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        // Alternate the order so that neither side always runs on a warmer engine.
        if (i % 2 === 0) {
            c.push(await component());
            b.push(await bare());
        } else {
            b.push(await bare());
            c.push(await component());
        }
        console.log(`round ${i + 1}: component ${sec(c[i].ready)} s, bare ${sec(b[i])} s`);
    }
    console.log("component steps of the last rolling round (ms):", rollingSteps.join(" "));
    const last = c[c.length - 1];
    console.log("component steps of the last round (ms):", last.steps.map(([n, ms]) => `${n.replace(/^bench-/, "")}=${ms}`).join(" "));
    console.log(`converged re-apply: ${sec(median(c.map((r) => r.reapply)))} s wall, ${sec(median(c.map((r) => r.reapplyCommandMs)))} s of command work`);
    console.log(`every script re-run on the converged cluster: ${sec(median(c.map((r) => r.rerunScriptsMs)))} s in all`);
    console.log(`engine: an update of a stack that declares nothing ${sec(engine)} s`);
    console.log(`rolling-upgrade: component ${sec(median(cr))} s, bare ${sec(median(br))} s, ${ratios(median(cr), median(br), engine)}`);
    const cm = median(c.map((r) => r.ready));
    const bm = median(b);
    console.log(`time-to-ready: component ${sec(cm)} s, bare ${sec(bm)} s, ${ratios(cm, bm, engine)}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
