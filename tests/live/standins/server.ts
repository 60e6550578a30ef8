/**
 * The provider protocol (pulumirpc.ResourceProvider) for a stand-in, as a plugin the real
 * Pulumi engine starts: it prints its port, and the engine calls CheckConfig, DiffConfig,
 * Configure, Check, Diff, Create, Read, Update and Delete on it. One process is one provider
 * instance (the engine starts one per default or explicit provider).
 *
 * - Configure answers acceptSecrets (secrets arrive wrapped; the stand-ins unwrap them and
 *   the engine marks again the outputs of secret inputs) and supportsPreview: a preview's
 *   Create and Update return the inputs with the provider's computed outputs unknown.
 * - DiffConfig never asks for a replacement: no setting of @pulumi/docker or
 *   @pulumi/rancher2 forces one, so a changed provider is an update.
 * - Diff reports the replacing keys and, for the types that declare it, delete-before-replace.
 * - An `InitError` from Create is sent as `ErrorResourceInitFailed`: the engine keeps the
 *   object in state with the error, as it does for the bridge's initialization errors.
 *
 * For the tests: each Create, Update, Delete and Read that ran is appended to the file in
 * STANDIN_JOURNAL (which command script ran, when it started and ended); and a delete of a
 * resource named N waits while the file STANDIN_HOLD_DIR/hold-N exists, after writing
 * STANDIN_HOLD_DIR/held-N, so that a test can look at the world at that moment.
 */
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { UNKNOWN, unwrapSecrets } from "./strict";
import { changedKeys, Diff, InitError, ProviderContext, Res, StandIn } from "./provider";

const provproto = require("@pulumi/pulumi/proto/provider_pb");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const plugproto = require("@pulumi/pulumi/proto/plugin_pb");
const engineproto = require("@pulumi/pulumi/proto/engine_pb");
const enginerpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const statusproto = require("@pulumi/pulumi/proto/status_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");
const anyproto = require("google-protobuf/google/protobuf/any_pb");

type Callback = (err: any, value?: any, trailer?: grpc.Metadata) => void;
type Call = { request: any };

const toJs = (s: any): Record<string, any> => (s ? s.toJavaScript() : {});
const toStruct = (v: Record<string, any>) => structproto.Struct.fromJavaScript(v);
/** The resource name of a URN (urn:pulumi:stack::project::type::name). */
const nameOf = (urn: string) => urn.split("::").slice(3).join("::");
const typeOf = (urn: string) => urn.split("::")[2]?.split("$").pop() ?? "";

export class StandInServer {
    private config: Record<string, any> = {};
    private readonly engine: any;

    constructor(
        private readonly standIn: StandIn,
        engineAddress: string | undefined,
    ) {
        this.engine = engineAddress ? new enginerpc.EngineClient(engineAddress, grpc.credentials.createInsecure()) : undefined;
    }

    // ---- what the stand-ins get ----

    private readonly ctx: ProviderContext = {
        // The provider's own default: DOCKER_HOST, else the default socket; `docker context use` is ignored.
        dockerEndpoint: () => (this.config.host as string | undefined) || process.env.DOCKER_HOST || "unix:///var/run/docker.sock",
        warn: (urn, message) => this.log(engineproto.LogSeverity.WARNING, urn, message),
        options: {
            rancherDir: process.env.STANDIN_RANCHER_DIR || undefined,
            rancherNodes: process.env.STANDIN_RANCHER_NODES ? JSON.parse(process.env.STANDIN_RANCHER_NODES) : undefined,
        },
    };

    private log(severity: number, urn: string, message: string): void {
        if (!this.engine) return;
        const req = new engineproto.LogRequest();
        req.setSeverity(severity);
        req.setMessage(message);
        req.setUrn(urn);
        this.engine.log(req, () => undefined);
    }

    private journal(entry: Record<string, unknown>): void {
        const file = process.env.STANDIN_JOURNAL;
        if (file) fs.appendFileSync(file, `${JSON.stringify(entry)}\n`);
    }

