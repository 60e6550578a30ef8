// The consumer's unit tests, on Pulumi's mocks: glusterMocks answers GlusterCluster's
// commands as a healthy cluster would and hands everything else to the consumer's mocks.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { glusterMocks } from "glusterfs-cluster/testing";

pulumi.runtime.setMocks(
    glusterMocks({
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => args.inputs,
    }),
    "shop",
    "test",
    false,
);

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

describe("the shop's stack", () => {
    let stack: typeof import("./index");
    before(async () => {
        stack = await import("./index");
    });

    it("mounts the shared volume from its three servers", async () => {
        assert.strictEqual(
            await value(stack.mountCommand),
            "mount -t glusterfs -o backup-volfile-servers=shared-1:shared-2 shared-0:/shared /mnt/shared",
        );
        assert.deepStrictEqual(await value(stack.storage.servers), ["shared-0", "shared-1", "shared-2"]);
    });
});
