// `dgiqa export --weights W --out model.onnx [--config PRESET]`: a checkpoint (the authors' .pth or
// the kit's safetensors) as an ONNX file that any ONNX Runtime runs: inputs `rgb` and `depth`
// [batch, S, S, 3] ImageNet-normalised NHWC, outputs `scores` [batch] and `pooled` features.
import { parseArgs } from 'node:util';
import { initBackend } from '../backend/index.js';
import { configFrom } from '../model/index.js';
import { loadModel } from '../weights/index.js';
import { OnnxDgiqa, exportOnnx } from '../onnx/index.js';
import { writeFileAtomic } from '../util/atomic.js';

const USAGE = `usage: dgiqa export --weights W --out FILE.onnx [--config PRESET] [--no-check]
  --config    architecture when the checkpoint does not record one (default paper)
  --no-check  skip loading the written graph into ONNX Runtime (done by default, with one crop)`;

export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { weights: { type: 'string' }, out: { type: 'string' }, config: { type: 'string' }, 'no-check': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length) throw new Error(`unexpected argument "${positionals[0]}"\n${USAGE}`);
  if (!values.weights || !values.out) throw new Error(`need --weights and --out\n${USAGE}`);
  if (!values.out.endsWith('.onnx')) throw new Error(`--out ${values.out}: the file name must end in .onnx`);
  const info = await initBackend();
  process.stderr.write(info.message + '\n');
  const { model, configSource } = await loadModel(values.weights, values.config ? configFrom(values.config) : undefined);
  try {
    const { bytes, nodes } = exportOnnx(model);
    if (!values['no-check']) {
      // the graph loads and scores one crop before it is written: a file that cannot run is never left behind
      const engine = await OnnxDgiqa.fromBytes(bytes, model.config, { threads: 1 });
      try {
        const crop = new Float32Array(model.config.imgSize ** 2 * 3);
        const [score] = await engine.scores(crop, model.config.useDepth ? crop : undefined, 1);
        if (!Number.isFinite(score)) throw new Error(`${values.out}: the exported graph scored a blank crop ${score}`);
      } finally {
        await engine.dispose();
      }
    }
    await writeFileAtomic(values.out, bytes);
    process.stdout.write(JSON.stringify({ out: values.out, bytes: bytes.length, nodes, params: model.numParams(), config: configSource, inputs: model.config.useDepth ? ['rgb', 'depth'] : ['rgb'], outputs: ['scores', 'pooled'] }) + '\n');
  } finally {
    model.dispose();
  }
  return 0;
}
