/**
 * AdamW in one native kernel per parameter, on TensorFlow.js's native backend ("tensorflow").
 *
 * Written with tfjs ops, an Adam update is a dozen element-wise kernels per parameter tensor, each a full pass over
 * memory: for bert-base that was about 2 s of a training step (PyTorch: 0.45 s). TensorFlow has the update as one
 * kernel, `ResourceApplyAdam`, which reads the parameter, both moments and the gradient once and writes the three
 * back, on TensorFlow's own threads. It works on resource variables, which tfjs-node does not create, so this
 * module makes them through the addon's `executeOp` (`VarHandleOp`, `AssignVariableOp`, `ReadVariableOp`,
 * `DestroyResourceOp`): the weights, m and v live in TensorFlow variables, and after each update the tfjs variable
 * is pointed at the new weights (`ReadVariableOp` shares the buffer; the next update copies it first, since tfjs
 * still holds it: one memcpy instead of twelve passes).
 *
 * TensorFlow's kernel bias-corrects with `lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)` and adds epsilon after the
 * square root; passing `eps * sqrt(1 - b2^t)` as its epsilon gives torch.optim.AdamW's update exactly
 * (algebraically; float32 rounding differs in the last bits).
 */
import * as tf from "@tensorflow/tfjs";

/** What this module uses of tfjs-node's `NodeJSKernelBackend`. */
interface NativeKernelBackend {
  binding: {
    TF_FLOAT: number;
    TF_ATTR_STRING: number;
    TF_ATTR_TYPE: number;
    TF_ATTR_SHAPE: number;
    TF_ATTR_BOOL: number;
  };
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

/** The active backend, when it is tfjs-node's and can run TensorFlow ops by name. */
export function nativeKernelBackend(): NativeKernelBackend | undefined {
  if (tf.getBackend() !== "tensorflow") return undefined;
  const be = tf.backend() as unknown as Partial<NativeKernelBackend>;
  return be.binding && typeof be.executeMultipleOutputs === "function" ? (be as NativeKernelBackend) : undefined;
}

let uid = 0;

/** A float32 TensorFlow resource variable, owned by JavaScript (destroy it when done). */
export class NativeVariable {
  private handle: tf.Tensor | undefined;

  constructor(
    private readonly be: NativeKernelBackend,
    readonly shape: number[],
    initial: tf.Tensor,
  ) {
    const b = be.binding;
    [this.handle] = be.executeMultipleOutputs(
      "VarHandleOp",
      [
        { name: "container", type: b.TF_ATTR_STRING, value: "" },
        // unique per process: eager variables with the same shared name would be one variable
        { name: "shared_name", type: b.TF_ATTR_STRING, value: `adeflow_${process.pid}_${++uid}` },
        { name: "dtype", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
        { name: "shape", type: b.TF_ATTR_SHAPE, value: shape },
      ],
      [],
      1,
    );
    this.assign(initial);
  }

  private get live(): tf.Tensor {
    if (!this.handle) throw new Error("internal: a destroyed native variable was used");
    return this.handle;
  }

  private dtypeAttr() {
    return [{ name: "dtype", type: this.be.binding.TF_ATTR_TYPE, value: this.be.binding.TF_FLOAT }];
  }

  assign(value: tf.Tensor): void {
    this.be.executeMultipleOutputs("AssignVariableOp", this.dtypeAttr(), [this.live, value], 0);
  }

  /** The current value, as a new tfjs tensor (sharing TensorFlow's buffer until the variable is updated). */
  read(): tf.Tensor {
    return this.be.executeSingleOutput("ReadVariableOp", this.dtypeAttr(), [this.live]);
  }

  get resource(): tf.Tensor {
    return this.live;
  }

  /** Free TensorFlow's variable (the handle alone does not: the resource manager keeps it by name). */
  destroy(): void {
    if (!this.handle) return;
    this.be.executeMultipleOutputs(
      "DestroyResourceOp",
      [{ name: "ignore_lookup_error", type: this.be.binding.TF_ATTR_BOOL, value: true }],
      [this.handle],
      0,
    );
    this.handle.dispose();
    this.handle = undefined;
  }
}

/** Per-step scalars of `ResourceApplyAdam`, made once per step and shared by every parameter. */
export interface AdamStepScalars {
  beta1Power: tf.Scalar;
  beta2Power: tf.Scalar;
  lr: tf.Scalar;
  beta1: tf.Scalar;
  beta2: tf.Scalar;
  epsilon: tf.Scalar;
}

/** The scalars for update `t` (1-based) in torch.optim.AdamW's convention (see the module comment). */
export function adamStepScalars(t: number, lr: number, beta1: number, beta2: number, eps: number): AdamStepScalars {
  return {
    beta1Power: tf.scalar(beta1 ** t),
    beta2Power: tf.scalar(beta2 ** t),
    lr: tf.scalar(lr),
    beta1: tf.scalar(beta1),
    beta2: tf.scalar(beta2),
    epsilon: tf.scalar(eps * Math.sqrt(1 - beta2 ** t)),
  };
}

/** One fused Adam update of `param` with moments `m`, `v` and gradient `grad`, in place. */
export function applyAdam(
  be: NativeKernelBackend,
  param: NativeVariable,
  m: NativeVariable,
  v: NativeVariable,
  s: AdamStepScalars,
  grad: tf.Tensor,
): void {
  const b = be.binding;
  be.executeMultipleOutputs(
    "ResourceApplyAdam",
    [
      { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
      { name: "use_locking", type: b.TF_ATTR_BOOL, value: false },
      { name: "use_nesterov", type: b.TF_ATTR_BOOL, value: false },
    ],
    [param.resource, m.resource, v.resource, s.beta1Power, s.beta2Power, s.lr, s.beta1, s.beta2, s.epsilon, grad],
    0,
  );
}
