// The platform's "now" (GET /health): time limits run on the platform's clock, which a demo accelerates (×10), so
// every screen counts and queries from the server's time and rate, not the browser's. Re-read at list refreshes.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '@/api/client'

export const usePlatformClock = defineStore('platformClock', () => {
  const platformAt = ref(Date.now()) // platform time at the last reading (ms)
  const wallAt = ref(Date.now()) // browser time of that reading
  const rate = ref(1) // platform seconds per wall second
  const synced = ref(false)
  const tick = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | undefined
  let pending: Promise<void> | undefined

  async function sync(): Promise<void> {
    const before = Date.now()
    const health = await api.get('/health', { quiet: true })
    const after = Date.now()
    platformAt.value = new Date(health.time).getTime()
    wallAt.value = (before + after) / 2
    rate.value = health.rate > 0 ? health.rate : 1
    synced.value = true
    tick.value = Date.now()
  }

  /** The platform's time once read (reads it the first time; a failed read leaves the browser's time). */
  async function ready(): Promise<number> {
    if (!synced.value) {
      pending ??= sync().catch(() => undefined).finally(() => (pending = undefined))
      await pending
    }
    return at(Date.now())
  }

  /** Start the one-second tick the countdowns follow (idempotent). */
  function start(): void {
    timer ??= setInterval(() => (tick.value = Date.now()), 1000)
  }

  function at(wall: number): number {
    return platformAt.value + (wall - wallAt.value) * rate.value
  }

  const now = computed(() => at(tick.value))
  /** Platform time minus browser time now (kept for screens that shift a browser time). */
  const offsetMs = computed(() => now.value - tick.value)
  return { offsetMs, rate, now, synced, sync, ready, start, at }
})
