// The dashboard under hostile requests and planted files (issue 12). Loopback only; every loop is
// bounded and every socket has a timeout.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunDir } from '../run.js';
import { allowedHosts, hostAllowed, isLoopback, parseLastEventId } from './guard.js';
import { type Dashboard, DEFAULT_MAX_STREAMS, startDashboard } from './server.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `lines` as a raw HTTP/1.1 request (so Host and odd headers go out exactly as written) and
 * returns the status, headers and whatever body arrived within `waitMs` after the headers.
 */
function raw(port: number, lines: string[], waitMs = 150): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let headerEnd = -1;
    const finish = (): void => {
      socket.destroy();
      if (headerEnd < 0) {
        reject(new Error(`no response headers; got ${JSON.stringify(data.subarray(0, 200).toString())}`));
        return;
      }
      const [statusLine, ...headerLines] = data.subarray(0, headerEnd).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const h of headerLines) {
        const i = h.indexOf(':');
        headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim();
      }
      const body = data.subarray(headerEnd + 4);
      const chunked = headers['transfer-encoding'] === 'chunked';
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: chunked ? dechunk(body) : body.toString('utf8'),
      });
    };
    socket.setTimeout(5000, finish);
    socket.on('data', (d) => {
      data = Buffer.concat([data, d]);
      if (headerEnd >= 0) return;
      headerEnd = data.indexOf('\r\n\r\n');
      if (headerEnd >= 0) setTimeout(finish, waitMs);
    });
    socket.on('end', finish);
    socket.on('error', reject);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** The payload of a chunked body, as much of it as arrived (a stream is cut mid-way); sizes count bytes. */
function dechunk(body: Buffer): string {
  const parts: Buffer[] = [];
  let rest = body;
  for (let guard = 0; guard < 100_000 && rest.length > 0; guard++) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) break;
    const size = Number.parseInt(rest.subarray(0, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(rest.subarray(eol + 2, eol + 2 + size));
    rest = rest.subarray(eol + 2 + size + 2);
  }
  return Buffer.concat(parts).toString('utf8');
}

