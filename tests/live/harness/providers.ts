/**
 * The providers the harness imitates, by resource type. Each reads its arguments strictly
 * (an argument it does not translate fails the run), says how a change diffs (same, update
 * in place, or replace — as the provider's schema says), and applies create, update,
 * delete and (where the provider reads) refresh for real.
 */
import type { Applied } from "./engine";
import * as commands from "./commands";
import * as docker from "./docker";
import * as rancher from "./rancher";

export interface Diff {
    kind: "same" | "update" | "replace";
    /** The changed properties that force the replacement. */
    keys: string[];
}

/** What providers get from the engine. */
export interface ProviderContext {
    /** The Docker endpoint of a Docker provider reference ("" for the default provider). */
    dockerEndpoint(providerRef: string): string;
    /** A warning the provider prints into the update's log. */
    warn(message: string): void;
    readonly options: { rancherDir?: string; rancherNodes?: Array<Record<string, unknown>> };
}

/**
 * Thrown by a create that left an object behind and then failed: the state keeps it with
 * an initialization error (pulumi-terraform-bridge `initializationError`).
 */
export class InitError extends Error {
    constructor(
        message: string,
        readonly id: string,
        readonly outputs: Record<string, any>,
    ) {
        super(message);
    }
}

export interface ProviderImpl {
    /** Reads the arguments strictly; throws on anything not translated. */
    check(goal: Applied): void;
    diff(ctx: ProviderContext, old: Applied, goal: Applied): Diff;
    /** Whether the resource's diff would replace if `keys` became unknown (dependent replacement). */
    replacesWhenUnknown(old: Applied, keys: string[]): boolean;
    /** A delete-before-replace the provider declares for the type. */
    deleteBeforeReplace?(type: string): boolean;
    create(ctx: ProviderContext, goal: Applied): Promise<Created>;
    update(ctx: ProviderContext, old: Applied, goal: Applied): Promise<Updated>;
    /** Resolves with the script a command ran, if any. */
    delete(ctx: ProviderContext, old: Applied): Promise<Script | undefined>;
    read?(ctx: ProviderContext, old: Applied): Promise<Applied | undefined>;
}

/** For commands: which of their scripts ran. */
export type Script = "create" | "update" | "delete";
export interface Created {
    id: string;
    outputs: Record<string, any>;
    script?: Script;
}
export interface Updated {
    outputs: Record<string, any>;
    script?: Script;
}

export function providerFor(type: string): ProviderImpl {
    if (type === "command:local:Command" || type === "command:remote:Command") return commands.provider();
    if (type === "pulumi:providers:docker" || type.startsWith("docker:index/")) return docker.provider(type);
    if (type === "pulumi:providers:rancher2" || type.startsWith("rancher2:index/")) return rancher.provider(type);
    throw new Error(`harness: resource type ${type} is not translated`);
}
