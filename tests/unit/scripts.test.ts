import { adoptScript, reclaimCheckScript, reclaimHostScript, rejoinBrickScript, rejoinProbeScript } from "../../components/gluster/reclaim";
import { nodeMountCheckScript, nodeMountScript, nodeUnmountScript } from "../../components/nodeMount";
import { tlsFilesInnerScript, tlsFilesPlainScript } from "../../components/tlsFiles";
import { switchRestartScript, switchStartScript, switchStopScript } from "../../components/tlsSwitch";
import { resolveSpec } from "../../components/spec";
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import { inContainer, inContainerIfPresent } from "../../components/gluster/exec";
import { detachScript, probeBackScript, probeScript } from "../../components/gluster/pool";
import { goGateScript, readyDeleteScript, readyScript, versionFromReadyOutput } from "../../components/gluster/ready";
import { volumeDeleteScript, volumeScript } from "../../components/gluster/volume";
import { preflightScript, wholeBeforeRoll } from "../../components/gluster/whole";
import { firewallApplyScript, firewallRemoveScript, firewallRulesScript } from "../../components/firewall";
import { engineScript } from "../../components/engine";
import { dataCreateScript, dataDeleteScript } from "../../components/data";
import { shq } from "../../components/shell";

const VOLUME = {
    volumeName: "my_vol",
    servers: ["gluster-0", "gluster-1", "gluster-2"],
    brickPath: "/bricks/my_vol",
    options: { "auth.allow": "gluster-0,gluster-1,gluster-2,10.0.5.0/24", "cluster.quorum-type": "auto" },
    globalOptions: { "cluster.server-quorum-ratio": "51%" },
    ports: { base: 49152, max: 49161 },
    peersSeconds: 120,
    volumeSeconds: 180,
    healSeconds: 3600,
    mayCreate: true,
    owner: "0123456789abcdef",
};

const PREFLIGHT = {
    cluster: "gluster",
    container: "gluster-0",
    fingerprint: "abc",
    volumeName: "my_vol",
    bricks: ["gluster-0:/bricks/my_vol"],
    glusterdSeconds: 120,
    healSeconds: 3600,
    state: { volume: "gluster-gluster-0-state" },
    declared: ["gluster-0", "gluster-1", "gluster-2"],
};
const GO = {
    name: "gluster-1",
    address: "gluster-1",
    volumeName: "my_vol",
    glusterdSeconds: 120,
    healSeconds: 3600,
    declared: ["gluster-0", "gluster-1", "gluster-2"],
};
const FIREWALL = {
    host: "h1",
    backend: "auto" as const,
    peers: ["10.0.0.1"],
    clients: ["10.0.5.0/24"],
    ports: { base: 49152, max: 49161 },
    owner: "tok",
    claim: "glusterfs/prod/gluster",
    cluster: "gluster",
};

/** Every generated script, built inside the test that reads it (not while the file loads). */
const RECLAIM = {
    name: "gluster-2",
    address: "gluster-2",
    others: ["gluster-0", "gluster-1"],
    volumeName: "my_vol",
    brick: "/bricks/my_vol",
    tlsCert: "/var/lib/glusterd/tls/glusterfs.pem",
    glusterdSeconds: 120,
    peersSeconds: 120,
    volumeSeconds: 180,
};

const SWITCH = resolveSpec("gluster", {
    volumeName: "my_vol",
    nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }],
    tls: { enabled: true, clients: ["app"], acceptOutage: true },
});

