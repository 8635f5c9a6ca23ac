// Files from the API (XLSX reports): fetched with the session's token, saved under the server's Chinese file name.
import { ApiError, send } from '@/api/client'

/** The file name of a Content-Disposition: the UTF-8 `filename*` when there is one, else the plain `filename`. */
export function dispositionName(header: string | null, fallback: string): string {
  if (!header) return fallback
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header)
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      // a malformed escape: the plain name below
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(header)
  const name = (plain?.[1] ?? plain?.[2] ?? '').trim()
  return name.replace(/[\\/]/g, '_') || fallback
}

/** GET `url` and hand the bytes to the browser as a download; an API error comes back as ApiError (Chinese). */
export async function download(url: string, fallback: string): Promise<string> {
  const reply = await send('GET', url, { headers: { Accept: '*/*' } })
  if (!reply.ok) {
    let message = `下载失败（${reply.status}）`
    let code = 'http_error'
    try {
      const body = (await reply.json()) as { message?: string; code?: string }
      if (body.message) message = body.message
      if (body.code) code = body.code
    } catch {
      // not JSON
    }
    throw new ApiError(reply.status, code, message, null)
  }
  const name = dispositionName(reply.headers.get('Content-Disposition'), fallback)
  const href = URL.createObjectURL(await reply.blob())
  const a = document.createElement('a')
  a.href = href
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(href), 10_000)
  return name
}
