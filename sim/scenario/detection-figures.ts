/**
 * Detection figures the simulator draws from, because 100,000 simulated
 * hosts cannot each run a trained profile. One place, with the source of
 * every number (docs/simulator.md "Parameters and their sources").
 */
import type { DetectionSpec } from './scenario-types.js'

/**
 * Level-2 rates per request.
 * - fpr 0.001: danger level 2 is calibrated to 0.1% false positives on normal
 *   traffic (`learning.targetFpr.level2`, docs/configuration.md).
 * - tpr 0.8: PLACEHOLDER until `npm run bench -- detect-csic` (level-2 TPR on
 *   CSIC 2010) lands; Immunizer reports R-precision 97.44% on OFBiz, and a
 *   stricter level-2 threshold catches fewer attacks, so 0.8 is a deliberately
 *   conservative stand-in. Scenario files override both (`detection.tpr`, `detection.fpr`).
 */
export const DEFAULT_DETECTION: DetectionSpec = Object.freeze({
  tpr: 0.8,
  fpr: 0.001,
  source: 'fpr: level-2 calibration target (docs/configuration.md learning.targetFpr.level2); tpr: placeholder 0.8 pending bench detect-csic'
})
