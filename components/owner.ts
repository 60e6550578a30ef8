/**
 * Ownership tokens. When a resource's identity (its URN: type and name) changes while the
 * thing it manages does not, Pulumi creates the successor and runs the old resource's
 * stored delete at the end of the update. Each create records its token where the thing it
 * manages lives (a volume option, a file next to the rules or the data); each delete acts
 * only while the recorded token is still its own, so a stale delete cannot undo its
 * successor.
 */
import * as crypto from "crypto";
import { HostSpec } from "./spec";

/** The token of the command named `name` on `host`: it changes with the command's type (local or remote) and name. */
export function ownerToken(host: HostSpec, name: string): string {
    const type = host.ssh ? "command:remote:Command" : "command:local:Command";
    return crypto.createHash("sha256").update(`${type}::${name}`).digest("hex").slice(0, 16);
}
