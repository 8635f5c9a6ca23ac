// The phone side of the tests: wx storage in memory, wx.request/wx.uploadFile answered by the test's API handler,
// each answer checked against the route's response schema in the API's OpenAPI document (a test with a stub the
// API would never send fails: tests/support/after.ts), navigation recorded.
import { API_BASE_URL } from '../../app/lib/config';
import { photoOut } from './api';
import { answerErrors } from './schema';

export interface Sent {
  method: string;
  url: string;
  data: unknown;
  header: Record<string, string>;
}

export interface Answer {
  status: number;
  body?: unknown;
  header?: Record<string, string>;
  fail?: boolean; // no answer at all: the network dropped
  offContract?: boolean; // deliberately not the API's answer (a proxy's error page): not checked
}

/** Check a stubbed answer against the API's document; what is wrong is kept for the test's end. */
function checked(method: string, url: string, answer: Answer): Answer {
  if (!answer.fail && !answer.offContract) phone.contractErrors.push(...answerErrors(method, url, API_BASE_URL, answer.status, answer.body));
  return answer;
}

export type Handler = (req: Sent) => Answer;

export const phone = {
  storage: new Map<string, unknown>(),
  sent: [] as Sent[],
  uploads: [] as Array<{ url: string; filePath: string; formData: Record<string, string>; header: Record<string, string> }>,
  handler: ((req: Sent) => ({ status: 404, body: { code: 'not_found', message: `no stub for ${req.method} ${req.url}` } })) as Handler,
  uploadHandler: ((_filePath: string) => ({ status: 201, body: photoOut('ph-1') })) as (filePath: string) => Answer,
  contractErrors: [] as string[],
  network: 'wifi',
  navigations: [] as string[],
  toasts: [] as string[],
  chosen: [] as string[], // files wx.chooseMedia hands back
  location: { latitude: 32.39, longitude: 120.56, accuracy: 15 } as { latitude: number; longitude: number; accuracy: number } | null,
  locationTypes: [] as string[], // the `type` of each wx.getLocation call
  subscribeRequests: [] as string[][],
  subscribeAnswer: 'accept',
  loginCode: 'code-1',
  deleted: [] as string[],
  reset(): void {
    this.deleted = [];
    this.contractErrors = [];
    this.storage.clear();
    this.sent = [];
    this.uploads = [];
    this.navigations = [];
    this.toasts = [];
    this.chosen = [];
    this.subscribeRequests = [];
    this.subscribeAnswer = 'accept';
    this.network = 'wifi';
    this.location = { latitude: 32.39, longitude: 120.56, accuracy: 15 };
    this.locationTypes = [];
  },
};

type Callbacks = { success?: (r: unknown) => void; fail?: (e: unknown) => void; complete?: () => void };

function later(fn: () => void): void {
  Promise.resolve().then(fn);
}

function nav(kind: string) {
  return (o: { url: string } & Callbacks) => {
    phone.navigations.push(`${kind} ${o.url}`);
    later(() => o.success?.({}));
    return Promise.resolve({});
  };
}

const info = { windowWidth: 375, windowHeight: 667, screenWidth: 375, screenHeight: 667, pixelRatio: 2, platform: 'devtools', SDKVersion: '3.4.0', statusBarHeight: 20, safeArea: { top: 20, bottom: 667, left: 0, right: 375, width: 375, height: 647 }, theme: 'light' };

