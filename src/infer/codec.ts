/** Text codecs for generation: over a llmk Tokenizer, and llama2.c's `run` printing. */

/** A generation codec over a llmk Tokenizer (special tokens skipped when decoding). */
export function tokenizerCodec(
  tokenizer: Tokenizer,
  options: { addSpecialTokens?: boolean } = {},
): TextCodec {
  return {
    encode: async (text) =>
      (await tokenizer.encode(text, undefined, { addSpecialTokens: options.addSpecialTokens ?? false })).ids,
    decode: (ids) => tokenizer.decode([...ids], { skipSpecialTokens: true }),
  };
}

/**
 * A generation codec that prints exactly what llama2.c's `run` prints: prompts are encoded with BOS
 * (run.c `encode(…, bos=1, eos=0)`; an empty prompt is just BOS), and each generated token is
 * `decode(prev, token)` passed through `safe_printf` — so the first piece after BOS loses its leading
 * space, and lone unprintable bytes are dropped. `prev` of the first generated token is the last
 * prompt token, which is why the codec remembers the prompt it encoded last.
 */
import { LLAMA2C_BOS, Llama2cTokenizer } from '../tokenize/llama2c.js';
import type { Tokenizer } from '../tokenize/types.js';
import type { TextCodec } from './generate.js';

export function llama2cCodec(tokenizer: Llama2cTokenizer): TextCodec {
  let last = LLAMA2C_BOS;
  return {
    encode: (text) => {
      const ids = tokenizer.encodeIds(text, true, false);
      last = ids[ids.length - 1];
      return ids;
    },
    decode: (ids) => {
      const parts: Uint8Array[] = [];
      let prev = last;
      for (const id of ids) {
        parts.push(Llama2cTokenizer.printable(tokenizer.decodePiece(prev, id)));
        prev = id;
      }
      return Buffer.concat(parts).toString('utf8');
    },
  };
}
