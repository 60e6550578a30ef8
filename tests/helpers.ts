/**
 * Shared test support: Pulumi mocks that record every registration (and the resource
 * options, which mocks are not given, learned through a stack transformation), an
 * output-await helper and finders.
 */
import * as pulumi from "@pulumi/pulumi";
import { tlsStateForTests } from "../components/tls";
import { identityRecordForTests } from "../components/identity";

export interface Recorded {
    type: string;
    name: string;
    inputs: any;
    /** The provider reference (URN::id) the resource was registered with. */
    provider?: string;
    parent?: string;
    dependsOn: string[];
    deleteBeforeReplace?: boolean;
    retainOnDelete?: boolean;
    /** The aliases it was given (`{ name }` or `{ type }` objects, or URNs). */
    aliases: unknown[];
    /** Registration order, counted from 0. */
    seq: number;
}

export interface MockBehaviour {
    /** Extra state for a resource, merged over its inputs (e.g. a command's stdout). */
    state?: (type: string, name: string, inputs: any) => Record<string, unknown>;
    /** Answers to invokes, by token. */
    call?: (token: string, inputs: any) => Record<string, unknown>;
    /** Delay a registration (ms), to test that dependents wait for it. */
    delay?: (type: string, name: string) => number;
}

/** What the mocks give back for the types the component declares. */
export function defaultState(type: string, name: string, inputs: any): Record<string, unknown> {
    switch (type) {
        case "command:local:Command":
        case "command:remote:Command":
            if (name.includes("-engine-")) return { stdout: `platform: linux/amd64\nengine: ENGINE-${name}`, stderr: "" };
            // The identity step's first run prints its record (a new cluster: TLS by default on).
            if (name.endsWith("-identity") && typeof inputs?.create === "string" && identityRecordForTests(inputs.create) !== undefined)
                return { stdout: identityRecordForTests(inputs.create), stderr: "" };
            return { stdout: name.includes("-ready-") ? "ok: glusterd answers (0.20 s)\nglusterfs-version: 11.1" : `done ${name}`, stderr: "" };
        case "docker:index/container:Container":
            return { id: `${name}-container-id` };
        case "docker:index/remoteImage:RemoteImage":
            return { imageId: `sha256:${name}` };
        case "tls:index/privateKey:PrivateKey":
        case "tls:index/certRequest:CertRequest":
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return tlsStateForTests(type);
        default:
            return {};
    }
}

export class Recorder {
    readonly records: Recorded[] = [];
    private readonly opts = new Map<
        string,
        { parent?: string; dependsOn: string[]; deleteBeforeReplace?: boolean; retainOnDelete?: boolean; aliases: unknown[] }
    >();
    private readonly names = new WeakMap<object, string>();
    private seq = 0;

    constructor(private readonly behaviour: MockBehaviour = {}) {}

    install(project = "glusterfs", stack = "test"): void {
        void pulumi.runtime.setMocks(
            {
                newResource: async (args: pulumi.runtime.MockResourceArgs) => {
                    const wait = this.behaviour.delay?.(args.type, args.name) ?? 0;
                    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
                    const o = this.opts.get(`${args.type}::${args.name}`) ?? { dependsOn: [], aliases: [] };
                    this.records.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, ...o, seq: this.seq++ });
                    const state = {
                        ...args.inputs,
                        ...defaultState(args.type, args.name, args.inputs),
                        ...(this.behaviour.state?.(args.type, args.name, args.inputs) ?? {}),
                    };
                    return { id: (state.id as string) ?? `${args.name}-id`, state };
                },
                call: (args: pulumi.runtime.MockCallArgs) => this.behaviour.call?.(args.token, args.inputs) ?? args.inputs,
            },
            project,
            stack,
            false,
        );
        // Each program starts from an empty config, as each `pulumi up` reads its own stack's.
        pulumi.runtime.setAllConfig({});
    }

    /** A stack transformation that learns each resource's options. */
    readonly capture: pulumi.ResourceTransformation = (args) => {
        this.names.set(args.resource, args.name);
        const given = args.opts.dependsOn as any;
        const names = (list: any) => ([] as any[]).concat(list ?? []).map((r) => this.names.get(r) ?? "?");
        const o = {
            parent: args.opts.parent ? (this.names.get(args.opts.parent) ?? "?") : undefined,
            dependsOn: pulumi.Output.isInstance(given) ? [] : names(given),
            deleteBeforeReplace: (args.opts as pulumi.CustomResourceOptions).deleteBeforeReplace,
            retainOnDelete: args.opts.retainOnDelete,
            aliases: [...((args.opts.aliases as unknown[] | undefined) ?? [])],
        };
        // dependsOn given as an Output: the SDK registers the resource once it resolves, so the
        // list is known by the time newResource records it.
        if (pulumi.Output.isInstance(given)) (given as any).promise().then((list: any) => (o.dependsOn = names(list)));
        this.opts.set(`${args.type}::${args.name}`, o);
        return undefined;
    };

    ofType(type: string): Recorded[] {
        return this.records.filter((r) => r.type === type);
    }

    named(name: string): Recorded {
        const r = this.records.find((x) => x.name === name);
        if (!r) throw new Error(`no resource named ${name}; have: ${this.records.map((x) => x.name).join(", ")}`);
        return r;
    }

    /** The recorded inputs without the ones that may legitimately differ between runs (none). */
    snapshot(): Array<{ type: string; name: string; inputs: any; parent?: string; dependsOn: string[] }> {
        return [...this.records]
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .map(({ type, name, inputs, parent, dependsOn }) => ({ type, name, inputs, parent, dependsOn }));
    }
}

/** Resolves an output's value. */
export function value<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        output.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}

/**
 * Runs `program` as a stack with fresh mocks; returns the recorder (with every
 * registration finished) and the program's result.
 */
export async function runProgram<T extends Record<string, any>>(
    program: () => T | Promise<T>,
    behaviour: MockBehaviour = {},
): Promise<{ rec: Recorder; outputs: Record<string, any> }> {
    const rec = new Recorder(behaviour);
    rec.install();
    const outputs = await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation(rec.capture);
        return program();
    });
    // Children registered after the program's outputs resolved (they wait on other outputs) are
    // recorded too: wait for every registration still on its way, as the engine does.
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> }).waitForRPCs();
    return { rec, outputs: (outputs ?? {}) as Record<string, any> };
}

/** Runs `fn` with pulumi.log.warn collecting its messages (restored after): what it returned, and the warnings. */
export async function withWarnings<T>(fn: () => Promise<T>): Promise<{ result: T; logged: string[] }> {
    const logged: string[] = [];
    const warn = pulumi.log.warn;
    (pulumi.log as { warn: unknown }).warn = (message: string) => logged.push(message);
    try {
        return { result: await fn(), logged };
    } finally {
        (pulumi.log as { warn: unknown }).warn = warn;
    }
}

/** Three nodes on remote hosts 10.10.0.1-3 (g1..g3), each with an SSH connection, for host-mode tests. */
export function threeRemoteNodes() {
    const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----";
    return [1, 2, 3].map((i) => ({
        name: `g${i}`,
        address: `10.10.0.${i}`,
        host: { dockerHost: `ssh://root@10.10.0.${i}`, ssh: { host: `10.10.0.${i}`, privateKey } },
    }));
}
