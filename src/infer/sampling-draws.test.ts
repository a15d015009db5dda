/**
 * Draw-for-draw equality of the fast sampler with the sampler it replaced.
 * 1. `sampling-draws.json` holds the tokens the pre-rewrite sampler drew for a fixed grid of rows
 *    (Gaussian, tied, −Infinity-masked, all-but-one masked, flat, very wide, peaked; V from 1 to
 *    50,257) × option sets × seeds, recorded with that implementation (`LLMK_RECORD_DRAWS=1`
 *    rewrites it from `ReferenceSampler`, the verbatim naive twin).
 * 2. Random rows and random options: `Sampler` and `ReferenceSampler` must agree on every draw.
 * Exact equality, no tolerance: the same seed must give the same text after the rewrite.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Rng } from '../tensor/random.js';
import { Sampler, type SamplingOptions } from './sampling.js';
import { ReferenceSampler } from './sampling-reference.js';

const FIXTURE = new URL('./sampling-draws.json', import.meta.url);

const KINDS = ['normal', 'ties', 'masked', 'one-left', 'flat', 'wide', 'peaked'] as const;
type Kind = (typeof KINDS)[number];

function makeRow(rng: Rng, V: number, kind: Kind): Float32Array {
  const row = new Float32Array(V);
  for (let i = 0; i < V; i++) {
    const z = rng.normal();
    if (kind === 'normal') row[i] = 3 * z;
    else if (kind === 'ties')
      row[i] = Math.round(2 * z) / 2; // few distinct values: ties everywhere
    else if (kind === 'masked') row[i] = rng.uniform() < 0.3 ? -Infinity : 2 * z;
    else if (kind === 'one-left') row[i] = -Infinity;
    else if (kind === 'flat') row[i] = 0.25;
    else if (kind === 'wide')
      row[i] = 60 * z; // exp underflows to 0 for most of the row
    else row[i] = z;
  }
  if (kind === 'one-left') row[rng.int(V)] = 1.5;
  if (kind === 'peaked') row[rng.int(V)] = 12;
  return row;
}

const OPTION_GRID: SamplingOptions[] = [
  { temperature: 0 },
  { temperature: 1 },
  { temperature: 0.7 },
  { temperature: 1.3, repetitionPenalty: 1.2 },
  { topK: 1 },
  { topK: 5 },
  { topK: 50, temperature: 0.9 },
  { topP: 0.9 },
  { topP: 0.5, temperature: 0.8 },
  { topP: 0.999 },
  { topP: 1e-6 },
  { minP: 0.05 },
  { minP: 0.3, temperature: 1.5 },
  { topK: 50, topP: 0.95, repetitionPenalty: 1.2, temperature: 0.8 },
  { topK: 20, minP: 0.1 },
  { topP: 0.8, minP: 0.02 },
  { topK: 3000, topP: 0.9, minP: 0.01, temperature: 1.1 },
];

interface DrawCase {
  options: SamplingOptions;
  seed: number;
  rows: Float32Array[];
}

/** The fixed grid, generated from seeds so that only the draws need storing. */
function gridCases(): DrawCase[] {
  const cases: DrawCase[] = [];
  const rng = new Rng(2024);
  let seed = 1;
  for (const V of [1, 3, 40, 1000, 50257]) {
    for (const kind of KINDS) {
      const rows = Array.from({ length: 3 }, () => makeRow(rng, V, kind));
      for (const options of OPTION_GRID) cases.push({ options, seed: seed++, rows });
    }
  }
  return cases;
}

/** Draws of one case: each row in turn, the history growing with the drawn tokens. */
function drawAll(next: (row: Float32Array, history: number[]) => number, c: DrawCase): number[] {
  const history: number[] = [];
  const out: number[] = [];
  for (let rep = 0; rep < 2; rep++) {
    for (const row of c.rows) {
      const t = next(Float32Array.from(row), history);
      out.push(t);
      history.push(t);
    }
  }
  return out;
}

const fast = (c: DrawCase): number[] => {
  const s = new Sampler(c.options, new Rng(c.seed));
  return drawAll((row, h) => s.next(row, h), c);
};
const reference = (c: DrawCase): number[] => {
  const s = new ReferenceSampler(c.options, new Rng(c.seed));
  return drawAll((row, h) => s.next(row, h), c);
};

if (process.env.LLMK_RECORD_DRAWS === '1') {
  const draws = gridCases().map(reference);
  writeFileSync(FIXTURE, `${JSON.stringify({ recordedWith: 'ReferenceSampler (c51aacb)', draws })}\n`);
}

test('the sampler draws exactly the recorded tokens of the pre-rewrite sampler (grid of rows × options × seeds)', () => {
  const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { draws: number[][] };
  const cases = gridCases();
  assert.equal(recorded.draws.length, cases.length);
  cases.forEach((c, i) => {
    assert.deepEqual(
      fast(c),
      recorded.draws[i],
      `case ${i}: V=${c.rows[0].length} ${JSON.stringify(c.options)}`,
    );
  });
});

test('the sampler and its naive twin agree on every draw for random rows and options', () => {
  const rng = new Rng(77);
  for (let trial = 0; trial < 400; trial++) {
    const V = trial % 50 === 0 ? 50257 : 1 + rng.int(4000);
    const kind = KINDS[rng.int(KINDS.length)];
    const rows = Array.from({ length: 2 }, () => makeRow(rng, V, kind));
    const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];
    const options: SamplingOptions = {
      temperature: pick([0, 1, 1, 0.5, 0.8, 1.7]),
      topK: pick([0, 0, 1, 2, 10, 64, 5000]),
      topP: pick([1, 1, 0.95, 0.9, 0.6, 0.3, 1e-3, 0.9999]),
      minP: pick([0, 0, 0.01, 0.1, 0.5]),
      repetitionPenalty: pick([1, 1, 1.3, 0.8]),
    };
    const c = { options, seed: 1000 + trial, rows };
    assert.deepEqual(fast(c), reference(c), `trial ${trial}: V=${V} ${kind} ${JSON.stringify(options)}`);
  }
});
