import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobKeyType,
  checkHostKey,
  fingerprint,
  hostKeyAlgorithms,
  hostMatches,
  hostToken,
  knownHostsEntryLine,
  parseKnownHosts,
} from '../../src/remote/knownHosts.js';
import { hashedKnownHostsLine } from '../support/sshd.js';

let dir: string;
let edPub: string; // "ssh-ed25519 AAAA… comment"
let edPub2: string;
let rsaPub: string;
const blob = (pub: string) => Buffer.from(pub.split(/\s+/)[1], 'base64');
const b64 = (pub: string) => pub.split(/\s+/)[1];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-kh-'));
  const gen = (name: string, type: string) => {
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', join(dir, name)]);
    return readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
  };
  edPub = gen('ed1', 'ed25519');
  edPub2 = gen('ed2', 'ed25519');
  rsaPub = gen('rsa1', 'rsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('knownHosts', () => {
  it('hostToken brackets non-22 ports', () => {
    expect(hostToken('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(hostToken('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('matches patterns with *, ?, negation and comma lists', () => {
    expect(hostMatches('node-*.example.com', 'node-1.example.com')).toBe(true);
    expect(hostMatches('node-?.example.com', 'node-12.example.com')).toBe(false);
    expect(hostMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(hostMatches('*.example.com,!bad.example.com', 'good.example.com')).toBe(true);
    expect(hostMatches('[10.0.0.1]:2222', '[10.0.0.1]:2222')).toBe(true);
    expect(hostMatches('10.0.0.1', '[10.0.0.1]:2222')).toBe(false); // port matters
    expect(hostMatches('10.0.0.1', '10.0.0.11')).toBe(false); // no prefix matching
    expect(hostMatches('Node1', 'node1')).toBe(true); // case-insensitive like OpenSSH
  });

  it('verifies hashed entries (ours and ssh-keygen -H)', () => {
    const line = hashedKnownHostsLine('10.0.0.5', 2200, edPub);
    const { entries } = parseKnownHosts(line);
    expect(checkHostKey(entries, '10.0.0.5', 2200, blob(edPub))).toBe('ok');
    expect(checkHostKey(entries, '10.0.0.5', 22, blob(edPub))).toBe('unknown');
    // OpenSSH's own hashing
    const f = join(dir, 'kh_to_hash');
    writeFileSync(f, `[10.0.0.6]:2201 ${edPub}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
    const hashed = readFileSync(f, 'utf8');
    expect(hashed.startsWith('|1|')).toBe(true);
    expect(checkHostKey(parseKnownHosts(hashed).entries, '10.0.0.6', 2201, blob(edPub))).toBe('ok');
  });

  it('judges ok / mismatch / unknown / revoked', () => {
    const text = [
      '# comment',
      '',
      `[10.0.0.1]:2222 ssh-ed25519 ${b64(edPub)}`,
      `10.0.0.2,10.0.0.3 ssh-ed25519 ${b64(edPub2)}`,
      `@revoked * ssh-ed25519 ${b64(edPub2)}`,
    ].join('\n');
    const { entries } = parseKnownHosts(text, '/k');
    expect(entries.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(checkHostKey(entries, '10.0.0.1', 2222, blob(edPub))).toBe('ok');
    expect(checkHostKey(entries, '10.0.0.1', 2222, blob(rsaPub))).toBe('mismatch');
    expect(checkHostKey(entries, '10.0.0.9', 22, blob(edPub))).toBe('unknown');
    expect(checkHostKey(entries, '10.0.0.2', 22, blob(edPub2))).toBe('revoked');
  });

  it('a host with several keys is ok with any of them', () => {
    const { entries } = parseKnownHosts(`h ${edPub}\nh ${rsaPub}\n`);
    expect(checkHostKey(entries, 'h', 22, blob(rsaPub))).toBe('ok');
    expect(checkHostKey(entries, 'h', 22, blob(edPub))).toBe('ok');
    expect(checkHostKey(entries, 'h', 22, blob(edPub2))).toBe('mismatch');
  });

  it('skips @cert-authority and malformed lines with a note', () => {
    const { entries, notes } = parseKnownHosts(
      `@cert-authority *.example.com ${edPub}\nbroken-line\nh ssh-rsa ${b64(edPub)}\n`,
      '/kh',
    );
    expect(entries).toEqual([]);
    expect(notes[0]).toMatch(/^\/kh:1: @cert-authority line skipped/);
    expect(notes[1]).toMatch(/^\/kh:2: /);
    expect(notes[2]).toMatch(/^\/kh:3: key does not decode as ssh-rsa/);
  });

  it('fingerprint matches ssh-keygen -lf', () => {
    const out = execFileSync('ssh-keygen', ['-lf', join(dir, 'rsa1.pub')], { encoding: 'utf8' });
    expect(out).toContain(` ${fingerprint(blob(rsaPub))} `);
    expect(fingerprint(blob(rsaPub))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('puts the known key types first in the host-key algorithm list (RSA → rsa-sha2-*)', () => {
    const { entries } = parseKnownHosts(`[h]:2222 ${rsaPub}\n`);
    const algos = hostKeyAlgorithms(entries, 'h', 2222);
    expect(algos.slice(0, 2)).toEqual(['rsa-sha2-512', 'rsa-sha2-256']);
    expect(algos).toContain('ssh-ed25519');
    expect(algos).not.toContain('ssh-rsa'); // SHA-1 signatures stay off
    expect(hostKeyAlgorithms([], 'h', 22)[0]).toBe('ssh-ed25519');
  });

  it('builds the line to add', () => {
    expect(blobKeyType(blob(edPub))).toBe('ssh-ed25519');
    expect(knownHostsEntryLine('10.0.0.12', 2222, blob(edPub))).toBe(`[10.0.0.12]:2222 ssh-ed25519 ${b64(edPub)}`);
    expect(knownHostsEntryLine('10.0.0.12', 22, blob(edPub))).toBe(`10.0.0.12 ssh-ed25519 ${b64(edPub)}`);
  });
});
