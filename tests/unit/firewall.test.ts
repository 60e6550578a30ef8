/**
 * The firewall scripts, run against stand-ins for iptables, nft, firewall-cmd, ufw and
 * getent that record what they are asked. iptables and nftables are also live-tested
 * (tests/live/hosts.test.ts); firewalld and ufw need a system bus and a config of the
 * machine's own, so these recorded calls are what checks them.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FirewallParams, firewallApplyScript, firewallRemoveScript } from "../../components/firewall";

const PARAMS: FirewallParams = {
    host: "h1",
    backend: "auto",
    peers: ["10.0.0.1", "gfs2.example.net"],
    clients: ["10.0.5.0/24"],
    ports: { base: 49152, max: 49161 },
};

/** Stand-in commands: each appends its argv (and stdin, for loaders) to calls.log. */
const SHIMS: Record<string, string> = {
    getent: `[ "$2" = gfs2.example.net ] && echo "10.9.9.9      STREAM gfs2.example.net"`,
    "iptables-restore": `echo "iptables-restore $*" >> "$LOG"; cat >> "$LOG"`,
    iptables: `echo "iptables $*" >> "$LOG"; case "$1" in -C) exit 1 ;; -S) echo "-N GLUSTERFS" ;; -D) exit 1 ;; esac`,
    nft: `echo "nft $*" >> "$LOG"
case "$*" in
  "list chains") [ -n "$NFT_HOST_CHAIN" ] && printf 'table inet filter {\\n\\tchain input {\\n\\t\\ttype filter hook input priority filter; policy drop;\\n\\t}\\n}\\n' ;;
  -f*) cat "$2" >> "$LOG" ;;
  "list chain"*) exit 1 ;;
esac
exit 0`,
    "firewall-cmd": `echo "firewall-cmd $*" >> "$LOG"; case "$*" in --state) [ -n "$FIREWALLD" ] ;; *query-rich-rule*) exit 1 ;; esac`,
    ufw: `echo "ufw $*" >> "$LOG"; case "$*" in status) [ -n "$UFW" ] && echo "Status: active" ;; "status numbered") [ -n "$UFW" ] && printf '[ 1] 24007:24008/tcp ALLOW IN 10.0.0.9 # glusterfs-cluster\\n[ 2] 22/tcp ALLOW IN Anywhere\\n[ 3] 49152:49161/tcp ALLOW IN 10.0.0.9 # glusterfs-cluster\\n' ;; esac`,
};

/** The nft transaction file the script loaded (logged after its `nft -f` line). */
function nftFile(log: string[]): string[] {
    const start = log.findIndex((l) => l.startsWith("nft -f")) + 1;
    const end = log.findIndex((l, i) => i >= start && l.startsWith("nft "));
    return log.slice(start, end < 0 ? undefined : end);
}

function runWithShims(script: string, env: Record<string, string> = {}, only?: string[]): { out: string; log: string[]; dir: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const [name, body] of Object.entries(SHIMS)) {
        if (only && !only.includes(name) && name !== "getent") continue;
        fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    }
    // Only the stand-ins and the basic tools: no real firewall command is reachable.
    for (const tool of ["sh", "awk", "sort", "head", "grep", "sed", "cat", "mkdir", "rm", "mktemp", "printf", "echo", "tr"]) {
        const real = execFileSync("sh", ["-c", `command -v ${tool}`]).toString().trim();
        if (real.startsWith("/") && !fs.existsSync(path.join(bin, tool))) fs.symlinkSync(real, path.join(bin, tool));
    }
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(log, "");
    const out = execFileSync("/bin/sh", ["-c", script], {
        env: { PATH: bin, LOG: log, GLUSTERFS_CLUSTER_STATE_DIR: path.join(dir, "state"), ...env },
    }).toString();
    return { out, log: fs.readFileSync(log, "utf8").split("\n").filter(Boolean), dir };
}

