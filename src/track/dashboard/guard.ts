/**
 * What the dashboard checks on every request before doing anything: the Host header (DNS
 * rebinding), the Last-Event-ID header, run names from the URL, and the headers every response
 * carries. Pure functions, so each rule is tested without a socket.
 */
import { isIP } from 'node:net';
import { LlmkError } from '../../errors.js';

/**
 * Sent with every response. The page loads only its own scripts, styles and data (uPlot is served
 * from /static too), so everything else is refused; `nosniff` stops a browser from running a JSON
 * or text response as script.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback: the addresses only this machine reaches. */
export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/**
 * Host names a browser on this machine uses for a server bound to loopback `address`:`port`.
 * DNS rebinding (a page on evil.example re-pointing its name at 127.0.0.1) arrives with
 * `Host: evil.example:port`, so anything else is refused; null means "do not check" (bound to a
 * routable or wildcard address, whose names we cannot know).
 */
export function allowedHosts(address: string, port: number): Set<string> | null {
  if (!isLoopback(address)) return null;
  const names = ['localhost', '127.0.0.1', '[::1]', address.includes(':') ? `[${address}]` : address];
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${port}`);
    // A browser omits the default port.
    if (port === 80) hosts.add(name);
  }
  return hosts;
}

/** Whether a request's Host header names this server (always true when `allowed` is null). */
export function hostAllowed(host: string | undefined, allowed: Set<string> | null): boolean {
  if (allowed === null) return true;
  return host !== undefined && allowed.has(host.toLowerCase());
}

/**
 * Last-Event-ID as the stream sends it, `<byte offset>:<line>`; absent means "from the start".
 * Anything else is the client's mistake (EventSource only echoes what we sent): LLMK_E_ARG, a 400
 * sent before the stream starts.
 */
export function parseLastEventId(header: string | string[] | undefined): { offset: number; line: number } {
  if (header === undefined || header === '') return { offset: 0, line: 0 };
  const m = typeof header === 'string' ? /^(\d{1,15}):(\d{1,15})$/.exec(header) : null;
  if (!m) {
    throw new LlmkError(
      'LLMK_E_ARG',
      'Last-Event-ID is not "<byte offset>:<line>"',
      'reconnect without the header to stream from the start',
    );
  }
  return { offset: Number(m[1]), line: Number(m[2]) };
}

/**
 * Run names come from directory listings, not from a naming rule: whatever directory holds a
 * metrics.jsonl or config.json is listed, and what is listed can be opened (a name with a space
 * included). A URL segment is only ever matched against that listing; these checks just give a
 * clear 400 for what can never be a directory entry.
 */
export function checkUrlRunName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name) || name.length > 255) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `run name ${JSON.stringify(name.slice(0, 80))} is not a directory name`,
      'pick a run from /api/runs',
    );
  }
}

/** Percent-decodes a URL path segment; malformed encoding is LLMK_E_ARG (400). */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new LlmkError(
      'LLMK_E_ARG',
      'run name in URL is not valid percent-encoding',
      'encode it with encodeURIComponent',
    );
  }
}
