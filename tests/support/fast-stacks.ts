/**
 * The Pulumi SDK takes a stack trace at every resource registration (its source position)
 * and for every promise it makes (a leak detector's note); under ts-node each is mapped
 * through source maps, which was about a third of the unit suite's time. Those traces are
 * formatted plainly; every other (a failing test's, an error's) keeps its mapped positions.
 * Loaded by mocha after ts-node (package.json, stryker.config.mjs).
 */
const mapped = Error.prepareStackTrace;

Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    const where = frames[0]?.getFileName() ?? "";
    if (mapped === undefined || where.includes("/@pulumi/pulumi/")) {
        return [String(error), ...frames.map((f) => `    at ${f}`)].join("\n");
    }
    return mapped(error, frames);
};
