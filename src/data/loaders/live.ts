// LIVE Image Quality Assessment Database, release 2 (Sheikh, Sabir, Bovik; UT Austin), as unpacked
// from databaserelease2.zip:
//   dmos.mat           `dmos` (1x982, DMOS, lower is better) and `orgs` (1x982, 1 = a copy of a reference)
//   dmos_realigned.mat `dmos_new`, `orgs` (the realigned scores; `realigned: true` reads them)
//   refnames_all.mat   `refnames_all` (1x982 cell: the reference file name of each entry)
//   jp2k/ jpeg/ wn/ gblur/ fastfading/   img1.bmp ... with info.txt lines `<refname> <imgname> <param>`
//   refimgs/           the 29 references (.bmp)
// The 982 entries run through the folders in the order jp2k (227), jpeg (233), wn (174), gblur (174),
// fastfading (174), entry j of a folder being its `img<j>.bmp` (the release's readme).
import { join } from 'node:path';
import { matNumbers, matStrings, parseMat } from '../mat.js';
import { RecordBuilder, stem } from './build.js';
import { DataError, checkRoot, readBytes } from './files.js';
import type { ScoreScale } from './scale.js';
import type { DatasetOptions, LoadedDataset } from './types.js';

/** Folders in dmos.mat's order, with their entry counts. */
export const LIVE_FOLDERS: readonly (readonly [string, number])[] = [
  ['jp2k', 227],
  ['jpeg', 233],
  ['wn', 174],
  ['gblur', 174],
  ['fastfading', 174],
];

/** LIVE's DMOS is documented on 0-100 (0 = no perceived difference); a few raw values fall outside. */
export const LIVE_SCALE: ScoreScale = { name: 'DMOS', min: 0, max: 100, higherIsBetter: false };

const LAYOUT = 'LIVE release 2 layout: dmos.mat, refnames_all.mat, refimgs/, jp2k/ jpeg/ wn/ gblur/ fastfading/ with info.txt';

interface InfoLine {
  ref: string;
  param: number | undefined;
}

/** Parses a folder's info.txt: `<refname> <imgname> <param>` per line, keyed by image name (lower case). */
function parseInfo(text: string): Map<string, InfoLine> {
  const info = new Map<string, InfoLine>();
  for (const line of text.split(/\r?\n/)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2 || parts[0] === '') continue;
    const param = parts[2] === undefined ? undefined : Number(parts[2]);
    info.set(parts[1]!.toLowerCase(), { ref: parts[0]!, param: Number.isFinite(param) ? param : undefined });
  }
  return info;
}

export async function loadLive(rootDir: string, options: DatasetOptions = {}): Promise<LoadedDataset> {
  const root = checkRoot(rootDir, LAYOUT);
  const [dmosName, dmosVar] = options.realigned ? ['dmos_realigned.mat', 'dmos_new'] : ['dmos.mat', 'dmos'];
  const dmosFile = join(root, dmosName);
  const dmosMat = parseMat(await readBytes(dmosFile, LAYOUT), dmosFile);
  const refFile = join(root, 'refnames_all.mat');
  const refMat = parseMat(await readBytes(refFile, LAYOUT), refFile);
  const dmos = matNumbers(dmosMat, dmosVar);
  const orgs = matNumbers(dmosMat, 'orgs');
  const refnames = matStrings(refMat, 'refnames_all');

  const total = LIVE_FOLDERS.reduce((n, [, c]) => n + c, 0);
  const order = LIVE_FOLDERS.map(([f, c]) => `${f} ${c}`).join(', ');
  if (dmos.length !== total) throw new DataError(dmosFile, `"${dmosVar}" has ${dmos.length} entries, expected ${total} (${order})`);
  if (orgs.length !== total) throw new DataError(dmosFile, `"orgs" has ${orgs.length} entries, expected ${total}`);
  if (refnames.length !== total) throw new DataError(refFile, `"refnames_all" has ${refnames.length} entries, expected ${total}`);

  const builder = new RecordBuilder('live', root, LIVE_SCALE, dmosFile, options);
  const refDir = builder.index.find(root, 'refimgs');
  if (refDir === undefined) throw new DataError(join(root, 'refimgs'), `missing (expected ${LAYOUT})`);

  let entry = 0;
  let copies = 0;
  let infoMismatches = 0;
  for (const [folder, count] of LIVE_FOLDERS) {
    const dir = builder.index.find(root, folder);
    if (dir === undefined) throw new DataError(join(root, folder), `missing (expected ${LAYOUT})`);
    // info.txt only adds the distortion parameter; without it the scores still load.
    const infoName = builder.index.find(join(root, dir), 'info.txt');
    const info = infoName === undefined ? new Map<string, InfoLine>() : parseInfo(await readBytes(join(root, dir, infoName), LAYOUT).then((b) => b.toString('latin1')));
    if (infoName === undefined) builder.notes.push(`${join(root, dir, 'info.txt')} missing: no distortion parameters for ${folder}`);
    for (let j = 1; j <= count; j++, entry++) {
      const isCopy = orgs[entry] === 1;
      if (isCopy) copies++;
      if (isCopy && !options.includeReferenceCopies) continue;
      const refname = refnames[entry]!;
      const line = info.get(`img${j}.bmp`);
      if (line && line.ref.toLowerCase() !== refname.toLowerCase()) infoMismatches++;
      builder.add(`entry ${entry + 1}`, `${dir}/img${j}.bmp`, dmos[entry]!, {
        reference: `${refDir}/${refname}`,
        distortion: folder,
        ...(line?.param !== undefined ? { param: line.param } : {}),
        refId: stem(refname).toLowerCase(),
      });
    }
  }

  builder.notes.push(`${dmosName}: ${total} entries in the order ${order}; ${copies} are copies of the references (orgs == 1)`);
  if (infoMismatches > 0) {
    builder.notes.push(`${infoMismatches} info.txt line(s) name another reference than refnames_all.mat; refnames_all.mat was used`);
  }
  const why = options.includeReferenceCopies
    ? `the ${copies} reference copies are kept (includeReferenceCopies)`
    : `the ${copies} reference copies (orgs == 1) are left out, as in the IQA literature (HyperIQA, TReS); Table 1 counts all ${total} entries of ${dmosName} (--with-reference-copies keeps them)`;
  return builder.finish(why);
}
