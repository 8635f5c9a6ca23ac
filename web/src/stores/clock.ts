// The platform's "now" (GET /health): time limits run on the platform's clock, which a demo accelerates, so the
// desk counts down from the server's time, not the browser's. Re-read at every list refresh.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '@/api/client'

export const usePlatformClock = defineStore('platformClock', () => {
  const offsetMs = ref(0) // platform time minus browser time at the last reading
  const tick = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | undefined

  async function sync(): Promise<void> {
    const before = Date.now()
    const health = await api.get('/health', { quiet: true })
    const after = Date.now()
    offsetMs.value = new Date(health.time).getTime() - (before + after) / 2
  }

  /** Start the one-second tick the countdowns follow (idempotent). */
  function start(): void {
    timer ??= setInterval(() => (tick.value = Date.now()), 1000)
  }

  const now = computed(() => tick.value + offsetMs.value)
  return { offsetMs, now, sync, start }
})
