import { GlusterCluster } from "../../components";
import { projectImageName } from "../../components/image";
import { Harness } from "../live/harness/engine";
import { upgradedImage } from "../live/rolling-support";
import { docker, removeLeftovers } from "../live/support";
(async () => {
    await removeLeftovers(docker, "bench");
    const IMAGE = projectImageName();
    const to = await upgradedImage(IMAGE, "bench-upgrade");
    const h = new Harness();
    const program = (image: string) => () => {
        const c = new GlusterCluster("bench", { nodes: [{ name: "bench-0" }, { name: "bench-1" }, { name: "bench-2" }], volumeName: "benchvol", image, deleteDataOnDestroy: true });
        return { mountCommand: c.mountCommand };
    };
    try {
        await h.apply(program(IMAGE));
        const mark = h.log.length; const t = Date.now();
        await h.apply(program(to));
        console.log("roll", Date.now() - t);
        for (const e of h.since(mark).filter((e) => e.op !== "same")) console.log(e.op, e.name, e.ms, e.start - t);
        for (const n of ["bench-ready-bench-1", "bench-preflight"]) console.log("==", n, "\n" + h.find(n).outputs?.stdout);
    } finally { await h.destroy(); await removeLeftovers(docker, "bench"); }
})();
