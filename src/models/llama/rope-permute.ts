/**
 * Rotary pair orders of q/k projection rows. Meta's Llama checkpoints, llama2.c and GGUF (llama.cpp)
 * rotate adjacent pairs (2i, 2i+1) of each head; Hugging Face rotates (i, i + HS/2) ("rotate_half").
 * Reordering the rows of W_q and W_k per head makes one model compute what the other does:
 * transformers' convert_llama_weights_to_hf.py `permute` goes Meta → HF, llama.cpp's
 * convert_hf_to_gguf.py `LlamaModel.permute` goes back.
 */

/**
 * Meta/interleaved → HF rows: within each head, row 2p moves to p and row 2p+1 to HS/2 + p.
 * `w` is (nHeads·HS, cols) row-major (a 1-D bias is cols = 1).
 */
export function interleavedToHalf(w: Float32Array, nHeads: number, cols: number): Float32Array {
  return permuteRows(w, nHeads, cols, false);
}

/** HF → Meta/interleaved rows (the inverse of `interleavedToHalf`). */
export function halfToInterleaved(w: Float32Array, nHeads: number, cols: number): Float32Array {
  return permuteRows(w, nHeads, cols, true);
}

function permuteRows(w: Float32Array, nHeads: number, cols: number, toInterleaved: boolean): Float32Array {
  const rows = w.length / cols;
  const hs = rows / nHeads;
  const half = hs / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHeads; h++) {
    for (let p = 0; p < half; p++) {
      for (let j = 0; j < 2; j++) {
        const interleaved = h * hs + 2 * p + j;
        const halved = h * hs + j * half + p;
        const [src, dst] = toInterleaved ? [halved, interleaved] : [interleaved, halved];
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}
