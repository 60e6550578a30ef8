import { childNames } from "./names";
import * as crypto from "crypto";
import { argDefaults, GlusterClusterArgs, RancherArgs, SshConnectionArgs, TlsArgs } from "./args";
import { unknownKeys } from "./keys";

/** One thing wrong with the arguments: the field's path and what to do about it. */
export interface ArgProblem {
    /** The field, as a property path: `nodes[1].name`. */
    field: string;
    /** The rule, the bad value and the fix. */
    message: string;
}

/** Thrown by the constructor before any child is declared; lists every problem at once. */
export class GlusterClusterArgsError extends Error {
    constructor(public readonly problems: ArgProblem[]) {
        super(`GlusterCluster: invalid arguments (nothing was created):\n` + problems.map((p) => `  - \`${p.field}\`: ${p.message}`).join("\n"));
        this.name = "GlusterClusterArgsError";
    }
}

function dnsLabel(): RegExp {
    return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
}
function hostnamePattern(): RegExp {
    return /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
}
function volumeNamePattern(): RegExp {
    return /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;
}
/** Words the gluster CLI refuses as volume names (cli-cmd-parser.c, cli_validate_volname). */
function reservedVolumeNames(): string[] {
    return [
        "volume",
        "type",
        "subvolumes",
        "option",
        "end-volume",
        "all",
        "volume_not_in_ring",
        "description",
        "force",
        "snap-max-hard-limit",
        "snap-max-soft-limit",
        "auto-delete",
        "activate-on-create",
    ];
}
function optionKeyPattern(): RegExp {
    return /^[a-z][a-z0-9_.-]*$/;
}
function safePath(): RegExp {
    return /^\/[A-Za-z0-9_./-]*$/;
}
function userPattern(): RegExp {
    return /^[a-z_][a-z0-9_-]{0,31}$/;
}
/** One public key in authorized_keys form: its type, its base64 body, an optional comment. */
function hostKeyPattern(): RegExp {
    return /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}( [^\n\r]*)?$/;
}
function networkNamePattern(): RegExp {
    return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
}

export function isIPv4(s: string): boolean {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    return !!m && m.slice(1).every((o) => Number(o) <= 255 && String(Number(o)) === o);
}

/** An IPv4 CIDR such as `10.0.5.0/24` (host bits may be set; the firewall masks them). */
export function isIPv4Cidr(s: string): boolean {
    const m = /^([^/]+)\/(\d{1,2})$/.exec(s);
    return !!m && isIPv4(m[1]) && Number(m[2]) <= 32 && String(Number(m[2])) === m[2];
}

function isSafeDir(s: unknown): boolean {
    return typeof s === "string" && safePath().test(s) && s !== "/" && !s.includes("..");
}

export function isHostname(s: string): boolean {
    return hostnamePattern().test(s);
}

function show(v: unknown): string {
    return JSON.stringify(v);
}

type Add = (field: string, message: string) => void;

/**
 * Checks every plain argument and returns the problems found (empty when the arguments
 * are good). Pure: it reads nothing but its argument.
 */
export function findProblems(args: GlusterClusterArgs): ArgProblem[] {
    const problems: ArgProblem[] = [];
    const add: Add = (field, message) => problems.push({ field, message });
    const mode = args.networkMode ?? argDefaults().networkMode;
    if (mode !== "container" && mode !== "host") {
        add("networkMode", `must be "container" or "host"; got ${show(mode)}. Fix: pick one of them.`);
    }
    problemsOfVolumeName(args, add);
    const hostOfNode = problemsOfNodes(args, mode, add);
    problemsOfChildNames(args, hostOfNode, add);
    problemsOfHostLayout(args, mode, hostOfNode, add);
    problemsOfNetwork(args, mode, hostOfNode, add);
    problemsOfPaths(args, mode, add);
    problemsOfOptions(args, add);
    problemsOfAccess(args, mode, add);
    problemsOfPorts(args, add);
    problemsOfTimeouts(args, add);
    if (args.rancher !== undefined) problemsOfRancher(args.rancher, add);
    problemsOfTls(args, add);
    problemsOfKeys(args, add);
    return problems;
}

function problemsOfVolumeName(args: GlusterClusterArgs, add: Add): void {
    const volumeName = args.volumeName ?? argDefaults().volumeName;
    if (typeof volumeName !== "string" || !volumeNamePattern().test(volumeName)) {
        add(
            "volumeName",
            `must be 1-64 letters, digits, '-' or '_', not starting with '-' (GlusterFS's rule); got ${show(volumeName)}. ` + `Fix: e.g. "my_vol".`,
        );
    } else if (reservedVolumeNames().includes(volumeName)) {
        add("volumeName", `${show(volumeName)} is a word the gluster CLI reserves. Fix: choose another name, e.g. "${volumeName}_vol".`);
    }
}

