/** Outputs: results.json, timeseries.csv, report.html (inline SVG), the human summary. */
export { resultsJson, seriesCsv, reportHtml, writeReports, summaryText, RESULTS_FILE, SERIES_FILE, REPORT_FILE } from './reports.js'
export { lineChart, niceTicks, escapeXml } from './svg-plot.js'
export type { PlotSeries, PlotOptions } from './svg-plot.js'
