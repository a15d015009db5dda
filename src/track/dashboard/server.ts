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
 *
 * Hardening (each rule has a test in server.test.ts): no request can end the process (every error is
 * answered, or ends only its own response once streaming); malformed headers and parameters get a
 * 400; files are read only inside the runs folder and never quoted in errors (files.ts); on loopback
 * the Host header must name this server (DNS rebinding); every response carries a strict CSP and
 * nosniff (guard.ts); at most `maxStreams` live streams, then 503.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmkError } from '../../errors.js';
import { jsonSyntaxProblem } from '../../formats/json.js';
import type { MetricsRow } from '../metrics.js';
import { CONFIG_FILE, diffConfigs, ENV_FILE, listRuns, METRICS_FILE } from '../run.js';
import { RunFileError, RunFiles } from './files.js';
import {
  allowedHosts,
  checkUrlRunName,
  decodeSegment,
  hostAllowed,
  parseLastEventId,
  SECURITY_HEADERS,
} from './guard.js';
import { MetricsTail, WatchHub } from './tail.js';

/**
 * Live streams at once. Each costs a socket and a tail (one watcher per run is shared); a thousand
 * were measured to hold fine, past that a client gets 503 and EventSource retries.
 */
export const DEFAULT_MAX_STREAMS = 1000;

