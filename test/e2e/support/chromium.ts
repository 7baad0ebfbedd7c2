/**
 * Debian's Chromium, headless, driven by playwright-core (which never
 * downloads a browser): a fresh temp profile per launch, the flags this
 * closed network needs, and a screenshot check that does not trust the
 * browser's word that it painted something.
 */
import { execFileSync } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, isAbsolute, join } from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'

// evaluated in the page, where these exist (the project compiles without the DOM library)
declare const document: any
declare const Image: any

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const onPath = (name: string): string | null => {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, name), constants.X_OK)
      return join(dir, name)
    } catch {}
  }
  return null
}

/** The Chromium binary (CHROMIUM_PATH, else chromium on PATH, else /usr/bin/chromium), as an absolute path, or null. */
export function findChromium (): string | null {
  const candidates = [process.env.CHROMIUM_PATH, onPath('chromium'), '/usr/bin/chromium']
  for (const c of candidates) {
    if (c == null || c === '' || !isAbsolute(c)) continue
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore', timeout: 20_000 })
      return c
    } catch {}
  }
  return null
}

/** Why a browser test is skipped here, or null when it runs. In CI a missing Chromium is a failure (.ci/run installs it), not a skip. */
export function chromiumSkipReason (): string | null {
  if (findChromium() != null) return null
  if (process.env.CI != null && process.env.CI !== '' && process.env.CI !== 'false') throw new Error('Chromium not found in CI: .ci/run installs Debian\'s chromium package (apt-get install -y chromium)')
  return 'Chromium not found (apt-get install chromium): browser test skipped'
}

export interface Browser {
  context: BrowserContext
  page: Page
  close: () => Promise<void>
}

export async function launchChromium (opts: { width?: number, height?: number } = {}): Promise<Browser> {
  const executablePath = findChromium()
  if (executablePath == null) throw new Error('Chromium not found')
  const profile = mkdtempSync(join(tmpdir(), 'immune-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS.filter((f) => f !== '--headless'),
      viewport: { width: opts.width ?? 1000, height: opts.height ?? 800 },
      timeout: 60_000
    })
  } catch (err) {
    rmSync(profile, { recursive: true, force: true })
    throw err
  }
  const page = context.pages()[0] ?? await context.newPage()
  return {
    context,
    page,
    close: async () => {
      await context.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

export interface PixelStats {
  width: number
  height: number
  /** Share of pixels that are not (near) white. */
  nonWhite: number
  /** Pixels within a small distance of each colour asked for (hex #rrggbb). */
  colors: Record<string, number>
}

/** Decode a PNG screenshot in a blank page (canvas) and count what is on it. */
export async function pixelStats (context: BrowserContext, png: Buffer, colors: string[]): Promise<PixelStats> {
  const page = await context.newPage()
  try {
    return await page.evaluate(async ({ b64, colors }) => {
      const img = new Image()
      img.src = `data:image/png;base64,${b64}`
      await img.decode()
      const canvas = document.createElement('canvas')
      canvas.width = img.naturalWidth
      canvas.height = img.naturalHeight
      const ctx = canvas.getContext('2d')!
      ctx.drawImage(img, 0, 0)
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data
      const want = colors.map((c) => [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)])
      const hits = colors.map(() => 0)
      let nonWhite = 0
      for (let i = 0; i < d.length; i += 4) {
        const r = d[i]; const g = d[i + 1]; const b = d[i + 2]
        if (r < 245 || g < 245 || b < 245) nonWhite++
        for (let k = 0; k < want.length; k++) {
          if (Math.abs(r - want[k][0]) + Math.abs(g - want[k][1]) + Math.abs(b - want[k][2]) < 40) hits[k]++
        }
      }
      const n = d.length / 4
      return { width: canvas.width, height: canvas.height, nonWhite: nonWhite / n, colors: Object.fromEntries(colors.map((c, k) => [c, hits[k]])) }
    }, { b64: png.toString('base64'), colors })
  } finally {
    await page.close()
  }
}
