// DGIQA at inference as an ONNX graph, written from the kit's own modules and weights (no tracing),
// top-down as src/model/dgiqa.ts: the same operations in the same order, with eval semantics
// (no dropout, BatchNorm from running statistics). What differs is layout only: the Swin trunk and
// Depth-CAR stay channels-last as in the kit, the convolutional parts (bridges, dilated stack) run
// NCHW because ONNX's Conv is NCHW. Each window geometry's relative position bias and shift mask
// are folded into one constant, since at inference they never change. Epsilons, the shift mask's
// value and the stage and fused sizes come from src/model (not declared again here).
// Inputs: `rgb` and `depth`, [batch, S, S, 3] normalised NHWC as the kit's pipeline makes them.
// Outputs: `scores`, [batch] in [0, 1]; `pooled`, [batch, C], the pooled dilated-stack features
// (what DGIQA-FR and the t-SNE figures use).
import type { Dgiqa } from '../model/index.js';
import { BN_EPS, LN_EPS, MASKED, fusedChannels, fusedSide, stageSides } from '../model/index.js';
import { OnnxGraph } from './graph.js';

type Variable = Dgiqa['fc']['weight'];
type Linear = Dgiqa['fc'];
type Backbone = Dgiqa['backbone'];
type Block = Backbone['stages'][number]['blocks'][number];
type Tcb = Dgiqa['tcbs'][number];
type Conv = Tcb['conv1'];
type BatchNorm = Tcb['norm'];
type AttentionBlock = NonNullable<Dgiqa['depthCar']>['cross'];
type Attention = AttentionBlock['attn'];
type LayerNorm = Block['norm1'];

export interface OnnxExport {
  bytes: Uint8Array;
  nodes: number;
}

function values(v: Variable): Float32Array {
  return v.dataSync() as Float32Array;
}

/** the state-dict name (tfjs variable names carry a per-model tag before a slash) */
function param(v: Variable): string {
  return v.name.slice(v.name.indexOf('/') + 1);
}

/** [kh, kw, in, out] (the kit's) to [out, in, kh, kw] (ONNX's, PyTorch's) */
function convWeight(v: Variable): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = v.shape;
  const src = values(v);
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    out[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o];
  }
  return { data: out, dims: [cout, cin, kh, kw] };
}

class Exporter {
  readonly g = new OnnxGraph();

  constructor(readonly model: Dgiqa) {}

  private w(v: Variable): string {
    return this.g.weight(param(v), values(v), v.shape);
  }

  // --- layers (src/model/layers.ts) -------------------------------------------------------------

  linear(x: string, l: Linear): string {
    const y = this.g.matMul(x, this.w(l.weight));
    return l.bias ? this.g.add(y, this.w(l.bias)) : y;
  }

  layerNorm(x: string, n: LayerNorm): string {
    return this.g.layerNorm(x, this.w(n.weight), this.w(n.bias), LN_EPS);
  }

  /** exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), in opset 17's operators (Gelu itself is opset 20) */
  gelu(x: string): string {
    const g = this.g;
    const e = g.op('Erf', [g.mul(x, g.scalar(Math.SQRT1_2))]);
    return g.mul(g.mul(x, g.scalar(0.5)), g.add(e, g.scalar(1)));
  }

  conv(x: string, c: Conv): string {
    const { data, dims } = convWeight(c.weight);
    const weight = this.g.weight(param(c.weight), data, dims);
    const { stride = 1, dilation = 1, padding = 0 } = c.opts;
    return this.g.conv(x, weight, this.w(c.bias), { kernel: c.kernel, stride, dilation, padding });
  }

  batchNorm(x: string, b: BatchNorm): string {
    return this.g.batchNorm(x, this.w(b.weight), this.w(b.bias), this.w(b.runningMean), this.w(b.runningVar), BN_EPS);
  }

  // --- Swin (src/model/swin.ts) -------------------------------------------------------------

  backbone(x: string, b: Backbone): string[] {
    const g = this.g;
    const { patchSize: p, imgSize: s } = b.o;
    const side = s / p;
    // patch embedding: a stride-p convolution is a matmul over p x p x 3 patches, in the kit's filter order
    const patches = g.reshape(g.transpose(g.reshape(x, [-1, side, p, side, p, 3]), [0, 1, 3, 2, 4, 5]), [-1, side, side, p * p * 3]);
    const embedW = g.weight(param(b.proj.weight), values(b.proj.weight), [p * p * 3, b.o.embedDim]);
    let y = this.layerNorm(g.add(g.matMul(patches, embedW), this.w(b.proj.bias)), b.embedNorm);
    let h = side;
    let c = b.o.embedDim;
    const outs: string[] = [];
    for (const stage of b.stages) {
      if (stage.merge) {
        y = g.reshape(g.transpose(g.reshape(y, [-1, h / 2, 2, h / 2, 2, c]), [0, 1, 3, 4, 2, 5]), [-1, h / 2, h / 2, 4 * c]);
        y = g.matMul(this.layerNorm(y, stage.merge.norm), this.w(stage.merge.reduction.weight));
        h /= 2;
        c *= 2;
      }
      for (const block of stage.blocks) y = this.swinBlock(y, block, h, c);
      outs.push(y);
    }
    return outs;
  }

