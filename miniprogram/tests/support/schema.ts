// The API's OpenAPI 3.1 document (written once per jest run by tests/support/openapi-setup.ts) and a checker for
// the JSON-schema subset pydantic emits: $ref, anyOf/oneOf/allOf, type, enum, const, properties, required,
// additionalProperties, items, prefixItems. Formats and lengths are the API's business, not the stubs'.
import * as fs from 'fs';
import * as path from 'path';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const OPENAPI_FILE = path.resolve(__dirname, '../../node_modules/.cache/gongkuang-openapi.json');
export const API_PREFIX = '/api/v1';

let cached: Json | null = null;
export function apiDocument(): Json {
  cached ??= JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as Json;
  return cached;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeFits(wanted: string, value: unknown): boolean {
  const actual = typeOf(value);
  return actual === wanted || (wanted === 'number' && actual === 'integer');
}

/** Every place where `value` does not fit `schema` ("$.items[0].state: ..."); empty when it fits. */
export function schemaErrors(doc: Json, schema: Json, value: unknown, at = '$'): string[] {
  if (schema.$ref) return schemaErrors(doc, doc.components.schemas[String(schema.$ref).split('/').pop() as string], value, at);
  const errors: string[] = [];
  for (const branch of (schema.allOf ?? []) as Json[]) errors.push(...schemaErrors(doc, branch, value, at));
  const alternatives = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (alternatives) {
    const tries = alternatives.map((s) => schemaErrors(doc, s, value, at));
    if (!tries.some((e) => e.length === 0)) {
      // the closest alternative says most about what is wrong
      errors.push(...tries.reduce((best, e) => (e.length < best.length ? e : best)));
    }
  }
  if (schema.type !== undefined) {
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
    if (!types.some((t) => typeFits(t, value))) return [...errors, `${at}: ${typeOf(value)} where the API sends ${types.join('|')}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && schema.const !== value) errors.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in obj)) errors.push(`${at}: required field ${key} missing`);
    for (const [key, v] of Object.entries(obj)) {
      if (props[key]) errors.push(...schemaErrors(doc, props[key], v, `${at}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: field ${key} is not in the API`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        errors.push(...schemaErrors(doc, schema.additionalProperties as Json, v, `${at}.${key}`));
      }
    }
  }
  if (Array.isArray(value)) {
    const prefix = (schema.prefixItems ?? []) as Json[];
    value.forEach((v, i) => {
      const item = i < prefix.length ? prefix[i] : (schema.items as Json | undefined);
      if (item) errors.push(...schemaErrors(doc, item, v, `${at}[${i}]`));
    });
  }
  return errors;
}

/** The operation a request goes to: its method and path matched against the document's path templates. */
export function operationOf(doc: Json, method: string, url: string, base: string): { path: string; op: Json } | null {
  if (!url.startsWith(base)) return null;
  const rest = url.slice(base.length).split('?')[0];
  for (const [template, ops] of Object.entries(doc.paths as Record<string, Json>)) {
    if (!template.startsWith(API_PREFIX)) continue;
    const pattern = template.slice(API_PREFIX.length).replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+');
    if (new RegExp(`^${pattern}$`).test(rest) && ops[method.toLowerCase()]) return { path: template, op: ops[method.toLowerCase()] };
  }
  return null;
}

/**
 * What is wrong with a stubbed answer, as the API's document has it: no such route, a status it does not answer,
 * or a body that is not the response schema of that status (required fields, no unknown ones, types, enums).
 */
export function answerErrors(method: string, url: string, base: string, status: number, body: unknown): string[] {
  const doc = apiDocument();
  const found = operationOf(doc, method, url, base);
  const where = `${method} ${url.split('?')[0]} → ${status}`;
  if (!found) return [`${where}: no such route in the API`];
  const response = found.op.responses?.[String(status)] as Json | undefined;
  if (!response) return [`${where}: the API does not answer ${status} here`];
  const schema = response.content?.['application/json']?.schema as Json | undefined;
  if (!schema) return body === undefined || body === null || body === '' ? [] : [`${where}: the API sends no JSON body`];
  return schemaErrors(doc, schema, body).map((e) => `${where} ${e}`);
}
