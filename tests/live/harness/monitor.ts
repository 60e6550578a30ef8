/**
 * The harness's resource monitor: the SDK's mock monitor with `registerResource` replaced,
 * so that the harness sees each registration as the engine does — the inputs *and* the
 * options and dependencies the SDK sends (property dependencies, dependsOn, aliases,
 * protect, retainOnDelete, deleteBeforeReplace, replaceOnChanges, ...), which the mocks'
 * `newResource` callback is never given.
 */
import * as pulumi from "@pulumi/pulumi";

/** One registration, as the engine receives it. */
export interface Registration {
    urn: string;
    type: string;
    name: string;
    parent: string;
    custom: boolean;
    /** `urn::id` of an explicit provider, "" for the default one. */
    provider: string;
    inputs: Record<string, any>;
    /** Every direct dependency: dependsOn and the property dependencies. */
    dependencies: string[];
    /** The property dependencies, per top-level input. */
    propertyDependencies: Record<string, string[]>;
    /** URNs this resource may have had before (aliases, resolved to URNs). */
    aliases: string[];
    protect: boolean;
    retainOnDelete: boolean;
    /** undefined when the program did not set it (the provider's own default applies). */
    deleteBeforeReplace?: boolean;
    replaceOnChanges: string[];
    ignoreChanges: string[];
    deletedWith: string;
    importId: string;
    customTimeouts: boolean;
}

export type Register = (reg: Registration) => Promise<{ id: string; outputs: Record<string, any> }>;

const rpc = require("@pulumi/pulumi/runtime/rpc");
const settings = require("@pulumi/pulumi/runtime/settings");
const state = require("@pulumi/pulumi/runtime/state");
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");

function urnOf(stack: string, project: string, parent: string, type: string, name: string): string {
    const qualified = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

function aliasUrns(req: any, stack: string, project: string, type: string, name: string, parent: string): string[] {
    return (req.getAliasesList() as any[]).map((a) => {
        if (a.hasUrn && a.hasUrn()) return a.getUrn() as string;
        const s = a.getSpec();
        const aliasParent = s.getNoparent() ? "" : s.getParenturn() || parent;
        return urnOf(s.getStack() || stack, s.getProject() || project, aliasParent, s.getType() || type, s.getName() || name);
    });
}

/**
 * Installs mocks for `project`/`stack` whose registrations go to `register`. Invokes and
 * reads fail: the component uses none, and an unexpected one must not pass silently.
 */
export function installMonitor(project: string, stack: string, register: Register): void {
    pulumi.runtime.setMocks(
        {
            newResource: () => {
                throw new Error("harness: newResource is not used");
            },
            call: (args) => {
                throw new Error(`harness: invoke ${args.token} is not translated`);
            },
        },
        project,
        stack,
        false,
    );
    const monitor = settings.getMonitor();
    monitor.readResource = (req: any, callback: any) =>
        callback(new Error(`harness: reading ${req.getType()} ${req.getName()} (a get/StackReference) is not translated`));
    monitor.registerResource = async (req: any, callback: any) => {
        try {
            const type = req.getType() as string;
            const name = req.getName() as string;
            const parent = req.getParent() as string;
            const urn = urnOf(stack, project, parent, type, name);
            const propertyDependencies: Record<string, string[]> = {};
            for (const [key, deps] of req.getPropertydependenciesMap().entries()) {
                propertyDependencies[key] = deps.getUrnsList();
            }
            const reg: Registration = {
                urn,
                type,
                name,
                parent,
                custom: req.getCustom(),
                provider: req.getProvider(),
                inputs: rpc.deserializeProperties(req.getObject()),
                dependencies: req.getDependenciesList(),
                propertyDependencies,
                aliases: aliasUrns(req, stack, project, type, name, parent),
                protect: req.getProtect(),
                retainOnDelete: req.getRetainondelete(),
                deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
                replaceOnChanges: req.getReplaceonchangesList(),
                ignoreChanges: req.getIgnorechangesList(),
                deletedWith: req.getDeletedwith(),
                importId: req.getImportid(),
                customTimeouts: !!req.getCustomtimeouts() && !!(req.getCustomtimeouts().getCreate() || req.getCustomtimeouts().getUpdate() || req.getCustomtimeouts().getDelete()),
            };
            const result = await register(reg);
            const serialized = await rpc.serializeProperties("", result.outputs);
            // The mock monitor's registerResourceOutputs looks the resource up here.
            monitor.resources.set(urn, { urn, id: result.id || null, state: serialized });
            const response = new resproto.RegisterResourceResponse();
            response.setUrn(urn);
            response.setId(result.id);
            response.setObject(structproto.Struct.fromJavaScript(serialized));
            callback(null, response);
        } catch (err) {
            callback(err, undefined);
        }
    };
}

/**
 * Waits until every registration the program started has finished, including those made
 * inside `apply` callbacks that run after earlier registrations resolve: the language host
 * keeps the program alive until then, and the engine judges the update on all of them.
 */
export async function settle(): Promise<void> {
    for (;;) {
        const before = state.getStore().settings.rpcDone;
        await settings.waitForRPCs();
        await new Promise((r) => setImmediate(r));
        if (state.getStore().settings.rpcDone === before) return;
    }
}
