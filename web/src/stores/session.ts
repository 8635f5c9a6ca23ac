// The signed-in session: tokens (kept in localStorage so a reload stays signed in), the caller and its actions.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, login as apiLogin, logout as apiLogout, type Schemas } from '@/api/client'

const KEY = 'gongkuang.session'

interface Saved {
  access: string
  refresh: string
}

function load(): Saved | null {
  try {
    const raw = localStorage.getItem(KEY)
    const value = raw ? (JSON.parse(raw) as Partial<Saved>) : null
    return value && typeof value.access === 'string' && typeof value.refresh === 'string'
      ? { access: value.access, refresh: value.refresh }
      : null
  } catch {
    return null
  }
}

export const useSession = defineStore('session', () => {
  const tokens = ref<Saved | null>(load())
  const me = ref<Schemas['MeOut'] | null>(null)

  const signedIn = computed(() => tokens.value !== null)
  const actions = computed(() => new Set(me.value?.actions ?? []))

  function saveTokens(t: Schemas['TokensOut']): void {
    tokens.value = { access: t.access_token, refresh: t.refresh_token }
    localStorage.setItem(KEY, JSON.stringify(tokens.value))
  }

  function clear(): void {
    tokens.value = null
    me.value = null
    localStorage.removeItem(KEY)
  }

  async function signIn(login: string, password: string): Promise<void> {
    saveTokens(await apiLogin({ login, password, channel: 'web' }))
    await loadMe()
  }

  async function loadMe(): Promise<Schemas['MeOut']> {
    me.value = await api.get('/me', { quiet: true })
    return me.value
  }

  async function signOut(): Promise<void> {
    const refresh = tokens.value?.refresh
    clear()
    if (refresh) await apiLogout(refresh)
  }

  /** May the caller do this policy action (a button shown only when it may)? */
  function can(action: string): boolean {
    return actions.value.has(action)
  }

  return { tokens, me, signedIn, actions, saveTokens, clear, signIn, loadMe, signOut, can }
})
