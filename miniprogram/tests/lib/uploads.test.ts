import { beforeEach, expect, test } from '@jest/globals';
import { ApiFailure, backoff } from '../../app/lib/http';
import { forgetUploads, uploadPhotos } from '../../app/lib/uploads';
import { phone, type Answer } from '../support/wx';
import { tokens, photoOut } from '../support/api';

const waits: number[] = [];
const target = { enterpriseId: 'ent-1', kind: 'site' as const, subjectId: 'MN0001' };

beforeEach(() => {
  phone.reset();
  waits.length = 0;
  backoff.sleep = async (ms: number) => {
    waits.push(ms);
  };
  phone.storage.set('session', tokens('installer'));
});

function answers(...list: Answer[]): void {
  phone.uploadHandler = () => list.shift() ?? { status: 201, body: photoOut('ph-last') };
}

test('a dropped upload is tried again after the back-off (0.5 s, 1.5 s), a 429 too; the token goes along', async () => {
  answers({ status: 0, fail: true }, { status: 429, body: { code: 'rate_limited', message: '请求过于频繁' } }, { status: 201, body: photoOut('ph-1') });
  expect(await uploadPhotos(['wxfile://usr/a.jpg'], target)).toEqual(['ph-1']);
  expect(waits).toEqual([500, 1500]);
  expect(phone.uploads).toHaveLength(3);
  expect(phone.uploads[0].header.Authorization).toMatch(/^Bearer /);
});

test('a refusal (422) is not repeated; after four drops the network message says the form is kept', async () => {
  answers({ status: 422, body: { code: 'invalid', message: '照片格式不支持', field: 'file' } });
  let err = (await uploadPhotos(['wxfile://usr/a.jpg'], target).catch((e: unknown) => e)) as ApiFailure;
  expect([err.status, err.message, phone.uploads.length]).toEqual([422, '照片格式不支持', 1]);
  phone.uploads = [];
  answers(...Array.from({ length: 4 }, () => ({ status: 0, fail: true })));
  err = (await uploadPhotos(['wxfile://usr/a.jpg'], target).catch((e: unknown) => e)) as ApiFailure;
  expect(err.status).toBe(0);
  expect(err.message).toContain('已填写的内容已保存在手机上');
  expect(phone.uploads).toHaveLength(4);
  expect(waits).toEqual([500, 1500, 4000]);
});

test('uploaded photos are remembered until the form is accepted, then forgotten and deleted', async () => {
  answers({ status: 201, body: photoOut('ph-a') }, { status: 201, body: photoOut('ph-b') });
  const files = ['wxfile://usr/a.jpg', 'wxfile://usr/b.jpg'];
  expect(await uploadPhotos(files, target)).toEqual(['ph-a', 'ph-b']);
  expect(await uploadPhotos(files, target)).toEqual(['ph-a', 'ph-b']); // a second send resends nothing
  expect(phone.uploads).toHaveLength(2);
  forgetUploads(files);
  expect(phone.storage.get('uploaded-photos')).toEqual({});
  expect(phone.deleted).toEqual(files);
});

test('an account revoked during an upload lands on the binding page, session gone, as any other call', async () => {
  answers({ status: 201, body: photoOut('ph-a') }, { status: 401, body: { code: 'account_disabled', message: '账号已停用' } });
  const err = (await uploadPhotos(['wxfile://usr/a.jpg', 'wxfile://usr/b.jpg'], target).catch((e: unknown) => e)) as ApiFailure;
  expect([err.status, err.message]).toEqual([401, '登录已失效或账号已停用，请重新绑定']);
  expect(phone.navigations).toEqual(['reLaunch /pages/bind/bind?reason=revoked']);
  expect(phone.storage.has('session')).toBe(false);
  expect(phone.uploads).toHaveLength(2); // not repeated
  // a refusal that does not end the session stays on the page
  phone.reset();
  phone.storage.set('session', tokens('installer'));
  answers({ status: 401, body: { code: 'token_expired', message: '登录已过期' } });
  await uploadPhotos(['wxfile://usr/c.jpg'], target).catch(() => undefined);
  expect(phone.navigations).toEqual([]);
});
