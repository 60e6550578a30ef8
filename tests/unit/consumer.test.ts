/**
 * A consumer's own unit tests of a stack that uses GlusterCluster, with Pulumi's standard
 * mocks (the pattern of Pulumi's testing guide): nothing may crash because a command's
 * stdout is not there; and the package's `testing` mocks answer the component's commands
 * as a healthy cluster would, composed with the consumer's own mocks.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { GlusterCluster } from "../../components";
import { glusterMocks } from "../../components/testing";

/** Runs `program` under `mocks` as a stack; collects the unhandled rejections it causes. */
async function runWith(
    mocks: pulumi.runtime.Mocks,
    program: () => Record<string, pulumi.Output<any>>,
): Promise<{ outputs: Record<string, any>; known: Record<string, boolean>; rejections: unknown[] }> {
    await pulumi.runtime.setMocks(mocks, "consumer", "test", false);
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on("unhandledRejection", onRejection);
    try {
        let declared: Record<string, pulumi.Output<any>> = {};
        await pulumi.runtime.runInPulumiStack(() => {
            declared = program();
            return Promise.resolve({});
        });
        const outputs: Record<string, any> = {};
        const known: Record<string, boolean> = {};
        for (const [k, o] of Object.entries(declared)) {
            known[k] = await (o as any).isKnown;
            outputs[k] = await (o as any).promise();
        }
        await new Promise((r) => setImmediate(r));
        return { outputs, known, rejections };
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}

const README_EXAMPLE = () => {
    const gluster = new GlusterCluster("shared", {
        volumeName: "shared",
        nodes: [{ name: "shared-0" }, { name: "shared-1" }, { name: "shared-2" }],
        clientCidrs: ["172.30.0.0/16"],
    });
    return { mount: gluster.mountCommand, servers: gluster.servers };
};

describe("a consumer's mock tests of a stack that uses GlusterCluster", () => {
    it("with the standard echo mocks: no error, no unhandled rejection; outputs not known yet, as in a preview", async () => {
        const echo: pulumi.runtime.Mocks = { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs };
        const r = await runWith(echo, README_EXAMPLE);
        assert.deepStrictEqual(r.rejections, []);
        assert.deepStrictEqual(r.known, { mount: false, servers: false });
    });

    it("with the package's testing mocks: the outputs a healthy cluster gives", async () => {
        const r = await runWith(glusterMocks(), README_EXAMPLE);
        assert.deepStrictEqual(r.rejections, []);
        assert.deepStrictEqual(r.outputs, {
            mount: "mount -t glusterfs -o backup-volfile-servers=shared-1:shared-2 shared-0:/shared /mnt/shared",
            servers: ["shared-0", "shared-1", "shared-2"],
        });
    });

    it("the testing mocks compose with the consumer's own: theirs answer everything else, and a command they answer keeps its stdout", async () => {
        const seen: string[] = [];
        const own: pulumi.runtime.Mocks = {
            newResource: (a) => {
                seen.push(a.type);
                return { id: `${a.name}-id`, state: a.name === "app-hook" ? { ...a.inputs, stdout: "from the consumer" } : a.inputs };
            },
            call: (a) => a.inputs,
        };
        const r = await runWith(glusterMocks(own, { glusterfsVersion: "11.2" }), () => {
            const { mount } = README_EXAMPLE();
            const hook = new command.local.Command("app-hook", { create: "echo hi" });
            return { mount, hook: hook.stdout };
        });
        assert.deepStrictEqual(r.rejections, []);
        assert.strictEqual(r.outputs.hook, "from the consumer");
        assert.match(r.outputs.mount, /^mount -t glusterfs /);
        assert.ok(seen.includes("docker:index/container:Container") && seen.includes("command:local:Command"));
    });
});
