import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseObjective } from '../cli/commands/pretrain-mlm.js';
import { createEngine } from '../tensor/create.js';
import { pretrainMlm } from './pretrain-mlm.js';

test('MLM + NSP pretraining learns from documents and writes a BertForPreTraining directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-mlm-'));
  try {
    // Documents whose sentences follow a fixed order, so both heads have something to learn.
    const docs: string[] = [];
    const words = ['red', 'green', 'blue', 'cyan', 'pink', 'gold'];
    for (let d = 0; d < 30; d++) {
      const s: string[] = [];
      for (let i = 0; i < 4; i++)
        s.push(`the ${words[(d + i) % 6]} cat sat on the ${words[(d + i + 1) % 6]} mat`);
      docs.push(s.join('\n'));
    }
    writeFileSync(join(dir, 'docs.txt'), `${docs.join('\n\n')}\n`);
    const evals: number[] = [];
    const r = await pretrainMlm(createEngine(), {
      files: [join(dir, 'docs.txt')],
      nsp: true,
      vocabSize: 60,
      maxLength: 32,
      batchSize: 16,
      holdoutEvery: 5,
      config: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, hiddenDropout: 0 },
      output: join(dir, 'out'),
      progress: 'quiet',
      trainer: { steps: 80, lr: 3e-3, minLr: 3e-4, warmupSteps: 5, evalInterval: 40, seed: 3 },
      onEval: (h) => evals.push(h.metrics.loss),
    });
    assert.equal(r.examples, 30 * 3);
    const first = r.history[0].metrics;
    const last = r.history.at(-1)?.metrics;
    assert.ok(last && last.nsp_accuracy !== undefined && last.mlm_accuracy !== undefined);
    // Start: ln(V≈60) + ln 2 ≈ 4.8; the masked words are predictable from context, so validation
    // loss must fall well below that within 80 steps.
    assert.ok(last.loss < first.loss && last.loss < 3.5, `val loss ${first.loss} → ${last.loss}`);
    const cfg = JSON.parse(readFileSync(join(dir, 'out', 'config.json'), 'utf8')) as {
      architectures: string[];
    };
    assert.deepEqual(cfg.architectures, ['BertForPreTraining']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--objective parsing', () => {
  assert.equal(parseObjective(undefined), 'clm');
  assert.equal(parseObjective('mlm'), 'mlm');
  assert.equal(parseObjective('nsp,mlm'), 'mlm,nsp');
  assert.throws(() => parseObjective('nsp'), /LLMK_E_ARG: --objective nsp/);
});
