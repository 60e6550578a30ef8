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
import { FIREWALL_UNIT, FirewallParams, firewallApplyScript, firewallRemoveScript, firewallUnit } from "../../components/firewall";
import { tempDir } from "../support/temp-dirs";

const PARAMS: FirewallParams = {
    host: "h1",
    backend: "auto",
    peers: ["10.0.0.1", "gfs2.example.net"],
    clients: ["10.0.5.0/24"],
    ports: { base: 49152, max: 49161 },
    owner: "fw-owner",
    claim: "glusterfs/prod/gluster",
    cluster: "gluster",
};

/** Stand-in commands: each appends its argv (and stdin, for loaders) to calls.log. */
const SHIMS: Record<string, string> = {
    getent: `[ -z "$RESOLVE_NONE" ] && [ "$2" = gfs2.example.net ] && echo "10.9.9.9      STREAM gfs2.example.net"`,
    "iptables-restore": `echo "iptables-restore $*" >> "$LOG"; while IFS= read -r l; do printf '%s\\n' "$l"; done >> "$LOG"`,
    iptables: `echo "iptables $*" >> "$LOG"; case "$1" in -C) exit 1 ;; -S) echo "-N GLUSTERFS" ;; -D) exit 1 ;; esac`,
    // nft answers from a ruleset file (NFT_RULESET), as `nft list ...` would print it.
    // Shell builtins only, as the other stand-ins: a process per call is most of these tests' time.
    nft: `echo "nft $*" >> "$LOG"
rs=\${NFT_RULESET:-/dev/null}
# print_lines: the ruleset's lines of table "$f $t" (want=table) or of its chain $c (want=chain); fails when none.
print_lines() {
  set -f; tb=""; on=""; found=""
  while IFS= read -r l; do
    set -- $l
    case "\${1:-}" in
      table) if [ "$2 $3" = "$f $t" ]; then tb=1; else tb=""; fi; on=""; [ "$want" = chain ] || on=$tb ;;
      chain) [ "$want" = table ] || { if [ -n "$tb" ] && [ "$2" = "$c" ]; then on=1; else on=""; fi; } ;;
    esac
    if [ -n "$on" ]; then printf '%s\\n' "$l"; found=1; fi
  done < "$rs"
  [ -n "$found" ]
}
case "$*" in
  "list chains"|"list ruleset"|"-a list ruleset") while IFS= read -r l; do printf '%s\\n' "$l"; done < "$rs" ;;
  "list tables") while read -r a b c rest; do [ "$a" != table ] || echo "table $b $c"; done < "$rs" ;;
  "list table "*) f=$3; t=$4; want=table; print_lines || exit 1 ;;
  "list chain "*) f=$3; t=$4; c=$5; want=chain; print_lines || exit 1 ;;
  -f*) while IFS= read -r l; do printf '%s\\n' "$l"; done < "$2" >> "$LOG" ;;
esac
exit 0`,
    docker: `echo "docker $*" >> "$LOG"; case "$1" in ps) [ -n "$RUNNING" ] && echo c1 ;; inspect) printf 'PATH=/bin\nGLUSTER_BASE_PORT=50000\nGLUSTER_MAX_PORT=50009\n' ;; esac`,
    "firewall-cmd": `echo "firewall-cmd $*" >> "$LOG"; case "$*" in --state) [ -n "$FIREWALLD" ] ;; *query-rich-rule*) exit 1 ;; --get-zone-of-interface=eth1) echo internal ;; --get-default-zone) echo public ;; esac`,
    // 10.0.0.1 is the host's own address (the first peer): it routes through lo.
    ip: `[ "$1 $2" = "route get" ] || exit 0; if [ "$3" = 10.0.0.1 ]; then echo "local 10.0.0.1 dev lo table local src 10.0.0.1 uid 0"; else echo "$3 dev eth1 src 10.0.0.5 uid 0"; fi`,
    systemctl: `echo "systemctl $*" >> "$LOG"`,
    ufw: `echo "ufw $*" >> "$LOG"; case "$*" in status) [ -n "$UFW" ] && echo "Status: active" ;; "status numbered") [ -n "$UFW" ] && printf '[ 1] 24007:24008/tcp ALLOW IN 10.0.0.9 # glusterfs-cluster\\n[ 2] 22/tcp ALLOW IN Anywhere\\n[ 3] 49152:49161/tcp ALLOW IN 10.0.0.9 # glusterfs-cluster\\n' ;; esac`,
};

/** The nft transaction file the script loaded (logged after its `nft -f` line). */
function nftFile(log: string[]): string[] {
    const start = log.findIndex((l) => l.startsWith("nft -f")) + 1;
    const end = log.findIndex((l, i) => i >= start && l.startsWith("nft "));
    return log.slice(start, end < 0 ? undefined : end);
}