/** Checks the node list and each node; returns each node's host key ("local" or its Docker endpoint). */
function problemsOfNodes(args: GlusterClusterArgs, mode: string, add: Add): string[] {
    const nodes = Array.isArray(args.nodes) ? args.nodes : [];
    if (!Array.isArray(args.nodes)) {
        add(
            "nodes",
            `must be a list of at least 3 nodes; got ${show(args.nodes)}. Fix: e.g. [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }].`,
        );
    } else if (nodes.length < 3) {
        add("nodes", `needs at least 3 nodes for a replica-3 volume; got ${nodes.length}. Fix: add ${3 - nodes.length} more node(s).`);
    }
    const seenNames = new Map<string, number>();
    const seenAddresses = new Map<string, number>();
    return nodes.map((node, i) => {
        const f = `nodes[${i}]`;
        if (typeof node?.name !== "string" || !dnsLabel().test(node.name)) {
            add(`${f}.name`, `must be a DNS label (a-z, 0-9 and '-', at most 63, no '-' at either end); got ${show(node?.name)}. Fix: e.g. "gluster-${i}".`);
        } else if (seenNames.has(node.name)) {
            add(`${f}.name`, `${show(node.name)} is also the name of nodes[${seenNames.get(node.name)}]; names must be unique. Fix: rename one of them.`);
        } else {
            seenNames.set(node.name, i);
        }
        problemsOfAddress(node, f, mode, seenAddresses, i, add);
        problemsOfReplaces(nodes, i, add);
        if (node?.rebuilt !== undefined && typeof node.rebuilt !== "boolean") {
            add(`${f}.rebuilt`, `must be true or false; got ${show(node.rebuilt)}.`);
        } else if (node?.rebuilt === true && node.replaces !== undefined) {
            add(
                `${f}.rebuilt`,
                `a node is either rebuilt in place (the same name, taking back its old identity) or replaces another (a new name); this one says both. Fix: remove replaces if ${show(node.name)} is the rebuilt host itself; else remove rebuilt.`,
            );
        }
        if (node?.dataRoot !== undefined) {
            if (mode !== "host") {
                add(`${f}.dataRoot`, `only applies in host mode. Fix: remove it.`);
            } else if (!isSafeDir(node.dataRoot)) {
                add(
                    `${f}.dataRoot`,
                    `must be an absolute path of letters, digits, '_', '.', '-' and '/', not "/" and without ".."; got ${show(node.dataRoot)}.`,
                );
            }
        }
        return problemsOfHost(node?.host, f, add);
    });
}

/**
 * Node names that would give two of the component's children the same name (and so the same
 * URN): a node named "pool" beside the pool step, or nodes "a" and "a-state" (a's state
 * volume). Each name is made by the one table (names.ts), so the check is that table's.
 */
function problemsOfChildNames(args: GlusterClusterArgs, hostOfNode: string[], add: Add): void {
    const nodes = (Array.isArray(args.nodes) ? args.nodes : []).map((n) => n?.name).filter((n): n is string => typeof n === "string");
    if (nodes.length !== (args.nodes ?? []).length || new Set(nodes).size !== nodes.length) return;
    const names = childNames("c");
    const made = new Map<string, number | undefined>();
    const clashes = new Map<number, string>();
    const make = (child: string, node?: number) => {
        if (made.has(child)) {
            const other = made.get(child);
            for (const i of [node, other]) if (i !== undefined && !clashes.has(i)) clashes.set(i, child.slice(2));
        } else made.set(child, node);
    };
    for (const f of [names.identity, names.preflight, names.network, names.pool, names.probeBack, names.volume]) make(f());
    for (const f of [names.rancherNodes, names.rancherNamespace, names.mountContract, names.nodeMountCheck, names.tlsSecret]) make(f());
    for (const f of [names.provisionerNamespace, names.provisionerRepo, names.provisionerApp]) make(f());
    for (const m of Array.isArray(args.rancher?.nodeMounts) ? args.rancher.nodeMounts : []) if (typeof m?.name === "string") make(names.nodeMount(m.name));
    const firstOnHost = new Map<string, number>();
    hostOfNode.forEach((key, i) => firstOnHost.has(key) || firstOnHost.set(key, i));
    for (const [key, i] of firstOnHost) {
        const id = key === "local" ? "local" : nodes[i];
        for (const f of [names.engine, names.docker, names.image, names.firewall, names.firewallSettle]) make(f(id), key === "local" ? undefined : i);
    }
    nodes.forEach((n, i) => {
        for (const f of [names.container, names.ready, names.data]) make(f(n), i);
        for (const role of ["state", "bricks", "logs"] as const) make(names.storage(n, role), i);
        if (i >= 3) for (const f of [names.probe, names.probeBackOf]) make(f(n), i);
        if (tlsEnabled(args)) for (const f of [names.tlsNodeKey, names.tlsNodeRequest, names.tlsNodeCert, names.tlsFiles]) make(f(n), i);
        if (args.tls?.acceptOutage === true) make(names.tlsSwitchRestart(n), i);
    });
    if (tlsEnabled(args)) {
        for (const role of ["server", "client"] as const) for (const f of [names.tlsCaKey, names.tlsCa]) make(f(role));
        if (args.tls?.acceptOutage === true) for (const f of [names.tlsSwitchStop, names.tlsSwitchStart]) make(f());
        const clients = Array.isArray(args.tls?.clients) ? args.tls.clients.filter((c) => typeof c === "string") : [];
        // The Rancher cluster's identity (spec.ts nodeMountClient).
        if (args.rancher) clients.push(`rancher-${String(args.rancher.clusterId)}`);
        for (const c of clients) for (const f of [names.tlsClientKey, names.tlsClientRequest, names.tlsClientCert]) make(f(c));
    }
    for (const [i, child] of [...clashes].sort(([a], [b]) => a - b))
        add(
            `nodes[${i}].name`,
            `${show(nodes[i])} would give two of the component's resources the same name (NAME-${child}, after the component's name). Fix: choose another node name.`,
        );
}

/** `replaces`: the name of a brick node that is no longer in the list, on a new brick node that is not the first. */
function problemsOfReplaces(nodes: GlusterClusterArgs["nodes"], i: number, add: Add): void {
    const r = nodes[i]?.replaces;
    if (r === undefined) return;
    const f = `nodes[${i}].replaces`;
    if (typeof r !== "string" || !dnsLabel().test(r)) {
        add(f, `must be the name of the brick node this node takes the place of; got ${show(r)}.`);
    } else if (i >= 3) {
        add(
            f,
            `only a brick node (one of the first three) can replace a lost brick node; this is nodes[${i}]. Fix: list it among the first three, or remove replaces.`,
        );
    } else if (nodes.some((n) => n?.name === r)) {
        add(
            f,
            `${show(r)} is still in the node list; a node replaces one that has left it. Fix: remove ${show(r)} from nodes; or, if the replacement is done and the name is used again, remove replaces.`,
        );
    }
    // A replacement listed first is the identity guard's to judge: refused while it is to be
    // done (the first node runs the pool and volume steps), fine once it is (README).
}

