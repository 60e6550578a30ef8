/**
 * The gluster scripts, run against a stand-in `gluster` that replays replies recorded from
 * GlusterFS 11.1 (tests/unit/fixtures/gluster/record.sh): what they ask, in what order, what
 * they change, and how they exit, situation by situation. The live suite walks the same
 * scripts against real glusterd, but only on the paths its scenarios take. Deadlines are 0 s
 * (one look) unless a test waits for something to change.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { detachScript, probeBackScript, probeScript } from "../../components/gluster/pool";
import { readyDeleteScript, readyScript, ReadyParams } from "../../components/gluster/ready";
import { MANAGED_OPTIONS_KEY, OWNER_KEY, REPLACED_DIR, volumeDeleteScript, volumeScript, VolumeScriptParams } from "../../components/gluster/volume";
import { preflightScript, PreflightParams } from "../../components/gluster/whole";
import { failed, fixture, OK, Replies, runWithGluster, xml } from "./glusterStandIn";

const U0 = "74ef5fff-07be-433e-8442-c25c2753660c";
const U1 = "910c4493-34b1-4263-bf01-94cfc44323b7";
const U2 = "716f9033-7c77-4605-8730-08a7bd97d14e";
const U3 = "0d8b2f4e-6a51-4c1e-9f0a-3b7c5d2e1a99";
const INFO = (uuid: string) => ({ files: { "glusterd.info": `UUID=${uuid}\noperating-version=110000\n` } });

const PEERS = fixture("peer-status");
const PEERS_ONE_DOWN = fixture("peer-status-one-down");

/** `peer status` as `name` sees it: the recorded one is rec-0's; rec-0 takes that node's place. */
function peersSeenBy(name: string, uuid: string, from = PEERS): string {
    return from.split(uuid).join(U0).split(`>${name}<`).join(">rec-0<");
}

/** A peer entry added to a `peer status` reply. */
function withPeer(reply: string, name: string, uuid: string, connected = 1): string {
    const entry = `<peer><uuid>${uuid}</uuid><hostname>${name}</hostname><hostnames><hostname>${name}</hostname></hostnames><connected>${connected}</connected><state>3</state><stateStr>Peer in Cluster</stateStr></peer>`;
    return reply.replace("</peerStatus>", `${entry}</peerStatus>`);
}

/** A `volume get` reply holding one option. */
function option(key: string, value: string): string {
    return xml(
        `<opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volGetopts><count>1</count><Opt><Option>${key}</Option><Value>${value}</Value></Opt></volGetopts>`,
    );
}

/** The heal summary with `entries` pending on rec-1's brick and `split` in split-brain. */
function healWith(entries: number, split = 0): string {
    const summary = fixture("heal-summary");
    const i = summary.indexOf("<name>rec-1:/bricks/vol</name>");
    const tail = summary
        .slice(i)
        .replace("<totalNumberOfEntries>0</totalNumberOfEntries>", `<totalNumberOfEntries>${entries}</totalNumberOfEntries>`)
        .replace("<numberOfEntriesInSplitBrain>0</numberOfEntriesInSplitBrain>", `<numberOfEntriesInSplitBrain>${split}</numberOfEntriesInSplitBrain>`);
    return summary.slice(0, i) + tail;
}

/** Every gluster call that changes something (probe, detach, create, set, reset, start, stop, delete, replace-brick, heal). */
const writes = (calls: string[]) =>
    calls.filter((c) => /^(peer (probe|detach)|volume (create|set|reset|start|stop|delete|replace-brick)|volume heal \S+$)/.test(c));

