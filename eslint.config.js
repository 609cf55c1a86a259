// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The one-way layers, checked by no-restricted-imports. ESLint applies one set of options per
// rule and file, so every file is covered by exactly one entry and each entry lists all that
// its files may not import.
const outsideApp = {
  group: ["**/infra/**", "**/scripts/**", "**/test/**", "**/policies/**"],
  message: "app/src stands on nothing outside app/src.",
};
const wholeConfig = {
  name: "../config.js",
  importNames: ["Config", "loadConfig"],
  message: "take the module's own options type; config.ts maps the environment onto it.",
};
const settingsParts = {
  group: ["../settings/*"],
  message: "settings/ are config.ts's parts: take the module's own options type.",
};
const pureCheck = {
  group: [
    "../auth/*",
    "../mcp/*",
    "../tools/*",
    "../store/*",
    "../backup/*",
    "../telemetry/*",
    "../server.js",
    "../compose.js",
    "../config.js",
    "../main.js",
    "../settings/*",
  ],
  message: "guards/ are pure checks: the layers above call them, not the other way round.",
};
const otherCharts = {
  group: [
    "./backup.js",
    "./mcp-server.js",
    "./mesh.js",
    "./monitoring.js",
    "./namespace.js",
    "./neo4j.js",
    "./network-policies.js",
    "./object-store.js",
    "./pki.js",
    "./rate-limit-store.js",
    "./sandbox.js",
  ],
  message: "a chart does not import another chart: shared names and helpers live in common.ts and addresses.ts.",
};

const chartsWithoutPulumi = { group: ["@pulumi/*"], message: "charts synthesize without Pulumi." };
const wholeSettings = {
  name: "../config.js",
  importNames: ["Settings", "parseSettings"],
  message: "a chart takes its own props; charts/index.ts maps the stack's settings onto them.",
};

const layers = [
  // The process edge (config, compose, server, main) composes the modules below it.
  { files: ["app/src/*.ts"], patterns: [outsideApp] },
  // The role ladder and the permission matrix: pure data at the bottom, importing nothing of the app.
  {
    files: ["app/src/access/**/*.ts"],
    patterns: [
      outsideApp,
      { group: ["../*"], message: "access/ imports nothing of the app: everything else imports it." },
    ],
  },
  { files: ["app/src/guards/**/*.ts"], patterns: [outsideApp, pureCheck] },
  // config.ts's parts (schema, secret files, the mapping onto each module's options) stand below it.
  {
    files: ["app/src/settings/**/*.ts"],
    patterns: [
      outsideApp,
      {
        group: ["../config.js", "../server.js", "../compose.js", "../main.js"],
        message: "settings/ are below config.ts and the process edge: they do not import them.",
      },
    ],
  },
  // The backup job's own settings (backup/config.ts) are read beside the server's, from the same helpers.
  { files: ["app/src/backup/**/*.ts"], patterns: [outsideApp, settingsParts] },
  // Every other module owns its options type; only the process edge holds the whole Config.
  {
    files: ["app/src/*/**/*.ts"],
    ignores: ["app/src/access/**", "app/src/guards/**", "app/src/backup/**", "app/src/settings/**"],
    patterns: [outsideApp, settingsParts],
    paths: [wholeConfig],
  },
  // Charts are pure functions of their props: no Pulumi, no whole settings, and no chart
  // reaches into another (what they share is in common.ts and addresses.ts). index.ts composes
  // them and, with mcp-server-env.ts (the server's settings as its environment), maps the
  // stack's settings onto their props.
  {
    files: ["infra/charts/**/*.ts"],
    ignores: ["infra/charts/index.ts", "infra/charts/mcp-server-env.ts"],
    patterns: [chartsWithoutPulumi, otherCharts],
    paths: [wholeSettings],
  },
  { files: ["infra/charts/mcp-server-env.ts"], patterns: [chartsWithoutPulumi, otherCharts] },
  // Operator commands and the development services stand on the app, infra and policies,
  // never on the tests.
  {
    files: ["scripts/**/*.ts"],
    ignores: ["scripts/test/**"],
    patterns: [
      { group: ["**/test/**"], message: "operator commands and development services do not import the tests." },
    ],
  },
  // The policy pack's library is what rules stand on; the rule set is composed above it.
  {
    files: ["policies/lib/**/*.ts"],
    patterns: [
      {
        group: ["../rules/*", "../index.js", "../crossguard.js", "../evaluate.js"],
        message: "policies/lib is below the rules: it does not import them.",
      },
    ],
  },
];

export default tseslint.config(
  { ignores: ["node_modules/", "app/dist/", "dist/", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  ...layers.map(({ files, ignores, patterns, paths }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: { "no-restricted-imports": ["error", { ...(patterns ? { patterns } : {}), ...(paths ? { paths } : {}) }] },
  })),
);
