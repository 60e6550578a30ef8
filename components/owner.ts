/**
 * Ownership tokens. When a resource's identity (its URN: type and name) changes while the
 * thing it manages does not, Pulumi creates the successor and runs the old resource's
 * stored delete at the end of the update. Each create records its token where the thing it
 * manages lives (a volume option, a file next to the rules or the data); each delete acts
 * only while the recorded token is still its own, so a stale delete cannot undo its
 * successor. A token names the stack too: another stack's resource of the same name is
 * another owner.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { HostSpec } from "./spec";

/** The stack the program runs in, as `project/stack`. */
export function currentStack(): string {
    return `${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** The token of the command named `name` on `host` in `stack`: it changes with the stack, the command's type (local or remote) and name. */
export function ownerToken(host: HostSpec, name: string, stack: string = currentStack()): string {
    const type = host.ssh ? "command:remote:Command" : "command:local:Command";
    return crypto.createHash("sha256").update(`${stack}::${type}::${name}`).digest("hex").slice(0, 16);
}

/** Who a host's GlusterFS rules are for: `project/stack/cluster` (recorded beside the token, read by people and by the next apply). */
export function clusterClaim(cluster: string, stack: string = currentStack()): string {
    return `${stack}/${cluster}`;
}
