import { GlusterCluster } from "../../components";
import { Harness } from "../live/harness/engine";
import { docker, removeLeftovers } from "../live/support";
import * as fs from "fs";
(async () => {
    await removeLeftovers(docker, "bench");
    const h = new Harness();
    const program = () => {
        const c = new GlusterCluster("bench", { nodes: [{ name: "bench-0" }, { name: "bench-1" }, { name: "bench-2" }], volumeName: "benchvol", deleteDataOnDestroy: true });
        return { mountCommand: c.mountCommand };
    };
    await h.apply(program);
    const create: string = h.find("bench-volume").inputs.create;
    const m = /docker exec \S+ sh -c '([\s\S]*)'$/.exec(create)!;
    fs.writeFileSync("/tmp/volume-script.sh", m[1].replace(/'\\''/g, "'"));
    console.log("applied; left running");
})();
