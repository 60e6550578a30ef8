/** The package's public surface. */
export { GlusterCluster, GLUSTER_CLUSTER_TYPE } from "./glusterCluster";
export * from "./args";
export { GlusterClusterArgsError, ArgProblem, findProblems } from "./validate";
export { clusterArgsFromConfig, NodeConfig } from "./config";
