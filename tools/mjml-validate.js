#!/usr/bin/env node
// Compile MJML files with the reference `mjml` package (validationLevel "strict").
// Exits 0 when every file compiles cleanly, 1 on validation or compile errors, 2 on usage errors.
// The Python build uses mjml-python (MRML); this keeps our templates valid for the reference
// compiler too, so they never depend on MRML leniency.
//
// Usage: node tools/mjml-validate.js FILE.mjml [FILE.mjml …]   ("-" reads standard input)
'use strict';

const fs = require('fs');

let mjml2html;
try {
  mjml2html = require('mjml');
} catch (e) {
  console.error('mjml-validate: the mjml package is missing; run `npm install` in the repository root');
  process.exit(2);
}

async function validate(name) {
  const source = fs.readFileSync(name === '-' ? 0 : name, 'utf8');
  try {
    // fonts: {} so nothing remote is added; we only want the verdict, not the HTML.
    const result = await mjml2html(source, {
      validationLevel: 'strict',
      fonts: {},
      ...(name === '-' ? {} : { filePath: name }),
    });
    const errors = (result && result.errors) || [];
    for (const e of errors) console.error(`${name}:${e.line}: ${e.message}`);
    return errors.length === 0;
  } catch (e) {
    const errors = (e && e.errors) || [];
    if (errors.length === 0) console.error(`${name}: ${(e && e.message) || e}`);
    for (const err of errors) console.error(`${name}:${err.line}: ${err.message}`);
    return false;
  }
}

async function main(argv) {
  if (argv.length === 0) {
    console.error('usage: node tools/mjml-validate.js FILE.mjml [FILE.mjml …]   ("-" reads stdin)');
    return 2;
  }
  let ok = true;
  for (const name of argv) {
    if (!(await validate(name))) ok = false;
  }
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
