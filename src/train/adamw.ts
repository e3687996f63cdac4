// AdamW (Loshchilov & Hutter 2019) with PyTorch's torch.optim.AdamW semantics: the weight decay is
// decoupled (p -= lr * wd * p before the Adam step), not an L2 term added to the gradient.
// Written here because tfjs has Adam but no AdamW; the state is plain tensors so it can be checkpointed.
import { tf } from '../backend/index.js';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Tensors up to this size are updated together as one vector; larger ones alone (no extra copies of big weights). */
const FLAT_MAX_ELEMENTS = 1 << 16;

export const ADAMW_DEFAULTS: Readonly<AdamWOptions> = Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });

export class AdamW {
  /** number of steps taken (PyTorch's `step` in the state) */
  t = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  readonly opts: AdamWOptions;

  constructor(readonly params: Map<string, tf.Variable>, opts: Partial<AdamWOptions> = {}) {
    this.opts = { ...ADAMW_DEFAULTS, ...opts };
    // A variable shares its initial tensor's data: that tensor must still be released (tidy does).
    const zeros = (p: tf.Variable): tf.Variable => tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    for (const [name, p] of params) {
      this.m.set(name, zeros(p));
      this.v.set(name, zeros(p));
    }
  }

  /** One update with learning rate `lr`; grads by parameter name (missing ones are skipped, as PyTorch's None). */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    this.t += 1;
    tf.tidy(() => {
      const small: string[] = [];
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) continue;
        if (p.size <= FLAT_MAX_ELEMENTS) {
          small.push(name);
          continue;
        }
        const [np, nm, nv] = this.update(p, g, this.m.get(name) as tf.Variable, this.v.get(name) as tf.Variable, lr);
        (this.m.get(name) as tf.Variable).assign(nm);
        (this.v.get(name) as tf.Variable).assign(nv);
        p.assign(np);
      }
      if (small.length === 0) return;
      // The many small tensors (biases, norms, small layers) as one vector: the same arithmetic
      // element by element, in ~20 operations instead of ~15 per tensor (op dispatch dominates there).
      const flat = (ts: tf.Tensor[]): tf.Tensor => tf.concat(ts.map((t) => t.reshape([-1])));
      const vars = (map: Map<string, tf.Variable>): tf.Variable[] => small.map((name) => map.get(name) as tf.Variable);
      const params = vars(this.params);
      const sizes = params.map((p) => p.size);
      const updated = this.update(flat(params), flat(small.map((name) => grads[name])), flat(vars(this.m)), flat(vars(this.v)), lr);
      // slices, not tf.split: wasm's SplitV copies the whole vector once per piece
      const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
      const [ps, ms, vs] = updated.map((u) => offsets.map((offset, i) => tf.slice(u, [offset], [sizes[i]])));
      small.forEach((name, i) => {
        (this.m.get(name) as tf.Variable).assign(ms[i].reshape(params[i].shape));
        (this.v.get(name) as tf.Variable).assign(vs[i].reshape(params[i].shape));
        params[i].assign(ps[i].reshape(params[i].shape));
      });
    });
  }

  /** PyTorch's AdamW on one tensor: the new parameter, first and second moments. */
  private update(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, lr: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
    const { beta1, beta2, eps, weightDecay } = this.opts;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
    const decayed = weightDecay ? tf.mul(p, 1 - lr * weightDecay) : p;
    const update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps));
    return [tf.sub(decayed, tf.mul(update, lr)), m1, v1];
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