function problemsOfAddress(node: GlusterClusterArgs["nodes"][number], f: string, mode: string, seen: Map<string, number>, i: number, add: Add): void {
    if (mode === "container") {
        if (node?.address !== undefined) {
            add(`${f}.address`, `only applies in host mode; in container mode peers reach a node by its name. Fix: remove it, or set networkMode: "host".`);
        }
        return;
    }
    if (mode !== "host") return;
    if (node?.address === undefined) {
        add(
            `${f}.address`,
            `is required in host mode: the host name or IPv4 address peers and clients use for this node. Fix: e.g. "gfs${i + 1}.example.net".`,
        );
    } else if (typeof node.address !== "string" || !(isIPv4(node.address) || isHostname(node.address))) {
        add(`${f}.address`, `must be a host name or an IPv4 address; got ${show(node.address)}.`);
    } else if (node.address === "localhost" || node.address.startsWith("127.")) {
        add(`${f}.address`, `must not be a loopback name or address (GlusterFS refuses bricks on ${show(node.address)}). Fix: use the host's network address.`);
    } else if (seen.has(node.address)) {
        add(`${f}.address`, `${show(node.address)} is also the address of nodes[${seen.get(node.address)}]. Fix: give each node its own host.`);
    } else {
        seen.set(node.address, i);
    }
}

/** One identity per Docker endpoint and per SSH address; in host mode, one node per host. */
function problemsOfHostLayout(args: GlusterClusterArgs, mode: string, hostOfNode: string[], add: Add): void {
    const dockerToSsh = new Map<string, string>();
    const sshToDocker = new Map<string, string>();
    (Array.isArray(args.nodes) ? args.nodes : []).forEach((node, i) => {
        const h = node?.host;
        if (!h || typeof h.dockerHost !== "string" || typeof h.ssh?.host !== "string") return;
        const ssh = `${h.ssh.host}:${h.ssh.port ?? argDefaults().sshPort}`;
        if (dockerToSsh.has(h.dockerHost) && dockerToSsh.get(h.dockerHost) !== ssh) {
            add(
                `nodes[${i}].host.ssh`,
                `Docker host ${show(h.dockerHost)} is reached over SSH as ${show(dockerToSsh.get(h.dockerHost))} by another node, and as ${show(ssh)} here. Fix: use the same SSH connection for nodes on one host.`,
            );
        }
        if (sshToDocker.has(ssh) && sshToDocker.get(ssh) !== h.dockerHost) {
            add(
                `nodes[${i}].host.dockerHost`,
                `SSH host ${show(ssh)} is given Docker host ${show(sshToDocker.get(ssh))} by another node, and ${show(h.dockerHost)} here. Fix: use one Docker endpoint per host.`,
            );
        }
        dockerToSsh.set(h.dockerHost, ssh);
        sshToDocker.set(ssh, h.dockerHost);
    });
    if (mode !== "host") return;
    const firstOnHost = new Map<string, number>();
    hostOfNode.forEach((key, i) => {
        if (firstOnHost.has(key)) {
            const where = key === "local" ? "the local Docker engine" : show(key);
            add(
                `nodes[${i}].host`,
                `nodes[${firstOnHost.get(key)}] already runs on ${where}; host mode allows one node per host (both would bind 24007 and the brick ports). ` +
                    `Fix: put this node on another host, or use networkMode: "container".`,
            );
        } else {
            firstOnHost.set(key, i);
        }
    });
}

function problemsOfNetwork(args: GlusterClusterArgs, mode: string, hostOfNode: string[], add: Add): void {
    const distinctHosts = new Set(hostOfNode);
    if (mode === "container" && distinctHosts.size > 1 && !args.network?.existing) {
        add(
            "network.existing",
            `the nodes run on ${distinctHosts.size} Docker hosts, and a bridge network the component creates cannot span them. ` +
                `Fix: name an existing multi-host (overlay) network with network: { name: "...", existing: true }, or use networkMode: "host".`,
        );
    }
    if (args.network === undefined) return;
    if (mode === "host") {
        add("network", `only applies in container mode. Fix: remove it, or set networkMode: "container".`);
    } else if (args.network.name !== undefined && !networkNamePattern().test(args.network.name)) {
        add("network.name", `must be a Docker network name (letters, digits, '_', '.', '-'); got ${show(args.network.name)}.`);
    } else if (args.network.existing && args.network.name === undefined) {
        add("network.name", `is required with existing: true: the name of the network to join.`);
    }
}

function problemsOfPaths(args: GlusterClusterArgs, mode: string, add: Add): void {
    if (args.image !== undefined && (typeof args.image !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_./:@-]*$/.test(args.image))) {
        add("image", `must be a Docker image reference such as "registry.example.net/glusterfs:11"; got ${show(args.image)}.`);
    }
    if (args.dataRoot !== undefined) {
        if (mode !== "host") {
            add("dataRoot", `only applies in host mode (container mode keeps data in named Docker volumes). Fix: remove it.`);
        } else if (!isSafeDir(args.dataRoot)) {
            add("dataRoot", `must be an absolute path of letters, digits, '_', '.', '-' and '/', not "/" and without ".."; got ${show(args.dataRoot)}.`);
        }
    }
    // `false` is the default (Pulumi.yaml declares it, so every stack's config holds it): only
    // asking for it where it means nothing is refused.
    if (args.allowBricksOnRootFilesystem === true && mode !== "host") {
        add(
            "allowBricksOnRootFilesystem",
            `only applies in host mode (container mode keeps bricks in named Docker volumes, under Docker's data root). Fix: remove it.`,
        );
    }
    if (args.mountPoint !== undefined && (!safePath().test(args.mountPoint) || args.mountPoint === "/" || args.mountPoint.includes(".."))) {
        add(
            "mountPoint",
            `must be an absolute path of letters, digits, '_', '.', '-' and '/', not "/"; got ${show(args.mountPoint)}. Fix: e.g. "/mnt/gluster".`,
        );
    }
}

