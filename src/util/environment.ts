// What a result was made with: software, hardware, backend. Written into environment.md and into every
// result file, so a number can always be traced to the machine and versions that produced it.
import { cpus, totalmem, platform, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { backendInfo, tf } from '../backend/index.js';

export interface Environment {
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  backend: string;
  gpu: boolean;
  /** the WebGPU adapter, when that backend runs */
  adapter?: string;
  backendMessage: string;
  packages: Record<string, string>;
}

const PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'webgpu', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node', 'sharp', 'danfojs-node', 'plotly.js-dist-min', 'simple-statistics', 'tslab'];

function versionOf(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export async function describeEnvironment(): Promise<Environment> {
  const info = await backendInfo();
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    backend: info.name,
    gpu: info.gpu,
    ...(info.adapter ? { adapter: `${info.adapter.name} (${info.adapter.gpu ? 'GPU' : 'CPU adapter'})` } : {}),
    backendMessage: info.message,
    packages: Object.fromEntries(PACKAGES.map((p) => [p, p === '@tensorflow/tfjs-core' ? tf.version_core : versionOf(p)])),
  };
}

export function environmentMarkdown(e: Environment): string {
  const rows = Object.entries(e.packages).map(([k, v]) => `| ${k} | ${v} |`);
  return [
    '# Environment',
    '',
    'The software and hardware the committed results were made with (written by notebook 11 and `npm run reproduce`).',
    '',
    `- backend: **${e.backend}**, ${e.gpu ? 'GPU in use' : 'no GPU in use'}`,
    ...(e.adapter ? [`- WebGPU adapter: ${e.adapter}`] : []),
    `- as the kit reported it: ${e.backendMessage}`,
    `- CPU: ${e.cpu}, ${e.cores} cores, ${e.memoryGb} GB memory`,
    `- platform: ${e.platform}, Node ${e.node}`,
    '',
    '| package | version |',
    '| --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
