// ProxyJump specs, OpenSSH style: `[user@]host[:port]`, IPv6 as `[addr]:port`, a chain as a comma
// list (outermost first, as `ssh -J a,b` reads it). Pure string parsing; positions are the caller's.
import type { JumpHost } from './types.js';

export type JumpParse = { ok: true; hops: JumpHost[] } | { ok: false; message: string };
/** One hop with the port as written (undefined when the spec names none). */
export type RawHopParse =
  | { ok: true; hop: { user: string | undefined; host: string; port: number | undefined } }
  | { ok: false; message: string };

const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const HOST = /^[A-Za-z0-9._-]+$/;

export function parseJumpHop(spec: string): JumpParse {
  const r = parseJumpHopRaw(spec);
  return r.ok ? { ok: true, hops: [{ ...r.hop, port: r.hop.port ?? 22 }] } : r;
}

/** `[user@]host[:port]`, and for ssh_config's ProxyJump also `ssh://[user@]host[:port]`. */
export function parseJumpHopRaw(spec: string, allowUri = false): RawHopParse {
  let s = spec.trim();
  if (allowUri && /^ssh:\/\//.test(s)) s = s.slice('ssh://'.length).replace(/\/$/, '');
  const expected = 'expected [user@]host[:port]';
  if (s === '') return { ok: false, message: `${expected}, found an empty hop` };
  if (/^ssh:\/\//.test(s)) return { ok: false, message: `${expected} without "ssh://", found "${s}"` };
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : undefined;
  const rest = at >= 0 ? s.slice(at + 1) : s;
  if (user !== undefined && !USER.test(user))
    return { ok: false, message: `${expected}, found "${s}" (bad user "${user}")` };
  let host: string;
  let portText: string | undefined;
  const v6 = rest.match(/^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) return { ok: false, message: `${expected} (IPv6 in brackets: [::1]:22), found "${s}"` };
    host = parts[0];
    portText = parts[1];
  }
  if (!v6 && !HOST.test(host)) return { ok: false, message: `${expected}, found "${s}" (bad host "${host}")` };
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
      return { ok: false, message: `${expected} with a port 1–65535, found "${s}"` };
    port = Number(portText);
  }
  return { ok: true, hop: { user, host, port } };
}

/** A whole chain: `a,b` or a single hop. */
export function parseJumpChain(spec: string): JumpParse {
  const hops: JumpHost[] = [];
  for (const part of spec.split(',')) {
    const r = parseJumpHop(part);
    if (!r.ok) return r;
    hops.push(...r.hops);
  }
  return { ok: true, hops };
}
