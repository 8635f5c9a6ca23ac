import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, installSession } from '@/api/client'
import { download } from '@/utils/download'

let clicked: { name: string; href: string }[]
let requests: { url: string; auth: string | null }[]

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
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: () => 'blob:report', revokeObjectURL: () => undefined }))
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push({ name: this.download, href: this.href })
  })
})
afterEach(() => vi.restoreAllMocks())

function answer(reply: Response): void {
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    requests.push({ url, auth: new Headers(init.headers).get('Authorization') })
    return reply
  })
}

describe('download', () => {
  it('saves the bytes under the server’s Chinese name, with the session’s token', async () => {
    const name = '应急管控执行情况-a1.xlsx'
    answer(
      new Response(new Uint8Array([80, 75, 3, 4]), {
        status: 200,
        headers: { 'Content-Disposition': `attachment; filename="x.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}` },
      }),
    )
    expect(await download('/api/v1/emergency/alerts/a1/compliance.xlsx', 'fallback.xlsx')).toBe(name)
    expect(clicked).toEqual([{ name, href: 'blob:report' }])
    expect(requests[0]?.auth).toBe('Bearer token-1')
  })
  it('turns an API error into its Chinese message and saves nothing', async () => {
    answer(
      new Response(JSON.stringify({ code: 'not_found', message: '预警不存在', field: null }), {
        status: 404,
        headers: { 'Content-Type': 'application/json' },
      }),
    )
    const err = await download('/api/v1/emergency/alerts/x/compliance.xlsx', 'f.xlsx').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).message).toBe('预警不存在')
    expect(clicked).toEqual([])
  })
})
