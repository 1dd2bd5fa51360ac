// One way to write a shape in a message: [2, 8, 768].
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
