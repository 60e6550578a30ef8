import * as assert from "assert";
import { GlusterCluster, GlusterClusterArgs } from "../../components";
import { ChildNames, childNames } from "../../components/names";
import { runProgram, threeRemoteNodes } from "../helpers";

/** Every name the table can make for these nodes (host ids are "local" or a node's name). */
function everyTableName(names: ChildNames, nodes: string[], clients: string[], mounts: string[] = []): Set<string> {
    const out = new Set<string>();
    for (const h of ["local", ...nodes]) for (const f of [names.engine, names.docker, names.image, names.firewall, names.firewallSettle]) out.add(f(h));
    for (const f of [
        names.identity,
        names.preflight,
        names.network,
        names.pool,
        names.probeBack,
        names.volume,
        names.rancherNodes,
        names.rancherNamespace,
        names.mountContract,
        names.nodeMountCheck,
        names.tlsSecret,
        names.provisionerNamespace,
        names.provisionerRepo,
        names.provisionerApp,
    ])
        out.add(f());
    for (const n of nodes) {
        for (const f of [names.container, names.ready, names.data, names.probe, names.probeBackOf]) out.add(f(n));
        for (const role of ["state", "bricks", "logs"] as const) out.add(names.storage(n, role));
        for (const f of [names.tlsNodeKey, names.tlsNodeRequest, names.tlsNodeCert, names.tlsFiles]) out.add(f(n));
    }
    for (const role of ["server", "client"] as const) for (const f of [names.tlsCaKey, names.tlsCa]) out.add(f(role));
    for (const c of clients) for (const f of [names.tlsClientKey, names.tlsClientRequest, names.tlsClientCert]) out.add(f(c));
    for (const m of mounts) out.add(names.nodeMount(m));
    return out;
}

async function childrenOf(args: GlusterClusterArgs): Promise<string[]> {
    const { rec } = await runProgram(() => {
        const c = new GlusterCluster("gluster", args);
        return { servers: c.servers, poolMembers: c.poolMembers };
    });
    return rec.records.filter((r) => r.type !== "pulumi:pulumi:Stack" && r.type !== "glusterfs:index:GlusterCluster").map((r) => r.name);
}

/** Like threeRemoteNodes' nodes, on 10.10.0.4: a fourth node, which joins the pool only. */
function fourthRemoteNode() {
    const { host } = threeRemoteNodes()[0];
    return { name: "g4", address: "10.10.0.4", host: { dockerHost: "ssh://root@10.10.0.4", ssh: { ...host.ssh, host: "10.10.0.4" } } };
}

const rancher = { clusterId: "c-m-abcdefgh", createNamespace: true, projectId: "c-m-abcdefgh:p-xyz12", allowClusterNodes: true };

describe("child names", () => {
    const cases: Array<[string, GlusterClusterArgs]> = [
        ["container mode, four nodes, Rancher", { nodes: ["gluster-0", "gluster-1", "gluster-2", "gluster-3"].map((name) => ({ name })), rancher }],
        [
            "host mode, four remote hosts, Rancher",
            {
                networkMode: "host",
                clientCidrs: ["10.0.5.0/24"],
                nodes: [...threeRemoteNodes(), fourthRemoteNode()],
                rancher,
            },
        ],
        [
            "container mode, TLS with two clients",
            { nodes: ["gluster-0", "gluster-1", "gluster-2"].map((name) => ({ name })), tls: { enabled: true, clients: ["app", "backup"] } },
        ],
    ];
    for (const [what, args] of cases)
        it(`every child's name comes from the one table, and no two children share one (${what})`, async () => {
            const names = await childrenOf(args);
            const nodes = args.nodes.map((n) => n.name);
            const table = everyTableName(
                childNames("gluster"),
                nodes,
                // With TLS (host mode's default), the Rancher cluster has an identity of its own.
                [...(args.tls?.clients ?? []), ...(args.rancher && args.networkMode === "host" ? [`rancher-${args.rancher.clusterId}`] : [])],
                (args.rancher?.nodeMounts ?? []).map((m) => m.name),
            );
            const stray = names.filter((n) => !table.has(n));
            assert.deepStrictEqual(stray, [], `named outside components/names.ts: ${stray.join(", ")}`);
            assert.strictEqual(new Set(names).size, names.length, `a name is used twice: ${names.join(", ")}`);
            // Every kind of child is here: the pool-only node's steps and the Rancher side too.
            const expectedKinds = args.tls
                ? ["gluster-tls-files-gluster-0", "gluster-tls-client-cert-backup", "gluster-tls-server-ca"]
                : ["gluster-probe-gluster-3", "gluster-probe-g4", "gluster-mount-contract", "gluster-rancher-nodes"].filter((n) => table.has(n));
            for (const expected of expectedKinds) assert.ok(names.includes(expected), `${expected} is missing from ${names.join(", ")}`);
        });
});
