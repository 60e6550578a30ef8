/**
 * @pulumi/rancher2 13.x, imitated without a Rancher server: a ConfigMapV2 becomes one file
 * per key under <rancherDir>/<clusterId>/<namespace>/<name>/ (what a configMap volume
 * projects into a pod), a SecretV2 the same under <namespace>/secrets/<name>/, a Namespace a directory, and ClusterSync reads its `nodes` from the
 * test's fixture (STANDIN_RANCHER_NODES, the shape of `ClusterSync.nodes`). As in the provider's schema:
 * ConfigMapV2's clusterId, name and namespace force a replacement and its data and labels
 * change in place; ClusterSync's clusterId forces one; ClusterSync re-reads its nodes on refresh.
 */
import * as fs from "fs";
import * as path from "path";
import { changedKeys, Diff, ProviderConfig, ProviderContext, ProviderImpl, Res, StandIn } from "./provider";
import { Strict } from "./strict";

function diffReplacingOn(forceNew: string[]) {
    return (_c: ProviderContext, old: Res, goal: Res): Diff => {
        const keys = changedKeys(old.inputs, goal.inputs);
        if (keys.length === 0) return { kind: "same", keys: [] };
        const replacing = keys.filter((k) => forceNew.includes(k));
        return replacing.length > 0 ? { kind: "replace", keys: replacing } : { kind: "update", keys: [] };
    };
}

function dir(ctx: ProviderContext, ...parts: string[]): string {
    if (!ctx.options.rancherDir) throw new Error("the rancher2 stand-in needs STANDIN_RANCHER_DIR (where the cluster's objects are kept)");
    return path.join(ctx.options.rancherDir, ...parts);
}

/** The SDK sends the provider's boolean settings JSON-encoded ("true"/"false"). */
function optionalJsonBool(s: Strict, key: string): void {
    const v = s.optionalString(key) as unknown;
    if (v !== undefined && v !== "true" && v !== "false") throw new Error(`${s.where}.${key}: expected "true" or "false", got ${JSON.stringify(v)}`);
}

const providerConfig: ProviderConfig = {
    check(config, where) {
        const s = new Strict(config, where);
        for (const k of ["apiUrl", "tokenKey", "accessKey", "secretKey", "caCerts", "timeout", "version"]) s.optionalString(k);
        optionalJsonBool(s, "insecure");
        optionalJsonBool(s, "bootstrap");
        s.optionalString("retries");
        s.done();
    },
};

function readNamespace(s: Strict) {
    const name = s.string("name");
    const projectId = s.string("projectId");
    s.optionalStringMap("labels");
    s.optionalStringMap("annotations");
    s.done();
    return { name, projectId, clusterId: projectId.split(":")[0] };
}

const namespace: ProviderImpl = {
    check: (g) => void readNamespace(new Strict(g.inputs, `${g.type} ${g.name}`)),
    diff: diffReplacingOn(["name"]),
    async create(ctx, g) {
        const ns = readNamespace(new Strict(g.inputs, g.name));
        fs.mkdirSync(dir(ctx, ns.clusterId, ns.name), { recursive: true });
        return { id: `${ns.clusterId}.${ns.name}`, outputs: {} };
    },
    update: async (_c, old) => ({ outputs: old.outputs }),
    async delete(ctx, old) {
        const ns = readNamespace(new Strict(old.inputs, old.name));
        fs.rmSync(dir(ctx, ns.clusterId, ns.name), { recursive: true, force: true });
        return undefined;
    },
};

function readConfigMap(s: Strict) {
    const clusterId = s.string("clusterId");
    const ns = s.optionalString("namespace") ?? "default";
    const name = s.string("name");
    const data = s.optionalStringMap("data");
    s.optionalStringMap("labels");
    s.optionalStringMap("annotations");
    if (s.optionalBool("immutable")) throw new Error(`${s.where}: immutable is not imitated`);
    s.done();
    return { clusterId, ns, name, data };
}

function writeData(target: string, data: Record<string, string>): void {
    fs.mkdirSync(target, { recursive: true });
    for (const f of fs.readdirSync(target)) if (!(f in data)) fs.rmSync(path.join(target, f));
    for (const [k, v] of Object.entries(data)) fs.writeFileSync(path.join(target, k), v);
}

