// The dashboard in a real browser: Debian's chromium driven by playwright-core. Loads the page over
// a run that is being written, checks the loss curve gains points live (SSE), and saves a screenshot
// to test-artifacts/dashboard.png. `.ci/run` installs chromium with apt-get.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { startDashboard } from '../../src/track/dashboard/server.js';
import { RunDir } from '../../src/track/run.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Polls a page-side expression until it is truthy. page.waitForFunction with a string predicate
 * compiles it with eval inside the page, which the dashboard's Content-Security-Policy (script-src
 * 'self', no 'unsafe-eval') refuses; page.evaluate goes through the DevTools protocol, which CSP
 * does not govern. Expressions stay strings because this file has no DOM types.
 */
async function waitUntil(page: Page, expression: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A plausible training curve: loss decays with noise, lr warms up then decays. */
function scalars(step: number, offset: number): Record<string, number> {
  const loss = 4.2 * Math.exp(-step / 40) + 1.1 + offset + 0.05 * Math.sin(step * 1.7);
  const lr = step < 10 ? (3e-4 * step) / 10 : 3e-4 * Math.cos(((step - 10) / 200) * (Math.PI / 2));
  return { loss, lr, tokens_per_s: 5200 + 300 * Math.sin(step / 5) - offset * 1000 };
}

test('dashboard plots runs and grows the curve live in headless chromium', { timeout: 60000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  const root = mkdtempSync(join(tmpdir(), 'llmk-browser-'));
  // Simulated clocks (0.5 s and 0.4 s a step) so the wall-time axis has distinct, plausible times.
  let tBase = 1700000000000;
  let tLive = 1700000100000;
  const baseline = RunDir.create(root, 'baseline-2layer', {
    config: { model: { n_layer: 2, d_model: 64 }, optim: { lr: 3e-4 }, seed: 1 },
    now: () => (tBase += 500),
  });
  for (let step = 1; step <= 60; step++) {
    baseline.logScalars(step, scalars(step, 0.25));
    if (step % 20 === 0) baseline.logScalars(step, { 'eval/loss': 1.6 + 40 / step });
  }
  baseline.close();
  const live = RunDir.create(root, 'live-4layer', {
    config: { model: { n_layer: 4, d_model: 64 }, optim: { lr: 3e-4 }, seed: 1 },
    now: () => (tLive += 400),
  });
  for (let step = 1; step <= 20; step++) live.logScalars(step, scalars(step, 0));
  const dash = await startDashboard({ runsDir: root, port: 0, pollMs: 100, onWarning: () => {} });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const pageErrors: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    // The page runs under its own strict CSP: a violation would be a console error, caught below.
    const response = await page.goto(dash.url);
    assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self';/);
    // Page-side expressions are strings: they run in the page, where `document` exists (this file has no DOM lib).
    const pointsAre = (n: number) =>
      waitUntil(
        page,
        `Number(document.querySelector('.chart[data-metric="loss"]')?.getAttribute('data-points')) === ${n}`,
      );
    const lossPoints = async () =>
      Number(await page.getAttribute('.chart[data-metric="loss"]', 'data-points'));
    await pointsAre(80);
    assert.equal(await lossPoints(), 60 + 20);

    // Write 40 more steps while the page is open; the curve must gain exactly those points.
    let step = 20;
    const writer = setInterval(() => {
      for (let i = 0; i < 4 && step < 60; i++) {
        step++;
        live.logScalars(step, scalars(step, 0));
      }
      if (step >= 60) clearInterval(writer);
    }, 40);
    await pointsAre(120);
    assert.equal(await lossPoints(), 120);

    // A malformed line is skipped with a visible warning; the page keeps working.
    appendFileSync(join(root, 'live-4layer', 'metrics.jsonl'), '{"step": 61, "loss": oops\n');
    await page.waitForSelector('li[data-run="live-4layer"] .warn');
    assert.equal(await page.textContent('li[data-run="live-4layer"] .warn'), '⚠ 1');
    assert.equal(await lossPoints(), 120);

    // One chart per scalar, in order; legends name both runs; the config diff shows the changed key.
    const metrics = await page.$$eval('.chart', (els) => els.map((el) => el.getAttribute('data-metric')));
    assert.deepEqual(metrics, ['loss', 'eval/loss', 'lr', 'tokens_per_s']);
    const legend = await page.textContent('.chart[data-metric="loss"] .u-legend');
    assert.match(legend ?? '', /baseline-2layer/);
    assert.match(legend ?? '', /live-4layer/);
    await page.waitForSelector('#diff-table tbody tr');
    const diffRows = await page.$$eval('#diff-table tbody tr', (rows) => rows.map((r) => r.textContent));
    assert.deepEqual(diffRows, ['model.n_layer24']);
    assert.match((await page.textContent('#live')) ?? '', /live \(2 streams\)/);

    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'dashboard.png'), fullPage: true });

    // Wall-time x axis: same points, new axis label.
    await page.selectOption('#x-mode', 'time');
    await waitUntil(
      page,
      `document.querySelector('.chart[data-metric="loss"] .u-legend')?.textContent.includes('wall time')`,
    );
    assert.equal(await lossPoints(), 120);
    await page.screenshot({ path: join('test-artifacts', 'dashboard-walltime.png'), fullPage: true });

    // Smoothing 0.9 on the step axis: the plotted baseline equals TensorBoard's debiased EMA
    // of the logged losses (same float64 arithmetic in the page, so 1e-12 covers reordering only).
    await page.selectOption('#x-mode', 'step');
    await page.selectOption('#smoothing', '0.9');
    let last = 0;
    const expected = Array.from({ length: 60 }, (_, i) => {
      last = last * 0.9 + 0.1 * scalars(i + 1, 0.25).loss;
      return last / (1 - 0.9 ** (i + 1));
    });
    await waitUntil(page, `Math.abs(state.charts.get('loss').plot.data[1][59] - ${expected[59]}) < 1e-12`);
    const plotted = (await page.evaluate(`state.charts.get('loss').plot.data[1]`)) as number[];
    assert.equal(plotted.length, 60);
    for (let i = 0; i < 60; i++) {
      assert.ok(Math.abs(plotted[i] - expected[i]) < 1e-12, `step ${i + 1}: ${plotted[i]} vs ${expected[i]}`);
    }
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    live.close();
    await dash.close();
    rmSync(root, { recursive: true, force: true });
  }
});
