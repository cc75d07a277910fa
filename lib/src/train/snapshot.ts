import * as tf from "@tensorflow/tfjs";

/**
 * A copy of some variables' values, to put them back later: every arm and seed of an experiment that
 * fine-tunes a shared encoder must start from the same pretrained weights, not from the previous run's.
 * Costs one extra copy of the weights (bert-base: 433 MB), cheaper than reloading the checkpoint.
 */
export class VariableSnapshot {
  private readonly saved = new Map<string, tf.Tensor>();

  constructor(private readonly variables: ReadonlyMap<string, tf.Variable>) {
    for (const [name, v] of variables) this.saved.set(name, tf.keep(v.clone()));
  }

  /** Assign the saved values back (the variables must be the ones snapshotted, same shapes). */
  restore(): void {
    for (const [name, v] of this.variables) {
      const value = this.saved.get(name);
      if (!value) throw new Error(`internal: variable ${name} was added after the snapshot`);
      v.assign(value);
    }
  }

  dispose(): void {
    for (const t of this.saved.values()) t.dispose();
    this.saved.clear();
  }
}
