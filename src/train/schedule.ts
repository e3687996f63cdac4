// Learning-rate schedule: PyTorch's CosineAnnealingLR closed form, at a (fractional) epoch. With T_max
// half the epochs (the paper's setting) the rate falls to the floor mid-run and rises again after.
export function cosineLr(epoch: number, baseLr: number, tMax: number, minLr: number): number {
  if (tMax <= 0) return baseLr;
  return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
}
