/** Types for the dev dependency ml-isolation-forest 0.1 (no bundled types), used only by bench/detect-odds.ts. */
declare module 'ml-isolation-forest' {
  export class IsolationForest {
    constructor (options?: { nEstimators?: number })
    /** Grows every tree on the whole training set, depth limit ceil(log2 n), Math.random (unseeded). */
    train (trainingSet: number[][]): void
    /** Scores 2^(-E[h]/c(n)); higher is more anomalous. */
    predict (data: number[][]): number[]
  }
}
