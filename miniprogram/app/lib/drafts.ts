// Forms kept on the phone until the server has them: saved on every change, cleared only after success.
const PREFIX = 'draft:';

export function loadDraft<T extends object>(key: string): Partial<T> {
  const value = wx.getStorageSync(PREFIX + key) as Partial<T> | '';
  return value && typeof value === 'object' ? value : {};
}

export function saveDraft<T extends object>(key: string, value: T): void {
  wx.setStorageSync(PREFIX + key, value);
}

export function clearDraft(key: string): void {
  wx.removeStorageSync(PREFIX + key);
}
