// Choosing photos from the camera or the album, never more than the form's remaining room (≤ 9 in all).
import { MAX_PHOTOS } from './uploads';

export function choosePhotos(already: number): Promise<string[]> {
  const room = MAX_PHOTOS - already;
  if (room <= 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    wx.chooseMedia({
      count: room,
      mediaType: ['image'],
      sourceType: ['camera', 'album'],
      sizeType: ['compressed'],
      success: (res) => resolve(res.tempFiles.map((f) => f.tempFilePath).slice(0, room)),
      fail: () => resolve([]), // cancelled
    });
  });
}

export function currentLocation(): Promise<{ lat: number; lon: number } | null> {
  return new Promise((resolve) => {
    wx.getLocation({
      type: 'gcj02',
      success: (res) => resolve({ lat: res.latitude, lon: res.longitude }),
      fail: () => resolve(null), // refused or unavailable: the form goes without
    });
  });
}