  private roll(x: string, shift: number, size: number): string {
    const s = ((shift % size) + size) % size;
    if (!s) return x;
    let y = x;
    for (const axis of [1, 2]) y = this.g.concat([this.g.slice(y, axis, size - s, size), this.g.slice(y, axis, 0, size - s)], axis);
    return y;
  }

  swinBlock(x: string, block: Block, h: number, c: number): string {
    const g = this.g;
    const { window: ws, shift } = block.consts;
    const n = ws * ws;
    const heads = block.attn.heads;
    const hd = c / heads;
    let y = this.layerNorm(x, block.norm1);
    if (shift) y = this.roll(y, -shift, h);
    const windows = g.reshape(g.transpose(g.reshape(y, [-1, h / ws, ws, h / ws, ws, c]), [0, 1, 3, 2, 4, 5]), [-1, n, c]);
    // q, k, v: [windows, heads, N, hd], from the packed projection (columns q | k | v, heads within each)
    const qkv = g.transpose(g.reshape(this.linear(windows, block.attn.qkv), [-1, n, 3, heads, hd]), [2, 0, 3, 1, 4]);
    const q = g.mul(g.pick(qkv, 0, 0), g.scalar(hd ** -0.5));
    let attn = g.matMul(q, g.transpose(g.pick(qkv, 0, 1), [0, 1, 3, 2]));
    const nW = (h / ws) ** 2;
    const biasMask = g.weight(`${param(block.attn.table)}+mask`, this.biasAndMask(block, h), shift ? [nW, heads, n, n] : [heads, n, n]);
    attn = shift ? g.reshape(g.add(g.reshape(attn, [-1, nW, heads, n, n]), biasMask), [-1, heads, n, n]) : g.add(attn, biasMask);
    const heads2 = g.matMul(g.softmax(attn), g.pick(qkv, 0, 2));
    const attended = this.linear(g.reshape(g.transpose(heads2, [0, 2, 1, 3]), [-1, n, c]), block.attn.proj);
    y = g.reshape(g.transpose(g.reshape(attended, [-1, h / ws, h / ws, ws, ws, c]), [0, 1, 3, 2, 4, 5]), [-1, h, h, c]);
    if (shift) y = this.roll(y, shift, h);
    const x1 = g.add(x, y);
    const m = this.linear(this.gelu(this.linear(this.layerNorm(x1, block.norm2), block.fc1)), block.fc2);
    return g.add(x1, m);
  }

  /** relative position bias [heads, N, N], plus the shift mask per window when shifted: [nW, heads, N, N] */
  private biasAndMask(block: Block, h: number): Float32Array {
    const { window: w, shift } = block.consts;
    const heads = block.attn.heads;
    const n = w * w;
    const span = 2 * w - 1;
    const table = values(block.attn.table); // [(2w-1)^2, heads]
    const bias = new Float32Array(heads * n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const dy = Math.floor(i / w) - Math.floor(j / w) + w - 1;
      const dx = (i % w) - (j % w) + w - 1;
      for (let k = 0; k < heads; k++) bias[(k * n + i) * n + j] = table[(dy * span + dx) * heads + k];
    }
    if (!shift) return bias;
    // regions of the cyclic shift, labelled as in src/model/swin.ts; attention across labels is masked
    const region = (v: number): number => (v < h - w ? 0 : v < h - shift ? 1 : 2);
    const label = (y: number, x: number): number => region(y) * 3 + region(x);
    const nWs = h / w;
    const out = new Float32Array(nWs * nWs * heads * n * n);
    for (let wy = 0; wy < nWs; wy++) for (let wx = 0; wx < nWs; wx++) {
      const base = (wy * nWs + wx) * heads * n * n;
      for (let i = 0; i < n; i++) {
        const li = label(wy * w + Math.floor(i / w), wx * w + (i % w));
        for (let j = 0; j < n; j++) {
          const masked = li !== label(wy * w + Math.floor(j / w), wx * w + (j % w)) ? MASKED : 0;
          for (let k = 0; k < heads; k++) out[base + (k * n + i) * n + j] = bias[(k * n + i) * n + j] + masked;
        }
      }
    }
    return out;
  }

  // --- Transformer-CNN Bridge (src/model/tcb.ts), NCHW --------------------------------------

  tcb(x: string, t: Tcb): string {
    const g = this.g;
    const out = this.conv(x, t.conv1);
    const gate = g.sigmoid(this.conv(g.relu(this.conv(out, t.squeeze)), t.excite));
    return g.relu(this.batchNorm(this.conv(g.mul(out, gate), t.conv2), t.norm));
  }

