// Parameters live in one store, keyed by the official PyTorch state-dict names, held in the kit's
// NHWC layouts. Names are the contract with checkpoints: load and save are a rename-free walk.
// The store also takes each dropout layer's random draws, declared as the layer is built, so the
// model knows what one training forward draws without anyone counting by hand.
import { tf } from '../backend/tf.js';
import { Rng } from '../util/rng.js';

/** How a tensor's PyTorch layout maps to the kit's: conv [out,in,kh,kw] <-> [kh,kw,in,out]; linear [out,in] <-> [in,out]. */
export type Layout = 'conv' | 'linear' | 'plain';

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'truncNormal'; std: number } // timm's Swin init for linears and the position-bias table
  | { kind: 'uniform'; bound: number }; // PyTorch's default conv/linear init, and xavier for attention

export interface ParamSpec {
  name: string;
  /** shape in the kit's layout */
  shape: number[];
  layout: Layout;
  init: Init;
  /** false for BatchNorm running statistics */
  trainable: boolean;
}

export function torchShape(spec: Pick<ParamSpec, 'shape' | 'layout'>): number[] {
  const s = spec.shape;
  if (spec.layout === 'conv') return [s[3], s[2], s[0], s[1]];
  if (spec.layout === 'linear') return [s[1], s[0]];
  return [...s];
}

function fill(init: Init, size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'truncNormal':
      for (let i = 0; i < size; i++) {
        let v: number;
        do v = rng.normal(); while (v < -2 || v > 2);
        out[i] = v * init.std;
      }
      break;
    case 'uniform':
      for (let i = 0; i < size; i++) out[i] = (2 * rng.next() - 1) * init.bound;
      break;
  }
  return out;
}

let storesMade = 0;

export class ParamStore {
  /** tfjs variable names are global to the engine: a per-store tag keeps two models apart */
  private readonly tag = `m${storesMade++}`;
  readonly specs = new Map<string, ParamSpec>();
  readonly vars = new Map<string, tf.Variable>();
  /** dropout seeds one training forward draws from ctx.rng, by layer name (only layers with a rate above 0) */
  readonly draws = new Map<string, number>();
  private readonly rng: Rng | undefined;

  /** seed: random initialisation from it; undefined: zeros (fast, for weights loaded next) */
  constructor(seed?: number) {
    this.rng = seed === undefined ? undefined : new Rng(seed);
  }

  add(spec: ParamSpec): tf.Variable {
    if (this.specs.has(spec.name)) throw new Error(`parameter "${spec.name}" declared twice`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = this.rng ? fill(spec.init, size, this.rng) : fill(spec.init.kind === 'ones' ? spec.init : { kind: 'zeros' }, size, new Rng(0));
    // tf.variable shares the initial tensor's data; dispose that handle so an assign() can free it
    const initial = tf.tensor(values, spec.shape, 'float32');
    const v = tf.variable(initial, spec.trainable, `${this.tag}/${spec.name}`);
    initial.dispose();
    this.specs.set(spec.name, spec);
    this.vars.set(spec.name, v);
    return v;
  }

  /** A dropout layer's seeds per training forward; a layer that never draws declares nothing. */
  addDraws(name: string, seeds: number): void {
    if (this.draws.has(name)) throw new Error(`dropout layer "${name}" declared twice`);
    this.draws.set(name, seeds);
  }

  /** Seeds one training forward draws: stacked lanes start the second lane this far ahead. */
  drawsPerForward(): number {
    let n = 0;
    for (const seeds of this.draws.values()) n += seeds;
    return n;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter "${name}"`);
    return v;
  }

  trainable(): tf.Variable[] {
    return [...this.trainableByName().values()];
  }

  /** learnable variables by parameter name (what the optimizer keys its state by) */
  trainableByName(): Map<string, tf.Variable> {
    return new Map([...this.specs.values()].filter((s) => s.trainable).map((s) => [s.name, this.get(s.name)]));
  }

  /** learnable parameter count (BatchNorm running statistics excluded, as PyTorch's parameters()) */
  count(prefix = ''): number {
    let n = 0;
    for (const s of this.specs.values()) if (s.trainable && s.name.startsWith(prefix)) n += s.shape.reduce((a, b) => a * b, 1);
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.specs.clear();
  }
}
