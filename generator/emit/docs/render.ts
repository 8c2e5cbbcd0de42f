/**
 * One Handlebars environment per output format. The templates only arrange the view model; how a
 * piece of text or a code name is written in Markdown, reStructuredText or HTML is each format's
 * `text` and `code` helpers, so the templates read the same in every format.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Handlebars from 'handlebars';
import type { FamilyDocsView, HeaderDoc } from './view.ts';

const TEMPLATES = resolve(import.meta.dirname, '../../../templates/docs');

export type DocsFormat = 'md' | 'rst' | 'html';

/** Markdown and RST: one page per header; HTML: one page for the family. */
const TEMPLATE_FILE: Record<DocsFormat, string> = { md: 'header.md.hbs', rst: 'header.rst.hbs', html: 'index.html.hbs' };

type ViewOf<F extends DocsFormat> = F extends 'html' ? FamilyDocsView : HeaderDoc;

/** Markdown: backslash-escape what could start emphasis, code, a link, HTML or a table cell. */
function markdownText(text: string): string {
  return text.replace(/[\\`*|<>[\]]|(?<!\w)_|_(?!\w)/g, '\\$&');
}

function markdownCode(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const padded = text.includes('`') ? ` ${text} ` : text;
  // A table cell ends at a bare "|", even inside a code span.
  return `${fence}${padded.replaceAll('|', '\\|')}${fence}`;
}

/** reStructuredText: escape inline markup starts, substitutions and trailing-underscore references. */
function rstText(text: string): string {
  return text.replace(/[\\`*|]|(?<!\w)_|_(?!\w)/g, '\\$&');
}

function rstCode(text: string): string {
  return `\`\`${text}\`\``;
}

/** An RST section title: the escaped text with its adornment line(s) exactly as long. */
function rstHeading(text: string, char: string, overline: boolean): string {
  const title = rstText(text);
  const line = char.repeat(title.length);
  return overline ? `${line}\n${title}\n${line}` : `${title}\n${line}`;
}

function environment(format: DocsFormat): typeof Handlebars {
  const hb = Handlebars.create();
  if (format === 'md') {
    hb.registerHelper('text', (value: unknown) => markdownText(String(value)));
    hb.registerHelper('code', (value: unknown) => markdownCode(String(value)));
  } else if (format === 'rst') {
    hb.registerHelper('text', (value: unknown) => rstText(String(value)));
    hb.registerHelper('code', (value: unknown) => rstCode(String(value)));
    hb.registerHelper('heading', (text: unknown, char: unknown, options: { hash: { overline?: boolean } }) =>
      rstHeading(String(text), String(char), options.hash.overline === true),
    );
  }
  // Arranging only: joining pieces of a title, and choosing a piece by a flag.
  hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
  hb.registerHelper('ifThen', (condition: unknown, value: unknown) => (condition ? value : ''));
  hb.registerHelper('quote', (value: unknown) => `"${String(value)}"`);
  return hb;
}

const compiled = new Map<DocsFormat, HandlebarsTemplateDelegate>();

export function renderDocs<F extends DocsFormat>(format: F, view: ViewOf<F>): string {
  let template = compiled.get(format);
  if (!template) {
    const source = readFileSync(resolve(TEMPLATES, TEMPLATE_FILE[format]), 'utf8');
    // Markdown and RST escape through their helpers; HTML relies on Handlebars' own escaping.
    template = environment(format).compile(source, { noEscape: format !== 'html', strict: true });
    compiled.set(format, template);
  }
  return template(view);
}
