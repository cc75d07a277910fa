/**
 * `adeflow encode --model ID|DIR --text "..."`: word-aligned tokenization of one text and
 * every hidden state of the encoder (index 0 = embeddings), printed as one JSON object.
 * Only the real (non-pad) positions are printed.
 */
import { once } from "node:events";
import * as tf from "@tensorflow/tfjs";
import { AdeflowError } from "../errors";
import { initBackend } from "../backend";
import { describeModelSource, loadBert } from "../bert";
import { numberFlag, UsageError, type Command } from "./command";

export const encodeCommand: Command = {
  path: ["encode"],
  summary: "word pieces, ids and every BERT hidden state of a text, as JSON",
  flags: {
    text: { type: "string", value: "TEXT", description: "the text to encode (required)" },
    model: {
      type: "string",
      value: "ID|DIR",
      description: "hub id or checkpoint folder (default ADEFLOW_MODEL, else bert-base-cased)",
    },
    "max-length": { type: "string", value: "N", description: "positions, at least 2 (default 128)" },
    layers: {
      type: "string",
      value: "all|i,j,..",
      description: "hidden states to print (0 = embeddings; default all)",
    },
  },
  async run(flags) {
    const text = flags.values.get("text");
    if (text === undefined) throw new UsageError('encode needs --text "..."');
    const maxLength = numberFlag(flags, "max-length", 128, { integer: true, min: 2 });
    const backend = await initBackend();
    process.stderr.write(backend.description + "\n");
    const bert = await loadBert(flags.values.get("model"), { trainable: false });
    try {
      if (maxLength > bert.config.max_position_embeddings) {
        throw new AdeflowError(
          `--max-length ${maxLength} exceeds the model's max_position_embeddings ${bert.config.max_position_embeddings}`,
        );
      }
      const n = bert.config.num_hidden_layers;
      const layersFlag = flags.values.get("layers") ?? "all";
      const layers =
        layersFlag === "all"
          ? Array.from({ length: n + 1 }, (_, i) => i)
          : layersFlag.split(",").map((s) => Number(s.trim()));
      for (const l of layers)
        if (!Number.isInteger(l) || l < 0 || l > n)
          throw new UsageError(`--layers: ${l} is outside 0..${n} (0 = embeddings)`);
      const seq = bert.tokenizer.encodeText(text, maxLength);
      const len = seq.length;
      const T = len; // no need to pad a single text
      const selected = tf.tidy(() => {
        const hs = bert.encoder.forward(
          tf.tensor2d(seq.inputIds.slice(0, T), [1, T], "int32"),
          tf.tensor2d(seq.attentionMask.slice(0, T), [1, T], "int32"),
        );
        return layers.map((l) => hs[l]);
      });
      const hidden = await Promise.all(selected.map(async (h) => ((await h.array()) as number[][][])[0]));
      tf.dispose(selected);
      const out = {
        model: bert.model.reference,
        model_dir: bert.model.dir,
        model_source: describeModelSource(bert.model),
        model_hash: bert.contentHash,
        backend: backend.name,
        text,
        max_length: maxLength,
        truncated: seq.truncated,
        tokens: seq.tokens,
        input_ids: Array.from(seq.inputIds.slice(0, len)),
        word_index: Array.from(seq.wordIndex.slice(0, len)),
        hidden_size: bert.config.hidden_size,
        layers,
        hidden_states: hidden,
      };
      // the caller ends with process.exit, which drops what a full pipe has not taken yet (64 KB arrived of
      // all-MiniLM-L6-v2's output): wait for the pipe to drain
      if (!process.stdout.write(JSON.stringify(out) + "\n")) await once(process.stdout, "drain");
    } finally {
      bert.encoder.dispose();
    }
  },
};
