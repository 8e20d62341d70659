// Scaffolds a workspace package with the project's standard layout:
//   node scripts/new-package.mjs <name> "<description>" [--neutral] [--private]
// Its vitest projects come from the root vitest.config.ts: `<name>`, and `<name>:workerd`
// for a --neutral package (its tsconfig.json has "types": []).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [name, description, ...flags] = process.argv.slice(2);
if (!name || !description) {
  console.error(
    'usage: node scripts/new-package.mjs <name> "<description>" [--neutral] [--private]',
  );
  process.exit(2);
}
const neutral = flags.includes("--neutral");
const isPrivate = flags.includes("--private");
const dir = join("packages", name);
if (existsSync(dir)) {
  console.error(`${dir} exists`);
  process.exit(1);
}
mkdirSync(join(dir, "src"), { recursive: true });
const write = (file, text) => writeFileSync(join(dir, file), text);
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

write(
  "package.json",
  json({
    name: `@groundwork/${name}`,
    version: "0.0.0",
    description,
    license: "Apache-2.0",
    ...(isPrivate ? { private: true } : {}),
    type: "module",
    sideEffects: false,
    exports: {
      ".": {
        source: "./src/index.ts",
        import: { types: "./dist/index.d.ts", default: "./dist/index.js" },
        require: { types: "./dist/index.d.cts", default: "./dist/index.cjs" },
      },
      "./package.json": "./package.json",
    },
    main: "./dist/index.cjs",
    module: "./dist/index.js",
    types: "./dist/index.d.cts",
    files: ["dist", "src", "!src/**/*.test.ts"],
    engines: { node: ">=20.19" },
    scripts: {
      build: "tsup",
      typecheck: "tsc -p tsconfig.json && tsc -p tsconfig.test.json",
    },
    ...(isPrivate ? {} : { publishConfig: { access: "public" } }),
  }),
);
write(
  "tsconfig.json",
  json({
    extends: "../../tsconfig.base.json",
    compilerOptions: neutral ? { types: [], lib: ["ES2023"] } : { types: ["node"] },
    include: ["src"],
    exclude: ["src/**/*.test.ts"],
  }),
);
write(
  "tsconfig.test.json",
  json({
    extends: "../../tsconfig.base.json",
    compilerOptions: { types: ["node"] },
    include: ["src", "test"],
  }),
);
write(
  "tsup.config.ts",
  `import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "${neutral ? "neutral" : "node"}",
});
`,
);
write("src/index.ts", `export {};\n`);
write("README.md", `# @groundwork/${name}\n\n${description}\n`);
// JSON.stringify spreads short arrays over lines; Biome, which lint checks, does not.
execFileSync("npx", ["biome", "format", "--write", dir], { stdio: "ignore" });
console.log(`created ${dir}`);