/** Rule sets as `nft list ruleset` prints them, for the nft stand-in. */
const HOST_DROP = `table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t}
}
`;
/** What kube-proxy in nftables mode and iptables-nft leave beside the host's own table. */
const KUBE_PROXY = `table ip kube-proxy {
\tchain filter-input {
\t\ttype filter hook input priority -110; policy accept;
\t\tct state new jump service-endpoints-check
\t}
\tchain service-endpoints-check {
\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services
\t\treject
\t}
}
table ip6 kube-proxy {
\tchain filter-input {
\t\ttype filter hook input priority -110; policy accept;
\t}
}
table ip filter {
\tchain INPUT {
\t\ttype filter hook input priority filter; policy accept;
\t}
}
`;

function rulesetEnv(ruleset: string): Record<string, string> {
    const file = path.join(tempDir("nft-"), "ruleset");
    fs.writeFileSync(file, ruleset);
    return { NFT_RULESET: file };
}

let tools: [string, string][] | undefined;
/** The machine's basic tools the scripts may use, by absolute path (looked up once). */
function basicTools(): [string, string][] {
    if (!tools) {
        const names = ["sh", "awk", "sort", "head", "grep", "sed", "cat", "mkdir", "rm", "mktemp", "printf", "echo", "tr", "mv", "cut"];
        const found = execFileSync("sh", ["-c", names.map((t) => `command -v ${t} || echo -`).join("; ")])
            .toString()
            .trim()
            .split("\n");
        tools = names.map((t, i): [string, string] => [t, found[i]]).filter(([, real]) => real.startsWith("/"));
    }
    return tools;
}

