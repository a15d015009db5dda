// Fuzzing the dashboard's HTTP surface (127.0.0.1 only): paths, run names, query strings,
// Last-Event-ID and Host headers, methods. Invariant: every request gets an answer that is not a 500,
// and the server is still serving afterwards (one request once ended the process).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { startDashboard } from '../../src/track/dashboard/server.js';
import { RunDir } from '../../src/track/run.js';
import { asyncProperty, scratch } from './harness.js';

/** Status line of the answer to a raw request (or 'closed' if the socket ended without one). */
function statusOf(port: number, request: Buffer): Promise<number | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(
        new Error(`no answer within 5 s to ${JSON.stringify(request.toString('latin1').slice(0, 200))}`),
      );
    });
    socket.on('data', (d) => {
      data += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('close', () => resolve('closed'));
    socket.on('error', () => resolve('closed'));
    socket.write(request);
  });
}

const segment = fc.oneof(
  fc.constantFrom(
    'run-a',
    'my run',
    'api',
    'runs',
    'stream',
    'metrics',
    'config',
    'diff',
    'static',
    '..',
    '.',
    '',
    '%',
    '%2F',
    '%00',
    '%E0%A4%A',
    '%ZZ',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const path = fc.oneof(
  fc
    .tuple(segment, fc.constantFrom('metrics', 'config', 'stream', 'x'))
    .map(([name, route]) => `/api/runs/${name}/${route}`),
  fc.array(segment, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
  fc.tuple(segment, segment).map(([a, b]) => `/api/diff?a=${a}&b=${b}&a=${b}`),
  fc.constantFrom(
    '*',
    'http://evil.example/api/runs',
    '//x',
    '/api/runs?' + '&'.repeat(300),
    `/${'a'.repeat(9000)}`,
  ),
);
const header = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom('-5:0', '1:-1', '99999999999999999999:0', '0:0', '12:3'),
);

const request = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD', 'OPTIONS', 'DELETE', 'G\x00T'),
  path,
  host: fc.option(fc.oneof(fc.constant('OK'), header), { freq: 4, nil: undefined }),
  lastEventId: fc.option(header, { nil: undefined }),
  extra: fc.option(fc.tuple(fc.string({ unit: 'binary', maxLength: 10 }), header), { nil: undefined }),
});

test('fuzz dashboard HTTP: no request gets a 500 or stops the server', { timeout: 120000 }, async () => {
  const tmp = scratch('dash');
  const runs = join(tmp.dir, 'runs');
  mkdirSync(runs);
  const run = RunDir.create(runs, 'run-a', { config: { lr: 1 } });
  run.logScalars(1, { loss: 2 });
  run.close();
  mkdirSync(join(runs, 'my run'));
  const errors: unknown[] = [];
  const dash = await startDashboard({
    runsDir: runs,
    port: 0,
    pollMs: 1000,
    onWarning: () => {},
    onError: (e) => errors.push(e),
  });
  try {
    await asyncProperty(
      'dashboard: hostile HTTP requests',
      request,
      async (r) => {
        const host = r.host === 'OK' ? `127.0.0.1:${dash.port}` : r.host;
        const lines = [`${r.method} ${r.path} HTTP/1.1`];
        if (host !== undefined) lines.push(`Host: ${host}`);
        if (r.lastEventId !== undefined) lines.push(`Last-Event-ID: ${r.lastEventId}`);
        if (r.extra) lines.push(`${r.extra[0]}: ${r.extra[1]}`);
        lines.push('Connection: close', '', '');
        const status = await statusOf(dash.port, Buffer.from(lines.join('\r\n'), 'latin1'));
        // 'closed': Node's parser dropped a request too malformed to answer (e.g. a NUL in the method).
        assert.ok(
          status === 'closed' || (status >= 200 && status < 500) || status === 503,
          `status ${status} for ${JSON.stringify(lines)}`,
        );
      },
      80,
    );
    assert.deepEqual(errors, []);
    const res = await fetch(new URL('/api/runs', dash.url));
    assert.equal(res.status, 200);
  } finally {
    await dash.close();
    rmSync(tmp.dir, { recursive: true, force: true });
  }
});
