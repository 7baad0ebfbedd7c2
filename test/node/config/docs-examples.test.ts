import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkConfig, defaultConfig, parseConfigText } from '../../../node/config/index.js'
import { defaultPolicyRules } from '../../../node/respond/index.js'

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/configuration.md'), 'utf8')
const blocks = [...doc.matchAll(/```(yaml|json)\n([\s\S]*?)```/g)].map(m => ({ format: m[1] as 'yaml' | 'json', text: m[2] }))

describe('docs/configuration.md', () => {
  it('has examples, and every one of them is a valid config', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4)
    for (const b of blocks) {
      const { issues } = checkConfig(parseConfigText(b.text, b.format), { baseDir: '/tmp' })
      expect(issues, b.text.slice(0, 80)).toEqual([])
    }
  })

  it('shows the real default rules', () => {
    const rulesBlock = blocks.find(b => b.text.startsWith('policy:\n  rules:'))
    const { config } = checkConfig(parseConfigText(rulesBlock?.text ?? '', 'yaml'))
    expect(config.policy.rules).toEqual(defaultPolicyRules())
  })

  it('documents every key of the config', () => {
    const paths: string[] = []
    const walk = (o: unknown, prefix: string): void => {
      if (o == null || typeof o !== 'object' || Array.isArray(o)) return
      for (const [k, v] of Object.entries(o)) {
        const p = prefix === '' ? k : `${prefix}.${k}`
        paths.push(p)
        if (k !== 'cells' && k !== 'rules') walk(v, p)
      }
    }
    walk(defaultConfig(), '')
    for (const p of paths) {
      const leaf = p.split('.').slice(-1)[0]
      expect(doc.includes(`\`${p}\``) || doc.includes(`\`${p}.`) || doc.includes(`\`${leaf}\``), p).toBe(true)
    }
    for (const key of ['command', 'args', 'env', 'cwd', 'renewIntervalSec', 'renewUnderThreatFactor', 'renewMode', 'stopGraceSec', 'restartBackoffInitialSec', 'restartBackoffMaxSec', 'stdio', 'accessLog', 'cgroup', 'pid', 'processName', 'sampleIntervalSec']) {
      expect(doc).toContain(`\`${key}\``)
    }
  })
})
