/**
 * Mocks for the unit tests of a stack that uses GlusterCluster (`glusterfs-cluster/testing`):
 * they answer the component's commands as a healthy cluster would, and hand every other
 * resource and call to the consumer's own mocks.
 *
 * ```ts
 * import * as pulumi from "@pulumi/pulumi";
 * import { glusterMocks } from "glusterfs-cluster/testing";
 *
 * pulumi.runtime.setMocks(glusterMocks(myMocks), "project", "stack", false);
 * ```
 *
 * Without them, Pulumi's standard mocks (which echo the inputs) leave every command's
 * stdout out: the component then reads it as not known yet, as in a preview, and its outputs
 * stay unknown. With them, the outputs resolve to the values a real cluster gives.
 */
import * as pulumi from "@pulumi/pulumi";
import { engineOutputForTests, isEngineScript } from "./engine";
import { identityRecordForTests } from "./identity";
import { isReadyScript, readyOutputForTests } from "./gluster/ready";
import { tlsStateForTests } from "./tls";

export interface GlusterMocksOptions {
    /** The platform every Docker engine reports. Defaults to `"linux/amd64"`. */
    platform?: string;
    /** The GlusterFS version every node runs. Defaults to `"11.1"`. */
    glusterfsVersion?: string;
}

const COMMAND_TYPES = ["command:local:Command", "command:remote:Command"];

/** Pulumi's standard mocks: each resource's state is its inputs; each call returns its arguments. */
function echo(): pulumi.runtime.Mocks {
    return {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs as Record<string, unknown> }),
        call: (args) => args.inputs as Record<string, unknown>,
    };
}

/**
 * Mocks that answer GlusterCluster's commands as a healthy cluster would — each Docker
 * engine's platform and ID, each node's GlusterFS version, the identity step's record of a
 * new cluster (so TLS by default is on), and an empty stdout for the
 * other steps (a command that printed nothing) — give the TLS resources placeholder PEM
 * where `inner` gives none, and pass everything else to `inner`
 * (default: the standard mocks that echo the inputs). A command `inner` answers with a
 * stdout of its own keeps it.
 */
export function glusterMocks(inner: pulumi.runtime.Mocks = echo(), options: GlusterMocksOptions = {}): pulumi.runtime.Mocks {
    return {
        async newResource(args) {
            const answer = await inner.newResource(args);
            if (args.type.startsWith("tls:"))
                return { ...answer, state: { ...tlsStateForTests(args.type), ...((answer.state as Record<string, unknown> | undefined) ?? {}) } };
            if (!COMMAND_TYPES.includes(args.type)) return answer;
            const state: Record<string, unknown> = { ...((answer.state as Record<string, unknown> | undefined) ?? {}) };
            if (state.stdout === undefined) {
                const create = (args.inputs as Record<string, unknown>).create;
                const script = typeof create === "string" ? create : "";
                state.stdout = isEngineScript(script)
                    ? engineOutputForTests(args.name, options.platform)
                    : isReadyScript(script)
                      ? readyOutputForTests(options.glusterfsVersion)
                      : (identityRecordForTests(script) ?? "");
                state.stderr = state.stderr ?? "";
            }
            return { ...answer, state };
        },
        call: (args) => inner.call(args),
    };
}
