/**
 * Reader and writer for the safetensors format
 * (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`, then
 * the raw little-endian tensor bytes (offsets relative to the end of the header).
 *
 * Floating-point tensors of F32, F16, BF16 and F64 are read and converted to float32. Every other dtype of the
 * format (integers, booleans, 8-bit and smaller floats, complex) is validated like the rest and then skipped:
 * a checkpoint carries such buffers (`embeddings.position_ids`, I64) that no weight is made of, and refusing the
 * whole file for them stopped real hub checkpoints from loading. The layout is checked as the reference Rust
 * crate (`safetensors`, `Metadata::validate` and `read_metadata`) checks it: sorted by offsets, every tensor
 * starts where the previous one ended, and the last one ends at the end of the file, so a header whose tensors
 * overlap or leave bytes between or after them is refused, naming the tensors.
 * Writing is F32 only, tensors sorted by name so that the output is byte-for-byte deterministic.
 */
import * as fs from "node:fs";
import { AdeflowError } from "../errors";
import { writeFileAtomic } from "./atomic";

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export type TensorMap = Map<string, NamedTensor>;

/** A tensor whose dtype is not a float this reader converts: validated, its values not read. */
export interface SkippedTensor {
  dtype: string;
  shape: number[];
}

/** What a file holds: the float tensors as float32, and the names and dtypes of the tensors left unread. */
export interface SafetensorsContents {
  tensors: TensorMap;
  skipped: Map<string, SkippedTensor>;
  metadata?: Record<string, string>;
}

/** Bits per element of every dtype the format defines (the Rust crate's `Dtype::bitsize`). */
const BITS: Record<string, number> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

/** The dtypes converted to float32; the others are skipped. */
const CONVERTED = new Set(["F32", "F16", "BF16", "F64"]);

/** The Rust crate refuses larger headers (100 MB): a corrupt length must not make us allocate gigabytes. */
const MAX_HEADER_BYTES = 100_000_000;

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function convert(view: DataView, at: number, n: number, dtype: string): Float32Array {
  const data = new Float32Array(n);
  if (dtype === "F32") {
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(at + 4 * i, true);
  } else if (dtype === "F64") {
    for (let i = 0; i < n; i++) data[i] = view.getFloat64(at + 8 * i, true);
  } else if (dtype === "F16") {
    for (let i = 0; i < n; i++) data[i] = f16ToF32(view.getUint16(at + 2 * i, true));
  } else {
    const tmp = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < n; i++) {
      tmp.setUint32(0, view.getUint16(at + 2 * i, true) << 16, true);
      data[i] = tmp.getFloat32(0, true);
    }
  }
  return data;
}