function problemsOfOptions(args: GlusterClusterArgs, add: Add): void {
    for (const [key, value] of Object.entries(args.volumeOptions ?? {})) {
        if (!optionKeyPattern().test(key)) {
            add(
                `volumeOptions[${show(key)}]`,
                `is not a GlusterFS option name (lower-case words joined by '.', '-' or '_'). Fix: e.g. "network.ping-timeout".`,
            );
        } else if (key.startsWith("user.glusterfs-cluster")) {
            add(`volumeOptions[${show(key)}]`, `is reserved: the component records what it manages there.`);
        } else if ((key === "cluster.self-heal-daemon" || key === "self-heal-daemon") && value === "off") {
            // Every roll and lost-host replacement waits for self-heal to catch up: without the
            // daemon nothing heals, and each would wait out its deadline and fail.
            add(
                `volumeOptions[${show(key)}]`,
                `"off" would leave nothing to heal a node that comes back, and every rolling replacement waits for self-heal to catch up. Fix: remove it (the daemon is on by default).`,
            );
        }
        if (typeof value !== "string" || value === "" || /[\n\r\0]/.test(value)) {
            add(`volumeOptions[${show(key)}]`, `must be a non-empty one-line string; got ${show(value)}.`);
        } else if (value.startsWith("-")) {
            // The gluster CLI takes "--…" anywhere in its arguments as its own options.
            add(`volumeOptions[${show(key)}]`, `must not start with '-': the gluster CLI would read it as one of its own options; got ${show(value)}.`);
        }
    }
    for (const [name, ip] of Object.entries(args.extraHosts ?? {})) {
        if (!isHostname(name)) {
            add(`extraHosts[${show(name)}]`, `the key must be a host name; got ${show(name)}.`);
        }
        if (typeof ip !== "string" || !isIPv4(ip)) {
            add(`extraHosts[${show(name)}]`, `must map to an IPv4 address; got ${show(ip)}.`);
        }
    }
}

/** Who may mount: client networks, the firewall, and no open door without saying so. */
function problemsOfAccess(args: GlusterClusterArgs, mode: string, add: Add): void {
    (args.clientCidrs ?? []).forEach((cidr, i) => {
        if (typeof cidr !== "string" || !isIPv4Cidr(cidr)) {
            add(`clientCidrs[${i}]`, `must be an IPv4 network in CIDR form; got ${show(cidr)}. Fix: e.g. "10.0.5.0/24", or "10.0.5.7/32" for one host.`);
        }
    });
    const fw = args.firewall ?? {};
    const backends = ["auto", "iptables", "nftables", "firewalld", "ufw"];
    if (fw.backend !== undefined && !backends.includes(fw.backend)) {
        add("firewall.backend", `must be one of ${backends.map((b) => `"${b}"`).join(", ")}; got ${show(fw.backend)}.`);
    }
    if (mode === "container" && fw.enabled === true) {
        add(
            "firewall.enabled",
            `container mode does not support host firewall rules (traffic between containers on a Docker network does not pass the host's INPUT chain). ` +
                `Fix: remove it, or set networkMode: "host".`,
        );
    }
    const everyone = (args.clientCidrs ?? []).findIndex((c) => typeof c === "string" && c.endsWith("/0"));
    if (mode === "host" && everyone >= 0 && args.insecureAllowAnyClient !== true) {
        add(
            `clientCidrs[${everyone}]`,
            `admits every address: the firewall and auth.allow would let any host that reaches the servers mount the volume read-write. ` +
                `Fix: list the client networks, or accept an open volume with insecureAllowAnyClient: true.`,
        );
    } else if (isOpenToAnyClient(args) && args.insecureAllowAnyClient !== true) {
        const why = fw.enabled === false ? "the firewall is disabled" : "the firewall admits every source";
        add(
            fw.enabled === false ? "firewall.enabled" : "firewall.allowAllClients",
            `${why} and no clientCidrs are set, so auth.allow stays unset: any host that reaches the servers could mount the volume read-write. ` +
                `Fix: list the client networks in clientCidrs (auth.allow then admits only them and the servers), or accept an open volume with insecureAllowAnyClient: true.`,
        );
    }
    if (args.createMissingVolume !== undefined && typeof args.createMissingVolume !== "boolean") {
        add("createMissingVolume", `must be true or false; got ${show(args.createMissingVolume)}.`);
    }
    if (args.insecureAllowAnyClient !== undefined && typeof args.insecureAllowAnyClient !== "boolean") {
        add("insecureAllowAnyClient", `must be true or false; got ${show(args.insecureAllowAnyClient)}.`);
    }
}

/**
 * Whether nothing restricts who mounts, in host mode: a client network of every address, or
 * no `auth.allow` (no client networks, no Rancher nodes, none of the user's own but "*") and
 * a firewall that admits every source.
 */
export function isOpenToAnyClient(args: GlusterClusterArgs): boolean {
    const mode = args.networkMode ?? argDefaults().networkMode;
    const own = args.volumeOptions?.["auth.allow"];
    const cidrs = args.clientCidrs ?? [];
    if (mode === "host" && cidrs.some((c) => typeof c === "string" && c.endsWith("/0"))) return true;
    const mounts = Array.isArray(args.rancher?.nodeMounts) ? args.rancher.nodeMounts.length : 0;
    const authAllow = cidrs.length > 0 || args.rancher?.allowClusterNodes === true || mounts > 0 || (own !== undefined && own.trim() !== "*");
    const firewallOpen = args.firewall?.enabled === false || args.firewall?.allowAllClients === true;
    return mode === "host" && !authAllow && firewallOpen;
}

