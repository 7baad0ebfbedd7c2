/**
 * A short note beside each alarming figure of a run with the mesh: what the
 * number means for the community and where it comes from (docs/simulator.md).
 * Pure: results in, notes out; the thresholds are named below.
 */
import type { AttackMetrics, RunMetrics } from '../run/index.js'
import type { ScenarioResults } from '../run/index.js'
import { immunityAfterStart } from './attack-figures.js'
import { bytes, count, num, pct } from './format.js'

/** A figure is alarming at or beyond these (with the mesh). */
export const ALARM = Object.freeze({
  /** share of the vulnerable members infected */
  infectedFraction: 0.01,
  /** share of the vulnerable members immune to the primary attack at the end */
  immuneFraction: 0.99,
  alertLatencyP99Ms: 1000,
  deliveryRatio: 0.99,
  messagesPerNodePerMin: 300,
  blacklistPrecision: 0.99,
  blacklistRecall: 0.9,
  selfishPrecision: 0.99,
  selfishRecall: 0.9
})

export type FigureNotes = Partial<Record<keyof RunMetrics, string>>

export function figureNotes (r: ScenarioResults): FigureNotes {
  const m = r.mesh
  const b = r.baseline
  const notes: FigureNotes = {}
  const unsigned = m.attacks.filter(a => a.immuneFraction == null).length
  if (m.infectedFraction >= ALARM.infectedFraction) {
    const why = unsigned === m.attacks.length
      ? 'no attack here produces a signature, so peers can only raise each other\'s sensitivity, and a member falls whenever its own detector misses'
      : 'they were hit before a signature reached them' + (unsigned > 0 ? `, or by one of the ${unsigned} attack(s) that produce no signature, against which peers can only raise each other's sensitivity` : '')
    notes.infectedFraction = `${pct(m.infectedFraction)} of the vulnerable members are infected at the end despite the mesh (${pct(b.infectedFraction)} without it): ${why}. The Attacks table says which attack.`
  }
  if (m.immuneFraction != null && m.immuneFraction < ALARM.immuneFraction) {
    notes.immuneFraction = `${pct(1 - m.immuneFraction)} of the vulnerable members do not hold the signature at the end: members offline while its alert went round miss it for good (there is no catch-up yet), and infected members do not count as immune.`
  }
  if (m.timeToImmune90S != null && m.timeToImmune99S == null) {
    notes.timeToImmune99S = '99% immunity is never reached: see the immune share above.'
  }
  if (m.alertLatencyP99Ms != null && m.alertLatencyP99Ms >= ALARM.alertLatencyP99Ms) {
    notes.alertLatencyP99Ms = `1% of the alert deliveries took ${num(m.alertLatencyP99Ms / 1000, ' s')} or more: those copies came by gossip (IHAVE/IWANT at a later heartbeat) instead of along the mesh, around peers that drop alerts or members that just came back.`
  }
  if (m.deliveryRatio != null && m.deliveryRatio < ALARM.deliveryRatio) {
    notes.deliveryRatio = `${pct(1 - m.deliveryRatio)} of the receipts expected for honest alerts never happened: members went offline, copies were lost, or forwarding peers dropped them.`
  }
  if (m.messagesPerNodePerMin >= ALARM.messagesPerNodePerMin) {
    notes.messagesPerNodePerMin = `Each member handles about ${num(m.messagesPerNodePerMin)} messages (${bytes(m.bytesPerNodePerMin)}) a minute: every alert is flooded to every member (duplicates included) and gossiped; lies and sybils add their own.`
  }
  if (m.falseBlocks > 0) {
    notes.falseBlocks = m.falseBlocks > b.falseBlocks
      ? `${count(m.falseBlocks)} requests of normal traffic were blocked, ${count(m.falseBlocks - b.falseBlocks)} more than without the mesh (${count(b.falseBlocks)}: the detector's own false positives). The rest came through the mesh: poisoned signatures that passed vetting (${count(m.poisonedAdopted)} adoptions) and remote blocks of honest addresses.`
      : `${count(m.falseBlocks)} requests of normal traffic were blocked, no more than without the mesh: the detector's own false positives (FPR ${r.detection.fpr}).`
  }
  if (m.honestHarmed > 0) {
    notes.honestHarmed = `${count(m.honestHarmed)} honest members (${pct(m.honestHarmed / r.nodes)}) acted on a lie: each adopted a poisoned signature that matches some of its normal traffic, or blocked an honest member's address. Vetting on a sample of normal traffic misses a lie when the sample lacks what the signature matches (vetting.sampleCoverage).`
  }
  if (m.blacklistPrecision != null && m.blacklistPrecision < ALARM.blacklistPrecision) {
    notes.blacklistPrecision = `${pct(1 - m.blacklistPrecision)} of the blacklisted peers are honest: they lose their mesh slots at those members.`
  }
  if (m.blacklistRecall != null && m.blacklistRecall < ALARM.blacklistRecall) {
    notes.blacklistRecall = `${pct(1 - m.blacklistRecall)} of the (honest member, liar) pairs never end in a blacklisting: a liar that lies rarely, or tells the truth between its lies, stays above the threshold there, and its next lie is vetted again.`
  }
  if (m.selfishPrecision != null && m.selfishPrecision < ALARM.selfishPrecision) {
    notes.selfishPrecision = `${pct(1 - m.selfishPrecision)} of the peers flagged as selfish do report: they are punished for nothing.`
  }
  if (m.selfishRecall != null && m.selfishRecall < ALARM.selfishRecall) {
    notes.selfishRecall = `${pct(1 - m.selfishRecall)} of the (observer, selfish peer) pairs are never flagged: too few community-wide episodes for the binomial test.`
  }
  return notes
}

/** An attack the run never reached (it would start at or after the end). */
export const startsAfterRun = (a: AttackMetrics, durationS: number): boolean => a.startS >= durationS

/** A note for an attack's row, or null when nothing about it is alarming. */
export function attackNote (a: AttackMetrics, durationS = Infinity): string | null {
  if (startsAfterRun(a, durationS)) return null
  const t = immunityAfterStart(a)
  const parts: string[] = []
  if (a.immuneFraction == null) {
    if (a.infectedFraction >= ALARM.infectedFraction) parts.push(`no signature: peers can only raise each other's sensitivity, so ${pct(a.infectedFraction)} fell to it even with the mesh`)
    return parts.length > 0 ? parts.join('; ') : null
  }
  if (a.infectedFraction >= ALARM.infectedFraction) {
    parts.push(`${pct(a.infectedFraction)} fell to it before its signature reached them` + (t.after90S != null ? ` (90% immune ${num(t.after90S, ' s')} after it began)` : ''))
  }
  if (t.after90S == null) parts.push(`90% immunity never reached (${pct(a.immuneFraction)} at the end)`)
  else if (t.after99S == null) parts.push(`99% immunity never reached (${pct(a.immuneFraction)} at the end)`)
  return parts.length > 0 ? parts.join('; ') : null
}
