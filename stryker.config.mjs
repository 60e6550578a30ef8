// Mutation testing of the unit suite (issue 12): `npm run test:mutation`.
// Every file under components/ is mutated, with every mutator; nothing is excluded but the
// barrel file, which only re-exports, and comment lines of generated scripts (below).
// Script fragments, patterns and tables are functions, not module constants, and the tests
// build what they read inside each test (not in `before` or at load): a mutant reached while
// a module loads is "static", and Stryker must run the whole suite for each of those. Incremental: a re-run tests only the mutants whose
// code or covering tests changed (reports/stryker-incremental.json, committed: a fresh clone
// starts from the last full run, `npx stryker run --force`, so it re-tests only what changed since).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
    packageManager: "npm",
    testRunner: "mocha",
    mutate: ["components/**/*.ts", "!components/index.ts"],
    // The only mutants left out: a line of a generated script that is only a shell comment
    // (stryker-ignorers.mjs). Equivalent by construction: sh never reads it.
    plugins: ["@stryker-mutator/mocha-runner", "./stryker-ignorers.mjs"],
    ignorers: ["shell-comments"],
    mochaOptions: {
        spec: ["tests/unit/**/*.test.ts"],
        require: ["ts-node/register/transpile-only", "./tests/support/fast-stacks.ts", "./tests/support/temp-dirs.ts"],
        extension: ["ts"],
    },
    coverageAnalysis: "perTest",
    concurrency: 2,
    timeoutMS: 5000,
    timeoutFactor: 1.5,
    reporters: ["clear-text", "json", "progress-append-only"],
    jsonReporter: { fileName: "reports/mutation/mutation-final.json" },
    clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
    thresholds: { high: 90, low: 85, break: 85 },
    tempDirName: ".stryker-tmp",
    cleanTempDir: true,
    incremental: true,
    incrementalFile: "reports/stryker-incremental.json",
};
