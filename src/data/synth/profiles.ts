// Sizes of the embedded benchmark per run profile (DGIQA_PROFILE). One place for the numbers.

export type SynthProfileName = 'smoke' | 'demo';

export interface SynthProfile {
  scenes: number;
  size: number;
  levels: number[];
  /** Said in the manifest when the set departs from the benchmark's definition. */
  note: string | null;
}

export const SYNTH_PROFILES: Record<SynthProfileName, SynthProfile> = {
  // Seconds: enough images for every notebook to run end to end, nothing more.
  smoke: {
    scenes: 4,
    size: 256,
    levels: [1, 3, 5],
    note: 'smoke profile: 256x256 images (below the benchmark\'s 384x384, still above the model\'s 224 crops), 4 scenes per family, levels 1, 3 and 5 only',
  },
  // 2 families x 12 scenes x 12 types x 5 levels = 1440 distorted images at 224 px: the size the demo
  // model sees whole (a 128 crop is 57% of the side, as a 224 crop of the paper's 384 view), so the
  // labels are computed at the scale the model looks at; mild blur or JPEG at 384 px vanish at 220.
  demo: { scenes: 12, size: 224, levels: [1, 2, 3, 4, 5], note: null },
};

/** Default seed of the shipped benchmark (any seed works; this one is what the notebooks use). */
export const SYNTH_DEFAULT_SEED = 2505;
