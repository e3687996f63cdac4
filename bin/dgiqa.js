#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled library (npm run build).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    process.stderr.write(`dgiqa: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
