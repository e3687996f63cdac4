// Turning raw depth values into the model's 8-bit maps.
import sharp from 'sharp';
import type { DepthMap } from './types.js';

/**
 * Min-max scaling to 0..255 (as the official code scales Depth Anything's output). A constant map
 * has no range to scale and becomes all zeros.
 */
export function minMaxToUint8(values: ArrayLike<number>): Uint8Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(values.length);
  if (!(hi > lo)) return out;
  const k = 255 / (hi - lo);
  for (let i = 0; i < values.length; i++) out[i] = Math.round(((values[i] as number) - lo) * k);
  return out;
}

/**
 * Metric depth to the model's convention: inverse depth (disparity up to scale, what Depth Anything
 * predicts), so near surfaces are bright, then min-max scaled.
 */
export function metricToModelMap(depth: Float32Array): Uint8Array {
  const inv = new Float32Array(depth.length);
  for (let i = 0; i < depth.length; i++) inv[i] = 1 / Math.max(1e-3, depth[i] as number);
  return minMaxToUint8(inv);
}

/** Bilinear resize of an 8-bit map (libvips, through sharp). */
export async function resizeMap(map: DepthMap, width: number, height: number): Promise<DepthMap> {
  if (map.width === width && map.height === height) return map;
  const data = await sharp(map.data, { raw: { width: map.width, height: map.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data) };
}
