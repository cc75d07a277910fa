/**
 * What a notebook shows and saves: plotly figures, tables, highlighted extractions, progress bars.
 *
 * @example
 *   const fig = ade.display.figure([ade.display.bar(["a", "b"], [3, 5])], "counts", "name", "count");
 *   ade.display.showChart(fig, { save: path.join(dir, "counts") });   // inline, and .html (+ .png) on disk
 *   ade.display.showTable(rows, { save: path.join(dir, "scores") });  // inline, and .csv + .md on disk
 */
export * from "../viz";
export * from "../progress";
