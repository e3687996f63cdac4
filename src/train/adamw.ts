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
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) continue;
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        m.assign(tf.add(tf.mul(m, k.beta1), tf.mul(g, k.beta1c)));
        v.assign(tf.add(tf.mul(v, k.beta2), tf.mul(tf.square(g), k.beta2c)));
        const decayed = weightDecay ? tf.mul(p, k.decay) : p;
        const update = tf.div(tf.div(m, k.c1), tf.add(tf.sqrt(tf.div(v, k.c2)), k.eps));
        p.assign(tf.sub(decayed, tf.mul(update, k.lr)));
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