function get(dash: Dashboard, path: string, extra: string[] = [], waitMs?: number): Promise<RawResponse> {
  return raw(
    dash.port,
    [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${dash.port}`, 'Connection: close', ...extra],
    waitMs,
  );
}

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'llmk-dash-hard-'));
  const runs = join(root, 'runs');
  mkdirSync(runs);
  const a = RunDir.create(runs, 'run-a', { config: { lr: 1e-3 } });
  a.logScalars(1, { loss: 3 });
  a.logScalars(2, { loss: 2 });
  a.close();
  return { root, runs };
}

async function withDashboard(
  fn: (dash: Dashboard, dirs: { root: string; runs: string }, errors: unknown[]) => Promise<void>,
  options: { maxStreams?: number; pollMs?: number; onWarning?: (run: string, m: string) => void } = {},
): Promise<void> {
  const dirs = setup();
  const errors: unknown[] = [];
  const dash = await startDashboard({
    runsDir: dirs.runs,
    port: 0,
    pollMs: options.pollMs ?? 50,
    onWarning: options.onWarning ?? (() => {}),
    onError: (e) => errors.push(e),
    maxStreams: options.maxStreams,
  });
  try {
    await fn(dash, dirs, errors);
  } finally {
    await dash.close();
    rmSync(dirs.root, { recursive: true, force: true });
  }
}

test('guard: Last-Event-ID, loopback and Host rules', () => {
  assert.deepEqual(parseLastEventId(undefined), { offset: 0, line: 0 });
  assert.deepEqual(parseLastEventId('120:4'), { offset: 120, line: 4 });
  for (const bad of ['-5:0', '5', '1:2:3', 'a:b', ' 1:2', '1e3:0', '9999999999999999:0', ['1:1', '2:2']]) {
    assert.throws(() => parseLastEventId(bad), /LLMK_E_ARG/, String(bad));
  }
  assert.equal(isLoopback('127.0.0.1'), true);
  assert.equal(isLoopback('127.8.9.10'), true);
  assert.equal(isLoopback('::1'), true);
  assert.equal(isLoopback('::ffff:127.0.0.1'), true);
  assert.equal(isLoopback('0.0.0.0'), false);
  assert.equal(isLoopback('192.168.1.5'), false);
  assert.equal(allowedHosts('0.0.0.0', 6006), null);
  const hosts = allowedHosts('127.0.0.1', 6006);
  assert.equal(hostAllowed('localhost:6006', hosts), true);
  assert.equal(hostAllowed('LOCALHOST:6006', hosts), true);
  assert.equal(hostAllowed('[::1]:6006', hosts), true);
  assert.equal(hostAllowed('evil.example:6006', hosts), false);
  assert.equal(hostAllowed('localhost:6007', hosts), false);
  assert.equal(hostAllowed('localhost', hosts), false); // port 80 only
  assert.equal(hostAllowed(undefined, hosts), false);
  assert.equal(hostAllowed('anything', null), true);
});

test('requests that used to end the process get a 400 (or are ignored) and the server keeps serving', {
  timeout: 30000,
}, async () => {
  await withDashboard(async (dash) => {
    // Each of these once threw ERR_HTTP_HEADERS_SENT (an error response after the SSE headers) or
    // ERR_OUT_OF_RANGE from a timer, uncaught.
    for (const id of ['-5:0', '-1:-1', 'abc', '1:2:3', '99999999999999999999:0', '1e9:0', '0x10:1']) {
      const res = await get(dash, '/api/runs/run-a/stream', [`Last-Event-ID: ${id}`]);
      assert.equal(res.status, 400, id);
      assert.equal(JSON.parse(res.body).error, 'LLMK_E_ARG');
    }
    // Well-formed but wrong positions are harmless: past the end starts over, mid-line skips a bad line.
    const past = await get(dash, '/api/runs/run-a/stream', ['Last-Event-ID: 999999:7'], 300);
    assert.equal(past.status, 200);
    assert.match(past.body, /"step":1/);
    const mid = await get(dash, '/api/runs/run-a/stream', ['Last-Event-ID: 5:0'], 300);
    assert.equal(mid.status, 200);
    assert.match(mid.body, /event: warning/);
    const cases: Array<[string, number]> = [
      ['/api/diff', 400],
      ['/api/diff?a=run-a', 400],
      ['/api/diff?a=run-a&b=%ZZ', 404],
      ['/api/diff?a=run-a&a=..&b=run-a', 200],
      ['/api/runs/%/metrics', 400],
      ['/api/runs/%E0%A4%A/stream', 400],
      ['/api/runs/..%2F..%2Fetc/config', 400],
      ['/api/runs/%00/metrics', 400],
      ['/api/runs/.%2E/stream', 404], // the URL parser resolves the dot segment: /api/stream
      [`/api/runs/${'x'.repeat(5000)}/metrics`, 400],
      ['/api/runs/run-a/metrics?x=%3Cscript%3E&&&=', 200],
      ['//evil.example/api/runs', 200], // read as a scheme-relative URL: only its path is used
      ['http://evil.example/api/runs', 200], // absolute-form target: only the path is used
      ['*', 404],
      ['/static/../../../../etc/passwd', 404],
    ];
    for (const [path, status] of cases) {
      const res = await get(dash, path);
      assert.equal(res.status, status, path);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
    }
    const post = await raw(dash.port, [
      'POST /api/runs HTTP/1.1',
      `Host: 127.0.0.1:${dash.port}`,
      'Content-Length: 0',
    ]);
    assert.equal(post.status, 405);
    const res = await fetch(new URL('/api/runs', dash.url));
    assert.equal(res.status, 200);
    assert.deepEqual(
      ((await res.json()) as { runs: Array<{ name: string }> }).runs.map((r) => r.name),
      ['run-a'],
    );
  });
});

test('an unexpected error inside a live stream ends that stream only', { timeout: 20000 }, async () => {
  let armed = false;
  await withDashboard(
    async (dash, { runs }, errors) => {
      armed = true;
      writeFileSync(join(runs, 'run-a', 'metrics.jsonl'), 'garbage\n', { flag: 'a' });
      const res = await get(dash, '/api/runs/run-a/stream', [], 300);
      assert.equal(res.status, 200);
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]), /onWarning exploded/);
      armed = false;
      const again = await fetch(new URL('/api/runs', dash.url));
      assert.equal(again.status, 200);
    },
    {
      onWarning: () => {
        if (armed) throw new Error('onWarning exploded');
      },
    },
  );
});

test('links out of the runs folder are not followed and no file content reaches a response', {
  timeout: 20000,
}, async () => {
  await withDashboard(async (dash, { root, runs }) => {
    const secret = join(root, 'secret.txt');
    writeFileSync(secret, 'root:x:0:0:SECRET-TOKEN-123:/root:/bin/bash\n');
    const secretJson = join(root, 'secret.json');
    writeFileSync(secretJson, '{"password":"SECRET-TOKEN-123"}');
    mkdirSync(join(runs, 'linked'));
    symlinkSync(secret, join(runs, 'linked', 'metrics.jsonl'));
    symlinkSync(secretJson, join(runs, 'linked', 'config.json'));
    const warnings: string[] = [];
    for (const path of [
      '/api/runs/linked/metrics',
      '/api/runs/linked/config',
      '/api/diff?a=linked&b=run-a',
      '/api/runs/linked/stream',
    ]) {
      const res = await get(dash, path, [], 300);
      assert.doesNotMatch(res.body, /SECRET-TOKEN|root:x/, path);
      warnings.push(res.body);
    }
    const metrics = JSON.parse(warnings[0]) as { rows: unknown[]; warnings: string[] };
    assert.deepEqual(metrics.rows, []);
    assert.match(
      metrics.warnings[0],
      /linked\/metrics\.jsonl is a symbolic link that leads out of the runs folder/,
    );
    assert.equal((await get(dash, '/api/runs/linked/config')).status, 403);
    assert.match(warnings[3], /event: warning\ndata: ".*symbolic link/);

    // A link that stays inside the runs folder is an ordinary file.
    mkdirSync(join(runs, 'alias'));
    symlinkSync(join(runs, 'run-a', 'metrics.jsonl'), join(runs, 'alias', 'metrics.jsonl'));
    const alias = JSON.parse((await get(dash, '/api/runs/alias/metrics')).body) as { rows: unknown[] };
    assert.equal(alias.rows.length, 2);

    // A malformed line's warning says where, never what (JSON.parse quotes the line).
    mkdirSync(join(runs, 'bad'));
    writeFileSync(join(runs, 'bad', 'metrics.jsonl'), 'SECRET-TOKEN-123 in a line\n');
    writeFileSync(join(runs, 'bad', 'config.json'), 'SECRET-TOKEN-123');
    const bad = await get(dash, '/api/runs/bad/metrics');
    assert.doesNotMatch(bad.body, /SECRET/);
    assert.match(bad.body, /line 1: not JSON \(syntax error/);
    const badConfig = await get(dash, '/api/runs/bad/config');
    assert.equal(badConfig.status, 500);
    assert.doesNotMatch(badConfig.body, /SECRET/);

    // A FIFO planted as the log must not block the server (open() on a FIFO waits for a writer).
    mkdirSync(join(runs, 'fifo'));
    execFileSync('mkfifo', [join(runs, 'fifo', 'metrics.jsonl')]);
    const fifo = await get(dash, '/api/runs/fifo/metrics');
    assert.match(JSON.parse(fifo.body).warnings[0], /not a regular file/);

    // A run directory that is itself a link out is not listed, so it cannot be opened.
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(join(root, 'elsewhere', 'metrics.jsonl'), '{"step":1,"loss":1}\n');
    symlinkSync(join(root, 'elsewhere'), join(runs, 'dirlink'));
    assert.equal((await get(dash, '/api/runs/dirlink/metrics')).status, 404);
  });
});

test('on loopback the Host header must name the dashboard (DNS rebinding); responses carry CSP and nosniff', {
  timeout: 20000,
}, async () => {
  await withDashboard(async (dash) => {
    const port = dash.port;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `localhost.:${port}`,
    ]) {
      const res = await raw(port, ['GET /api/runs HTTP/1.1', `Host: ${host}`, 'Connection: close']);
      assert.equal(res.status, 421, host);
      assert.doesNotMatch(res.body, /run-a/);
    }
    const noHost = await raw(port, ['GET /api/runs HTTP/1.0']);
    assert.equal(noHost.status, 421);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LocalHost:${port}`]) {
      const res = await raw(port, ['GET /api/runs HTTP/1.1', `Host: ${host}`, 'Connection: close']);
      assert.equal(res.status, 200, host);
    }
    for (const path of ['/', '/static/app.js', '/static/uPlot.iife.min.js', '/api/runs', '/api/nothing']) {
      const res = await get(dash, path);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
      const csp = res.headers['content-security-policy'] ?? '';
      assert.match(csp, /default-src 'none'/, path);
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, path);
    }
    const stream = await get(dash, '/api/runs/run-a/stream');
    assert.equal(stream.headers['x-content-type-options'], 'nosniff');
  });
});

