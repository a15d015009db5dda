/**
 * `llmk dashboard`: a local web page over a folder of run directories. Plain `node:http`: the
 * page needs six read-only routes and one server-sent-event stream, nothing a framework adds to.
 *
 *   GET /                         the page (static/index.html, app.js, style.css; uPlot from node_modules)
 *   GET /api/runs                 run summaries
 *   GET /api/runs/<name>/metrics  every row so far, plus warnings for skipped lines
 *   GET /api/runs/<name>/config   config.json and env.json
 *   GET /api/runs/<name>/stream   SSE: `rows` events (JSON arrays) as metrics.jsonl grows, `warning` events;
 *                                 event ids are `<byte offset>:<line>` so a reconnect resumes (Last-Event-ID)
 *   GET /api/diff?a=<run>&b=<run> config keys that differ
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmkError } from '../../errors.js';
import { readMetricsFile } from '../metrics.js';
import { CONFIG_FILE, checkRunName, diffConfigs, ENV_FILE, listRuns, METRICS_FILE } from '../run.js';
import { MetricsTail, watchPath } from './tail.js';

export interface DashboardOptions {
  runsDir: string;
  /** Interface to bind; loopback by default because the page shows configs and paths. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Called once per distinct skipped line (default: stderr). */
  onWarning?: (run: string, message: string) => void;
  /** Polling period behind fs.watch, in ms. */
  pollMs?: number;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The static files live in src/ (they are not compiled); from dist/ we look there too. */
function staticDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'static'), join(here, '../../../src/track/dashboard/static')];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new LlmkError('LLMK_E_IO', `dashboard page not found in ${candidates.join(' or ')}`);
  return found;
}

const require = createRequire(import.meta.url);

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof LlmkError) {
    const status = err.code === 'LLMK_E_NOT_FOUND' ? 404 : err.code === 'LLMK_E_ARG' ? 400 : 500;
    sendJson(res, status, { error: err.code, message: err.message, hint: err.hint });
  } else {
    sendJson(res, 500, { error: 'internal', message: String(err) });
  }
}

function readJson(path: string): unknown {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LlmkError('LLMK_E_FORMAT', `${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function decodeName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new LlmkError('LLMK_E_ARG', `run name in URL is not valid percent-encoding: ${segment}`);
  }
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const runsDir = options.runsDir;
  listRuns(runsDir); // fails early, with a hint, on a missing folder
  const pollMs = options.pollMs ?? 500;
  const warned = new Set<string>();
  const warn = (run: string, message: string): void => {
    const key = `${run}\0${message}`;
    if (warned.has(key)) return;
    warned.add(key);
    (options.onWarning ?? ((r, m) => process.stderr.write(`warning run ${r}: ${m}\n`)))(run, message);
  };
  const dir = staticDir();
  const files: Record<string, string> = {
    '/': join(dir, 'index.html'),
    '/static/app.js': join(dir, 'app.js'),
    '/static/style.css': join(dir, 'style.css'),
    '/static/uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
    '/static/uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
  };
  const streams = new Set<() => void>();

  const runPath = (name: string): string => {
    checkRunName(name);
    const found = listRuns(runsDir).find((r) => r.name === name);
    if (!found) {
      const names = listRuns(runsDir).map((r) => r.name);
      throw new LlmkError(
        'LLMK_E_NOT_FOUND',
        `no run "${name}" in ${runsDir}`,
        names.length ? `known runs: ${names.slice(0, 20).join(', ')}` : 'the folder holds no runs yet',
      );
    }
    return found.path;
  };

  const stream = (req: IncomingMessage, res: ServerResponse, name: string, path: string): void => {
    const [offset, line] = String(req.headers['last-event-id'] ?? '0:0')
      .split(':')
      .map((x) => Number.parseInt(x, 10));
    const tail = new MetricsTail(join(path, METRICS_FILE), offset || 0, line || 0);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n\n');
    const push = (): void => {
      for (let more = true; more; ) {
        const chunk = tail.read();
        for (const message of chunk.warnings) {
          warn(name, message);
          res.write(`event: warning\ndata: ${JSON.stringify(message)}\n\n`);
        }
        if (chunk.rows.length) {
          res.write(
            `id: ${chunk.offset}:${chunk.line}\nevent: rows\ndata: ${JSON.stringify(chunk.rows)}\n\n`,
          );
        }
        more = chunk.more;
      }
    };
    push();
    const unwatch = watchPath(join(path, METRICS_FILE), push, pollMs);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15000);
    heartbeat.unref();
    const stop = (): void => {
      unwatch();
      clearInterval(heartbeat);
      streams.delete(stop);
      res.end();
    };
    streams.add(stop);
    req.on('close', stop);
  };

  /** JSON routes: returns the body to send with status 200 (errors are thrown as LlmkError). */
  const api = (url: URL): unknown => {
    if (url.pathname === '/api/runs') {
      const runs = listRuns(runsDir).map(({ name, updatedMs, hasMetrics, hasConfig }) => ({
        name,
        updatedMs,
        hasMetrics,
        hasConfig,
      }));
      return { runsDir, runs };
    }
    if (url.pathname === '/api/diff') {
      const a = url.searchParams.get('a') ?? '';
      const b = url.searchParams.get('b') ?? '';
      const ca = readJson(join(runPath(a), CONFIG_FILE));
      const cb = readJson(join(runPath(b), CONFIG_FILE));
      return { a, b, differences: diffConfigs(ca, cb) };
    }
    const m = /^\/api\/runs\/([^/]+)\/(metrics|config)$/.exec(url.pathname);
    if (!m) throw new LlmkError('LLMK_E_NOT_FOUND', `no route ${url.pathname}`);
    const name = decodeName(m[1]);
    const path = runPath(name);
    if (m[2] === 'config') {
      return { config: readJson(join(path, CONFIG_FILE)), env: readJson(join(path, ENV_FILE)) };
    }
    const warnings: string[] = [];
    const metricsPath = join(path, METRICS_FILE);
    const rows = existsSync(metricsPath)
      ? readMetricsFile(metricsPath, (message) => warnings.push(message))
      : [];
    for (const message of warnings) warn(name, message);
    return { rows, warnings };
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = files[url.pathname];
    if (req.method !== 'GET') {
      sendJson(res, 405, { error: 'method', message: 'only GET is served' });
    } else if (file) {
      const ext = file.split('.').pop() ?? '';
      res.writeHead(200, {
        'content-type': TYPES[ext] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      });
      res.end(readFileSync(file));
    } else {
      const m = /^\/api\/runs\/([^/]+)\/stream$/.exec(url.pathname);
      if (m) {
        const name = decodeName(m[1]);
        stream(req, res, name, runPath(name));
      } else {
        sendJson(res, 200, api(url));
      }
    }
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      sendError(res, err);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new LlmkError('LLMK_E_IO', `dashboard cannot listen: ${err.message}`, 'pick another --port')),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stop of [...streams]) stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
