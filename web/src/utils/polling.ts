// Refresh without reload: run `load` now and every `intervalMs`; after a failure wait twice as long each time (up to
// `maxMs`), back to the interval after a success; no requests while the tab is hidden, one at once on return.
import { onBeforeUnmount, onMounted, ref } from 'vue'

export interface Poller {
  /** Delay before the next run, given how many runs in a row failed. */
  delay(failures: number): number
}

export function backoff(intervalMs: number, maxMs: number): Poller {
  return { delay: (failures) => Math.min(intervalMs * 2 ** failures, Math.max(maxMs, intervalMs)) }
}

export function usePolling(load: () => Promise<void>, intervalMs: number, maxMs = 5 * 60_000) {
  const failures = ref(0)
  const lastOk = ref<Date | null>(null)
  const policy = backoff(intervalMs, maxMs)
  let timer: ReturnType<typeof setTimeout> | undefined
  let running = false
  let stopped = false

  async function run(): Promise<void> {
    if (running || stopped) return
    clearTimeout(timer)
    running = true
    try {
      await load()
      failures.value = 0
      lastOk.value = new Date()
    } catch {
      failures.value += 1
    } finally {
      running = false
    }
    schedule()
  }

  function schedule(): void {
    clearTimeout(timer)
    if (stopped || document.hidden) return
    timer = setTimeout(() => void run(), policy.delay(failures.value))
  }

  function visibility(): void {
    if (!document.hidden) void run()
    else clearTimeout(timer)
  }

  onMounted(() => {
    document.addEventListener('visibilitychange', visibility)
    void run()
  })
  onBeforeUnmount(() => {
    stopped = true
    clearTimeout(timer)
    document.removeEventListener('visibilitychange', visibility)
  })
  return { failures, lastOk, refresh: run }
}
