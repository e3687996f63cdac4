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

export const ADAMW_DEFAULTS: Readonly<AdamWOptions> = Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });

/** Most parameter elements AdamW updates as one flat vector (bounds the temporary copies: 16 MB each). */
const GROUP_SIZE = 1 << 22;

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
    const { beta1, beta2, eps, weightDecay } = this.opts;
    this.t += 1;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      // the step's scalars made once, not per parameter (each is a tensor upload)
      const k = {
        beta1: tf.scalar(beta1), beta1c: tf.scalar(1 - beta1), beta2: tf.scalar(beta2), beta2c: tf.scalar(1 - beta2),
        decay: tf.scalar(1 - lr * weightDecay), c1: tf.scalar(c1), c2: tf.scalar(c2), eps: tf.scalar(eps), lr: tf.scalar(lr),
      };
      // Parameters are updated in groups, each flattened into one vector: the same elementwise
      // arithmetic in ~15 kernels a group instead of ~15 a parameter (the demo model has 348).
      let group: string[] = [];
      let size = 0;
      const flush = (): void => {
        if (group.length > 0) tf.tidy(() => this.updateGroup(group, grads, k));
        group = [];
        size = 0;
      };
      for (const [name, p] of this.params) {
        if (!grads[name]) continue;
        if (size > 0 && size + p.size > GROUP_SIZE) flush();
        group.push(name);
        size += p.size;
      }
      flush();
    });
  }

  private updateGroup(names: string[], grads: Record<string, tf.Tensor>, k: Record<'beta1' | 'beta1c' | 'beta2' | 'beta2c' | 'decay' | 'c1' | 'c2' | 'eps' | 'lr', tf.Scalar>): void {
    const params = names.map((n) => this.params.get(n) as tf.Variable);
    const ms = names.map((n) => this.m.get(n) as tf.Variable);
    const vs = names.map((n) => this.v.get(n) as tf.Variable);
    const flat = (ts: tf.Tensor[]): tf.Tensor => (ts.length === 1 ? tf.reshape(ts[0], [-1]) : tf.concat(ts.map((t) => tf.reshape(t, [-1]))));
    const g = flat(names.map((n) => grads[n]));
    const m = tf.add(tf.mul(flat(ms), k.beta1), tf.mul(g, k.beta1c));
    const v = tf.add(tf.mul(flat(vs), k.beta2), tf.mul(tf.square(g), k.beta2c));
    const p = flat(params);
    const decayed = this.opts.weightDecay ? tf.mul(p, k.decay) : p;
    const update = tf.div(tf.div(m, k.c1), tf.add(tf.sqrt(tf.div(v, k.c2)), k.eps));
    const next = tf.sub(decayed, tf.mul(update, k.lr));
    const sizes = params.map((t) => t.size);
    const unflat = (t: tf.Tensor, targets: tf.Variable[]): void => {
      const pieces = targets.length === 1 ? [t] : tf.split(t, sizes);
      targets.forEach((target, i) => target.assign(tf.reshape(pieces[i], target.shape)));
    };
    unflat(m, ms);
    unflat(v, vs);
    unflat(next, params);
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
