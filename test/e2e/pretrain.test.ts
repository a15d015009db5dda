/** `llmk pretrain` end to end: a tiny run, resume from its checkpoint, and bad inputs. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const CLI = new URL('../../bin/llmk.js', import.meta.url).pathname;
let dir = '';

function llmk(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LLMK_PROGRESS: 'quiet' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmk-pretrain-'));
  writeFileSync(join(dir, 'text.txt'), 'to be or not to be, that is the question. '.repeat(60));
  writeFileSync(
    join(dir, 'cfg.json'),
    JSON.stringify({
      model: { nCtx: 16, nLayer: 1, nHead: 2, nEmbd: 16 },
      data: { train: join(dir, 'text.txt'), tokenizer: 'char' },
      batch: { batchSize: 4, seqLen: 8, evalBatches: 2 },
      trainer: { steps: 6, evalInterval: 3, saveInterval: 3, warmupSteps: 2, lr: 3e-3 },
      runs: join(dir, 'runs'),
      name: 'tiny',
    }),
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('pretrain trains, logs, checkpoints (HF layout + training state) and resumes', () => {
  const r = llmk(['pretrain', '--config', join(dir, 'cfg.json')]);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { steps: number; val_loss: number };
  assert.equal(summary.steps, 6);
  assert.ok(summary.val_loss > 0 && summary.val_loss < Math.log(20), `val loss ${summary.val_loss}`);
  const run = join(dir, 'runs', 'tiny');
  const ckpts = readdirSync(join(run, 'checkpoints'));
  assert.deepEqual(ckpts.sort(), ['step-00000003', 'step-00000006']);
  const last = join(run, 'checkpoints', 'step-00000006');
  for (const f of [
    'config.json',
    'model.safetensors',
    'generation_config.json',
    'tokenizer.json',
    'optimizer.safetensors',
    'trainer_state.json',
  ]) {
    assert.ok(statSync(join(last, f)).size > 0, f);
  }
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.ok(metrics.some((l) => l.includes('val_loss')));
  // Resume to 9 steps under a new run name; flags override the file.
  const r2 = llmk([
    'pretrain',
    '--config',
    join(dir, 'cfg.json'),
    '--resume',
    last,
    '--steps',
    '9',
    '--name',
    'tiny-resumed',
  ]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.equal((JSON.parse(r2.stdout.trim().split('\n').at(-1)!) as { steps: number }).steps, 9);
});

test('bad inputs: unknown field, wrong vocabulary, corrupt checkpoint — typed errors, nothing overwritten', () => {
  const bad = JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  bad.model.nLayers = 2;
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
  const r1 = llmk(['pretrain', '--config', join(dir, 'bad.json')]);
  assert.equal(r1.status, 2);
  assert.match(r1.stderr, /LLMK_E_CONFIG: .*field 'model'.*unknown: nLayers/);

  const r2 = llmk(['pretrain', '--config', join(dir, 'cfg.json'), '--vocab-size', '5', '--name', 'v']);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /LLMK_E_CONFIG: the data uses a vocabulary of \d+ tokens but model.vocabSize is 5/);

  const ckpt = join(dir, 'runs', 'tiny', 'checkpoints', 'step-00000003');
  const weights = join(ckpt, 'model.safetensors');
  truncateSync(weights, statSync(weights).size - 100);
  const sizeBefore = statSync(weights).size;
  const r3 = llmk(['pretrain', '--config', join(dir, 'cfg.json'), '--resume', ckpt, '--name', 'c']);
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /LLMK_E_FORMAT: .*model\.safetensors/);
  assert.equal(statSync(weights).size, sizeBefore, 'the corrupt checkpoint was left as it was');
});

test('SIGINT finishes the current step, saves a resumable checkpoint, says where, and exits 130', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(
    process.execPath,
    [
      CLI,
      'pretrain',
      '--config',
      join(dir, 'cfg.json'),
      '--steps',
      '100000',
      '--save-interval',
      '0',
      '--eval-interval',
      '0',
      '--name',
      'interrupted',
    ],
    {
      env: { ...process.env, LLMK_PROGRESS: 'json' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += String(d);
  });
  // Interrupt once a few steps have run.
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (d) => {
      stderr += String(d);
      const m = /"done":(\d+)/.exec(String(d));
      if (m && Number(m[1]) >= 3) resolve();
    });
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  // Before: exit 0, as if the run had finished.
  assert.equal(code, 130);
  assert.match(stderr, /interrupted at step \d+; checkpoint saved in .*interrupted\/checkpoints\/step-\d{8}/);
  assert.match(stderr, /continue with: llmk pretrain .*--resume latest/);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { steps: number; interrupted: boolean };
  assert.equal(summary.interrupted, true);
  assert.ok(summary.steps >= 3 && summary.steps < 100000);
  const ckpts = readdirSync(join(dir, 'runs', 'interrupted', 'checkpoints'));
  assert.deepEqual(ckpts, [`step-${String(summary.steps).padStart(8, '0')}`]);
  const state = JSON.parse(
    readFileSync(join(dir, 'runs', 'interrupted', 'checkpoints', ckpts[0], 'trainer_state.json'), 'utf8'),
  ) as { step: number };
  assert.equal(state.step, summary.steps);
});

test("the README's resume continues the same run: metrics appended, event file continued, checkpoints beside the old ones", () => {
  const cfg = join(dir, 'cfg.json');
  const run = join(dir, 'runs', 'readme');
  const r = llmk(['pretrain', '--config', cfg, '--name', 'readme', '--steps', '4', '--save-interval', '2']);
  assert.equal(r.status, 0, r.stderr);
  const events = readdirSync(run).filter((f) => f.startsWith('events.out.tfevents.'));
  const metricsBefore = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
  // What a killed save leaves behind (old code: an empty final-named directory and a .tmp-PID).
  mkdirSync(join(run, 'checkpoints', 'step-00000099'));
  mkdirSync(join(run, 'checkpoints', 'step-00000004.tmp-999999'));
  // Before: LLMK_E_EXISTS: run directory … exists; … RunDir.open(path).
  const ckpt = join(run, 'checkpoints', 'step-00000004');
  const r2 = llmk(['pretrain', '--config', cfg, '--name', 'readme', '--resume', ckpt, '--steps', '6']);
  assert.equal(r2.status, 0, r2.stderr);
  assert.doesNotMatch(r2.stderr, /RunDir/);
  const summary = JSON.parse(r2.stdout.trim().split('\n').at(-1) as string) as {
    steps: number;
    run_dir: string;
  };
  assert.equal(summary.steps, 6);
  assert.equal(summary.run_dir, run);
  assert.deepEqual(
    readdirSync(run).filter((f) => f.startsWith('events.out.tfevents.')),
    events,
  );
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.ok(metrics.length > metricsBefore, 'metrics appended');
  assert.equal((JSON.parse(metrics.at(-1) as string) as { step: number }).step, 6);
  const ckpts = readdirSync(join(run, 'checkpoints')).sort();
  assert.ok(ckpts.includes('step-00000006'));
  assert.ok(!ckpts.some((c) => c.includes('.tmp-')), `stale temp removed: ${ckpts.join(', ')}`);
  // --resume latest: the newest complete checkpoint (the empty step-00000099 is not one).
  const r3 = llmk(['pretrain', '--config', cfg, '--name', 'readme', '--resume', 'latest', '--steps', '8']);
  assert.equal(r3.status, 0, r3.stderr);
  assert.equal((JSON.parse(r3.stdout.trim().split('\n').at(-1) as string) as { steps: number }).steps, 8);
  // A fresh run under an existing name points at the CLI, not at a library call.
  const r4 = llmk(['pretrain', '--config', cfg, '--name', 'readme']);
  assert.equal(r4.status, 2);
  assert.match(
    r4.stderr,
    /LLMK_E_EXISTS: run directory .*readme already exists; .*--resume latest --name readme/,
  );
  const r5 = llmk(['pretrain', '--config', cfg, '--name', 'readme', '--resume', 'latest', '--steps', '8']);
  assert.equal(r5.status, 2);
  assert.match(r5.stderr, /checkpoint is at step 8 .*give --steps more than 8/);
});
