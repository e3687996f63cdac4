// The child process of the kill/resume tests: a small seeded training with an evaluation after each
// epoch, resuming whatever it finds in its folder. argv: <runDir>. Prints the epoch records as JSON.
import { initBackend, tf } from '../../src/backend/index.js';
import { StoppedError, fit, resolveTrainConfig } from '../../src/train/index.js';
import type { HostBatch } from '../../src/train/index.js';
import { Rng } from '../../src/util/rng.js';
import { PRESETS } from '../../src/model/index.js';

// the demo model at 64 px with 2x2 windows: the whole run takes seconds
export const CHILD_CONFIG = { model: { ...PRESETS.demo, imgSize: 64, windowSize: 2 }, numEpochs: 3, batchSize: 2, lr: 1e-3, minLr: 1e-5, lambda: 0.5, seed: 11, logEvery: 1 };
const SIZE = 64;
const IMAGES = 4;

const data = Array.from({ length: IMAGES }, (_, i) => {
  const r = new Rng(300 + i);
  return { x: Float32Array.from({ length: SIZE * SIZE * 3 }, () => r.normal()), y: (i % 4) / 3 };
});

async function* batches(epoch: number): AsyncGenerator<HostBatch> {
  const order = data.map((_, i) => i);
  const r = new Rng(epoch + 5);
  for (let i = order.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let b = 0; b < order.length; b += 2) {
    const idx = order.slice(b, b + 2);
    const rgb = new Float32Array(idx.length * SIZE * SIZE * 3);
    idx.forEach((k, i) => rgb.set(data[k]!.x, i * SIZE * SIZE * 3));
    yield { rgb, depth: rgb.map((v) => -v), labels: Float32Array.from(idx.map((k) => data[k]!.y)), n: idx.length, size: SIZE };
  }
}

const dir = process.argv[2];
if (dir && process.argv[1]?.endsWith('trainChild.js')) {
  await initBackend('wasm');
  const probe = tf.tensor4d(data[0]!.x, [1, SIZE, SIZE, 3]);
  let result;
  try {
    result = await fit({
    runDir: dir,
    config: resolveTrainConfig({ ...CHILD_CONFIG }),
    batches,
    imagesPerEpoch: IMAGES,
    resume: true,
    quiet: true,
    // the score of one fixed image: any difference in the weights shows in it
    evaluate: async (model) => ({ probe: tf.tidy(() => model.predict(probe, tf.neg(probe) as tf.Tensor4D).dataSync()[0]!) }),
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(err instanceof StoppedError ? 130 : 1);
  }
  result.model.dispose();
  process.stdout.write(JSON.stringify(result.epochs) + '\n');
}
