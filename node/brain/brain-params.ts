/**
 * The brain's params (params pattern: defaults, create, validate). The
 * daemon derives them from its config; the simulator from the scenario.
 */
import { InvalidParamsError } from '../errors.js'
import { defaultDetectorParams } from '../detector/index.js'

export interface BrainParams {
  /** The cell remote-evidence decisions (a peer quorum on a source) are filed under: a source block is node-wide. */
  remoteCell: string
  /** A peer warning raises the threat level to 1 for this long (config `threat.peerRaiseSec`). */
  peerThreatMs: number
  /** Peer-raised sensitivity: factor cap and longest raise (the detector's D5 limits). */
  maxSensitivityFactor: number
  maxSensitivityMs: number
  /** Raised contexts kept per community. */
  maxSensitivityContexts: number
  /** Addresses whose remote-evidence blocks are remembered for lifting them on a refutation. */
  maxRemoteBlocks: number
}

export const defaultBrainParams: Readonly<BrainParams> = Object.freeze({
  remoteCell: 'ingest',
  peerThreatMs: 300_000,
  maxSensitivityFactor: defaultDetectorParams.maxSensitivityFactor,
  maxSensitivityMs: defaultDetectorParams.maxSensitivityMs,
  maxSensitivityContexts: 4096,
  maxRemoteBlocks: 10_000
})

export function validateBrainParams (p: BrainParams): void {
  if (typeof p.remoteCell !== 'string' || p.remoteCell.length === 0) throw new InvalidParamsError('brain.remoteCell', p.remoteCell, 'a cell name')
  const num = (f: keyof BrainParams, min: number, int: boolean): void => {
    const v = p[f]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) throw new InvalidParamsError(`brain.${f}`, v, `${int ? 'an integer' : 'a number'} >= ${min}`)
  }
  num('peerThreatMs', 0, false)
  num('maxSensitivityFactor', 1, false)
  num('maxSensitivityMs', 0, false)
  num('maxSensitivityContexts', 1, true)
  num('maxRemoteBlocks', 0, true)
}

export function createBrainParams (init: Partial<BrainParams> = {}): BrainParams {
  const p = { ...defaultBrainParams, ...init }
  validateBrainParams(p)
  return Object.freeze(p)
}
