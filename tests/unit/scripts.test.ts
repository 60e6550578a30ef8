import * as assert from "assert";
import { execFileSync } from "child_process";
import {
    detachScript,
    inContainer,
    probeBackScript,
    probeScript,
    readyScript,
    versionFromReadyOutput,
    volumeDeleteScript,
    volumeScript,
} from "../../components/scripts";
import { firewallApplyScript, firewallRemoveScript } from "../../components/firewall";
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
};

const ALL = {
    ready: readyScript({ node: "gluster-0", volumeName: "my_vol", glusterdSeconds: 120, peersSeconds: 120, volumeSeconds: 180 }),
    probe: probeScript({ from: "gluster-0", fromVersion: "11.1", peers: [{ address: "gluster-1", version: "11.1" }, { address: "gluster-2", version: "11.1" }], peersSeconds: 120 }),
    detach: detachScript({ peers: ["gluster-1", "gluster-2"] }),
    probeBack: probeBackScript({ first: "gluster-0", peersSeconds: 120 }),
    volume: volumeScript(VOLUME),
    volumeDelete: volumeDeleteScript({ volumeName: "my_vol" }),
    firewall: firewallApplyScript({ host: "h1", backend: "auto", peers: ["10.0.0.1", "gfs2.example.net"], clients: ["10.0.5.0/24"], ports: { base: 49152, max: 49161 } }),
    firewallRemove: firewallRemoveScript("h1"),
};

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
        for (const v of ["a b", "it's", "$(reboot)", "`id`;x", "tab\there", "new\nline", "'", "\"\\"]) {
            const out = execFileSync("/bin/sh", ["-c", `printf %s ${shq(v)}`]).toString();
            assert.strictEqual(out, v);
        }
    });
});

describe("generated scripts", () => {
    for (const [name, text] of Object.entries(ALL)) {
        it(`${name}: is valid POSIX sh (sh -n)`, () => {
            execFileSync("/bin/sh", ["-n"], { input: text });
        });
        it(`${name}: has no fixed sleep longer than a poll or backoff step`, () => {
            for (const m of text.matchAll(/\bsleep\s+(\S+)/g)) {
                assert.ok(Number(m[1]) <= 1, `sleep ${m[1]} in ${name}`);
            }
        });
    }

    it("run gluster in script mode with XML and judge <opRet>, never the exit code or prose", () => {
        for (const name of ["ready", "probe", "detach", "probeBack", "volume", "volumeDelete"] as const) {
            const text = ALL[name];
            assert.match(text, /gluster --mode=script --xml/);
            const calls = text.split("\n").filter((l) => /\bgluster\s/.test(l) && !/^\s*#/.test(l));
            for (const l of calls) {
                assert.ok(/--mode=script --xml|gluster --version/.test(l), `raw gluster call in ${name}: ${l}`);
            }
            assert.doesNotMatch(text, /grep[^\n]*(Peer in Cluster|Connected|Started)/, `${name} greps prose`);
        }
        assert.match(ALL.volume, /\[ "\$\(xv \/cliOutput\/opErrno\)" = 30806 \]/);
        assert.match(ALL.probe, /30802/);
    });

    it("wait on conditions with a deadline", () => {
        assert.match(ALL.ready, /wait_for "glusterd on "gluster-0" to answer" 120 glusterd_answers/);
        assert.match(ALL.probe, /wait_for 'gluster-1 to be in the cluster and connected' 120 peer_ok gluster-1/);
        assert.match(ALL.volume, /\( wait_for 'gluster-0 to see every brick node in the cluster' 120 node_sees_all gluster-0 gluster-0 gluster-1 gluster-2 \) &/);
        assert.match(ALL.volume, /wait_for "my_vol bricks to be online" 180 bricks_online/);
    });

    it("quote every interpolated value", () => {
        const hostile = volumeScript({ ...VOLUME, options: { "auth.allow": "a b;$(x)" } });
        assert.ok(hostile.includes(`|| set -- "$@" auth.allow 'a b;$(x)'`));
        const probe = probeScript({ from: "g0", fromVersion: "11.1", peers: [{ address: "g1", version: "1'1" }], peersSeconds: 1 });
        assert.match(probe, /'1'\\''1'/);
    });

    it("refuse a peer that runs another GlusterFS version", () => {
        const out = (() => {
            try {
                execFileSync("/bin/sh", ["-c", probeScript({ from: "g0", fromVersion: "11.1", peers: [{ address: "g1", version: "10.3" }], peersSeconds: 1 })], { stdio: "pipe" });
                return "";
            } catch (e: any) {
                return String(e.stderr);
            }
        })();
        assert.match(out, /all nodes must run the same GlusterFS version: g0 runs 11.1, g1 runs 10.3/);
    });

    it("probe peers one after another, and detach them last first", () => {
        const probes = [...ALL.probe.matchAll(/tx peer probe (\S+)/g)].map((m) => m[1]);
        assert.deepStrictEqual(probes, ["gluster-1", "gluster-2"]);
        const detaches = [...ALL.detach.matchAll(/tx peer detach (\S+)/g)].map((m) => m[1]);
        assert.deepStrictEqual(detaches, ["gluster-2", "gluster-1"]);
    });

    it("read the version a ready script printed", () => {
        assert.strictEqual(versionFromReadyOutput("ok: glusterd (0.2 s)\nglusterfs-version: 11.1\nok: peers"), "11.1");
        assert.strictEqual(versionFromReadyOutput("nothing"), "unknown");
    });

    it("wrap a script into one docker exec on the host, quoted once", () => {
        assert.strictEqual(inContainer("gluster-0", "echo 'hi'"), `docker exec gluster-0 sh -c 'echo '\\''hi'\\'''`);
        const out = execFileSync("/bin/sh", ["-c", inContainer("x", "echo 'hi' \"$0\"").replace(/^docker exec x /, "")]).toString();
        assert.strictEqual(out, "hi sh\n");
    });

    it("check the layout of an existing volume and refuse to touch another one", () => {
        assert.match(ALL.volume, /expected=\$\(printf '%s\\n' gluster-0:\/bricks\/my_vol gluster-1:\/bricks\/my_vol gluster-2:\/bricks\/my_vol\)/);
        assert.match(ALL.volume, /exists with another layout.*Nothing was changed/);
    });

    it("reset options that an earlier run managed and this one does not", () => {
        assert.match(ALL.volume, /case ",auth.allow,cluster.quorum-type," in/);
        assert.match(ALL.volume, /tx volume reset my_vol "\$key"/);
    });
});
