import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { backoff, usePolling } from '@/utils/polling'

describe('backoff', () => {
  it('doubles after each failure up to the cap, back to the interval after a success', () => {
    const p = backoff(30_000, 300_000)
    expect([0, 1, 2, 3, 4, 5].map((f) => p.delay(f))).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000])
  })
})

describe('usePolling', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('loads now, again after the interval, slower after failures, and stops when unmounted', async () => {
    const outcomes = [true, false, false, true, true]
    const calls: number[] = []
    const load = async () => {
      calls.push(Date.now())
      if (!outcomes[calls.length - 1]) throw new Error('down')
    }
    const Host = defineComponent({ setup: () => (usePolling(load, 1000, 10_000), () => h('div')) })
    const start = Date.now()
    const w = mount(Host)
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1000) // success → 1 s
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1999) // one failure → 2 s
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(4000) // two failures → 4 s
    expect(calls).toHaveLength(4)
    await vi.advanceTimersByTimeAsync(1000) // success again → 1 s
    expect(calls.map((t) => t - start)).toEqual([0, 1000, 3000, 7000, 8000])
    w.unmount()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls).toHaveLength(5)
  })
})
