// Checked by `tsc -p tests` (npm run typecheck), never run: call() takes only what the route's ROUTES entry names,
// so a query key, body field or path parameter the contract test does not see cannot be sent.
import { call } from '../app/lib/http';

export async function typeChecks(): Promise<void> {
  await call('alarm', { path: { alarm_id: 'al-1' } });
  await call('alarms', { query: { enterprise_id: ['ent-1'], limit: 50 } });
  await call('respond', { path: { alarm_id: 'al-1' }, body: { version: 1, cause: 'other', text: '', photos: [], location: null } });
  await call('me');
  // @ts-expect-error a query key the route does not declare
  await call('alarms', { query: { enterprise: 'ent-1' } });
  // @ts-expect-error a body field the route does not declare
  await call('respond', { path: { alarm_id: 'al-1' }, body: { version: 1, reason: 'other' } });
  // @ts-expect-error a path parameter missing
  await call('alarm', {});
  // @ts-expect-error the path parameter misnamed
  await call('alarm', { path: { id: 'al-1' } });
  // @ts-expect-error a route without path parameters given one
  await call('alarms', { path: { alarm_id: 'al-1' } });
  // @ts-expect-error a body on a route that takes none
  await call('me', { body: { x: 1 } });
  // @ts-expect-error no such route
  await call('alarmz');
}
