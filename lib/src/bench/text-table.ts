/** A number for a bench table: fixed digits, "-" for a figure that was not measured. */
export function fmt(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? "-" : x.toFixed(digits);
}

/** A plain-text table with aligned columns, for the terminal. */
export function textTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