export interface DashboardOptions {
  runsDir: string;
  /** Interface to bind; loopback by default because the page shows configs and paths. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Called once per distinct skipped line (default: stderr). */
  onWarning?: (run: string, message: string) => void;
  /** Called with an unexpected (non-LlmkError) failure of a request (default: stderr). */
  onError?: (err: unknown) => void;
  /** Polling period behind fs.watch, in ms. */
  pollMs?: number;
  /** Concurrent SSE streams before new ones get 503 (default DEFAULT_MAX_STREAMS). */
  maxStreams?: number;
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

/** Distinct warnings remembered for de-duplication; a log of a million different bad lines must not grow this forever. */
const MAX_REMEMBERED_WARNINGS = 10_000;

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function statusOf(err: LlmkError): number {
  if (err instanceof RunFileError) return err.status;
  if (err.code === 'LLMK_E_NOT_FOUND') return 404;
  if (err.code === 'LLMK_E_ARG') return 400;
  return 500;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const runsDir = options.runsDir;
  listRuns(runsDir); // fails early, with a hint, on a missing folder
  const pollMs = options.pollMs ?? 500;
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  if (!Number.isInteger(maxStreams) || maxStreams < 0) {
    throw new LlmkError('LLMK_E_ARG', `maxStreams ${maxStreams} is not a non-negative integer`);
  }
  const runFiles = new RunFiles(runsDir);
  const hub = new WatchHub(pollMs);
  const warned = new Set<string>();
  const warn = (run: string, message: string): void => {
    const key = `${run}\0${message}`;
    if (warned.has(key)) return;
    if (warned.size >= MAX_REMEMBERED_WARNINGS) warned.clear();
    warned.add(key);
    (options.onWarning ?? ((r, m) => process.stderr.write(`warning run ${r}: ${m}\n`)))(run, message);
  };
  const onError =
    options.onError ??
    ((err: unknown) =>
      process.stderr.write(`llmk dashboard: request failed: ${(err as Error)?.stack ?? err}\n`));
  const dir = staticDir();
  const files: Record<string, string> = {
    '/': join(dir, 'index.html'),
    '/static/app.js': join(dir, 'app.js'),
    '/static/style.css': join(dir, 'style.css'),
    '/static/uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
    '/static/uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
  };
  const streams = new Set<() => void>();
  let hosts: Set<string> | null = null; // set once listening

  /** A listed run's directory; the URL name is only ever compared with the listing. */
  const runPath = (name: string): string => {
    checkUrlRunName(name);
    const runs = listRuns(runsDir);
    const found = runs.find((r) => r.name === name);
    if (!found) {
      const names = runs.map((r) => r.name);
      throw new LlmkError(
        'LLMK_E_NOT_FOUND',
        `no run ${JSON.stringify(name.slice(0, 80))} in ${runsDir}`,
        names.length ? `known runs: ${names.slice(0, 20).join(', ')}` : 'the folder holds no runs yet',
      );
    }
    return found.path;
  };

  const readJson = (path: string): unknown => {
    const text = runFiles.readText(path);
    if (text === null) return null;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${path} is not valid JSON (${jsonSyntaxProblem(err)})`,
        'fix or re-save the file',
      );
    }
  };

  const newTail = (path: string, offset = 0, line = 0): MetricsTail =>
    new MetricsTail(join(path, METRICS_FILE), offset, line, { open: (p) => runFiles.open(p) });

  const stream = (req: IncomingMessage, res: ServerResponse, name: string, path: string): void => {
    // Everything that can refuse the request runs before the 200 is written.
    const { offset, line } = parseLastEventId(req.headers['last-event-id']);
    if (streams.size >= maxStreams) {
      sendJson(
        res,
        503,
        { error: 'busy', message: `${maxStreams} live streams are open, the limit` },
        { 'retry-after': '5' },
      );
      return;
    }
    const tail = newTail(path, offset, line);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n\n');
    let stopped = false;
    const push = (): void => {
      if (stopped) return;
      try {
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
      } catch (err) {
        // Runs from a timer too, where a throw would end the process: end this stream only.
        onError(err);
        stop();
      }
    };
    const unwatch = hub.subscribe(join(path, METRICS_FILE), push);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15000);
    heartbeat.unref();
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      unwatch();
      clearInterval(heartbeat);
      streams.delete(stop);
      res.end();
    };
    streams.add(stop);
    req.on('close', stop);
    res.on('error', stop);
    push();
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
    if (!m) throw new LlmkError('LLMK_E_NOT_FOUND', 'no such route');
    const name = decodeSegment(m[1]);
    const path = runPath(name);
    if (m[2] === 'config') {
      return { config: readJson(join(path, CONFIG_FILE)), env: readJson(join(path, ENV_FILE)) };
    }
    // The same reader as the stream, so both refuse the same files and word warnings alike.
    const tail = newTail(path);
    const rows: MetricsRow[] = [];
    const warnings: string[] = [];
    for (let more = true; more; ) {
      const chunk = tail.read();
      rows.push(...chunk.rows);
      warnings.push(...chunk.warnings);
      more = chunk.more;
    }
    for (const message of warnings) warn(name, message);
    return { rows, warnings };
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!hostAllowed(req.headers.host, hosts)) {
      sendJson(res, 421, {
        error: 'host',
        message: 'the Host header does not name this dashboard',
        hint: 'open the URL the dashboard printed (localhost or 127.0.0.1)',
      });
      return;
    }
    if (req.method !== 'GET') {
      sendJson(res, 405, { error: 'method', message: 'only GET is served' }, { allow: 'GET' });
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    } catch {
      throw new LlmkError('LLMK_E_ARG', 'the request target is not a URL path');
    }
    const file = files[url.pathname];
    if (file) {
      const ext = file.split('.').pop() ?? '';
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': TYPES[ext] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      });
      res.end(readFileSync(file));
      return;
    }
    const m = /^\/api\/runs\/([^/]+)\/stream$/.exec(url.pathname);
    if (m) {
      const name = decodeSegment(m[1]);
      stream(req, res, name, runPath(name));
    } else {
      sendJson(res, 200, api(url));
    }
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      if (!(err instanceof LlmkError)) onError(err);
      if (res.headersSent) {
        // The status line is gone (a stream had started): end this response only.
        res.destroy();
      } else if (err instanceof LlmkError) {
        sendJson(res, statusOf(err), { error: err.code, message: err.message, hint: err.hint });
      } else {
        // No detail: an unexpected error's message may hold a path or file content.
        sendJson(res, 500, { error: 'internal', message: "internal error; see the dashboard's terminal" });
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new LlmkError('LLMK_E_IO', `dashboard cannot listen: ${err.message}`, 'pick another --port')),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  hosts = allowedHosts(address.address, address.port);
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
