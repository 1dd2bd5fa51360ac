// One way to write a shape in a message ([2, 8, 768]), and the input check every layer makes.
import { tf } from "./tf";

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** How a value that should have been a tensor reads in a message. */
export function describeInput(x: unknown): string {
  return x instanceof tf.Tensor ? `shape ${shapeText(x.shape)}` : x === null ? "null" : Array.isArray(x) ? "a plain array (make it a tensor with tf.tensor)" : typeof x;
}

/** Throws unless `x` is a tensor of shape [batch, seq, width]; `who` ("GPT2Attention.forward") names the caller. */
export function expectBTC(x: unknown, width: number, who: string): void {
  if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[2] !== width) {
    throw new Error(`${who} expects x of shape [batch, seq, ${width}], got ${describeInput(x)}.`);
  }
}
