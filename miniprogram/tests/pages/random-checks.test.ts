import { beforeEach, expect, test } from '@jest/globals';
import { loadPage, render, settle } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { alarm, tokens } from '../support/api';

const listId = loadPage('branch/checks/checks');

function check(id: string, status: string, periodEnd: string, extra: Record<string, unknown> = {}) {
  return {
    check_id: id, draw_id: 'rcd.b1.2026-12.1', branch_id: 'b1', period: '2026-12', period_end: periodEnd,
    enterprise_id: 'ent-1', enterprise_name: `企业${id}`, status, status_name: { pending: '待检查', done: '已检查', overdue: '逾期' }[status],
    inspectors: [{ account_id: 'a1', display_name: '张三' }, { account_id: 'a2', display_name: '李四' }],
    late: false, record: null, ...extra,
  };
}

let listed: Sent[];

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('branch'));
  listed = [];
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (url.endsWith('/random-checks/checks')) {
      listed.push(req);
      return { status: 200, body: { items: [check('c-done', 'done', '2026-11-30', { record: { conclusion: 'compliant', conclusion_name: '合规', findings: [], text: '', photo_ids: [], alarm_ids: [], inspectors: [], inspected_at: '2026-11-28T10:00:00+08:00', recorded_by: 'a1', recorded_at: '2026-11-28T10:00:00+08:00' } }),
        check('c-late', 'pending', '2026-12-31'), check('c-over', 'overdue', '2026-11-30'), check('c-soon', 'pending', '2026-12-15')] } };
    }
    if (url.endsWith('/random-checks/checks/c-1')) return { status: 200, body: check('c-1', 'pending', '2026-12-31') };
    if (url.endsWith('/alarms')) return { status: 200, body: { items: [alarm('al-1'), alarm('al-2')] } };
    return { status: 404, body: { code: 'not_found', message: '对象不存在', field: null } };
  };
});

test('my checks: 逾期 first, then 待检查 by the end of the period, the done ones last', async () => {
  const page = render(listId);
  page.instance.onShow();
  await settle(40);
  expect(listed[0].url).toContain('mine=true');
  const checks = page.instance.data.checks as Array<{ id: string; with: string; conclusion: string }>;
  expect(checks.map((c) => c.id)).toEqual(['c-over', 'c-soon', 'c-late', 'c-done']);
  expect(checks[0].with).toBe('张三、李四');
  expect(checks[3].conclusion).toBe('合规');
});
