import * as assert from "assert";
import * as crypto from "crypto";
import { clusterClaim, ownerToken } from "../../components/owner";

describe("ownership tokens", () => {
    const local = { key: "local", id: "local" };
    const remote = { key: "ssh:10.0.0.1:22", id: "g1", ssh: { host: "10.0.0.1", port: 22, user: "root", privateKey: "k" } };

    it("is the first 16 hex digits of the stack, the command's type and name, hashed", () => {
        const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16);
        assert.strictEqual(ownerToken(local, "gc-volume", "glusterfs/prod"), sha("glusterfs/prod::command:local:Command::gc-volume"));
        assert.strictEqual(ownerToken(remote, "gc-volume", "glusterfs/prod"), sha("glusterfs/prod::command:remote:Command::gc-volume"));
    });

    it("changes with the stack, the command's type and name, and only with them", () => {
        assert.notStrictEqual(ownerToken(local, "gc-volume", "p/a"), ownerToken(local, "gc-volume", "p/b"));
        assert.notStrictEqual(ownerToken(local, "gc-volume", "p/a"), ownerToken(local, "gc-volume", "q/a"));
        assert.notStrictEqual(ownerToken(local, "gc-volume", "p/a"), ownerToken(remote, "gc-volume", "p/a"));
        assert.notStrictEqual(ownerToken(local, "gc-volume", "p/a"), ownerToken(local, "gc-pool", "p/a"));
        assert.strictEqual(ownerToken(remote, "gc-pool", "p/a"), ownerToken({ ...remote, id: "renamed" }, "gc-pool", "p/a"));
    });

    it("a claim names the project, the stack and the cluster", () => {
        assert.strictEqual(clusterClaim("gluster", "glusterfs/prod"), "glusterfs/prod/gluster");
    });
});
