// A small JSON Schema checker (draft-07 keywords that test/fixtures/k8s/ uses: $ref to #/definitions,
// oneOf, allOf, type, const, enum, required, properties, additionalProperties, propertyNames, items,
// minItems, minLength, maxLength, pattern, minimum, maximum), so the Kubernetes manifests are
// checked without a validator package. An unknown keyword fails: the schema cannot silently check less.

export type Schema = { [keyword: string]: unknown };

const KNOWN = new Set(['$comment', '$ref', 'definitions', 'oneOf', 'allOf', 'type', 'const', 'enum', 'required', 'properties', 'additionalProperties', 'propertyNames', 'items', 'minItems', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The problems of `value` against `schema` (empty: valid), each as `path: problem`. */
export function validate(value: unknown, schema: Schema, root: Schema = schema, path = '$'): string[] {
  const errors: string[] = [];
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} at ${path} is not supported by this checker`);
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(/^#\/definitions\//, '');
    const target = (root.definitions as Record<string, Schema> | undefined)?.[name];
    if (!target) throw new Error(`schema: no definition ${schema.$ref}`);
    errors.push(...validate(value, target, root, path));
  }
  if (Array.isArray(schema.oneOf)) {
    const passing = (schema.oneOf as Schema[]).map((s) => validate(value, s, root, path));
    const ok = passing.filter((e) => e.length === 0).length;
    if (ok !== 1) errors.push(`${path}: matches ${ok} of oneOf's ${passing.length} schemas (${passing.map((e) => e[0] ?? 'ok').join(' | ')})`);
  }
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) errors.push(...validate(value, s, root, path));
  const t = typeOf(value);
  if (typeof schema.type === 'string' && !(schema.type === t || (schema.type === 'number' && t === 'integer'))) return [...errors, `${path}: is ${t}, expected ${schema.type}`];
  if ('const' in schema && value !== schema.const) errors.push(`${path}: is ${JSON.stringify(value)}, expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: ${value} > ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.items) value.forEach((v, i) => errors.push(...validate(v, schema.items as Schema, root, `${path}[${i}]`)));
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      if (schema.propertyNames) errors.push(...validate(k, schema.propertyNames as Schema, root, `${path} key ${JSON.stringify(k)}`));
      if (k in props) errors.push(...validate(v, props[k]!, root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unknown field ${k}`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(v, schema.additionalProperties as Schema, root, `${path}.${k}`));
    }
  }
  return errors;
}
