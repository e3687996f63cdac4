// What every depth provider gives: one 8-bit depth map per image, in the convention the model
// was trained with (Depth Anything's relative inverse depth: larger = nearer), min-max scaled.

export type DepthProviderName = 'synthetic' | 'precomputed' | 'depth-anything';

export const DEPTH_PROVIDERS: readonly DepthProviderName[] = ['synthetic', 'precomputed', 'depth-anything'];

/** One channel, 0..255, min-max scaled over the map. */
export interface DepthMap {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface DepthProvider {
  readonly name: DepthProviderName;
  /** Where the maps come from, for logs and result files. */
  readonly source: string;
  /**
   * The depth map of one image (absolute path). With `size`, a map of another size is resized to
   * it (bilinear), as Depth Anything's output is resized to its image.
   */
  depthOf(image: string, size?: { width: number; height: number }): Promise<DepthMap>;
  /**
   * A PNG file holding the map of `image`, for the image pipeline (which reads 8- or 16-bit PNGs
   * and min-max scales them itself). Rejects, naming the file, when there is none.
   */
  pathOf(image: string): Promise<string>;
  /** Frees what the provider holds (the ONNX session of Depth Anything). */
  dispose?(): Promise<void>;
}
