// The one API client: typed from the OpenAPI document (schema.d.ts, generated at build), bearer token,
// a quiet refresh through /auth/refresh on an expired token, 401 → the login page and back, errors in Chinese.
import type { components, paths } from './schema'

export type Schemas = components['schemas']
export const API_BASE = '/api/v1'

type Full = keyof paths
type Short<P> = P extends `/api/v1${infer R}` ? R : never
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
type Op<P extends Full, M extends Method> = paths[P][M] extends infer O ? (O extends { responses: unknown } ? O : never) : never
export type PathsWith<M extends Method> = { [P in Full]: paths[P][M] extends { responses: unknown } ? Short<P> : never }[Full]
type FullOf<S extends string> = `/api/v1${S}` & Full

type Params<O> = O extends { parameters: infer Pm } ? Pm : never
type QueryOf<O> = Params<O> extends { query?: infer Q } ? Q : never
type PathOf<O> = Params<O> extends { path: infer Pp } ? Pp : never
type BodyOf<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never
type Ok<O> = O extends { responses: infer R }
  ? R extends { 200: { content: { 'application/json': infer T } } }
    ? T
    : R extends { 201: { content: { 'application/json': infer T } } }
      ? T
      : void
  : never

export type Reply<M extends Method, S extends PathsWith<M>> = Ok<Op<FullOf<S>, M>>
export type Query<M extends Method, S extends PathsWith<M>> = QueryOf<Op<FullOf<S>, M>>
export type Body<M extends Method, S extends PathsWith<M>> = BodyOf<Op<FullOf<S>, M>>

export interface CallOptions<O> {
  path?: PathOf<O> extends never ? undefined : PathOf<O>
  query?: QueryOf<O> extends never ? undefined : QueryOf<O>
  body?: BodyOf<O> extends never ? undefined : BodyOf<O>
  /** Do not show the error message to the user (the caller shows it its own way). */
  quiet?: boolean
  signal?: AbortSignal
}

/** An error answer of the API, `{code, message, field}` with the message in Chinese. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
  }
  get isConflict(): boolean {
    return this.status === 409
  }
}

/** What the client needs from the session (kept in the Pinia store; a plain interface for tests). */
export interface SessionHooks {
  accessToken(): string | null
  refreshToken(): string | null
  saveTokens(tokens: Schemas['TokensOut']): void
  /** The session is over (refresh refused): clear it and go to the login page, coming back afterwards. */
  expired(): void
  /** Show an error to the user. */
  notify(message: string): void
}

let hooks: SessionHooks | null = null
export function installSession(h: SessionHooks): void {
  hooks = h
}

let refreshing: Promise<boolean> | null = null

/** One refresh at a time: concurrent requests that found the token expired all wait for the same rotation. */
async function refresh(): Promise<boolean> {
  const token = hooks?.refreshToken()
  if (!hooks || !token) return false
  refreshing ??= (async () => {
    try {
      const reply = await fetch(`${API_BASE}/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Client-Channel': 'web' },
        body: JSON.stringify({ refresh_token: token }),
      })
      if (!reply.ok) return false
      hooks?.saveTokens((await reply.json()) as Schemas['TokensOut'])
      return true
    } catch {
      return false
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

export function buildUrl(path: string, params?: object, query?: object): string {
  let url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = (params as Record<string, unknown> | undefined)?.[name]
    if (value === undefined || value === null) throw new Error(`missing path parameter ${name}`)
    return encodeURIComponent(String(value))
  })
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item))
  }
  const text = search.toString()
  if (text) url += `?${text}`
  return API_BASE + url
}

const NETWORK_MESSAGE = '无法连接服务器，请检查网络后重试'

async function toError(reply: Response): Promise<ApiError> {
  try {
    const body = (await reply.json()) as Partial<Schemas['ErrorBody']>
    if (typeof body.message === 'string' && typeof body.code === 'string') {
      return new ApiError(reply.status, body.code, body.message, body.field ?? null)
    }
  } catch {
    // not JSON: a proxy's page; the status says enough
  }
  return new ApiError(reply.status, 'http_error', `服务器返回错误（${reply.status}）`)
}

/** A raw call (for downloads and uploads); `call` is the typed one. */
export async function send(method: string, url: string, init: RequestInit = {}, retried = false): Promise<Response> {
  const headers = new Headers(init.headers)
  headers.set('X-Client-Channel', 'web')
  const token = hooks?.accessToken()
  if (token) headers.set('Authorization', `Bearer ${token}`)
  let reply: Response
  try {
    reply = await fetch(url, { ...init, method, headers })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError(0, 'network_error', NETWORK_MESSAGE)
  }
  if (reply.status === 401 && token && !retried) {
    if (await refresh()) return send(method, url, init, true)
    hooks?.expired()
  }
  return reply
}

async function call<T>(method: Method, path: string, options: CallOptions<unknown> = {}): Promise<T> {
  const url = buildUrl(path, options.path as object | undefined, options.query as object | undefined)
  const init: RequestInit = { signal: options.signal }
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body)
    init.headers = { 'Content-Type': 'application/json' }
  }
  try {
    const reply = await send(method.toUpperCase(), url, init)
    if (!reply.ok) throw await toError(reply)
    if (reply.status === 204) return undefined as T
    return (await reply.json()) as T
  } catch (err) {
    if (err instanceof ApiError && !options.quiet && err.status !== 401) hooks?.notify(err.message)
    throw err
  }
}

type Opts<M extends Method, S extends PathsWith<M>> = CallOptions<Op<FullOf<S>, M>>

export const api = {
  get: <S extends PathsWith<'get'>>(path: S, options?: Opts<'get', S>) =>
    call<Reply<'get', S>>('get', path, options as CallOptions<unknown>),
  post: <S extends PathsWith<'post'>>(path: S, options?: Opts<'post', S>) =>
    call<Reply<'post', S>>('post', path, options as CallOptions<unknown>),
  put: <S extends PathsWith<'put'>>(path: S, options?: Opts<'put', S>) =>
    call<Reply<'put', S>>('put', path, options as CallOptions<unknown>),
  patch: <S extends PathsWith<'patch'>>(path: S, options?: Opts<'patch', S>) =>
    call<Reply<'patch', S>>('patch', path, options as CallOptions<unknown>),
  delete: <S extends PathsWith<'delete'>>(path: S, options?: Opts<'delete', S>) =>
    call<Reply<'delete', S>>('delete', path, options as CallOptions<unknown>),
}

/** Login is outside the session: its 401 is a wrong password, not an expired token. */
export async function login(body: Schemas['LoginIn']): Promise<Schemas['TokensOut']> {
  let reply: Response
  try {
    reply = await fetch(`${API_BASE}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Client-Channel': 'web' },
      body: JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, 'network_error', NETWORK_MESSAGE)
  }
  if (!reply.ok) throw await toError(reply)
  return (await reply.json()) as Schemas['TokensOut']
}

export async function logout(refreshToken: string): Promise<void> {
  try {
    await fetch(`${API_BASE}/auth/logout`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Client-Channel': 'web' },
      body: JSON.stringify({ refresh_token: refreshToken }),
    })
  } catch {
    // signing out locally is enough when the server cannot be reached
  }
}