function problemsOfPorts(args: GlusterClusterArgs, add: Add): void {
    const base = args.brickPorts?.base ?? argDefaults().brickPortBase;
    const max = args.brickPorts?.max ?? argDefaults().brickPortMax;
    if (!Number.isInteger(base) || base < 24010 || base > 65534) {
        add("brickPorts.base", `must be a whole number from 24010 to 65534; got ${show(base)}. Fix: e.g. 49152.`);
    }
    if (!Number.isInteger(max) || max > 65535) {
        add("brickPorts.max", `must be a whole number up to 65535; got ${show(max)}.`);
    } else if (Number.isInteger(base) && max <= base) {
        add(
            "brickPorts.max",
            `must be above brickPorts.base (${base}): a single-port range makes glusterd restarts fail while the old port is in TIME_WAIT; got ${show(max)}. ` +
                `Fix: e.g. ${base + 9}.`,
        );
    } else if (Number.isInteger(base) && max - base > 10000) {
        add("brickPorts.max", `the range ${base}-${max} is wider than 10000 ports; the point of pinning is a narrow firewall rule. Fix: e.g. ${base + 99}.`);
    }
}

function problemsOfTimeouts(args: GlusterClusterArgs, add: Add): void {
    const t = args.timeouts ?? {};
    for (const key of ["glusterdSeconds", "peersSeconds", "volumeSeconds", "healSeconds"] as const) {
        const v = t[key];
        const max = key === "healSeconds" ? 86400 : 3600;
        if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > max)) {
            add(`timeouts.${key}`, `must be a whole number of seconds from 1 to ${max}; got ${show(v)}.`);
        }
    }
}

/** Every key at every level must be one the component knows. */
function problemsOfKeys(args: GlusterClusterArgs, add: Add): void {
    unknownKeys(args, "", "", add);
    (Array.isArray(args.nodes) ? args.nodes : []).forEach((node, i) => {
        unknownKeys(node, "node", `nodes[${i}]`, add);
        unknownKeys(node?.host, "host", `nodes[${i}].host`, add);
        unknownKeys(node?.host?.ssh, "ssh", `nodes[${i}].host.ssh`, add);
        unknownKeys(node?.host?.dockerTls, "dockerTls", `nodes[${i}].host.dockerTls`, add);
    });
    for (const level of ["network", "firewall", "brickPorts", "timeouts", "rancher", "tls"] as const) {
        unknownKeys(args[level], level, level, add);
    }
    unknownKeys(args.tls?.ca, "tlsCa", "tls.ca", add);
    unknownKeys(args.rancher?.storageClass, "storageClass", "rancher.storageClass", add);
    unknownKeys(args.rancher?.storageClass?.chart, "chart", "rancher.storageClass.chart", add);
    (Array.isArray(args.rancher?.nodeMounts) ? args.rancher.nodeMounts : []).forEach((m, i) => {
        unknownKeys(m, "nodeMount", `rancher.nodeMounts[${i}]`, add);
        unknownKeys(m?.ssh, "ssh", `rancher.nodeMounts[${i}].ssh`, add);
    });
}

/** tls.ca: a self-signed CA certificate (it must be the trust anchor: no chain is sent) and its key; the key never shown. */
function problemsOfTlsCa(ca: NonNullable<TlsArgs["ca"]>, add: Add): void {
    let cert: crypto.X509Certificate | undefined;
    try {
        cert = typeof ca?.cert === "string" ? new crypto.X509Certificate(ca.cert) : undefined;
    } catch {
        cert = undefined;
    }
    if (!cert) add("tls.ca.cert", `must be the CA's certificate (PEM). Fix: cert: fs.readFileSync("ca.pem", "utf8").`);
    else if (!cert.ca || cert.issuer !== cert.subject || !cert.checkIssued(cert)) {
        add(
            "tls.ca.cert",
            `must be a self-signed CA certificate (basicConstraints CA:TRUE): GlusterFS trusts only what glusterfs.ca holds, with depth 1. Fix: a CA dedicated to this cluster; got one issued by ${show(cert.issuer.replace(/\n/g, ", "))}.`,
        );
    }
    if (cert && new Date(cert.validTo).getTime() <= Date.now()) {
        add("tls.ca.cert", `expired on ${cert.validTo}: no certificate it signs would be trusted. Fix: a CA that is valid, dedicated to this cluster.`);
    }
    if (ca?.key === undefined || ca.key === null || ca.key === "" || (typeof ca.key === "string" && !isPem(ca.key, "PRIVATE KEY"))) {
        add("tls.ca.key", `must be the CA's private key (PEM). Fix: key: config.requireSecret("tlsCaKey").`);
    } else if (cert && typeof ca.key === "string" && !keyMatches(ca.key, cert)) {
        // Known only when the key is given as text; a secret from config is checked by the signing itself.
        add("tls.ca.key", `is not the key of tls.ca.cert (their public keys differ). Fix: the private key that belongs to that CA certificate.`);
    }
}

/** Whether `keyPem` is the private key of `cert` (the key itself is never shown). */
function keyMatches(keyPem: string, cert: crypto.X509Certificate): boolean {
    try {
        const der = (k: crypto.KeyObject) => k.export({ type: "spki", format: "der" });
        return der(crypto.createPublicKey(keyPem)).equals(der(cert.publicKey));
    } catch {
        return false;
    }
}

/**
 * Whether the component declares TLS (its certificates, files steps and outputs): asked for,
 * or host mode with `tls.enabled` unset. Whether such a default cluster then runs TLS is
 * decided by the identity step (on for a cluster it sees first, as before for one it knows:
 * identity.ts tlsRecorded).
 */
export function tlsEnabled(args: GlusterClusterArgs): boolean {
    return args.tls?.enabled === true || (args.tls?.enabled === undefined && args.networkMode === "host");
}

/** The volume options the component holds itself while it manages TLS. */
export function tlsManagedOptions(): string[] {
    return ["client.ssl", "server.ssl", "auth.ssl-allow", "ssl.own-cert", "ssl.private-key", "ssl.ca-list", "ssl.certificate-depth"];
}

