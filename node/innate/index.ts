/** The innate layer: grammar checks that need no learning (docs/detection.md, "Innate layer"). */
export { createInnateDetector, explainFinding } from './inspector.js'
export type { InnateDetector, InnateExclusion, InnateHttpResult } from './inspector.js'
export { createInnateParams, defaultInnateParams, validateInnateParams } from './innate-params.js'
export type { InnateParams } from './innate-params.js'
export { INNATE_GRAMMARS } from './types.js'
export type { DecodingStep, InnateEncoding, InnateFinding, InnateGrammar, InnateLocation, InnateResult, InnateStrength, InspectContext } from './types.js'
export { decodeViews } from './decode.js'
export type { DecodedView } from './decode.js'
