/**
 * `llmk finetune --peft lora` and `llmk merge` end to end: a small BERT is fine-tuned in full (the
 * base), LoRA-fine-tuned from it into a PEFT adapter directory, merged back into a plain model, and
 * the merged weights are checked against W + (α/r)·B·A computed here from the adapter file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readSafetensors } from '../../src/formats/safetensors.js';

const CLI = new URL('../../bin/llmk.js', import.meta.url).pathname;
let dir = '';

function llmk(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmk-peft-cli-'));
  const rows = ['label\tsentence'];
  for (let i = 0; i < 40; i++)
    rows.push(i % 2 ? `1\tthe film was great fun ${i % 7}` : `0\tthe film was awful dull ${i % 7}`);
  writeFileSync(join(dir, 'train.tsv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'dev.tsv'), 'label\tsentence\n1\tgreat fun\n0\tawful dull\n');
  writeFileSync(
    join(dir, 'tiny.json'),
    JSON.stringify({ hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, hiddenDropout: 0 }),
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

const common = (train: string, dev: string): string[] => [
  'finetune',
  '--task',
  'classification',
  '--train',
  train,
  '--eval',
  dev,
  '--progress',
  'quiet',
  '--batch-size',
  '8',
  '--eval-interval',
  '20',
];

test('finetune --peft lora writes a PEFT adapter (LoRA + classifier), merge writes a plain model with W + s·B·A', () => {
  const base = join(dir, 'base');
  const train = join(dir, 'train.tsv');
  const dev = join(dir, 'dev.tsv');
  const b = llmk([
    ...common(train, dev),
    '--config',
    join(dir, 'tiny.json'),
    '--vocab-size',
    '60',
    '--steps',
    '20',
    '--lr',
    '3e-3',
    '--output',
    base,
  ]);
  assert.equal(b.status, 0, b.stderr);

  const adapter = join(dir, 'adapter');
  const r = llmk([
    ...common(train, dev),
    '--model',
    base,
    '--peft',
    'lora',
    '--lora-r',
    '4',
    '--lora-alpha',
    '8',
    '--lora-dropout',
    '0.05',
    '--target-modules',
    'query,value',
    '--steps',
    '20',
    '--output',
    adapter,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /LoRA learning rate 0\.001/);
  assert.match(r.stderr, /trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}/);
  const summary = JSON.parse(r.stdout.trim()) as {
    trainable_parameters: number;
    parameters: number;
    peft: string;
  };
  // query and value of 1 layer, hidden 16, r 4: 2 × (4·16 + 16·4) = 256; classifier 16·2 + 2 = 34.
  assert.equal(summary.trainable_parameters, 256 + 34);
  assert.equal(summary.peft, 'lora');
  assert.ok(summary.parameters > 10 * summary.trainable_parameters);
  assert.ok(!existsSync(join(adapter, 'model.safetensors')), 'an adapter directory, not a full model');
  const config = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8'));
  assert.equal(config.peft_type, 'LORA');
  assert.equal(config.r, 4);
  assert.equal(config.lora_alpha, 8);
  assert.equal(config.task_type, 'SEQ_CLS');
  assert.deepEqual(config.modules_to_save, ['classifier']);
  assert.equal(config.base_model_name_or_path, base);
  const tensors = readSafetensors(join(adapter, 'adapter_model.safetensors'));
  assert.deepEqual([...tensors.keys()].sort(), [
    'base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight',
    'base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight',
    'base_model.model.bert.encoder.layer.0.attention.self.value.lora_A.weight',
    'base_model.model.bert.encoder.layer.0.attention.self.value.lora_B.weight',
    'base_model.model.classifier.bias',
    'base_model.model.classifier.weight',
  ]);

  const merged = join(dir, 'merged');
  const m = llmk(['merge', '--model', base, '--adapter', adapter, '--output', merged]);
  assert.equal(m.status, 0, m.stderr);
  const baseW = readSafetensors(join(base, 'model.safetensors'));
  const mergedW = readSafetensors(join(merged, 'model.safetensors'));
  assert.deepEqual(
    [...mergedW.keys()].sort(),
    [...baseW.keys()].sort(),
    'a plain model: the base names only',
  );
  const key = 'bert.encoder.layer.0.attention.self.query';
  const A = tensors.get(`base_model.model.${key}.lora_A.weight`)!.data as Float32Array; // (4, 16)
  const B = tensors.get(`base_model.model.${key}.lora_B.weight`)!.data as Float32Array; // (16, 4)
  const W0 = baseW.get(`${key}.weight`)!.data as Float32Array;
  const W1 = mergedW.get(`${key}.weight`)!.data as Float32Array;
  let err = 0;
  let moved = 0;
  for (let o = 0; o < 16; o++)
    for (let i = 0; i < 16; i++) {
      let d = 0;
      for (let k = 0; k < 4; k++) d += B[o * 4 + k] * A[k * 16 + i];
      err = Math.max(err, Math.abs(W1[o * 16 + i] - (W0[o * 16 + i] + 2 * d)));
      moved = Math.max(moved, Math.abs(2 * d));
    }
  assert.ok(moved > 1e-4, 'training moved B off zero');
  assert.ok(err < 1e-6, `merged W off by ${err}`); // one f32 GEMM of length 4 vs float64 here
  assert.deepEqual(
    mergedW.get('classifier.weight')!.data,
    tensors.get('base_model.model.classifier.weight')!.data,
  );
  const e = llmk(['eval', '--model', merged, '--data', dev]);
  assert.equal(e.status, 0, e.stderr);

  const again = llmk(['merge', '--model', base, '--adapter', adapter, '--output', merged]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /LLMK_E_EXISTS.*already exists/);
  assert.equal(
    llmk(['merge', '--model', base, '--adapter', adapter, '--output', merged, '--force']).status,
    0,
  );
});

test('finetune --peft refuses a from-scratch model and unknown target modules with typed errors', () => {
  const train = join(dir, 'train.tsv');
  const dev = join(dir, 'dev.tsv');
  const scratch = llmk([...common(train, dev), '--peft', 'lora', '--steps', '1', '--output', join(dir, 'x')]);
  assert.equal(scratch.status, 2);
  assert.match(scratch.stderr, /LoRA needs a pretrained model/);
  const bad = llmk([
    ...common(train, dev),
    '--model',
    join(dir, 'base'),
    '--peft',
    'lora',
    '--target-modules',
    'q_proj',
    '--steps',
    '1',
    '--output',
    join(dir, 'y'),
  ]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /LLMK_E_CONFIG.*q_proj/);
  assert.match(bad.stderr, /attention\.self\.query/);
});
