// A forwarded TCP channel (SSH `direct-tcpip`, what `ssh -L` and ProxyJump use) over a node's own
// connection: a byte stream to `<host>:<port>` as the node sees it. The MQTT gate reaches the
// node's listener this way, so no port beyond SSH has to be open between the bastion and the node.
import type { Duplex } from 'node:stream';
import type { Client as ClientT, ClientChannel } from 'ssh2';
import { RolloutError } from '../util/errors.js';

export interface TunnelOptions {
  /** Give up on a channel the server neither opens nor refuses within this time. Default 10 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_TUNNEL_TIMEOUT_MS = 10_000;

/** Open `host:port` from the node's side. The channel is a Duplex; end or destroy it to close it. */
export function openTunnel(
  client: ClientT,
  node: string,
  host: string,
  port: number,
  opts: TunnelOptions = {},
): Promise<Duplex> {
  const where = `${host}:${port}`;
  const ms = opts.timeoutMs ?? DEFAULT_TUNNEL_TIMEOUT_MS;
  return new Promise<Duplex>((resolve, reject) => {
    let done = false;
    const finish = (err: RolloutError | null, ch?: ClientChannel): void => {
      if (done) {
        ch?.destroy(); // opened after we gave up: close it, nobody will read it
        return;
      }
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(ch!);
    };
    const timer = setTimeout(
      () =>
        finish(new RolloutError('remote', `${node}: timed out after ${ms} ms opening a forwarded channel to ${where}`)),
      ms,
    );
    const onAbort = (): void =>
      finish(new RolloutError('interrupted', `${node}: opening a channel to ${where} was cancelled`));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
        if (!err) return finish(null, ch);
        const reason = (err as Error & { reason?: number }).reason;
        finish(
          new RolloutError('remote', `${node}: sshd refused a forwarded channel to ${where}: ${err.message}`, {
            details:
              reason === 1
                ? ['reason 1: administratively prohibited']
                : reason === 2
                  ? ['reason 2: connect failed']
                  : [],
            hint:
              reason === 1
                ? `the node's sshd_config needs AllowTcpForwarding yes (or local) for the user of this connection`
                : `check that something listens on ${where} as seen from the node`,
            cause: err,
          }),
        );
      });
    } catch (e) {
      // ssh2 throws synchronously when the connection is no longer usable
      const msg = `${node}: cannot open a channel to ${where}: ${(e as Error).message}`;
      finish(new RolloutError('remote', msg, { cause: e }));
    }
  });
}
