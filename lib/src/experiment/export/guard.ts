/**
 * An export replaces its target folder whole, so it first makes sure that folder holds nothing a person would lose:
 * it must be absent, empty, or this tool's own earlier export, untouched. That is what the manifest is for:
 * `adeflow-export.json` lists every file the export wrote with its SHA-256. A folder with any other file (a base
 * checkpoint, a trained model's `model.json`, notes) or with an exported file changed since is refused, naming them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../../errors";
import { sha256 } from "../../corpus/locate";

/** The file that marks a folder as an adeflow export and lists what it wrote. */
export const EXPORT_MANIFEST = "adeflow-export.json";

/** What the manifest records. */
export type ExportManifest = {
  tool: "adeflow";
  /** The manifest's layout; bumped when it changes. */
  format: 1;
  task: "ner" | "re";
  /** Every other file of the folder and its SHA-256. */
  files: Record<string, string>;
  /** The trained model's own description (`model.json`) at the time of the export. */
  source: Record<string, unknown>;
};

/** The manifest of a folder, or undefined when it has none that this tool wrote. */
export function readExportManifest(dir: string): ExportManifest | undefined {
  const file = path.join(dir, EXPORT_MANIFEST);
  if (!fs.existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  const m = value as Partial<ExportManifest> | null;
  if (!m || m.tool !== "adeflow" || !m.files || typeof m.files !== "object") return undefined;
  return m as ExportManifest;
}

const listed = (names: string[]): string => {
  const shown = names.slice(0, 6).join(", ");
  return names.length > 6 ? `${shown} and ${names.length - 6} more` : shown;
};

/**
 * Throws an `AdeflowError` unless `out` may be replaced by an export: absent, an empty folder, or an earlier export
 * of this tool whose files are all as it wrote them.
 */
export function checkExportTarget(out: string): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory())
    throw new AdeflowError(`${out} is a file, not a folder: choose another folder for the export (--out)`);
  const entries = fs.readdirSync(out).sort();
  if (entries.length === 0) return;
  const manifest = readExportManifest(out);
  if (!manifest)
    throw new AdeflowError(
      `${out} holds files that are not an adeflow export (${listed(entries)}); an export replaces its folder ` +
        `whole, so choose a new or empty folder (--out)`,
    );
  const foreign = entries.filter((e) => e !== EXPORT_MANIFEST && !(e in manifest.files));
  if (foreign.length)
    throw new AdeflowError(
      `${out} is an earlier export, but also holds ${listed(foreign)}, which the export did not write; ` +
        `move them out or choose another folder (--out)`,
    );
  const changed = Object.entries(manifest.files)
    .filter(([name, hash]) => {
      const file = path.join(out, name);
      return fs.existsSync(file) && sha256(fs.readFileSync(file)) !== hash;
    })
    .map(([name]) => name);
  if (changed.length)
    throw new AdeflowError(
      `${out} is an earlier export, but ${listed(changed)} changed since it was written; ` +
        `keep your changes elsewhere, or remove the folder, and export again`,
    );
}
