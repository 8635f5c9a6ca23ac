// Load one page of app/pages with the real TDesign components (transpiled by jest) and render it.
import { afterAll } from '@jest/globals';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import simulate from 'miniprogram-simulate';

const APP = path.resolve(__dirname, '../../app');
const TDESIGN = path.resolve(__dirname, '../../node_modules/tdesign-miniprogram/miniprogram_dist');

export interface Rendered {
  instance: Record<string, (...args: unknown[]) => unknown> & { data: Record<string, unknown> };
  querySelector(selector: string): { dispatchEvent(name: string, detail?: unknown): void; dom: HTMLElement } | null;
  querySelectorAll(selector: string): Array<{ dom: HTMLElement }>;
  dom: HTMLElement;
  attach(parent: HTMLElement): void;
}

/**
 * Register the page: once per test file (TDesign registers its components when its modules are first imported).
 * The page's json is copied with TDesign's paths made absolute (as DevTools' npm build resolves them); passing
 * them as simulate's `usingComponents` option instead would add them to every nested component too.
 */
export function loadPage(page: string): string {
  const file = path.join(APP, 'pages', page);
  const json = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as { usingComponents?: Record<string, string> };
  const using: Record<string, string> = {};
  for (const [tag, target] of Object.entries(json.usingComponents ?? {})) {
    using[tag] = target.startsWith('tdesign-miniprogram/') ? path.join(TDESIGN, target.slice('tdesign-miniprogram/'.length)) : target;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-page-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const copy = path.join(dir, path.basename(file));
  fs.writeFileSync(`${copy}.json`, JSON.stringify({ ...json, usingComponents: using }));
  fs.copyFileSync(`${file}.wxml`, `${copy}.wxml`);
  fs.copyFileSync(`${file}.wxss`, `${copy}.wxss`);
  fs.writeFileSync(`${copy}.js`, `require(${JSON.stringify(`${file}.ts`)});\n`);
  return simulate.load(copy, { compiler: 'simulate', rootPath: '/' }) as string;
}

export function render(id: string): Rendered {
  const page = simulate.render(id) as unknown as Rendered;
  page.attach(document.createElement('parent-wrapper'));
  return page;
}

/** Let the page's promises (the stubbed wx calls answer on the microtask queue) settle. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export function text(page: Rendered, selector: string): string {
  const found = page.querySelector(selector) as unknown as { dom?: HTMLElement; _exparserNode?: { $$?: HTMLElement } } | null;
  // A TDesign component answers with its exparser node; its DOM is `$$` (slot content included).
  const dom = found?.dom ?? found?._exparserNode?.$$;
  return dom?.textContent?.trim() ?? '';
}

/** Tap a native element or a TDesign button (its inner <button>, where WeChat delivers the tap). */
export function tap(page: Rendered, selector: string): void {
  const target = page.querySelector(`${selector} >>> .t-button`) ?? page.querySelector(selector);
  if (!target) throw new Error(`nothing to tap at ${selector}`);
  target.dispatchEvent('tap');
}

/** A form field's change as TDesign's t-input/t-textarea deliver it, to the page's one input handler. */
export function field(name: string, value: unknown) {
  return { detail: { value }, currentTarget: { dataset: { field: name } } };
}
