import * as assert from "assert";
import * as crypto from "crypto";
import { ownerToken } from "../../components/owner";

describe("ownership tokens", () => {
    const local = { key: "local", id: "local" };
    const remote = { key: "ssh:10.0.0.1:22", id: "g1", ssh: { host: "10.0.0.1", port: 22, user: "root", privateKey: "k" } };

    it("is the first 16 hex digits of the command's type and name, hashed", () => {
        const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16);
        assert.strictEqual(ownerToken(local, "gc-volume"), sha("command:local:Command::gc-volume"));
        assert.strictEqual(ownerToken(remote, "gc-volume"), sha("command:remote:Command::gc-volume"));
    });

    it("changes with the command's type and name (a new URN), and only with them", () => {
        assert.notStrictEqual(ownerToken(local, "gc-volume"), ownerToken(remote, "gc-volume"));
        assert.notStrictEqual(ownerToken(local, "gc-volume"), ownerToken(local, "gc-pool"));
        assert.strictEqual(ownerToken(remote, "gc-pool"), ownerToken({ ...remote, id: "renamed" }, "gc-pool"));
    });
});