test('live streams are capped: 503 past the limit, a slot frees when a stream closes', {
  timeout: 30000,
}, async () => {
  await withDashboard(
    async (dash) => {
      const open = await Promise.all([1, 2, 3].map(() => fetch(new URL('/api/runs/run-a/stream', dash.url))));
      for (const res of open) assert.equal(res.status, 200);
      const refused = await get(dash, '/api/runs/run-a/stream');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '5');
      await open[0].body?.cancel();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await get(dash, '/api/runs/run-a/stream')).status;
      }
      assert.equal(status, 200);
      for (const res of open.slice(1)) await res.body?.cancel();
    },
    { maxStreams: 3 },
  );
});

test(`the default limit holds ${DEFAULT_MAX_STREAMS} live streams and refuses the next`, {
  timeout: 90000,
}, async () => {
  await withDashboard(
    async (dash) => {
      const request = `GET /api/runs/run-a/stream HTTP/1.1\r\nHost: 127.0.0.1:${dash.port}\r\n\r\n`;
      const sockets: ReturnType<typeof connect>[] = [];
      try {
        // Opened in batches of 100 so a slow machine is not flooded with SYNs at once.
        for (let batch = 0; batch < DEFAULT_MAX_STREAMS / 100; batch++) {
          await Promise.all(
            Array.from(
              { length: 100 },
              () =>
                new Promise<void>((resolve, reject) => {
                  const s = connect(dash.port, '127.0.0.1');
                  sockets.push(s);
                  s.setTimeout(20000, () => reject(new Error('stream did not start')));
                  s.once('data', (d) => {
                    s.setTimeout(0);
                    if (d.toString().startsWith('HTTP/1.1 200')) resolve();
                    else reject(new Error(d.toString().split('\r\n')[0]));
                  });
                  s.on('error', reject);
                  s.write(request);
                }),
            ),
          );
        }
        assert.equal((await get(dash, '/api/runs/run-a/stream')).status, 503);
        assert.equal((await get(dash, '/api/runs')).status, 200);
      } finally {
        for (const s of sockets) s.destroy();
      }
    },
    { pollMs: 60000 },
  );
});

