/**
 * Tokenizer training benchmark: byte-level BPE with a 32k vocabulary on ≥200 MB of text made by
 * mixing the corpora in ../shared/data (lines drawn with a fixed seed until the size is reached).
 * Anchor in the same run: Hugging Face `tokenizers` (Rust) training a byte-level BPE on the same file
 * through `Tokenizer.train(files)` — the binding's only training entry point, which uses the default
 * BpeTrainer (vocabulary 30000, no special tokens), so the anchor trains to 30k, not 32k.
 *
 * Usage: node --import tsx bench/tokenize.ts [--mb 200] [--vocab 32000]
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import hf from 'tokenizers';
import { trainTokenizer } from '../src/tokenize/train.js';

const DATA = '../shared/data';

/** Every line of natural-language text in the shared corpora (JSONL: the string fields). */
function pool(): string[] {
  const lines: string[] = [];
  const txt = (path: string, pick: (l: string) => string | undefined = (l) => l): void => {
    for (const l of readFileSync(join(DATA, path), 'utf8').split('\n')) {
      const t = pick(l);
      if (t) lines.push(t);
    }
  };
  txt('tinyshakespeare/input.txt');
  txt('sst2/train.tsv', (l) => l.split('\t')[1]);
  txt('multi30k-en-de/train.en');
  txt('multi30k-en-de/train.de');
  txt('tatoeba-cmn-eng/cmn.train.txt');
  txt('financial-phrasebank/Sentences_50Agree.train.txt', (l) => l.slice(0, l.lastIndexOf('@')));
  txt('tokenizer-vectors/cs336-bpe-train/corpus.en');
  txt('dialogsum/dialogsum.train.jsonl', (l) => {
    if (!l) return undefined;
    const r = JSON.parse(l) as { dialogue: string; summary: string };
    return `${r.dialogue}\n${r.summary}`;
  });
  return lines;
}

/** Writes the mixed corpus once (deterministic xorshift sampling) and returns its path. */
export function mixedCorpus(mb: number, dir = '.bench'): string {
  const path = join(dir, `tokenizer-corpus-${mb}mb.txt`);
  if (existsSync(path) && statSync(path).size >= mb * 1e6) return path;
  mkdirSync(dir, { recursive: true });
  const lines = pool();
  let x = 0x9e3779b9;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % lines.length;
  };
  const out: string[] = [];
  let bytes = 0;
  while (bytes < mb * 1e6) {
    const l = lines[next()];
    out.push(l);
    bytes += Buffer.byteLength(l) + 1;
  }
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

export interface TokenizeBenchOptions {
  mb?: number;
  vocabSize?: number;
  outDir?: string;
}

export async function runTokenizeBench(opts: TokenizeBenchOptions = {}): Promise<Record<string, unknown>> {
  const mb = opts.mb ?? 200;
  const vocabSize = opts.vocabSize ?? 32000;
  const outDir = opts.outDir ?? '.bench';
  let t = performance.now();
  const corpus = mixedCorpus(mb, outDir);
  const prepS = (performance.now() - t) / 1000;
  const sizeMb = statSync(corpus).size / 1e6;

  t = performance.now();
  const ours = await trainTokenizer({
    type: 'bpe',
    files: [corpus],
    vocabSize,
    specialTokens: ['<|endoftext|>'],
    progress: 'bar',
  });
  const oursS = (performance.now() - t) / 1000;

  t = performance.now();
  const anchor = new hf.Tokenizer(hf.BPE.empty());
  anchor.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
  anchor.train([corpus]);
  const hfS = (performance.now() - t) / 1000;

  const result = {
    corpusMb: Number(sizeMb.toFixed(1)),
    corpusPrepS: Number(prepS.toFixed(1)),
    llmkVocab: ours.vocabSize,
    llmkTrainS: Number(oursS.toFixed(1)),
    hfVocab: anchor.getVocabSize(true),
    hfTrainS: Number(hfS.toFixed(1)),
    ratioLlmkOverHf: Number((oursS / hfS).toFixed(2)),
  };
  console.log('\ntokenizer training (byte-level BPE)');
  console.log('| trainer | corpus MB | vocab | seconds |');
  console.log('|---|---|---|---|');
  console.log(`| llmk (TS trainer) | ${result.corpusMb} | ${result.llmkVocab} | ${result.llmkTrainS} |`);
  console.log(
    `| HF tokenizers (Rust, default trainer) | ${result.corpusMb} | ${result.hfVocab} | ${result.hfTrainS} |`,
  );
  console.log(`llmk / HF time ratio: ${result.ratioLlmkOverHf}`);
  const stream = createWriteStream(join(outDir, 'tokenize.json'));
  stream.end(`${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  await runTokenizeBench({ mb: arg('--mb'), vocabSize: arg('--vocab') });
}
