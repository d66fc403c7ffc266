import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNode } from '../../src/remote/connect.js';
import { fingerprint } from '../../src/remote/knownHosts.js';
import { SshRemoteHost } from '../../src/remote/host.js';
import { RolloutError } from '../../src/util/errors.js';
import { haveSshd, hashedKnownHostsLine, knownHostsLine, makeClientKey, type SshdInstance } from '../support/sshd.js';
import { makeFixture, type Fixture } from './fixture.js';

async function refusal(p: Promise<unknown>): Promise<RolloutError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RolloutError);
  return e as RolloutError;
}

function blobOf(pubLine: string): Buffer {
  return Buffer.from(pubLine.split(/\s+/)[1], 'base64');
}

describe.skipIf(!haveSshd())('connectNode against real OpenSSH sshd', () => {
  let fx: Fixture;
  let a: SshdInstance;
  let b: SshdInstance;
  let c: SshdInstance;
  let rsaOnly: SshdInstance;
  beforeAll(async () => {
    fx = await makeFixture();
    [a, b, c, rsaOnly] = await Promise.all([fx.start(), fx.start(), fx.start(), fx.start({ hostKeyType: 'rsa' })]);
    fx.knownHosts();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('connects when the host key is in known_hosts and runs a command', async () => {
    const conn = await connectNode(fx.spec(a));
    try {
      expect(conn.target).toBe(`${a.host}:${a.port}`);
      expect(conn.closed).toBe(false);
    } finally {
      await conn.close();
    }
    expect(conn.closed).toBe(true);
  });

  it('refuses an unknown host, naming node, host:port, key type, fingerprint, file and the line to add', async () => {
    const kh = fx.knownHosts([knownHostsLine(b.host, b.port, b.hostPublicKey)], 'kh-unknown');
    const e = await refusal(connectNode(fx.spec(a, { knownHosts: kh })));
    const fp = fingerprint(blobOf(a.hostPublicKey));
    // ssh-keygen agrees with our fingerprint
    const sshKeygen = execFileSync('ssh-keygen', ['-lf', join(a.dir, 'host_ed25519.pub')], { encoding: 'utf8' });
    expect(sshKeygen).toContain(fp);
    expect(e.kind).toBe('remote');
    expect(e.message).toBe(`emqx@${a.host}: host key of ${a.host}:${a.port} is not in ${kh}; refusing to connect`);
    expect(e.details).toContain(`offered host key: ssh-ed25519 ${fp}`);
    expect(e.details).toContain(`known_hosts file: ${kh}`);
    expect(e.details).toContain(`  ${knownHostsLine(a.host, a.port, a.hostPublicKey)}`);
    expect(e.long()).toMatch(/verifying the fingerprint out of band/);
  });

  it('refuses a mismatched key and shows both fingerprints', async () => {
    // known_hosts claims A's address has B's key
    const kh = fx.knownHosts([knownHostsLine(a.host, a.port, b.hostPublicKey)], 'kh-mismatch');
    const e = await refusal(connectNode(fx.spec(a, { knownHosts: kh })));
    expect(e.message).toContain('HOST KEY MISMATCH');
    expect(e.message).toContain(`${a.host}:${a.port}`);
    expect(e.details).toContain(`offered host key: ssh-ed25519 ${fingerprint(blobOf(a.hostPublicKey))}`);
    expect(e.details).toContain(`known key (${kh}:1): ssh-ed25519 ${fingerprint(blobOf(b.hostPublicKey))}`);
    expect(e.details).toContain(`  ${knownHostsLine(a.host, a.port, a.hostPublicKey)}`);
  });

  it('refuses a @revoked key even when another line accepts it', async () => {
    const [type, b64] = a.hostPublicKey.split(/\s+/);
    const kh = fx.knownHosts(
      [knownHostsLine(a.host, a.port, a.hostPublicKey), `@revoked * ${type} ${b64}`],
      'kh-revoked',
    );
    const e = await refusal(connectNode(fx.spec(a, { knownHosts: kh })));
    expect(e.message).toContain('@revoked');
  });

  it('accepts a hashed known_hosts entry', async () => {
    const kh = fx.knownHosts([hashedKnownHostsLine(a.host, a.port, a.hostPublicKey)], 'kh-hashed');
    const conn = await connectNode(fx.spec(a, { knownHosts: kh }));
    await conn.close();
  });

  it('pins host-key algorithms to the known type (host known only by its RSA key)', async () => {
    const conn = await connectNode(fx.spec(rsaOnly));
    await conn.close();
  });

  it('connection refused names node and host:port', async () => {
    const srv: Server = createServer();
    await new Promise<void>((r) => srv.listen(0, a.host, r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const e = await refusal(connectNode(fx.spec(a, { port })));
    expect(e.message).toBe(`emqx@${a.host}: connection refused by ${a.host}:${port}`);
  });

  it('a server that never sends a banner times out after readyTimeout', async () => {
    const sockets: import('node:net').Socket[] = [];
    const srv = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => srv.listen(0, a.host, r));
    const port = (srv.address() as { port: number }).port;
    const t0 = Date.now();
    const e = await refusal(connectNode(fx.spec(a, { port }), { readyTimeoutMs: 600 }));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(e.message).toMatch(new RegExp(`^emqx@${a.host}: timed out connecting to ${a.host}:${port}`));
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((r) => srv.close(() => r()));
  });

  it('authentication failure names user, node, host:port and what was tried', async () => {
    const other = await makeClientKey(fx.dir, { name: 'not_authorized' });
    const e = await refusal(connectNode(fx.spec(a, { identityFile: other.privatePath })));
    expect(e.message).toBe(`emqx@${a.host}: authentication failed for user ${fx.user} at ${a.host}:${a.port}`);
    expect(e.details).toContain(`tried: key ${other.privatePath}`);
  });

  it('encrypted key: missing passphrase, wrong passphrase (never printed), right passphrase', async () => {
    const secret = 'correct horse battery';
    const enc = await makeClientKey(fx.dir, { name: 'enc_key', passphrase: secret });
    const s = await fx.start({ authorizedKeys: `${enc.publicKey}\n` });
    fx.knownHosts();
    const spec = fx.spec(s, { identityFile: enc.privatePath });
    const missing = await refusal(connectNode(spec));
    expect(missing.message).toBe(
      `${spec.name}: encrypted key needs a passphrase: set EMQX_ROLLOUT_KEY_PASSPHRASE or run on a TTY`,
    );
    const wrongPass = 'hunter2-wrong';
    const wrong = await refusal(connectNode(spec, { passphrase: wrongPass }));
    expect(wrong.message).toBe(`${spec.name}: wrong passphrase for identityFile ${enc.privatePath}`);
    expect(wrong.long()).not.toContain(wrongPass);
    expect(JSON.stringify({ m: wrong.message, d: wrong.details, h: wrong.hint })).not.toContain(wrongPass);
    const conn = await connectNode(spec, { passphrase: secret });
    await conn.close();
  });

  it('PKCS#8 keys get a clear "convert it" message', async () => {
    const pk = join(fx.dir, 'pkcs8_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-m', 'PKCS8', '-N', '', '-f', pk]);
    expect(readFileSync(pk, 'utf8')).toContain('BEGIN PRIVATE KEY');
    const e = await refusal(connectNode(fx.spec(a, { identityFile: pk })));
    expect(e.message).toContain('PKCS#8');
    expect(e.hint).toContain('ssh-keygen -p');
  });

  it('authenticates through ssh-agent (key first, then agent)', async () => {
    const agentKey = await makeClientKey(fx.dir, { name: 'agent_key' });
    const s = await fx.start({ authorizedKeys: `${agentKey.publicKey}\n` });
    fx.knownHosts();
    const sock = join(fx.dir, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      execFileSync('ssh-add', ['-q', agentKey.privatePath], {
        env: { ...process.env, SSH_AUTH_SOCK: sock },
        stdio: 'ignore',
      });
      // agent only
      const c1 = await connectNode(fx.spec(s, { identityFile: undefined }), { agentSocket: sock });
      await c1.close();
      // a wrong file key first, then the agent: the authHandler falls through to the agent
      const c2 = await connectNode(fx.spec(s), { agentSocket: sock });
      await c2.close();
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('no identityFile and no agent is a clear error before any connection', async () => {
    const e = await refusal(connectNode(fx.spec(a, { identityFile: undefined })));
    expect(e.message).toContain('no identityFile and no ssh-agent');
  });

  it('jump chain A → B: the command runs on B, tunnelled through A', async () => {
    // A logs at DEBUG so its direct-tcpip request (what ProxyJump uses) is visible.
    const bastion = await fx.start({ extraConfig: ['LogLevel DEBUG1'] });
    fx.knownHosts();
    const h = new SshRemoteHost(fx.spec(b, { jump: [{ host: bastion.host, port: bastion.port, user: undefined }] }));
    try {
      const r = await h.exec('echo "$SSH_CONNECTION"');
      const [, , dstIp, dstPort] = r.stdout.trim().split(' ');
      expect(dstIp).toBe(b.host);
      expect(dstPort).toBe(String(b.port));
      expect(bastion.log()).toContain(
        `server_request_direct_tcpip: originator 127.0.0.1 port 0, target ${b.host} port ${b.port}`,
      );
    } finally {
      await h.close();
    }
  });

  it('jump chain A → B → C, each hop verifying its own key', async () => {
    const spec = fx.spec(c, {
      jump: [
        { host: a.host, port: a.port, user: undefined },
        { host: b.host, port: b.port, user: fx.user },
      ],
    });
    const h = new SshRemoteHost(spec);
    try {
      const r = await h.exec('echo "$SSH_CONNECTION"');
      expect(r.stdout.trim().split(' ')[2]).toBe(c.host);
    } finally {
      await h.close();
    }
    // hop B unknown → refusal names the hop
    const kh = fx.knownHosts(
      [a, c].map((s) => knownHostsLine(s.host, s.port, s.hostPublicKey)),
      'kh-no-b',
    );
    const e = await refusal(connectNode({ ...spec, knownHosts: kh }));
    expect(e.message).toContain(`${spec.name} via jump 2/2 (${fx.user}@${b.host}:${b.port})`);
    expect(e.message).toContain(`host key of ${b.host}:${b.port} is not in ${kh}`);
  });

  it('a jump host with AllowTcpForwarding no gives a clear error', async () => {
    const noFwd = await fx.start({ extraConfig: ['AllowTcpForwarding no'] });
    fx.knownHosts();
    const spec = fx.spec(b, { jump: [{ host: noFwd.host, port: noFwd.port, user: undefined }] });
    const e = await refusal(connectNode(spec));
    expect(e.message).toContain('refused to open a tunnel');
    expect(e.hint).toContain('AllowTcpForwarding');
  });
});
