/**
 * model -> the C headers: the current version of every header at its place in a kernel tree
 * (include/linux/kho/abi/luo.h), and every version of every header under its own directory
 * (luo/luo-v4/luo.h). One template for every header.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Handlebars from 'handlebars';
import type { Model, VersionModel } from '../../model/index.ts';
import { currentHeaderFile, file, versionHeaderFile, type Emitter, type GeneratedFile } from '../files.ts';
import { cHeaderView } from './view.ts';

const TEMPLATE = resolve(import.meta.dirname, '../../../templates/c/header.h.hbs');

let compiled: HandlebarsTemplateDelegate | undefined;

function template(): HandlebarsTemplateDelegate {
  compiled ??= Handlebars.create().compile(readFileSync(TEMPLATE, 'utf8'), { noEscape: true, strict: true });
  return compiled;
}

export function renderCHeader(model: Model, version: VersionModel): string {
  return template()(cHeaderView(model, version));
}

export const emitCHeaders: Emitter = (model): GeneratedFile[] =>
  model.headers.flatMap((header) => [
    file(currentHeaderFile(header), renderCHeader(model, header.current)),
    ...header.versions.map((v) => file(versionHeaderFile(header, v), renderCHeader(model, v))),
  ]);