function problemsOfTls(args: GlusterClusterArgs, add: Add): void {
    const t = args.tls;
    if (t !== undefined && (t === null || typeof t !== "object" || Array.isArray(t))) {
        add("tls", `must be an object { enabled?, clients?, rotation?, validityDays?, ca?, acceptOutage? }; got ${show(t)}.`);
        return;
    }
    if (t?.enabled !== undefined && typeof t.enabled !== "boolean") add("tls.enabled", `must be true or false; got ${show(t.enabled)}.`);
    if (t?.acceptOutage !== undefined && typeof t.acceptOutage !== "boolean") add("tls.acceptOutage", `must be true or false; got ${show(t.acceptOutage)}.`);
    else if (t?.acceptOutage === true && t.enabled === undefined) {
        add(
            "tls.acceptOutage",
            `accepts the outage of switching a running volume to TLS or off it, and says which by tls.enabled, which is not set. Fix: set tls.enabled: true (to TLS) or false (off it), or remove tls.acceptOutage.`,
        );
    }
    if (t?.rotation !== undefined && (!Number.isInteger(t.rotation) || t.rotation < 0)) {
        add("tls.rotation", `must be a whole number, 0 or more (raise it to re-issue the certificates); got ${show(t.rotation)}.`);
    }
    if (t?.validityDays !== undefined && (!Number.isInteger(t.validityDays) || t.validityDays < 1 || t.validityDays > 3650)) {
        add("tls.validityDays", `must be a whole number of days from 1 to 3650; got ${show(t.validityDays)}.`);
    }
    if (t?.ca !== undefined) problemsOfTlsCa(t.ca, add);
    const nodeNames = new Set((Array.isArray(args.nodes) ? args.nodes : []).flatMap((n) => [n?.name, n?.address]).filter((x) => typeof x === "string"));
    if (t?.clients !== undefined && !Array.isArray(t.clients)) add("tls.clients", `must be a list of client names; got ${show(t.clients)}.`);
    const seen = new Set<string>();
    (Array.isArray(t?.clients) ? t.clients : []).forEach((c, i) => {
        const f = `tls.clients[${i}]`;
        // auth.ssl-allow takes each entry as a glob pattern: "app*" would admit every name it matches.
        if (typeof c !== "string" || !dnsLabel().test(c))
            add(f, `must be a DNS label (a-z, 0-9 and '-'; no '*', '?' or '['): it is the certificate's CN and an auth.ssl-allow entry; got ${show(c)}.`);
        else if (nodeNames.has(c))
            add(f, `${show(c)} is a node's name or address: a client certificate with that CN could pass for the node. Fix: choose another name.`);
        else if (seen.has(c)) add(f, `${show(c)} is listed twice.`);
        else seen.add(c);
    });
    // spec.ts nodeMountClient: the Rancher cluster's own identity, whenever rancher is set.
    const reserved = args.rancher ? `rancher-${String(args.rancher.clusterId)}` : undefined;
    (Array.isArray(t?.clients) ? t.clients : []).forEach((c, i) => {
        if (c === reserved)
            add(
                `tls.clients[${i}]`,
                `${show(c)} is the identity the component gives the Rancher cluster (its nodeMounts and workloads). Fix: choose another name.`,
            );
    });
    if (tlsEnabled(args)) {
        for (const key of Object.keys(args.volumeOptions ?? {}).filter((k) => tlsManagedOptions().includes(k))) {
            add(
                `volumeOptions[${show(key)}]`,
                `is set by the component while it manages TLS (it would take the I/O path off the files every process uses). Fix: remove it.`,
            );
        }
    } else if (t?.clients !== undefined && t.clients.length > 0) {
        add(
            "tls.clients",
            `client identities need TLS, which is off${t.enabled === false ? "" : " by default in container mode"}. Fix: set tls.enabled: true, or remove tls.clients.`,
        );
    }
}

function rancherClusterId(): RegExp {
    return /^(local|c-[a-z0-9]{5}|c-m-[a-z0-9]{8})$/;
}
function k8sLabel(): RegExp {
    return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
}
function k8sName(): RegExp {
    return /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
}

function problemsOfRancher(r: NonNullable<GlusterClusterArgs["rancher"]>, add: Add): void {
    if (typeof r.clusterId !== "string" || !rancherClusterId().test(r.clusterId)) {
        add(
            "rancher.clusterId",
            `must be a Rancher v1 cluster id ("local", "c-xxxxx" or "c-m-xxxxxxxx"); got ${show(r.clusterId)}. Fix: take it from the Rancher UI (Cluster Management) or ClusterV2.clusterV1Id.`,
        );
    }
    if (r.namespace !== undefined && !k8sLabel().test(r.namespace)) {
        add(
            "rancher.namespace",
            `must be a Kubernetes namespace name (lower-case letters, digits and '-', at most 63); got ${show(r.namespace)}. Fix: e.g. "glusterfs".`,
        );
    }
    if (r.configMapName !== undefined && !k8sName().test(r.configMapName)) {
        add("rancher.configMapName", `must be a Kubernetes object name (lower-case letters, digits, '-' and '.'); got ${show(r.configMapName)}.`);
    }
    if (r.createNamespace && r.projectId === undefined) {
        add(
            "rancher.projectId",
            `is required with createNamespace: a Rancher namespace belongs to a project. Fix: projectId: "<clusterId>:p-xxxxx" (Rancher UI: Cluster → Projects/Namespaces).`,
        );
    }
    if (r.projectId !== undefined) {
        const m = /^([^:]+):p-[a-z0-9]+$/.exec(r.projectId);
        if (!m) {
            add("rancher.projectId", `must be "<clusterId>:p-xxxxx"; got ${show(r.projectId)}.`);
        } else if (typeof r.clusterId === "string" && m[1] !== r.clusterId) {
            add("rancher.projectId", `belongs to cluster ${show(m[1])}, not to rancher.clusterId ${show(r.clusterId)}.`);
        }
    }
    if (r.nodeAddress !== undefined && r.nodeAddress !== "internal" && r.nodeAddress !== "external") {
        add("rancher.nodeAddress", `must be "internal" or "external"; got ${show(r.nodeAddress)}.`);
    }
    problemsOfNodeMounts(r.nodeMounts, add);
    if (r.nodeMountOptions !== undefined) {
        const opts = Array.isArray(r.nodeMountOptions) ? r.nodeMountOptions : [r.nodeMountOptions];
        opts.forEach((o, i) => {
            if (typeof o !== "string" || !/^[a-z][a-z0-9-]*(=[A-Za-z0-9._:/-]+)?$/.test(o)) {
                add(
                    `rancher.nodeMountOptions[${i}]`,
                    `must be one mount option, "name" or "name=value" (letters, digits, '.', '_', ':', '/', '-'); got ${show(o)}. Fix: e.g. "log-level=WARNING".`,
                );
            } else if (/^(backup-volfile-servers|_netdev|defaults)(=|$)/.test(o)) {
                add(`rancher.nodeMountOptions[${i}]`, `${show(o)} is set by the component. Fix: remove it.`);
            }
        });
    }
    if (r.storageClass !== undefined) problemsOfStorageClass(r, add);
}

