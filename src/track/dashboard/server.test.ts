import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../../errors.js';
import { RunDir } from '../run.js';
import { startDashboard } from './server.js';

interface SseEvent {
  event: string;
  id: string;
  data: string;
}

/** Reads server-sent events from a fetch body until `until` says stop. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  until: (events: SseEvent[]) => boolean,
): Promise<SseEvent[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const ev: SseEvent = { event: 'message', id: '', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) ev.event = line.slice(7);
        else if (line.startsWith('id: ')) ev.id = line.slice(4);
        else if (line.startsWith('data: ')) ev.data += line.slice(6);
      }
      if (ev.data) events.push(ev);
      cut = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return events;
}

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'llmk-dash-'));
  const a = RunDir.create(root, 'run-a', { config: { model: { n_layer: 2 }, lr: 1e-3 } });
  const b = RunDir.create(root, 'run-b', { config: { model: { n_layer: 4 }, lr: 1e-3 } });
  a.logScalars(1, { loss: 3 });
  a.logScalars(2, { loss: 2.5 });
  b.logScalars(1, { loss: 3.5 });
  appendFileSync(join(root, 'run-b', 'metrics.jsonl'), 'this is not json\n');
  return { root, a, b };
}

test('API routes: runs, metrics with skipped-line warnings, config, diff, errors', {
  timeout: 15000,
}, async () => {
  const { root, a, b } = setup();
  const warnings: string[] = [];
  const dash = await startDashboard({
    runsDir: root,
    port: 0,
    onWarning: (run, m) => warnings.push(`${run}: ${m}`),
  });
  try {
    assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const get = async (path: string) => {
      const res = await fetch(new URL(path, dash.url));
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    };
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(page.body, /uPlot\.iife\.min\.js/);
    const lib = await get('/static/uPlot.iife.min.js');
    assert.equal(lib.status, 200);
    assert.match(lib.type ?? '', /javascript/);
    assert.ok(lib.body.length > 10000);

    const runs = JSON.parse((await get('/api/runs')).body);
    assert.deepEqual(
      runs.runs.map((r: { name: string }) => r.name),
      ['run-a', 'run-b'],
    );
    const metrics = JSON.parse((await get('/api/runs/run-b/metrics')).body);
    assert.deepEqual(
      metrics.rows.map((r: { loss: number }) => r.loss),
      [3.5],
    );
    assert.equal(metrics.warnings.length, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^run-b: metrics\.jsonl line 2: not JSON .*; skipped$/);
    const config = JSON.parse((await get('/api/runs/run-a/config')).body);
    assert.deepEqual(config.config, { model: { n_layer: 2 }, lr: 1e-3 });
    assert.equal(config.env.nodeVersion, process.version);
    const diff = JSON.parse((await get('/api/diff?a=run-a&b=run-b')).body);
    assert.deepEqual(diff.differences, [{ key: 'model.n_layer', a: 2, b: 4 }]);

    const missing = await get('/api/runs/nope/metrics');
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).error, 'LLMK_E_NOT_FOUND');
    assert.match(JSON.parse(missing.body).hint, /run-a, run-b/);
    const traversal = await get('/api/runs/..%2F..%2Fetc/config');
    assert.equal(traversal.status, 400);
    assert.equal((await get('/nothing-here')).status, 404);
    assert.equal((await get('/api/runs/%E0%A4%A/metrics')).status, 400);
    writeFileSync(join(root, 'run-b', 'config.json'), '{ not json');
    const badConfig = await get('/api/diff?a=run-a&b=run-b');
    assert.equal(badConfig.status, 500);
    assert.match(JSON.parse(badConfig.body).message, /config\.json is not valid JSON/);
  } finally {
    a.close();
    b.close();
    await dash.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('the SSE stream sends existing rows, then rows appended later, and resumes from Last-Event-ID', {
  timeout: 15000,
}, async () => {
  const { root, a, b } = setup();
  const dash = await startDashboard({ runsDir: root, port: 0, pollMs: 50, onWarning: () => {} });
  try {
    const res = await fetch(new URL('/api/runs/run-a/stream', dash.url));
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const rowsOf = (events: SseEvent[]) =>
      events.filter((e) => e.event === 'rows').flatMap((e) => JSON.parse(e.data) as Array<{ step: number }>);
    setTimeout(() => {
      a.logScalars(3, { loss: 2 });
      a.logScalars(4, { loss: 1.5 });
    }, 100);
    const events = await readEvents(res.body!, (evs) => rowsOf(evs).length >= 4);
    assert.deepEqual(
      rowsOf(events).map((r) => r.step),
      [1, 2, 3, 4],
    );
    const firstId = events[0].id;
    assert.match(firstId, /^\d+:2$/);
    const resumed = await fetch(new URL('/api/runs/run-a/stream', dash.url), {
      headers: { 'last-event-id': firstId },
    });
    const again = await readEvents(resumed.body!, (evs) => rowsOf(evs).length >= 2);
    assert.deepEqual(
      rowsOf(again).map((r) => r.step),
      [3, 4],
    );
    // The bad line in run-b arrives as a warning event, and the stream goes on.
    const withWarning = await fetch(new URL('/api/runs/run-b/stream', dash.url));
    const evB = await readEvents(
      withWarning.body!,
      (evs) => evs.some((e) => e.event === 'warning') && rowsOf(evs).length >= 1,
    );
    assert.equal(evB.filter((e) => e.event === 'warning').length, 1);
  } finally {
    a.close();
    b.close();
    await dash.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('an unknown runs directory is refused at start with LLMK_E_NOT_FOUND', async () => {
  await assert.rejects(
    startDashboard({ runsDir: '/nonexistent/llmk-runs' }),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_NOT_FOUND' && /RunDir\.create/.test(e.hint),
  );
  const root = mkdtempSync(join(tmpdir(), 'llmk-dash-'));
  try {
    writeFileSync(join(root, 'file'), '');
    await assert.rejects(
      startDashboard({ runsDir: join(root, 'file') }),
      (e: unknown) => e instanceof LlmkError,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
