// The CLI ⇄ node-daemon protocol: one JSON request and one JSON reply per unix-socket connection
// (newline-terminated). Kept dependency-free: every `bin/emqx` call loads this module.
import { connect } from 'node:net';

export type RpcRequest =
  | { readonly op: 'ping' }
  | { readonly op: 'stop' }
  | { readonly op: 'ctl'; readonly args: readonly string[]; readonly raw?: boolean }
  | { readonly op: 'eval'; readonly expr: string };

export type RpcReply =
  | { readonly down: true }
  | {
      readonly down?: false;
      readonly pid: number;
      readonly name: string;
      readonly out: string;
      readonly err: string;
      readonly code: number;
    };

/** Resolves null when nothing answers (no socket, refused, closed early, or timed out). */
export function rpcCall(socket: string, req: RpcRequest, timeoutMs?: number): Promise<RpcReply | null> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const finish = (v: RpcReply | null): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const s = connect(socket);
    const timer = timeoutMs ? setTimeout(() => finish(null), timeoutMs) : undefined;
    s.setEncoding('utf8');
    s.on('connect', () => s.write(`${JSON.stringify(req)}\n`));
    s.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        try {
          finish(JSON.parse(buf.slice(0, nl)) as RpcReply);
        } catch {
          finish(null);
        }
      }
    });
    s.on('error', () => finish(null));
    s.on('close', () => finish(null));
  });
}
