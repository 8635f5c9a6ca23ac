import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { installSession } from '@/api/client'
import MonthlyReportCard from '@/views/MonthlyReportCard.vue'
import { monthlyScopes } from '@/views/reports'

const towns = [{ id: 't1', name: '江安镇' }]
const branches = [{ id: 'b6', name: '执法六局' }]
let requests: string[]
let saved: string[]

beforeEach(() => {
  setActivePinia(createPinia())
  requests = []
  saved = []
  installSession({
    accessToken: () => 'token-1',
    refreshToken: () => null,
    saveTokens: () => undefined,
    expired: () => undefined,
    notify: () => undefined,
  })
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: () => 'blob:report', revokeObjectURL: () => undefined }))
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.push(this.download)
  })
  vi.stubGlobal('fetch', async (url: string) => {
    if (url.includes('/health')) {
      // a demo's platform: still in November while the browser's month is later
      return new Response(JSON.stringify({ status: 'ok', time: '2026-11-30T08:05:00+08:00', rate: 10 }), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      })
    }
    requests.push(url)
    const name = encodeURIComponent('江安镇工况用电监控月度报告（2026年11月）.pdf')
    return new Response(new Uint8Array([37, 80, 68, 70]), {
      status: 200,
      headers: { 'Content-Disposition': `attachment; filename="m.pdf"; filename*=UTF-8''${name}` },
    })
  })
})
afterEach(() => vi.restoreAllMocks())

describe('monthly report scopes', () => {
  it('lets the county roles pick the county, a town or a branch, and a branch or town nothing', () => {
    expect(monthlyScopes('air', towns, branches).map((s) => s.value)).toEqual(['county', 'town:t1', 'branch:b6'])
    expect(monthlyScopes('viewer', towns, branches)[1]?.label).toBe('镇（街道）：江安镇')
    expect(monthlyScopes('branch', towns, branches)).toEqual([])
    expect(monthlyScopes('town', towns, branches)).toEqual([])
  })
})

describe('MonthlyReportCard', () => {
  it('downloads the chosen unit’s report as PDF under the server’s Chinese name', async () => {
    const w = mount(MonthlyReportCard, { props: { role: 'air', towns, branches }, global: { plugins: [ElementPlus] } })
    await flushPromises()
    ;(w.vm as unknown as { scope: string }).scope = 'town:t1'
    await w.find('button.monthly-pdf').trigger('click')
    await flushPromises()
    expect(requests).toHaveLength(1)
    const url = new URL(requests[0] ?? '', 'http://x')
    expect(url.pathname).toBe('/api/v1/reports/monthly')
    expect(url.searchParams.get('scope')).toBe('town:t1')
    expect(url.searchParams.get('format')).toBe('pdf')
    expect(url.searchParams.get('month')).toBe('2026-11') // the platform's month, not the browser's
    expect(saved).toEqual(['江安镇工况用电监控月度报告（2026年11月）.pdf'])
  })
  it('asks a branch account’s own unit: no scope picker, no scope parameter', async () => {
    const w = mount(MonthlyReportCard, { props: { role: 'branch', towns, branches }, global: { plugins: [ElementPlus] } })
    expect(w.find('.own-unit').text()).toBe('本单位')
    await w.find('button.monthly-xlsx').trigger('click')
    await flushPromises()
    const url = new URL(requests[0] ?? '', 'http://x')
    expect(url.searchParams.has('scope')).toBe(false)
    expect(url.searchParams.get('format')).toBe('xlsx')
  })
})
