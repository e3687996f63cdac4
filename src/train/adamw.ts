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

  /**
   * lrScales: a multiplier of the learning rate per parameter name (absent: 1), as PyTorch's parameter
   * groups with their own lr; the weight decay scales with it, as there (decay = 1 - lr_group * wd)
   */
  private readonly lrScales = new Map<string, number>();

  constructor(readonly params: Map<string, tf.Variable>, opts: Partial<AdamWOptions> = {}, lrScales: ReadonlyMap<string, number> = new Map()) {
    this.opts = { ...ADAMW_DEFAULTS, ...opts };
    for (const [name, s] of lrScales) this.setScale(name, s);
    // A variable shares its initial tensor's data: that tensor must still be released (tidy does).
    const zeros = (p: tf.Variable): tf.Variable => tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    for (const [name, p] of params) {
      this.m.set(name, zeros(p));
      this.v.set(name, zeros(p));
    }
  }

  /** Sets a parameter's learning-rate multiplier from the next step on (a schedule that frees the backbones after some epochs). */
  setScale(name: string, s: number): void {
    if (!this.params.has(name)) throw new Error(`AdamW: a learning-rate scale for "${name}", which is not a parameter`);
    if (!(s >= 0) || !Number.isFinite(s)) throw new Error(`AdamW: the learning-rate scale of "${name}" must be a finite number >= 0, got ${s}`);
    this.lrScales.set(name, s);
  }

  /** The learning-rate multiplier of a parameter (1 unless lrScales names it). */
  scaleOf(name: string): number {
    return this.lrScales.get(name) ?? 1;
  }

  /** Whether some parameter has a learning rate other than the step's. */
  get grouped(): boolean {
    return [...this.lrScales.values()].some((s) => s !== 1);
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
      // a parameter group's own rate and decay, made once per distinct scale
      const groups = new Map<number, { lr: tf.Scalar; decay: tf.Scalar }>([[1, { lr: k.lr, decay: k.decay }]]);
      const groupOf = (scale: number): { lr: tf.Scalar; decay: tf.Scalar } => {
        let r = groups.get(scale);
        if (!r) groups.set(scale, (r = { lr: tf.scalar(lr * scale), decay: tf.scalar(1 - lr * scale * weightDecay) }));
        return r;
      };
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) continue;
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        m.assign(tf.add(tf.mul(m, k.beta1), tf.mul(g, k.beta1c)));
        v.assign(tf.add(tf.mul(v, k.beta2), tf.mul(tf.square(g), k.beta2c)));
        const group = groupOf(this.scaleOf(name));
        const decayed = weightDecay ? tf.mul(p, group.decay) : p;
        const update = tf.div(tf.div(m, k.c1), tf.add(tf.sqrt(tf.div(v, k.c2)), k.eps));
        p.assign(tf.sub(decayed, tf.mul(update, group.lr)));
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