/** `rancher.storageClass`: on nodes that mount the volume, in a project, with its own names and pinned images. */
function problemsOfStorageClass(r: RancherArgs, add: Add): void {
    const s = r.storageClass!;
    const f = "rancher.storageClass";
    if (!Array.isArray(r.nodeMounts) || r.nodeMounts.length === 0) {
        add(
            f,
            `needs rancher.nodeMounts: a PVC is a directory of the volume mounted on the node its pod runs on. Fix: list the cluster's nodes in rancher.nodeMounts.`,
        );
    }
    if (r.projectId === undefined)
        add(
            f,
            `needs rancher.projectId: the provisioner's namespace is created in a Rancher project. Fix: projectId: "<clusterId>:p-xxxxx" (e.g. the System project).`,
        );
    if (s.name !== undefined && !k8sName().test(s.name))
        add(`${f}.name`, `must be a Kubernetes object name (lower-case letters, digits, '-' and '.'); got ${show(s.name)}.`);
    if (s.namespace !== undefined && !k8sLabel().test(s.namespace)) add(`${f}.namespace`, `must be a Kubernetes namespace name; got ${show(s.namespace)}.`);
    if (
        s.provisionerName !== undefined &&
        (typeof s.provisionerName !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.provisionerName))
    ) {
        add(`${f}.provisionerName`, `must be "domain/name" in lower case; got ${show(s.provisionerName)}.`);
    } else if (s.provisionerName === "rancher.io/local-path") {
        add(
            `${f}.provisionerName`,
            `"rancher.io/local-path" is K3s's own provisioner: two provisioners of one name fight over every PVC. Fix: leave it out (default "glusterfs-cluster.io/<name>").`,
        );
    }
    if (s.reclaimPolicy !== undefined && s.reclaimPolicy !== "Retain" && s.reclaimPolicy !== "Delete")
        add(`${f}.reclaimPolicy`, `must be "Retain" or "Delete"; got ${show(s.reclaimPolicy)}.`);
    for (const key of ["image", "helperImage"] as const) {
        const v = s[key];
        if (v !== undefined && (typeof v !== "string" || !/^[a-z0-9][a-z0-9._/:-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(v) || v.endsWith(":latest"))) {
            add(`${f}.${key}`, `must be an image with a pinned tag (not latest), "repository:tag"; got ${show(v)}.`);
        }
    }
    const c = s.chart ?? {};
    if (c.url !== undefined && (c.gitRepo !== undefined || c.gitBranch !== undefined))
        add(`${f}.chart`, `takes a git repository (gitRepo, gitBranch) or a url, not both.`);
    if (c.gitRepo !== undefined && c.gitBranch === undefined)
        add(`${f}.chart.gitBranch`, `is required with gitRepo: the tag of the chart's release (Rancher checks a tag out as a branch), never a moving branch.`);
    if (c.gitBranch !== undefined && ["master", "main"].includes(c.gitBranch)) {
        add(
            `${f}.chart.gitBranch`,
            `${show(c.gitBranch)} moves: the index then holds only its current chart, and a pinned version disappears at the next release. Fix: a release tag, e.g. "v0.0.37".`,
        );
    }
}

/** `rancher.nodeMounts`: named, addressed (IPv4: the firewall admits it), reachable over SSH; none twice. */
function problemsOfNodeMounts(mounts: RancherArgs["nodeMounts"], add: Add): void {
    if (mounts === undefined) return;
    if (!Array.isArray(mounts)) {
        add("rancher.nodeMounts", `must be a list of { name, address, ssh }; got ${show(mounts)}.`);
        return;
    }
    const names = new Set<string>();
    const addresses = new Set<string>();
    mounts.forEach((m, i) => {
        const f = `rancher.nodeMounts[${i}]`;
        if (typeof m?.name !== "string" || !dnsLabel().test(m.name)) add(`${f}.name`, `must be a DNS label (the node's name); got ${show(m?.name)}.`);
        else if (names.has(m.name)) add(`${f}.name`, `${show(m.name)} is listed twice.`);
        else names.add(m.name);
        if (typeof m?.address !== "string" || !isIPv4(m.address)) {
            add(`${f}.address`, `must be the node's IPv4 address (the volume and the firewall admit it as a client); got ${show(m?.address)}.`);
        } else if (addresses.has(m.address)) add(`${f}.address`, `${show(m.address)} is listed twice.`);
        else addresses.add(m.address);
        if (m?.ssh === undefined || m?.ssh === null || typeof m.ssh !== "object") {
            add(`${f}.ssh`, `is required: the node is set up over SSH, as root. Fix: ssh: { host: "...", privateKey: config.requireSecret("sshKey") }.`);
        } else {
            problemsOfSsh(m.ssh, `${f}.ssh`, add);
            if ((m.ssh.user ?? "root") !== "root")
                add(`${f}.ssh.user`, `must be root: the node step installs packages, writes a systemd unit and mounts; got ${show(m.ssh.user)}.`);
        }
    });
}

