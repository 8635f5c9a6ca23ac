import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { usePlatformClock } from '@/stores/clock'

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('platform clock', () => {
  it("ticks at the platform's rate between readings (a ×10 demo does not drift)", async () => {
    vi.useFakeTimers({ now: new Date('2026-12-06T15:00:00+08:00'), toFake: ['setInterval', 'Date'] })
    vi.stubGlobal('fetch', vi.fn(async () => new Response(
      JSON.stringify({ status: 'ok', time: '2026-11-30T08:00:00+08:00', rate: 10 }),
      { status: 200, headers: { 'Content-Type': 'application/json' } },
    )))
    setActivePinia(createPinia())
    const clock = usePlatformClock()
    await clock.sync()
    clock.start()
    expect(new Date(clock.now).toISOString()).toBe('2026-11-30T00:00:00.000Z')
    vi.advanceTimersByTime(60_000) // one wall minute = ten platform minutes
    expect(new Date(clock.now).toISOString()).toBe('2026-11-30T00:10:00.000Z')
    expect(clock.rate).toBe(10)
  })
  it("ready() reads the platform's time once and falls back to the browser's when the API is down", async () => {
    vi.useFakeTimers({ now: new Date('2026-12-06T15:00:00+08:00'), toFake: ['Date'] })
    const fetch = vi.fn(async () => new Response('{}', { status: 503 }))
    vi.stubGlobal('fetch', fetch)
    setActivePinia(createPinia())
    const clock = usePlatformClock()
    expect(await clock.ready()).toBe(new Date('2026-12-06T15:00:00+08:00').getTime())
  })
})
