// become: the command sudo runs, the password path (stdin, never argv), and the refusals we recognise.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BecomeHost, becomeCommand, stageModesCommand, withBecome } from '../../src/remote/become.js';
import type { ExecOptions, ExecResult, RemoteHost } from '../../src/remote/types.js';
import { CHECK_USER_REFUSAL, detectPrivilegeProblem } from '../../src/emqx/parse/privilege.js';

describe('becomeCommand', () => {
  it('is `sudo -n -u <user> sh -c <quoted>` without a password', () => {
    expect(becomeCommand(`'/usr/lib/emqx/bin/emqx' ctl status`, 'root')).toBe(
      `sudo -n -u root sh -c ''\\''/usr/lib/emqx/bin/emqx'\\'' ctl status'`,
    );
  });
  it('reads the password from stdin with no prompt, and gives the command /dev/null', () => {
    expect(becomeCommand('id -un', 'emqx', true)).toBe(`sudo -S -p '' -u emqx sh -c 'exec </dev/null\nid -un'`);
  });

  // A stand-in sudo that checks its options, reads the password line like `sudo -S`, and runs the rest.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'become-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  writeFileSync(
    path.join(tmp, 'sudo'),
    [
      '#!/bin/sh',
      'if [ "$1" = -S ]; then read -r pw; [ "$pw" = s3cret ] || { echo "sudo: 1 incorrect password attempt" >&2; exit 1; }; shift 3; else shift; fi',
      '[ "$1" = -u ] || exit 99; shift 2; exec "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(path.join(tmp, 'sudo'), 0o755);
  const env = { ...process.env, PATH: `${tmp}:${process.env.PATH}` };
  const run = (c: string, input?: string) =>
    execFileSync('sh', ['-c', c], { env, encoding: 'utf8', input: input ?? '' });

  it('keeps the inner command one word through both shells', () => {
    const inner = `printf '%s|' "a b" 'it'\\''s' '$(touch /nonexistent/x)'`;
    expect(run(becomeCommand(inner, 'root'))).toBe(`a b|it's|$(touch /nonexistent/x)|`);
    expect(run(becomeCommand(inner, 'root', true), 's3cret\nleftover\n')).toBe(`a b|it's|$(touch /nonexistent/x)|`);
  });
  it('the inner command cannot read what follows the password', () => {
    expect(run(becomeCommand('cat', 'root', true), 's3cret\nleftover\n')).toBe('');
  });
});

describe('BecomeHost', () => {
  const calls: Array<{ command: string; opts?: ExecOptions }> = [];
  const inner: RemoteHost = {
    node: 'n1',
    exec: async (command, opts) => {
      calls.push({ command, ...(opts ? { opts } : {}) });
      return {
        node: 'n1',
        command,
        exitCode: 0,
        signal: null,
        stdout: '',
        stderr: '',
        durationMs: 1,
        timedOut: false,
        aborted: false,
      } satisfies ExecResult;
    },
    stage: async () => ({ remotePath: '/x', action: 'present', bytesSent: 0, durationMs: 0 }),
    close: async () => undefined,
    openTcp: async () => {
      throw new Error('not used');
    },
  };

  it('wraps exec, passes the password only on stdin, leaves execAsLogin alone', async () => {
    const h = withBecome(inner, { become: 'sudo', becomeUser: 'root' }, 's3cret') as unknown as BecomeHost;
    await h.exec('id', { timeoutMs: 5 });
    await h.execAsLogin('id');
    expect(calls[0].command).toBe(`sudo -S -p '' -u root sh -c 'exec </dev/null\nid'`);
    expect(calls[0].command).not.toContain('s3cret');
    expect(calls[0].opts).toEqual({ timeoutMs: 5, stdin: 's3cret\n' });
    expect(calls[1].command).toBe('id');
    expect(withBecome(inner, {})).toBe(inner);
    await new BecomeHost(inner, 'emqx').exec('id');
    expect(calls[2]).toEqual({ command: `sudo -n -u emqx sh -c 'id'`, opts: {} });
  });

  it('stageModesCommand makes the file and its directory readable for the service user', () => {
    expect(stageModesCommand('/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz')).toBe(
      `chmod 0644 -- '/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz' && chmod a+rx -- '/opt/upgrade'`,
    );
  });
});

describe('detectPrivilegeProblem', () => {
  it.each([
    ['', 'sudo: a password is required\n', 1, 'password-required'],
    [
      '',
      'sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\n',
      1,
      'password-required',
    ],
    ['', 'sudo: 1 incorrect password attempt\n', 1, 'password-wrong'],
    ['', "Sorry, user ops is not allowed to execute '/bin/sh -c true' as emqx on n1.\n", 1, 'not-allowed'],
    ['', 'ops is not in the sudoers file.  This incident will be reported.\n', 1, 'not-allowed'],
    ['', 'sudo: unknown user emqx2\n', 1, 'unknown-user'],
    ['', 'sh: 1: sudo: not found\n', 127, 'sudo-missing'],
    [`${CHECK_USER_REFUSAL}\n`, '', 1, 'check-user-refused'],
  ])('%j %j exit %s → %s', (out, err, rc, kind) => {
    expect(detectPrivilegeProblem(out, err, rc)?.kind).toBe(kind);
  });
  it.each([
    [`${CHECK_USER_REFUSAL}\n`, '', 0],
    ['Node emqx@127.0.0.1 5.10.4 is started\n', '', 0],
    ['', "Node 'emqx@127.0.0.1' not responding to pings.\n", 1],
    ['', 'sudo: a password is required\n', 0],
  ])('not a refusal: %j %j exit %s', (out, err, rc) => expect(detectPrivilegeProblem(out, err, rc)).toBeNull());
});
