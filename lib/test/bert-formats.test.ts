/** safetensors, config.json and weight-name mapping: formats and the errors users see. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSafetensors, serializeSafetensors, type TensorMap } from "../src/io";
import { parseBertConfig, mapEncoderWeights, expectedEncoderShapes, canonicalName } from "../src/bert";
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
    () => parseSafetensors(rawFile({ w: { dtype: "I64", shape: [2], data_offsets: [0, 16] } }, data), "m.safetensors"),
    /"w".*unsupported dtype "I64"/,
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
