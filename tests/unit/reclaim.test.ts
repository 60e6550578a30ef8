/**
 * A host rebuilt in place (`rebuilt: true`): the check that decides whether the node takes
 * back the UUID its peers know it by, against the stand-in `gluster` and recorded GlusterFS
 * 11.1 replies; and the host-side sequence around it. The live suite (changes.test.ts 7a)
 * walks the whole sequence against real glusterd.
 */
import * as assert from "assert";
import { reclaimCheckScript, reclaimHostScript, ReclaimParams } from "../../components/gluster/reclaim";
import { fixture, runWithGluster, xml } from "./glusterStandIn";

const U0 = "74ef5fff-07be-433e-8442-c25c2753660c";
const U2 = "716f9033-7c77-4605-8730-08a7bd97d14e";
const NEW = "0d8b2f4e-6a51-4c1e-9f0a-3b7c5d2e1a99";
const INFO = (uuid: string) => ({ files: { "glusterd.info": `UUID=${uuid}\noperating-version=110000\n` } });

/** rec-2, rebuilt: its brick is lost, rec-0 and rec-1 are whole. The recorded peer status is rec-0's. */
const P: ReclaimParams = {
    name: "rec-2",
    address: "rec-2",
    others: ["rec-0", "rec-1"],
    volumeName: "vol",
    brick: "/nonexistent-brick-dir/vol",
    glusterdSeconds: 0,
    peersSeconds: 0,
    volumeSeconds: 0,
};
const NO_VOLUMES = xml(`<opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volList><count>0</count></volList>`);
const FRESH = {
    "pool list": fixture("pool-list-alone"),
    "@rec-0 peer status": fixture("peer-status"),
    "volume list": NO_VOLUMES,
    "@rec-0 volume info vol": fixture("volume-info"),
    // rec-2's peer is not connected: its brick is left out of the status.
    "@rec-0 volume status vol": fixture("volume-status-one-down"),
};

describe("a host rebuilt in place", () => {
    it("a fresh node whose address a peer knows under another UUID, with the other bricks online, is to take that UUID back", () => {
        const r = runWithGluster(reclaimCheckScript(P), FRESH, INFO(NEW));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^reclaim: ${U2} rec-0$`, "m"));
        // Only reads: nothing is changed by the check.
        assert.deepStrictEqual(r.calls, ["pool list", "@rec-0 peer status", "volume list", "@rec-0 volume info vol", "@rec-0 volume status vol"]);
    });

    it("a run that took back the UUID and failed before the brick was reset is taken up again", () => {
        const r = runWithGluster(
            reclaimCheckScript(P),
            { ...FRESH, "pool list": fixture("pool-list") },
            { files: { ...INFO(U2).files, "glusterfs-cluster/reclaim": `${U2} rec-0\n` } },
        );
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^reclaim: ${U2} rec-0$`, "m"));
        assert.deepStrictEqual(r.calls, ["pool list"]);
    });

    it("a peer slow to answer is asked again; with one silent, the node is not judged (the check fails rather than pass it as new)", () => {
        const slow = runWithGluster(reclaimCheckScript({ ...P, peersSeconds: 1 }), { ...FRESH, "@rec-0 peer status": ["", fixture("peer-status")] }, INFO(NEW));
        assert.strictEqual(slow.code, 0, slow.stderr);
        assert.match(slow.stdout, new RegExp(`^reclaim: ${U2} rec-0$`, "m"));
        const silent = runWithGluster(reclaimCheckScript(P), { ...FRESH, "@rec-0 peer status": "", "@rec-1 peer status": "" }, INFO(NEW));
        assert.strictEqual(silent.code, 1);
        assert.match(silent.stderr, /gave up after 0 s waiting for the other nodes to say whom they know at rec-2 \(last seen: no answer from rec-0 rec-1\)/);
        assert.doesNotMatch(silent.stdout, /reclaim:/);
    });

    it("a node its peers know by its own UUID is left alone", () => {
        const r = runWithGluster(reclaimCheckScript(P), FRESH, INFO(U2));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout, /reclaim:/);
        assert.deepStrictEqual(r.calls, ["pool list", "@rec-0 peer status", "@rec-1 peer status"]);
    });

    it("a node with peers of its own is not fresh: nothing to take back", () => {
        const r = runWithGluster(reclaimCheckScript(P), { ...FRESH, "pool list": fixture("pool-list") }, INFO(NEW));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout, /reclaim:/);
        assert.deepStrictEqual(r.calls, ["pool list"]);
    });

    it("is refused, touching nothing, while another brick is offline: the brick could not be refilled safely", () => {
        const twoDown = fixture("volume-status-one-down").replace(/<status>1<\/status>(\s*)<port>49153<\/port>/, "<status>0</status>$1<port>N/A</port>");
        assert.notStrictEqual(twoDown, fixture("volume-status-one-down"));
        const r = runWithGluster(reclaimCheckScript(P), { ...FRESH, "@rec-0 volume status vol": twoDown }, INFO(NEW));
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /1 of the 2 other bricks of vol are online[\s\S]*Nothing was changed/);
        assert.doesNotMatch(r.stdout, /reclaim:/);
    });

    it("is refused when the peer lists no brick of the node under that UUID", () => {
        const r = runWithGluster(reclaimCheckScript(P), { ...FRESH, "@rec-0 volume info vol": fixture("volume-info").split(U2).join(U0) }, INFO(NEW));
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, new RegExp(`rec-0 lists no brick of rec-2 \\(UUID ${U2}\\) in vol`));
    });

    it("is refused for a node that knows a volume but no peer: not a fresh one", () => {
        const oneVolume = xml(`<opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volList><count>1</count><volume>vol</volume></volList>`);
        const r = runWithGluster(reclaimCheckScript(P), { ...FRESH, "volume list": oneVolume }, INFO(NEW));
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /rec-2 knows a volume but no peer/);
    });

    it("with TLS, refuses first when the node's certificate went with its state, naming the step to replace", () => {
        const r = runWithGluster(reclaimCheckScript({ ...P, tlsCert: "/nonexistent-tls/glusterfs.pem" }), FRESH, INFO(NEW));
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /rec-2's TLS files went with its state[\s\S]*--replace[\s\S]*tls-files-rec-2/);
        assert.deepStrictEqual(r.calls, []);
    });

    it("on the host: the UUID is taken back and the container restarted twice, in that order, before the ready step as for a restarted node", () => {
        const s = reclaimHostScript(P, "READY-RECHECK", "READY-START");
        const order = [
            "reclaim: ",
            "has UUID $1 again",
            "docker restart -t 60 rec-2",
            "peer probe",
            "docker restart -t 60 rec-2",
            "reset-brick",
            "READY-START",
        ];
        let at = 0;
        for (const step of order) {
            const i = s.indexOf(step, at);
            assert.ok(i >= at, `${step} is not after the step before it`);
            at = i + step.length;
        }
        // Without a verdict, only the given ready script runs.
        assert.match(s, /fi\ndocker exec rec-2 sh -c READY-RECHECK\n$/);
    });
});