    private async hold(name: string): Promise<void> {
        const dir = process.env.STANDIN_HOLD_DIR;
        if (!dir || !fs.existsSync(path.join(dir, `hold-${name}`))) return;
        fs.writeFileSync(path.join(dir, `held-${name}`), "");
        const deadline = Date.now() + 600_000;
        while (fs.existsSync(path.join(dir, `hold-${name}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }

    private res(urn: string, id: string, inputs: Record<string, any>, outputs: Record<string, any>): Res {
        return { urn, type: typeOf(urn), name: nameOf(urn), id, inputs: unwrapSecrets(inputs), outputs: unwrapSecrets(outputs) };
    }

    /** Runs `work` and answers the call with its result, or with its error as the engine shows provider errors. */
    private answer(callback: Callback, work: () => Promise<any>): void {
        work().then(
            (value) => callback(null, value),
            (e: unknown) => callback(errorResponse(e)),
        );
    }

    // ---- the protocol ----

    getPluginInfo(_call: Call, callback: Callback): void {
        const info = new plugproto.PluginInfo();
        info.setVersion(this.standIn.version);
        callback(null, info);
    }

    getSchema(_call: Call, callback: Callback): void {
        const resp = new provproto.GetSchemaResponse();
        resp.setSchema(JSON.stringify({ name: this.standIn.name, version: this.standIn.version }));
        callback(null, resp);
    }

    checkConfig(call: Call, callback: Callback): void {
        this.answer(callback, async () => {
            const news = toJs(call.request.getNews());
            const resp = new provproto.CheckResponse();
            resp.setInputs(call.request.getNews());
            try {
                this.standIn.config.check(unwrapSecrets(news), `${this.standIn.name} provider ${nameOf(call.request.getUrn())}`);
            } catch (e) {
                resp.setFailuresList([failure("", (e as Error).message)]);
            }
            return resp;
        });
    }

    diffConfig(call: Call, callback: Callback): void {
        const olds = unwrapSecrets(toJs(call.request.getOldInputs() ?? call.request.getOlds()));
        const news = unwrapSecrets(toJs(call.request.getNews()));
        const changed = changedKeys(olds, news).filter((k) => k !== "version");
        const resp = new provproto.DiffResponse();
        resp.setChanges(changed.length > 0 ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
        resp.setDiffsList(changed);
        callback(null, resp);
    }

    configure(call: Call, callback: Callback): void {
        const args = call.request.getArgs();
        if (args) {
            this.config = unwrapSecrets(args.toJavaScript());
        } else {
            const prefix = `${this.standIn.name}:config:`;
            const vars: Record<string, string> = {};
            call.request.getVariablesMap().forEach((v: string, k: string) => (vars[k.startsWith(prefix) ? k.slice(prefix.length) : k] = v));
            this.config = vars;
        }
        this.standIn.config.configure?.(this.config);
        const resp = new provproto.ConfigureResponse();
        resp.setAcceptsecrets(true);
        resp.setSupportspreview(true);
        resp.setAcceptresources(false);
        resp.setAcceptoutputs(false);
        callback(null, resp);
    }

    check(call: Call, callback: Callback): void {
        this.answer(callback, async () => {
            const urn = call.request.getUrn();
            const resp = new provproto.CheckResponse();
            resp.setInputs(call.request.getNews());
            try {
                this.standIn.resource(typeOf(urn)).check(this.res(urn, "", toJs(call.request.getNews()), {}));
            } catch (e) {
                resp.setFailuresList([failure("", (e as Error).message)]);
            }
            return resp;
        });
    }

    diff(call: Call, callback: Callback): void {
        this.answer(callback, async () => {
            const r = call.request;
            const urn = r.getUrn();
            const impl = this.standIn.resource(typeOf(urn));
            const olds = toJs(r.getOlds());
            const old = this.res(urn, r.getId(), r.getOldInputs() ? toJs(r.getOldInputs()) : olds, olds);
            const d: Diff = impl.diff(this.ctx, old, this.res(urn, r.getId(), toJs(r.getNews()), {}));
            const resp = new provproto.DiffResponse();
            const changes = provproto.DiffResponse.DiffChanges;
            resp.setChanges(d.kind === "same" ? changes.DIFF_NONE : changes.DIFF_SOME);
            if (d.kind === "replace") {
                resp.setReplacesList(d.keys);
                resp.setDeletebeforereplace(!!impl.deleteBeforeReplace);
            }
            return resp;
        });
    }

    create(call: Call, callback: Callback): void {
        this.answer(callback, async () => {
            const r = call.request;
            const urn = r.getUrn();
            const impl = this.standIn.resource(typeOf(urn));
            const inputs = toJs(r.getProperties());
            const resp = new provproto.CreateResponse();
            if (r.getPreview()) {
                resp.setProperties(toStruct({ ...inputs, ...unknowns(impl.computed) }));
                return resp;
            }
            const goal = this.res(urn, "", inputs, {});
            const started = Date.now();
            try {
                const created = await impl.create(this.ctx, goal);
                this.journal({ op: "create", urn, name: goal.name, type: goal.type, script: created.script, start: started, end: Date.now() });
                resp.setId(created.id);
                resp.setProperties(toStruct({ ...goal.inputs, ...created.outputs }));
                return resp;
            } catch (e) {
                this.journal({ op: "create", urn, name: goal.name, type: goal.type, failed: true, start: started, end: Date.now() });
                if (e instanceof InitError) throw Object.assign(e, { inputs: goal.inputs });
                throw e;
            }
        });
    }

    update(call: Call, callback: Callback): void {
        this.answer(callback, async () => {
            const r = call.request;
            const urn = r.getUrn();
            const impl = this.standIn.resource(typeOf(urn));
            const olds = toJs(r.getOlds());
            const news = toJs(r.getNews());
            const resp = new provproto.UpdateResponse();
            const old = this.res(urn, r.getId(), r.getOldInputs() ? toJs(r.getOldInputs()) : olds, olds);
            const goal = this.res(urn, r.getId(), news, olds);
            if (r.getPreview()) {
                resp.setProperties(toStruct({ ...olds, ...news, ...unknowns(impl.computed) }));
                return resp;
            }
            const started = Date.now();
            const updated = await impl.update(this.ctx, old, goal);
            this.journal({ op: "update", urn, name: goal.name, type: goal.type, script: updated.script, start: started, end: Date.now() });
            resp.setProperties(toStruct({ ...goal.inputs, ...updated.outputs }));
            return resp;
        });
    }

    delete(call: Call, callback: Callback): void {
        this.answer(callback, async () => {
            const r = call.request;
            const urn = r.getUrn();
            const olds = toJs(r.getProperties());
            const old = this.res(urn, r.getId(), r.getOldInputs() ? toJs(r.getOldInputs()) : olds, olds);
            await this.hold(old.name);
            const started = Date.now();
            const script = await this.standIn.resource(old.type).delete(this.ctx, old);
            this.journal({ op: "delete", urn, name: old.name, type: old.type, script, start: started, end: Date.now() });
            return new emptyproto.Empty();
        });
    }

    read(call: Call, callback: Callback): void {
        this.answer(callback, async () => {
            const r = call.request;
            const urn = r.getUrn();
            const impl = this.standIn.resource(typeOf(urn));
            const olds = toJs(r.getProperties());
            const old = this.res(urn, r.getId(), r.getInputs() ? toJs(r.getInputs()) : olds, olds);
            const resp = new provproto.ReadResponse();
            const started = Date.now();
            const now = impl.read ? await impl.read(this.ctx, old) : old;
            this.journal({ op: "read", urn, name: old.name, type: old.type, start: started, end: Date.now(), gone: now === undefined });
            if (now === undefined) return resp; // no id: the resource is gone
            resp.setId(now.id);
            resp.setProperties(toStruct(now.outputs));
            resp.setInputs(toStruct(now.inputs));
            return resp;
        });
    }

    cancel(_call: Call, callback: Callback): void {
        callback(null, new emptyproto.Empty());
    }
}

function failure(property: string, reason: string): any {
    const f = new provproto.CheckFailure();
    f.setProperty(property);
    f.setReason(reason);
    return f;
}

function unknowns(keys: string[] = []): Record<string, string> {
    return Object.fromEntries(keys.map((k) => [k, UNKNOWN]));
}

/** A provider error as the engine expects it; an init error carries the object left behind. */
function errorResponse(e: unknown): any {
    const message = e instanceof Error ? e.message : String(e);
    const metadata = new grpc.Metadata();
    if (e instanceof InitError) {
        const detail = new provproto.ErrorResourceInitFailed();
        detail.setId(e.id);
        detail.setProperties(toStruct({ ...((e as any).inputs ?? {}), ...e.outputs }));
        detail.setReasonsList([message]);
        detail.setInputs(toStruct((e as any).inputs ?? {}));
        const any = new anyproto.Any();
        any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
        const status = new statusproto.Status();
        status.setCode(grpc.status.UNKNOWN);
        status.setMessage(message);
        status.addDetails(any);
        metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
    }
    return { code: grpc.status.UNKNOWN, details: message, message, metadata };
}

/** Serves `standIn` on a loopback port and prints the port, as the engine expects of a plugin. */
export async function serve(standIn: StandIn, argv: string[]): Promise<void> {
    const engineAddress = argv.find((a) => !a.startsWith("-"));
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    const impl = new StandInServer(standIn, engineAddress);
    const handlers: Record<string, unknown> = {};
    for (const m of [
        "getPluginInfo",
        "getSchema",
        "checkConfig",
        "diffConfig",
        "configure",
        "check",
        "diff",
        "create",
        "update",
        "delete",
        "read",
        "cancel",
    ] as const) {
        handlers[m] = (impl as any)[m].bind(impl);
    }
    server.addService(provrpc.ResourceProviderService, handlers as any);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    process.stdout.write(`${port}\n`);
}
