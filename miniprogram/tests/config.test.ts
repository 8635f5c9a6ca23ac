import { expect, test } from '@jest/globals';
import * as fs from 'fs';
import * as path from 'path';
import { API_BASE_URL, APP_ID } from '../app/lib/config';

const ROOT = path.resolve(__dirname, '..');

test('project.config.json carries the AppID of app/lib/config.ts (one place to change both)', () => {
  const project = JSON.parse(fs.readFileSync(path.join(ROOT, 'project.config.json'), 'utf8')) as { appid: string; miniprogramRoot: string };
  expect(project.appid).toBe(APP_ID);
  expect(project.miniprogramRoot).toBe('app/');
  expect(API_BASE_URL).toMatch(/^https?:\/\/[^/]+.*\/api\/v1$/);
});

test('every page in app.json has its four files and names only TDesign components that exist', () => {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app/app.json'), 'utf8')) as { pages: string[] };
  for (const page of app.pages) {
    for (const ext of ['ts', 'wxml', 'wxss', 'json']) expect(fs.existsSync(path.join(ROOT, 'app', `${page}.${ext}`))).toBe(true);
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'app', `${page}.json`), 'utf8')) as { usingComponents?: Record<string, string> };
    for (const target of Object.values(json.usingComponents ?? {})) {
      const file = path.join(ROOT, 'node_modules/tdesign-miniprogram/miniprogram_dist', target.replace('tdesign-miniprogram/', ''));
      expect(fs.existsSync(`${file}.json`)).toBe(true);
    }
  }
});
