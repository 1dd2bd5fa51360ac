// Text to GPT-2's tokens and back. The vocabulary ships inside the gpt-tokenizer npm package,
// so nothing is downloaded; it is loaded with this module (so by notebook-helpers/index, and by npm run generate).

// GPT-2's byte-pair encoding (OpenAI's "r50k_base"), vocabulary shipped inside the npm package.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const bpe: { encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[]; decode(ids: number[]): string } = require("gpt-tokenizer/cjs/encoding/r50k_base");

/** <|endoftext|>: GPT-2's separator, and where it starts when there is no prompt. */
export const END_OF_TEXT = 50256;

/** GPT-2's token ids for `text`; "<|endoftext|>" written in the text is plain text, not the separator. */
export function encode(text: string): number[] {
  return bpe.encode(text, { disallowedSpecial: new Set() });
}

/** The text of token ids. A character can span two tokens (UTF-8 bytes): decode whole runs, not one id at a time. */
export function detokenize(ids: number[]): string {
  return bpe.decode(ids);
}

export interface Tokens {
  ids: number[];
  /** Each token's text, exactly as GPT-2 sees it (" cat" has a leading space). */
  texts: string[];
  /** The same, with spaces made visible ("␣cat"), for plot axes. */
  labels: string[];
}

/** Split text into GPT-2's tokens. "The cat sat on the mat" → [464, 3797, 3332, 319, 262, 2603]. */
export function tokenize(text: string): Tokens {
  const ids = encode(text);
  const texts = ids.map((id) => bpe.decode([id]));
  return { ids, texts, labels: texts.map(visibleToken) };
}

/** " cat" → "␣cat", "\n" → "↵": a token's whitespace matters, so show it. */
export function visibleToken(text: string): string {
  return text.replace(/ /g, "␣").replace(/\n/g, "↵").replace(/\t/g, "⇥");
}