export const fakeWx = {
  getSystemInfoSync: () => info,
  getWindowInfo: () => info,
  getDeviceInfo: () => info,
  getAppBaseInfo: () => info,
  getMenuButtonBoundingClientRect: () => ({ top: 24, bottom: 56, left: 280, right: 367, width: 87, height: 32 }),
  getStorageSync: (key: string) => (phone.storage.has(key) ? JSON.parse(JSON.stringify(phone.storage.get(key))) : ''),
  setStorageSync: (key: string, value: unknown) => phone.storage.set(key, JSON.parse(JSON.stringify(value))),
  removeStorageSync: (key: string) => phone.storage.delete(key),
  request: (o: { url: string; method?: string; data?: unknown; header?: Record<string, string> } & Callbacks) => {
    const req: Sent = { method: o.method ?? 'GET', url: o.url, data: o.data, header: o.header ?? {} };
    phone.sent.push(req);
    const answer = checked(req.method, req.url, phone.handler(req));
    later(() => {
      if (answer.fail) o.fail?.({ errMsg: 'request:fail timeout' });
      else o.success?.({ statusCode: answer.status, data: answer.body ?? '', header: answer.header ?? {} });
    });
  },
  uploadFile: (o: { url: string; filePath: string; formData: Record<string, string>; header: Record<string, string> } & Callbacks) => {
    phone.uploads.push({ url: o.url, filePath: o.filePath, formData: o.formData, header: o.header });
    const answer = checked('POST', o.url, phone.uploadHandler(o.filePath));
    later(() => {
      if (answer.fail) o.fail?.({ errMsg: 'uploadFile:fail' });
      else o.success?.({ statusCode: answer.status, data: JSON.stringify(answer.body ?? {}) });
    });
  },
  getNetworkType: (o: Callbacks) => later(() => o.success?.({ networkType: phone.network })),
  login: (o: Callbacks) => later(() => o.success?.({ code: phone.loginCode, errMsg: 'login:ok' })),
  reLaunch: nav('reLaunch'),
  redirectTo: nav('redirectTo'),
  navigateTo: nav('navigateTo'),
  navigateBack: () => phone.navigations.push('navigateBack'),
  showToast: (o: { title: string }) => phone.toasts.push(o.title),
  showModal: (o: { content: string } & Callbacks) => {
    phone.toasts.push(o.content);
    later(() => o.success?.({ confirm: true }));
  },
  showLoading: () => undefined,
  hideLoading: () => undefined,
  stopPullDownRefresh: () => undefined,
  chooseMedia: (o: { count: number } & Callbacks) =>
    later(() => o.success?.({ tempFiles: phone.chosen.slice(0, o.count).map((tempFilePath) => ({ tempFilePath })) })),
  scanCode: (o: Callbacks) => later(() => o.success?.({ result: 'MN-SCANNED-0001' })),
  getLocation: (o: { type?: string } & Callbacks) => {
    phone.locationTypes.push(o.type ?? 'wgs84');
    later(() => (phone.location ? o.success?.(phone.location) : o.fail?.({ errMsg: 'getLocation:fail auth deny' })));
  },
  requestSubscribeMessage: (o: { tmplIds: string[] } & Callbacks) => {
    phone.subscribeRequests.push(o.tmplIds);
    later(() => o.success?.({ errMsg: 'requestSubscribeMessage:ok', ...Object.fromEntries(o.tmplIds.map((t) => [t, phone.subscribeAnswer])) }));
  },
  createSelectorQuery: () => {
    const q = { in: () => q, select: () => q, fields: () => q, exec: (cb: (r: unknown[]) => void) => later(() => cb([null])) };
    return q;
  },
  nextTick: (fn: () => void) => later(fn),
  onWindowResize: () => undefined,
  offWindowResize: () => undefined,
  canIUse: () => true,
  env: { USER_DATA_PATH: 'wxfile://usr' },
  getFileSystemManager: () => ({
    // Photos kept in the mini-program's storage: the saved path names the temporary one it came from.
    saveFile: (o: { tempFilePath: string } & Callbacks) =>
      later(() => o.success?.({ savedFilePath: `wxfile://usr/${o.tempFilePath.split('/').pop()}` })),
    unlink: (o: { filePath: string } & Callbacks) => {
      phone.deleted.push(o.filePath);
      later(() => o.success?.({}));
    },
  }),
};
