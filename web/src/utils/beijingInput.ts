// Date-time pickers show Beijing wall time whatever the browser's zone: `YYYY-MM-DDTHH:mm:ss` without an offset
// in the picker, the same with +08:00 for the API.
const OFFSET_MS = 8 * 3600_000

/** `2026-12-06T19:05:00` (Beijing) for a picker, seconds dropped. */
export function toPicker(at: Date): string {
  return `${new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 16)}:00`
}

/** The picker's value as the API's ISO time with offset; '' stays '' (the form says it is required). */
export function fromPicker(value: string): string {
  return value ? `${value.slice(0, 19)}+08:00` : ''
}
