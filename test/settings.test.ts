// The declaration of the DGIQA_* variables stays complete and true: every name src/ mentions is
// declared, every declared one is read, src/ reads none past the readers, bad values stop with one
// line, and the defaults the README shows are the ones the code uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { KIT_ROOT } from '../src/experiments/paths.js';
import { PROFILE_NAMES, profileFrom } from '../src/experiments/profiles.js';
import { BACKENDS } from '../src/backend/select.js';
import { DEPTH_ANYTHING_DEFAULTS, DEPTH_ANYTHING_MODELS } from '../src/depth/depthAnything.js';
import { pythonCandidates } from '../src/cli/setup.js';
import { FAULT_POINTS } from '../src/util/faults.js';
import { ENV, SETTINGS, SETTING_NAMES, allowedValues, renderSettingsTable, setting, settingOn } from '../src/settings/index.js';
import type { SettingKind, SettingName } from '../src/settings/index.js';

const run = promisify(execFile);

/** The TypeScript sources under a folder of the kit, as [path relative to the root, text]. */
function sources(dir: string): [string, string][] {
  const out: [string, string][] = [];
  for (const e of readdirSync(join(KIT_ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !/\.(ts|js)$/.test(e.name)) continue;
    const file = join(e.parentPath, e.name);
    out.push([relative(KIT_ROOT, file), readFileSync(file, 'utf8')]);
  }
  return out;
}

const NAME = /\bDGIQA_[A-Z0-9_]*[A-Z0-9]\b/g;
const declared = new Set<string>(SETTING_NAMES);
const src = sources('src');
const outsideSettings = src.filter(([f]) => !f.startsWith(join('src', 'settings')));

test('every DGIQA_ name in src/ and bin/ is declared', () => {
  const undeclared = [...src, ...sources('bin')].flatMap(([f, text]) => [...new Set(text.match(NAME) ?? [])].filter((n) => !declared.has(n)).map((n) => `${f}: ${n}`));
  assert.deepEqual(undeclared, []);
});

test('src/ reads DGIQA_ variables only through the readers', () => {
  const direct = outsideSettings.flatMap(([f, text]) => (text.match(/process\.env(\.DGIQA_\w+|\[\s*'DGIQA_\w+'\s*\])|\benv\.DGIQA_\w+/g) ?? []).map((m) => `${f}: ${m}`));
  assert.deepEqual(direct, []);
});

test('every declared variable is read where the declaration says (no dead settings)', () => {
  const tests = sources('test').filter(([f]) => !f.endsWith('settings.test.ts'));
  for (const name of SETTING_NAMES) {
    for (const reader of SETTINGS[name].readBy) {
      if (reader === 'tests') {
        assert.ok(tests.some(([, t]) => t.includes(`process.env.${name}`)), `${name}: no test reads it`);
        continue;
      }
      const text = readFileSync(join(KIT_ROOT, 'src', `${reader}.ts`), 'utf8');
      const read = [`setting('${name}'`, `settingOn('${name}'`, `ENV.${name}`].some((s) => text.includes(s));
      assert.ok(read, `${name}: src/${reader}.ts does not read it`);
    }
  }
});

test('a declaration is a name, a meaning on one line, a default and a reader', () => {
  for (const name of SETTING_NAMES) {
    const d = SETTINGS[name];
    assert.match(name, /^DGIQA_[A-Z0-9_]+$/);
    assert.ok(d.meaning.length > 0 && !d.meaning.includes('\n'), name);
    assert.ok(d.default.length > 0, `${name}: no default (write "none")`);
    assert.ok(d.readBy.length > 0, `${name}: nobody reads it`);
    assert.equal(ENV[name], name);
  }
});

/** A value each kind refuses. */
const BAD: Record<SettingKind['kind'], string[]> = {
  enum: ['nope', 'Demo', ' demo'],
  boolean: ['yes', 'on', '2'],
  'positive-integer': ['abc', '0', '-1', '1.5', '2x'],
  'positive-number': ['abc', '0', '-1', 'Infinity'],
  path: [],
  text: [],
};

test('invalid values are refused with one line naming the variable, the value and what is allowed', () => {
  let tried = 0;
  for (const name of SETTING_NAMES) {
    const accepts: SettingKind = SETTINGS[name].accepts;
    for (const value of BAD[accepts.kind]) {
      const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.throws(() => setting(name, { [name]: value }), (err: Error) => {
        assert.ok(!err.message.includes('\n'), err.message);
        assert.match(err.message, new RegExp(`^${name} must be .+, got "${escaped}"$`));
        assert.ok(err.message.includes(allowedValues(accepts)), err.message);
        return true;
      });
      tried++;
    }
  }
  assert.ok(tried > 20);
  assert.throws(() => setting('DGIQA_TRAIN_PARALLEL', { DGIQA_TRAIN_PARALLEL: 'abc' }), /^Error: DGIQA_TRAIN_PARALLEL must be a positive integer, got "abc"$/);
});

test('valid values are read typed; unset or empty is undefined', () => {
  assert.equal(setting('DGIQA_TRAIN_PARALLEL', { DGIQA_TRAIN_PARALLEL: '3' }), 3);
  assert.equal(setting('DGIQA_FUZZ_SCALE', { DGIQA_FUZZ_SCALE: '0.5' }), 0.5);
  assert.equal(setting('DGIQA_PROFILE', { DGIQA_PROFILE: 'smoke' }), 'smoke');
  assert.equal(setting('DGIQA_RESULTS', { DGIQA_RESULTS: '/tmp/r' }), '/tmp/r');
  for (const [v, on] of [['1', true], ['true', true], ['0', false], ['false', false]] as const) assert.equal(settingOn('DGIQA_SKIP_BAD', { DGIQA_SKIP_BAD: v }), on);
  for (const name of SETTING_NAMES) {
    assert.equal(setting(name, {}), undefined);
    assert.equal(setting(name, { [name]: '' }), undefined);
  }
  assert.equal(settingOn('DGIQA_FROM_SCRATCH', {}), false);
});

test('the readers are where the kit reads: profile, Python', () => {
  const saved = process.env.DGIQA_PROFILE;
  try {
    process.env.DGIQA_PROFILE = 'huge';
    assert.throws(() => profileFrom(), /^Error: DGIQA_PROFILE must be smoke, demo or paper, got "huge"$/);
    delete process.env.DGIQA_PROFILE;
    assert.equal(profileFrom().name, SETTINGS.DGIQA_PROFILE.default);
  } finally {
    if (saved === undefined) delete process.env.DGIQA_PROFILE;
    else process.env.DGIQA_PROFILE = saved;
  }
  assert.equal(pythonCandidates({ DGIQA_PYTHON: '/opt/py/bin/python', PATH: '' })[0], '/opt/py/bin/python');
  assert.deepEqual(pythonCandidates({ DGIQA_PYTHON: '', PATH: '' }), ['python3']);
});

test('defaults and allowed values are the ones the code uses', async () => {
  assert.deepEqual(SETTINGS.DGIQA_PROFILE.accepts.values, PROFILE_NAMES);
  assert.deepEqual(SETTINGS.DGIQA_BACKEND.accepts.values, BACKENDS);
  assert.equal(SETTINGS.DGIQA_DEPTH_MODEL.default, DEPTH_ANYTHING_DEFAULTS.model);
  for (const encoder of Object.keys(DEPTH_ANYTHING_MODELS)) assert.ok(SETTINGS.DGIQA_DEPTH_MODEL.accepts.format.includes(encoder), encoder);
  assert.ok((SETTINGS.DGIQA_ENGINE.accepts.values as readonly string[]).includes(SETTINGS.DGIQA_ENGINE.default));
  assert.ok(SETTINGS.DGIQA_FAULT.meaning.includes(`(${FAULT_POINTS.join(', ')})`), 'DGIQA_FAULT lists the fault points');

  // paths.ts reads its variables once, at import: a child without any DGIQA_ variable shows the defaults
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DGIQA_')));
  const script = `const { paths, KIT_ROOT } = await import(${JSON.stringify(new URL('../src/experiments/paths.js', import.meta.url).href)});
    const { checkCacheDir } = await import(${JSON.stringify(new URL('../src/experiments/datasets.js', import.meta.url).href)});
    console.log(JSON.stringify({ paths, root: KIT_ROOT, checks: checkCacheDir() }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
  const got = JSON.parse(stdout) as { paths: Record<string, string>; root: string; checks: string };
  assert.equal(got.root, KIT_ROOT);
  const byName: [SettingName, string][] = [
    ['DGIQA_SYNTH', got.paths.synth!], ['DGIQA_DATA', got.paths.datasets!], ['DGIQA_DEPTH', got.paths.depth!], ['DGIQA_MODELS', got.paths.models!],
    ['DGIQA_DEPTH_CACHE', got.paths.depthCache!], ['DGIQA_RESULTS', got.paths.results!], ['DGIQA_FIGURES', got.paths.figures!],
  ];
  for (const [name, path] of byName) assert.equal(path, join(KIT_ROOT, SETTINGS[name].default), name);
  assert.equal(got.checks, join(KIT_ROOT, SETTINGS.DGIQA_CACHE.default, 'checks'));
  assert.equal(got.paths.pretrained, '');
});

test('the README table lists every variable once, with its default', () => {
  const table = renderSettingsTable();
  const rows = table.split('\n').slice(2);
  assert.equal(rows.length, SETTING_NAMES.length);
  for (const name of SETTING_NAMES) assert.equal(rows.filter((r) => r.startsWith(`| \`${name}\` |`)).length, 1, name);
  assert.ok(!table.includes('<'), 'no raw HTML in the table');
});

// Compiles only while the names stay a closed union: reading an undeclared one is a type error.
export function undeclaredNamesDoNotCompile(): void {
  // @ts-expect-error DGIQA_NOT_DECLARED is not declared
  setting('DGIQA_NOT_DECLARED');
  // @ts-expect-error a path is not a boolean
  settingOn('DGIQA_RESULTS');
}
