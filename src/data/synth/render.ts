// Analytic ray casting of a Scene: colour (2x2 supersampled) and exact z-depth per pixel.
//
// The camera is a pinhole at (0, height, 0) looking along +z, tilted down by `pitch`. A pixel's ray
// is written with unit component along the optical axis, so the ray parameter t at a hit IS the
// z-depth (distance along the optical axis), the quantity the depth map stores.
import type { Scene, Shape, Vec3 } from './scene.js';
import { textureColor, type Texture } from './textures.js';
import type { RgbImage } from './types.js';

interface Hit {
  t: number;
  /** Surface normal (unit) and the texture-space point. */
  nx: number; ny: number; nz: number;
  px: number; py: number; pz: number;
  texture: Texture;
  shininess: number;
}

const EPS = 1e-4;

function intersectShape(s: Shape, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, tMax: number, hit: Hit | null): number {
  if (s.kind === 'sphere') {
    const [cx, cy, cz] = s.center;
    const lx = ox - cx, ly = oy - cy, lz = oz - cz;
    const a = dx * dx + dy * dy + dz * dz;
    const b = lx * dx + ly * dy + lz * dz;
    const c = lx * lx + ly * ly + lz * lz - s.radius * s.radius;
    const disc = b * b - a * c;
    if (disc < 0) return Infinity;
    const sq = Math.sqrt(disc);
    let t = (-b - sq) / a;
    if (t < EPS) t = (-b + sq) / a;
    if (t < EPS || t >= tMax) return Infinity;
    if (hit) {
      const hx = lx + t * dx, hy = ly + t * dy, hz = lz + t * dz;
      hit.t = t;
      hit.nx = hx / s.radius; hit.ny = hy / s.radius; hit.nz = hz / s.radius;
      hit.px = hx; hit.py = hy; hit.pz = hz;
      hit.texture = s.texture; hit.shininess = s.shininess;
    }
    return t;
  }
  if (s.kind === 'box') {
    // Slab test in the box's own frame (rotated by -yaw about y).
    const cs = Math.cos(s.yaw), sn = Math.sin(s.yaw);
    const rx = ox - s.center[0], ry = oy - s.center[1], rz = oz - s.center[2];
    const lo: Vec3 = [cs * rx - sn * rz, ry, sn * rx + cs * rz];
    const ld: Vec3 = [cs * dx - sn * dz, dy, sn * dx + cs * dz];
    let tNear = -Infinity, tFar = Infinity, axis = 0, sign = 1;
    for (let k = 0; k < 3; k++) {
      const o = lo[k] as number, d = ld[k] as number, h = s.half[k] as number;
      if (Math.abs(d) < 1e-12) {
        if (o < -h || o > h) return Infinity;
        continue;
      }
      let t1 = (-h - o) / d, t2 = (h - o) / d;
      let sg = -1;
      if (t1 > t2) { const tmp = t1; t1 = t2; t2 = tmp; sg = 1; }
      if (t1 > tNear) { tNear = t1; axis = k; sign = sg; }
      if (t2 < tFar) tFar = t2;
      if (tNear > tFar) return Infinity;
    }
    if (tNear < EPS || tNear >= tMax) return Infinity;
    if (hit) {
      const n: Vec3 = [0, 0, 0];
      n[axis] = sign;
      hit.t = tNear;
      // Back to world: rotate by +yaw.
      hit.nx = cs * n[0] + sn * n[2]; hit.ny = n[1]; hit.nz = -sn * n[0] + cs * n[2];
      hit.px = lo[0] + tNear * ld[0]; hit.py = lo[1] + tNear * ld[1]; hit.pz = lo[2] + tNear * ld[2];
      hit.texture = s.texture; hit.shininess = 0;
    }
    return tNear;
  }
  // Vertical cylinder with a top cap, standing on the ground.
  const [bx, , bz] = s.base;
  const lx = ox - bx, lz = oz - bz;
  let best = Infinity, nx = 0, ny = 0, nz = 0;
  const a = dx * dx + dz * dz;
  if (a > 1e-12) {
    const b = lx * dx + lz * dz;
    const c = lx * lx + lz * lz - s.radius * s.radius;
    const disc = b * b - a * c;
    if (disc >= 0) {
      const sq = Math.sqrt(disc);
      // Nearer root first; the farther one is the inside of the far wall, seen only past the rim.
      for (let k = 0; k < 2; k++) {
        const t = (-b + (k === 0 ? -sq : sq)) / a;
        const y = oy + t * dy;
        if (t > EPS && t < best && y >= 0 && y <= s.height) {
          best = t;
          nx = (lx + t * dx) / s.radius; ny = 0; nz = (lz + t * dz) / s.radius;
          break;
        }
      }
    }
  }
  if (Math.abs(dy) > 1e-12) {
    const t = (s.height - oy) / dy;
    const cx = lx + t * dx, cz = lz + t * dz;
    if (t > EPS && t < best && cx * cx + cz * cz <= s.radius * s.radius) {
      best = t; nx = 0; ny = 1; nz = 0;
    }
  }
  if (best >= tMax) return Infinity;
  if (hit && best < Infinity) {
    hit.t = best; hit.nx = nx; hit.ny = ny; hit.nz = nz;
    hit.px = lx + best * dx; hit.py = oy + best * dy; hit.pz = lz + best * dz;
    hit.texture = s.texture; hit.shininess = 0;
  }
  return best;
}

export interface Rendered {
  image: RgbImage;
  /** z-depth in metres, one value per pixel (sky: scene.far). */
  depth: Float32Array;
}

