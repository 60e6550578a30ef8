/**
 * What a stand-in provider implements per resource type. The real Pulumi engine drives it
 * over the provider protocol (server.ts): it asks Check, Diff, Create, Update, Delete and
 * Read, and does everything else itself (steps, replacements and their order, dependents,
 * aliases, protect, pending deletes, refresh, preview). A stand-in answers as the real
 * provider's schema and source say: which changes replace, which update in place, what an
 * update really changes, what a delete tolerates, what a read sees.
 */
import * as util from "util";
import { hasUnknown } from "./strict";

/** One resource as a stand-in sees it. Secrets are unwrapped; in a preview some values are the unknown sentinel. */
export interface Res {
    urn: string;
    type: string;
    name: string;
    /** "" before it is created. */
    id: string;
    inputs: Record<string, any>;
    /** What the provider stored (the inputs and what it computed); {} before it is created. */
    outputs: Record<string, any>;
}

/** What a stand-in gets from its provider instance. */
export interface ProviderContext {
    /** The Docker endpoint of this provider instance, as the Docker provider resolves it. */
    dockerEndpoint(): string;
    /** A warning the provider prints into the update's log, under the resource. */
    warn(urn: string, message: string): void;
    /** Where the rancher2 stand-in keeps the cluster's objects, and the nodes its ClusterSync reads. */
    readonly options: { rancherDir?: string; rancherNodes?: Array<Record<string, unknown>> };
}

export interface Diff {
    kind: "same" | "update" | "replace";
    /** The changed properties that force the replacement. */
    keys: string[];
}

/**
 * Thrown by a create that left an object behind and then failed: the state keeps it with
 * an initialization error (pulumi-terraform-bridge `initializationError`), sent to the
 * engine as `ErrorResourceInitFailed`.
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

export interface ProviderImpl {
    /** Reads the arguments strictly; throws on anything it does not understand. */
    check(goal: Res): void;
    /** `old.outputs` is the stored state (refreshed, if a refresh ran), `goal.inputs` the checked new inputs. */
    diff(ctx: ProviderContext, old: Res, goal: Res): Diff;
    /** A delete-before-replace the provider declares for the type. */
    deleteBeforeReplace?: boolean;
    /** The outputs a preview cannot know (they are reported unknown). */
    computed?: string[];
    create(ctx: ProviderContext, goal: Res): Promise<Created>;
    update(ctx: ProviderContext, old: Res, goal: Res): Promise<Updated>;
    /** Resolves with the script a command ran, if any. */
    delete(ctx: ProviderContext, old: Res): Promise<Script | undefined>;
    /** What a refresh reads: the resource as it is now, or undefined when it is gone. Without it, a refresh keeps the state. */
    read?(ctx: ProviderContext, old: Res): Promise<Res | undefined>;
}

/** The provider resource itself (`pulumi:providers:<pkg>`): reads its configuration strictly. */
export interface ProviderConfig {
    /** Reads the provider's settings strictly; throws on anything it does not understand. */
    check(config: Record<string, any>, where: string): void;
    /** Takes the provider's settings once the engine configures it (secrets unwrapped). */
    configure?(config: Record<string, any>): void;
}

/** A stand-in plugin: its package name, version, configuration and resource types. */
export interface StandIn {
    name: string;
    version: string;
    config: ProviderConfig;
    resource(type: string): ProviderImpl;
}

/** The keys whose values differ; a value not known yet (a preview) counts as changed. */
export function changedKeys(old: Record<string, any>, goal: Record<string, any>): string[] {
    const same = (a: unknown, b: unknown) => !hasUnknown(b) && util.isDeepStrictEqual(a, b);
    return [...new Set([...Object.keys(old), ...Object.keys(goal)])].filter((k) => !same(old[k], goal[k]));
}
