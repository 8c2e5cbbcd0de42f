/** model -> out/luo.h (the current version) and out/<version>/luo.h for every version. */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import Handlebars from 'handlebars';
import type { Model } from '../../model/index.ts';
import { file, type Emitter, type GeneratedFile } from '../files.ts';
import { cHeaderView } from './view.ts';

const TEMPLATE = resolve(import.meta.dirname, '../../../templates/c/luo.h.hbs');

let compiled: HandlebarsTemplateDelegate | undefined;

function template(): HandlebarsTemplateDelegate {
  compiled ??= Handlebars.create().compile(readFileSync(TEMPLATE, 'utf8'), { noEscape: true, strict: true });
  return compiled;
}

export function renderCHeader(model: Model, versionName: string): string {
  const version = model.versions.find((v) => v.name === versionName);
  if (!version) throw new Error(`no version ${versionName}`);
  return template()(cHeaderView(model, version));
}

export const emitCHeaders: Emitter = (model): GeneratedFile[] => {
  const name = basename(model.header.path);
  return [
    file(name, renderCHeader(model, model.current.name)),
    ...model.versions.map((v) => file(`${v.name}/${name}`, renderCHeader(model, v.name))),
  ];
};
