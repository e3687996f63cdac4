import { makeScene } from '../src/data/synth/scene.js';
import { render } from '../src/data/synth/render.js';
import { distortionsOf } from '../src/data/synth/distortions.js';
import { ReferenceQuality } from '../src/data/synth/quality.js';
import { toBytes, fromBytes, clampImage } from '../src/data/synth/image.js';
import { writeRgbPng } from '../src/data/synth/io.js';
import { deriveSeed } from '../src/data/rng.js';
const size = Number(process.argv[2] ?? 384);
const nScenes = Number(process.argv[3] ?? 2);
const save = process.argv[4] === 'save';
const times: Record<string, number> = {};
let viol = 0;
for (const fam of ['A', 'B'] as const) for (let s = 0; s < nScenes; s++) {
  let t = performance.now();
  const r = render(makeScene(fam, deriveSeed(7, fam, s)), size, size);
  times.render = (times.render ?? 0) + performance.now() - t;
  const clean = fromBytes(toBytes(r.image), size, size); const rq = new ReferenceQuality(clean);
  for (const d of distortionsOf(fam)) {
    const input = { clean, depth: r.depth, family: fam, seed: deriveSeed(7, fam, s, d.name) };
    t = performance.now();
    const st = d.prepare?.(input);
    times[d.name] = (times[d.name] ?? 0) + performance.now() - t;
    const qs: string[] = []; let prev = 2;
    for (let l = 0; l < 5; l++) {
      t = performance.now();
      const out = fromBytes(toBytes(clampImage(await d.apply(input, d.values[l]!, st))), size, size);
      times[d.name] = (times[d.name] ?? 0) + performance.now() - t;
      t = performance.now();
      const q = rq.score(out);
      times.quality = (times.quality ?? 0) + performance.now() - t;
      if (s === 0 && process.argv[5]) qs.push(`${q.toFixed(3)}(${rq.msssim(out).toFixed(3)}/${rq.chromaSimilarity(out).toFixed(3)})`); else qs.push(q.toFixed(3));
      if (q >= prev - 0.001) viol++;
      prev = q;
      if (save && s === 0) await writeRgbPng(`/tmp/scratch/${fam}_${d.name}_${l + 1}.png`, out);
    }
    console.log(fam, s, d.name.padEnd(14), qs.join(' '));
  }
}
console.log('violations', viol);
console.log(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v)])));
