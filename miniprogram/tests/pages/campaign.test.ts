import { beforeEach, expect, test } from '@jest/globals';
import { backoff } from '../../app/lib/http';
import { names, type FileOut } from '../../app/lib/campaign';
import { field, loadPage, render, settle, tap, text } from '../support/page';
import { phone, type Sent } from '../support/wx';
import { error, tokens, photoOut } from '../support/api';

const id = loadPage('installer/campaign/campaign');
// FileOut as the API sends it (the page's type names only what it reads)
const base = {
  enterprise_id: 'ent-1', enterprise_name: '如皋示例化工有限公司', town_id: 'town-1', branch_id: 'br-1', earlier_trials: [], filing_due: null, install_status: 'pending_survey', install_status_name: '待勘察',
  version: 2, deadlines: { survey: '2022-09-30', network: '2022-10-20', filing: '2022-10-31' }, survey: null, installation: null,
  networked_at: null, trial: null, acceptance: null, filing: null, exemption: null, late_steps: [], network: null, calendar_warning: null,
  overdue: [{ enterprise_id: 'ent-1', enterprise_name: '如皋示例化工有限公司', town_id: 'town-1', branch_id: 'br-1', step: 'survey', step_name: '勘察', due: '2022-09-30', days_overdue: 3, unit: '日历日' }],
} as unknown as FileOut;
const surveyed: FileOut = {
  ...base, install_status: 'surveyed', install_status_name: '已勘察', version: 3, overdue: [],
  survey: { at: '2022-09-28T10:00:00+08:00', by: 'acc-installer', facilities: ['喷漆房', '活性炭吸附'], planned_points: ['喷漆房风机', '活性炭风机'], photo_ids: ['ph-s'], remarks: '' },
};
let file: FileOut;
let posted: Sent[];
let conflict: boolean;

beforeEach(() => {
  phone.reset();
  backoff.sleep = async () => undefined;
  phone.storage.set('session', tokens('installer'));
  file = base;
  posted = [];
  conflict = false;
  phone.handler = (req) => {
    if (req.method === 'POST') {
      posted.push(req);
      if (conflict) {
        file = surveyed; // someone else recorded the survey meanwhile
        return { status: 409, body: error('conflict', '档案已被他人修改，请刷新后重试') };
      }
      if (req.url.endsWith('/campaign/survey')) file = surveyed;
      else if (req.url.endsWith('/campaign/installation')) file = { ...surveyed, install_status: 'installed', install_status_name: '已安装', version: 4, installation: { at: '2022-10-10T09:00:00+08:00', by: 'acc-installer', remarks: '两台终端', photo_ids: [] } };
      else if (req.url.endsWith('/campaign/trial-restart')) file = { ...file, version: file.version + 1, trial: { ...file.trial!, outcome: 'running', outcome_name: '试运行中', reason: '', days: [] } };
      return { status: 200, body: file };
    }
    if (req.url.endsWith('/enterprises/ent-1/campaign')) return { status: 200, body: file };
    return { status: 404, body: error('not_found', '对象不存在') };
  };
});

async function open() {
  const page = render(id);
  page.instance.onLoad({ enterprise_id: 'ent-1' });
  await settle(40);
  return page;
}

test('names: one per line or separated by 、，; trimmed, no empties, no repeats', () => {
  expect(names(' 喷漆房\n活性炭吸附、喷漆房，,  \n 锅炉 ')).toEqual(['喷漆房', '活性炭吸附', '锅炉']);
  expect(names(' \n ')).toEqual([]);
});

test('survey: facilities and points required; then recorded with the file version and photos; the next step shows', async () => {
  const page = await open();
  expect(text(page, '.status')).toBe('待勘察');
  expect(text(page, '.overdue')).toBe('勘察已逾期 3 个日历日（期限 2022-09-30）');
  expect(text(page, '.step-title')).toBe('记录点位勘察');
  tap(page, '.submit');
  await settle();
  expect([text(page, '.err-facilities'), text(page, '.err-points')]).toEqual(['请填写勘察到的设施（每行一个）', '请填写拟安装的点位（每行一个）']);
  page.instance.onInput(field('points', 'x'.repeat(61)));
  tap(page, '.submit');
  await settle();
  expect(text(page, '.err-points')).toBe('每项不超过 60 字');
  expect(posted).toHaveLength(0);
  page.instance.onInput(field('facilities', '喷漆房\n活性炭吸附'));
  page.instance.onInput(field('points', '喷漆房风机、活性炭风机'));
  phone.chosen = ['wxfile://s.jpg'];
  await page.instance.addPhotos();
  phone.uploadHandler = () => ({ status: 201, body: photoOut('ph-s') });
  tap(page, '.submit');
  await settle(60);
  expect(phone.uploads[0].formData).toEqual({ enterprise_id: 'ent-1', kind: 'site' });
  expect(posted[0].data).toEqual({ version: 2, at: null, facilities: ['喷漆房', '活性炭吸附'], planned_points: ['喷漆房风机', '活性炭风机'], photo_ids: ['ph-s'], remarks: '' });
  expect(phone.storage.has('draft:campaign:ent-1:survey')).toBe(false);
  expect(text(page, '.record-survey')).toBe('勘察 09-28 10:00：设施 喷漆房、活性炭吸附；拟装点位 喷漆房风机、活性炭风机');
  expect(text(page, '.step-title')).toBe('记录现场安装完成');
  page.instance.onInput(field('remarks', '两台终端'));
  tap(page, '.submit');
  await settle(60);
  expect(posted[1].url).toMatch(/\/enterprises\/ent-1\/campaign\/installation$/);
  expect(posted[1].data).toEqual({ version: 3, at: null, remarks: '两台终端', photo_ids: [] });
  expect(page.querySelector('.next-commissioning')).not.toBeNull();
});

