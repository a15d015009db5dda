// The explanation page in a real browser (Debian's chromium via playwright-core, as
// dashboard-browser.test.ts): opened from a file:// URL with the network off, the tokens render
// coloured, the layer/head selectors redraw the heatmap, and a screenshot is saved to
// test-artifacts/explain.png.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Explanation } from '../../src/explain/classifier.js';
import { renderExplanationHtml } from '../../src/explain/html.js';
import { attentionRollout, meanHeads } from '../../src/explain/rollout.js';

const CHROMIUM = '/usr/bin/chromium';

/** Row-stochastic (T, T) attention with a distinct pattern per layer and head. */
function attention(T: number, l: number, h: number): number[][] {
  return Array.from({ length: T }, (_, i) => {
    const row = Array.from({ length: T }, (_, j) => Math.exp(-Math.abs(i - j - h + l) * (1 + h)));
    const z = row.reduce((a, b) => a + b, 0);
    return row.map((v) => v / z);
  });
}

test('explain report: renders offline, the selectors switch heads and layers', {
  timeout: 60000,
}, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  const tokens = ['[CLS]', 'profit', 'rose', 'to', 'eur', '13', 'million', '[SEP]'];
  const T = tokens.length;
  const attentions = [0, 1].map((l) => [0, 1].map((h) => attention(T, l, h)));
  const e: Explanation = {
    text: 'profit rose to eur 13 million',
    tokens,
    method: 'ig',
    labels: ['negative', 'neutral', 'positive'],
    probabilities: [0.1, 0.2, 0.7],
    predicted: 'positive',
    target: 'positive',
    scores: [0, 0.2, 0.6, -0.1, 0.05, 0, 0.1, 0],
    completeness: {
      fx: 0.7,
      fBaseline: 0.2,
      sum: 0.5,
      delta: 1e-7,
      steps: 50,
      integration: 'gausslegendre',
      baseline: 'pad',
    },
    attentions,
    rollout: attentionRollout(attentions.map(meanHeads)),
    truncated: null,
  };
  const dir = mkdtempSync(join(tmpdir(), 'llmk-explain-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, renderExplanationHtml(e));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  try {
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    assert.equal(await page.locator('#tokens .tok').count(), T);
    // The strongest token is fully red.
    assert.match(
      (await page.locator('#tokens .tok').nth(2).getAttribute('style')) ?? '',
      /rgba\(220,40,40,1\.000\)/,
    );
    const cell = (i: number, j: number) =>
      page.locator(`#heatmap tbody tr:nth-child(${i + 1}) td:nth-child(${j + 2})`).getAttribute('title');
    assert.equal(await page.locator('#heatmap tbody tr').count(), T);
    assert.equal(await cell(1, 1), attentions[0][0][1][1].toFixed(3));
    await page.selectOption('#head', '1');
    assert.equal(await page.locator('#which').textContent(), 'layer 0, head 1');
    assert.equal(await cell(1, 1), attentions[0][1][1][1].toFixed(3));
    await page.selectOption('#layer', '1');
    assert.equal(await cell(3, 2), attentions[1][1][3][2].toFixed(3));
    await page.selectOption('#layer', 'rollout');
    assert.equal(await page.locator('#head').isDisabled(), true);
    assert.equal(await cell(0, 1), (e.rollout as number[][])[0][1].toFixed(3));
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [], 'no network requests');
    await page.selectOption('#layer', '0');
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'explain.png'), fullPage: true });
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
