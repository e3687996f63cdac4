// Notebook 03's under-the-hood figures and the predicted-vs-label scatter: the arithmetic they show
// and the bad input they refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gateFigure, predictionScatterFigure, receptiveField, receptiveFieldFigure } from '../src/plots/index.js';

test('receptiveField: dilations 2 and 4 on the paper\'s 7x7 grid reach 9 cells of the centre, dilation 1 a dense 5x5 block', () => {
  const sparse = receptiveField(7, [2, 4], [3, 3]);
  const cells = (g: number[][]): [number, number][] => g.flatMap((row, y) => row.flatMap((v, x) => (v > 0 ? [[y, x] as [number, number]] : [])));
  assert.deepEqual(cells(sparse), [[1, 1], [1, 3], [1, 5], [3, 1], [3, 3], [3, 5], [5, 1], [5, 3], [5, 5]]);
  // on this grid every path runs through cells inside it one way only: the detours leave the grid (zero padding)
  assert.ok(cells(sparse).every(([y, x]) => sparse[y]![x] === 1));
  // inside a larger grid, offset +-2 is reached two ways per axis ((0, +-2) and (+-4, -+2)), offset 0 one way
  const wide = receptiveField(15, [2, 4], [7, 7]);
  assert.equal(wide[5]![5], 4);
  assert.equal(wide[7]![7], 1);
  const dense = receptiveField(7, [1, 1], [3, 3]);
  assert.equal(cells(dense).length, 25);
  assert.equal(dense[3]![3], 9);
  // away from the edges the dilated field spans 13 cells a side, every second one
  assert.equal(cells(receptiveField(15, [2, 4], [7, 7])).length, 49);
  assert.throws(() => receptiveField(0, [2, 4], [0, 0]), /side must be a positive integer/);
  const fig = receptiveFieldFigure(7, [{ title: 'd 2, 4', dilations: [2, 4] }, { title: 'd 1, 1', dilations: [1, 1] }]);
  assert.equal(fig.data.length, 2);
});

test('predictionScatterFigure: one trace per distortion plus the identity line, metrics in the title; refuses NaN and empty input', () => {
  const fig = predictionScatterFigure([
    { label: 0.1, predicted: 0.2, distortion: 'blur' },
    { label: 0.9, predicted: 0.7, distortion: 'noise' },
    { label: 0.5, predicted: 0.5, distortion: 'blur' },
  ], { srocc: 0.5, plcc: 0.25 });
  assert.equal(fig.data.length, 3);
  assert.match(fig.title, /SROCC 0\.500, PLCC 0\.250/);
  assert.throws(() => predictionScatterFigure([]), /no points/);
  assert.throws(() => predictionScatterFigure([{ label: 0.1, predicted: NaN }]), /predicted/);
});

test('gateFigure: refuses rows of different widths and non-finite gates', () => {
  assert.throws(() => gateFigure([{ label: 'a', values: [0.5, 0.5] }, { label: 'b', values: [0.5] }]), /row "b" has 1 channels/);
  assert.throws(() => gateFigure([{ label: 'a', values: [NaN] }]), /gateFigure: a/);
  assert.equal(gateFigure([{ label: 'a', values: [0.2, 0.8] }]).data.length, 1);
});
