// Photos sent one by one with wx.uploadFile (multipart POST /photos); a photo already on the server is never sent
// again, so a retry after a dropped connection resumes with the photos still missing.
import { API_BASE_URL } from './config';
import { ApiFailure, endsSession, failureOf, freshAccessToken, NETWORK_MESSAGE, revoked, withBackoff } from './http';
import { discardPhotos, MAX_PHOTOS } from './photos';
import { ROUTES } from './routes';

/** The API's PhotoKind enum (the contract test compares them). */
export const PHOTO_KINDS = ['installation', 'site', 'alarm_response', 'verification', 'fault', 'other'] as const;
export type PhotoKind = (typeof PHOTO_KINDS)[number];
export { MAX_PHOTOS };
const DONE_KEY = 'uploaded-photos'; // local file path → photo_id, kept until the form is sent

function uploadedMap(): Record<string, string> {
  const value = wx.getStorageSync(DONE_KEY) as Record<string, string> | '';
  return value && typeof value === 'object' ? value : {};
}

function uploadOnce(filePath: string, form: Record<string, string>, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: API_BASE_URL + ROUTES.uploadPhoto.path,
      filePath,
      name: 'file',
      formData: form,
      header: { Authorization: `Bearer ${token}`, 'X-Client-Channel': 'miniprogram' },
      success: (res) => {
        let data: unknown = res.data;
        try {
          data = JSON.parse(res.data);
        } catch {
          // not JSON: failureOf gives the generic message
        }
        if (res.statusCode === 201) resolve((data as { photo_id: string }).photo_id);
        else reject(failureOf(res.statusCode, data));
      },
      fail: () => reject(new ApiFailure(0, 'network', NETWORK_MESSAGE)),
    });
  });
}

/** Upload every photo not yet on the server; answers their ids in the order given. */
export async function uploadPhotos(
  filePaths: string[],
  target: { enterpriseId: string; kind: PhotoKind; subjectId?: string },
): Promise<string[]> {
  if (filePaths.length > MAX_PHOTOS) throw new ApiFailure(0, 'too_many_photos', `最多上传 ${MAX_PHOTOS} 张照片`);
  const ids: string[] = [];
  for (const filePath of filePaths) {
    const done = uploadedMap();
    if (done[filePath]) {
      ids.push(done[filePath]);
      continue;
    }
    const form: Record<string, string> = { enterprise_id: target.enterpriseId, kind: target.kind };
    if (target.subjectId) form.subject_id = target.subjectId;
    let id: string;
    try {
      id = await withBackoff(
        async () => uploadOnce(filePath, form, await freshAccessToken()),
        (_id, err) => (err instanceof ApiFailure && [0, 429, 503].includes(err.status) ? 0 : null),
      );
    } catch (err) {
      // revoked while uploading: to the binding page, as any other call (the photos uploaded so far stay recorded)
      if (endsSession(err)) throw revoked(err as ApiFailure);
      throw err;
    }
    wx.setStorageSync(DONE_KEY, { ...uploadedMap(), [filePath]: id });
    ids.push(id);
  }
  return ids;
}

/** Forget the uploads of a form once the server has the form (the ids now live there); delete the kept files. */
export function forgetUploads(filePaths: string[]): void {
  const done = uploadedMap();
  for (const filePath of filePaths) delete done[filePath];
  wx.setStorageSync(DONE_KEY, done);
  discardPhotos(filePaths);
}
