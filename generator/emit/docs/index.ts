/** model -> out/docs/<header>.md and <header>.rst for every header, and out/docs/index.html for the family. */
import { file, type Emitter, type GeneratedFile } from '../files.ts';
import { renderDocs } from './render.ts';
import { familyDocsView } from './view.ts';

export const emitDocs: Emitter = (model): GeneratedFile[] => {
  const view = familyDocsView(model);
  return [
    ...view.headers.flatMap((header) => [file(`docs/${header.name}.md`, renderDocs('md', header)), file(`docs/${header.name}.rst`, renderDocs('rst', header))]),
    file('docs/index.html', renderDocs('html', view)),
  ];
};
