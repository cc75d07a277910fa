import * as tf from "@tensorflow/tfjs";

/**
 * A copy of some variables' values, to put them back later: every arm and seed of an experiment that
 * fine-tunes a shared encoder must start from the same pretrained weights, not from the previous run's.
 *
 * The copy is kept in plain JavaScript arrays, not in tensors: on the WebAssembly backend every tensor lives
 * in a heap capped at 4 GiB, which bert-base training nearly fills by itself, and a second copy of its weights
 * there (433 MB) made the `quick` ablation fail with "memory access out of bounds" at its second step.
 */
export class VariableSnapshot {
  private readonly saved = new Map<string, { values: Float32Array | Int32Array | Uint8Array; dtype: tf.DataType }>();

  constructor(private readonly variables: ReadonlyMap<string, tf.Variable>) {
    for (const [name, v] of variables) {
      this.saved.set(name, { values: (v.dataSync() as Float32Array | Int32Array | Uint8Array).slice(), dtype: v.dtype });
    }
  }

  /** Assign the saved values back (the variables must be the ones snapshotted, same shapes). */
  restore(): void {
    for (const [name, v] of this.variables) {
      const saved = this.saved.get(name);
      if (!saved) throw new Error(`internal: variable ${name} was added after the snapshot`);
      tf.tidy(() => v.assign(tf.tensor(saved.values, v.shape, saved.dtype)));
    }
  }

  dispose(): void {
    this.saved.clear();
  }
}
