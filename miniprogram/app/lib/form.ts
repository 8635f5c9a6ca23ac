// Shared form plumbing for the pages: one input handler per page keeps the draft on the phone as the user types.
import { saveDraft } from './drafts';

export interface InputEvent {
  detail: { value: unknown };
  currentTarget: { dataset: { field: string } };
}

/** setData for the changed field and the same change into the draft. */
export function applyInput(
  page: { data: Record<string, unknown>; setData(d: Record<string, unknown>): void },
  draftKey: string,
  fields: readonly string[],
  e: InputEvent,
): void {
  const name = e.currentTarget.dataset.field;
  const raw = e.detail.value;
  const value = typeof raw === 'string' ? raw : raw === undefined || raw === null ? '' : String(raw);
  page.setData({ [name]: value, [`errors.${name}`]: '' });
  const draft: Record<string, unknown> = {};
  for (const f of fields) draft[f] = f === name ? value : page.data[f];
  saveDraft(draftKey, draft);
}
