// What the field forms share (respond, verify, fault report, maintenance): photos (≤ 9, kept on the phone), the
// place of the visit as the API's structured `location`, and the draft written after each change.
import { saveDraft } from './drafts';
import { choosePhotos, currentLocation, discardPhotos, MAX_PHOTOS, type Place } from './photos';

export type { Place };

export interface FieldDraft {
  text: string;
  photos: string[];
  location: Place | null;
}

interface DraftPage {
  draftKey(): string;
  draftValue(): object;
  setData(d: Record<string, unknown>): void;
}
interface PhotoPage extends DraftPage {
  data: { photos: string[] };
}
interface PlacePage extends DraftPage {
  data: { location: Place | null };
}

export function keepDraft(page: DraftPage): void {
  saveDraft(page.draftKey(), page.draftValue());
}

/** A draft's place; drafts written before the accuracy was kept have none. */
export function placeOf(value: unknown): Place | null {
  const v = value as Partial<Place> | null | undefined;
  if (!v || typeof v.lat !== 'number' || typeof v.lon !== 'number') return null;
  return { lat: v.lat, lon: v.lon, accuracy_m: typeof v.accuracy_m === 'number' ? v.accuracy_m : null };
}

export async function addPhotos(page: PhotoPage): Promise<void> {
  const chosen = await choosePhotos(page.data.photos.length);
  page.setData({ photos: [...page.data.photos, ...chosen].slice(0, MAX_PHOTOS), 'errors.photos': '' });
  keepDraft(page);
}

export function removePhoto(page: PhotoPage, index: number): void {
  discardPhotos([page.data.photos[index]]);
  page.setData({ photos: page.data.photos.filter((_p, i) => i !== index) });
  keepDraft(page);
}

export async function locate(page: PlacePage): Promise<void> {
  const location = await currentLocation();
  if (!location) wx.showToast({ title: '未获得定位，请在设置中允许使用位置', icon: 'none' });
  page.setData({ location });
  keepDraft(page);
}

/** The place as the form shows it. */
export function placeText(place: Place | null): string {
  if (!place) return '未记录位置';
  const accuracy = place.accuracy_m === null ? '' : `（误差约 ${Math.round(place.accuracy_m)} 米）`;
  return `位置：${place.lat.toFixed(5)}, ${place.lon.toFixed(5)}${accuracy}`;
}
