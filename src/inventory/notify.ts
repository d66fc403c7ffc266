// `notify:` — a list of receivers: `{webhook: URL}` (the event JSON POSTed) or `{command: "…"}` (the
// event JSON on the command's stdin), each with optional `events:` and `timeoutSeconds`.
// Pure: problems are positioned like every other inventory problem; nothing is contacted here.
import { EVENT_TYPES } from '../notify/eventNames.js';
import { NOTIFY_DEFAULTS, NOTIFY_KEYS } from './fields.js';
import { Problems, checkKeys, readMap, readNumber, readString } from './read.js';
import { closest } from './suggest.js';
import { childPath, describe, get, type RNode } from './tree.js';
import type { NotifyTarget } from './types.js';

/** A webhook URL as shown to people: scheme, host and port only (see notify/label.ts for why). */
function shownUrl(u: URL): string {
  return `${u.protocol}//${u.host}/…`;
}

function readWebhook(n: RNode, ps: Problems): string | undefined {
  const s = readString(n, ps, 'an http:// or https:// URL');
  if (s === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(s.trim());
  } catch {
    // Never echo the text: a webhook URL usually carries its token.
    ps.on(n, 'expected an http:// or https:// URL, found text that is not a URL');
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    ps.on(
      n,
      `expected an http:// or https:// URL, found a ${u.protocol.replace(/:$/, '')}: URL; only http and https are supported`,
    );
    return undefined;
  }
  if (u.hostname === '') {
    ps.on(n, `expected a URL with a host name, found ${shownUrl(u)}`);
    return undefined;
  }
  return u.href;
}

function readEvents(n: RNode, ps: Problems): string[] | undefined {
  if (n.kind !== 'seq' || n.items.length === 0) {
    ps.on(n, `expected a non-empty list of event types such as [rollout.started, rollout.done], found ${describe(n)}`);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  for (const it of n.items) {
    const s = readString(it, ps, 'an event type');
    if (s === undefined) {
      ok = false;
      continue;
    }
    if (!(EVENT_TYPES as readonly string[]).includes(s)) {
      const guess = closest(s, EVENT_TYPES);
      ps.on(
        it,
        `unknown event type ${JSON.stringify(s)}${guess ? `; did you mean \`${guess}\`?` : `; expected one of ${EVENT_TYPES.join(', ')}`}`,
      );
      ok = false;
      continue;
    }
    if (out.includes(s)) {
      ps.on(it, `event type "${s}" is listed twice`);
      ok = false;
      continue;
    }
    out.push(s);
  }
  return ok ? out : undefined;
}

export function readNotify(n: RNode, ps: Problems): NotifyTarget[] | undefined {
  if (n.kind === 'scalar' && n.value === null) return [];
  if (n.kind !== 'seq') {
    ps.on(n, `expected a list of receivers such as [{webhook: "https://…"}, {command: "…"}], found ${describe(n)}`);
    return undefined;
  }
  const out: NotifyTarget[] = [];
  let ok = true;
  for (const item of n.items) {
    const m = readMap(item, ps, 'a receiver mapping with `webhook` or `command`');
    if (!m) {
      ok = false;
      continue;
    }
    checkKeys(m, NOTIFY_KEYS, ps, (e) => childPath(m.path, e.key));
    const web = get(m, 'webhook');
    const cmd = get(m, 'command');
    if (web && cmd) {
      ps.at(
        cmd.keyPos,
        childPath(m.path, 'command'),
        'a receiver is either `webhook` or `command`, not both; make it two receivers',
      );
      ok = false;
      continue;
    }
    if (!web && !cmd) {
      ps.at(
        m.pos,
        childPath(m.path, 'webhook'),
        'is required: expected `webhook: https://…` or `command: "…"`, found neither',
      );
      ok = false;
      continue;
    }
    const evN = get(m, 'events')?.value;
    const toN = get(m, 'timeoutSeconds')?.value;
    const events = evN ? readEvents(evN, ps) : [...NOTIFY_DEFAULTS.events];
    const timeoutSeconds = toN
      ? readNumber(toN, ps, (x) => x > 0 && x <= 300, 'a number of seconds > 0 and ≤ 300')
      : NOTIFY_DEFAULTS.timeoutSeconds;
    const url = web ? readWebhook(web.value, ps) : undefined;
    const command = cmd ? readString(cmd.value, ps, 'a shell command') : undefined;
    if (
      events === undefined ||
      timeoutSeconds === undefined ||
      (web && url === undefined) ||
      (cmd && command === undefined)
    ) {
      ok = false;
      continue;
    }
    out.push(
      url !== undefined
        ? { kind: 'webhook', url, events, timeoutSeconds }
        : { kind: 'command', command: command!, events, timeoutSeconds },
    );
  }
  return ok ? out : undefined;
}
