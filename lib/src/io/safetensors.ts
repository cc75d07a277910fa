/**
 * Reader and writer for the safetensors format
 * (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`, then
 * the raw little-endian tensor bytes (offsets relative to the end of the header).
 * F32, F16 and BF16 are read and converted to float32; writing is F32 only, tensors sorted by
 * name so that the output is byte-for-byte deterministic.
 */
import * as fs from "node:fs";
import { AdeflowError } from "../errors";
import { writeFileAtomic } from "./atomic";

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export type TensorMap = Map<string, NamedTensor>;

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Parse a safetensors buffer; `file` is only used in error messages. */
export function parseSafetensors(buf: Uint8Array, file = "<buffer>"): TensorMap {
  const fail = (problem: string) => new AdeflowError(`${file}: ${problem}`);
  if (buf.byteLength < 8) throw fail("not a safetensors file (shorter than its 8-byte header length)");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > buf.byteLength - 8) {
    throw fail(`header length ${headerLen} exceeds the file size ${buf.byteLength}`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, headerLen).toString("utf8"));
  } catch (e) {
    throw fail(`header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  const out: TensorMap = new Map();
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const where = `tensor "${name}"`;
    if (typeof info.dtype !== "string" || !(info.dtype in BYTES)) {
      throw fail(`${where}: unsupported dtype ${JSON.stringify(info.dtype)} (supported: F32, F16, BF16)`);
    }
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw fail(`${where}: invalid shape ${JSON.stringify(info.shape)}`);
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0)) {
      throw fail(`${where}: invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const shape = info.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const width = BYTES[info.dtype];
    if (end < begin || end > dataLen) {
      throw fail(`${where}: data_offsets [${begin}, ${end}] outside the data section of ${dataLen} bytes`);
    }
    if (end - begin !== n * width) {
      throw fail(
        `${where}: data_offsets span ${end - begin} bytes but ${info.dtype}[${shape.join(",")}] needs ${n * width}`,
      );
    }
    const data = new Float32Array(n);
    const at = dataStart + begin;
    if (info.dtype === "F32") {
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(at + 4 * i, true);
    } else if (info.dtype === "F16") {
      for (let i = 0; i < n; i++) data[i] = f16ToF32(view.getUint16(at + 2 * i, true));
    } else {
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        tmp.setUint32(0, view.getUint16(at + 2 * i, true) << 16, true);
        data[i] = tmp.getFloat32(0, true);
      }
    }
    out.set(name, { shape, data });
  }
  return out;
}

export function readSafetensors(file: string): TensorMap {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new AdeflowError(`${file}: cannot read (${(e as Error).message})`);
  }
  return parseSafetensors(buf, file);
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
