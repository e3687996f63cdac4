// Scene descriptions and how each benchmark family draws them from a seed.
//
// Family A: a room. Tiled or checkered floor, a textured back wall closing the view, 4-6 objects
// within about 3-12 m, a high light. Family B: a yard. Grass or sand ground to the horizon, sky,
// 6-9 objects (more pillars) over about 3-35 m, a low warm sun. The depth ranges differ by about
// three times, so depth-dependent distortions and depth maps look different across the families.
import { Rng } from '../../util/rng.js';
import type { Texture, TextureKind } from './textures.js';
import type { SynthFamily } from './types.js';

export type Vec3 = [number, number, number];

export interface Camera {
  /** Height of the eye above the ground (m). */
  height: number;
  /** Downward tilt of the optical axis (radians). */
  pitch: number;
  /** Horizontal field of view (radians). */
  fov: number;
}

export interface SphereShape {
  kind: 'sphere';
  center: Vec3;
  radius: number;
  texture: Texture;
  shininess: number;
}

export interface BoxShape {
  kind: 'box';
  center: Vec3;
  half: Vec3;
  /** Rotation about the vertical axis (radians). */
  yaw: number;
  texture: Texture;
}

export interface CylinderShape {
  kind: 'cylinder';
  /** Centre of the bottom disc, on the ground. */
  base: Vec3;
  radius: number;
  height: number;
  texture: Texture;
}

export type Shape = SphereShape | BoxShape | CylinderShape;

export interface Scene {
  family: SynthFamily;
  camera: Camera;
  /** Unit vector towards the light. */
  lightDir: Vec3;
  lightColor: Vec3;
  ambient: Vec3;
  ground: Texture;
  /** Back wall plane z = wall.z (family A), or none: sky (family B). */
  wall: { z: number; texture: Texture } | null;
  skyTop: Vec3;
  skyHorizon: Vec3;
  objects: Shape[];
  /** Depth given to sky pixels and the cap for far ground (m). */
  far: number;
}

/** The depth a sky pixel gets; also the largest depth a family B map holds. */
export const FAR_METERS = 60;

const PALETTE: Vec3[] = [
  [0.85, 0.2, 0.15], [0.95, 0.6, 0.1], [0.95, 0.85, 0.2], [0.25, 0.65, 0.25], [0.15, 0.45, 0.8],
  [0.45, 0.25, 0.7], [0.9, 0.45, 0.6], [0.2, 0.7, 0.7], [0.6, 0.4, 0.25], [0.9, 0.9, 0.88],
];

const shade = (c: Vec3, k: number): Vec3 => [c[0] * k, c[1] * k, c[2] * k];

function texture(rng: Rng, kinds: TextureKind[], scale: [number, number], colorA: Vec3, colorB: Vec3): Texture {
  return { kind: rng.pick(kinds), colorA, colorB, scale: rng.uniform(scale[0], scale[1]), salt: rng.nextU32() | 0 };
}

function objectTexture(rng: Rng): Texture {
  const base = rng.pick(PALETTE);
  const other = rng.next() < 0.5 ? shade(base, rng.uniform(0.3, 0.6)) : rng.pick(PALETTE);
  return texture(rng, ['checker', 'stripes', 'noise', 'marble'], [2, 7], base, other);
}

interface Footprint { x: number; z: number; r: number }

/** Places an object of footprint radius r where the camera sees it and no other object stands. */
function place(rng: Rng, camera: Camera, zRange: [number, number], r: number, taken: Footprint[]): Footprint | null {
  const halfTan = Math.tan(camera.fov / 2) * 0.85;
  for (let tries = 0; tries < 40; tries++) {
    // Uniform in 1/z spreads objects evenly over the picture instead of crowding the far field.
    const inv = rng.uniform(1 / zRange[1], 1 / zRange[0]);
    const z = 1 / inv;
    const x = rng.uniform(-1, 1) * (z * halfTan - r);
    if (taken.every((o) => Math.hypot(o.x - x, o.z - z) > o.r + r + 0.15)) {
      const spot = { x, z, r };
      taken.push(spot);
      return spot;
    }
  }
  return null;
}

function makeObject(rng: Rng, kindWeights: [number, number, number], spot: Footprint, size: number): Shape {
  const u = rng.next() * (kindWeights[0] + kindWeights[1] + kindWeights[2]);
  const tex = objectTexture(rng);
  if (u < kindWeights[0]) {
    return { kind: 'sphere', center: [spot.x, size, spot.z], radius: size, texture: tex, shininess: rng.uniform(10, 60) };
  }
  if (u < kindWeights[0] + kindWeights[1]) {
    const hy = size * rng.uniform(0.6, 1.6);
    return {
      kind: 'box',
      center: [spot.x, hy, spot.z],
      half: [size * 0.7, hy, size * rng.uniform(0.5, 0.7)],
      yaw: rng.uniform(0, Math.PI),
      texture: tex,
    };
  }
  return { kind: 'cylinder', base: [spot.x, 0, spot.z], radius: size * 0.6, height: size * rng.uniform(1.5, 4), texture: tex };
}

