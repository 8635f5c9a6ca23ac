import { beforeAll, expect, test } from '@jest/globals';
import { ROUTES } from '../app/lib/routes';
import { CAUSES, FAULT_KINDS, MAINTENANCE_KINDS, STOPPAGE_KINDS } from '../app/lib/labels';
import { openapiDocument, violations } from './support/contract';
import { account, alarm, error, tokens } from './support/api';

let doc: ReturnType<typeof openapiDocument>;
beforeAll(() => {
  doc = openapiDocument();
}, 60_000);

test('every call the mini-program makes exists in the API with its method, path, parameters and body fields', () => {
  expect(violations(ROUTES, doc)).toEqual([]);
});

test('the checker fails when the API drops or renames a route, a parameter or a body field', () => {
  const copy = JSON.parse(JSON.stringify(doc));
  delete copy.paths['/api/v1/alarms/{alarm_id}/respond'];
  copy.paths['/api/v1/terminal/{mn}'] = copy.paths['/api/v1/terminals/{mn}'];
  delete copy.paths['/api/v1/terminals/{mn}'];
  copy.paths['/api/v1/unregistered-terminals'].get.parameters = [];
  copy.components.schemas.BindInvitationIn.properties = { binding_ticket: {}, code: {} };
  expect(violations(ROUTES, copy)).toEqual([
    'bindInvitation: body field invitation_code is not in the API',
    'respond: POST /alarms/{alarm_id}/respond is not in the API',
    'terminal: GET /terminals/{mn} is not in the API',
    'unregistered: query parameter days is not in the API',
  ]);
});

test('the codes the pickers offer are the API enums', () => {
  const enumOf = (name: string) => doc.components.schemas[name].enum as string[];
  expect(CAUSES.map((c) => c.code).sort()).toEqual([...enumOf('Cause')].sort());
  expect(FAULT_KINDS.map((c) => c.code).sort()).toEqual([...enumOf('FaultKind')].sort());
  expect(STOPPAGE_KINDS.map((c) => c.code).sort()).toEqual([...enumOf('StoppageKind')].sort());
  // 调试 entries come from the commissioning route only; the rest the installer picks
  expect(MAINTENANCE_KINDS.map((c) => c.code).sort()).toEqual(enumOf('MaintenanceKind').filter((k) => k !== 'commissioning').sort());
  expect(enumOf('CommandKind')).toEqual(expect.arrayContaining(['read_realtime', 'set_time', 'set_minute_interval', 'set_password']));
});

test("the tests' stubbed answers have the API's shapes: every required field, no field the API does not send", () => {
  const shape = (name: string, sample: Record<string, unknown>) => {
    const schema = doc.components.schemas[name] as { properties: Record<string, unknown>; required: string[] };
    const keys = Object.keys(sample);
    return {
      missing: schema.required.filter((k) => !keys.includes(k)),
      unknown: keys.filter((k) => !(k in schema.properties)),
    };
  };
  const clean = { missing: [], unknown: [] };
  expect(shape('AlarmOut', alarm('al-1'))).toEqual(clean);
  expect(shape('TokensOut', tokens('enterprise'))).toEqual(clean);
  expect(shape('AccountOut', account('installer'))).toEqual(clean);
  expect(shape('ErrorBody', error('conflict', '冲突'))).toEqual(clean);
  expect(shape('AlarmOut', { ...alarm('al-1'), renamed: 1 })).toEqual({ missing: [], unknown: ['renamed'] });
});
