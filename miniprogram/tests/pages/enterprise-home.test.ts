import { beforeEach, expect, test } from '@jest/globals';
import { loadPage, render, settle, text } from '../support/page';
import { phone } from '../support/wx';
import { tokens, enterpriseDetail } from '../support/api';

const id = loadPage('enterprise/home/home');

const seg = (state: string, state_name: string) => ({ start: '2026-12-06T00:00:00+08:00', end: '2026-12-06T10:00:00+08:00', state, state_name });

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('enterprise'));
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (url.endsWith('/enterprises/ent-1')) {
      return { status: 200, body: enterpriseDetail('ent-1', { status: 'curtailed', status_name: '限产', status_at: '2026-12-06T09:58:00+08:00' }) };
    }
    if (url.endsWith('/timeline')) {
      return { status: 200, body: { enterprise_id: 'ent-1', day: '2026-12-06', start: '', end: '', enterprise: [], lines: [{ association_id: 'as-1', name: '1号线', production: [seg('stopped', '停止'), seg('running', '运行')], control: [seg('stopped', '停止')] }] } };
    }
    if (url.endsWith('/emergency/alerts')) {
      return { status: 200, body: { items: [{ id: 'ea-1', level: 'orange', level_name: '橙色', start: '2026-12-06T00:00:00+08:00', end: '2026-12-08T00:00:00+08:00', title: '重污染天气橙色预警', enterprise_ids: null, town_ids: null, declared_by: 'x', active: true, phase: 'active' }] } };
    }
    if (url.endsWith('/series')) return { status: 200, body: { point_id: 'pt-1', start: '', end: '', resolution: 'minute', quantities: {}, rows: [{ at: '2026-12-06T09:00:00+08:00', values: { p: 12.5 }, samples: 1 }], gaps: [] } };
    return { status: 404, body: { code: 'not_found', message: '对象不存在' } };
  };
});

test('my enterprise now: status, each line by its last state, the emergency alert, today\'s series asked from midnight', async () => {
  const page = render(id);
  page.instance.onLoad();
  await settle(40);
  expect(text(page, '.name')).toBe('如皋示例化工有限公司');
  expect(text(page, '.status')).toBe('限产');
  expect(text(page, '.line-state').replace(/\s+/g, ' ')).toBe('生产：运行 治污：停止');
  expect(page.querySelector('.control-stopped')).not.toBeNull(); // the control facility stopped is red
  expect(text(page, '.alert-title')).toBe('橙色预警：重污染天气橙色预警');
  const series = phone.sent.find((r) => r.url.includes('/points/pt-1/series'))!;
  expect(decodeURIComponent(series.url)).toMatch(/start=\d{4}-\d{2}-\d{2}T00:00:00\+08:00&end=.*\+08:00&quantity=p$/);
  const timeline = phone.sent.find((r) => r.url.includes('/timeline'))!;
  expect(timeline.url).toMatch(/\?day=\d{4}-\d{2}-\d{2}$/);
});

test('an error reads in Chinese instead of an empty page', async () => {
  phone.handler = () => ({ status: 503, body: { code: 'unavailable', message: '服务暂时不可用（稍后重试）' } });
  const { backoff } = await import('../../app/lib/http');
  backoff.sleep = async () => undefined;
  const page = render(id);
  page.instance.onLoad();
  await settle(40);
  expect(text(page, '.error')).toBe('服务暂时不可用（稍后重试）');
});