/** Parse a safetensors buffer; `file` is only used in error messages. */
export function parseSafetensorsContents(buf: Uint8Array, file = "<buffer>"): SafetensorsContents {
  const fail = (problem: string) => new AdeflowError(`${file}: ${problem}`);
  if (buf.byteLength < 8) throw fail("not a safetensors file (shorter than its 8-byte header length)");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(buf.byteLength - 8)) {
    throw fail(`header length ${headerLength} exceeds the file size ${buf.byteLength}`);
  }
  const headerLen = Number(headerLength);
  if (headerLen > MAX_HEADER_BYTES) throw fail(`header length ${headerLen} exceeds the format's limit of 100 MB`);
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw fail("header is not a JSON object");
  }
  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  let metadata: Record<string, string> | undefined;
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      // the format allows only a map of strings here; the reference reader refuses anything else
      if (
        raw === null ||
        typeof raw !== "object" ||
        Array.isArray(raw) ||
        Object.values(raw).some((v) => typeof v !== "string")
      ) {
        throw fail(`"__metadata__" must map names to strings, found ${JSON.stringify(raw)}`);
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const where = `tensor "${name}"`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      throw fail(`${where}: expected {dtype, shape, data_offsets}, found ${JSON.stringify(raw)}`);
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info.dtype !== "string" || !(info.dtype in BITS)) {
      throw fail(
        `${where}: unknown dtype ${JSON.stringify(info.dtype)} (the format's dtypes: ${Object.keys(BITS).join(", ")})`,
      );
    }
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw fail(`${where}: invalid shape ${JSON.stringify(info.shape)}`);
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw fail(`${where}: invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const dtype = info.dtype;
    const shape = info.shape as number[];
    if (end < begin || end > dataLen) {
      throw fail(`${where}: data_offsets [${begin}, ${end}] outside the data section of ${dataLen} bytes`);
    }
    const bits = shape.reduce((a, b) => a * b, 1) * BITS[dtype];
    if (!Number.isSafeInteger(bits)) throw fail(`${where}: shape [${shape.join(",")}] is too large`);
    if (bits % 8 !== 0) {
      throw fail(`${where}: ${dtype}[${shape.join(",")}] is ${bits} bits, not a whole number of bytes`);
    }
    if (end - begin !== bits / 8) {
      throw fail(`${where}: data_offsets span ${end - begin} bytes but ${dtype}[${shape.join(",")}] needs ${bits / 8}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  checkLayout(entries, dataLen, fail);
  const tensors: TensorMap = new Map();
  const skipped = new Map<string, SkippedTensor>();
  for (const e of entries) {
    if (!CONVERTED.has(e.dtype)) {
      skipped.set(e.name, { dtype: e.dtype, shape: e.shape });
      continue;
    }
    const n = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.name, { shape: e.shape, data: convert(view, dataStart + e.begin, n, e.dtype) });
  }
  return { tensors, skipped, ...(metadata ? { metadata } : {}) };
}

/**
 * The Rust crate's rule: in order of offsets, each tensor begins where the previous one ended (the first at 0)
 * and the last ends at the end of the data section. Overlaps and gaps are both refused, naming the tensors.
 */
function checkLayout(entries: Entry[], dataLen: number, fail: (problem: string) => AdeflowError): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: Entry | undefined;
  const span = (e: Entry) => `"${e.name}" [${e.begin}, ${e.end}]`;
  for (const e of sorted) {
    if (e.begin < at) {
      throw fail(`tensors ${span(previous!)} and ${span(e)} overlap; the format forbids tensors sharing bytes`);
    }
    if (e.begin > at) {
      const before = previous ? `between ${span(previous)} and ${span(e)}` : `before the first tensor ${span(e)}`;
      throw fail(
        `bytes [${at}, ${e.begin}) of the data section belong to no tensor (${before}); the format forbids gaps`,
      );
    }
    at = e.end;
    previous = e;
  }
  if (at !== dataLen) {
    const last = previous ? `the last tensor ${span(previous)} ends at ${at}` : "the header has no tensor";
    throw fail(
      `the data section has ${dataLen} bytes but ${last}: ${dataLen - at} bytes at the end belong to no tensor`,
    );
  }
}

/** Parse a safetensors buffer into its float tensors (see `parseSafetensorsContents` for what is skipped). */
export function parseSafetensors(buf: Uint8Array, file = "<buffer>"): TensorMap {
  return parseSafetensorsContents(buf, file).tensors;
}

export function readSafetensorsContents(file: string): SafetensorsContents {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new AdeflowError(`${file}: cannot read (${(e as Error).message})`);
  }
  return parseSafetensorsContents(buf, file);
}

export function readSafetensors(file: string): TensorMap {
  return readSafetensorsContents(file).tensors;
}

/** Serialise tensors as F32 safetensors (names sorted; optional string metadata). */
export function serializeSafetensors(tensors: TensorMap, metadata?: Record<string, string>): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new AdeflowError(`tensor "${name}": shape [${t.shape.join(",")}] does not match ${t.data.length} values`);
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section starts 8-byte aligned (as the reference writer does).
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += " ";
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    for (let i = 0; i < t.data.length; i++, at += 4) out.writeFloatLE(t.data[i], at);
  }
  return out;
}

export function writeSafetensors(file: string, tensors: TensorMap, metadata?: Record<string, string>): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}
