/**
 * ROC-AUC by ranks (Mann–Whitney U with average ranks for ties), O(n log n):
 * the probability that a random anomaly scores above a random normal point,
 * ties counting one half. Higher score = more anomalous; label 1 = anomaly.
 */
export function rocAuc (scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length
  if (labels.length !== n) throw new RangeError(`rocAuc: ${n} scores but ${labels.length} labels`)
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  order.sort((a, b) => scores[a] - scores[b])
  let pos = 0
  let rankSumPos = 0
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++
    const avgRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) { pos++; rankSumPos += avgRank }
    }
    i = j + 1
  }
  const neg = n - pos
  if (pos === 0 || neg === 0) return Number.NaN
  return (rankSumPos - pos * (pos + 1) / 2) / (pos * neg)
}
