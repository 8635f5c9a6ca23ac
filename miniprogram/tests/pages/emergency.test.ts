import { beforeEach, expect, test } from '@jest/globals';
import { loadPage, render, settle, text } from '../support/page';
import { phone } from '../support/wx';
import { tokens, enterpriseDetail, pointItem } from '../support/api';

const id = loadPage('enterprise/emergency/emergency');

beforeEach(() => {
  phone.reset();
  phone.storage.set('session', tokens('enterprise'));
});

test('an active alert of this enterprise\'s town shows its level, window and measures; another town\'s does not', async () => {
  phone.handler = (req) => {
    const url = req.url.split('?')[0];
    if (url.endsWith('/emergency/alerts')) {
      return { status: 200, body: { items: [
        { id: 'ea-0', level: 'orange', level_name: '橙色', start: '2026-12-06T00:00:00+08:00', end: '2026-12-07T12:00:00+08:00', title: '另一镇的预警', enterprise_ids: null, town_ids: ['town-9'], declared_by: 'x', active: true, phase: 'active' },
        { id: 'ea-1', level: 'red', level_name: '红色', start: '2026-12-06T00:00:00+08:00', end: '2026-12-07T12:00:00+08:00', title: '重污染天气红色预警', enterprise_ids: null, town_ids: ['town-1'], declared_by: 'x', active: true, phase: 'active' },
      ] } };
    }
    if (url.endsWith('/measures')) {
      return { status: 200, body: { enterprise_id: 'ent-1', yellow: null, orange: { stop_points: [], energy_share: 0.7, forbidden_hours: [] }, red: { stop_points: ['pt-1'], energy_share: null, forbidden_hours: [] } } };
    }
    return { status: 200, body: enterpriseDetail('ent-1', { points: [pointItem('pt-1', { name: '1号线' })] }) };
  };
  const page = render(id);
  page.instance.onLoad();
  await settle(40);
  expect(text(page, '.level')).toBe('红色预警');
  expect(text(page, '.window')).toBe('12-06 00:00 至 12-07 12:00');
  expect(text(page, '.measure')).toBe('· 停止运行：1号线');
  expect(page.querySelectorAll('.measure')).toHaveLength(1);
  expect(page.querySelectorAll('.alert')).toHaveLength(1);
});

test('no active alert: says so', async () => {
  phone.handler = (req) =>
    req.url.includes('/emergency/alerts')
      ? { status: 200, body: { items: [] } }
      : req.url.includes('/measures')
        ? { status: 200, body: { enterprise_id: 'ent-1', yellow: null, orange: null, red: null } }
        : { status: 200, body: enterpriseDetail('ent-1', { points: [] }) };
  const page = render(id);
  page.instance.onLoad();
  await settle(40);
  expect(page.querySelectorAll('.alert')).toHaveLength(0);
  expect(page.instance.data.error).toBe('');
});