describe("firewall scripts", () => {
    it("iptables: loads the whole chain in one iptables-restore transaction and jumps to it once from INPUT", () => {
        const { out, log } = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }));
        const restore = log.slice(log.indexOf("iptables-restore --noflush"), log.indexOf("COMMIT") + 1);
        assert.deepStrictEqual(restore, [
            "iptables-restore --noflush",
            "*filter",
            ":GLUSTERFS - [0:0]",
            "-A GLUSTERFS -s 10.0.0.1 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "-A GLUSTERFS -s 10.0.0.1 -p tcp -m multiport --dports 24007:24008,49152:49161 -j ACCEPT",
            "-A GLUSTERFS -s 10.0.0.1 -p udp -m multiport --dports 24007:24008 -j ACCEPT",
            "-A GLUSTERFS -s 10.0.0.1 -p icmp --icmp-type echo-request -j ACCEPT",
            "-A GLUSTERFS -s 10.9.9.9 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "-A GLUSTERFS -s 10.9.9.9 -p tcp -m multiport --dports 24007:24008,49152:49161 -j ACCEPT",
            "-A GLUSTERFS -s 10.9.9.9 -p udp -m multiport --dports 24007:24008 -j ACCEPT",
            "-A GLUSTERFS -s 10.9.9.9 -p icmp --icmp-type echo-request -j ACCEPT",
            "-A GLUSTERFS -s 10.0.5.0/24 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "-A GLUSTERFS -s 10.0.5.0/24 -p tcp -m multiport --dports 24007,49152:49161 -j ACCEPT",
            "-A GLUSTERFS -s 10.0.5.0/24 -p icmp --icmp-type echo-request -j ACCEPT",
            "COMMIT",
        ]);
        assert.ok(log.includes("iptables -C INPUT -j GLUSTERFS"));
        assert.ok(log.includes("iptables -I INPUT 1 -j GLUSTERFS"));
        assert.match(out, /firewall backend on h1: iptables/);
    });

    it("nftables: puts its chain into the table of the host's input chain, jumped to from there", () => {
        const { log } = runWithShims(firewallApplyScript({ ...PARAMS, backend: "nftables" }), { NFT_HOST_CHAIN: "1" });
        const file = nftFile(log);
        assert.deepStrictEqual(file.slice(0, 2), ["add chain inet filter glusterfs", "flush chain inet filter glusterfs"]);
        assert.ok(file.includes("add rule inet filter glusterfs ip saddr 10.9.9.9 tcp dport { 24007-24008, 49152-49161 } accept"));
        assert.ok(file.includes("add rule inet filter glusterfs ip saddr 10.0.5.0/24 tcp dport { 24007, 49152-49161 } accept"));
        assert.strictEqual(file.filter((l) => l.startsWith("add rule")).length, 11);
        assert.strictEqual(file[file.length - 1], "insert rule inet filter input jump glusterfs");
        assert.ok(!file.some((l) => l.includes("add table")));
    });

    it("nftables: on a host without an nftables input chain, uses a table of its own", () => {
        const { log } = runWithShims(firewallApplyScript({ ...PARAMS, backend: "nftables" }));
        const file = nftFile(log);
        assert.deepStrictEqual(file.slice(0, 3), [
            "add table inet glusterfs",
            "add chain inet glusterfs input { type filter hook input priority filter; policy accept; }",
            "add chain inet glusterfs glusterfs",
        ]);
        assert.strictEqual(file[file.length - 1], "insert rule inet glusterfs input jump glusterfs");
    });

    it("firewalld: adds rich rules from the peers and clients only, records them, and removes stale recorded ones", () => {
        const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "firewalld" }), { FIREWALLD: "1" });
        const added = first.log.filter((l) => l.startsWith("firewall-cmd --permanent --add-rich-rule="));
        assert.strictEqual(added.length, 11);
        assert.ok(added.includes(`firewall-cmd --permanent --add-rich-rule=rule family="ipv4" source address="10.9.9.9" port port="24007-24008" protocol="udp" accept`));
        assert.ok(added.includes(`firewall-cmd --permanent --add-rich-rule=rule family="ipv4" source address="10.0.5.0/24" port port="49152-49161" protocol="tcp" accept`));
        assert.ok(first.log.includes("firewall-cmd --reload"));
        const recorded = fs.readFileSync(path.join(first.dir, "state", "firewalld-rich-rules"), "utf8").trim().split("\n");
        assert.strictEqual(recorded.length, 11);

        // A recorded rule that is no longer wanted is removed on the next run; the others stay.
        const stateDir = path.join(first.dir, "state");
        const stale = `rule family="ipv4" source address="10.0.0.99" port port="24007" protocol="tcp" accept`;
        fs.appendFileSync(path.join(stateDir, "firewalld-rich-rules"), `${stale}\n`);
        const second = runWithShims(firewallApplyScript({ ...PARAMS, backend: "firewalld" }), { FIREWALLD: "1", GLUSTERFS_CLUSTER_STATE_DIR: stateDir });
        assert.deepStrictEqual(second.log.filter((l) => l.includes("--remove-rich-rule")), [`firewall-cmd --permanent --remove-rich-rule=${stale}`]);
    });

    it("ufw: removes its own commented rules, highest number first, then adds the set", () => {
        const { log } = runWithShims(firewallApplyScript({ ...PARAMS, backend: "ufw" }), { UFW: "1" });
        assert.deepStrictEqual(log.filter((l) => l.startsWith("ufw --force delete")), ["ufw --force delete 3", "ufw --force delete 1"]);
        const allows = log.filter((l) => l.startsWith("ufw allow"));
        assert.deepStrictEqual(allows, [
            "ufw allow proto tcp from 10.0.0.1 to any port 24007:24008 comment glusterfs-cluster",
            "ufw allow proto udp from 10.0.0.1 to any port 24007:24008 comment glusterfs-cluster",
            "ufw allow proto tcp from 10.0.0.1 to any port 49152:49161 comment glusterfs-cluster",
            "ufw allow proto tcp from 10.9.9.9 to any port 24007:24008 comment glusterfs-cluster",
            "ufw allow proto udp from 10.9.9.9 to any port 24007:24008 comment glusterfs-cluster",
            "ufw allow proto tcp from 10.9.9.9 to any port 49152:49161 comment glusterfs-cluster",
            "ufw allow proto tcp from 10.0.5.0/24 to any port 24007 comment glusterfs-cluster",
            "ufw allow proto tcp from 10.0.5.0/24 to any port 49152:49161 comment glusterfs-cluster",
        ]);
    });

    it("auto: picks firewalld, then ufw, then nftables with a host chain, else iptables", () => {
        const pick = (env: Record<string, string>) => /firewall backend on h1: (\S+)/.exec(runWithShims(firewallApplyScript(PARAMS), env).out)![1];
        assert.strictEqual(pick({ FIREWALLD: "1", UFW: "1", NFT_HOST_CHAIN: "1" }), "firewalld");
        assert.strictEqual(pick({ UFW: "1", NFT_HOST_CHAIN: "1" }), "ufw");
        assert.strictEqual(pick({ NFT_HOST_CHAIN: "1" }), "nftables");
        assert.strictEqual(pick({}), "iptables");
    });

    it("opening to every client is written as 0.0.0.0/0 and reported loudly", () => {
        const script = firewallApplyScript({ ...PARAMS, backend: "iptables", clients: ["0.0.0.0/0"] });
        const { log } = runWithShims(script);
        assert.ok(log.includes("-A GLUSTERFS -s 0.0.0.0/0 -p tcp -m multiport --dports 24007,49152:49161 -j ACCEPT"));
        assert.match(script, /WARNING: the GlusterFS client ports are open to ANY source/);
    });

    it("fails with the host's name when a peer's name does not resolve", () => {
        assert.throws(
            () => runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables", peers: ["nowhere.example.net"] })),
            (e: any) => /error on host h1: cannot resolve nowhere.example.net/.test(String(e.stderr)),
        );
    });

    it("remove: takes out the jump, the chain, our nftables chain and table, recorded firewalld rules and commented ufw rules", () => {
        const { log } = runWithShims(firewallRemoveScript("h1"), { UFW: "1" });
        assert.ok(log.includes("iptables -D INPUT -j GLUSTERFS"));
        assert.ok(log.includes("iptables -F GLUSTERFS"));
        assert.ok(log.includes("iptables -X GLUSTERFS"));
        assert.ok(log.includes("nft -a list ruleset"));
        assert.deepStrictEqual(log.filter((l) => l.startsWith("ufw --force delete")), ["ufw --force delete 3", "ufw --force delete 1"]);
    });
});
