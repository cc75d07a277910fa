/** safetensors, config.json and weight-name mapping: formats and the errors users see. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseSafetensors, parseSafetensorsContents, serializeSafetensors, type TensorMap } from "../src/io";
import { parseBertConfig, mapEncoderWeights, expectedEncoderShapes, canonicalName, resolveModel } from "../src/bert";
import { AdeflowError } from "../src/errors";

function rawFile(header: object, data: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

test("safetensors: F32 round trip is exact and deterministic", () => {
  const m: TensorMap = new Map([
    ["b", { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, 7]) }],
    ["a", { shape: [1], data: Float32Array.from([Math.PI]) }],
  ]);
  const buf = serializeSafetensors(m, { k: "v" });
  assert.equal(Number(buf.readBigUInt64LE(0)) % 8, 0, "header padded to 8 bytes");
  assert.deepEqual(serializeSafetensors(new Map([...m].reverse())), serializeSafetensors(m), "order independent");
  const back = parseSafetensors(buf);
  assert.deepEqual(back.get("b")!.shape, [2, 3]);
  assert.deepEqual(Array.from(back.get("b")!.data), Array.from(m.get("b")!.data));
  assert.equal(back.get("a")!.data[0], Math.fround(Math.PI));
});

test("safetensors: F16 and BF16 are converted to float32", () => {
  const f16 = Buffer.alloc(8);
  [0x3c00, 0xc000, 0x3555, 0x0001].forEach((v, i) => f16.writeUInt16LE(v, 2 * i)); // 1, -2, ~1/3, 2^-24
  const bf = Buffer.alloc(4);
  bf.writeUInt16LE(0x3fc0, 0); // 1.5
  bf.writeUInt16LE(0xc2f7, 2); // -123.5
  const file = rawFile(
    {
      h: { dtype: "F16", shape: [4], data_offsets: [0, 8] },
      g: { dtype: "BF16", shape: [2], data_offsets: [8, 12] },
      __metadata__: { x: "y" },
    },
    Buffer.concat([f16, bf]),
  );
  const t = parseSafetensors(file, "x.safetensors");
  const h = Array.from(t.get("h")!.data);
  assert.deepEqual([h[0], h[1], h[3]], [1, -2, 2 ** -24]);
  assert.ok(Math.abs(h[2] - 1 / 3) < 1e-3);
  assert.deepEqual(Array.from(t.get("g")!.data), [1.5, -123.5]);
});

test("safetensors: bad offsets, dtypes and lengths name the file and the tensor", () => {
  const data = Buffer.alloc(16);
  assert.throws(
    () => parseSafetensors(rawFile({ w: { dtype: "F32", shape: [5], data_offsets: [0, 20] } }, data), "m.safetensors"),
    (e: Error) =>
      e instanceof AdeflowError &&
      /m\.safetensors/.test(e.message) &&
      /"w"/.test(e.message) &&
      /outside the data section/.test(e.message),
  );
  assert.throws(
    () => parseSafetensors(rawFile({ w: { dtype: "F32", shape: [3], data_offsets: [0, 16] } }, data), "m.safetensors"),
    /"w".*needs 12/,
  );
  assert.throws(
    () => parseSafetensors(rawFile({ w: { dtype: "Q4", shape: [2], data_offsets: [0, 16] } }, data), "m.safetensors"),
    /tensor "w": unknown dtype "Q4" \(the format's dtypes: BOOL, F4, /,
  );
  const bad = Buffer.alloc(16);
  bad.writeBigUInt64LE(1000n);
  assert.throws(() => parseSafetensors(bad, "m.safetensors"), /m\.safetensors: header length 1000/);
});

const GOOD = {
  vocab_size: 10,
  hidden_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 16,
  hidden_act: "gelu",
  max_position_embeddings: 16,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
};

test("config.json: errors name the file and every bad field", () => {
  assert.equal(parseBertConfig(GOOD).hidden_size, 8);
  const { hidden_size: _drop, ...noHidden } = GOOD;
  void _drop;
  assert.throws(
    () => parseBertConfig({ ...noHidden, hidden_act: "relu", num_attention_heads: 0 }, "/m/config.json"),
    (e: Error) =>
      e instanceof AdeflowError &&
      e.message.startsWith("/m/config.json:") &&
      /"hidden_size" is missing/.test(e.message) &&
      /"hidden_act" is "relu"/.test(e.message) &&
      /"num_attention_heads" must be a positive integer/.test(e.message),
  );
  assert.throws(() => parseBertConfig({ ...GOOD, hidden_size: 9 }), /not a multiple/);
  assert.throws(() => parseBertConfig({ ...GOOD, hidden_dropout_prob: 2 }), /hidden_dropout_prob/);
});

function fakeWeights(cfg: ReturnType<typeof parseBertConfig>, name: (n: string) => string): TensorMap {
  const m: TensorMap = new Map();
  for (const [n, shape] of expectedEncoderShapes(cfg))
    m.set(name(n), { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  return m;
}

test("weights: bert. prefix optional, gamma/beta accepted, heads ignored", () => {
  const cfg = parseBertConfig(GOOD);
  const tf1 = fakeWeights(cfg, (n) =>
    n.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"),
  );
  tf1.set("cls.predictions.bias", { shape: [10], data: new Float32Array(10) });
  tf1.set("classifier.weight", { shape: [3, 8], data: new Float32Array(24) });
  assert.equal(mapEncoderWeights(tf1, cfg).size, expectedEncoderShapes(cfg).size);
  assert.equal(
    mapEncoderWeights(
      fakeWeights(cfg, (n) => `bert.${n}`),
      cfg,
    ).size,
    expectedEncoderShapes(cfg).size,
  );
  assert.equal(canonicalName("bert.encoder.layer.0.output.LayerNorm.gamma"), "encoder.layer.0.output.LayerNorm.weight");
});

test("weights: one error lists every missing and every mis-shaped tensor", () => {
  const cfg = parseBertConfig(GOOD);
  const m = fakeWeights(cfg, (n) => `bert.${n}`);
  m.delete("bert.encoder.layer.0.attention.self.key.weight");
  m.delete("bert.embeddings.LayerNorm.bias");
  m.set("bert.encoder.layer.0.intermediate.dense.weight", { shape: [8, 16], data: new Float32Array(128) });
  assert.throws(
    () => mapEncoderWeights(m, cfg, "/m/model.safetensors"),
    (e: Error) =>
      e instanceof AdeflowError &&
      e.message.startsWith("/m/model.safetensors") &&
      /missing 2 tensor/.test(e.message) &&
      /encoder\.layer\.0\.attention\.self\.key\.weight/.test(e.message) &&
      /embeddings\.LayerNorm\.bias/.test(e.message) &&
      /bert\.encoder\.layer\.0\.intermediate\.dense\.weight has shape \[8,16\], expected \[16,8\]/.test(e.message),
  );
});

/** A safetensors file of named tensors laid out one after another, each `bytes` long (values zero). */
function packed(tensors: [name: string, dtype: string, shape: number[], bytes: number][]): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let at = 0;
  for (const [name, dtype, shape, bytes] of tensors) {
    header[name] = { dtype, shape, data_offsets: [at, at + bytes] };
    at += bytes;
  }
  return rawFile(header, Buffer.alloc(at));
}

