// Copies on the wasm heap, element runs at a time: the in-place Slice and Reverse.

/** A tensor's data as the wasm heap holds it. */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** Contiguous runs shorter than this are copied element by element. */
const SHORT_RUN = 64;

/**
 * Copies the box [begin, begin + size) of a row-major array: trailing axes taken whole join the
 * innermost contiguous run, so most slices are a few long copies.
 */
export function copyBox(src: HeapArray, shape: number[], begin: number[], size: number[], dst: HeapArray): void {
  const rank = shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  let axis = rank - 1;
  let run = 1;
  while (axis >= 0 && begin[axis] === 0 && size[axis] === shape[axis]) run *= shape[axis--];
  if (axis < 0) {
    dst.set(src.subarray(0, run));
    return;
  }
  run *= size[axis];
  const base = begin[axis] * strides[axis];
  const index = new Array<number>(axis).fill(0);
  const count = size.slice(0, axis).reduce((p, d) => p * d, 1);
  for (let n = 0, out = 0; n < count; n++, out += run) {
    let offset = base;
    for (let a = 0; a < axis; a++) offset += (begin[a] + index[a]) * strides[a];
    if (run >= SHORT_RUN) dst.set(src.subarray(offset, offset + run), out);
    else for (let e = 0; e < run; e++) dst[out + e] = src[offset + e]; // a subarray object per run costs more
    for (let a = axis - 1; a >= 0 && ++index[a] === size[a]; a--) index[a] = 0;
  }
}

/** Copies src into dst reversed along the axes in `flip`; the axes after the last flipped one form one run. */
export function reverseRuns(src: HeapArray, shape: number[], flip: Set<number>, dst: HeapArray): void {
  const rank = shape.length;
  let last = rank - 1;
  while (last >= 0 && !flip.has(last)) last--;
  if (last < 0) {
    dst.set(src);
    return;
  }
  const run = shape.slice(last + 1).reduce((p, d) => p * d, 1);
  const strides = new Array<number>(last + 1).fill(run);
  for (let a = last - 1; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  // an odometer over the axes before `last`; along `last` (reversed) a tight loop of runs
  const index = new Array<number>(last).fill(0);
  const count = shape.slice(0, last).reduce((p, d) => p * d, 1);
  const len = shape[last];
  for (let n = 0, out = 0; n < count; n++) {
    let base = 0;
    for (let a = 0; a < last; a++) base += (flip.has(a) ? shape[a] - 1 - index[a] : index[a]) * strides[a];
    for (let i = len - 1; i >= 0; i--, out += run) {
      const offset = base + i * run;
      if (run >= SHORT_RUN) dst.set(src.subarray(offset, offset + run), out);
      else for (let e = 0; e < run; e++) dst[out + e] = src[offset + e];
    }
    for (let a = last - 1; a >= 0 && ++index[a] === shape[a]; a--) index[a] = 0;
  }
}
