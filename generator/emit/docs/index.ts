/** model -> out/docs/luo.md, out/docs/luo.rst and out/docs/index.html, from one view model. */
import { file, type Emitter, type GeneratedFile } from '../files.ts';
import { renderDocs } from './render.ts';
import { docsView } from './view.ts';

export const emitDocs: Emitter = (model): GeneratedFile[] => {
  const view = docsView(model);
  return [
    file('docs/luo.md', renderDocs('md', view)),
    file('docs/luo.rst', renderDocs('rst', view)),
    file('docs/index.html', renderDocs('html', view)),
  ];
};
