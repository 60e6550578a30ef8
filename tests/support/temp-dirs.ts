/**
 * Temporary directories for one test: `tempDir` makes one, and a mocha root hook removes
 * every one made during a test once it has finished (passed or failed), so a run leaves
 * nothing behind in /tmp. Loaded through mocha's `require` (package.json, stryker.config.mjs).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const made: string[] = [];

/** A new empty directory named PREFIX + 6 random characters, under `under` (the system's temporary directory). */
export function tempDir(prefix: string, under = os.tmpdir()): string {
    const dir = fs.mkdtempSync(path.join(under, prefix));
    made.push(dir);
    return dir;
}

function removeAll(): void {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export const mochaHooks = { afterEach: removeAll };
process.on("exit", removeAll);
