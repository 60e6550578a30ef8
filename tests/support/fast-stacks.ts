/**
 * The Pulumi SDK takes a stack trace at every resource registration (its source position)
 * and for every promise it makes (a leak detector's note); under ts-node each is mapped
 * through source maps, which was about a third of the unit suite's time. Those traces are
 * formatted plainly; every other (a failing test's, an error's) keeps its mapped positions.
 * The promises' notes, which the SDK reads only to debug a leak, are not taken (below).
 * Loaded by mocha after ts-node (package.json, stryker.config.mjs).
 */
const mapped = Error.prepareStackTrace?.bind(Error);

Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    const where = frames[0]?.getFileName() ?? "";
    if (mapped === undefined || where.includes("/@pulumi/pulumi/")) {
        // V8's CallSite has a toString of its own (the frame as a stack trace shows it); its type does not say so.
        // eslint-disable-next-line @typescript-eslint/no-base-to-string
        return [String(error), ...frames.map((f) => `    at ${String(f)}`)].join("\n");
    }
    return mapped(error, frames);
};

// The leak detector's note on each promise (debuggablePromise's `_debugStackTrace`) is read
// only when PULUMI_DEBUG_PROMISE_LEAKS is set; otherwise it is not taken at all. The detector
// itself (which promises are still pending at exit) works as before.
const debuggable = require("@pulumi/pulumi/runtime/debuggable");
const noted = debuggable.debuggablePromise;
if (typeof noted !== "function") {
    throw new Error(
        "tests/support/fast-stacks.ts: the SDK no longer has runtime/debuggable's debuggablePromise; see what it does now for a promise's leak note",
    );
}
if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    debuggable.debuggablePromise = (...args: unknown[]) => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return noted(...args);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
}