export function render(scene: Scene, width: number, height: number, supersample = 2): Rendered {
  const { camera } = scene;
  const focal = width / 2 / Math.tan(camera.fov / 2);
  const sp = Math.sin(camera.pitch), cp = Math.cos(camera.pitch);
  const [Lx, Ly, Lz] = scene.lightDir;
  const image = new Float32Array(width * height * 3);
  const depth = new Float32Array(width * height);
  const hit: Hit = { t: 0, nx: 0, ny: 0, nz: 0, px: 0, py: 0, pz: 0, texture: scene.ground, shininess: 0 };
  const tex = new Float32Array(3);
  const rgb = new Float32Array(3);
  const oy = camera.height;
  // Half-vector of a viewer roughly along -z: enough for a highlight cue.
  const hlen = Math.hypot(Lx, Ly, Lz - 1);
  const Hx = Lx / hlen, Hy = Ly / hlen, Hz = (Lz - 1) / hlen;

  // Returns the z-depth of the ray (dx, dy, dz) and, when `shade`, writes its colour into rgb.
  const trace = (dx: number, dy: number, dz: number, shade: boolean): number => {
    let tBest = Infinity;
    let which = -1;
    for (let i = 0; i < scene.objects.length; i++) {
      const t = intersectShape(scene.objects[i] as Shape, 0, oy, 0, dx, dy, dz, tBest, null);
      if (t < tBest) { tBest = t; which = i; }
    }
    let surface: 'object' | 'ground' | 'wall' | 'sky' = which >= 0 ? 'object' : 'sky';
    if (dy < 0) {
      const t = -oy / dy;
      if (t < tBest) { tBest = t; surface = 'ground'; }
    }
    if (scene.wall && dz > 0) {
      const t = scene.wall.z / dz;
      if (t < tBest) { tBest = t; surface = 'wall'; }
    }
    if (!shade) return Math.min(tBest, scene.far);
    if (surface === 'sky') {
      const up = Math.max(0, Math.min(1, dy / Math.hypot(dx, dy, dz) * 3));
      for (let c = 0; c < 3; c++) rgb[c] = (scene.skyHorizon[c] as number) + ((scene.skyTop[c] as number) - (scene.skyHorizon[c] as number)) * up;
      return scene.far;
    }
    const t = tBest;
    const wx = t * dx, wy = oy + t * dy, wz = t * dz;
    if (surface === 'object') {
      intersectShape(scene.objects[which] as Shape, 0, oy, 0, dx, dy, dz, Infinity, hit);
    } else if (surface === 'ground') {
      hit.nx = 0; hit.ny = 1; hit.nz = 0; hit.px = wx; hit.py = 0; hit.pz = wz;
      hit.texture = scene.ground; hit.shininess = 0;
    } else {
      hit.nx = 0; hit.ny = 0; hit.nz = -1; hit.px = wx; hit.py = wy; hit.pz = 0;
      hit.texture = (scene.wall as { texture: Texture }).texture; hit.shininess = 0;
    }
    textureColor(hit.texture, hit.px, hit.py, hit.pz, tex);
    // Fade a pattern to its mean colour once its cells shrink below about two pixels (cheap mip-mapping).
    const footprint = (t / focal) * hit.texture.scale;
    const fade = Math.min(1, Math.max(0, footprint * 3 - 0.3));
    if (fade > 0) {
      const A = hit.texture.colorA, B = hit.texture.colorB;
      for (let c = 0; c < 3; c++) tex[c] = (tex[c] as number) * (1 - fade) + 0.5 * ((A[c] as number) + (B[c] as number)) * fade;
    }
    let lambert = hit.nx * Lx + hit.ny * Ly + hit.nz * Lz;
    if (lambert > 0) {
      // Shadow ray towards the light, objects only (the floor and wall cannot occlude a light from above).
      const sx = wx + hit.nx * 1e-3, sy = wy + hit.ny * 1e-3, sz = wz + hit.nz * 1e-3;
      for (let i = 0; i < scene.objects.length; i++) {
        if (intersectShape(scene.objects[i] as Shape, sx, sy, sz, Lx, Ly, Lz, Infinity, null) < Infinity) { lambert = 0; break; }
      }
    } else lambert = 0;
    const spec = hit.shininess > 0 && lambert > 0 ? 0.35 * Math.pow(Math.max(0, hit.nx * Hx + hit.ny * Hy + hit.nz * Hz), hit.shininess) : 0;
    for (let c = 0; c < 3; c++) {
      rgb[c] = (tex[c] as number) * ((scene.ambient[c] as number) + (scene.lightColor[c] as number) * lambert) + spec;
    }
    return Math.min(t, scene.far);
  };

  const inv = 1 / (supersample * supersample);
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      let r = 0, g = 0, b = 0;
      for (let sy = 0; sy < supersample; sy++) {
        for (let sx = 0; sx < supersample; sx++) {
          const u = (px + (sx + 0.5) / supersample - width / 2) / focal;
          const v = -(py + (sy + 0.5) / supersample - height / 2) / focal;
          // Camera basis: right (1,0,0), up (0,cp,sp), forward (0,-sp,cp).
          trace(u, v * cp - sp, v * sp + cp, true);
          r += rgb[0] as number; g += rgb[1] as number; b += rgb[2] as number;
        }
      }
      const o = (py * width + px) * 3;
      image[o] = r * inv; image[o + 1] = g * inv; image[o + 2] = b * inv;
      // Depth at the pixel centre: exact for that ray, not an average across an edge.
      const v = -(py + 0.5 - height / 2) / focal;
      const u = (px + 0.5 - width / 2) / focal;
      depth[py * width + px] = trace(u, v * cp - sp, v * sp + cp, false);
    }
  }
  return { image: { width, height, data: image }, depth };
}
