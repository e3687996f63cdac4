// Parsing shared by the commands' flags: each failure is one line naming the flag.

/** A JSON object given on the command line, or a one-line error naming the flag. */
export function jsonObject(text: string, flag: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`--${flag} must be a JSON object, got "${text}" (not JSON)`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`--${flag} must be a JSON object, got "${text}"`);
  return v as Record<string, unknown>;
}