test('a stale version: the message shows, the file reloads as it is now, the draft is kept for its step', async () => {
  conflict = true;
  const page = await open();
  page.instance.onInput(field('facilities', '喷漆房'));
  page.instance.onInput(field('points', '喷漆房风机'));
  tap(page, '.submit');
  await settle(60);
  expect(text(page, '.err-form')).toBe('档案已被他人修改，请刷新后重试');
  expect(text(page, '.status')).toBe('已勘察');
  expect(phone.storage.get('draft:campaign:ent-1:survey')).toMatchObject({ facilities: '喷漆房', points: '喷漆房风机' });
});

test('a failed trial run shows its reason and daily completeness and restarts on the version; exempt files offer nothing', async () => {
  file = {
    ...surveyed, install_status: 'trial_run', install_status_name: '试运行', version: 7, networked_at: '2022-10-12T10:00:00+08:00',
    trial: { started_at: '2022-10-12T10:00:00+08:00', outcome: 'failed', outcome_name: '未通过', days: [{ day: '2022-10-13', completeness: 0.95 }, { day: '2022-10-14', completeness: 0.5 }], reason: '10-14 数据完整率 50% 低于 90%', ended_on: '2022-10-14' },
  };
  const page = await open();
  expect(text(page, '.record-trial')).toBe('试运行（10-12 10:00 起）未通过：10-14 数据完整率 50% 低于 90%；每日数据完整率 10-13 95%，10-14 50%');
  tap(page, '.restart');
  await settle(40);
  expect(posted[0].url).toMatch(/\/campaign\/trial-restart$/);
  expect(posted[0].data).toEqual({ version: 7 });
  expect(page.querySelector('.next-restart')).toBeFalsy();
  expect(text(page, '.record-trial')).toContain('试运行中');

  file = { ...base, exemption: { reason: 'long_term_shutdown', reason_name: '长期停产', approved_by: 'acc-air', approved_at: '2022-09-01T09:00:00+08:00', note: '2022 年起停产' } as FileOut['exemption'], overdue: [] };
  const exempt = await open();
  expect(text(exempt, '.exemption')).toBe('已豁免：长期停产（2022 年起停产）');
  expect(exempt.querySelector('.form')).toBeFalsy();
});

test('installed: the network shortfall in the API words, steps done late with how late, the calendar warning', async () => {
  file = {
    ...surveyed, install_status: 'installed', install_status_name: '已安装', version: 4,
    installation: { at: '2022-10-25T09:00:00+08:00', by: 'acc-installer', remarks: '', photo_ids: [] },
    late_steps: [{ step: 'network', step_name: '安装联网', due: '2022-10-20', done_on: '2022-10-25', days_late: 5 }],
    network: { planned: 3, registered: 2, with_data: 1, shortfall: 1, complete: false, text: '勘察拟装 3 个点位，已登记 2 个，缺 1 个；已登记点位 1/2 个收到数据' },
    calendar_warning: '2022年度法定节假日安排未录入，按周一至周五计算',
  } as FileOut;
  const page = await open();
  expect(text(page, '.network')).toBe('联网条件未满足：勘察拟装 3 个点位，已登记 2 个，缺 1 个；已登记点位 1/2 个收到数据');
  expect(page.querySelector('.network.urgent')).toBeTruthy();
  expect(text(page, '.late')).toBe('安装联网逾期完成：2022-10-25 完成，截止 2022-10-20，逾期 5 天');
  expect(text(page, '.calendar')).toBe('注意：2022年度法定节假日安排未录入，按周一至周五计算');

  file = { ...file, late_steps: [], calendar_warning: null, network: { planned: 3, registered: 3, with_data: 3, shortfall: 0, complete: true, text: '' } };
  const met = await open();
  expect(text(met, '.network')).toBe('联网条件已满足：3 个点位均已收到数据，平台将记为已联网');
  expect(met.querySelector('.network.network-met')).toBeTruthy();
  expect(met.querySelector('.network.urgent')).toBeFalsy();
  expect(met.querySelector('.late')).toBeFalsy();
  expect(met.querySelector('.calendar')).toBeFalsy();

  file = base; // not surveyed yet: the API gives no network check, the page shows none
  const fresh = await open();
  expect(fresh.querySelector('.network')).toBeFalsy();
  expect(text(fresh, '.overdue')).toBe('勘察已逾期 3 个日历日（期限 2022-09-30）');
});
