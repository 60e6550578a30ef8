/**
 * Unknown keys are refused at every level of the arguments: a misspelt or misplaced key
 * (`firewall: { clientCidrs: [...] }`) would otherwise be dropped silently while the user
 * believes a restriction is in place. Each list below is checked against its interface at
 * compile time, so a new argument cannot be forgotten here.
 */
import {
    DockerTlsArgs,
    BrickPortsArgs,
    FirewallArgs,
    GlusterClusterArgs,
    GlusterNodeArgs,
    NetworkArgs,
    NodeMountArgs,
    RancherArgs,
    RemoteHostArgs,
    SshConnectionArgs,
    StorageClassArgs,
    TimeoutsArgs,
    TlsArgs,
} from "./args";

/** Fails to compile unless `K` lists every key of `T` (and nothing else). */
type Exactly<T, K extends readonly PropertyKey[]> = [Exclude<keyof T, K[number]>] extends [never]
    ? [Exclude<K[number], keyof T>] extends [never]
        ? K
        : never
    : never;
const keysOf =
    <T>() =>
    <K extends readonly (keyof T)[]>(k: Exactly<T, K>): readonly string[] =>
        k as readonly string[];

export function argKeys() {
    return {
        "": keysOf<GlusterClusterArgs>()([
            "volumeName",
            "networkMode",
            "network",
            "nodes",
            "image",
            "dataRoot",
            "deleteDataOnDestroy",
            "volumeOptions",
            "clientCidrs",
            "extraHosts",
            "firewall",
            "brickPorts",
            "mountPoint",
            "timeouts",
            "rancher",
            "insecureAllowAnyClient",
            "allowBricksOnRootFilesystem",
            "createMissingVolume",
            "tls",
        ] as const),
        node: keysOf<GlusterNodeArgs>()(["name", "address", "host", "dataRoot", "replaces", "rebuilt"] as const),
        host: keysOf<RemoteHostArgs>()(["dockerHost", "ssh", "dockerTls"] as const),
        dockerTls: keysOf<DockerTlsArgs>()(["caCert", "cert", "key"] as const),
        ssh: keysOf<SshConnectionArgs>()(["host", "port", "user", "privateKey", "hostKey"] as const),
        network: keysOf<NetworkArgs>()(["name", "existing"] as const),
        firewall: keysOf<FirewallArgs>()(["enabled", "backend", "allowAllClients"] as const),
        brickPorts: keysOf<BrickPortsArgs>()(["base", "max"] as const),
        timeouts: keysOf<TimeoutsArgs>()(["glusterdSeconds", "peersSeconds", "volumeSeconds", "healSeconds"] as const),
        tls: keysOf<TlsArgs>()(["enabled", "clients", "rotation", "validityDays", "ca", "acceptOutage"] as const),
        tlsCa: keysOf<NonNullable<TlsArgs["ca"]>>()(["cert", "key"] as const),
        rancher: keysOf<RancherArgs>()([
            "clusterId",
            "namespace",
            "createNamespace",
            "projectId",
            "configMapName",
            "allowClusterNodes",
            "nodeAddress",
            "provider",
            "nodeMounts",
            "nodeMountOptions",
            "storageClass",
        ] as const),
        storageClass: keysOf<StorageClassArgs>()([
            "name",
            "provisionerName",
            "reclaimPolicy",
            "namespace",
            "chart",
            "image",
            "helperImage",
            "systemDefaultRegistry",
        ] as const),
        chart: keysOf<NonNullable<StorageClassArgs["chart"]>>()(["gitRepo", "gitBranch", "url", "version"] as const),
        nodeMount: keysOf<NodeMountArgs>()(["name", "address", "ssh"] as const),
    };
}

/** A level of the arguments whose keys are checked ("" is the top). */
export type ArgLevel = keyof ReturnType<typeof argKeys>;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
        }
    }
    return d[a.length][b.length];
}

/** The valid key closest to `key`, if it is close enough to be a slip. */
export function nearest(key: string, valid: readonly string[]): string | undefined {
    const scored = valid.map((v) => ({ v, d: distance(key, v) })).sort((x, y) => x.d - y.d);
    const best = scored[0];
    return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.v : undefined;
}

/** Where else a key is valid, for a misplaced key: `clientCidrs` under `firewall` is a top-level argument. */
function validElsewhere(key: string, here: ArgLevel): string | undefined {
    const where = (Object.keys(argKeys()) as Array<ArgLevel>).find((level) => level !== here && argKeys()[level].includes(key));
    if (where === undefined) return undefined;
    return where === "" ? `the top-level argument \`${key}\`` : `\`${key}\` under \`${where}\``;
}

/**
 * Reports every key of `value` that `level` does not know, with the nearest valid key or
 * the level where the key belongs.
 */
export function unknownKeys(value: unknown, level: ArgLevel, field: string, add: (field: string, message: string) => void): void {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    const valid = argKeys()[level];
    for (const key of Object.keys(value)) {
        if (valid.includes(key)) continue;
        const path = field ? `${field}.${key}` : key;
        const elsewhere = validElsewhere(key, level);
        const close = nearest(key, valid);
        const fix = close
            ? `Fix: did you mean \`${field ? `${field}.` : ""}${close}\`?`
            : elsewhere
              ? `Fix: it belongs elsewhere: ${elsewhere}.`
              : `Fix: remove it; the keys here are ${valid.map((k) => `\`${k}\``).join(", ")}.`;
        add(path, `is not a known argument, and would be ignored. ${fix}`);
    }
}