test("safetensors: integer, boolean and narrow-float tensors are validated and skipped, not refused", () => {
  // what real checkpoints carry: all-MiniLM-L6-v2 has embeddings.position_ids as I64[1,512] before its weights
  const skippedKinds: [string, number][] = [
    ["BOOL", 1],
    ["U8", 1],
    ["I8", 1],
    ["I16", 2],
    ["U16", 2],
    ["I32", 4],
    ["U32", 4],
    ["I64", 8],
    ["U64", 8],
    ["F8_E5M2", 1],
    ["F8_E4M3", 1],
    ["F8_E8M0", 1],
    ["F8_E4M3FNUZ", 1],
    ["F8_E5M2FNUZ", 1],
    ["C64", 8],
  ];
  const file = packed([
    ["embeddings.position_ids", "I64", [1, 512], 4096],
    ...skippedKinds.map(([dtype, width]): [string, string, number[], number] => [`x.${dtype}`, dtype, [2], 2 * width]),
    ["f4", "F4", [4], 2],
    ["f6", "F6_E2M3", [4], 3],
    ["w", "F32", [2], 8],
  ]);
  const { tensors, skipped, metadata } = parseSafetensorsContents(file, "m.safetensors");
  assert.deepEqual([...tensors.keys()], ["w"]);
  assert.deepEqual(skipped.get("embeddings.position_ids"), { dtype: "I64", shape: [1, 512] });
  assert.equal(skipped.size, skippedKinds.length + 3);
  assert.deepEqual(metadata, { format: "pt" });
  // an odd number of 4-bit values is not a whole number of bytes: the Rust crate refuses it too
  assert.throws(
    () => parseSafetensors(packed([["f4", "F4", [3], 2]]), "m.safetensors"),
    /tensor "f4": F4\[3\] is 12 bits, not a whole number of bytes/,
  );
  // a skipped tensor is still checked: its bytes must match its dtype and shape
  assert.throws(
    () => parseSafetensors(packed([["ids", "I64", [1, 512], 4000]]), "m.safetensors"),
    /m\.safetensors: tensor "ids": data_offsets span 4000 bytes but I64\[1,512\] needs 4096/,
  );
});

test("safetensors: F64 is converted to float32", () => {
  const data = Buffer.alloc(16);
  data.writeDoubleLE(0.1, 0);
  data.writeDoubleLE(-3e38, 8);
  const t = parseSafetensors(rawFile({ d: { dtype: "F64", shape: [2], data_offsets: [0, 16] } }, data));
  assert.deepEqual(Array.from(t.get("d")!.data), [Math.fround(0.1), Math.fround(-3e38)]);
});