const all = () => ({
    ready: readyScript({
        name: "gluster-0",
        address: "gluster-0",
        others: ["gluster-1", "gluster-2"],
        volumeName: "my_vol",
        glusterdSeconds: 120,
        peersSeconds: 120,
        volumeSeconds: 180,
        healSeconds: 3600,
    }),
    probe: probeScript({
        from: { address: "gluster-0", version: "11.1" },
        peers: [
            { address: "gluster-1", version: "11.1" },
            { address: "gluster-2", version: "11.1" },
        ],
        peersSeconds: 120,
        owner: "tok",
    }),
    detach: detachScript({ peers: ["gluster-1", "gluster-2"], owner: "tok" }),
    probeBack: probeBackScript({ first: "gluster-0", peersSeconds: 120 }),
    volume: volumeScript(VOLUME),
    volumeUpdate: volumeScript({ ...VOLUME, mayCreate: false }),
    volumeDelete: volumeDeleteScript({ volumeName: "my_vol", owner: "tok" }),
    firewall: firewallApplyScript(FIREWALL),
    firewallRemove: firewallRemoveScript("h1", "tok"),
    presentOnly: inContainerIfPresent("gluster-0", "echo hi"),
    reclaimCheck: reclaimCheckScript(RECLAIM),
    reclaimAdopt: adoptScript(RECLAIM),
    reclaimProbe: rejoinProbeScript(RECLAIM),
    reclaimBrick: rejoinBrickScript(RECLAIM),
    reclaimHost: reclaimHostScript(RECLAIM, "echo ready", "echo start"),
    tlsSwitchStop: switchStopScript(SWITCH),
    tlsSwitchRestart: switchRestartScript(SWITCH, "gluster-1"),
    tlsSwitchStart: switchStartScript(SWITCH),
    tlsSwitchStopOff: switchStopScript(SWITCH, "off"),
    tlsSwitchRestartOff: switchRestartScript(SWITCH, "gluster-1", "off"),
    tlsSwitchStartOff: switchStartScript(SWITCH, "off"),
    preflight: preflightScript(PREFLIGHT),
    preflightHostTls: preflightScript({ ...PREFLIGHT, state: { dir: "/data/glusterfs/glusterd" }, tlsExpected: true }),
    tlsFilesPlain: tlsFilesPlainScript(resolveSpec("gluster", { nodes: [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }] }).nodes[0]),
    preflightWhole: wholeBeforeRoll(PREFLIGHT),
    readyDelete: readyDeleteScript(GO),
    goGate: goGateScript(GO),
    firewallRules: firewallRulesScript(FIREWALL),
    engine: engineScript("gfs1.example.net"),
    dataCreate: dataCreateScript("/data/glusterfs", ["/data/glusterfs/glusterd", "/data/glusterfs/bricks"], "tok", "/data/glusterfs/bricks", "g1 (gfs1)"),
    dataDelete: dataDeleteScript("/data/glusterfs", ["/data/glusterfs/glusterd"], "tok"),
    nodeMount: nodeMountScript({
        node: "k1",
        volumeName: "my_vol",
        source: "gluster-0:/my_vol",
        mountPoint: "/mnt/my_vol",
        options: "backup-volfile-servers=gluster-1:gluster-2",
        serverVersion: "11.1",
    }),
    nodeUnmount: nodeUnmountScript({ node: "k1", mountPoint: "/mnt/my_vol" }),
    nodeMountCheck: nodeMountCheckScript(["10.0.0.1", "10.0.0.2"], [{ name: "k1", address: "10.0.0.1" }]),
    tlsFiles: tlsFilesInnerScript("gluster-0"),
});

describe("shell quoting", () => {
    const cases: Array<[string, string]> = [
        ["gluster-0", "gluster-0"],
        ["/bricks/my_vol", "/bricks/my_vol"],
        ["51%", "51%"],
        ["", "''"],
        ["a b", "'a b'"],
        ["it's", `'it'\\''s'`],
        ["$(reboot)", "'$(reboot)'"],
        ["`id`;x", "'`id`;x'"],
    ];
    for (const [input, quoted] of cases) {
        it(`quotes ${JSON.stringify(input)} as ${quoted}`, () => assert.strictEqual(shq(input), quoted));
    }
    it("gives back exactly the value through a real shell", () => {
        for (const v of ["a b", "it's", "$(reboot)", "`id`;x", "tab\there", "new\nline", "'", '"\\']) {
            const out = execFileSync("/bin/sh", ["-c", `printf %s ${shq(v)}`]).toString();
            assert.strictEqual(out, v);
        }
    });
});

