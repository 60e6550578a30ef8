// Mutation testing of the unit suite (issue 12): `npm run test:mutation`.
// Every file under components/ is mutated, with every mutator; nothing is excluded but the
// barrel file, which only re-exports. Incremental: a re-run tests only the mutants whose
// code or covering tests changed (reports/stryker-incremental.json).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
    packageManager: "npm",
    testRunner: "mocha",
    mutate: ["components/**/*.ts", "!components/index.ts"],
    mochaOptions: {
        spec: ["tests/unit/**/*.test.ts"],
        require: ["ts-node/register/transpile-only"],
        extension: ["ts"],
    },
    coverageAnalysis: "perTest",
    concurrency: 2,
    timeoutMS: 10000,
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