function runWithShims(script: string, env: Record<string, string> = {}, only?: string[]): { out: string; log: string[]; dir: string } {
    const dir = tempDir("fw-");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const [name, body] of Object.entries(SHIMS)) {
        if (only && !only.includes(name) && name !== "getent") continue;
        fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    }
    // Only the stand-ins and the basic tools: no real firewall command is reachable.
    for (const [tool, real] of basicTools()) {
        if (!fs.existsSync(path.join(bin, tool))) fs.symlinkSync(real, path.join(bin, tool));
    }
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(log, "");
    // Never the machine's own /proc/sys: a directory that stands in for it.
    const sysctl = path.join(dir, "sysctl");
    fs.mkdirSync(sysctl);
    fs.writeFileSync(path.join(sysctl, "ip_local_port_range"), "32768\t60999\n");
    fs.writeFileSync(path.join(sysctl, "ip_local_reserved_ports"), "8080\n");
    let out: string;
    try {
        out = execFileSync("/bin/sh", ["-c", script], {
            // Never the machine's own systemd either: its directories under the temporary one.
            env: {
                PATH: bin,
                LOG: log,
                GLUSTERFS_CLUSTER_STATE_DIR: path.join(dir, "state"),
                GLUSTERFS_CLUSTER_SYSCTL_DIR: sysctl,
                GLUSTERFS_CLUSTER_SYSTEMD_ROOT: dir,
                ...env,
            },
            stdio: ["ignore", "pipe", "pipe"],
        }).toString();
    } catch (e: any) {
        e.logFile = log;
        throw e;
    }
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
        const { log } = runWithShims(firewallApplyScript({ ...PARAMS, backend: "nftables" }), rulesetEnv(HOST_DROP));
        const file = nftFile(log);
        assert.deepStrictEqual(file.slice(0, 2), ["add chain inet filter glusterfs", "flush chain inet filter glusterfs"]);
        assert.ok(file.includes("add rule inet filter glusterfs ip saddr 10.9.9.9 tcp dport { 24007-24008, 49152-49161 } accept"));
        assert.ok(file.includes("add rule inet filter glusterfs ip saddr 10.0.5.0/24 tcp dport { 24007, 49152-49161 } accept"));
        assert.strictEqual(file.filter((l) => l.startsWith("add rule")).length, 11);
        assert.strictEqual(file[file.length - 1], "insert rule inet filter input jump glusterfs");
        assert.ok(!file.some((l) => l.includes("add table")));
    });

    it("keeps open the brick range the cluster's running containers still use (a brickPorts change rolls), and only the configured one otherwise", () => {
        const moving = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }), { RUNNING: "1" });
        assert.ok(moving.log.includes("docker ps -aq --filter label=io.glusterfs-cluster.cluster=gluster"));
        assert.ok(moving.log.includes("-A GLUSTERFS -s 10.0.0.1 -p tcp -m multiport --dports 24007:24008,49152:49161,50000:50009 -j ACCEPT"));
        assert.ok(moving.log.includes("-A GLUSTERFS -s 10.0.5.0/24 -p tcp -m multiport --dports 24007,49152:49161,50000:50009 -j ACCEPT"));
        const settled = runWithShims(firewallApplyScript({ ...PARAMS, backend: "nftables" }), {});
        assert.ok(nftFile(settled.log).includes("add rule inet glusterfs glusterfs ip saddr 10.0.0.1 tcp dport { 24007-24008, 49152-49161 } accept"));
    });

    it("at boot never asks Docker (the unit runs before docker.service: a socket-activated Docker would wait for it), and keeps the ranges of the last apply", () => {
        const apply = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }), { RUNNING: "1" });
        const stateDir = path.join(apply.dir, "state");
        assert.strictEqual(fs.readFileSync(path.join(stateDir, "firewall-brick-ranges"), "utf8"), "49152-49161\n50000-50009\n");
        const boot = runWithShims(`sh ${stateDir}/firewall.sh`, { GLUSTERFS_CLUSTER_STATE_DIR: "", RUNNING: "1" });
        assert.deepStrictEqual(
            boot.log.filter((l) => l.startsWith("docker")),
            [],
        );
        assert.ok(boot.log.includes("-A GLUSTERFS -s 10.0.0.1 -p tcp -m multiport --dports 24007:24008,49152:49161,50000:50009 -j ACCEPT"));
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

    it("firewalld: adds rich rules from the peers and clients only, in the zone of the peers' interface, records them, and removes stale recorded ones", () => {
        const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "firewalld" }), { FIREWALLD: "1" });
        const added = first.log.filter((l) => l.startsWith("firewall-cmd --permanent --zone=internal --add-rich-rule="));
        const rule = (src: string, what: string) =>
            `firewall-cmd --permanent --zone=internal --add-rich-rule=rule family="ipv4" source address="${src}" ${what} accept`;
        assert.deepStrictEqual(added, [
            ...["10.0.0.1", "10.9.9.9"].flatMap((src) => [
                rule(src, `port port="24007-24008" protocol="tcp"`),
                rule(src, `port port="24007-24008" protocol="udp"`),
                rule(src, `port port="49152-49161" protocol="tcp"`),
                rule(src, `icmp-type name="echo-request"`),
            ]),
            rule("10.0.5.0/24", `port port="24007" protocol="tcp"`),
            rule("10.0.5.0/24", `port port="49152-49161" protocol="tcp"`),
            rule("10.0.5.0/24", `icmp-type name="echo-request"`),
        ]);
        assert.strictEqual(first.log.filter((l) => l.startsWith("firewall-cmd")).pop(), "firewall-cmd --reload");
        const stateDir = path.join(first.dir, "state");
        const recorded = fs.readFileSync(path.join(stateDir, "firewalld-rich-rules"), "utf8").trim().split("\n");
        assert.deepStrictEqual(
            recorded,
            added.map((l) => l.replace("firewall-cmd --permanent --zone=internal --add-rich-rule=", "")),
        );
        assert.strictEqual(fs.readFileSync(path.join(stateDir, "firewalld-zone"), "utf8").trim(), "internal");

        // A recorded rule that is no longer wanted is removed on the next run; the others stay.
        const stale = `rule family="ipv4" source address="10.0.0.99" port port="24007" protocol="tcp" accept`;
        fs.appendFileSync(path.join(stateDir, "firewalld-rich-rules"), `${stale}\n`);
        const second = runWithShims(firewallApplyScript({ ...PARAMS, backend: "firewalld" }), { FIREWALLD: "1", GLUSTERFS_CLUSTER_STATE_DIR: stateDir });
        assert.deepStrictEqual(
            second.log.filter((l) => l.includes("--remove-rich-rule")),
            [`firewall-cmd --permanent --zone=internal --remove-rich-rule=${stale}`],
        );

        // Rules recorded in another zone (the interface moved) all leave that zone.
        fs.writeFileSync(path.join(stateDir, "firewalld-zone"), "public\n");
        const third = runWithShims(firewallApplyScript({ ...PARAMS, backend: "firewalld" }), { FIREWALLD: "1", GLUSTERFS_CLUSTER_STATE_DIR: stateDir });
        assert.strictEqual(third.log.filter((l) => l.startsWith("firewall-cmd --permanent --zone=public --remove-rich-rule=")).length, 11);
    });

    it("ufw: adds the wanted rules first, then deletes the recorded ones no longer wanted, so peers are never refused meanwhile", () => {
        const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "ufw" }), { UFW: "1" });
        const allows = first.log.filter((l) => l.startsWith("ufw allow"));
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
        assert.ok(!first.log.some((l) => l.startsWith("ufw delete") || l.startsWith("ufw --force delete")));
        const stateDir = path.join(first.dir, "state");
        fs.appendFileSync(path.join(stateDir, "ufw-rules"), "proto tcp from 10.0.0.99 to any port 24007\n");
        const second = runWithShims(firewallApplyScript({ ...PARAMS, backend: "ufw" }), { UFW: "1", GLUSTERFS_CLUSTER_STATE_DIR: stateDir });
        const ufw = second.log.filter((l) => l.startsWith("ufw allow") || l.startsWith("ufw delete"));
        assert.deepStrictEqual(ufw.slice(allows.length), ["ufw delete allow proto tcp from 10.0.0.99 to any port 24007"]);
    });

    it("auto: picks firewalld, then ufw, then nftables with a host chain, else iptables", () => {
        const pick = (env: Record<string, string>) => /firewall backend on h1: (\S+)/.exec(runWithShims(firewallApplyScript(PARAMS), env).out)![1];
        assert.strictEqual(pick({ FIREWALLD: "1", UFW: "1", ...rulesetEnv(HOST_DROP) }), "firewalld");
        assert.strictEqual(pick({ UFW: "1", ...rulesetEnv(HOST_DROP) }), "ufw");
        assert.strictEqual(pick(rulesetEnv(HOST_DROP)), "nftables");
        assert.strictEqual(pick({}), "iptables");
    });

    it("auto: applies the rules of the backend it picks, as that backend given by name would", () => {
        const loaded = (backend: FirewallParams["backend"]) =>
            runWithShims(firewallApplyScript({ ...PARAMS, backend })).log.filter(
                (l) => !/^(docker|nft -a list|nft list|firewall-cmd --state|ufw status)/.test(l),
            );
        const auto = loaded("auto");
        assert.ok(
            auto.some((l) => l.startsWith("iptables-restore")),
            auto.join("\n"),
        );
        assert.deepStrictEqual(auto, loaded("iptables"));
    });

    it("refuses a named backend whose tool is not running or not there, naming it", () => {
        const failure = (backend: FirewallParams["backend"], only?: string[]) => {
            try {
                runWithShims(firewallApplyScript({ ...PARAMS, backend }), {}, only);
            } catch (e: any) {
                return String(e.stderr);
            }
            return assert.fail(`${backend} was applied`);
        };
        assert.match(failure("firewalld"), /^error on host h1: firewalld is not running\n$/m);
        assert.match(failure("ufw"), /^error on host h1: ufw is not active\n$/m);
        assert.match(failure("nftables", ["docker"]), /^error on host h1: nft is not installed\n$/m);
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

    it("a failed apply leaves the kept script as it was: a boot or a reload of the host firewall then applies the last good rules", () => {
        const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }));
        const stateDir = path.join(first.dir, "state");
        const kept = fs.readFileSync(path.join(stateDir, "firewall.sh"), "utf8");
        assert.throws(
            () =>
                runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables", peers: [...PARAMS.peers, "nowhere.example.net"] }), {
                    GLUSTERFS_CLUSTER_STATE_DIR: stateDir,
                }),
            (e: any) => /cannot resolve nowhere\.example\.net/.test(String(e.stderr)),
        );
        assert.strictEqual(fs.readFileSync(path.join(stateDir, "firewall.sh"), "utf8"), kept);
        assert.ok(!fs.existsSync(path.join(stateDir, "firewall.sh.new")));
    });

    it("at boot, a peer name that does not resolve yet takes the address it had at the last apply, or is left out; the other rules are applied", () => {
        const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }));
        const stateDir = path.join(first.dir, "state");
        assert.strictEqual(fs.readFileSync(path.join(stateDir, "firewall-resolved"), "utf8"), "gfs2.example.net 10.9.9.9\n");
        const restore = (log: string[]) => log.slice(log.indexOf("iptables-restore --noflush"), log.indexOf("COMMIT") + 1).join("\n");
        const boot = runWithShims(`sh ${stateDir}/firewall.sh`, { GLUSTERFS_CLUSTER_STATE_DIR: "", RESOLVE_NONE: "1" });
        assert.strictEqual(restore(boot.log), restore(first.log));
        fs.rmSync(path.join(stateDir, "firewall-resolved"));
        const unknown = restore(runWithShims(`sh ${stateDir}/firewall.sh`, { GLUSTERFS_CLUSTER_STATE_DIR: "", RESOLVE_NONE: "1" }).log);
        assert.doesNotMatch(unknown, /10\.9\.9\.9/);
        assert.match(unknown, /10\.0\.0\.1/);
    });

    it("remove: takes out the jump, the chain, our nftables chain and table, recorded firewalld rules and commented ufw rules", () => {
        const { log } = runWithShims(firewallRemoveScript("h1", "fw-owner"), { UFW: "1" });
        assert.ok(log.includes("iptables -D INPUT -j GLUSTERFS"));
        assert.ok(log.includes("iptables -F GLUSTERFS"));
        assert.ok(log.includes("iptables -X GLUSTERFS"));
        assert.ok(log.includes("nft -a list ruleset"));
        assert.deepStrictEqual(
            log.filter((l) => l.startsWith("ufw --force delete")),
            ["ufw --force delete 3", "ufw --force delete 1"],
        );
    });
    it("on a host without systemd: applies the rules and says that nothing re-applies them at boot", () => {
        const { out, log } = runWithShims(`exec 2>&1\n${firewallApplyScript({ ...PARAMS, backend: "iptables" })}`);
        assert.match(
            out,
            /WARNING: h1 does not run systemd: nothing re-applies the GlusterFS rules after a reboot or a reload of the host firewall; have its firewall start-up run sh \S+\/state\/firewall\.sh\n$/,
        );
        assert.ok(log.some((l) => l.startsWith("iptables-restore")));
        assert.deepStrictEqual(
            log.filter((l) => l.startsWith("systemctl")),
            [],
        );
    });

    it("with systemd: installs the unit once (reloading systemd only when it changed), enables it, and remove takes it out", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "fw-systemd-"));
        try {
            fs.mkdirSync(path.join(root, "run", "systemd", "system"), { recursive: true });
            fs.mkdirSync(path.join(root, "etc", "systemd", "system"), { recursive: true });
            const unitFile = path.join(root, "etc", "systemd", "system", FIREWALL_UNIT);
            const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }), { GLUSTERFS_CLUSTER_SYSTEMD_ROOT: root });
            const stateDir = path.join(first.dir, "state");
            assert.strictEqual(fs.readFileSync(unitFile, "utf8"), `${firewallUnit(stateDir)}\n`);
            assert.deepStrictEqual(
                first.log.filter((l) => l.startsWith("systemctl")),
                ["systemctl daemon-reload", `systemctl enable --now ${FIREWALL_UNIT}`],
            );
            assert.match(first.out, new RegExp(`the rules on h1 are applied again at boot and after every reload of its firewall \\(${FIREWALL_UNIT}\\)\\n$`));
            const again = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }), {
                GLUSTERFS_CLUSTER_SYSTEMD_ROOT: root,
                GLUSTERFS_CLUSTER_STATE_DIR: stateDir,
            });
            assert.deepStrictEqual(
                again.log.filter((l) => l.startsWith("systemctl")),
                [`systemctl enable --now ${FIREWALL_UNIT}`],
            );
            const removed = runWithShims(firewallRemoveScript("h1", "fw-owner"), {
                GLUSTERFS_CLUSTER_SYSTEMD_ROOT: root,
                GLUSTERFS_CLUSTER_STATE_DIR: stateDir,
            });
            assert.deepStrictEqual(
                removed.log.filter((l) => l.startsWith("systemctl")),
                [`systemctl disable ${FIREWALL_UNIT}`, "systemctl daemon-reload"],
            );
            assert.ok(!fs.existsSync(unitFile));
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("remove after firewalld: every recorded rich rule leaves the recorded zone, then the records and the kept script go", () => {
        const applied = runWithShims(firewallApplyScript({ ...PARAMS, backend: "firewalld" }), { FIREWALLD: "1" });
        const stateDir = path.join(applied.dir, "state");
        const recorded = fs.readFileSync(path.join(stateDir, "firewalld-rich-rules"), "utf8").trim().split("\n");
        assert.strictEqual(recorded.length, 11);
        assert.ok(fs.existsSync(path.join(stateDir, "firewall.sh")));
        const removed = runWithShims(firewallRemoveScript("h1", "fw-owner"), { FIREWALLD: "1", GLUSTERFS_CLUSTER_STATE_DIR: stateDir });
        const firewalld = removed.log.filter((l) => l.startsWith("firewall-cmd"));
        assert.deepStrictEqual(firewalld, [
            ...recorded.map((r) => `firewall-cmd --permanent --zone=internal --remove-rich-rule=${r}`),
            "firewall-cmd --reload",
        ]);
        assert.deepStrictEqual(fs.readdirSync(stateDir), []);
        assert.match(removed.out, /removed the GlusterFS firewall rules from h1\n$/);
    });

    describe("nftables: every input chain that can drop, never a table another program owns", () => {
        const TWO_HOST_TABLES = `${HOST_DROP}table ip custom {
\tchain in {
\t\ttype filter hook input priority 10; policy accept;
\t\ttcp dport 9999 reject
\t}
}
table ip quiet {
\tchain in {
\t\ttype filter hook input priority 20; policy accept;
\t}
}
`;
        it("opens the host's own inet filter chain beside kube-proxy's ip and ip6 tables and iptables-nft's, touching none of those", () => {
            const { log } = runWithShims(firewallApplyScript({ ...PARAMS, backend: "nftables" }), rulesetEnv(HOST_DROP + KUBE_PROXY));
            const file = nftFile(log);
            assert.deepStrictEqual(
                file.filter((l) => !l.startsWith("add rule inet filter glusterfs ")),
                ["add chain inet filter glusterfs", "flush chain inet filter glusterfs", "insert rule inet filter input jump glusterfs"],
            );
            const changes = log.filter((l) => /^nft (-f|add|insert|delete|flush)/.test(l));
            assert.deepStrictEqual(
                changes.filter((l) => !l.startsWith("nft -f")),
                [],
            );
        });

        it("jumps from every host table whose input chain can drop (drop policy, or a reject rule), and leaves a table that cannot", () => {
            const file = nftFile(runWithShims(firewallApplyScript({ ...PARAMS, backend: "nftables" }), rulesetEnv(TWO_HOST_TABLES)).log);
            assert.deepStrictEqual(
                file.filter((l) => !l.startsWith("add rule")),
                [
                    "add chain inet filter glusterfs",
                    "flush chain inet filter glusterfs",
                    "insert rule inet filter input jump glusterfs",
                    "add chain ip custom glusterfs",
                    "flush chain ip custom glusterfs",
                    "insert rule ip custom in jump glusterfs",
                ],
            );
            assert.strictEqual(file.filter((l) => l.startsWith("add rule ip custom glusterfs")).length, 11);
        });

        for (const [owner, table] of [
            ["kube-proxy", "table ip kube-proxy {\n\tchain filter-input {\n\t\ttype filter hook input priority -110; policy drop;\n\t}\n}\n"],
            ["iptables-nft", "table ip filter {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n"],
        ]) {
            it(`refuses, loading nothing, when a table ${owner} owns drops input by default`, () => {
                assert.throws(
                    () => runWithShims(firewallApplyScript({ ...PARAMS, backend: "nftables" }), rulesetEnv(HOST_DROP + table)),
                    (e: any) => {
                        assert.match(
                            String(e.stderr),
                            new RegExp(`error on host h1: the nftables input chain ip \\S+ \\S+ drops packets by default and belongs to ${owner}`),
                        );
                        assert.match(String(e.stderr), /in .*'s own configuration/);
                        const log = fs.readFileSync(String(e.logFile), "utf8");
                        assert.doesNotMatch(log, /^nft -f/m);
                        return true;
                    },
                );
            });
        }

        it("auto: a host whose only dropping chain is iptables-nft's, or with only kube-proxy tables, gets the iptables backend", () => {
            const pick = (rs: string) => /firewall backend on h1: (\S+)/.exec(runWithShims(firewallApplyScript(PARAMS), rulesetEnv(rs)).out)![1];
            assert.strictEqual(pick(KUBE_PROXY), "iptables");
            assert.strictEqual(
                pick(
                    KUBE_PROXY.replace(
                        "INPUT {\n\t\ttype filter hook input priority filter; policy accept",
                        "INPUT {\n\t\ttype filter hook input priority filter; policy drop",
                    ),
                ),
                "iptables",
            );
            assert.strictEqual(pick(HOST_DROP + KUBE_PROXY), "nftables");
        });

        it("remove: deletes each jump by its handle, the chains and the table of ours, and nothing else", () => {
            const ours = `table inet filter {
\tchain input { # handle 1
\t\ttype filter hook input priority filter; policy drop;
\t\tjump glusterfs # handle 7
\t}
\tchain glusterfs { # handle 5
\t\tip saddr 10.0.0.1 accept # handle 6
\t}
}
table inet glusterfs {
\tchain input { # handle 1
\t\ttype filter hook input priority filter; policy accept;
\t\tjump glusterfs # handle 3
\t}
\tchain glusterfs { # handle 2
\t}
}
`;
            const { log } = runWithShims(firewallRemoveScript("h1", "fw-owner"), rulesetEnv(ours + KUBE_PROXY));
            assert.deepStrictEqual(
                log.filter((l) => l.startsWith("nft delete")),
                [
                    "nft delete rule inet filter input handle 7",
                    "nft delete rule inet glusterfs input handle 3",
                    "nft delete chain inet filter glusterfs",
                    "nft delete chain inet glusterfs glusterfs",
                    "nft delete table inet glusterfs",
                ],
            );
        });
    });

    describe("switching backends and surviving reboots", () => {
        it("an apply removes what another backend left (here iptables and firewalld), after the new rules hold, and records its backend", () => {
            const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "firewalld" }), { FIREWALLD: "1" });
            const stateDir = path.join(first.dir, "state");
            const { log } = runWithShims(firewallApplyScript({ ...PARAMS, backend: "nftables" }), {
                FIREWALLD: "1",
                GLUSTERFS_CLUSTER_STATE_DIR: stateDir,
                ...rulesetEnv(HOST_DROP),
            });
            const loaded = log.findIndex((l) => l.startsWith("nft -f"));
            const removedIptables = log.indexOf("iptables -D INPUT -j GLUSTERFS");
            const removedRich = log.findIndex((l) => l.startsWith("firewall-cmd --permanent --zone=internal --remove-rich-rule="));
            assert.ok(loaded >= 0 && removedIptables > loaded && removedRich > loaded, log.join("\n"));
            assert.strictEqual(log.filter((l) => l.includes("--remove-rich-rule=")).length, 11);
            assert.ok(!fs.existsSync(path.join(stateDir, "firewalld-rich-rules")));
            assert.strictEqual(fs.readFileSync(path.join(stateDir, "firewall-backend"), "utf8"), "nftables\n");
        });

        it("the rules script is kept on the host with its state directory, and running it alone applies the same rules", () => {
            const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }));
            const stateDir = path.join(first.dir, "state");
            const kept = fs.readFileSync(path.join(stateDir, "firewall.sh"), "utf8");
            assert.strictEqual(kept.split("\n")[0], `GLUSTERFS_CLUSTER_STATE_DIR='${stateDir}'`);
            // As a boot would: no state directory in the environment, the host's rules gone.
            fs.rmSync(path.join(stateDir, "firewall-owner"));
            const again = runWithShims(`sh ${stateDir}/firewall.sh`, { GLUSTERFS_CLUSTER_STATE_DIR: "" });
            const restore = (log: string[]) => log.slice(log.indexOf("iptables-restore --noflush"), log.indexOf("COMMIT") + 1);
            assert.strictEqual(restore(again.log).length, 15);
            assert.deepStrictEqual(restore(again.log), restore(first.log));
            assert.strictEqual(fs.readFileSync(path.join(stateDir, "firewall-owner"), "utf8"), "fw-owner glusterfs/prod/gluster\n");
        });

        it("the systemd unit runs the kept script after the host firewall starts or reloads, and passes systemd-analyze verify", () => {
            const unit = firewallUnit("/var/lib/glusterfs-cluster");
            assert.match(unit, /^ExecStart=\/bin\/sh \/var\/lib\/glusterfs-cluster\/firewall.sh$/m);
            assert.match(unit, /^ExecReload=\/bin\/sh \/var\/lib\/glusterfs-cluster\/firewall.sh$/m);
            // WantedBy: a host firewall started after a stop (PartOf only passes on stops and restarts).
            for (const key of ["After", "PartOf", "ReloadPropagatedFrom", "WantedBy"]) {
                assert.match(unit, new RegExp(`^${key}=.*\\bnftables\\.service\\b.*\\bnetfilter-persistent\\.service\\b`, "m"));
            }
            // The kept script resolves peer names: at boot, only once the network is up; and it
            // reserves the brick ports before Docker starts the bricks.
            assert.match(unit, /^Wants=network-online\.target$/m);
            assert.match(unit, /^Before=docker\.service$/m);
            assert.match(unit, /^After=network-online\.target /m);
            const dir = tempDir("unit-");
            fs.writeFileSync(path.join(dir, FIREWALL_UNIT), unit);
            const r = require("child_process").spawnSync("systemd-analyze", ["verify", path.join(dir, FIREWALL_UNIT)], { encoding: "utf8" });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(r.stderr.trim(), "");
        });

        it("reserves the brick range from the kernel's ephemeral range, keeping the host's own reservations, and takes back exactly that", () => {
            const sysctlDir = tempDir("sysctl-");
            const reserved = () => fs.readFileSync(path.join(sysctlDir, "ip_local_reserved_ports"), "utf8").trim();
            fs.writeFileSync(path.join(sysctlDir, "ip_local_port_range"), "32768\t60999\n");
            fs.writeFileSync(path.join(sysctlDir, "ip_local_reserved_ports"), "8080,49150-49153\n");
            const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }), { GLUSTERFS_CLUSTER_SYSCTL_DIR: sysctlDir });
            assert.strictEqual(reserved(), "8080,49150-49161");
            assert.match(first.out, /reserved the brick ports 49152-49161 on h1 from the ephemeral range 32768-60999/);
            const stateDir = path.join(first.dir, "state");
            assert.strictEqual(fs.readFileSync(path.join(stateDir, "reserved-ports"), "utf8"), "49154-49161\n");
            // A range outside the ephemeral one needs nothing; what was added is taken back, and
            // the host's own 49150-49153 (partly inside the old range) stays.
            runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables", ports: { base: 30000, max: 30009 } }), {
                GLUSTERFS_CLUSTER_SYSCTL_DIR: sysctlDir,
                GLUSTERFS_CLUSTER_STATE_DIR: stateDir,
            });
            assert.strictEqual(reserved(), "8080,49150-49153");
            runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables", ports: { base: 50000, max: 50009 } }), {
                GLUSTERFS_CLUSTER_SYSCTL_DIR: sysctlDir,
                GLUSTERFS_CLUSTER_STATE_DIR: stateDir,
            });
            assert.strictEqual(reserved(), "8080,49150-49153,50000-50009");
            runWithShims(firewallRemoveScript("h1", "fw-owner"), { GLUSTERFS_CLUSTER_SYSCTL_DIR: sysctlDir, GLUSTERFS_CLUSTER_STATE_DIR: stateDir });
            assert.strictEqual(reserved(), "8080,49150-49153");
            assert.ok(!fs.existsSync(path.join(stateDir, "reserved-ports")));
        });

        it("reads the ephemeral range from the kernel's own sysctl file (which answers only reads from its start)", () => {
            const sysctlDir = tempDir("sysctl-");
            fs.symlinkSync("/proc/sys/net/ipv4/ip_local_port_range", path.join(sysctlDir, "ip_local_port_range"));
            fs.writeFileSync(path.join(sysctlDir, "ip_local_reserved_ports"), "\n");
            const [lo, hi] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
            const r = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables", ports: { base: lo, max: lo + 9 } }), {
                GLUSTERFS_CLUSTER_SYSCTL_DIR: sysctlDir,
            });
            assert.match(r.out, new RegExp(`reserved the brick ports ${lo}-${lo + 9} on h1 from the ephemeral range ${lo}-${hi}`));
        });

        it("remove: a delete from an older resource leaves rules another resource now owns", () => {
            const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables", owner: "newer" }));
            const stateDir = path.join(first.dir, "state");
            const { out, log } = runWithShims(firewallRemoveScript("h1", "fw-owner"), { GLUSTERFS_CLUSTER_STATE_DIR: stateDir });
            assert.match(out, /now belong to another resource \(glusterfs\/prod\/gluster\); leaving them/);
            assert.deepStrictEqual(log, []);
            assert.ok(fs.existsSync(path.join(stateDir, "firewall.sh")));
            // A record an earlier version wrote (the token alone) is read the same way.
            fs.writeFileSync(path.join(stateDir, "firewall-owner"), "older\n");
            assert.match(
                runWithShims(firewallRemoveScript("h1", "fw-owner"), { GLUSTERFS_CLUSTER_STATE_DIR: stateDir }).out,
                /another resource \(older\); leaving them/,
            );
            assert.match(
                runWithShims(firewallRemoveScript("h1", "older"), { GLUSTERFS_CLUSTER_STATE_DIR: stateDir }).out,
                /removed the GlusterFS firewall rules from h1/,
            );
        });

        it("apply: refuses, changing nothing, rules another stack or another GlusterCluster applied; takes over a record without a claim", () => {
            const first = runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables" }));
            const stateDir = path.join(first.dir, "state");
            const kept = fs.readFileSync(path.join(stateDir, "firewall.sh"), "utf8");
            for (const claim of ["glusterfs/other/gluster", "glusterfs/prod/gluster2", "another/prod/gluster"]) {
                assert.throws(
                    () => runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables", owner: "x", claim }), { GLUSTERFS_CLUSTER_STATE_DIR: stateDir }),
                    (e: any) => {
                        assert.match(
                            String(e.stderr),
                            /error on host h1: the GlusterFS firewall rules on h1 belong to stack prod of project glusterfs \(GlusterCluster gluster\), and this is stack \S+ of project \S+ \(GlusterCluster \S+\)\. .*remove \S+\/firewall-owner on h1 and run pulumi up again\. Nothing was changed\./,
                        );
                        return true;
                    },
                );
                assert.strictEqual(fs.readFileSync(path.join(stateDir, "firewall.sh"), "utf8"), kept);
                assert.strictEqual(fs.readFileSync(path.join(stateDir, "firewall-owner"), "utf8"), "fw-owner glusterfs/prod/gluster\n");
            }
            fs.writeFileSync(path.join(stateDir, "firewall-owner"), "older\n");
            runWithShims(firewallApplyScript({ ...PARAMS, backend: "iptables", owner: "x", claim: "glusterfs/other/gluster" }), {
                GLUSTERFS_CLUSTER_STATE_DIR: stateDir,
            });
            assert.strictEqual(fs.readFileSync(path.join(stateDir, "firewall-owner"), "utf8"), "x glusterfs/other/gluster\n");
        });
    });
});
