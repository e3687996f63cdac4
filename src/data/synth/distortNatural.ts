// Natural distortions, the kinds the paper tests generalization on (haze, low light, lens flare,
// motion blur), plus defocus. Haze and defocus read the scene's true depth.
import { Rng } from '../../util/rng.js';
import { cloneImage, gaussianBlur } from './image.js';
import type { RgbImage } from './types.js';

/**
 * Haze by the atmospheric scattering model (Koschmieder; as in dehazing work since He et al.):
 * I = J t + A (1 - t), t = exp(-beta d), with d the pixel's depth in metres. `beta` is chosen per
 * scene so that the transmission at the median depth equals `tMedian`; families with deeper scenes
 * therefore get thinner air for the same level, but the same look at their typical distance.
 */
export function haze(img: RgbImage, depth: Float32Array, tMedian: number, airlight: readonly number[]): RgbImage {
  const beta = -Math.log(tMedian) / medianOf(depth);
  const out = cloneImage(img);
  for (let i = 0; i < depth.length; i++) {
    const t = Math.exp(-beta * (depth[i] as number));
    for (let c = 0; c < 3; c++) out.data[3 * i + c] = (img.data[3 * i + c] as number) * t + (airlight[c] as number) * (1 - t);
  }
  return out;
}

export function medianOf(values: Float32Array): number {
  return quantileOf(values, 0.5);
}

export function quantileOf(values: Float32Array, q: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Blurred copies of an image at increasing Gaussian sigmas, shared by all defocus levels. */
export interface BlurStack {
  sigmas: number[];
  images: RgbImage[];
}

/** Each level blurs the previous one by the missing variance (Gaussians compose), so kernels stay short. */
export function blurStack(img: RgbImage, sigmas: number[]): BlurStack {
  const images: RgbImage[] = [];
  let prev = img, prevSigma = 0;
  for (const s of sigmas) {
    const step = Math.sqrt(Math.max(0, s * s - prevSigma * prevSigma));
    prev = step > 0 ? gaussianBlur(prev, step) : prev;
    prevSigma = s;
    images.push(prev);
  }
  return { sigmas, images };
}

/**
 * Defocus: the blur radius at a pixel is rMax * min(1, |d - focus| / spread), so it grows with the
 * distance from the focal plane and saturates at rMax pixels. A disc of radius r is approximated by
 * a Gaussian of sigma r / sqrt(2) (same second moment), read from the blur stack by linear
 * interpolation between the two nearest sigmas. Colours bleed across depth edges (no occlusion
 * handling): the usual layered-blur approximation.
 */
export function defocus(stack: BlurStack, depth: Float32Array, focus: number, spread: number, rMax: number): RgbImage {
  const base = stack.images[0] as RgbImage;
  const out = cloneImage(base);
  const last = stack.sigmas.length - 1;
  for (let i = 0; i < depth.length; i++) {
    const r = rMax * Math.min(1, Math.abs((depth[i] as number) - focus) / spread);
    const sigma = Math.min(r / Math.SQRT2, stack.sigmas[last] as number);
    let k = 0;
    while (k < last - 1 && (stack.sigmas[k + 1] as number) < sigma) k++;
    const s0 = stack.sigmas[k] as number, s1 = stack.sigmas[k + 1] as number;
    const f = Math.min(1, Math.max(0, (sigma - s0) / (s1 - s0)));
    const a = (stack.images[k] as RgbImage).data, b = (stack.images[k + 1] as RgbImage).data;
    for (let c = 0; c < 3; c++) out.data[3 * i + c] = (a[3 * i + c] as number) * (1 - f) + (b[3 * i + c] as number) * f;
  }
  return out;
}

/** A field of standard normal values, one per channel value (drawn once per scene and type). */
export function normalField(length: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const f = new Float32Array(length);
  for (let i = 0; i < length; i++) f[i] = rng.normal();
  return f;
}

/**
 * Low light: exposure scaled by `gain` with a slightly steeper tone curve, then sensor noise whose
 * variance grows with the signal (shot noise) plus a read-noise floor: sigma^2 = k y + r^2. The
 * noise field is the same for every level of a scene; only its amplitude follows the signal.
 */
export function lowLight(img: RgbImage, gain: number, readNoise: number, noise: Float32Array): RgbImage {
  const out = cloneImage(img);
  const SHOT = 0.004;
  for (let i = 0; i < out.data.length; i++) {
    const v = Math.max(0, img.data[i] as number);
    const y = gain * Math.pow(v, 1.25);
    out.data[i] = y + Math.sqrt(SHOT * y + readNoise * readNoise) * (noise[i] as number);
  }
  return out;
}

/** Where a flare's light source sits and how its ghosts look (drawn once per scene). */
export interface FlareLayout {
  x: number;
  y: number;
  streakAngle: number;
  ghosts: { s: number; radius: number; color: [number, number, number] }[];
}

export function flareLayout(width: number, height: number, seed: number): FlareLayout {
  const rng = new Rng(seed);
  const ghosts: FlareLayout['ghosts'] = [];
  for (let i = 0; i < 4; i++) {
    ghosts.push({
      s: rng.uniform(0.3, 1.6),
      radius: rng.uniform(0.03, 0.1) * width,
      color: [rng.uniform(0.4, 1), rng.uniform(0.5, 1), rng.uniform(0.6, 1)],
    });
  }
  return { x: rng.uniform(0.1, 0.9) * width, y: rng.uniform(0.05, 0.4) * height, streakAngle: rng.uniform(0, Math.PI), ghosts };
}

/** The light a flare of intensity 1 adds at each pixel (RGB), computed once per scene. */
export function flareField(width: number, height: number, layout: FlareLayout): Float32Array {
  const field = new Float32Array(width * height * 3);
  const cx = width / 2, cy = height / 2;
  const glowR = 0.06 * width, haloR = 0.3 * width, streakR = 0.45 * width;
  const tint = [1.0, 0.92, 0.78];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - layout.x, dy = y - layout.y;
      const r = Math.hypot(dx, dy);
      const theta = Math.atan2(dy, dx) - layout.streakAngle;
      const streak = Math.pow(Math.abs(Math.cos(3 * theta)), 80) * Math.exp(-r / streakR);
      // Core glow, broad halo, six streaks, and a uniform veil that lowers contrast everywhere.
      const light = 1.1 * Math.exp(-(r * r) / (glowR * glowR)) + 0.35 * Math.exp(-r / haloR) + 0.5 * streak + 0.05;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) field[o + c] = light * (tint[c] as number);
      for (const g of layout.ghosts) {
        // Ghost discs lie on the line from the source through the image centre.
        const gx = cx + (cx - layout.x) * g.s, gy = cy + (cy - layout.y) * g.s;
        const d = Math.hypot(x - gx, y - gy) / g.radius;
        if (d < 1.2) {
          const a = 0.12 * Math.min(1, Math.max(0, (1.2 - d) / 0.3));
          for (let c = 0; c < 3; c++) field[o + c] = (field[o + c] as number) + a * g.color[c];
        }
      }
    }
  }
  return field;
}

