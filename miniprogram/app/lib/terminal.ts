// Terminal identifiers as an installer meets them: typed, or scanned from the label's QR/bar code.
const MN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The MN in a scan result: "MN=..." / "MN:..." inside a longer text, or the whole code; null if none fits. */
export function mnFromScan(result: string): string | null {
  const text = result.trim();
  const tagged = /(?:^|[^A-Za-z])MN[=:]\s*([A-Za-z0-9._:-]{1,64})/i.exec(text);
  const mn = tagged ? tagged[1] : text;
  return MN_PATTERN.test(mn) ? mn : null;
}

export function validMn(mn: string): boolean {
  return MN_PATTERN.test(mn);
}

/** Command states a person can still wait on (the page keeps polling while one is in them). */
export const OPEN_COMMAND_STATES = new Set(['queued', 'sent', 'acknowledged']);
/** Command states whose `detail` says what went wrong. */
export const FAILED_COMMAND_STATES = new Set(['failed', 'timed_out']);

export const MINUTE_INTERVALS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
export const PASSWORD_PATTERN = /^[A-Za-z0-9]{1,6}$/;
