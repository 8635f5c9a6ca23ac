// Every page of a cursor-paged list (small lists only: the map's few hundred enterprises and terminals).
export interface PageOf<T> {
  items: T[]
  next_cursor?: string | null
}

export async function allPages<T>(fetchPage: (cursor: string | undefined) => Promise<PageOf<T>>, maxPages = 50): Promise<T[]> {
  const out: T[] = []
  let cursor: string | undefined
  for (let i = 0; i < maxPages; i += 1) {
    const page = await fetchPage(cursor)
    out.push(...page.items)
    if (!page.next_cursor) return out
    cursor = page.next_cursor
  }
  throw new Error('too many pages')
}
