import { describe, expect, it } from 'vitest'
import outline from '@/assets/rugao.geo.json'
import { boundsOf, tileBounds, tileOf, tiandituUrl, tilesCovering } from '@/utils/tiles'

describe('tiles', () => {
  it('finds the slippy-map tile of a point and its bounds contain it', () => {
    // 如皋 city centre at zoom 11: the standard OSM/天地图 "w" numbering
    const t = tileOf(120.57, 32.37, 11)
    expect(t).toEqual({ x: 1709, y: 829 }) // x = (lon+180)/360·2^z, y from the Mercator latitude
    const b = tileBounds({ ...t, z: 11 })
    expect(b.west).toBeLessThanOrEqual(120.57)
    expect(b.east).toBeGreaterThan(120.57)
    expect(b.south).toBeLessThanOrEqual(32.37)
    expect(b.north).toBeGreaterThan(32.37)
  })
  it('covers the county outline with about twenty tiles', () => {
    const ring = outline.features[0]!.geometry.coordinates as number[][][]
    const b = boundsOf(ring)
    expect(b.west).toBeCloseTo(120.31, 2)
    expect(b.north).toBeCloseTo(32.575, 3)
    const tiles = tilesCovering(b, 11)
    expect(tiles.length).toBeGreaterThanOrEqual(4)
    expect(tiles.length).toBeLessThanOrEqual(25) // about 5 × 4 tiles of 0.18°
    for (const corner of [
      [b.west, b.north],
      [b.east, b.south],
    ]) {
      const at = tileOf(corner[0]!, corner[1]!, 11)
      expect(tiles).toContainEqual({ ...at, z: 11 })
    }
  })
  it('asks 天地图 for the tile with the key', () => {
    const url = tiandituUrl({ x: 1709, y: 836, z: 11 }, 'k&1')
    expect(url).toContain('TILEMATRIX=11&TILEROW=836&TILECOL=1709')
    expect(url).toContain('tk=k%261')
    expect(url.startsWith('https://t')).toBe(true)
  })
})
