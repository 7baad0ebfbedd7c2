/**
 * One colour (and dash) per series, the same in every plot of the report:
 * the two runs, and the three kinds of peer in the reputation plot. Okabe–Ito
 * colours, distinguishable with the common colour-vision deficiencies; the
 * baseline is also dashed, so the runs stay apart in greyscale.
 */
export interface SeriesStyle { label: string, color: string, dashed: boolean }

export const SERIES_STYLE = {
  baseline: { label: 'without the mesh', color: '#D55E00', dashed: true },
  mesh: { label: 'with the mesh', color: '#0072B2', dashed: false },
  honest: { label: 'honest peers', color: '#009E73', dashed: false },
  liars: { label: 'liars', color: '#CC79A7', dashed: false },
  sybils: { label: 'sybils', color: '#E69F00', dashed: false }
} as const satisfies Record<string, SeriesStyle>

export type SeriesName = keyof typeof SERIES_STYLE
