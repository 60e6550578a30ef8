import * as assert from "assert";
import { nearest, unknownKeys } from "../../components/keys";

/** The problems unknownKeys reports for `value` at `level`. */
function problems(value: unknown, level: Parameters<typeof unknownKeys>[1], field = ""): string[] {
    const out: string[] = [];
    unknownKeys(value, level, field, (f, m) => out.push(`${f}: ${m}`));
    return out;
}

describe("argument keys", () => {
    it("suggests the nearest key within a third of the key's length (at least 2 edits), ignoring case", () => {
        assert.strictEqual(nearest("clientCidr", ["volumeName", "clientCidrs"]), "clientCidrs");
        assert.strictEqual(nearest("CLIENTCIDRS", ["clientCidrs"]), "clientCidrs");
        // 9 letters: up to 3 edits.
        assert.strictEqual(nearest("abcdewxyz", ["abcdefghi"]), undefined);
        assert.strictEqual(nearest("abcdefxyz", ["abcdefghi"]), "abcdefghi");
        assert.strictEqual(nearest("abcdefgyz", ["abcdefghi"]), "abcdefghi");
        assert.strictEqual(nearest("abcdexyzi", ["abcdefghi"]), "abcdefghi");
        // Short keys: 2 edits, counted from an empty prefix (three insertions are 3, not fewer).
        assert.strictEqual(nearest("x", ["xyz"]), "xyz");
        assert.strictEqual(nearest("q", ["abc"]), undefined);
        assert.strictEqual(nearest("qq", []), undefined);
    });

    it("names a misplaced key's right place, at the top or under another argument", () => {
        assert.deepStrictEqual(problems({ backend: "nftables" }, ""), [
            "backend: is not a known argument, and would be ignored. Fix: it belongs elsewhere: `backend` under `firewall`.",
        ]);
        assert.deepStrictEqual(problems({ clientCidrs: [] }, "firewall", "firewall"), [
            "firewall.clientCidrs: is not a known argument, and would be ignored. Fix: it belongs elsewhere: the top-level argument `clientCidrs`.",
        ]);
    });

    it("lists the level's keys when nothing is near, and says nothing of valid keys", () => {
        assert.deepStrictEqual(problems({ zzzzzzzz: 1, base: 1, max: 2 }, "brickPorts", "brickPorts"), [
            "brickPorts.zzzzzzzz: is not a known argument, and would be ignored. Fix: remove it; the keys here are `base`, `max`.",
        ]);
        assert.deepStrictEqual(problems({ enabld: true }, "firewall", "firewall"), [
            "firewall.enabld: is not a known argument, and would be ignored. Fix: did you mean `firewall.enabled`?",
        ]);
    });

    it("looks only into objects: a string, a list or null has no keys to check", () => {
        for (const v of ["nftables", ["a", "b"], null, undefined, 3]) assert.deepStrictEqual(problems(v, "firewall", "firewall"), [], String(v));
    });
});
