// For test/hostile-checkpoints.test.ts: loads one checkpoint in a fresh process (argv: path,
// optional preset) and prints one JSON line: the error message or "loaded", and the process's
// peak resident set, which is what a refusal must keep small.
import { initBackend } from '../../src/backend/index.js';
import { configFrom } from '../../src/model/index.js';
import { loadModel } from '../../src/weights/index.js';

const [path, preset] = process.argv.slice(2);
await initBackend('cpu');
let outcome = 'loaded';
try {
  const { model } = await loadModel(path as string, preset ? configFrom(preset) : undefined);
  model.dispose();
} catch (err) {
  outcome = (err as Error).message;
}
process.stdout.write(JSON.stringify({ outcome, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
