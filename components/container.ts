import * as crypto from "crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { childNames } from "./names";
import { BRICKS_MOUNT, ClusterSpec, NodeSpec } from "./spec";

/** Where glusterd keeps its identity (glusterd.info), peers and volume definitions. */
export const STATE_DIR = "/var/lib/glusterd";
export const LOG_DIR = "/var/log/glusterfs";

/** The named Docker volumes of a node in container mode, by role (each named as its Pulumi resource). */
export function nodeVolumeNames(spec: ClusterSpec, node: NodeSpec): { state: string; bricks: string; logs: string } {
    const names = childNames(spec.name);
    return {
        state: names.storage(node.name, "state"),
        bricks: names.storage(node.name, "bricks"),
        logs: names.storage(node.name, "logs"),
    };
}

/** The host directories of a node in host mode (one node per host), by role. */
export function nodeHostDirs(node: NodeSpec): { state: string; bricks: string; logs: string } {
    return {
        state: `${node.dataRoot}/glusterd`,
        bricks: `${node.dataRoot}/bricks`,
        logs: `${node.dataRoot}/log`,
    };
}

/** Labels on everything the component creates on a Docker engine, to find it with `docker ps --filter label=...`. */
export function clusterLabels(spec: ClusterSpec): Array<{ label: string; value: string }> {
    return [{ label: "io.glusterfs-cluster.cluster", value: spec.name }];
}

/** The health check: glusterd answers its CLI, judged by <opRet> (the exit code says nothing in XML mode). */
export function healthcheckCommand(): string {
    return "gluster --mode=script --xml --timeout=5 pool list | xmllint --xpath 'string(/cliOutput/opRet)' - | grep -qx 0";
}

/** The label that carries the fingerprint of what a container runs with. */
export const SPEC_LABEL = "io.glusterfs-cluster.spec";

/**
 * How long a replaced or destroyed container gets to stop cleanly (SIGTERM: the entrypoint
 * stops the bricks, then glusterd) before it is killed. A clean stop took 0.3-1.8 s here;
 * without it the provider kills at once and clients learn of the loss only from timeouts.
 */
export const STOP_GRACE_SECONDS = 30;

/**
 * The fingerprint of a container's settings: a hash of everything that reaches the running
 * container. Carried in a label, which the Docker provider treats as ForceNew, so that a
 * change to a setting the provider would only record (tmpfs, health check) replaces the
 * container instead of silently never reaching it.
 */
export function specFingerprint(settings: object): string {
    const stable = (v: unknown): unknown =>
        Array.isArray(v)
            ? v.map(stable)
            : v && typeof v === "object"
              ? Object.fromEntries(
                    Object.entries(v)
                        .sort(([a], [b]) => (a < b ? -1 : 1))
                        .map(([k, x]) => [k, stable(x)]),
                )
              : v;
    return crypto
        .createHash("sha256")
        .update(JSON.stringify(stable(settings)))
        .digest("hex")
        .slice(0, 16);
}

/**
 * What a node's container runs with, apart from the image and the labels. Only the
 * capability glusterd needs (SYS_ADMIN, for the trusted.* extended attributes on bricks,
 * and for the FUSE mount replace-brick makes), never `privileged`. State, bricks and logs live outside the container; `/run` is a fresh
 * tmpfs on every start so stale pid files can never keep a brick offline.
 */
export function containerSettings(spec: ClusterSpec, node: NodeSpec) {
    const hostMode = spec.networkMode === "host";
    const paths = hostMode ? nodeHostDirs(node) : nodeVolumeNames(spec, node);
    const mount = (source: string, containerPath: string): docker.types.input.ContainerVolume =>
        hostMode ? { hostPath: source, containerPath } : { volumeName: source, containerPath };
    const extraHosts = Object.entries(spec.extraHosts).map(([host, ip]) => ({ host, ip }));
    return {
        name: node.name,
        restart: "unless-stopped",
        capabilities: { adds: ["SYS_ADMIN"] },
        // glusterd mounts the volume itself (FUSE) to replace a brick.
        devices: [{ hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: "rwm" }],
        envs: [`GLUSTER_BASE_PORT=${spec.ports.base}`, `GLUSTER_MAX_PORT=${spec.ports.max}`],
        tmpfs: { "/run": "rw,nosuid,nodev,mode=0755" },
        volumes: [mount(paths.state, STATE_DIR), mount(paths.bricks, BRICKS_MOUNT), mount(paths.logs, LOG_DIR)],
        ...(extraHosts.length > 0 ? { hosts: extraHosts } : {}),
        ...(hostMode ? { networkMode: "host" } : { hostname: node.name, networksAdvanced: [{ name: spec.networkName, aliases: [node.name] }] }),
        healthcheck: {
            tests: ["CMD-SHELL", healthcheckCommand()],
            interval: "30s",
            timeout: "10s",
            startPeriod: "30s",
            retries: 3,
        },
    };
}

/** The fingerprint of what a node's container is to run with. */
export function nodeFingerprint(spec: ClusterSpec, node: NodeSpec, image: pulumi.Input<string>): pulumi.Output<string> {
    const settings = containerSettings(spec, node);
    return pulumi.output(image).apply((img) => specFingerprint({ ...settings, image: img }));
}

/** The arguments of a node's container. */
export function containerArgs(spec: ClusterSpec, node: NodeSpec, image: pulumi.Input<string>): docker.ContainerArgs {
    const settings = containerSettings(spec, node);
    return {
        ...settings,
        image,
        labels: [
            ...clusterLabels(spec),
            { label: "io.glusterfs-cluster.node", value: node.name },
            { label: SPEC_LABEL, value: nodeFingerprint(spec, node, image) },
        ],
        // Readiness is awaited by the ready command with tight polling, not by the provider.
        wait: false,
        // A node stopped for maintenance is left stopped: with must_run (the provider's
        // default) a refresh marks it and the next update starts it again.
        mustRun: false,
        destroyGraceSeconds: STOP_GRACE_SECONDS,
    };
}
