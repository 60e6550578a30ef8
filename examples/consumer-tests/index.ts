// The consumer's stack: shared storage for its workloads.
import { GlusterCluster } from "glusterfs-cluster";

export const storage = new GlusterCluster("shared", {
    volumeName: "shared",
    nodes: [{ name: "shared-0" }, { name: "shared-1" }, { name: "shared-2" }],
    clientCidrs: ["172.30.0.0/16"],
});
export const mountCommand = storage.mountCommand;
