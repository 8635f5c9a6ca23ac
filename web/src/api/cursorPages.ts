// One cursor-paged list of a screen: the cursor of every page seen (so 上一页 works with opaque cursors), the
// current page's rows, loading and error state. Screens keep their own filters and call `restart()` when they change.
import { ref, shallowRef, type Ref, type ShallowRef } from 'vue'
import { ApiError } from '@/api/client'
import type { PageOf } from '@/api/paging'

export interface CursorPages<T> {
  items: ShallowRef<T[]>
  loading: Ref<boolean>
  error: Ref<string>
  pageIndex: Ref<number>
  hasNext: Ref<boolean>
  /** Load the current page again (polling, retry); rejects on failure after setting `error`. */
  load(): Promise<void>
  /** Back to the first page (filters changed). */
  restart(): Promise<void>
  /** One page on (1) or back (-1); nothing when there is none. */
  step(direction: 1 | -1): Promise<void>
}

export function useCursorPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<PageOf<T>>,
  failedText: string,
): CursorPages<T> {
  const items = shallowRef<T[]>([])
  const loading = ref(true)
  const error = ref('')
  const pageIndex = ref(0)
  const hasNext = ref(false)
  let cursors: (string | undefined)[] = [undefined]
  let next: string | null = null
  let generation = 0 // an answer to an older request (before restart or step) is dropped

  async function load(): Promise<void> {
    const mine = ++generation
    error.value = ''
    loading.value = true
    try {
      const page = await fetchPage(cursors[pageIndex.value])
      if (mine !== generation) return
      items.value = page.items
      next = page.next_cursor ?? null
      hasNext.value = next !== null
    } catch (err) {
      if (mine !== generation) return
      error.value = err instanceof ApiError ? err.message : failedText
      throw err
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  async function restart(): Promise<void> {
    cursors = [undefined]
    pageIndex.value = 0
    await load()
  }

  async function step(direction: 1 | -1): Promise<void> {
    if (direction === 1 && next) {
      cursors = [...cursors.slice(0, pageIndex.value + 1), next]
      pageIndex.value += 1
    } else if (direction === -1 && pageIndex.value > 0) {
      pageIndex.value -= 1
    } else return
    await load()
  }

  return { items, loading, error, pageIndex, hasNext, load, restart, step }
}