describe("generated scripts", () => {
    const names = [
        "ready",
        "probe",
        "detach",
        "probeBack",
        "volume",
        "volumeUpdate",
        "volumeDelete",
        "firewall",
        "firewallRemove",
        "presentOnly",
        "reclaimCheck",
        "reclaimAdopt",
        "reclaimProbe",
        "reclaimBrick",
        "reclaimHost",
        "tlsSwitchStop",
        "tlsSwitchRestart",
        "tlsSwitchStart",
        "tlsSwitchStopOff",
        "tlsSwitchRestartOff",
        "tlsSwitchStartOff",
        "preflight",
        "preflightWhole",
        "preflightHostTls",
        "tlsFilesPlain",
        "readyDelete",
        "goGate",
        "firewallRules",
        "engine",
        "dataCreate",
        "dataDelete",
        "nodeMount",
        "nodeUnmount",
        "nodeMountCheck",
        "tlsFiles",
    ] as const;
    it("covers every generated script", () => assert.deepStrictEqual([...names].sort(), Object.keys(all()).sort()));
    for (const name of names) {
        it(`${name}: is valid POSIX sh (sh -n)`, () => {
            execFileSync("/bin/sh", ["-n"], { input: all()[name] });
        });
        it(`${name}: passes ShellCheck at warning level, as POSIX sh`, () => {
            const r = spawnSync("shellcheck", ["--shell=sh", "--severity=warning", "--format=gcc", "-"], { input: all()[name], encoding: "utf8" });
            assert.ok(!r.error, `shellcheck did not run (${r.error?.message}); npm test checks that it is installed`);
            assert.strictEqual(r.stdout, "", `ShellCheck on ${name}:\n${r.stdout}`);
            assert.strictEqual(r.status, 0);
        });
        it(`${name}: has no fixed sleep longer than a poll or backoff step`, () => {
            for (const m of all()[name].matchAll(/\bsleep\s+(\S+)/g)) {
                assert.ok(Number(m[1]) <= 1, `sleep ${m[1]} in ${name}`);
            }
        });
    }

    it("run gluster in script mode with XML and judge <opRet>, never the exit code or prose", () => {
        for (const name of ["ready", "probe", "detach", "probeBack", "volume", "volumeDelete", "preflight"] as const) {
            const text = all()[name];
            assert.match(text, /gluster --mode=script --xml --timeout="\$cli_timeout" -- "\$@"/);
            const calls = text.split("\n").filter((l) => /(^\s*|\$\(\s*|[;|&{]\s*)gluster (--|peer|volume|pool)/.test(l) && !/^\s*#/.test(l));
            for (const l of calls) {
                assert.ok(/--mode=script --xml .*-- "\$@"|gluster --version/.test(l), `raw gluster call in ${name}: ${l}`);
            }
            assert.doesNotMatch(text, /grep[^\n]*(Peer in Cluster|Connected|Started)/, `${name} greps prose`);
        }
        assert.match(all().volume, /concat\(\/cliOutput\/opRet, '\/', \/cliOutput\/opErrno, /);
        assert.match(all().volume, /\[ "\$errno" = 30806 \]/);
        assert.match(all().probe, /30802/);
    });

    it("wait on conditions with a deadline", () => {
        assert.match(all().ready, /wait_for "glusterd on gluster-0 to answer" 120 glusterd_answers/);
        assert.match(all().probe, /wait_for 'gluster-1 to be in the cluster and connected' 120 peer_ok gluster-1/);
        assert.match(all().volume, /wait_for "every brick node to see every other in the cluster" 120 mesh_ok/);
        assert.match(all().volume, /wait_for "my_vol bricks to be online" 180 bricks_online/);
    });

    it("quote every interpolated value", () => {
        const hostile = volumeScript({ ...VOLUME, options: { "auth.allow": "a b;$(x)" } });
        assert.ok(hostile.includes(`|| set -- "$@" auth.allow 'a b;$(x)'`));
        const probe = probeScript({ from: { address: "g0", version: "11.1" }, peers: [{ address: "g1", version: "1'1" }], peersSeconds: 1, owner: "t" });
        assert.match(probe, /'1'\\''1'/);
    });

    it("refuse a peer that runs another GlusterFS major version, or one whose version cannot be told; 11.1 and 11.2 go together", () => {
        const stderrOf = (from: string, peer: string) => {
            try {
                execFileSync(
                    "/bin/sh",
                    [
                        "-c",
                        probeScript({ from: { address: "g0", version: from }, peers: [{ address: "g1", version: peer }], peersSeconds: 1, owner: "t" }).replace(
                            /^cli_timeout=1$[\s\S]*/m,
                            "echo versions-ok",
                        ),
                    ],
                    { stdio: "pipe" },
                );
                return "";
            } catch (e: any) {
                return String(e.stderr);
            }
        };
        assert.match(stderrOf("11.1", "10.3"), /all nodes must run the same GlusterFS major version: g0 runs 11.1, g1 runs 10.3/);
        assert.match(stderrOf("11.1", ""), /cannot tell which GlusterFS version g1 runs \(its ready step printed: nothing\)/);
        assert.match(stderrOf("11.1", "unknown"), /cannot tell which GlusterFS version g1 runs/);
        assert.strictEqual(stderrOf("11.1", "11.2"), "");
    });

    it("probe peers one after another, and detach them last first", () => {
        const probes = [...all().probe.matchAll(/tx peer probe (\S+)/g)].map((m) => m[1]);
        assert.deepStrictEqual(probes, ["gluster-1", "gluster-2"]);
        const detaches = [...all().detach.matchAll(/tx peer detach ([\w.-]+)/g)].map((m) => m[1]);
        assert.deepStrictEqual(detaches, ["gluster-2", "gluster-1"]);
    });

    it("read the version a ready script printed", () => {
        assert.strictEqual(versionFromReadyOutput("ok: glusterd (0.2 s)\nglusterfs-version: 11.1\nok: peers"), "11.1");
        assert.strictEqual(versionFromReadyOutput("nothing"), "");
    });

    it("wrap a script into one docker exec on the host, quoted once", () => {
        assert.strictEqual(inContainer("gluster-0", "echo 'hi'"), `docker exec gluster-0 sh -c 'echo '\\''hi'\\'''`);
        const out = execFileSync("/bin/sh", ["-c", inContainer("x", "echo 'hi' \"$0\"").replace(/^docker exec x /, "")]).toString();
        assert.strictEqual(out, "hi sh\n");
    });

    it("check the bricks of an existing volume as a set and refuse to touch another layout, never advising to remove a volume", () => {
        assert.match(all().volume, /expected='gluster-0:\/bricks\/my_vol gluster-1:\/bricks\/my_vol gluster-2:\/bricks\/my_vol'/);
        assert.match(all().volume, /actual=\$\(xl '\/\/volume\/bricks\/brick\/name\/text\(\)'\)/);
        assert.match(all().volume, /this program wants replica 3 on .*Nothing was changed/);
        for (const text of [all().volume, all().volumeUpdate]) assert.doesNotMatch(text, /remove (that|the) volume/i);
    });

    it("reset options that an earlier run managed and this one does not", () => {
        assert.match(all().volume, /managed=auth\.allow,cluster\.quorum-type,cluster\.server-quorum-ratio\n[\s\S]*case ",\$managed," in/);
        assert.match(all().volume, /tx volume reset my_vol "\$key"/);
    });
});
