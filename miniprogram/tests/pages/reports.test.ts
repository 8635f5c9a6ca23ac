import { beforeEach, expect, test } from '@jest/globals';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { tokens, photoOut, enterpriseDetail, pointItem, faultOut, stoppageOut } from '../support/api';
import { beijingDay, isoBeijing } from '../../app/lib/time';

const id = loadPage('enterprise/reports/reports');
let filed: Sent[];

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('enterprise'));
  filed = [];
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (req.method === 'POST') {
      filed.push(req);
      return { status: 201, body: req.url.includes('/fault-reports') ? faultOut('fr-new') : stoppageOut('st-new') };
    }
    if (url.endsWith('/enterprises/ent-1')) return { status: 200, body: enterpriseDetail('ent-1', { points: [pointItem('pt-1', { name: '1号线' })] }) };
    if (url.endsWith('/stoppage-requests')) {
      return { status: 200, body: { items: [stoppageOut('st-1'),
        stoppageOut('st-0', { kind: 'monitoring_stop', kind_name: '监控设施停运', start: '2026-11-20T08:00:00+08:00', end: '2026-11-21T08:00:00+08:00', decision: 'deemed_approved', decision_name: '逾期未决定，视为同意', decision_deadline: '2026-11-27T23:59:59+08:00' }),
        stoppageOut('st-z', { kind: 'monitoring_removal', kind_name: '监控设施拆除', start: '2026-11-10T08:00:00+08:00', reason: '搬迁', decision: 'rejected', decision_name: '不同意', decision_deadline: '2026-11-17T23:59:59+08:00', decision_note: '请先报备搬迁计划', decided_at: '2026-11-12T10:00:00+08:00', decided_by: 'acc-branch' })] } };
    }
    if (url.endsWith('/fault-reports')) {
      return { status: 200, body: { items: [faultOut('fr-1', { filed_at: '2026-12-05T11:00:00+08:00', filed_late: true, acknowledged_by: 'acc-branch', photos: ['ph-1', 'ph-2'] })] } };
    }
    return { status: 200, body: { items: [] } };
  };
});

test('a fault report: kind, point and description required; one filed more than 2 h after the fault is flagged', async () => {
  const page = render(id);
  page.instance.onLoad({});
  await settle(40);
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-kind')).toBe('请选择类型');
  expect(text(page, '.err-points')).toBe('请选择涉及的监测点');
  expect(text(page, '.err-text')).toBe('请描述故障情况');
  expect(filed).toEqual([]);
  page.instance.onKind({ currentTarget: { dataset: { code: 'monitoring' } } });
  page.instance.onPoint({ currentTarget: { dataset: { id: 'pt-1' } } });
  const threeHoursAgo = Date.now() - 3 * 3600_000;
  page.instance.onInput(field('startDate', beijingDay(threeHoursAgo)));
  page.instance.onInput(field('startTime', isoBeijing(threeHoursAgo).slice(11, 16)));
  page.instance.onInput(field('text', '采集终端无电'));
  expect(text(page, '.late')).toBe('故障发生已超过 2 小时，申报将被标记为逾期');
  expect(phone.storage.get('draft:fault:ent-1')).toMatchObject({ kind: 'monitoring', pointIds: ['pt-1'], text: '采集终端无电' });
  tap(page, '.submit');
  await settle(40);
  expect(filed[0].url).toMatch(/\/fault-reports$/);
  expect(filed[0].data).toEqual({
    enterprise_id: 'ent-1', kind: 'monitoring', point_ids: ['pt-1'],
    fault_start: `${isoBeijing(threeHoursAgo).slice(0, 16)}:00+08:00`, description: '采集终端无电', photos: [],
  });
  expect(phone.storage.has('draft:fault:ent-1')).toBe(false);
});

test('a stoppage request: the end must follow the start; a pending one shows the deemed-approval deadline', async () => {
  const page = render(id);
  page.instance.onLoad({ tab: 'stoppage' });
  await settle(40);
  expect(page.querySelectorAll('.decision').map((d) => d.dom.textContent)).toEqual([
    '待审批（12-08 23:59 前未答复视为同意）',
    '逾期未决定，视为同意（期限 11-27 23:59 已过）',
    '分局不同意（11-12 10:00）',
  ]);
  expect(page.querySelectorAll('.stoppage')[2].dom.textContent).toContain('请先报备搬迁计划');
  page.instance.onKind({ currentTarget: { dataset: { code: 'control_stop' } } });
  page.instance.onPoint({ currentTarget: { dataset: { id: 'pt-1' } } });
  page.instance.onInput(field('startDate', '2026-12-10'));
  page.instance.onInput(field('startTime', '08:00'));
  page.instance.onInput(field('endDate', '2026-12-09'));
  page.instance.onInput(field('endTime', '08:00'));
  page.instance.onInput(field('text', '年度检修'));
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-end')).toBe('结束时间须晚于开始时间');
  page.instance.onInput(field('endDate', '2026-12-12'));
  tap(page, '.submit');
  await settle(40);
  expect(filed[0].data).toEqual({
    enterprise_id: 'ent-1', kind: 'control_stop', point_ids: ['pt-1'],
    start: '2026-12-10T08:00:00+08:00', end: '2026-12-12T08:00:00+08:00', reason: '年度检修',
  });
});

test('a fault report with photos: one taken off is deleted, the rest go first; the list shows status and photos', async () => {
  const page = render(id);
  page.instance.onLoad({});
  await settle(40);
  expect(text(page, '.fault-status')).toBe('分局已确认（逾期申报）');
  expect(text(page, '.fault-detail')).toBe('终端断电（照片 2 张）');
  page.instance.onKind({ currentTarget: { dataset: { code: 'control_equipment' } } });
  page.instance.onPoint({ currentTarget: { dataset: { id: 'pt-1' } } });
  page.instance.onInput(field('text', '风机故障'));
  phone.chosen = ['wxfile://f1.jpg', 'wxfile://f2.jpg'];
  await page.instance.addPhotos();
  expect(page.querySelectorAll('.photo')).toHaveLength(2);
  page.instance.removePhoto({ currentTarget: { dataset: { index: 1 } } });
  expect(phone.deleted).toEqual(['wxfile://usr/f2.jpg']);
  expect(phone.storage.get('draft:fault:ent-1')).toMatchObject({ photos: ['wxfile://usr/f1.jpg'] });
  phone.uploadHandler = () => ({ status: 201, body: photoOut('ph-f1') });
  tap(page, '.submit');
  await settle(60);
  expect(phone.uploads.map((u) => [u.filePath, u.formData.kind])).toEqual([['wxfile://usr/f1.jpg', 'fault']]);
  expect((filed[0].data as { photos: string[] }).photos).toEqual(['ph-f1']);
});