/** A PEM block of this kind (a certificate, or a private key of any algorithm). */
function isPem(value: unknown, kind: "CERTIFICATE" | "PRIVATE KEY"): boolean {
    const label = kind === "CERTIFICATE" ? "CERTIFICATE" : "(?:[A-Z]+ )?PRIVATE KEY";
    return typeof value === "string" && new RegExp(`-----BEGIN ${label}-----[\\s\\S]+-----END ${label}-----`).test(value);
}

/**
 * `dockerTls`: only on a tcp:// endpoint; PEM certificates; a key (never shown). Docker's TLS
 * port, 2376, without it would connect unauthenticated or not at all.
 */
function problemsOfDockerTls(host: NonNullable<GlusterClusterArgs["nodes"][number]["host"]>, f: string, add: Add): void {
    const endpoint = typeof host.dockerHost === "string" ? host.dockerHost : "";
    const tls = host.dockerTls;
    if (tls === undefined) {
        if (/^tcp:\/\/[^/]*:2376\/?$/.test(endpoint)) {
            add(
                `${f}.host.dockerTls`,
                `is required for ${show(endpoint)}: port 2376 is Docker's TLS port, whose engine wants a client certificate. Fix: dockerTls: { caCert, cert, key: config.requireSecret("dockerKey") } (README: Docker over tcp://).`,
            );
        }
        return;
    }
    if (!endpoint.startsWith("tcp://")) {
        add(
            `${f}.host.dockerTls`,
            `only applies to a tcp:// endpoint (ssh:// and unix:// are authenticated otherwise); the endpoint is ${show(endpoint)}. Fix: remove it.`,
        );
        return;
    }
    if (!isPem(tls.caCert, "CERTIFICATE"))
        add(`${f}.host.dockerTls.caCert`, `must be a PEM certificate ("-----BEGIN CERTIFICATE-----..."): the CA that signed the engine's certificate.`);
    if (!isPem(tls.cert, "CERTIFICATE"))
        add(`${f}.host.dockerTls.cert`, `must be a PEM certificate ("-----BEGIN CERTIFICATE-----..."): the client certificate.`);
    if (tls.key === undefined || tls.key === null || tls.key === "" || (typeof tls.key === "string" && !isPem(tls.key, "PRIVATE KEY"))) {
        // The key itself is never shown.
        add(`${f}.host.dockerTls.key`, `must be the client certificate's private key (PEM). Fix: key: config.requireSecret("dockerKey").`);
    }
}

/** Checks an SSH connection (`f` names it). */
function problemsOfSsh(ssh: SshConnectionArgs, f: string, add: Add): void {
    if (typeof ssh.host !== "string" || !(isIPv4(ssh.host) || isHostname(ssh.host))) {
        add(`${f}.host`, `must be a host name or IPv4 address; got ${show(ssh.host)}.`);
    }
    if (ssh.port !== undefined && (!Number.isInteger(ssh.port) || ssh.port < 1 || ssh.port > 65535)) {
        add(`${f}.port`, `must be a port number from 1 to 65535; got ${show(ssh.port)}.`);
    }
    if (ssh.user !== undefined && !userPattern().test(ssh.user)) {
        add(`${f}.user`, `must be a Unix user name; got ${show(ssh.user)}.`);
    }
    if (ssh.hostKey !== undefined && (typeof ssh.hostKey !== "string" || !hostKeyPattern().test(ssh.hostKey.trim()))) {
        const hint =
            typeof ssh.hostKey === "string" && hostKeyPattern().test(ssh.hostKey.trim().replace(/^\S+\s+/, ""))
                ? ` It starts with a host name, as ssh-keyscan prints it: drop "${ssh.hostKey.trim().split(/\s+/)[0]}".`
                : "";
        add(
            `${f}.hostKey`,
            `must be one public key as in authorized_keys, "ssh-ed25519 AAAAC3Nz...".${hint} Fix: the content of the host's /etc/ssh/ssh_host_ed25519_key.pub.`,
        );
    }
    if (ssh.privateKey === undefined || ssh.privateKey === null || ssh.privateKey === "") {
        // The key itself is never shown.
        add(`${f}.privateKey`, `is required (key-based login). Fix: privateKey: config.requireSecret("sshKey").`);
    }
}

/** Checks one node's `host` and returns its host key ("local" or the Docker endpoint). */
function problemsOfHost(host: GlusterClusterArgs["nodes"][number]["host"], f: string, add: Add): string {
    if (host === undefined) return "local";
    if (typeof host.dockerHost !== "string" || !/^(ssh|tcp|unix):\/\/[A-Za-z0-9_.@:/[\]-]+$/.test(host.dockerHost)) {
        add(`${f}.host.dockerHost`, `must be a Docker endpoint "ssh://user@host", "tcp://host:port" or "unix:///path"; got ${show(host.dockerHost)}.`);
    }
    problemsOfDockerTls(host, f, add);
    const ssh = host.ssh;
    if (ssh === undefined || ssh === null) {
        add(
            `${f}.host.ssh`,
            `a remote host needs an SSH connection for its commands. Fix: add ssh: { host: "...", user: "root", privateKey: config.requireSecret("sshKey") }.`,
        );
        return String(host.dockerHost);
    }
    problemsOfSsh(ssh, `${f}.host.ssh`, add);
    return String(host.dockerHost);
}

/** Throws one GlusterClusterArgsError listing every problem, or returns quietly. */
export function validateArgs(args: GlusterClusterArgs): void {
    const problems = findProblems(args);
    if (problems.length > 0) {
        throw new GlusterClusterArgsError(problems);
    }
}
