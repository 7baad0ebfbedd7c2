/**
 * Detection figures the simulator draws from, because 100,000 simulated
 * hosts cannot each run a trained profile. One place, with the source of
 * every number (docs/simulator.md "Parameters and their sources").
 */
import type { DetectionSpec } from './scenario-types.js'

/**
 * Level-2 rates per request, measured by `npm run bench -- detect-csic`
 * (CSIC 2010, docs/detection.md):
 * - tpr 0.9492: level-2 TPR on anomalies at known endpoints (an exploit
 *   targets the service's real endpoints; anomalies at unknown endpoints are
 *   capped at level 1 by design, so the all-anomalies figure, 0.7256, would
 *   count requests a worm does not send);
 * - fpr 0.0032: level-2 FPR on normal test requests that are not verbatim
 *   copies of training requests (what a new deployment sees; 0.08% with copies).
 * Scenario files override both (`detection.tpr`, `detection.fpr`, per-attack `tpr`).
 */
export const DEFAULT_DETECTION: DetectionSpec = Object.freeze({
  tpr: 0.9492,
  fpr: 0.0032,
  source: 'npm run bench -- detect-csic (docs/detection.md): level-2 TPR on anomalies at known endpoints 0.9492; level-2 FPR on non-copy normal requests 0.32%'
})
