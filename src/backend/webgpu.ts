// TensorFlow.js's WebGPU backend in Node, through Dawn (the `webgpu` npm package, prebuilt, no CUDA).
// Dawn reaches the GPU through Vulkan on Linux (Metal on macOS, D3D12 on Windows). Where no GPU
// driver is installed, the SwiftShader Vulkan driver that Debian's chromium package ships gives a
// CPU adapter: correct and slow, so it is used only when WebGPU is asked for by name (tests, checks).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tf } from './tf.js';

/** The adapter WebGPU runs on. */
export interface WebgpuAdapter {
  /** vendor, architecture and description as the driver reports them */
  name: string;
  /** false for a software adapter (SwiftShader, llvmpipe): results are right, speed is a CPU's */
  gpu: boolean;
}

/** SwiftShader's Vulkan manifest as Debian's and Ubuntu's chromium packages install it. */
export const SWIFTSHADER_ICDS: readonly string[] = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

/** Folders where the Vulkan loader looks for driver manifests (ICDs) on Linux. */
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/** Why Dawn cannot find a Vulkan driver here without help, or undefined when it may. Linux only. */
function vulkanProblem(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const libDirs = (process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter((d) => d !== '');
  const loader = libDirs.some((d) => existsSync(join(d, 'libvulkan.so.1'))) || readFileOr('/etc/ld.so.cache').includes('libvulkan.so.1');
  if (!loader) return 'no Vulkan loader (libvulkan.so.1; Debian package libvulkan1)';
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return undefined;
  const drivers = ICD_DIRS.some((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')));
  return drivers ? undefined : 'no Vulkan GPU driver installed (no manifest in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d)';
}

function readFileOr(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

/** Dawn's instances: each must outlive its device (collected, it takes the device down with it). */
const instances: GpuLike[] = [];

function describe(adapter: AdapterLike): WebgpuAdapter {
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter((s) => s !== undefined && s !== '').join(' ') || 'unnamed adapter';
  const software = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|software/i.test(name);
  return { name, gpu: !software };
}

/**
 * Finds an adapter and registers tfjs's `webgpu` backend on it. A GPU adapter always; a CPU one
 * (SwiftShader) only with `allowCpu`. Returns the adapter, or why there is none.
 */
export async function setupWebgpu(allowCpu: boolean): Promise<WebgpuAdapter | string> {
  let dawn: DawnModule;
  try {
    // optional dependency (prebuilt dawn.node for linux-x64/arm64, macOS, Windows); a variable
    // specifier keeps the build independent of whether it is installed
    const pkg = 'webgpu';
    dawn = (await import(pkg)) as DawnModule;
  } catch (err) {
    return `the webgpu package (Dawn) is not usable (${(err as Error).message.split('\n')[0]})`;
  }
  const problem = vulkanProblem();
  let adapter: AdapterLike | null = null;
  let gpu: GpuLike | undefined;
  if (problem === undefined || !problem.startsWith('no Vulkan loader')) {
    if (problem === undefined) {
      gpu = dawn.create([]);
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    }
    if ((adapter === null || !describe(adapter).gpu) && allowCpu && !process.env.VK_ICD_FILENAMES) {
      // the loader reads VK_ICD_FILENAMES at each instance creation, so a second instance sees it
      const icd = SWIFTSHADER_ICDS.find((p) => existsSync(p));
      if (icd !== undefined) {
        process.env.VK_ICD_FILENAMES = icd;
        gpu = dawn.create([]);
        adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      }
    }
  }
  if (adapter === null || gpu === undefined) {
    const why = problem ?? 'Dawn found no adapter';
    return allowCpu ? `${why}; no CPU fallback either (SwiftShader's Vulkan driver ships with Debian's chromium package)` : why;
  }
  const chosen = describe(adapter);
  if (!chosen.gpu && !allowCpu) return `only a CPU adapter (${chosen.name})`;
  const picked = adapter;
  instances.push(gpu);
  // tfjs asks navigator.gpu for its adapter when its module loads; this one hands it the chosen one
  const navigatorGpu = { requestAdapter: async (): Promise<AdapterLike> => picked, getPreferredCanvasFormat: () => 'bgra8unorm' };
  for (const [key, value] of Object.entries(dawn.globals)) if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu: navigatorGpu }, configurable: true, writable: true });
  else Object.defineProperty(g.navigator, 'gpu', { value: navigatorGpu, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) return `the webgpu backend failed to initialise on ${chosen.name}`;
  const device = (tf.backend() as unknown as { device?: { limits?: { maxStorageBuffersPerShaderStage?: number } } }).device;
  chunkAddN((device?.limits?.maxStorageBuffersPerShaderStage ?? 8) - 1);
  return chosen;
}

/**
 * tfjs's WebGPU AddN binds every input as a storage buffer, so more than the device's per-stage
 * limit (8 on the default device: 7 inputs and the output) fails validation and yields garbage.
 * The dilated convolution's input gradient sums 9 taps. This sums in chunks that fit.
 */
function chunkAddN(maxInputs: number): void {
  const config = tf.getKernel('AddN', 'webgpu');
  if (config === undefined || maxInputs < 2) return;
  const original = config.kernelFunc;
  const chunked: tf.KernelFunc = (args) => {
    let parts = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend as { disposeData(id: object): void };
    const made: tf.TensorInfo[] = [];
    while (parts.length > maxInputs) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < parts.length; i += maxInputs) {
        const chunk = parts.slice(i, i + maxInputs);
        if (chunk.length === 1) next.push(chunk[0]);
        else {
          const sum = original({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
          made.push(sum);
          next.push(sum);
        }
      }
      parts = next;
    }
    const out = original({ ...args, inputs: parts as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    for (const t of made) backend.disposeData(t.dataId);
    return out;
  };
  (config as { kernelFunc: tf.KernelFunc }).kernelFunc = chunked;
}
