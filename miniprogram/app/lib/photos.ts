// Choosing photos from the camera or the album, never more than the form's remaining room (≤ 9 in all); each kept
// in the mini-program's own storage so a draft's photos outlive the temporary files (gone when WeChat restarts).
export const MAX_PHOTOS = 9;

function keep(tempFilePath: string): Promise<string> {
  return new Promise((resolve) => {
    wx.getFileSystemManager().saveFile({
      tempFilePath,
      success: (res) => resolve(res.savedFilePath),
      fail: () => resolve(tempFilePath), // storage full: the temporary file still serves this session
    });
  });
}

export function choosePhotos(already: number): Promise<string[]> {
  const room = MAX_PHOTOS - already;
  if (room <= 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    wx.chooseMedia({
      count: room,
      mediaType: ['image'],
      sourceType: ['camera', 'album'],
      sizeType: ['compressed'],
      success: (res) => void Promise.all(res.tempFiles.slice(0, room).map((f) => keep(f.tempFilePath))).then(resolve),
      fail: () => resolve([]), // cancelled
    });
  });
}

/** Delete kept photos once their form is accepted (or a photo is taken off the form). */
export function discardPhotos(paths: string[]): void {
  const fs = wx.getFileSystemManager();
  for (const filePath of paths) {
    if (filePath.startsWith(wx.env.USER_DATA_PATH)) fs.unlink({ filePath, fail: () => undefined });
  }
}

/** The API's location: WGS-84 as the API asks (and the terminals' GPS reports), with the phone's accuracy. */
export interface Place {
  lat: number;
  lon: number;
  accuracy_m: number | null;
}

export function currentLocation(): Promise<Place | null> {
  return new Promise((resolve) => {
    wx.getLocation({
      type: 'wgs84',
      success: (res) =>
        resolve({
          lat: res.latitude,
          lon: res.longitude,
          accuracy_m: Number.isFinite(res.accuracy) && res.accuracy >= 0 ? res.accuracy : null,
        }),
      fail: () => resolve(null), // refused or unavailable: the form goes without
    });
  });
}
