import { escapeHtml } from "./html";

/** What `extractionHtml` draws: text, entities with offsets in Unicode code points, relations between them. */
export interface ExtractionLike {
  text: string;
  entities: { type: string; start: number; end: number; text: string }[];
  relations: { drug: number; effect: number }[];
}

const COLOURS: Record<string, string> = { Drug: "#cfe8ff", Effect: "#ffd9cc" };

/**
 * The sentence with drugs and effects highlighted, each entity tagged with the numbers of the relations it
 * takes part in, and the drug -> effect links listed underneath. Plain HTML and inline styles: it renders in
 * JupyterLab, in a saved notebook and in a browser without any script.
 */
export function extractionHtml(x: ExtractionLike): string {
  const relOf = x.entities.map((_, i) =>
    x.relations.map((r, k) => (r.drug === i || r.effect === i ? k + 1 : 0)).filter((k) => k > 0),
  );
  // offsets count code points (an emoji is one), so the text is cut as an array of code points
  const chars = Array.from(x.text);
  const cut = (from: number, to?: number) => chars.slice(from, to).join("");
  let html = "";
  let at = 0;
  x.entities.forEach((e, i) => {
    if (e.start < at) return; // overlapping spans cannot be drawn inline; the list below still has them
    html += escapeHtml(cut(at, e.start));
    const badge = relOf[i].length
      ? `<sub style="font-size:10px;color:#555;margin-left:2px;">${relOf[i].join(",")}</sub>`
      : "";
    html += `<mark class="adeflow-entity adeflow-${e.type.toLowerCase()}" title="${escapeHtml(e.type)}" style="background:${COLOURS[e.type] ?? "#eee"};padding:1px 3px;border-radius:3px;">${escapeHtml(cut(e.start, e.end))}<span style="font-size:9px;font-weight:bold;margin-left:3px;color:#333;">${escapeHtml(e.type.toUpperCase())}</span>${badge}</mark>`;
    at = e.end;
  });
  html += escapeHtml(cut(at));
  const links = x.relations.length
    ? x.relations
        .map(
          (r, k) =>
            `<li class="adeflow-relation">${k + 1}. <b>${escapeHtml(x.entities[r.drug].text)}</b> &rarr; <b>${escapeHtml(x.entities[r.effect].text)}</b></li>`,
        )
        .join("")
    : `<li style="color:#888;">no drug &rarr; effect relation found</li>`;
  return `<div class="adeflow-extraction" style="font-family:sans-serif;line-height:2;">${html}<ul style="margin:4px 0 0 0;padding-left:18px;line-height:1.5;">${links}</ul></div>`;
}
