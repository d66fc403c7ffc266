// How a receiver is named in warnings and the journal. A webhook URL usually IS the credential:
// `https://user:pass@…`, `?token=…`, and chat webhooks (Slack, Teams, Discord, Mattermost) put
// their secret in the path (`/services/T…/B…/XXXX`). So a receiver is shown as its position in
// the inventory plus scheme://host[:port] only — never the userinfo, path, query or fragment.
import type { NotifyTarget } from '../inventory/types.js';

export function targetLabel(t: NotifyTarget, index: number): string {
  if (t.kind === 'webhook') {
    let origin = 'webhook';
    try {
      const u = new URL(t.url);
      origin = `${u.protocol}//${u.host}`;
    } catch {
      // validated by the inventory loader; a label must never throw
    }
    return `notify[${index}] webhook ${origin}/…`;
  }
  // The program only: arguments often carry tokens (curl -H "Authorization: …").
  const program = t.command.trim().split(/\s+/)[0] ?? '';
  return `notify[${index}] command ${program}${t.command.trim() === program ? '' : ' …'}`;
}

/** The secret parts of a webhook URL, for the redactor (registerSecret): belt and braces. */
export function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    const out = [u.href];
    if (u.password) out.push(decodeURIComponent(u.password));
    for (const [, v] of u.searchParams) if (v.length >= 6) out.push(v);
    // Token-like path segments (letters and digits mixed, or long): not "/api" or "/notifications".
    const segs = u.pathname
      .split('/')
      .filter((s) => s.length >= 24 || (s.length >= 8 && /\d/.test(s) && /[A-Za-z]/.test(s)));
    out.push(...segs);
    return out;
  } catch {
    return [url];
  }
}