describe("gluster scripts against recorded GlusterFS 11.1 replies", () => {
    describe("ready", () => {
        const READY: ReadyParams = {
            name: "rec-0",
            address: "rec-0",
            others: ["rec-1", "rec-2"],
            volumeName: "vol",
            glusterdSeconds: 0,
            peersSeconds: 0,
            volumeSeconds: 0,
            healSeconds: 0,
        };
        /** A node that was in the pool, back in a new container, with everything whole. */
        const WHOLE: Replies = {
            "pool list": fixture("pool-list"),
            "peer status": PEERS,
            "@rec-1 peer status": peersSeenBy("rec-1", U1),
            "@rec-2 peer status": peersSeenBy("rec-2", U2),
            "volume info vol": fixture("volume-info"),
            "volume status vol": fixture("volume-status"),
            "volume status vol clients": fixture("volume-status-clients"),
            "volume heal vol info summary": fixture("heal-summary"),
        };

        it("a new node: prints its version, asks the others whether they know its address, and waits for nothing more", () => {
            const r = runWithGluster(readyScript(READY), { "pool list": fixture("pool-list-alone") }, INFO(U0));
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /^glusterfs-version: 11\.1$/m);
            assert.deepStrictEqual(r.calls, ["pool list", "@rec-1 peer status", "@rec-2 peer status"]);
        });

        it("does not ask a node whose name does not resolve yet (not created): the CLI would spend 3 s on it", () => {
            const r = runWithGluster(readyScript(READY), { "pool list": fixture("pool-list-alone") }, { ...INFO(U0), unresolved: ["rec-1", "rec-2"] });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls, ["pool list"]);
        });

        it("refuses a node whose UUID its peers know under another one, naming both and the way out", () => {
            const r = runWithGluster(readyScript(READY), { ...WHOLE, "@rec-2 peer status": peersSeenBy("rec-2", U2).split(U0).join(U3) }, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, new RegExp(`rec-0 came back with a new identity: it is UUID ${U0}, but rec-2 knows rec-0 as UUID ${U3}`));
            assert.match(r.stderr, /Replacing a lost host/);
            assert.deepStrictEqual(writes(r.calls), []);
            // Its state wiped (no peers of its own): the others are asked before anything else.
            const wiped = runWithGluster(
                readyScript(READY),
                { "pool list": fixture("pool-list-alone"), "@rec-2 peer status": peersSeenBy("rec-2", U2).split(U0).join(U3) },
                INFO(U0),
            );
            assert.strictEqual(wiped.code, 1);
            assert.match(wiped.stderr, new RegExp(`rec-0 came back with a new identity: it is UUID ${U0}, but rec-2 knows rec-0 as UUID ${U3}`));
            assert.deepStrictEqual(wiped.calls, ["pool list", "@rec-1 peer status", "@rec-2 peer status"]);
        });

        it("refuses a node without a UUID", () => {
            const r = runWithGluster(readyScript(READY), WHOLE, { files: { "glusterd.info": "operating-version=110000\n" } });
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /glusterd on rec-0 has no UUID/);
        });

        it("a node back in a new container: peers connected and seeing it, its brick online, clients back, heal caught up", () => {
            const r = runWithGluster(readyScript(READY), WHOLE, INFO(U0));
            assert.strictEqual(r.code, 0, r.stderr);
            for (const step of [
                "peers known to rec-0 to be connected",
                "the peers of rec-0 to see it connected",
                "bricks of vol on rec-0 to be online",
                "the clients of vol to reconnect to rec-0",
                "self-heal of vol to catch up after rec-0 came back",
            ]) {
                assert.match(r.stdout, new RegExp(`^ok: ${step} \\(`, "m"));
            }
            assert.deepStrictEqual(writes(r.calls), []);
        });

        it("reads each check's common case, all fine, with one xmllint: the waits poll fast", () => {
            const r = runWithGluster(readyScript(READY), WHOLE, { ...INFO(U0), countXmllint: true });
            assert.strictEqual(r.code, 0, r.stderr);
            // glusterd answers 1, pool 1, peers connected 1, peer list 1, seen by 2 peers 2
            // (which is also where they are asked about its identity), volume info 2, bricks 1,
            // clients 6 (per client address, each other brick's list on its own), heal 1. It took 32.
            assert.strictEqual(r.xmllint, 16);
        });

        it("in recheck mode, checks the identity only", () => {
            const r = runWithGluster(readyScript({ ...READY, mode: "recheck" }), WHOLE, INFO(U0));
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls, ["pool list", "@rec-1 peer status", "@rec-2 peer status"]);
        });

        it("a pool-only node (no brick) is back once its peers see it: no client connects to it", () => {
            const pool = fixture("pool-list").replace(
                "</peerStatus>",
                `<peer><uuid>${U3}</uuid><hostname>rec-3</hostname><connected>1</connected></peer></peerStatus>`,
            );
            const seen = (name: string, uuid: string) => withPeer(peersSeenBy(name, uuid), "rec-3", U3);
            const r = runWithGluster(
                readyScript({ ...READY, name: "rec-3", address: "rec-3", others: ["rec-0", "rec-1", "rec-2"] }),
                {
                    ...WHOLE,
                    "pool list": pool,
                    "@rec-0 peer status": withPeer(PEERS, "rec-3", U3),
                    "@rec-1 peer status": seen("rec-1", U1),
                    "@rec-2 peer status": seen("rec-2", U2),
                },
                INFO(U3),
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /^ok: the clients of vol to reconnect to rec-3/m);
        });

        it("waits for its peers to be connected, and at the deadline says which is not", () => {
            const r = runWithGluster(readyScript(READY), { ...WHOLE, "peer status": PEERS_ONE_DOWN }, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /gave up after 0 s waiting for peers known to rec-0 to be connected \(last seen: rec-2 \(Peer in Cluster, disconnected\)\)/);
        });

        it("waits for a peer to see it connected again", () => {
            const r = runWithGluster(
                readyScript(READY),
                { ...WHOLE, "@rec-2 peer status": peersSeenBy("rec-2", U2).replace(/(<uuid>74ef[^]*?<connected>)1/, "$10") },
                INFO(U0),
            );
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /waiting for the peers of rec-0 to see it connected \(last seen: rec-2 sees rec-0 as Peer in Cluster, disconnected\)/);
        });

        it("a brick that glusterd counts as running but that has no port is not back", () => {
            const noPort = fixture("volume-status").replace(/(<hostname>rec-0<\/hostname>[^]*?<port>)\d+/, "$1N/A");
            const r = runWithGluster(readyScript(READY), { ...WHOLE, "volume status vol": noPort }, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /waiting for bricks of vol on rec-0 to be online \(last seen: 1 local brick\(s\) offline or without a port/);
        });

        it("waits until every client of the other bricks has reconnected to its brick, naming the missing ones", () => {
            const clients = fixture("volume-status-clients");
            const mine = clients.indexOf("<hostname>rec-1</hostname>");
            const dropped = clients.slice(0, mine).replace(/<client>\s*<hostname>172\.27\.0\.4:\d+<\/hostname>[^]*?<\/client>/, "") + clients.slice(mine);
            const r = runWithGluster(readyScript(READY), { ...WHOLE, "volume status vol clients": dropped }, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /waiting for the clients of vol to reconnect to rec-0 \(last seen: clients not yet reconnected: 172\.27\.0\.4 \(0 of 1\)\)/);
        });

        it("counts clients per address: of two mounts on one host, the one that reconnected does not stand for the other", () => {
            // A second mount on 172.27.0.4, connected to rec-1 and rec-2 but not yet to rec-0 (this node).
            const second = `<client><hostname>172.27.0.4:49999</hostname><bytesRead>1</bytesRead><bytesWrite>1</bytesWrite><opVersion>110000</opVersion></client>`;
            const clients = fixture("volume-status-clients");
            const mine = clients.indexOf("<hostname>rec-1</hostname>");
            const others = clients.slice(mine).replace(/<clientsStatus>/g, `<clientsStatus>${second}`);
            const r = runWithGluster(readyScript(READY), { ...WHOLE, "volume status vol clients": clients.slice(0, mine) + others }, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /waiting for the clients of vol to reconnect to rec-0 \(last seen: clients not yet reconnected: 172\.27\.0\.4 \(1 of 2\)\)/);
            // Once it has, rec-0 is back.
            const back = clients.replace(/<clientsStatus>/g, `<clientsStatus>${second}`);
            assert.strictEqual(runWithGluster(readyScript(READY), { ...WHOLE, "volume status vol clients": back }, INFO(U0)).code, 0);
        });

        it("waits for pending heals, asking the self-heal daemon to crawl, and goes on once they are done", () => {
            const r = runWithGluster(
                readyScript({ ...READY, healSeconds: 5 }),
                { ...WHOLE, "volume heal vol info summary": [healWith(4), healWith(4), healWith(0)] },
                INFO(U0),
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(writes(r.calls), ["volume heal vol"]);
            assert.strictEqual(r.calls.filter((c) => c === "volume heal vol info summary").length, 3);
        });

        it("a brick the heal info cannot reach means not yet, never a split-brain", () => {
            const r = runWithGluster(readyScript(READY), { ...WHOLE, "volume heal vol info summary": fixture("heal-summary-one-down") }, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /waiting for self-heal of vol to catch up after rec-0 came back \(last seen: rec-2:\/bricks\/vol: not connected\)/);
            assert.doesNotMatch(r.stderr, /split-brain/);
        });

        it("stops at once on a split-brain: it needs a person", () => {
            const r = runWithGluster(readyScript({ ...READY, healSeconds: 30 }), { ...WHOLE, "volume heal vol info summary": healWith(2, 2) }, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /the volume vol has 2 entries in split-brain; they need a person \(gluster volume heal vol info split-brain\)/);
        });
    });

    describe("volume", () => {
        const VOLUME: VolumeScriptParams = {
            volumeName: "vol",
            servers: ["rec-0", "rec-1", "rec-2"],
            brickPath: "/bricks/vol",
            options: { "cluster.quorum-type": "auto", "network.ping-timeout": "20" },
            globalOptions: {},
            ports: { base: 49152, max: 49161 },
            peersSeconds: 0,
            volumeSeconds: 0,
            healSeconds: 0,
            mayCreate: true,
            owner: "own-1",
            settleSeconds: 0,
        };
        const MESH: Replies = {
            "@rec-0 peer status": PEERS,
            "@rec-1 peer status": peersSeenBy("rec-1", U1),
            "@rec-2 peer status": peersSeenBy("rec-2", U2),
            "peer status": PEERS,
        };
        const EXISTING: Replies = {
            ...MESH,
            "volume info vol": fixture("volume-info"),
            "volume status vol": fixture("volume-status"),
            "volume get vol all": fixture("volume-get-all"),
            [`volume get vol ${MANAGED_OPTIONS_KEY}`]: option(MANAGED_OPTIONS_KEY, "cluster.quorum-type,network.ping-timeout"),
            [`volume get vol ${OWNER_KEY}`]: option(OWNER_KEY, "own-1"),
            "volume get all cluster.op-version": fixture("op-version"),
            "volume get all cluster.max-op-version": fixture("max-op-version"),
        };

        it("creates the volume once every brick node sees every other, sets the options in one transaction, starts it, and checks it whole", () => {
            const r = runWithGluster(
                volumeScript(VOLUME),
                { ...EXISTING, "volume info vol": [fixture("volume-info-absent"), fixture("volume-info-created"), fixture("volume-info")] },
                { ...INFO(U0), countXmllint: true },
            );
            assert.strictEqual(r.code, 0, r.stderr);
            // Each wait's common case is read with one xmllint (the mesh: one per node); it took 40, then 22.
            assert.strictEqual(r.xmllint, 16);
            assert.deepStrictEqual(writes(r.calls), [
                "volume create vol replica 3 rec-0:/bricks/vol rec-1:/bricks/vol rec-2:/bricks/vol",
                `volume set vol cluster.quorum-type auto network.ping-timeout 20 ${MANAGED_OPTIONS_KEY} cluster.quorum-type,network.ping-timeout ${OWNER_KEY} own-1`,
                "volume start vol",
            ]);
            assert.ok(r.calls.indexOf("@rec-2 peer status") < r.calls.indexOf(writes(r.calls)[0]));
            assert.match(r.stdout, /^volume-id: 70049183-f3bb-4d6c-a5a2-f0a2e7b510f8$/m);
            assert.match(r.stdout, /^ok: vol bricks to be online/m);
        });

        it("waits to create until every brick node sees every other", () => {
            const r = runWithGluster(
                volumeScript(VOLUME),
                { ...EXISTING, "volume info vol": fixture("volume-info-absent"), "@rec-1 peer status": peersSeenBy("rec-1", U1, PEERS_ONE_DOWN) },
                INFO(U0),
            );
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /waiting for every brick node to see every other in the cluster/);
            assert.deepStrictEqual(writes(r.calls), []);
            assert.match(r.stderr, /\(last seen: rec-1 sees rec-2 as Peer in Cluster, disconnected\)\n$/);
        });

        it("says which brick node does not answer, or lists a peer twice, while it waits to create", () => {
            const mesh = (reply: string) =>
                runWithGluster(volumeScript(VOLUME), { ...EXISTING, "volume info vol": fixture("volume-info-absent"), "@rec-1 peer status": reply }, INFO(U0));
            const silent = mesh(failed(-1, "Request timed out"));
            assert.strictEqual(silent.code, 1);
            assert.match(silent.stderr, /\(last seen: rec-1: no answer\)\n$/);
            const twice = mesh(withPeer(peersSeenBy("rec-1", U1), "rec-0", U3));
            assert.strictEqual(twice.code, 1);
            assert.match(twice.stderr, /\(last seen: rec-1: a peer is listed twice\)\n$/);
            for (const r of [silent, twice]) assert.deepStrictEqual(writes(r.calls), []);
        });

        it("an existing volume with the same bricks in another order and the options held: changes nothing", () => {
            const r = runWithGluster(
                volumeScript({ ...VOLUME, servers: ["rec-2", "rec-0", "rec-1"], options: { "cluster.quorum-type": "auto" } }),
                {
                    ...EXISTING,
                    "volume get vol all": fixture("volume-get-all"),
                    [`volume get vol ${MANAGED_OPTIONS_KEY}`]: option(MANAGED_OPTIONS_KEY, "cluster.quorum-type"),
                },
                { ...INFO(U0), countXmllint: true },
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /volume vol holds the expected bricks/);
            assert.deepStrictEqual(writes(r.calls), []);
            // What every pulumi up re-runs: each reply read with one xmllint in the common case
            // (the volume's info, its bricks, each option record, the peers, the bricks online); it took 18.
            assert.strictEqual(r.xmllint, 11);
        });

        it("TLS options are set or reset on a started volume only as it runs already (the switch sets server.ssl on a stopped one): else nothing is set", () => {
            const tls = { ...VOLUME.options, "client.ssl": "on", "server.ssl": "on", "auth.ssl-allow": "rec-0,rec-1,rec-2" };
            const plain = runWithGluster(volumeScript({ ...VOLUME, options: tls }), EXISTING, INFO(U0));
            assert.strictEqual(plain.code, 1);
            assert.match(
                plain.stderr,
                /volume vol runs without TLS \(server\.ssl: unset\), and TLS would be set on it outside the switch.*Nothing was changed\. Switch it \(or finish a switch begun\): set tls\.enabled: true and tls\.acceptOutage: true/,
            );
            assert.deepStrictEqual(writes(plain.calls), []);
            const withTls = fixture("volume-info").replace("</options>", "<option><name>server.ssl</name><value>on</value></option></options>");
            const running = runWithGluster(volumeScript({ ...VOLUME, options: tls }), { ...EXISTING, "volume info vol": withTls }, INFO(U0));
            assert.doesNotMatch(running.stderr, /runs without TLS/);
            // A new volume gets them before its first start.
            const created = runWithGluster(
                volumeScript({ ...VOLUME, options: tls }),
                { ...EXISTING, "volume info vol": [fixture("volume-info-absent"), fixture("volume-info-created"), fixture("volume-info")] },
                INFO(U0),
            );
            assert.strictEqual(created.code, 0, created.stderr);
            assert.ok(writes(created.calls).some((c) => c.includes("server.ssl on")));
            // Nor are they reset on a started volume that runs TLS (only the switch off sets server.ssl off first).
            const reset = runWithGluster(volumeScript(VOLUME), { ...EXISTING, "volume info vol": withTls }, INFO(U0));
            assert.strictEqual(reset.code, 1);
            assert.match(
                reset.stderr,
                /volume vol runs with TLS, and its TLS options would be reset outside the switch.*Switch it off \(or finish a switch begun\): set tls\.enabled: false and tls\.acceptOutage: true/,
            );
            assert.deepStrictEqual(writes(reset.calls), []);
            const switchedOff = fixture("volume-info").replace("</options>", "<option><name>server.ssl</name><value>off</value></option></options>");
            assert.strictEqual(runWithGluster(volumeScript(VOLUME), { ...EXISTING, "volume info vol": switchedOff }, INFO(U0)).code, 0);
            // A volume half-way through a switch (its mark still held) is not started or changed outside it.
            const halfWay = switchedOff
                .replace("</options>", "<option><name>user.glusterfs-cluster.tls-switch</name><value>off</value></option></options>")
                .replace(/<statusStr>Started<\/statusStr>/, "<statusStr>Stopped</statusStr>");
            const held = runWithGluster(volumeScript(VOLUME), { ...EXISTING, "volume info vol": halfWay }, INFO(U0));
            assert.strictEqual(held.code, 1);
            assert.match(held.stderr, /stopped half-way through a switch off TLS.*Finish it: set tls\.enabled: false and tls\.acceptOutage: true/);
            assert.deepStrictEqual(writes(held.calls), []);
        });

        it("resets an option an earlier run managed and this one does not, and sets only what differs", () => {
            const r = runWithGluster(
                volumeScript({ ...VOLUME, options: { "cluster.quorum-type": "fixed" } }),
                {
                    ...EXISTING,
                    [`volume get vol ${MANAGED_OPTIONS_KEY}`]: option(MANAGED_OPTIONS_KEY, "cluster.quorum-type,network.ping-timeout"),
                },
                INFO(U0),
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(writes(r.calls), [
                "volume reset vol network.ping-timeout",
                `volume set vol cluster.quorum-type fixed ${MANAGED_OPTIONS_KEY} cluster.quorum-type`,
            ]);
        });

        it("sets each cluster-wide option in a transaction of its own (glusterd applies only the first pair of one)", () => {
            const r = runWithGluster(
                volumeScript({ ...VOLUME, globalOptions: { "cluster.brick-multiplex": "on", "cluster.server-quorum-ratio": "60%" } }),
                EXISTING,
                INFO(U0),
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(
                writes(r.calls).filter((c) => c.startsWith("volume set all")),
                ["volume set all cluster.brick-multiplex on", "volume set all cluster.server-quorum-ratio 60%"],
            );
        });

        it("retries an operation while another transaction holds the cluster lock", () => {
            const busy = failed(30802, "Another transaction is in progress for vol. Please try again after some time.");
            const r = runWithGluster(
                volumeScript(VOLUME),
                { ...EXISTING, "volume info vol": [fixture("volume-info-created"), fixture("volume-info")], "volume start vol": [busy, busy, OK] },
                INFO(U0),
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.calls.filter((c) => c === "volume start vol").length, 3);
            // Backing off: 0.1 s after the first refusal, 0.2 s after the second.
            assert.deepStrictEqual(r.sleeps, ["0.1", "0.2"]);
        });

        it("fails with glusterd's reason when an operation fails for good", () => {
            const r = runWithGluster(
                volumeScript(VOLUME),
                { ...EXISTING, "volume info vol": fixture("volume-info-created"), "volume start vol": failed(30800, "Commit failed on rec-2") },
                INFO(U0),
            );
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /volume start vol: Commit failed on rec-2 \(opErrno 30800\)/);
        });

        it("refuses to create a volume in place of this stack's vanished one", () => {
            const r = runWithGluster(
                volumeScript({ ...VOLUME, mayCreate: false }),
                { ...EXISTING, "volume info vol": fixture("volume-info-absent") },
                INFO(U0),
            );
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /volume vol was created by this stack and no longer exists\. Refusing to create a new, empty volume/);
            assert.deepStrictEqual(writes(r.calls), []);
        });

        it("refuses an existing volume with other bricks, naming both layouts", () => {
            const r = runWithGluster(volumeScript({ ...VOLUME, servers: ["rec-9", "rec-1", "rec-0"] }), EXISTING, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(
                r.stderr,
                /volume vol has replica 3 on rec-0:\/bricks\/vol rec-1:\/bricks\/vol rec-2:\/bricks\/vol; this program wants replica 3 on rec-0:\/bricks\/vol rec-1:\/bricks\/vol rec-9:\/bricks\/vol\. Nothing was changed\. If it is not this stack's volume, choose another volumeName\./,
            );
            assert.deepStrictEqual(writes(r.calls), []);
        });

        it("refuses two bricks replaced in one update", () => {
            const r = runWithGluster(volumeScript({ ...VOLUME, mayCreate: false, servers: ["rec-0", "rec-8", "rec-9"] }), EXISTING, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /Only one brick can be replaced per update/);
            assert.deepStrictEqual(writes(r.calls), []);
        });

        /** rec-2 lost, rec-3 in its place: the volume step with `options`, against replies that follow the move. */
        function lostHost(options: Record<string, string> = VOLUME.options) {
            const after = fixture("volume-info").split("rec-2:").join("rec-3:").split(U2).join(U3);
            const peers = withPeer(PEERS_ONE_DOWN, "rec-3", U3);
            return runWithGluster(
                volumeScript({ ...VOLUME, mayCreate: false, servers: ["rec-0", "rec-1", "rec-3"], options }),
                {
                    ...EXISTING,
                    "volume info vol": [fixture("volume-info"), after],
                    "peer status": [
                        peers,
                        peers,
                        peers,
                        withPeer(PEERS, "rec-3", U3),
                        fixture("peer-status")
                            .replace(/<peer>\s*<uuid>716f[^]*?<\/peer>/, "")
                            .replace("</peerStatus>", "")
                            .replace("</peerStatus>", "") + "</peerStatus></cliOutput>",
                    ],
                    "volume status vol": fixture("volume-status").split("rec-2").join("rec-3").split(U2).join(U3),
                    "volume heal vol info summary": fixture("heal-summary"),
                },
                INFO(U0),
            );
        }

        it("a lost host: moves its brick to the new node with replace-brick, waits for the heal, then detaches the old node", () => {
            const r = lostHost();
            assert.strictEqual(r.code, 0, r.stderr);
            const w = writes(r.calls);
            assert.strictEqual(w[0], "volume replace-brick vol rec-2:/bricks/vol rec-3:/bricks/vol commit force");
            assert.ok(w.includes("peer detach rec-2"), w.join("\n"));
            assert.ok(r.calls.indexOf("volume heal vol info summary") < r.calls.indexOf("peer detach rec-2"));
            assert.ok(!fs.existsSync(`${r.state}${REPLACED_DIR.replace("/var/lib/glusterd", "")}/hosts`));
        });

        it("a lost host with TLS: the new node's name is allowed (auth.ssl-allow) before its brick takes the old one's place", () => {
            const r = lostHost({ ...VOLUME.options, "auth.ssl-allow": "app,rec-0,rec-1,rec-3" });
            assert.strictEqual(r.code, 0, r.stderr);
            const w = writes(r.calls);
            const allow = w.indexOf("volume set vol auth.ssl-allow app,rec-0,rec-1,rec-3");
            assert.ok(allow >= 0, w.join("\n"));
            assert.ok(allow < w.indexOf("volume replace-brick vol rec-2:/bricks/vol rec-3:/bricks/vol commit force"), w.join("\n"));
        });

        it("a lost host: refuses to drop its brick for an empty one while a brick that stays is offline; while the brick that goes still serves, waits for self-heal first", () => {
            const peers = withPeer(PEERS, "rec-3", U3);
            const replies = { ...EXISTING, "peer status": peers, "volume heal vol info summary": fixture("heal-summary") };
            const lost = { ...VOLUME, mayCreate: false, servers: ["rec-0", "rec-1", "rec-3"] };
            const survivorDown = runWithGluster(
                volumeScript(lost),
                { ...replies, "volume status vol": fixture("volume-status").replace(/(<hostname>rec-1<\/hostname>[^]*?<status>)1/, "$10") },
                INFO(U0),
            );
            assert.strictEqual(survivorDown.code, 1);
            assert.match(
                survivorDown.stderr,
                /the bricks that stay must be online before rec-2:\/bricks\/vol is replaced by an empty brick \(self-heal fills it from them\); offline on: rec-1\. Start them, then run pulumi up again\. Nothing was changed\./,
            );
            assert.deepStrictEqual(writes(survivorDown.calls), []);
            // rec-2 still serves (a migration, its node alive): something left to heal keeps its brick.
            const pending = runWithGluster(
                volumeScript(lost),
                {
                    ...replies,
                    "volume status vol": fixture("volume-status"),
                    "volume heal vol info summary": fixture("heal-summary").replace(/<totalNumberOfEntries>0</, "<totalNumberOfEntries>4<"),
                },
                INFO(U0),
            );
            assert.strictEqual(pending.code, 1);
            assert.match(pending.stderr, /self-heal of vol to catch up before the brick rec-2:\/bricks\/vol is dropped/);
            assert.ok(!writes(pending.calls).some((c) => c.startsWith("volume replace-brick")), pending.calls.join("\n"));
        });

        it("refuses a new brick on a host that already holds one", () => {
            const r = runWithGluster(
                volumeScript({ ...VOLUME, mayCreate: false, brickPath: "/bricks/vol", servers: ["rec-0", "rec-1", "rec-1"] }),
                EXISTING,
                INFO(U0),
            );
            assert.strictEqual(r.code, 1);
            assert.deepStrictEqual(writes(r.calls), []);
        });

        it("says the volume is degraded when a brick node is not connected, after applying the options", () => {
            const r = runWithGluster(
                volumeScript({ ...VOLUME, options: { "cluster.quorum-type": "fixed" } }),
                { ...EXISTING, "peer status": PEERS_ONE_DOWN, "volume status vol": fixture("volume-status-one-down") },
                INFO(U0),
            );
            assert.strictEqual(r.code, 1);
            assert.match(
                r.stderr,
                /the volume vol is degraded: these brick nodes are not connected peers: rec-2 \(Peer in Cluster, disconnected\)\. What this step changed above was applied\./,
            );
            assert.ok(writes(r.calls).includes(`volume set vol cluster.quorum-type fixed ${MANAGED_OPTIONS_KEY} cluster.quorum-type`), r.calls.join("\n"));
            assert.ok(!writes(r.calls).includes("volume start vol"));
        });

        it("refuses a brick listening outside the pinned port range", () => {
            const r = runWithGluster(volumeScript({ ...VOLUME, ports: { base: 49152, max: 49155 } }), EXISTING, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /a brick of vol listens outside the pinned range 49152-49155/);
        });

        it("polls again after a reply that says nothing (a CLI timeout) instead of reading it as a brick outside the range", () => {
            const r = runWithGluster(
                volumeScript({ ...VOLUME, volumeSeconds: 5 }),
                { ...EXISTING, "volume status vol": ["", fixture("volume-status")] },
                INFO(U0),
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.doesNotMatch(r.stderr, /outside the pinned range/);
        });

        it("waits for every brick to be online, and at the deadline says how many are", () => {
            const r = runWithGluster(volumeScript(VOLUME), { ...EXISTING, "volume status vol": fixture("volume-status-one-down") }, INFO(U0));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /waiting for vol bricks to be online \(last seen: 2 of 3 bricks online\)/);
        });

        it("raises the cluster op-version once every node can go further", () => {
            const r = runWithGluster(
                volumeScript({ ...VOLUME, options: { "cluster.quorum-type": "auto" } }),
                {
                    ...EXISTING,
                    [`volume get vol ${MANAGED_OPTIONS_KEY}`]: option(MANAGED_OPTIONS_KEY, "cluster.quorum-type"),
                    "volume get all cluster.max-op-version": fixture("max-op-version").replace("110000", "120000"),
                },
                INFO(U0),
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(writes(r.calls), ["volume set all cluster.op-version 120000"]);
            assert.match(r.stdout, /raised the cluster op-version from 110000 to 120000/);
        });

        describe("delete", () => {
            const DELETE = { volumeName: "vol", owner: "own-1", settleSeconds: 0 };
            const OWNED: Replies = { ...MESH, "volume info vol": fixture("volume-info"), [`volume get vol ${OWNER_KEY}`]: option(OWNER_KEY, "own-1") };

            it("stops and deletes the volume it owns once every peer is connected", () => {
                const r = runWithGluster(volumeDeleteScript(DELETE), OWNED, INFO(U0));
                assert.strictEqual(r.code, 0, r.stderr);
                assert.deepStrictEqual(writes(r.calls), ["volume stop vol", "volume delete vol"]);
            });

            it("leaves a volume another resource now owns", () => {
                const r = runWithGluster(volumeDeleteScript(DELETE), { ...OWNED, [`volume get vol ${OWNER_KEY}`]: option(OWNER_KEY, "own-2") }, INFO(U0));
                assert.strictEqual(r.code, 0, r.stderr);
                assert.match(r.stdout, /volume vol now belongs to another resource of this stack \(own-2\); leaving it/);
                assert.deepStrictEqual(writes(r.calls), []);
            });

            it("a volume that is gone: nothing to do", () => {
                const r = runWithGluster(volumeDeleteScript(DELETE), { "volume info vol": fixture("volume-info-absent") }, INFO(U0));
                assert.strictEqual(r.code, 0, r.stderr);
                assert.deepStrictEqual(r.calls, ["volume info vol"]);
            });

            it("with a peer down, leaves the volume started and says what to do", () => {
                const r = runWithGluster(volumeDeleteScript(DELETE), { ...OWNED, "peer status": PEERS_ONE_DOWN }, INFO(U0));
                assert.strictEqual(r.code, 1);
                assert.match(
                    r.stderr,
                    /volume vol cannot be deleted now: every peer must be connected, and these are not: rec-2 \(Peer in Cluster, disconnected\)/,
                );
                assert.deepStrictEqual(writes(r.calls), []);
            });
        });
    });

    describe("pool", () => {
        const FROM = { address: "rec-0", version: "11.1" };
        const PROBE = {
            from: FROM,
            peers: [
                { address: "rec-1", version: "11.1" },
                { address: "rec-2", version: "11.2" },
            ],
            peersSeconds: 0,
            owner: "pool-1",
        };

        it("probes each peer in order, records itself as the owner of each, and waits until each is in the cluster", () => {
            const r = runWithGluster(
                probeScript(PROBE),
                { "peer probe rec-1": fixture("peer-probe"), "peer probe rec-2": fixture("peer-probe-again"), "peer status": PEERS },
                INFO(U0),
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(writes(r.calls), ["peer probe rec-1", "peer probe rec-2"]);
            assert.match(r.stdout, /probed rec-2: Host rec-1 port 24007 already in peer list/);
            for (const peer of ["rec-1", "rec-2"]) assert.strictEqual(fs.readFileSync(`${r.state}/glusterfs-cluster/owners/peer-${peer}`, "utf8"), "pool-1\n");
            assert.match(r.stdout, /^ok: rec-2 to be in the cluster and connected/m);
        });

        it("the pool step detaches the peers no node of the program is, that it probed, holding no brick; others it leaves, warning", () => {
            const U9 = "99999999-0000-4000-8000-000000000009";
            const peers = withPeer(withPeer(PEERS, "rec-3", U3), "rec-9", U9, 0);
            const replies = {
                "peer probe rec-1": fixture("peer-probe"),
                "peer probe rec-2": fixture("peer-probe-again"),
                "peer status": peers,
                "peer detach rec-3": fixture("peer-detach-peer-down"),
            };
            const declared = { ...PROBE, declared: ["rec-0", "rec-1", "rec-2"] };
            // rec-3: probed by this component (a failed or reverted replacement); rec-9: not.
            const files = { ...INFO(U0).files, "glusterfs-cluster/owners/peer-rec-3": "pool-1\n" };
            const r = runWithGluster(probeScript(declared), { ...replies, "peer detach rec-3": OK }, { files });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(writes(r.calls), ["peer probe rec-1", "peer probe rec-2", "peer detach rec-3"]);
            assert.match(r.stdout, /detached rec-3: no node of the program, and it holds no brick/);
            assert.match(r.stderr, /WARNING: peer rec-9 is not a node of this program and was not probed by it: left in the pool/);
            assert.ok(!fs.existsSync(`${r.state}/glusterfs-cluster/owners/peer-rec-3`));
            // A detach glusterd refuses now (a peer down) is said, and the step goes on.
            const refused = runWithGluster(probeScript(declared), replies, { files });
            assert.strictEqual(refused.code, 0, refused.stderr);
            assert.match(refused.stderr, /WARNING: could not detach rec-3, which no node of the program is: /);
            // A node of the program known by another name too is kept.
            const named = runWithGluster(
                probeScript({ ...PROBE, declared: ["rec-0", "rec-1", "rec-2", "rec-3"] }),
                { ...replies, "peer detach rec-3": OK },
                { files },
            );
            assert.ok(!writes(named.calls).includes("peer detach rec-3"));
        });

        it("refuses a peer of another major version, or of a version it cannot tell, before probing", () => {
            const other = runWithGluster(probeScript({ ...PROBE, peers: [{ address: "rec-1", version: "10.3" }] }), {}, INFO(U0));
            assert.strictEqual(other.code, 1);
            assert.match(other.stderr, /all nodes must run the same GlusterFS major version: rec-0 runs 11\.1, rec-1 runs 10\.3/);
            const unknown = runWithGluster(probeScript({ ...PROBE, peers: [{ address: "rec-1", version: "" }] }), {}, INFO(U0));
            assert.strictEqual(unknown.code, 1);
            assert.match(unknown.stderr, /cannot tell which GlusterFS version rec-1 runs \(its ready step printed: nothing\)/);
            assert.deepStrictEqual([...other.calls, ...unknown.calls], []);
        });

        it("a failed probe says what to check", () => {
            const r = runWithGluster(
                probeScript(PROBE),
                { "peer probe rec-1": failed(107, "Probe returned with Transport endpoint is not connected") },
                INFO(U0),
            );
            assert.strictEqual(r.code, 1);
            assert.match(
                r.stderr,
                /peer probe rec-1: Probe returned with Transport endpoint is not connected \(opErrno 107\)\. Check that rec-1 resolves here and that its port 24007 is reachable/,
            );
        });

        it("detaches the peers it owns, last first; leaves one another resource owns, and one not in the pool", () => {
            const probed = runWithGluster(probeScript(PROBE), { "peer status": PEERS }, INFO(U0));
            const owners = (peer: string, owner: string) => ({ [`glusterfs-cluster/owners/peer-${peer}`]: `${owner}\n` });
            const r = runWithGluster(
                detachScript({ peers: ["rec-1", "rec-2", "rec-3"], owner: "pool-1" }),
                { "peer status": PEERS },
                {
                    files: { ...INFO(U0).files, ...owners("rec-1", "pool-1"), ...owners("rec-2", "pool-2") },
                },
            );
            assert.strictEqual(probed.code, 0);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(writes(r.calls), ["peer detach rec-1"]);
            assert.match(r.stdout, /rec-3 is not in the pool; nothing to detach/);
            assert.match(r.stdout, /rec-2 now belongs to another resource of this stack \(pool-2\); leaving it/);
            assert.ok(!fs.existsSync(`${r.state}/glusterfs-cluster/owners/peer-rec-1`));
        });

        it("a detach refused says why: a peer down, or bricks still on it", () => {
            const down = runWithGluster(
                detachScript({ peers: ["rec-1"], owner: "pool-1" }),
                { "peer status": PEERS_ONE_DOWN, "peer detach rec-1": fixture("peer-detach-peer-down") },
                INFO(U0),
            );
            assert.strictEqual(down.code, 1);
            assert.match(down.stderr, /peer detach rec-1: every other peer must be connected, and these are not: rec-2 \(Peer in Cluster, disconnected\)/);
            const bricks = runWithGluster(
                detachScript({ peers: ["rec-2"], owner: "pool-1" }),
                { "peer status": PEERS, "peer detach rec-2": fixture("peer-detach-holds-bricks") },
                INFO(U0),
            );
            assert.strictEqual(bricks.code, 1);
            assert.match(bricks.stderr, /peer detach rec-2: it still holds bricks of a volume: Peer rec-2 hosts one or more bricks/);
        });

        it("probes the first node back by name", () => {
            const r = runWithGluster(
                probeBackScript({ first: "rec-1", peersSeconds: 0 }),
                { "peer probe rec-1": fixture("peer-probe-again"), "peer status": PEERS },
                INFO(U2),
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(writes(r.calls), ["peer probe rec-1"]);
            assert.match(r.stdout, /^ok: rec-1 to be in the cluster and connected/m);
        });
    });

    describe("a node's going (its ready step's delete, before its container goes)", () => {
        const GO = { name: "rec-1", address: "rec-1", volumeName: "vol", glusterdSeconds: 0, healSeconds: 0, settleSeconds: 0 };
        const WHOLE: Replies = {
            "pool list": fixture("pool-list"),
            "peer status": PEERS,
            "volume info vol": fixture("volume-info"),
            "volume status vol": fixture("volume-status"),
            "volume heal vol info summary": fixture("heal-summary"),
        };
        const running = { container: { status: "running", cluster: "gc", spec: "fp" } };
        const brickDown = (host: string) => fixture("volume-status").replace(new RegExp(`(<hostname>${host}</hostname>[^]*?<status>)1`), "$10");

        it("may go when the cluster can spare it: every peer connected, every brick online, nothing to heal; it changes nothing", () => {
            const r = runWithGluster(readyDeleteScript(GO), WHOLE, running);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /rec-1 may go: every peer connected, every brick online, nothing to heal/);
            assert.deepStrictEqual(writes(r.calls), []);
        });

        it("may not go while another peer is disconnected or another brick offline: it fails, and says how to repair this node itself", () => {
            const peer = runWithGluster(readyDeleteScript(GO), { ...WHOLE, "peer status": PEERS_ONE_DOWN }, running);
            assert.strictEqual(peer.code, 1);
            assert.match(
                peer.stderr,
                /rec-1 cannot go now: the others must be in service while it is away, and these peers are not connected: rec-2 \(Peer in Cluster, disconnected\)\. .*Nothing was changed: rec-1 still runs\. If rec-1 is the node that is broken, stop its container \(docker stop rec-1\)/,
            );
            // A peer that no node of the program is (a leftover of a failed or reverted replacement) is named, with what to do.
            const stray = runWithGluster(
                readyDeleteScript({ ...GO, declared: ["rec-0", "rec-1", "rec-3"] }),
                { ...WHOLE, "peer status": PEERS_ONE_DOWN },
                running,
            );
            assert.match(
                stray.stderr,
                /No node of the program is rec-2 \(a leftover of a failed or reverted replacement\): detach it from a node of the pool \(docker exec NODE gluster peer detach NAME\)/,
            );
            assert.doesNotMatch(peer.stderr, /No node of the program is/);
            const brick = runWithGluster(readyDeleteScript(GO), { ...WHOLE, "volume status vol": brickDown("rec-2") }, running);
            assert.strictEqual(brick.code, 1);
            assert.match(brick.stderr, /bricks are offline on: rec-2\./);
            // A brick missing from the status altogether (its node down) counts as offline too.
            const missing = runWithGluster(readyDeleteScript(GO), { ...WHOLE, "volume status vol": fixture("volume-status-one-down") }, running);
            assert.strictEqual(missing.code, 1);
            assert.match(missing.stderr, /bricks are offline on: rec-2\./);
        });

        it("waits for self-heal while its own brick serves (it may hold the only good copy); with its own brick offline it may go", () => {
            const pending = runWithGluster(
                readyDeleteScript(GO),
                { ...WHOLE, "volume heal vol info summary": fixture("heal-summary").replace(/<totalNumberOfEntries>0</, "<totalNumberOfEntries>7<") },
                running,
            );
            assert.strictEqual(pending.code, 1);
            assert.match(pending.stderr, /self-heal of vol to catch up before rec-1 goes/);
            const ownDown = runWithGluster(readyDeleteScript(GO), { ...WHOLE, "volume status vol": brickDown("rec-1") }, running);
            assert.strictEqual(ownDown.code, 0, ownDown.stderr);
            assert.match(ownDown.stdout, /the brick of rec-1 is offline: nothing it holds can be read now, so it may go/);
        });

        it("a node that serves nothing may go: container gone or stopped, no pool, no volume; a docker failure stops it", () => {
            const gone = runWithGluster(readyDeleteScript(GO), WHOLE);
            assert.strictEqual(gone.code, 0, gone.stderr);
            assert.match(gone.stdout, /container rec-1 is gone: nothing to keep/);
            const stopped = runWithGluster(readyDeleteScript(GO), WHOLE, { container: { status: "exited", cluster: "gc", spec: "fp" } });
            assert.match(stopped.stdout, /rec-1 is exited: it serves nothing now, so it may go/);
            const alone = runWithGluster(readyDeleteScript(GO), { "pool list": fixture("pool-list-alone") }, running);
            assert.match(alone.stdout, /rec-1 is in no pool: nothing to keep whole/);
            const noVolume = runWithGluster(readyDeleteScript(GO), { ...WHOLE, "volume info vol": fixture("volume-info-absent") }, running);
            assert.strictEqual(noVolume.code, 0, noVolume.stderr);
            assert.match(noVolume.stdout, /no started volume vol: nothing to keep whole/);
            // A glusterd that does not answer says nothing about the bricks, which serve on their own: it stays.
            const silent = runWithGluster(readyDeleteScript(GO), { ...WHOLE, "pool list": failed(-1, "") }, running);
            assert.strictEqual(silent.code, 1, silent.stdout);
            assert.match(
                silent.stderr,
                /glusterd in rec-1 does not answer, so whether the others can serve without it cannot be told\. Nothing was changed: rec-1 still runs\. .*docker stop rec-1/,
            );
            // With no brick process it serves nothing (a pool that never formed, a destroy): it may go.
            const idle = runWithGluster(readyDeleteScript(GO), { ...WHOLE, "pool list": failed(-1, "") }, { ...running, processes: ["glusterd"] });
            assert.strictEqual(idle.code, 0, idle.stderr);
            assert.match(idle.stdout, /glusterd in rec-1 does not answer and no brick process runs in it: it serves nothing now, so it may go/);
            // A warning docker prints beside the state is not the state: the node is running, and is checked.
            const warned = runWithGluster(
                readyDeleteScript(GO),
                { ...WHOLE, "peer status": PEERS_ONE_DOWN },
                { ...running, dockerWarning: "WARNING: config.json unreadable" },
            );
            assert.strictEqual(warned.code, 1, warned.stdout);
            assert.match(warned.stderr, /rec-1 cannot go now/);
            const denied = runWithGluster(readyDeleteScript(GO), WHOLE, { dockerError: "permission denied" });
            assert.strictEqual(denied.code, 1);
            assert.match(denied.stderr, /cannot tell whether container rec-1 runs: docker said: permission denied/);
        });
    });

    describe("preflight (on the first node's host)", () => {
        const PRE: PreflightParams = {
            cluster: "gc",
            container: "gc-0",
            fingerprint: "fp-2",
            volumeName: "vol",
            bricks: ["rec-0:/bricks/vol", "rec-1:/bricks/vol", "rec-2:/bricks/vol"],
            glusterdSeconds: 0,
            healSeconds: 0,
            settleSeconds: 0,
            state: { volume: "gc-gc-0-state" },
        };
        const WHOLE: Replies = {
            "pool list": fixture("pool-list"),
            "peer status": PEERS,
            "volume info vol": fixture("volume-info"),
            "volume status vol": fixture("volume-status"),
            "volume heal vol info summary": fixture("heal-summary"),
        };
        const running = (spec = "fp-1", cluster = "gc", status = "running") => ({ container: { status, cluster, spec } });

        it("no container and no state yet: a new cluster, nothing to check", () => {
            const r = runWithGluster(preflightScript(PRE), WHOLE);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /no container gc-0 yet and no state: a new cluster/);
            assert.deepStrictEqual(r.calls, []);
        });

        it("no container but its state is there (a destroy that kept the data): an existing cluster", () => {
            const volume = runWithGluster(preflightScript(PRE), WHOLE, { volumes: ["gc-gc-0-state"] });
            assert.strictEqual(volume.code, 0, volume.stderr);
            assert.match(volume.stdout, /no container gc-0, but its state is there: an existing cluster/);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-"));
            try {
                const hostMode = { ...PRE, state: { dir } };
                assert.match(runWithGluster(preflightScript(hostMode), WHOLE).stdout, /a new cluster/);
                fs.writeFileSync(path.join(dir, "glusterd.info"), `UUID=${U0}\n`);
                assert.match(runWithGluster(preflightScript(hostMode), WHOLE).stdout, /its state is there: an existing cluster/);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("a docker failure other than 'no such container' stops it, saying what docker said, rather than passing as a new cluster", () => {
            const r = runWithGluster(preflightScript(PRE), WHOLE, { dockerError: "permission denied while trying to connect to the Docker daemon socket" });
            assert.strictEqual(r.code, 1);
            assert.match(
                r.stderr,
                /error: cannot tell whether gc-0 runs on this host: docker said: permission denied while trying to connect to the Docker daemon socket\. Nothing was changed\./,
            );
            assert.doesNotMatch(r.stdout, /a new cluster/);
        });

        it("refuses a renamed component: the container belongs to another GlusterCluster", () => {
            const r = runWithGluster(preflightScript(PRE), WHOLE, running("fp-1", "other"));
            assert.strictEqual(r.code, 1);
            assert.match(
                r.stderr,
                /the container gc-0 on this host belongs to GlusterCluster "other", and this one is named gc\. .*Put back the name "other"\. Nothing was changed\./,
            );
        });

        it("the first node keeps its settings: no rolling replacement starts; only the volume's bricks are checked against the node list", () => {
            const r = runWithGluster(preflightScript(PRE), WHOLE, running("fp-2"));
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls, ["pool list", "volume info vol"]);
            assert.match(r.stdout, /the volume's bricks are the declared ones/);
            const stopped = runWithGluster(preflightScript(PRE), WHOLE, running("fp-2", "gc", "exited"));
            assert.deepStrictEqual([stopped.code, stopped.calls], [0, []]);
        });

        it("TLS: refuses a rolling replacement while an issued certificate has ended (its holder would lose its mount at the reconnect), touching nothing; not when none has", () => {
            const now = Date.now() / 1000;
            const ended = {
                ...PRE,
                expiries: [
                    ["client app", now - 60],
                    ["client backup", now - 3600],
                    ["node rec-0", now + 86400],
                ] as Array<[string, number]>,
            };
            const r = runWithGluster(preflightScript(ended), WHOLE, running("fp-1"));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /the certificate of client app, client backup has ended[\s\S]*Nothing was changed[\s\S]*raise tls\.rotation/);
            assert.deepStrictEqual(r.calls, []);
            // The same certificates while no roll starts: nothing to refuse.
            assert.strictEqual(runWithGluster(preflightScript(ended), WHOLE, running("fp-2")).code, 0);
            const valid = { ...PRE, expiries: [["client app", now + 3600]] as Array<[string, number]> };
            const ok = runWithGluster(preflightScript(valid), WHOLE, running("fp-1"));
            assert.strictEqual(ok.code, 0, ok.stderr);
        });

        it("refuses a node list that does not describe the volume (a finished replacement reverted, attempts stacked), before anything is touched", () => {
            // rec-2's brick was moved to rec-3; the list declares rec-2 again.
            const moved = { ...WHOLE, "volume info vol": fixture("volume-info").replace(/rec-2:\/bricks\/vol/g, "rec-3:/bricks/vol") };
            for (const spec of ["fp-2", "fp-1"]) {
                const r = runWithGluster(preflightScript(PRE), moved, running(spec));
                assert.strictEqual(r.code, 1, spec);
                assert.match(
                    r.stderr,
                    /error: the volume vol has the bricks rec-0:\/bricks\/vol rec-1:\/bricks\/vol rec-3:\/bricks\/vol, and the node list declares rec-0:\/bricks\/vol rec-1:\/bricks\/vol rec-2:\/bricks\/vol: .*On no node of the list: rec-3:\/bricks\/vol\. Not in the volume: rec-2:\/bricks\/vol\. If a lost host's replacement finished, its new node holds the brick now: keep it in the list\. Nothing was changed\./,
                );
                assert.deepStrictEqual(writes(r.calls), []);
            }
            // One new node in place of one brick, saying which it replaces: the replacement to do.
            const replacing = { ...PRE, bricks: ["rec-0:/bricks/vol", "rec-1:/bricks/vol", "rec-4:/bricks/vol"], replacer: "rec-4:/bricks/vol" };
            const ok = runWithGluster(preflightScript(replacing), WHOLE, running("fp-2"));
            assert.strictEqual(ok.code, 0, ok.stderr);
            // Not when the replacer is not the one new brick, nor with two bricks out of the list.
            const two = { ...replacing, bricks: ["rec-0:/bricks/vol", "rec-5:/bricks/vol", "rec-4:/bricks/vol"] };
            assert.strictEqual(runWithGluster(preflightScript(two), WHOLE, running("fp-2")).code, 1);
            const unsaid = { ...replacing, replacer: undefined };
            assert.strictEqual(runWithGluster(preflightScript(unsaid), WHOLE, running("fp-2")).code, 1);
        });

        it("refuses to start a roll with the first node stopped", () => {
            const r = runWithGluster(preflightScript(PRE), WHOLE, running("fp-1", "gc", "exited"));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /gc-0 is exited; a rolling replacement starts with it/);
        });

        it("a roll starts only with the cluster whole", () => {
            const ok = runWithGluster(preflightScript(PRE), WHOLE, { ...running(), countXmllint: true });
            assert.strictEqual(ok.code, 0, ok.stderr);
            // One xmllint per check in the common case: glusterd answers 1, the bricks against the
            // node list 2, pool size 1, peers 1, volume info 2, brick list 1, bricks online 1, heal 1.
            assert.strictEqual(ok.xmllint, 10);
            // The container's state and labels in one docker call (each is a round trip, over SSH too).
            assert.deepStrictEqual(ok.docker.filter((c) => c.startsWith("container inspect")).length, 1);
            assert.match(ok.stdout, /ok: self-heal to catch up before the first node is replaced/);
            assert.deepStrictEqual(writes(ok.calls), []);
            const peerDown = runWithGluster(preflightScript(PRE), { ...WHOLE, "peer status": PEERS_ONE_DOWN }, running());
            assert.strictEqual(peerDown.code, 1);
            assert.match(peerDown.stderr, /these peers are not connected: rec-2 \(Peer in Cluster, disconnected\)\. Start them/);
            const brickDown = runWithGluster(
                preflightScript(PRE),
                { ...WHOLE, "volume status vol": fixture("volume-status").replace(/(<hostname>rec-1<\/hostname>[^]*?<status>)1/, "$10") },
                running(),
            );
            assert.strictEqual(brickDown.code, 1);
            assert.match(brickDown.stderr, /a rolling replacement needs every brick online; offline on: rec-1/);
            const otherBricks = runWithGluster(
                preflightScript({ ...PRE, bricks: ["rec-0:/bricks/vol", "rec-1:/bricks/vol", "rec-3:/bricks/vol"], replacer: "rec-3:/bricks/vol" }),
                WHOLE,
                running(),
            );
            assert.strictEqual(otherBricks.code, 1);
            assert.match(otherBricks.stderr, /replace the lost host in one update and change the containers in another/);
        });

        it("a new pool or a volume not started yet: nothing more to check", () => {
            const alone = runWithGluster(preflightScript(PRE), { "pool list": fixture("pool-list-alone") }, running());
            assert.strictEqual(alone.code, 0, alone.stderr);
            assert.match(alone.stdout, /no pool yet: nothing to keep whole/);
            const created = runWithGluster(preflightScript(PRE), { ...WHOLE, "volume info vol": fixture("volume-info-created") }, running());
            assert.strictEqual(created.code, 0, created.stderr);
            assert.match(created.stdout, /no started volume yet: nothing more to check/);
        });
    });
});
