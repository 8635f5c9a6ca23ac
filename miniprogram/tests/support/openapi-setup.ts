// jest globalSetup: the API's OpenAPI document, generated once per run from the Python app (no server) for the
// stubbed answers' checks (tests/support/schema.ts).
import * as fs from 'fs';
import * as path from 'path';
import { openapiDocument } from './contract';
import { OPENAPI_FILE } from './schema';

export default function setup(): void {
  fs.mkdirSync(path.dirname(OPENAPI_FILE), { recursive: true });
  fs.writeFileSync(OPENAPI_FILE, JSON.stringify(openapiDocument()));
}
