import { beforeAll, expect, test } from '@jest/globals';
import { ROUTES } from '../app/lib/routes';
import { CAUSES, FAULT_KINDS, MAINTENANCE_KINDS, STOPPAGE_KINDS } from '../app/lib/labels';
import { PHOTO_KINDS } from '../app/lib/uploads';
import { openapiDocument, violations } from './support/contract';
import { API_BASE_URL } from '../app/lib/config';
import { alarm, alarmDetail, error, photoOut, terminalOut, tokens } from './support/api';
import { answerErrors } from './support/schema';
import { phone } from './support/wx';

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
  const form = copy.components.schemas.PhotoForm;
  form.properties.subject = form.properties.subject_id; // renamed, and a new required field
  delete form.properties.subject_id;
  form.properties.taken_at = { type: 'string' };
  form.required = [...form.required, 'taken_at'];
  expect(violations(ROUTES, copy)).toEqual([
    'bindInvitation: body field invitation_code is not in the API',
    'respond: POST /alarms/{alarm_id}/respond is not in the API',
    'terminal: GET /terminals/{mn} is not in the API',
    'unregistered: query parameter days is not in the API',
    'uploadPhoto: form field subject_id is not in the API',
    'uploadPhoto: required form field taken_at missing',
  ]);
});

test('the codes the pickers offer are the API enums', () => {
  const enumOf = (name: string) => doc.components.schemas[name].enum as string[];
  expect(CAUSES.map((c) => c.code).sort()).toEqual([...enumOf('Cause')].sort());
  expect(FAULT_KINDS.map((c) => c.code).sort()).toEqual([...enumOf('FaultKind')].sort());
  expect(STOPPAGE_KINDS.map((c) => c.code).sort()).toEqual([...enumOf('StoppageKind')].sort());
  // 调试 entries come from the commissioning route only; the rest the installer picks
  expect(MAINTENANCE_KINDS.map((c) => c.code).sort()).toEqual(enumOf('MaintenanceKind').filter((k) => k !== 'commissioning').sort());
  expect([...PHOTO_KINDS].sort()).toEqual([...enumOf('PhotoKind')].sort());
  expect(enumOf('CommandKind')).toEqual(expect.arrayContaining(['read_realtime', 'set_time', 'set_minute_interval', 'set_password']));
});

test("every stubbed answer is checked against the route's response schema; what the API would not send is reported", () => {
  const base = API_BASE_URL;
  expect(answerErrors('GET', `${base}/alarms/al-1`, base, 200, alarmDetail('al-1'))).toEqual([]);
  expect(answerErrors('POST', `${base}/photos`, base, 201, photoOut('ph-1'))).toEqual([]);
  expect(answerErrors('GET', `${base}/terminals/MN0001`, base, 404, error('not_found', '不存在'))).toEqual([]);
  const { rule_name: _dropped, ...missing } = alarm('al-1');
  expect(answerErrors('GET', `${base}/alarms?limit=5`, base, 200, { items: [missing], next_cursor: null })).toEqual([
    'GET http://127.0.0.1:8000/api/v1/alarms → 200 $.items[0]: required field rule_name missing',
  ]);
  expect(answerErrors('GET', `${base}/alarms/al-1`, base, 200, { ...alarmDetail('al-1'), renamed: 1, state: 'gone' })).toEqual([
    'GET http://127.0.0.1:8000/api/v1/alarms/al-1 → 200 $.state: "gone" is not one of ["pending","responded","dispatched","verified","closed","retracted"]',
    'GET http://127.0.0.1:8000/api/v1/alarms/al-1 → 200 $: field renamed is not in the API',
  ]);
  expect(answerErrors('GET', `${base}/terminals/MN0001`, base, 200, terminalOut('MN0001', { online: 'yes' }))).toEqual([
    'GET http://127.0.0.1:8000/api/v1/terminals/MN0001 → 200 $.online: string where the API sends boolean',
  ]);
  expect(answerErrors('GET', `${base}/terminal/MN0001`, base, 200, {})).toEqual(['GET http://127.0.0.1:8000/api/v1/terminal/MN0001 → 200: no such route in the API']);
  expect(answerErrors('GET', `${base}/me`, base, 502, 'bad gateway')).toEqual(['GET http://127.0.0.1:8000/api/v1/me → 502: the API does not answer 502 here']);
});

test('the phone stub records a wrong answer for the test to fail on', async () => {
  phone.reset();
  phone.handler = () => ({ status: 200, body: { ...tokens('enterprise'), extra: true } });
  await new Promise((resolve) => wx.request({ url: `${API_BASE_URL}/auth/refresh`, method: 'POST', success: resolve }));
  expect(phone.contractErrors).toEqual(['POST http://127.0.0.1:8000/api/v1/auth/refresh → 200 $: field extra is not in the API']);
  phone.contractErrors = []; // seen: the check after each test would fail on it
});
