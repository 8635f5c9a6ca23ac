import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import EChart from '@/components/charts/EChart.vue'
import PowerChart from '@/components/charts/PowerChart.vue'
import { evidenceThresholds } from '@/components/charts/thresholds'

// tamper_negative_power's evidence as the API gives it: limit_kw plus the rule's parameters (monitoring/rules)
const tamper = { thresholds: { limit_kw: -3, negative_kw: 3, negative_share_rated: 0.02, min_minutes: 15 } }
const running = { thresholds: { p_on_kw: 2.5, p_off_kw: 1.2, on_min_kw: 0.5, on_share_rated: 0.05 } }

interface Option {
  yAxis: { min: number }
  series: { markLine?: { data: { yAxis: number; name: string }[] } }[]
}

function optionOf(values: (number | null)[], thresholds = evidenceThresholds([tamper])): Option {
  const series = [{ name: '电表1', side: 'production', values: values.map((p, i) => ({ t: `2026-11-30T10:0${i}:00+08:00`, p })) }]
  const w = mount(PowerChart, { props: { series, shades: [], thresholds }, global: { stubs: { EChart: true } } })
  return w.findComponent(EChart).props('option') as unknown as Option
}

describe('PowerChart', () => {
  it('keeps negative readings and the negative limit on the axis', () => {
    const option = optionOf([1.5, -4.2, null, -5])
    expect(option.yAxis.min).toBeLessThanOrEqual(-5)
    const lines = option.series[0]!.markLine!.data
    expect(lines.map((l) => l.yAxis)).toEqual([-3])
    expect(lines[0]!.name).toBe('负功率限值 -3 kW')
  })
  it('starts at zero for ordinary power', () => {
    expect(optionOf([0, 3.2, 8], evidenceThresholds([running])).yAxis.min).toBe(0)
  })
  it("draws only the thresholds a rule judged by, not every parameter ending in _kw", () => {
    expect(evidenceThresholds([running, tamper]).map((t) => [t.name, t.kw])).toEqual([
      ['运行判定', 2.5],
      ['停止判定', 1.2],
      ['负功率限值', -3],
    ])
    expect(evidenceThresholds([{ thresholds: { on_min_kw: 0.5, negative_kw: 3 } }])).toEqual([])
  })
})
