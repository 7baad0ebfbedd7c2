/**
 * Clonal selection, the signature matcher, vetting and the stores behind them
 * (issue 5). Semantics of a signature match: signature.ts.
 */
export { canonicalDecoded, canonicalForm, canonicalFormComponent, canonicalPath, percentDecode } from './canonical.js'
export type { CanonicalPair } from './canonical.js'
export { buildObservationDocs, canonicalParameterName, observationDocs, parameterValues } from './documents.js'
export type { ObservationDocs, ValueSpan } from './documents.js'
export { buildAhoCorasick } from './aho-corasick.js'
export type { AhoCorasick } from './aho-corasick.js'
export { candidateTokens, minimalTokens, segment, words } from './tokens.js'
export type { CandidateOptions, Segment, SegmentKind } from './tokens.js'
export {
  CLONAL_GENERATOR, defaultSignatureRulesParams, isNumericToken, makeSignature, signatureAppliesTo, signatureId,
  signatureMatches, signatureMatchesDocs, validateSignatureRulesParams
} from './signature.js'
export type { SignatureRulesParams } from './signature.js'
export { RESERVOIR_SUBLEVEL, createReservoir, createReservoirParams, defaultReservoirParams, validateReservoirParams } from './reservoir.js'
export type { NormalSample, Reservoir, ReservoirComponents, ReservoirEntry, ReservoirParams } from './reservoir.js'
export { createClonalSelection, createClonalSelectionParams, defaultClonalSelectionParams, selectTokens, validateClonalSelectionParams } from './clonal-selection.js'
export type {
  ClonalSelection, ClonalSelectionComponents, ClonalSelectionParams, ClonalSelectionResult, InnateFocus, SignatureOutcome, TokenSelection, TokenSelectionInput
} from './clonal-selection.js'
export { createSignatureMatcher } from './matcher.js'
export type { SignatureHit, SignatureMatcher } from './matcher.js'
export { createSignatureVetter, createVettingParams, defaultVettingParams, validateVettingParams, vetSignature } from './vetting.js'
export type { SignatureVetter, VetCode, VetResult, VettingParams } from './vetting.js'
export { LOCAL_ORIGIN, SIGNATURES_SUBLEVEL, createSignatureStore, createSignatureStoreParams, defaultSignatureStoreParams } from './signature-store.js'
export type { SignatureRecord, SignatureStatus, SignatureStore, SignatureStoreComponents, SignatureStoreParams, SignatureType } from './signature-store.js'
export { SignatureSelfCheck, createSelfCheckParams, createSignatureSelfCheck, defaultSelfCheckParams, validateSelfCheckParams } from './self-check.js'
export type { SelfCheckParams, SelfCheckVerdict } from './self-check.js'
