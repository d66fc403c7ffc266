// Loopback HTTP receivers for notification tests: one that records what it is sent, one that
// answers with a scripted status sequence, one that accepts the connection and never answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
  readonly at: number;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Requests that arrived (also those never answered). */
  readonly hits: () => number;
  close(): Promise<void>;
}

/**
 * `statuses`: the status of the 1st, 2nd, … request (the last one repeats); 'hang' never answers.
 */
export async function startReceiver(statuses: ReadonlyArray<number | 'hang'> = [200]): Promise<Receiver> {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  let n = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const status = statuses[Math.min(n, statuses.length - 1)];
    n++;
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      if (status === 'hang') return; // keep the socket open, say nothing
      if (status >= 200 && status < 300)
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text), at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    hits: () => n,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port with nothing listening (bound, then closed): connections are refused. */
export async function refusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/hook`;
}
