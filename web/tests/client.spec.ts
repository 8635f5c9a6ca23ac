import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, api, buildUrl, installSession, type Schemas, type SessionHooks } from '@/api/client'

interface Seen {
  url: string
  method: string
  auth: string | null
  body: string | null
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

let seen: Seen[]
let answers: ((req: Seen) => Response)[]
let hooks: SessionHooks & { access: string | null; refresh: string | null; expiredCalls: number; shown: string[] }

beforeEach(() => {
  seen = []
  answers = []
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    const req = { url, method: init.method ?? 'GET', auth: headers.get('Authorization'), body: (init.body as string) ?? null }
    seen.push(req)
    const next = answers.shift()
    if (!next) throw new Error(`unexpected request ${req.method} ${url}`)
    return next(req)
  })
  hooks = {
    access: 'old-access',
    refresh: 'old-refresh',
    expiredCalls: 0,
    shown: [],
    accessToken: () => hooks.access,
    refreshToken: () => hooks.refresh,
    saveTokens: (t: Schemas['TokensOut']) => {
      hooks.access = t.access_token
      hooks.refresh = t.refresh_token
    },
    expired: () => {
      hooks.expiredCalls += 1
      hooks.access = null
    },
    notify: (m: string) => hooks.shown.push(m),
  }
  installSession(hooks)
})
afterEach(() => vi.unstubAllGlobals())

const TOKENS = { access_token: 'new-access', refresh_token: 'new-refresh', expires_in: 900, expires_at: '', token_type: 'Bearer' }

describe('api client', () => {
  it('sends the bearer token and decodes the reply', async () => {
    answers.push(() => json(200, { id: 'a1', actions: [] }))
    const me = await api.get('/me')
    expect(me.id).toBe('a1')
    expect(seen[0]).toMatchObject({ url: '/api/v1/me', method: 'GET', auth: 'Bearer old-access' })
  })

  it('refreshes quietly once on an expired token and retries with the new one', async () => {
    answers.push(() => json(401, { code: 'token_expired', message: '登录已过期', field: null }))
    answers.push((req) => {
      expect(req.url).toBe('/api/v1/auth/refresh')
      expect(JSON.parse(req.body ?? '{}')).toEqual({ refresh_token: 'old-refresh' })
      return json(200, TOKENS)
    })
    answers.push(() => json(200, { id: 'a1', actions: [] }))
    await api.get('/me')
    expect(seen.map((s) => s.auth)).toEqual(['Bearer old-access', null, 'Bearer new-access'])
    expect(hooks.refresh).toBe('new-refresh')
    expect(hooks.expiredCalls).toBe(0)
    expect(hooks.shown).toEqual([])
  })

  it('concurrent calls share one refresh', async () => {
    const expired = () => json(401, { code: 'token_expired', message: '登录已过期', field: null })
    answers.push(expired, expired, () => json(200, TOKENS), () => json(200, { id: 'x' }), () => json(200, { id: 'x' }))
    await Promise.all([api.get('/me'), api.get('/me')])
    expect(seen.filter((s) => s.url.endsWith('/auth/refresh'))).toHaveLength(1)
  })

  it('ends the session when refresh is refused', async () => {
    answers.push(() => json(401, { code: 'token_expired', message: '登录已过期', field: null }))
    answers.push(() => json(401, { code: 'refresh_reused', message: '登录已失效', field: null }))
    await expect(api.get('/me')).rejects.toMatchObject({ status: 401 })
    expect(hooks.expiredCalls).toBe(1)
    expect(hooks.shown).toEqual([]) // the login page says it; no error toast on top
  })

  it('raises the API error with its Chinese message and shows it unless quiet', async () => {
    const conflict = { code: 'conflict', message: '报警已被他人更新，请刷新后重试', field: 'version' }
    answers.push(() => json(409, conflict), () => json(409, conflict))
    const err = await api.get('/me').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 409, code: 'conflict', field: 'version', isConflict: true })
    expect(hooks.shown).toEqual(['报警已被他人更新，请刷新后重试'])
    await api.get('/me', { quiet: true }).catch(() => undefined)
    expect(hooks.shown).toHaveLength(1)
  })

  it('says so in Chinese when the answer is not the API shape or the network is down', async () => {
    answers.push(() => new Response('<html>bad gateway</html>', { status: 502 }))
    await expect(api.get('/me', { quiet: true })).rejects.toMatchObject({ status: 502, message: '服务器返回错误（502）' })
    answers.push(() => {
      throw new TypeError('Failed to fetch')
    })
    await expect(api.get('/me', { quiet: true })).rejects.toMatchObject({ code: 'network_error' })
  })

  it('builds paths and queries safely', () => {
    expect(buildUrl('/alarms/{alarm_id}', { alarm_id: 'a/../b' })).toBe('/api/v1/alarms/a%2F..%2Fb')
    expect(buildUrl('/alarms', undefined, { state: ['pending', 'dispatched'], rule: '', limit: 20 })).toBe(
      '/api/v1/alarms?state=pending&state=dispatched&limit=20',
    )
  })
})
