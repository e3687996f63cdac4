// The paper-size parity check of test/parity.test.ts, on any backend (DGIQA_BACKEND, default webgpu):
// the official model/DGIQA.py's scores (test/fixtures/parity-paper/expected.json, made by PyTorch with
// formula weights the kit regenerates bit for bit) against the kit's forward. One JSON line.
// Run from the repository root after `npm run build`, or bundled by bench/gpu/pack.mjs.
import { readFileSync } from 'node:fs';
import { initBackend, tf } from '../../dist/src/backend/index.js';
import { Dgiqa, configFrom } from '../../dist/src/model/index.js';
import { inputBatch, loadIntoModel, nhwcSlice, readSafetensors } from '../../dist/src/weights/index.js';
import { formulaTensor } from '../../dist/test/support/formulaWeights.js';

const PAPER = process.env.DGIQA_PARITY_PAPER ?? 'test/fixtures/parity-paper';
const TOL = 2e-4; // test/parity.test.ts's bound at the paper size

const backend = await initBackend(process.env.DGIQA_BACKEND ?? 'webgpu');
process.stderr.write(backend.message + '\n');
const reference = JSON.parse(readFileSync(`${PAPER}/expected.json`, 'utf8'));
const model = new Dgiqa(configFrom('paper'));
const tensors = new Map();
for (const [name, shape, dtype] of reference.keys) if (dtype !== 'torch.int64') tensors.set(name, formulaTensor(name, shape));
const report = loadIntoModel(model, tensors, 'paper formula weights');
if (report.missing.length || report.unexpected.length || report.misshapen.length) throw new Error(`the formula weights do not match the model: ${JSON.stringify(report)}`);
const inputs = inputBatch(await readSafetensors(`${PAPER}/inputs.safetensors`), `${PAPER}/inputs.safetensors`, model.config.imgSize, true);
const rgb = nhwcSlice(inputs.rgb, inputs.size, 0, inputs.n);
const depth = nhwcSlice(inputs.depth, inputs.size, 0, inputs.n);
const t0 = performance.now();
const out = model.predict(rgb, depth);
const scores = Array.from(await out.data());
const seconds = (performance.now() - t0) / 1000;
const params = model.numParams();
tf.dispose([out, rgb, depth]);
model.dispose();
const maxDiff = Math.max(...scores.map((s, i) => Math.abs(s - reference.scores_f32[i])));
process.stdout.write(JSON.stringify({ check: 'parity-paper', backend: backend.name, adapter: backend.adapter ?? null, params, scores, reference: reference.scores_f32, max_abs_diff: maxDiff, tolerance: TOL, pass: maxDiff <= TOL, seconds }) + '\n');
process.exitCode = maxDiff <= TOL ? 0 : 1;
