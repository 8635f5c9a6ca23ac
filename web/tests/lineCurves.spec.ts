import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Schemas } from '@/api/client'
import LineCurves from '@/components/enterprise/LineCurves.vue'

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

const line = {
  association_id: 'a1', name: '1号线', production_on_kw: 2, control_on_kw: 1,
  control: { facility_id: 'f-c', name: '风机' }, production: [{ facility_id: 'f-p', name: '喷涂' }],
} as unknown as Schemas['LineItem']
const points = [
  { point_id: 'p-c', facility_id: 'f-c', point_code: 'C1' },
  { point_id: 'p-p', facility_id: 'f-p', point_code: 'P1' },
] as unknown as Schemas['PointItem'][]

describe('LineCurves', () => {
  it("asks for today's series from the platform's midnight, not the browser's", async () => {
    vi.useFakeTimers({ now: new Date('2026-12-06T15:00:00+08:00'), toFake: ['Date'] })
    const asked: URL[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      const u = new URL(url, 'http://x')
      if (u.pathname.endsWith('/health')) {
        return Response.json({ status: 'ok', time: '2026-11-30T08:40:00+08:00', rate: 10 })
      }
      asked.push(u)
      return Response.json({ point_id: 'p', start: '', end: '', resolution: 'minute', quantities: {}, rows: [], gaps: [] })
    }))
    setActivePinia(createPinia())
    mount(LineCurves, { props: { line, points }, global: { plugins: [ElementPlus], stubs: { PowerChart: true } } })
    await flushPromises()
    expect(asked.map((u) => u.pathname)).toEqual(['/api/v1/points/p-c/series', '/api/v1/points/p-p/series'])
    for (const u of asked) {
      expect(u.searchParams.get('start')).toBe('2026-11-30T00:00:00+08:00')
      expect(u.searchParams.get('end')?.startsWith('2026-11-30T08:40')).toBe(true)
    }
  })
})