  /** stage maps (NHWC) -> bridges -> resized to the fused side (the smallest map in the paper) -> channel concat, NCHW */
  bridge(stages: string[], tcbs: Tcb[], sides: number[]): string {
    const g = this.g;
    const target = fusedSide(this.model.config);
    const maps = stages.map((s, i) => {
      const nchw = g.transpose(s, [0, 3, 1, 2]);
      const y = this.model.config.tcb ? this.tcb(nchw, tcbs[i]) : nchw;
      return sides[i] === target ? y : g.resizeBilinear(y, [1, 1, target / sides[i], target / sides[i]]);
    });
    return g.concat(maps, 1);
  }

  // --- Depth-CAR (src/model/depthCar.ts), [B, L, C] -----------------------------------------

  /** one of the packed in-projection's parts (q, k, v), split into heads; w, b: the packed values, read once per block */
  private heads(x: string, m: Attention, w: Float32Array, b: Float32Array, part: number, l: number): string {
    const g = this.g;
    const c = m.inProj.shape[0];
    const wPart = new Float32Array(c * c);
    for (let i = 0; i < c; i++) wPart.set(w.subarray(i * 3 * c + part * c, i * 3 * c + (part + 1) * c), i * c);
    const which = 'qkv'[part];
    const y = g.add(g.matMul(x, g.weight(`${param(m.inProj)}[${which}]`, wPart, [c, c])), g.weight(`${param(m.inBias)}[${which}]`, b.slice(part * c, (part + 1) * c), [c]));
    return g.transpose(g.reshape(y, [-1, l, m.heads, c / m.heads]), [0, 2, 1, 3]);
  }

  attentionBlock(query: string, keyValue: string, a: AttentionBlock, l: number, c: number): string {
    const g = this.g;
    const m = a.attn;
    const hd = c / m.heads;
    const w = values(m.inProj);
    const b = values(m.inBias);
    const q = g.mul(this.heads(query, m, w, b, 0, l), g.scalar(hd ** -0.5));
    const k = this.heads(keyValue, m, w, b, 1, l);
    const v = this.heads(keyValue, m, w, b, 2, l);
    const weights = g.softmax(g.matMul(q, g.transpose(k, [0, 1, 3, 2])));
    const attended = this.linear(g.reshape(g.transpose(g.matMul(weights, v), [0, 2, 1, 3]), [-1, l, c]), m.out);
    const x = this.layerNorm(g.add(query, attended), a.norm1);
    const f = this.linear(this.gelu(this.linear(x, a.mlpIn)), a.mlpOut);
    return this.layerNorm(g.add(x, f), a.norm2);
  }

  // --- the model (src/model/dgiqa.ts) -------------------------------------------------------

  build(batch: number | string): void {
    const g = this.g;
    const m = this.model;
    const c = m.config;
    const s = c.imgSize;
    const rgb = g.input('rgb', [batch, s, s, 3]);
    const sides = stageSides(c);
    let merged = this.bridge(this.backbone(rgb, m.backbone), m.tcbs, sides); // [B, C, h, w]
    if (m.depthBackbone) {
      const depth = g.input('depth', [batch, s, s, 3]);
      const fusedDepth = this.bridge(this.backbone(depth, m.depthBackbone), m.tcbsDepth, sides);
      if (m.depthCar) {
        const side = fusedSide(c);
        const l = side * side;
        const channels = fusedChannels(c);
        const seq = (x: string): string => g.transpose(g.reshape(x, [0, channels, l]), [0, 2, 1]);
        const crossed = this.attentionBlock(seq(fusedDepth), seq(merged), m.depthCar.cross, l, channels);
        const refined = this.attentionBlock(crossed, crossed, m.depthCar.refine, l, channels);
        merged = g.reshape(g.transpose(refined, [0, 2, 1]), [0, channels, side, side]);
      } else merged = g.concat([merged, fusedDepth], 1);
    }
    const d = m.dilatedStack;
    const y = g.relu(this.batchNorm(this.conv(merged, d.conv1), d.bn1));
    const refined = g.relu(this.batchNorm(this.conv(y, d.conv2), d.bn2));
    const pooled = g.reduceMean(refined, [2, 3]);
    g.output(g.reshape(g.sigmoid(this.linear(pooled, m.fc)), [-1]), 'scores', [batch]);
    g.output(pooled, 'pooled', [batch, c.dilationChannels]);
  }
}

/** The model's inference graph as an ONNX file's bytes. batch: a fixed size, or a name for a symbolic one. */
export function exportOnnx(model: Dgiqa, o: { batch?: number | string; docString?: string } = {}): OnnxExport {
  const e = new Exporter(model);
  e.build(o.batch ?? 'batch');
  const bytes = e.g.encode({
    graphName: 'dgiqa',
    producer: 'dgiqa-kit',
    producerVersion: '0.1.0',
    docString: o.docString ?? 'DGIQA (arXiv 2505.24002) at inference: rgb and depth [B, S, S, 3] ImageNet-normalised NHWC -> scores [B] in [0, 1]',
    metadata: { config: JSON.stringify(model.config) },
  });
  return { bytes, nodes: e.g.nodes.length };
}
