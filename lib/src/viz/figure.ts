/**
 * A small typed subset of plotly.js figures (`{ data, layout }`), written by hand: just the traces and
 * options adeflow's notebooks use. Figures are plain JSON-able objects, so they can be tested, saved as a
 * self-contained HTML page, or drawn inline in a notebook with the same code.
 */

export type Datum = string | number | null;

export interface Marker {
  color?: string | string[];
  opacity?: number;
  line?: { color?: string; width?: number };
}

interface TraceBase {
  name?: string;
  marker?: Marker;
  opacity?: number;
  showlegend?: boolean;
  hovertemplate?: string;
  text?: Datum[] | string;
  /** Error bars (e.g. one standard deviation over seeds). */
  error_y?: { type: "data"; array: number[]; visible?: boolean; thickness?: number; width?: number };
}

export interface BarTrace extends TraceBase {
  type: "bar";
  x: Datum[];
  y: Datum[];
  orientation?: "v" | "h";
  textposition?: "auto" | "inside" | "outside" | "none";
}

export interface HistogramTrace extends TraceBase {
  type: "histogram";
  x: number[];
  histnorm?: "" | "percent" | "probability" | "density" | "probability density";
  xbins?: { start?: number; end?: number; size?: number };
  nbinsx?: number;
}

export interface BoxTrace extends TraceBase {
  type: "box";
  y?: number[];
  x?: number[];
  boxpoints?: false | "outliers" | "all" | "suspectedoutliers";
  boxmean?: boolean | "sd";
}

export interface ScatterTrace extends TraceBase {
  type: "scatter";
  x: Datum[];
  y: Datum[];
  mode?: "lines" | "markers" | "lines+markers" | "text" | "markers+text";
  line?: { color?: string; width?: number; dash?: "solid" | "dot" | "dash" | "dashdot"; shape?: "linear" | "hv" };
}

export interface HeatmapTrace extends TraceBase {
  type: "heatmap";
  z: number[][];
  x?: Datum[];
  y?: Datum[];
  colorscale?: string;
  texttemplate?: string;
}

export type Trace = BarTrace | HistogramTrace | BoxTrace | ScatterTrace | HeatmapTrace;

export interface Axis {
  title?: { text: string };
  type?: "linear" | "log" | "category";
  range?: [number, number];
  tickformat?: string;
  dtick?: number;
  automargin?: boolean;
  autorange?: boolean | "reversed";
}

export interface Layout {
  title?: { text: string };
  xaxis?: Axis;
  yaxis?: Axis;
  barmode?: "group" | "overlay" | "stack" | "relative";
  bargap?: number;
  width?: number;
  height?: number;
  margin?: { l?: number; r?: number; t?: number; b?: number };
  legend?: { orientation?: "v" | "h"; x?: number; y?: number };
  showlegend?: boolean;
}

export interface Figure {
  data: Trace[];
  layout: Layout;
}

/** Plotly's default layout width and height are replaced by these, so the inline and saved views agree. */
export const DEFAULT_CHART_HEIGHT = 450;

export const axisTitle = (text: string, extra: Omit<Axis, "title"> = {}): Axis => ({
  title: { text },
  automargin: true,
  ...extra,
});

/** A figure with a title and axis titles, the common case; `layout` adds or overrides anything else. */
export function figure(data: Trace[], title: string, xTitle?: string, yTitle?: string, layout: Layout = {}): Figure {
  const { xaxis, yaxis, ...rest } = layout;
  return {
    data,
    layout: {
      title: { text: title },
      xaxis: { ...(xTitle !== undefined ? axisTitle(xTitle) : { automargin: true }), ...xaxis },
      yaxis: { ...(yTitle !== undefined ? axisTitle(yTitle) : { automargin: true }), ...yaxis },
      ...rest,
    },
  };
}

export const bar = (x: Datum[], y: Datum[], options: Omit<BarTrace, "type" | "x" | "y"> = {}): BarTrace => ({
  type: "bar",
  x,
  y,
  ...options,
});
export const histogram = (x: number[], options: Omit<HistogramTrace, "type" | "x"> = {}): HistogramTrace => ({
  type: "histogram",
  x,
  ...options,
});
export const box = (y: number[], options: Omit<BoxTrace, "type" | "y"> = {}): BoxTrace => ({
  type: "box",
  y,
  ...options,
});
export const scatter = (
  x: Datum[],
  y: Datum[],
  options: Omit<ScatterTrace, "type" | "x" | "y"> = {},
): ScatterTrace => ({
  type: "scatter",
  x,
  y,
  mode: "lines",
  ...options,
});
export const heatmap = (z: number[][], options: Omit<HeatmapTrace, "type" | "z"> = {}): HeatmapTrace => ({
  type: "heatmap",
  z,
  ...options,
});

/** Colours used consistently across the notebooks: drugs, effects, positive and negative sentences. */
export const COLORS = {
  drug: "#1f77b4",
  effect: "#d62728",
  positive: "#2ca02c",
  negative: "#7f7f7f",
  dose: "#9467bd",
} as const;
