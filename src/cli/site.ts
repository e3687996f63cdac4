// `dgiqa site`: the course as a static HTML site (index + one page a notebook, figures inline),
// built from the executed copies that `dgiqa reproduce` wrote to notebooks/executed/<profile>/.
// `reproduce` runs it after the notebooks; run it alone to rebuild the site from committed copies.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { setting } from '../settings/index.js';
import { KIT_ROOT } from '../experiments/paths.js';
import { profileFrom } from '../experiments/profiles.js';
import { NOTEBOOKS, usesEmbeddedBenchmark } from '../report/index.js';
import { buildSite } from '../site/index.js';
import type { BuiltSite } from '../site/index.js';

const USAGE = `usage: dgiqa site [--profile smoke|demo|paper] [--executed DIR] [--out DIR]

Builds notebooks/executed/<profile>/site/ (index.html, one page per notebook, img/) from the executed
notebooks in notebooks/executed/<profile>/ (default profile: DGIQA_PROFILE, else demo). Only the
copies of notebooks that exist in notebooks/ are included, in course order.
  --executed  the folder of executed notebooks (default notebooks/executed/<profile>)
  --out       where the site goes (default <executed>/site)
`;

const NOTEBOOK_FILE = /^\d\d-[A-Za-z0-9._-]+\.ipynb$/;

/** The site of one profile's executed copies: the course's notebooks present in both folders, in order. */
export function buildCourseSite(profileName: string, executedDir: string, outDir?: string, root = KIT_ROOT): BuiltSite {
  const sourceDir = join(root, 'notebooks');
  const sources = existsSync(sourceDir) ? readdirSync(sourceDir).filter((f) => NOTEBOOK_FILE.test(f)).sort() : [];
  const notebooks = sources.filter((f) => existsSync(join(executedDir, f)));
  const summaries = Object.fromEntries(NOTEBOOKS.map((n) => [n.file, n.title]));
  const intro = usesEmbeddedBenchmark(profileName)
    ? `The DGIQA kit's course, executed under the ${profileName} profile: the numbers and figures come from the kit's embedded synthetic benchmark and a small model trained on the CPU; they show the method at work and cannot be compared with the paper's.`
    : `The DGIQA kit's course, executed under the paper profile on the official datasets.`;
  return buildSite({ executedDir, ...(outDir ? { outDir } : {}), notebooks, sourceDir, summaries, title: 'DGIQA: the course', intro });
}

export async function siteCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { profile: { type: 'string' }, executed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const profile = profileFrom(values.profile ?? setting('DGIQA_PROFILE'));
  const executedDir = values.executed ?? join(KIT_ROOT, 'notebooks', 'executed', profile.name);
  const site = buildCourseSite(profile.name, executedDir, values.out);
  process.stderr.write(`site: ${relative(process.cwd(), site.index) || site.index} (${site.pages.length} pages, ${site.images} images)\n`);
  return 0;
}
