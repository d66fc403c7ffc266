// One webhook delivery: POST the event as JSON, bounded attempts, each with its own deadline.
//
// Retries: at most 3 attempts (2 retries, after 0.5 s and 1.5 s) and only when the receiver could
// not take the request — connection refused/reset, DNS hiccup, HTTP 429 or 5xx. That covers a
// receiver restarting or a load balancer shuffling (a couple of seconds) without turning a dead
// endpoint into a backlog. A timeout is NOT retried: a receiver that took `timeoutSeconds` once
// is slow or dead, and may well have processed the first POST (a retry would post twice into a
// chat channel). Other 4xx and 3xx are configuration errors (a wrong URL or token; redirects are
// not followed for a POST) that a retry cannot fix. Worst case per event: timeoutSeconds + 2 s.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const MAX_ATTEMPTS = 3;
export const BACKOFF_MS = [500, 1500] as const;
/** Errors of a receiver that could not take the request right now (TLS and DNS NXDOMAIN are not retried). */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

export interface DeliveryResult {
  readonly ok: boolean;
  readonly attempts: number;
  readonly durationMs: number;
  /** HTTP status of the last answer, if there was one. */
  readonly status?: number;
  /** Why it failed, in words without the URL (see label.ts). */
  readonly error?: string;
}

interface Attempt {
  readonly status?: number;
  readonly error?: string;
  readonly retryable: boolean;
}

function attempt(
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Attempt> {
  return new Promise((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (a: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(a);
    };
    // agent: false — one connection per delivery, closed after it: no pooled socket outlives the run.
    const req = send(
      url,
      { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        res.resume(); // the answer's body is not ours to read; drain it so the socket can close
        res.on('end', () =>
          finish(
            status >= 200 && status < 300
              ? { status, retryable: false }
              : { status, error: `HTTP ${status}`, retryable: status === 429 || status >= 500 },
          ),
        );
        res.on('error', () => finish({ status, error: `HTTP ${status}, answer cut short`, retryable: false }));
      },
    );
    const timer = setTimeout(
      () => finish({ error: `no answer within ${timeoutMs / 1000}s`, retryable: false }),
      timeoutMs,
    );
    timer.unref();
    const onAbort = () => finish({ error: 'abandoned at exit', retryable: false });
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) =>
      finish({ error: e.code ?? e.name, retryable: RETRYABLE_CODES.has(e.code ?? '') }),
    );
    req.end(body);
  });
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    t.unref();
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function deliverWebhook(
  url: string,
  event: { readonly type: string },
  opts: {
    readonly timeoutMs: number;
    readonly runId: string;
    readonly userAgent: string;
    readonly signal: AbortSignal;
    readonly now: () => number;
  },
): Promise<DeliveryResult> {
  const t0 = opts.now();
  const u = new URL(url);
  const body = JSON.stringify(event);
  const headers = {
    'content-type': 'application/json',
    'user-agent': opts.userAgent,
    'x-emqx-rollout-run': opts.runId,
    'x-emqx-rollout-event': event.type,
  };
  let last: Attempt = { retryable: false };
  let n = 0;
  while (n < MAX_ATTEMPTS && !opts.signal.aborted) {
    if (n > 0) await pause(BACKOFF_MS[n - 1], opts.signal);
    if (opts.signal.aborted) break;
    n++;
    last = await attempt(u, body, headers, opts.timeoutMs, opts.signal);
    if (!last.error)
      return { ok: true, attempts: n, durationMs: opts.now() - t0, ...(last.status ? { status: last.status } : {}) };
    if (!last.retryable) break;
  }
  return {
    ok: false,
    attempts: n,
    durationMs: opts.now() - t0,
    ...(last.status ? { status: last.status } : {}),
    error: opts.signal.aborted && !last.error ? 'abandoned at exit' : (last.error ?? 'not sent'),
  };
}