test('a run name with a space (or any listed name) opens as it is listed', { timeout: 20000 }, async () => {
  await withDashboard(async (dash, { runs }) => {
    for (const name of ['my run', '运行 #1', "it's 100%"]) {
      mkdirSync(join(runs, name));
      writeFileSync(join(runs, name, 'metrics.jsonl'), '{"step":1,"wall_time":1,"loss":4}\n');
      writeFileSync(join(runs, name, 'config.json'), '{"lr":0.5}');
    }
    const listed = JSON.parse((await get(dash, '/api/runs')).body) as { runs: Array<{ name: string }> };
    const names = listed.runs.map((r) => r.name);
    for (const name of names) {
      const enc = encodeURIComponent(name);
      const metrics = await get(dash, `/api/runs/${enc}/metrics`);
      assert.equal(metrics.status, 200, name);
      assert.equal((JSON.parse(metrics.body) as { rows: unknown[] }).rows.length > 0, true, name);
      assert.equal((await get(dash, `/api/runs/${enc}/config`)).status, 200, name);
      assert.equal((await get(dash, `/api/runs/${enc}/stream`)).status, 200, name);
      assert.equal((await get(dash, `/api/diff?a=${enc}&b=run-a`)).status, 200, name);
    }
    assert.ok(names.includes('my run'));
  });
});
