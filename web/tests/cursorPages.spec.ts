import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/client'
import { useCursorPages } from '@/api/cursorPages'
import AreaSelects from '@/components/AreaSelects.vue'
import PagerBar from '@/components/PagerBar.vue'
import { areas, enterpriseFilter, type EnterpriseRef } from '@/views/filings'

// Three pages of a list behind opaque cursors, as the API pages them.
const PAGES: Record<string, { items: string[]; next_cursor: string | null }> = {
  first: { items: ['a', 'b'], next_cursor: 'c1' },
  c1: { items: ['c', 'd'], next_cursor: 'c2' },
  c2: { items: ['e'], next_cursor: null },
}

describe('useCursorPages', () => {
  it('walks forward and back with the cursors it was given', async () => {
    const asked: (string | undefined)[] = []
    const pages = useCursorPages(async (cursor) => {
      asked.push(cursor)
      return PAGES[cursor ?? 'first']!
    }, '失败')
    await pages.restart()
    expect(pages.items.value).toEqual(['a', 'b'])
    expect(pages.hasNext.value).toBe(true)
    await pages.step(1)
    await pages.step(1)
    expect(pages.items.value).toEqual(['e'])
    expect(pages.hasNext.value).toBe(false)
    expect(pages.pageIndex.value).toBe(2)
    await pages.step(1) // nothing after the last page
    expect(pages.pageIndex.value).toBe(2)
    await pages.step(-1)
    expect(pages.items.value).toEqual(['c', 'd'])
    await pages.restart()
    expect(pages.pageIndex.value).toBe(0)
    expect(asked).toEqual([undefined, 'c1', 'c2', 'c1', undefined])
    await pages.step(-1) // nothing before the first page
    expect(asked.length).toBe(5)
  })

  it('drops an answer that arrives after a newer request', async () => {
    const resolvers: ((v: { items: string[]; next_cursor: null }) => void)[] = []
    const pages = useCursorPages<string>(() => new Promise((resolve) => resolvers.push(resolve)), '失败')
    const slow = pages.load()
    const fresh = pages.restart()
    resolvers[1]!({ items: ['new'], next_cursor: null })
    await fresh
    resolvers[0]!({ items: ['old'], next_cursor: null })
    await slow
    expect(pages.items.value).toEqual(['new'])
    expect(pages.loading.value).toBe(false)
  })

  it('shows the API message, or the screen text for anything else', async () => {
    let fail: Error = new ApiError(403, 'forbidden', '无权限访问', null)
    const pages = useCursorPages<string>(() => Promise.reject(fail), '通知记录加载失败')
    await expect(pages.restart()).rejects.toBe(fail)
    expect(pages.error.value).toBe('无权限访问')
    fail = new TypeError('Failed to fetch')
    await expect(pages.load()).rejects.toBe(fail)
    expect(pages.error.value).toBe('通知记录加载失败')
    expect(pages.loading.value).toBe(false)
  })
})

describe('PagerBar', () => {
  it('offers only the steps there are and says the page', async () => {
    const w = mount(PagerBar, { props: { pageIndex: 0, hasNext: true, pageSize: 20, order: '新的在前' }, global: { plugins: [ElementPlus] } })
    expect(w.text()).toContain('第 1 页 · 每页 20 条 · 新的在前')
    const buttons = w.findAll('button')
    const back = buttons[0]!
    const on = buttons[1]!
    expect(back.attributes('disabled')).toBeDefined()
    expect(on.attributes('disabled')).toBeUndefined()
    await on.trigger('click')
    expect(w.emitted('step')).toEqual([[1]])
  })
})

const e = (id: string, town: string, branch: string): EnterpriseRef => ({
  id,
  name: id,
  town_id: town,
  town_name: town,
  branch_id: branch,
  branch_name: branch,
})

describe('enterpriseFilter', () => {
  const list = [e('e1', 't1', 'b1'), e('e2', 't1', 'b2'), e('e3', 't2', 'b2')]
  it('is no filter without a choice, and the matching ids with one', () => {
    expect(enterpriseFilter(list, { enterprise_id: '', town_id: '', branch_id: '' })).toBeNull()
    expect(enterpriseFilter(list, { enterprise_id: '', town_id: 't1', branch_id: '' })).toEqual(['e1', 'e2'])
    expect(enterpriseFilter(list, { enterprise_id: '', town_id: 't1', branch_id: 'b2' })).toEqual(['e2'])
    expect(enterpriseFilter(list, { enterprise_id: 'e3', town_id: 't1', branch_id: '' })).toEqual([])
  })
  it('refuses more ids than the API takes', () => {
    const many = Array.from({ length: 201 }, (_, i) => e(`e${i}`, 't', 'b'))
    expect(() => enterpriseFilter(many, { enterprise_id: '', town_id: 't', branch_id: '' })).toThrow('200')
  })
})

describe('areas', () => {
  it('lists each id once, by its Chinese name', () => {
    const got = areas([
      ['t2', '磨头镇'],
      ['t1', '城北街道'],
      ['t2', '磨头镇'],
      ['', '（无）'],
    ])
    expect(got).toEqual([
      { id: 't1', name: '城北街道' },
      { id: 't2', name: '磨头镇' },
    ])
  })
})

describe('AreaSelects', () => {
  it('shows the choices and passes a pick on as the town or the branch', async () => {
    const w = mount(AreaSelects, {
      props: { towns: [{ id: 't1', name: '城北街道' }], branches: [{ id: 'b1', name: '第一分局' }], town: '', branch: 'b1' },
      global: { plugins: [ElementPlus] },
    })
    expect(w.text()).toContain('镇（街道）')
    const [town, branch] = w.findAllComponents({ name: 'ElSelect' })
    town!.vm.$emit('update:modelValue', 't1')
    branch!.vm.$emit('update:modelValue', '')
    await w.vm.$nextTick()
    expect(w.emitted('update:town')).toEqual([['t1']])
    expect(w.emitted('update:branch')).toEqual([['']])
  })
})
