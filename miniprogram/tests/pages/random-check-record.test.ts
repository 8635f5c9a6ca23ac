import { beforeEach, expect, test } from '@jest/globals';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { alarm, tokens, photoOut } from '../support/api';

const formId = loadPage('branch/inspect/inspect');

function check(id: string, status: string, periodEnd: string, extra: Record<string, unknown> = {}) {
  return {
    check_id: id, draw_id: 'rcd.b1.2026-12.1', branch_id: 'b1', period: '2026-12', period_end: periodEnd,
    enterprise_id: 'ent-1', enterprise_name: `企业${id}`, status, status_name: { pending: '待检查', done: '已检查', overdue: '逾期' }[status],
    inspectors: [{ account_id: 'a1', display_name: '张三' }, { account_id: 'a2', display_name: '李四' }],
    late: false, record: null, ...extra,
  };
}

let recorded: Sent | null;
let listed: Sent[];

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('branch'));
  recorded = null;
  listed = [];
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (url.endsWith('/random-checks/checks')) {
      listed.push(req);
      return { status: 200, body: { items: [check('c-done', 'done', '2026-11-30', { record: { conclusion_name: '合规' } }),
        check('c-late', 'pending', '2026-12-31'), check('c-over', 'overdue', '2026-11-30'), check('c-soon', 'pending', '2026-12-15')] } };
    }
    if (url.endsWith('/random-checks/checks/c-1')) return { status: 200, body: check('c-1', 'pending', '2026-12-31') };
    if (url.endsWith('/alarms')) return { status: 200, body: { items: [alarm('al-1'), alarm('al-2')] } };
    if (url.endsWith('/record')) {
      recorded = req;
      return { status: 201, body: check('c-1', 'done', '2026-12-31') };
    }
    return { status: 404, body: { code: 'not_found', message: '对象不存在', field: null } };
  };
});

test('a record needs a conclusion and a photo; it goes with the findings, photo ids and the alarms looked at', async () => {
  const page = render(formId);
  page.instance.onLoad({ id: 'c-1' });
  await settle(40);
  expect((page.instance.data.alarms as unknown[]).length).toBe(2);
  tap(page, '.submit');
  await settle();
  expect([text(page, '.err-conclusion'), text(page, '.err-photos')]).toEqual(['请选择检查结论', '请至少拍一张现场照片']);
  page.instance.onConclusion({ currentTarget: { dataset: { key: 'issues' } } });
  phone.chosen = ['wxfile://site.jpg'];
  await page.instance.addPhotos();
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-conclusion')).toBe('存在问题时，请标出有问题的项目或写明情况');
  expect(recorded).toBeNull();
  page.instance.onItem({ currentTarget: { dataset: { key: 'operation' } } });
  page.instance.onAlarm({ currentTarget: { dataset: { id: 'al-2' } } });
  page.instance.onInput(field('text', '治理设施停运'));
  phone.uploadHandler = () => ({ status: 201, body: photoOut('ph-site') });
  tap(page, '.submit');
  await settle(60);
  expect(phone.uploads[0].formData).toEqual({ enterprise_id: 'ent-1', kind: 'site', subject_id: 'c-1' });
  const body = recorded!.data as { conclusion: string; findings: Array<{ item: string; ok: boolean }>; photo_ids: string[]; alarm_ids: string[]; text: string };
  expect(body.conclusion).toBe('issues');
  expect(body.findings.filter((f) => !f.ok).map((f) => f.item)).toEqual(['operation']);
  expect(body.findings).toHaveLength(5);
  expect([body.photo_ids, body.alarm_ids, body.text]).toEqual([['ph-site'], ['al-2'], '治理设施停运']);
  expect(page.querySelector('.done')).not.toBeNull();
  expect(phone.storage.has('draft:inspect:c-1')).toBe(false);
});
