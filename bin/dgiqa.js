#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled library (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../dist/src/cli/main.js', import.meta.url))) {
  process.stderr.write('dgiqa: the kit is not built yet: run `npm run build` in its folder\n');
  process.exit(1);
}
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    process.stderr.write(`dgiqa: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
