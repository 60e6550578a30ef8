import { GlusterCluster } from "../../components";
import { Harness } from "../../tests/live/harness/engine";
import { docker, removeLeftovers } from "../../tests/live/support";
(async () => {
    await removeLeftovers(docker, "bench");
    const h = new Harness();
    const program = () => {
        const c = new GlusterCluster("bench", { nodes: [{ name: "bench-0" }, { name: "bench-1" }, { name: "bench-2" }], volumeName: "benchvol", deleteDataOnDestroy: true });
        return { mountCommand: c.mountCommand };
    };
    try {
        const t = Date.now();
        await h.apply(program);
        console.log("total", Date.now() - t);
        for (const e of h.log) console.log(e.op, e.name, e.ms, (e as any).start ?? "");
        for (const name of ["bench-volume", "bench-pool", "bench-probe-back", "bench-ready-bench-0"]) {
            const r = h.find(name);
            console.log("==", name, "\n" + (r.outputs?.stdout ?? JSON.stringify(Object.keys(r))));
        }
    } finally {
        await h.destroy();
        await removeLeftovers(docker, "bench");
    }
})();
