/** The README shows the consumer example that CI runs (examples/consumer-tests), as it is. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

describe("the README's consumer example", () => {
    it("is the example project's files, verbatim", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        for (const f of ["index.ts", "index.test.ts"]) {
            const text = fs.readFileSync(path.join(ROOT, "examples", "consumer-tests", f), "utf8");
            assert.ok(readme.includes("```ts\n" + text + "```"), `README does not show examples/consumer-tests/${f} as it is`);
        }
    });
});
