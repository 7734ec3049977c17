#!/usr/bin/env node
// Render one MJML file N times with the reference `mjml` package, in process, and print
// {"ms_per_render": …, "renders": N} as JSON. The first renders warm up and are not counted.
//
// Usage: node bench/node/mjml_render.js FILE.mjml N
'use strict';

const fs = require('fs');
const path = require('path');

const mjml2html = require(path.join(__dirname, '..', '..', 'node_modules', 'mjml'));

async function main([file, count]) {
  const source = fs.readFileSync(file, 'utf8');
  const n = Number(count || 200);
  // Same options as our build: no remote fonts, no comments; validation off to time rendering.
  const options = { fonts: {}, keepComments: false, validationLevel: 'skip', minify: false };
  for (let i = 0; i < 20; i++) await mjml2html(source, options);
  const times = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    const result = await mjml2html(source, options);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (!result.html) throw new Error('no html');
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ ms_per_render: median, min: times[0], max: times[times.length - 1], renders: n }));
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exit(1);
});
