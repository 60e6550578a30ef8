/**
 * Strict reading of resource arguments: every argument a stand-in reads is marked, and
 * `done()` fails on any argument that was not read, so a stand-in can never pass by
 * ignoring something the component declared. In a preview the engine sends values it does
 * not know yet as the unknown sentinel: any reader accepts it, and a reader of an unknown
 * object reads nothing (every field of it is unknown too).
 */

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** The engine's sentinel for a value not known yet (sdk/go/common/resource/plugin/rpc.go, UnknownStringValue). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether `v` is, or holds anywhere, a value not known yet. */
export function hasUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(hasUnknown);
    if (v && typeof v === "object") return Object.values(v).some(hasUnknown);
    return false;
}

/** Unwraps Pulumi's serialized secrets (`{ <sig>: ..., value }`) anywhere in a value. */
export function unwrapSecrets(v: any): any {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v && typeof v === "object") {
        if (SECRET_SIG in v) return unwrapSecrets(v.value);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

export class Strict {
    private readonly seen = new Set<string>();
    /** An object that is itself unknown: every read gives undefined and nothing fails. */
    private readonly unknown: boolean;
    constructor(
        private readonly args: Record<string, any>,
        readonly where: string,
    ) {
        this.unknown = (args as unknown) === UNKNOWN;
    }

    private take(key: string): any {
        this.seen.add(key);
        if (this.unknown) return undefined;
        const v = this.args[key];
        // Not known yet (a preview): taken as absent by the readers, which only check types.
        return v === UNKNOWN ? undefined : v;
    }
    private fail(key: string, want: string, got: unknown): never {
        throw new Error(`${this.where}.${key}: expected ${want}, got ${JSON.stringify(got)}`);
    }
    /** Whether `key` is given but not known yet. */
    isUnknown(key: string): boolean {
        return this.unknown || this.args[key] === UNKNOWN;
    }

    string(key: string): string {
        if (this.isUnknown(key)) return (this.take(key), UNKNOWN);
        const v = this.take(key);
        return typeof v === "string" ? v : this.fail(key, "a string", v);
    }
    optionalString(key: string): string | undefined {
        const v = this.take(key);
        return v === undefined || typeof v === "string" ? v : this.fail(key, "a string", v);
    }
    optionalNumber(key: string): number | undefined {
        const v = this.take(key);
        return v === undefined || typeof v === "number" ? v : this.fail(key, "a number", v);
    }
    bool(key: string): boolean {
        if (this.isUnknown(key)) return (this.take(key), false);
        const v = this.take(key);
        return typeof v === "boolean" ? v : this.fail(key, "a boolean", v);
    }
    optionalBool(key: string): boolean | undefined {
        const v = this.take(key);
        return v === undefined || typeof v === "boolean" ? v : this.fail(key, "a boolean", v);
    }
    stringList(key: string): string[] {
        if (this.isUnknown(key)) return (this.take(key), []);
        const v = this.take(key);
        return Array.isArray(v) && v.every((x) => typeof x === "string") ? v : this.fail(key, "a list of strings", v);
    }
    optionalStringList(key: string): string[] {
        return this.args[key] === undefined ? (this.take(key), []) : this.stringList(key);
    }
    optionalStringMap(key: string): Record<string, string> {
        const v = this.take(key);
        if (v === undefined) return {};
        return v && typeof v === "object" && Object.values(v).every((x) => typeof x === "string") ? v : this.fail(key, "a map of strings", v);
    }
    /** A list of any values, taken as is (command triggers). */
    optionalAnyList(key: string): unknown[] | undefined {
        const v = this.take(key);
        return v === undefined || Array.isArray(v) ? v : this.fail(key, "a list", v);
    }
    object(key: string): Strict {
        if (this.isUnknown(key)) return (this.take(key), new Strict(UNKNOWN as any, `${this.where}.${key}`));
        const v = this.take(key);
        return v && typeof v === "object" && !Array.isArray(v) ? new Strict(v, `${this.where}.${key}`) : this.fail(key, "an object", v);
    }
    optionalObject(key: string): Strict | undefined {
        return this.args[key] === undefined ? (this.take(key), undefined) : this.object(key);
    }
    optionalObjectList(key: string): Strict[] {
        const v = this.take(key);
        if (v === undefined) return [];
        if (!Array.isArray(v)) this.fail(key, "a list", v);
        return v.map((x, i) => new Strict(x, `${this.where}.${key}[${i}]`));
    }
    optionalLabels(key: string): Array<{ label: string; value: string }> {
        return this.optionalObjectList(key).map((l) => {
            const r = { label: l.string("label"), value: l.string("value") };
            l.done();
            return r;
        });
    }

    /** Fails on any argument that no reader took. */
    done(): void {
        if (this.unknown) return;
        const unread = Object.keys(this.args).filter((k) => !this.seen.has(k) && this.args[k] !== undefined);
        if (unread.length > 0) {
            throw new Error(`${this.where}: the stand-in does not understand ${unread.map((k) => `'${k}'`).join(", ")}; refusing to ignore it`);
        }
    }
}
