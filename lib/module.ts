// Module and Linear: the two building blocks a learner uses in the exercise.
//
// Like PyTorch's nn.Module, a Module finds its parameters and sub-modules by looking at its
// own properties, so assigning `this.c_attn = new Linear(...)` is all the registration needed.
import { tf } from "./tf";
import { ensureBackend } from "./backend";
import { shapeText } from "./shape";

export class Module {
  /**
   * Every parameter below this module, with dotted names such as "c_attn.weight".
   * Properties holding a Module are walked recursively; arrays of Modules get an index
   * ("h.0.attn…"), as in PyTorch's ModuleList.
   */
  namedParameters(prefix = ""): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    const seen = new Set<unknown>();
    const visit = (value: unknown, name: string): void => {
      if (value === null || typeof value !== "object" || seen.has(value)) return;
      seen.add(value);
      if (value instanceof tf.Variable) {
        out.push([name, value]);
      } else if (value instanceof Module) {
        for (const [key, child] of Object.entries(value)) visit(child, name ? `${name}.${key}` : key);
      } else if (Array.isArray(value)) {
        value.forEach((child, i) => {
          if (child instanceof Module) visit(child, `${name}.${i}`);
        });
      }
    };
    for (const [key, value] of Object.entries(this)) visit(value, prefix ? `${prefix}.${key}` : key);
    return out;
  }

  /** Sub-modules that are direct properties of this one, by property name. */
  namedChildren(): [string, Module][] {
    return Object.entries(this).filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  /** Total number of scalar parameters. */
  parameterCount(): number {
    return this.namedParameters().reduce((n, [, p]) => n + p.size, 0);
  }

  /**
   * Copy tensors into this module's parameters, by name. Every problem is collected first and
   * reported together (missing, unexpected, wrong shape) so nothing is half-loaded:
   * either every parameter is assigned or none is.
   * The caller keeps ownership of `stateDict`; its tensors are not disposed.
   */
  loadStateDict(stateDict: Record<string, tf.Tensor>, options: { strict?: boolean } = {}): void {
    const strict = options.strict ?? true;
    const params = this.namedParameters();
    const problems: string[] = [];
    for (const [name, param] of params) {
      const given = stateDict[name];
      if (given === undefined) {
        problems.push(`missing "${name}" (expected shape ${shapeText(param.shape)})`);
      } else if (!(given instanceof tf.Tensor)) {
        problems.push(`"${name}" is not a tensor`);
      } else if (given.isDisposed) {
        problems.push(`"${name}" has been disposed`);
      } else if (!tf.util.arraysEqual(given.shape, param.shape)) {
        const transposed = given.rank === 2 && param.rank === 2 && given.shape[0] === param.shape[1] && given.shape[1] === param.shape[0];
        problems.push(
          `"${name}" has shape ${shapeText(given.shape)} but the module expects ${shapeText(param.shape)}` +
            (transposed ? " (it looks transposed: this kit stores Linear weights as [in, out], as Hugging Face's GPT-2 Conv1D does; PyTorch's nn.Linear stores [out, in])" : ""),
        );
      }
    }
    if (strict) {
      const known = new Set(params.map(([n]) => n));
      for (const name of Object.keys(stateDict)) {
        if (!known.has(name)) problems.push(`unexpected "${name}" (this module has: ${[...known].join(", ") || "no parameters"})`);
      }
    }
    if (problems.length > 0) {
      throw new Error(`loadStateDict failed for ${this.constructor.name}: ${problems.join("; ")}.`);
    }
    for (const [name, param] of params) {
      const given = stateDict[name];
      if (given.dtype === param.dtype) {
        param.assign(given);
      } else {
        const cast = tf.cast(given, param.dtype);
        param.assign(cast);
        cast.dispose();
      }
    }
  }

  /** Free every parameter's memory. The module cannot be used afterwards. */
  dispose(): void {
    for (const [, p] of this.namedParameters()) p.dispose();
  }
}

/** tf.variable keeps its initial tensor alive (they share storage); release our handle to it. */
export function variableFrom(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init);
  init.dispose();
  return v;
}

/** N(0, std²) values of `shape`; zeros when std is 0 (no random numbers drawn). */
export function initialWeight(shape: number[], std: number, seed?: number): tf.Tensor {
  return std === 0 ? tf.zeros(shape) : tf.randomNormal(shape, 0, std, "float32", seed);
}

export interface LinearOptions {
  /** Add a learned bias (GPT-2's c_attn has one). Default true. */
  bias?: boolean;
  /** Seed for the weight initialisation, for reproducible lessons. */
  seed?: number;
  /** Standard deviation of the initial weights. GPT-2 uses 0.02; 0 gives zeros, fast (for weights about to be loaded). */
  initStd?: number;
}

/**
 * y = x · W + b, applied to the last axis of x.
 *
 * Layout: `weight` is [in, out], not PyTorch nn.Linear's [out, in]. Two reasons:
 * Hugging Face's GPT-2 checkpoints store c_attn with its `Conv1D` layer, which is [in, out],
 * so real weights load with no transpose; and on the wasm backend a plain matMul with W as
 * [in, out] is about 10x faster than matMul(..., transposeB = true).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: tf.Variable; // [in, out]
  readonly bias: tf.Variable | null; // [out]

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [label, n] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) {
        throw new Error(`Linear(${String(inFeatures)}, ${String(outFeatures)}): ${label} must be a positive integer, got ${String(n)}.`);
      }
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    ensureBackend();
    const std = options.initStd ?? 0.02;
    this.weight = variableFrom(initialWeight([inFeatures, outFeatures], std, options.seed));
    this.bias = options.bias === false ? null : variableFrom(tf.zeros([outFeatures]));
  }

  /** x: [..., in] → [..., out]. */
  forward(x: tf.Tensor): tf.Tensor {
    if (!(x instanceof tf.Tensor)) {
      throw new Error(`Linear.forward expects a tf.Tensor of shape [..., ${this.inFeatures}], got ${x === null ? "null" : typeof x}.`);
    }
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(
        `Linear(${this.inFeatures} → ${this.outFeatures}) expects the last axis of its input to be ${this.inFeatures}, ` +
          `got shape ${shapeText(x.shape)}.`,
      );
    }
    return tf.tidy(() => {
      // Flatten to 2-D first: batched 3-D matMul is ~15x slower on wasm than one 2-D product.
      const rows = x.size / this.inFeatures;
      const x2 = tf.reshape(x, [rows, this.inFeatures]); // (B*T, in)
      const y2 = tf.fused.matMul({ a: x2 as tf.Tensor2D, b: this.weight as tf.Tensor2D, bias: this.bias ?? undefined }); // (B*T, out)
      return tf.reshape(y2, [...x.shape.slice(0, -1), this.outFeatures]); // (..., out)
    });
  }
}