test("safetensors: overlapping tensors, gaps and trailing bytes are refused, naming the tensors", () => {
  const f32 = (begin: number, end: number) => ({
    dtype: "F32",
    shape: [(end - begin) / 4],
    data_offsets: [begin, end],
  });
  assert.throws(
    () => parseSafetensors(rawFile({ a: f32(0, 8), b: f32(4, 12) }, Buffer.alloc(12)), "m.safetensors"),
    /m\.safetensors: tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/,
  );
  // two tensors on the same bytes (a file that aliases weights) overlap as well
  assert.throws(
    () => parseSafetensors(rawFile({ a: f32(0, 8), b: f32(0, 8) }, Buffer.alloc(8)), "m.safetensors"),
    /tensors "a" \[0, 8\] and "b" \[0, 8\] overlap/,
  );
  assert.throws(
    () => parseSafetensors(rawFile({ a: f32(0, 4), b: f32(8, 12) }, Buffer.alloc(12)), "m.safetensors"),
    /bytes \[4, 8\) of the data section belong to no tensor \(between "a" \[0, 4\] and "b" \[8, 12\]\)/,
  );
  assert.throws(
    () => parseSafetensors(rawFile({ a: f32(4, 8) }, Buffer.alloc(8)), "m.safetensors"),
    /bytes \[0, 4\) .* \(before the first tensor "a" \[4, 8\]\)/,
  );
  assert.throws(
    () => parseSafetensors(rawFile({ a: f32(0, 4) }, Buffer.alloc(8)), "m.safetensors"),
    /the data section has 8 bytes but the last tensor "a" \[0, 4\] ends at 4: 4 bytes at the end belong to no tensor/,
  );
  // the header's order does not matter, only the offsets (the reference sorts by them too); empty tensors fit anywhere
  const ok = parseSafetensors(
    rawFile({ b: f32(4, 12), e: { dtype: "F32", shape: [0], data_offsets: [4, 4] }, a: f32(0, 4) }, Buffer.alloc(12)),
  );
  assert.deepEqual([...ok.keys()].sort(), ["a", "b", "e"]);
  assert.throws(
    () => parseSafetensors(rawFile({ __metadata__: { n: 1 }, a: f32(0, 4) }, Buffer.alloc(4)), "m.safetensors"),
    /"__metadata__" must map names to strings/,
  );
});

test("weights: NaN or infinite values are refused with the tensor and the first bad position", () => {
  const cfg = parseBertConfig(GOOD);
  const m = fakeWeights(cfg, (n) => n);
  const q = m.get("encoder.layer.0.attention.self.query.weight")!;
  q.data[8 * 3 + 5] = NaN; // row 3, column 5 of [8, 8]
  q.data[60] = Infinity;
  m.get("embeddings.LayerNorm.bias")!.data[7] = -Infinity;
  assert.throws(
    () => mapEncoderWeights(m, cfg, "/m/model.safetensors"),
    (e: Error) =>
      e instanceof AdeflowError &&
      e.message.startsWith("/m/model.safetensors: ") &&
      /encoder\.layer\.0\.attention\.self\.query\.weight holds NaN at index 29 \[3, 5\] \(2 values are NaN or infinite\)/.test(
        e.message,
      ) &&
      /embeddings\.LayerNorm\.bias holds -Infinity at index 7 \[7\]/.test(e.message),
  );
});

test("weights: a tensor the encoder needs but the reader skipped (not a float) is named with its dtype", () => {
  const cfg = parseBertConfig(GOOD);
  const m = fakeWeights(cfg, (n) => n);
  m.delete("embeddings.token_type_embeddings.weight");
  const skipped = new Map([["bert.embeddings.token_type_embeddings.weight", { dtype: "I32", shape: [2, 8] }]]);
  assert.throws(
    () => mapEncoderWeights(m, cfg, "m.safetensors", skipped),
    (e: Error) =>
      /not floating point \(F32, F16, BF16 or F64\): bert\.embeddings\.token_type_embeddings\.weight is I32\[2,8\]/.test(
        e.message,
      ) && !/missing/.test(e.message),
  );
});

test("a folder with only pytorch_model.bin says how to convert it", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-bin-"));
  try {
    for (const f of ["config.json", "vocab.txt", "pytorch_model.bin"]) fs.writeFileSync(path.join(dir, f), "x");
    await assert.rejects(resolveModel(dir), (e: Error) => {
      assert.ok(e instanceof AdeflowError);
      assert.match(e.message, /has pytorch_model\.bin but no model\.safetensors, and only safetensors are read/);
      assert.ok(e.message.includes(`AutoModel.from_pretrained(${JSON.stringify(dir)}).save_pretrained(`), e.message);
      assert.match(e.message, /safe_serialization=True\)/);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
