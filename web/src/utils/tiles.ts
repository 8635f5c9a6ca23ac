// Web Mercator tile arithmetic for the optional 天地图 background (only with a key: VITE_TIANDITU_KEY at build).
export interface Bounds {
  west: number
  east: number
  south: number
  north: number
}
export interface Tile {
  x: number
  y: number
  z: number
}

export function tileOf(lon: number, lat: number, z: number): { x: number; y: number } {
  const n = 2 ** z
  const rad = (lat * Math.PI) / 180
  const x = Math.floor(((lon + 180) / 360) * n)
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n)
  return { x: Math.min(Math.max(x, 0), n - 1), y: Math.min(Math.max(y, 0), n - 1) }
}

export function tileBounds(t: Tile): Bounds {
  const n = 2 ** t.z
  const lat = (y: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI
  return { west: (t.x / n) * 360 - 180, east: ((t.x + 1) / n) * 360 - 180, north: lat(t.y), south: lat(t.y + 1) }
}

export function tilesCovering(b: Bounds, z: number): Tile[] {
  const nw = tileOf(b.west, b.north, z)
  const se = tileOf(b.east, b.south, z)
  const out: Tile[] = []
  for (let x = nw.x; x <= se.x; x += 1) for (let y = nw.y; y <= se.y; y += 1) out.push({ x, y, z })
  return out
}

/** 天地图 vector tiles (WMTS, Web Mercator "w" matrix set), spread over its eight servers. */
export function tiandituUrl(t: Tile, key: string, layer: 'vec' | 'cva' = 'vec'): string {
  const server = (t.x + t.y) % 8
  return (
    `https://t${server}.tianditu.gov.cn/${layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}` +
    `&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX=${t.z}&TILEROW=${t.y}&TILECOL=${t.x}&tk=${encodeURIComponent(key)}`
  )
}

export function boundsOf(rings: number[][][]): Bounds {
  const b = { west: Infinity, east: -Infinity, south: Infinity, north: -Infinity }
  for (const ring of rings)
    for (const [lon, lat] of ring) {
      if (lon === undefined || lat === undefined) continue
      b.west = Math.min(b.west, lon)
      b.east = Math.max(b.east, lon)
      b.south = Math.min(b.south, lat)
      b.north = Math.max(b.north, lat)
    }
  return b
}
