// typescript-eslint's recommended rules over the library, its tests and the scripts, with the project's few
// deliberate exceptions spelled out below (each with its reason).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "lib/dist/", "data/", "results/", "models/", ".jupyter/", ".venv/", "**/*.py"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      // unused names fail the build already (tsconfig noUnusedLocals); `_`-prefixed arguments are deliberate
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      // JSON read from files the tests built themselves is asserted field by field; `any` there is honest
      "@typescript-eslint/no-explicit-any": "off",
      // terminal output is parsed for ANSI escapes (ESC, \x1b) on purpose
      "no-control-regex": "off",
    },
  },
  {
    // reads are asynchronous (WebGPU has no synchronous read in Node): a promise left unawaited is a result
    // used before it exists, or an error nobody sees
    files: ["lib/src/**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { "@typescript-eslint/no-floating-promises": "error", "@typescript-eslint/await-thenable": "error" },
  },
  {
    // the tests' own scaffolding may read JSON loosely and use non-null assertions on values they just made
    files: ["lib/test/**/*.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      globals: {
        require: "readonly",
        module: "writable",
        __dirname: "readonly",
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
