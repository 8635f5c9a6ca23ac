import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { installSession, type Schemas } from '@/api/client'
import EvidenceButton from '@/components/EvidenceButton.vue'
import { useSession } from '@/stores/session'

const ALARM = 'control_stopped|line-1/pt-fan|20261130T010000Z'
let clicked: string[]
let requests: string[]

function signedInWith(actions: string[]) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useSession().me = { actions } as unknown as Schemas['MeOut']
  return pinia
}

beforeEach(() => {
  clicked = []
  requests = []
  installSession({
    accessToken: () => 'token-1',
    refreshToken: () => null,
    saveTokens: () => undefined,
    expired: () => undefined,
    notify: () => undefined,
  })
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: () => 'blob:zip', revokeObjectURL: () => undefined }))
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push(this.download)
  })
  const name = '证据包-某公司-202611300800.zip'
  vi.stubGlobal('fetch', async (url: string) => {
    requests.push(url)
    return new Response(new Uint8Array([80, 75, 3, 4]), {
      status: 200,
      headers: { 'Content-Disposition': `attachment; filename="e.zip"; filename*=UTF-8''${encodeURIComponent(name)}` },
    })
  })
})
afterEach(() => vi.restoreAllMocks())

describe('导出证据包', () => {
  it('downloads the alarm’s package, its id one encoded path segment, under the server’s name', async () => {
    const w = mount(EvidenceButton, { props: { alarmId: ALARM }, global: { plugins: [signedInWith(['alarms.read', 'alarms.evidence']), ElementPlus] } })
    const button = w.get('[data-test="export-evidence"]')
    expect(button.text()).toBe('导出证据包')
    await button.trigger('click')
    await flushPromises()
    expect(requests).toEqual([`/api/v1/alarms/${encodeURIComponent(ALARM)}/evidence`])
    expect(requests[0]).not.toContain('/pt-fan')
    expect(clicked).toEqual(['证据包-某公司-202611300800.zip'])
  })
  it('is not offered to a role the policy does not let export (enterprise, viewer…)', () => {
    const w = mount(EvidenceButton, { props: { alarmId: ALARM }, global: { plugins: [signedInWith(['alarms.read', 'alarms.respond']), ElementPlus] } })
    expect(w.find('[data-test="export-evidence"]').exists()).toBe(false)
  })
})
