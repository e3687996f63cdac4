// A stand-in for a Depth Anything model folder, as the hub ships one (config.json,
// preprocessor_config.json, onnx/model.onnx), small enough to make in a test: its "depth" is the
// mean of the normalized channels, so a brightness ramp gives a depth ramp. The ONNX file is
// written with a few lines of protobuf encoding (no ONNX library is a dependency of the kit);
// ONNX Runtime itself then checks it when it loads.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

type Field = [field: number, value: number | string | Uint8Array];

/** One protobuf message: numbers as varints, strings and sub-messages length-delimited. */
function message(fields: Field[]): Uint8Array {
  const bytes: number[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'number') bytes.push(...varint(field << 3), ...varint(value));
    else {
      const payload = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      bytes.push(...varint((field << 3) | 2), ...varint(payload.length), ...payload);
    }
  }
  return Uint8Array.from(bytes);
}

const FLOAT = 1; // TensorProto.DataType
const ATTR_INTS = 7, ATTR_INT = 2; // AttributeProto.AttributeType

function tensorType(dims: string[]): Uint8Array {
  const shape = message(dims.map((d) => [1, message([[2, d]])] as Field)); // Dimension.dim_param
  return message([[1, message([[1, FLOAT], [2, shape]])]]); // TypeProto.tensor_type
}

/** ModelProto: pixel_values [batch, 3, height, width] -> predicted_depth [batch, height, width]. */
export function channelMeanOnnx(): Uint8Array {
  const node = message([
    [1, 'pixel_values'], [2, 'predicted_depth'], [3, 'depth'], [4, 'ReduceMean'],
    [5, message([[1, 'axes'], [20, ATTR_INTS], [8, 1]])],
    [5, message([[1, 'keepdims'], [20, ATTR_INT], [3, 0]])],
  ]);
  const graph = message([
    [1, node], [2, 'depth_stand_in'],
    [11, message([[1, 'pixel_values'], [2, tensorType(['batch', 'channels', 'height', 'width'])]])],
    [12, message([[1, 'predicted_depth'], [2, tensorType(['batch', 'height', 'width'])]])],
  ]);
  return message([[1, 7], [2, 'dgiqa-test'], [7, graph], [8, message([[1, ''], [2, 13]])]]);
}

/** Writes the folder; `size` is the processor's target side (Depth Anything uses 518). */
export async function writeDepthModelFolder(dir: string, size = 56): Promise<void> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'depth_anything', architectures: ['DepthAnythingForDepthEstimation'] }));
  await writeFile(join(dir, 'preprocessor_config.json'), JSON.stringify({
    image_processor_type: 'DPTImageProcessor', do_resize: true, size: { height: size, width: size }, keep_aspect_ratio: true,
    ensure_multiple_of: 14, resample: 3, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true,
    image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225], do_pad: false,
  }));
  await writeFile(join(dir, 'onnx', 'model.onnx'), channelMeanOnnx());
}
