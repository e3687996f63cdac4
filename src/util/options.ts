// Strict option objects: defaults in one block per concern, overrides checked key by key so that an
// unknown or mistyped key fails loudly (nanoGPT's habit) instead of being silently ignored.
export function mergeStrict<T extends object>(defaults: T, overrides: Record<string, unknown>, source: string): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in out)) throw new Error(`${source}: unknown key "${key}" (known: ${Object.keys(out).join(', ')})`);
    const expected = out[key];
    const ok = expected === null || expected === undefined
      ? true
      : Array.isArray(expected) ? Array.isArray(value)
      : typeof expected === 'object' ? typeof value === 'object' && value !== null
      : typeof value === typeof expected && (typeof value !== 'number' || Number.isFinite(value));
    if (!ok) throw new Error(`${source}: "${key}" must be ${Array.isArray(expected) ? 'a list' : `a ${typeof expected}`}, got ${JSON.stringify(value)}`);
    out[key] = value;
  }
  return out as T;
}
