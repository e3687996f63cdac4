// `--engine auto|onnx|tfjs` of the scoring commands (score, eval): which engine runs the forward.
import type { BackendInfo } from '../backend/index.js';
import { resolveEngine } from '../eval/index.js';
import type { Engine } from '../eval/index.js';

export const ENGINE_USAGE = `--engine  onnx: ONNX Runtime on the kit's export of the checkpoint (all cores; several times the
            wasm backend's speed at the paper size); tfjs: TensorFlow.js on the kit's backend;
            auto (default): tfjs on a GPU, onnx otherwise (tfjs where ONNX Runtime cannot load)`;

/** The engine a flag asks for (auto: resolveEngine's choice, with the reason for a fallback logged). */
export async function chooseEngine(flag: string, log: (line: string) => void): Promise<Engine> {
  if (flag !== 'auto' && flag !== 'onnx' && flag !== 'tfjs') throw new Error(`--engine must be auto, onnx or tfjs, got "${flag}"`);
  return resolveEngine(flag, (why) => log(`${why}: scoring on TensorFlow.js`));
}

/** What a scoring command prints about its engine. */
export function engineLine(engine: Engine, backend: BackendInfo): string {
  return engine === 'onnx' ? "scoring on ONNX Runtime (CPU), the kit's export of the checkpoint" : backend.message;
}
