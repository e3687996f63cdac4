// The embedded benchmark: a seeded generator of scenes with true depth, distortions and labels.
export { generateBenchmark, defaultSynthWorkers, SYNTH_VERSION, SYNTH_MIN_SIZE } from './generate.js';
export type { GenerateOptions, SynthProgress } from './generate.js';
export { loadSynth, loadSynthPairs, loadSynthManifest } from './load.js';
export { SYNTH_PROFILES, SYNTH_DEFAULT_SEED } from './profiles.js';
export type { SynthProfile, SynthProfileName } from './profiles.js';
export { DISTORTIONS, distortionsOf, NATURAL_DISTORTIONS } from './distortions.js';
export type { Distortion } from './distortions.js';
export { ReferenceQuality, fullReferenceQuality, nearnessAttention, perceivedQuality, PERCEIVED_EXPONENT, LABEL_MODEL } from './quality.js';
export { makeScene, FAR_METERS } from './scene.js';
export { render as renderScene } from './render.js';
export { DISPARITY_SCALE } from './sceneWork.js';
export { readInverseDepthPng16 } from './io.js';
export { SYNTH_FAMILIES } from './types.js';
export type { SynthRecord, SynthPair, SynthFamily, SynthManifest, RgbImage } from './types.js';