const configMap: ProviderImpl = {
    check: (g) => void readConfigMap(new Strict(g.inputs, `${g.type} ${g.name}`)),
    diff: diffReplacingOn(["clusterId", "name", "namespace"]),
    async create(ctx, g) {
        const cm = readConfigMap(new Strict(g.inputs, `${g.type} ${g.name}`));
        const target = dir(ctx, cm.clusterId, cm.ns, cm.name);
        if (fs.existsSync(target)) throw new Error(`${g.type} ${g.name}: configmaps "${cm.name}" already exists in ${cm.clusterId}/${cm.ns}`);
        writeData(target, cm.data);
        return { id: `${cm.clusterId}.${cm.ns}/${cm.name}`, outputs: {} };
    },
    async update(ctx, old, goal) {
        const cm = readConfigMap(new Strict(goal.inputs, `${goal.type} ${goal.name}`));
        writeData(dir(ctx, cm.clusterId, cm.ns, cm.name), cm.data);
        return { outputs: old.outputs };
    },
    async delete(ctx, old) {
        const cm = readConfigMap(new Strict(old.inputs, old.name));
        fs.rmSync(dir(ctx, cm.clusterId, cm.ns, cm.name), { recursive: true, force: true });
        return undefined;
    },
};

function readSecret(s: Strict) {
    const clusterId = s.string("clusterId");
    const ns = s.optionalString("namespace") ?? "default";
    const name = s.string("name");
    // The provider takes the values as they are (its flattenSecretV2 gives back string([]byte)).
    const data = s.optionalStringMap("data");
    const type = s.optionalString("type") ?? "Opaque";
    s.optionalStringMap("labels");
    s.optionalStringMap("annotations");
    if (s.optionalBool("immutable")) throw new Error(`${s.where}: immutable is not imitated`);
    s.done();
    return { clusterId, ns, name, data, type };
}

/** A SecretV2: one file per key under <clusterId>/<namespace>/secrets/<name>/ (what a secret volume projects), mode 0600. */
const secret: ProviderImpl = {
    check: (g) => void readSecret(new Strict(g.inputs, `${g.type} ${g.name}`)),
    diff: diffReplacingOn(["clusterId", "name", "namespace", "type"]),
    async create(ctx, g) {
        const sec = readSecret(new Strict(g.inputs, `${g.type} ${g.name}`));
        const target = dir(ctx, sec.clusterId, sec.ns, "secrets", sec.name);
        if (fs.existsSync(target)) throw new Error(`${g.type} ${g.name}: secrets "${sec.name}" already exists in ${sec.clusterId}/${sec.ns}`);
        writeData(target, sec.data);
        for (const f of fs.readdirSync(target)) fs.chmodSync(path.join(target, f), 0o600);
        return { id: `${sec.clusterId}.${sec.ns}/${sec.name}`, outputs: {} };
    },
    async update(ctx, old, goal) {
        const sec = readSecret(new Strict(goal.inputs, `${goal.type} ${goal.name}`));
        writeData(dir(ctx, sec.clusterId, sec.ns, "secrets", sec.name), sec.data);
        return { outputs: old.outputs };
    },
    async delete(ctx, old) {
        const sec = readSecret(new Strict(old.inputs, old.name));
        fs.rmSync(dir(ctx, sec.clusterId, sec.ns, "secrets", sec.name), { recursive: true, force: true });
        return undefined;
    },
};

function readClusterSync(s: Strict): string {
    const clusterId = s.string("clusterId");
    s.optionalNumber("stateConfirm");
    s.optionalBool("waitCatalogs");
    s.optionalBool("synced");
    s.done();
    return clusterId;
}

function nodesOf(ctx: ProviderContext, g: Res): Record<string, any> {
    const nodes = ctx.options.rancherNodes;
    if (!nodes) throw new Error(`${g.name}: the rancher2 stand-in's ClusterSync needs the cluster's nodes (STANDIN_RANCHER_NODES)`);
    const clusterId = readClusterSync(new Strict(g.inputs, g.name));
    return {
        nodes: nodes.map((n) => ({ clusterId, ...n })),
        synced: true,
        defaultProjectId: `${clusterId}:p-default`,
        systemProjectId: `${clusterId}:p-system`,
    };
}

const clusterSync: ProviderImpl = {
    check: (g) => void readClusterSync(new Strict(g.inputs, `${g.type} ${g.name}`)),
    diff: diffReplacingOn(["clusterId"]),
    create: async (ctx, g) => ({ id: readClusterSync(new Strict(g.inputs, g.name)), outputs: nodesOf(ctx, g) }),
    update: async (ctx, _old, g) => ({ outputs: nodesOf(ctx, g) }),
    delete: async () => undefined,
    read: async (ctx, old) => ({ ...old, outputs: nodesOf(ctx, old) }),
};

/** @pulumi/rancher2 13.0.0. */
export const rancherStandIn: StandIn = {
    name: "rancher2",
    version: "13.0.0",
    config: providerConfig,
    resource,
};

function resource(type: string): ProviderImpl {
    switch (type) {
        case "rancher2:index/namespace:Namespace":
            return namespace;
        case "rancher2:index/configMapV2:ConfigMapV2":
            return configMap;
        case "rancher2:index/clusterSync:ClusterSync":
            return clusterSync;
        case "rancher2:index/secretV2:SecretV2":
            return secret;
        default:
            throw new Error(`the rancher2 stand-in does not know the resource type ${type}`);
    }
}
