import * as tf from "@tensorflow/tfjs";
import { readFloat32 } from "../ops/read";

/**
 * A copy of some variables' values, to put them back later: every arm and seed of an experiment that
 * fine-tunes a shared encoder must start from the same pretrained weights, not from the previous run's.
 *
 * The copy is kept in plain JavaScript arrays, not in tensors: on the WebAssembly backend every tensor lives
 * in a heap capped at 4 GiB, which bert-base training nearly fills by itself, and a second copy of its weights
 * there (433 MB) made the `quick` ablation fail with "memory access out of bounds" at its second step.
 */
export class VariableSnapshot {
  private constructor(
    private readonly variables: ReadonlyMap<string, tf.Variable>,
    private readonly saved: Map<string, { values: Float32Array | Int32Array | Uint8Array; dtype: tf.DataType }>,
  ) {}

  /** Copy the current values of `variables` (read asynchronously: WebGPU cannot read synchronously). */
  static async take(variables: ReadonlyMap<string, tf.Variable>): Promise<VariableSnapshot> {
    const saved = new Map<string, { values: Float32Array | Int32Array | Uint8Array; dtype: tf.DataType }>();
    for (const [name, v] of variables) {
      const values =
        v.dtype === "float32" ? await readFloat32(v) : ((await v.data()) as Int32Array | Uint8Array).slice();
      saved.set(name, { values, dtype: v.dtype });
    }
    return new VariableSnapshot(variables, saved);
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
