// The course: its notebooks in order (the paper's idea first, cross-dataset testing before the
// cross-dataset ablations of Table 5, the backend check as an appendix) and the figures and tables
// each one writes to figures/, named after the paper's figure and table numbers. `dgiqa reproduce` checks this list after a run.

export interface CourseNotebook {
  file: string;
  title: string;
}

export const NOTEBOOKS: readonly CourseNotebook[] = [
  { file: '01-idea.ipynb', title: 'The idea: why depth helps judge quality, the model in one paragraph, the course map' },
  { file: '02-data.ipynb', title: 'Data: datasets, the embedded benchmark, depth maps (Table 1, Figs. 12-13)' },
  { file: '03-model.ipynb', title: 'The model: shapes and parameters, the TCB saving' },
  { file: '04-training.ipynb', title: 'Training one split: loss and learning-rate curves' },
  { file: '05-benchmarks.ipynb', title: 'Benchmarks: the split protocol (Table 2)' },
  { file: '06-cross.ipynb', title: 'Cross-dataset tests (Table 3)' },
  { file: '07-ablations.ipynb', title: 'Ablations: Tables 4-5, crops (Fig. 6), lambda (Fig. 11)' },
  { file: '08-natural.ipynb', title: 'Natural distortions: density separation (Figs. 2, 8), examples (Figs. 9, 16)' },
  { file: '09-explainability.ipynb', title: 'Explainability: Grad-CAM (Figs. 5, 15), t-SNE (Figs. 7, 14)' },
  { file: '10-full-reference.ipynb', title: 'Full reference: DGIQA-FR (Table 6)' },
  { file: '11-environment.ipynb', title: 'Appendix: backend, versions, hardware' },
];

export interface CourseOutput {
  /** file stem under figures/ */
  name: string;
  kind: 'figure' | 'table';
  /** what it shows, for REPORT.md */
  title: string;
  /** the notebook that writes it */
  notebook: string;
}

const fig = (name: string, notebook: string, title: string): CourseOutput => ({ name, kind: 'figure', title, notebook });
const tab = (name: string, notebook: string, title: string): CourseOutput => ({ name, kind: 'table', title, notebook });

/** Everything a complete run writes, in the paper's order within each notebook. */
export const COURSE_OUTPUTS: readonly CourseOutput[] = [
  tab('table1-datasets', '02-data.ipynb', 'Table 1: datasets'),
  fig('fig12-distortions', '02-data.ipynb', 'Fig. 12: synthetic distortions by level, with depth maps'),
  fig('fig13-natural', '02-data.ipynb', 'Fig. 13: natural distortions, with depth maps'),
  tab('model-architecture', '03-model.ipynb', 'The paper model, block by block: output shapes and parameters'),
  tab('model-parameters', '03-model.ipynb', 'Parameters per part (paper model) and the TCB saving'),
  fig('model-tcb-gate', '03-model.ipynb', 'Under the hood: a TCB\'s channel gate (Eqs. 1-2) on one batch of the benchmark'),
  fig('model-depthcar-attention', '03-model.ipynb', 'Under the hood: Depth-CAR\'s attention for one depth query over the RGB keys (Eq. 3), beside the image and its depth'),
  fig('model-receptive-field', '03-model.ipynb', 'Under the hood: the dilated stack\'s receptive field on the fused grid (Eq. 4)'),
  fig('training-curves', '04-training.ipynb', 'Training loss and learning rate of one split'),
  fig('training-selection', '04-training.ipynb', 'Validation SROCC per epoch and the epoch picked (model selection)'),
  fig('training-loss-terms', '04-training.ipynb', 'The two terms of the loss (MSE and lambda x consistency) per step'),
  fig('training-scatter', '04-training.ipynb', 'Predicted score vs label on the test part of split 0, SROCC and PLCC in the title (the paper\'s Fig. 1 kind)'),
  fig('training-pretrained-vs-scratch', '04-training.ipynb', 'Pretrained backbones vs from scratch: loss and validation SROCC per epoch'),
  tab('table-pretrained-vs-scratch', '04-training.ipynb', 'Pretrained backbones vs from scratch: test SROCC and PLCC of split 0'),
  tab('table2-benchmarks', '05-benchmarks.ipynb', 'Table 2: SROCC and PLCC per dataset (split protocol)'),
  tab('table3-cross-dataset', '06-cross.ipynb', 'Table 3: cross-dataset tests'),
  tab('table4-ablation', '07-ablations.ipynb', 'Table 4: ablations within the dataset (means with 95% intervals, paired differences to the full model), with parameter counts'),
  tab('table5-ablation-cross', '07-ablations.ipynb', 'Table 5: ablations across datasets'),
  tab('table-depth-guidance', '07-ablations.ipynb', 'Depth guidance where depth matters: full vs RGB-only model on depth-dependent and depth-independent distortions (not in the paper)'),
  fig('fig06-crops', '07-ablations.ipynb', 'Fig. 6: SROCC, PLCC and evaluation time against the number of crops'),
  fig('fig11-lambda', '07-ablations.ipynb', 'Fig. 11: SROCC and PLCC against the consistency-loss weight lambda, with 95% intervals over splits'),
  fig('fig02-density', '08-natural.ipynb', 'Fig. 2: density separation of clean vs distorted scores, per dataset'),
  fig('fig08-density', '08-natural.ipynb', 'Fig. 8: density separation per natural distortion, with the overlap %'),
  tab('fig08-overlap', '08-natural.ipynb', 'The numbers behind Figs. 2 and 8: Gaussian fits and overlap %'),
  fig('fig09-examples', '08-natural.ipynb', 'Fig. 9: example images with their predicted scores'),
  fig('fig16-examples', '08-natural.ipynb', 'Fig. 16: more example images with their predicted scores'),
  fig('fig05-gradcam', '09-explainability.ipynb', 'Fig. 5: Grad-CAM of the dilated stack, full model vs without depth input'),
  fig('fig15-gradcam', '09-explainability.ipynb', 'Fig. 15: more Grad-CAM comparisons'),
  fig('fig07-tsne', '09-explainability.ipynb', 'Fig. 7: t-SNE of the features, coloured by quality (within the dataset)'),
  fig('fig14-tsne', '09-explainability.ipynb', 'Fig. 14: t-SNE of the features on the cross-dataset test set'),
  tab('table6-full-reference', '10-full-reference.ipynb', 'Table 6: full-reference DGIQA-FR'),
];

/** Files each output is made of: HTML, PNG and SVG for a figure (PNG/SVG only with Chromium), CSV and Markdown for a table. */
export function outputFiles(o: CourseOutput, images = true): string[] {
  if (o.kind === 'table') return [`${o.name}.csv`, `${o.name}.md`];
  return images ? [`${o.name}.html`, `${o.name}.png`, `${o.name}.svg`] : [`${o.name}.html`];
}