/** Lens flare: added light, clipped at white. */
export function lensFlare(img: RgbImage, field: Float32Array, intensity: number): RgbImage {
  const out = cloneImage(img);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(1, (img.data[i] as number) + intensity * (field[i] as number));
  return out;
}

/**
 * Linear motion blur (camera shake): the mean of the image along a segment of `length` pixels.
 * Every pixel uses the same offsets, so the blur is a sum of whole-image shifts, each with one pair
 * of bilinear weights; borders clamp.
 */
export function motionBlur(img: RgbImage, length: number, angle: number): RgbImage {
  const { width: w, height: h } = img;
  const acc = new Float32Array(img.data.length);
  const n = Math.max(2, Math.ceil(length) + 1);
  const ux = Math.cos(angle), uy = Math.sin(angle);
  const src = img.data;
  const xs = new Int32Array(2 * w);
  for (let k = 0; k < n; k++) {
    const t = (k / (n - 1) - 0.5) * length;
    const ox = ux * t, oy = uy * t;
    const ix = Math.floor(ox), iy = Math.floor(oy);
    const fx = ox - ix, fy = oy - iy;
    const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
    for (let x = 0; x < w; x++) {
      xs[2 * x] = 3 * Math.min(w - 1, Math.max(0, x + ix));
      xs[2 * x + 1] = 3 * Math.min(w - 1, Math.max(0, x + ix + 1));
    }
    for (let y = 0; y < h; y++) {
      const r0 = Math.min(h - 1, Math.max(0, y + iy)) * w * 3;
      const r1 = Math.min(h - 1, Math.max(0, y + iy + 1)) * w * 3;
      const o = y * w * 3;
      for (let x = 0; x < w; x++) {
        const a = xs[2 * x] as number, b = xs[2 * x + 1] as number;
        for (let c = 0; c < 3; c++) {
          acc[o + 3 * x + c] = (acc[o + 3 * x + c] as number) +
            w00 * (src[r0 + a + c] as number) + w01 * (src[r0 + b + c] as number) +
            w10 * (src[r1 + a + c] as number) + w11 * (src[r1 + b + c] as number);
        }
      }
    }
  }
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) / n;
  return { width: w, height: h, data: acc };
}
