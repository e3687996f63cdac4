// Procedural solid textures: a colour from a 3-D point, so surfaces need no UV maps.
//
// Each texture mixes two colours by a pattern value in [0, 1]. Value noise uses an integer
// lattice hash with a per-texture salt, so textures are deterministic from the scene seed.

export type TextureKind = 'checker' | 'stripes' | 'noise' | 'marble' | 'tiles' | 'grass';

export interface Texture {
  kind: TextureKind;
  colorA: [number, number, number];
  colorB: [number, number, number];
  /** Pattern cells per metre. */
  scale: number;
  salt: number;
}

function latticeHash(x: number, y: number, z: number, salt: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ Math.imul(z, 0x9e3779b1) ^ salt;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const smooth = (t: number): number => t * t * (3 - 2 * t);

/** Trilinear value noise in [0, 1). */
export function valueNoise(x: number, y: number, z: number, salt: number): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const zi = Math.floor(z);
  const fx = smooth(x - xi);
  const fy = smooth(y - yi);
  const fz = smooth(z - zi);
  const c = (dx: number, dy: number, dz: number): number => latticeHash(xi + dx, yi + dy, zi + dz, salt);
  const x00 = c(0, 0, 0) + (c(1, 0, 0) - c(0, 0, 0)) * fx;
  const x10 = c(0, 1, 0) + (c(1, 1, 0) - c(0, 1, 0)) * fx;
  const x01 = c(0, 0, 1) + (c(1, 0, 1) - c(0, 0, 1)) * fx;
  const x11 = c(0, 1, 1) + (c(1, 1, 1) - c(0, 1, 1)) * fx;
  const y0 = x00 + (x10 - x00) * fy;
  const y1 = x01 + (x11 - x01) * fy;
  return y0 + (y1 - y0) * fz;
}

/** Three octaves of value noise, in [0, 1). */
export function fbm(x: number, y: number, z: number, salt: number): number {
  return (
    0.5 * valueNoise(x, y, z, salt) +
    0.3 * valueNoise(2.03 * x, 2.03 * y, 2.03 * z, salt + 1) +
    0.2 * valueNoise(4.11 * x, 4.11 * y, 4.11 * z, salt + 2)
  );
}

function pattern(t: Texture, x: number, y: number, z: number): number {
  const s = t.scale;
  switch (t.kind) {
    case 'checker':
      return (Math.floor(x * s) + Math.floor(y * s) + Math.floor(z * s)) & 1 ? 1 : 0.08 * fbm(x * 8, y * 8, z * 8, t.salt);
    case 'stripes':
      return 0.5 + 0.5 * Math.sin((x + 0.4 * z) * s * 2 * Math.PI + 2 * fbm(x, y, z, t.salt));
    case 'noise':
      return fbm(x * s, y * s, z * s, t.salt);
    case 'marble':
      return 0.5 + 0.5 * Math.sin((x + y) * s * 3 + 6 * fbm(x * s, y * s, z * s, t.salt));
    case 'tiles': {
      // Square tiles with dark grout lines and a little per-tile shade variation.
      const u = x * s;
      const v = z * s + y * s;
      const fu = u - Math.floor(u);
      const fv = v - Math.floor(v);
      const grout = fu < 0.06 || fv < 0.06 ? 1 : 0;
      return grout ? 1 : 0.25 * latticeHash(Math.floor(u), Math.floor(v), 0, t.salt);
    }
    case 'grass':
      return fbm(x * s, y * s * 0.2, z * s, t.salt) * 0.7 + 0.3 * valueNoise(x * s * 9, 0, z * s * 9, t.salt + 7);
  }
}

/** Writes the texture's colour at (x, y, z) into out[0..2]. */
export function textureColor(t: Texture, x: number, y: number, z: number, out: Float32Array): void {
  const m = pattern(t, x, y, z);
  out[0] = t.colorA[0] + (t.colorB[0] - t.colorA[0]) * m;
  out[1] = t.colorA[1] + (t.colorB[1] - t.colorA[1]) * m;
  out[2] = t.colorA[2] + (t.colorB[2] - t.colorA[2]) * m;
}
