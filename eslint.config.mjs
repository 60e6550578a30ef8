// ESLint: typescript-eslint's type-checked rules and Pulumi's own (an Output in a template
// literal), on the component, the stack program and the tests. `npm run lint`; `npm test` runs it.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    { ignores: ["bin/", "node_modules/", "reports/", ".stryker-tmp/", "examples/", "*.mjs"] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            // `_x` names a value taken on purpose and left unused.
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
        },
    },
    {
        // The tests read what is untyped by nature — mocks' inputs, exported state, the provider
        // protocol's generated JavaScript (required, it has no ES module) — so the rules against
        // `any` flowing around are off there; every other rule holds.
        files: ["tests/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            "@typescript-eslint/no-require-imports": "off",
        },
    },
    {
        // The stand-in providers implement the provider protocol's asynchronous methods; many
        // answer at once, and are `async` to keep one shape.
        files: ["tests/live/standins/**/*.ts"],
        rules: { "@typescript-eslint/require-await": "off" },
    },
);
