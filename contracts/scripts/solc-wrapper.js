#!/usr/bin/env node
// A `solc`-compatible command line over solcjs (the npm `solc` package), so that forge can compile
// offline with `--use scripts/solc-wrapper.js`. solcjs's own CLI is not solc-compatible: forge
// needs `--version` in native solc's format and `--standard-json` on stdin/stdout.
'use strict';
const fs = require('fs');
const path = require('path');

const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));
const args = process.argv.slice(2);

if (args.includes('--version') || args.includes('-v')) {
  // solcjs reports "0.8.x+commit.hash.Emscripten.clang"; forge parses the native format.
  const v = solc.version().replace('.Emscripten.clang', '.Linux.g++');
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${v}\n`);
  process.exit(0);
}

if (!args.includes('--standard-json')) {
  process.stderr.write('solc-wrapper: only --version and --standard-json are supported\n');
  process.exit(2);
}

// Paths that imports may be read from: --base-path, --include-path and --allow-paths values.
const roots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const takeValue = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i]);
  if (a.startsWith('--base-path') || a.startsWith('--include-path')) {
    roots.push(takeValue());
  } else if (a.startsWith('--allow-paths')) {
    for (const p of takeValue().split(',')) if (p) roots.push(p);
  }
}

function findImports(importPath) {
  // forge normally inlines every source; this is only a fallback for unresolved imports.
  for (const root of roots) {
    const candidate = path.isAbsolute(importPath) ? importPath : path.resolve(root, importPath);
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    }
  }
  return { error: `File not found: ${importPath}` };
}

const input = fs.readFileSync(0, 'utf8');
const output = solc.compile(input, { import: findImports });
process.stdout.write(output);
