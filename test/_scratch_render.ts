import { makeScene } from '../src/data/synth/scene.js';
import { render } from '../src/data/synth/render.js';
import { writeRgbPng, writeGreyPng8 } from '../src/data/synth/io.js';
const out = '/tmp/scratch';
for (const fam of ['A', 'B'] as const) for (let s = 0; s < 3; s++) {
  const t0 = performance.now();
  const r = render(makeScene(fam, 1000 + s), 384, 384);
  const t1 = performance.now();
  await writeRgbPng(`${out}/${fam}${s}.png`, r.image);
  let mn = Infinity, mx = -Infinity; for (const d of r.depth) { mn = Math.min(mn, d); mx = Math.max(mx, d); }
  const g = new Uint8Array(r.depth.length); for (let i = 0; i < g.length; i++) g[i] = Math.round(255 * ((1 / r.depth[i]!) - 1 / mx) / (1 / mn - 1 / mx));
  await writeGreyPng8(`${out}/${fam}${s}_d.png`, g, 384, 384);
  console.log(fam, s, (t1 - t0).toFixed(0), 'ms', mn.toFixed(2), mx.toFixed(2));
}
