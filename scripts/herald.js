#!/usr/bin/env node
// The `herald` command (package.json "bin"): a shim over the compiled CLI in dist/.
'use strict';
let cli;
try {
  cli = require('../dist/scripts/herald.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('herald: the CLI is not built yet; run `npm run build` (or `npm start`) first\n');
    process.exit(1);
  }
  throw err;
}
void cli.main();
