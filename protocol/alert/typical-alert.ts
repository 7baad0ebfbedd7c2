/**
 * The typical alert that the size and speed figures refer to (docs/protocol.md,
 * bench/protocol.ts, bench/mesh.ts): one signature of 5 tokens, one source, a
 * realistic explanation; ~560 bytes signed. One definition, so every figure
 * measures the same message.
 */
import type { AlertDraft } from './types.js'

export const TYPICAL_EXPLANATION = 'length 212 vs mean 14.2 (z=11.8); rare 3-grams "UNI","NIO","ION" and "SEL" unseen in 5,100 training requests; rare path component'

export function typicalAlertDraft (overrides: Partial<AlertDraft> = {}): AlertDraft {
  return {
    community: 'ofbiz-shop',
    danger: 2,
    kind: 'signature',
    seen: {
      context: 'GET /ecommerce/control/keywordsearch',
      parameter: 'SEARCH_STRING',
      score: 8.73,
      explanation: TYPICAL_EXPLANATION
    },
    sources: [{ address: '203.0.113.57', ttlSec: 900 }],
    signatures: [{
      id: '3f1c9a0e5b7d2468ace013579bdf2468',
      context: 'GET /ecommerce/control/keywordsearch',
      parameter: 'SEARCH_STRING',
      tokens: ["'", 'UNION', 'SELECT', 'FROM', '--'],
      generator: 'clonal-token-set/1',
      sampleCount: 4
    }],
    ttlSec: 3600,
    ...overrides
  }
}
