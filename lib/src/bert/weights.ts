/**
 * Maps checkpoint tensor names (Hugging Face hub layout) onto the encoder's canonical names.
 *
 * Canonical names are the hub names without the `bert.` prefix and with `LayerNorm.weight/bias`
 * (older checkpoints use `LayerNorm.gamma/beta`). Linear weights stay in PyTorch layout
 * `[out_features, in_features]`. Extra tensors (`cls.*`, `classifier.*`, `pooler.*`, ...) are
 * ignored; the pooler is optional and unused by the study.
 */
import { AdeflowError } from "../errors";
import type { BertConfig } from "./config";
import type { NamedTensor, SkippedTensor, TensorMap } from "../io/safetensors";

/** Canonical name -> expected shape, for every tensor the encoder needs. */
export function expectedEncoderShapes(cfg: BertConfig): Map<string, number[]> {
  const H = cfg.hidden_size;
  const I = cfg.intermediate_size;
  const m = new Map<string, number[]>();
  m.set("embeddings.word_embeddings.weight", [cfg.vocab_size, H]);
  m.set("embeddings.position_embeddings.weight", [cfg.max_position_embeddings, H]);
  m.set("embeddings.token_type_embeddings.weight", [cfg.type_vocab_size, H]);
  m.set("embeddings.LayerNorm.weight", [H]);
  m.set("embeddings.LayerNorm.bias", [H]);
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const n of ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]) {
      m.set(`${p}${n}.weight`, [H, H]);
      m.set(`${p}${n}.bias`, [H]);
    }
    m.set(`${p}attention.output.LayerNorm.weight`, [H]);
    m.set(`${p}attention.output.LayerNorm.bias`, [H]);
    m.set(`${p}intermediate.dense.weight`, [I, H]);
    m.set(`${p}intermediate.dense.bias`, [I]);
    m.set(`${p}output.dense.weight`, [H, I]);
    m.set(`${p}output.dense.bias`, [H]);
    m.set(`${p}output.LayerNorm.weight`, [H]);
    m.set(`${p}output.LayerNorm.bias`, [H]);
  }
  return m;
}

/** Canonical form of one checkpoint name (strip `bert.`, gamma/beta -> weight/bias). */
export function canonicalName(name: string): string {
  let n = name.startsWith("bert.") ? name.slice(5) : name;
  n = n.replace(/LayerNorm\.gamma$/, "LayerNorm.weight").replace(/LayerNorm\.beta$/, "LayerNorm.bias");
  return n;
}

/** The name a hub checkpoint uses for a canonical name (what we write). */
export function hubName(canonical: string): string {
  return `bert.${canonical}`;
}

/** `[3, 82]` for flat index 1234 of a [16, 384] tensor: where a value sits, as a person counts it. */
function positionOf(flat: number, shape: readonly number[]): string {
  const at: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${at.join(", ")}]`;
}

/**
 * The first NaN or infinite value of a tensor and how many there are, or undefined when all are finite. A
 * checkpoint saved from a diverged run loads without complaint otherwise and trains to NaN losses much later.
 */
export function firstNonFinite(t: NamedTensor): { index: number; value: number; count: number } | undefined {
  let first = -1;
  let count = 0;
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  return first < 0 ? undefined : { index: first, value: t.data[first], count };
}

/**
 * Select and validate the encoder tensors of a checkpoint. Throws one AdeflowError listing every missing,
 * mis-shaped, non-float (a tensor the reader skipped, see `SafetensorsContents`) and non-finite tensor.
 */
export function mapEncoderWeights(
  tensors: TensorMap,
  cfg: BertConfig,
  file = "model.safetensors",
  skipped: ReadonlyMap<string, SkippedTensor> = new Map(),
): Map<string, NamedTensor> {
  const expected = expectedEncoderShapes(cfg);
  const found = new Map<string, NamedTensor>();
  const sourceName = new Map<string, string>();
  for (const [name, t] of tensors) {
    const c = canonicalName(name);
    if (expected.has(c)) {
      found.set(c, t);
      sourceName.set(c, name);
    }
  }
  const notFloat = new Map<string, string>();
  for (const [name, t] of skipped) {
    const c = canonicalName(name);
    if (expected.has(c) && !found.has(c)) notFloat.set(c, `${name} is ${t.dtype}[${t.shape.join(",")}]`);
  }
  const missing: string[] = [];
  const misshaped: string[] = [];
  const nonFinite: string[] = [];
  for (const [c, shape] of expected) {
    const t = found.get(c);
    if (!t) {
      if (!notFloat.has(c)) missing.push(c);
    } else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      misshaped.push(`${sourceName.get(c)} has shape [${t.shape.join(",")}], expected [${shape.join(",")}]`);
    } else {
      const bad = firstNonFinite(t);
      if (bad) {
        nonFinite.push(
          `${sourceName.get(c)} holds ${bad.value} at index ${bad.index} ${positionOf(bad.index, t.shape)}` +
            (bad.count > 1 ? ` (${bad.count} values are NaN or infinite)` : ""),
        );
      }
    }
  }
  if (missing.length || misshaped.length || notFloat.size || nonFinite.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.length} tensor(s): ${missing.join(", ")}`);
    if (misshaped.length) parts.push(`wrong shape: ${misshaped.join("; ")}`);
    if (notFloat.size) parts.push(`not floating point (F32, F16, BF16 or F64): ${[...notFloat.values()].join("; ")}`);
    if (nonFinite.length) parts.push(`not finite: ${nonFinite.join("; ")}`);
    // a missing or mis-shaped tensor is a mismatch with config.json; a bad value or dtype is the file's own fault
    const what = missing.length || misshaped.length ? "checkpoint does not match config.json" : "unusable weights";
    throw new AdeflowError(`${file}: ${what}: ${parts.join("; ")}`);
  }
  return found;
}
