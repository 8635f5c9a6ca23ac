// Checks the mini-program's route table against the API's OpenAPI document: method, path, query parameters,
// JSON body fields (and the required ones present), multipart form fields.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Route } from '../../app/lib/routes';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

import { API_PREFIX } from './schema';

const REPO = path.resolve(__dirname, '../../..');

/** The document generated from the Python app itself (no server), as the API would serve it now. */
export function openapiDocument(): Json {
  const python = process.env.API_PYTHON ?? path.join(REPO, '.venv/bin/python');
  if (!fs.existsSync(python) && !process.env.API_PYTHON) throw new Error(`no Python at ${python}: set API_PYTHON`);
  const code =
    'import json, sys, miniprogram_api.app\n' +
    'from miniprogram_api.chalicelib.openapi import document\n' +
    'json.dump(document(), sys.stdout, ensure_ascii=False)';
  return JSON.parse(execFileSync(python, ['-c', code], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 })) as Json;
}

function resolve(doc: Json, schema: Json | undefined): Json {
  let s = schema ?? {};
  while (s.$ref) s = doc.components.schemas[String(s.$ref).split('/').pop() as string];
  return s;
}

export function violations(routes: Record<string, Route>, doc: Json): string[] {
  const found: string[] = [];
  for (const [name, route] of Object.entries(routes)) {
    const op = doc.paths?.[API_PREFIX + route.path]?.[route.method.toLowerCase()] as Json | undefined;
    if (!op) {
      found.push(`${name}: ${route.method} ${route.path} is not in the API`);
      continue;
    }
    const params = (op.parameters ?? []) as Json[];
    const pathNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const docPath = params.filter((p) => p.in === 'path').map((p) => p.name as string).sort();
    if (JSON.stringify(pathNames) !== JSON.stringify(docPath)) found.push(`${name}: path parameters ${pathNames} ≠ ${docPath}`);
    const docQuery = new Set(params.filter((p) => p.in === 'query').map((p) => p.name as string));
    for (const q of route.query ?? []) if (!docQuery.has(q)) found.push(`${name}: query parameter ${q} is not in the API`);
    for (const p of params) {
      if (p.in === 'query' && p.required && !(route.query ?? []).includes(p.name)) found.push(`${name}: required query ${p.name} missing`);
    }
    const content = (op.requestBody?.content ?? {}) as Json;
    if (route.body) {
      const schema = resolve(doc, content['application/json']?.schema);
      if (!content['application/json']) found.push(`${name}: the API takes no JSON body`);
      const props = new Set(Object.keys(schema.properties ?? {}));
      for (const f of route.body) if (!props.has(f)) found.push(`${name}: body field ${f} is not in the API`);
      for (const f of (schema.required ?? []) as string[]) if (!route.body.includes(f)) found.push(`${name}: required body field ${f} missing`);
    } else if (content['application/json'] && op.requestBody?.required) {
      found.push(`${name}: the API requires a JSON body`);
    }
    if (route.multipart) {
      const form = content['multipart/form-data'];
      if (!form) found.push(`${name}: the API takes no multipart form`);
      const schema = resolve(doc, form?.schema);
      const props = new Set(Object.keys(schema.properties ?? {}));
      const sent = [...route.multipart, 'file']; // wx.uploadFile's `name: 'file'` beside the formData
      for (const f of sent) if (!props.has(f)) found.push(`${name}: form field ${f} is not in the API`);
      for (const f of (schema.required ?? []) as string[]) if (!sent.includes(f)) found.push(`${name}: required form field ${f} missing`);
    }
  }
  return found;
}