function lightFrom(elevationDeg: number, azimuthDeg: number): Vec3 {
  const el = (elevationDeg * Math.PI) / 180;
  const az = (azimuthDeg * Math.PI) / 180;
  // Azimuth 0 is behind the camera (light along +z towards the scene is backlight).
  return [Math.cos(el) * Math.sin(az), Math.sin(el), -Math.cos(el) * Math.cos(az)];
}

const deg = (d: number): number => (d * Math.PI) / 180;

function roomScene(rng: Rng): Scene {
  const camera: Camera = { height: rng.uniform(1.2, 1.7), pitch: deg(rng.uniform(12, 22)), fov: deg(rng.uniform(55, 65)) };
  const wallZ = rng.uniform(10, 14);
  const floorA = rng.pick<Vec3>([[0.8, 0.78, 0.72], [0.55, 0.4, 0.3], [0.7, 0.72, 0.75]]);
  const ground = texture(rng, ['checker', 'tiles'], [0.8, 1.6], floorA, shade(floorA, rng.uniform(0.35, 0.6)));
  const wallBase = rng.pick<Vec3>([[0.85, 0.82, 0.7], [0.6, 0.7, 0.8], [0.75, 0.6, 0.55], [0.7, 0.8, 0.65]]);
  const wall = { z: wallZ, texture: texture(rng, ['stripes', 'noise', 'marble'], [0.6, 1.5], wallBase, shade(wallBase, 0.7)) };
  const objects: Shape[] = [];
  const taken: Footprint[] = [];
  const count = 4 + rng.int(3);
  for (let i = 0; i < count; i++) {
    const size = rng.uniform(0.3, 0.8);
    const spot = place(rng, camera, [2.5, wallZ - 1.5], size, taken);
    if (spot) objects.push(makeObject(rng, [0.4, 0.4, 0.2], spot, size));
  }
  const el = rng.uniform(40, 70);
  const az = rng.uniform(-70, 70);
  return {
    family: 'A',
    camera,
    lightDir: lightFrom(el, az),
    lightColor: [1.0, 0.96, 0.9],
    ambient: [0.28, 0.28, 0.3],
    ground,
    wall,
    skyTop: [0, 0, 0],
    skyHorizon: [0, 0, 0],
    objects,
    far: FAR_METERS,
  };
}

function yardScene(rng: Rng): Scene {
  const camera: Camera = { height: rng.uniform(1.6, 2.6), pitch: deg(rng.uniform(4, 9)), fov: deg(rng.uniform(60, 75)) };
  const groundA = rng.pick<Vec3>([[0.35, 0.55, 0.2], [0.75, 0.65, 0.45], [0.45, 0.5, 0.3]]);
  const ground = texture(rng, ['grass', 'noise'], [0.6, 1.4], groundA, shade(groundA, rng.uniform(0.45, 0.7)));
  const objects: Shape[] = [];
  const taken: Footprint[] = [];
  const count = 6 + rng.int(4);
  for (let i = 0; i < count; i++) {
    const size = rng.uniform(0.4, 1.5);
    const spot = place(rng, camera, [3, 35], size, taken);
    if (spot) objects.push(makeObject(rng, [0.3, 0.25, 0.45], spot, size));
  }
  const el = rng.uniform(15, 40);
  const az = rng.uniform(-100, 100);
  return {
    family: 'B',
    camera,
    lightDir: lightFrom(el, az),
    lightColor: [1.0, 0.88, 0.7],
    ambient: [0.22, 0.26, 0.34],
    ground,
    wall: null,
    skyTop: [0.25, 0.45, 0.85],
    skyHorizon: [0.78, 0.85, 0.95],
    objects,
    far: FAR_METERS,
  };
}

export function makeScene(family: SynthFamily, seed: number): Scene {
  const rng = new Rng(seed);
  return family === 'A' ? roomScene(rng) : yardScene(rng);
}

export const FAMILY_DESCRIPTIONS: Record<SynthFamily, string> = {
  A: 'room: tiled floor, back wall at 10-14 m, 4-6 objects at 2.5-12 m, high light',
  B: 'yard: grass or sand to the horizon, sky (depth capped at 60 m), 6-9 objects at 3-35 m, low warm sun',
};
