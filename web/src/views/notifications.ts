// 通知记录: the platform's names of notification states, channels and events (generated labels), and a state's colour.
import generated from '@/api/labels.json'

export const OUTBOX_STATUS_NAMES: Record<string, string> = generated.notify_statuses
export const CHANNEL_NAMES: Record<string, string> = generated.notify_channels
export const EVENT_NAMES: Record<string, string> = generated.notify_events

type TagType = 'primary' | 'success' | 'warning' | 'info' | 'danger'
const TAGS: Record<string, TagType> = {
  queued: 'info',
  sending: 'primary',
  sent: 'primary',
  delivered: 'success',
  failed: 'danger',
  merged: 'success',
  unreachable: 'warning',
  cancelled: 'info',
}

export function statusTag(status: string): TagType {
  return TAGS[status] ?? 'info'
}
