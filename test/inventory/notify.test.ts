// `notify:` in the inventory: every problem positioned (file:line:col), URLs checked without ever
// echoing them (they carry tokens), event names checked against the events the tool emits.
import { describe, expect, it } from 'vitest';
import { InventoryError } from '../../src/inventory/errors.js';
import { parseInventory } from '../../src/inventory/load.js';

const HEAD = 'cluster: c\ndefaults: {user: u}\nnodes:\n  - {name: a@b, host: b}\n';
const parse = (notify: string) => parseInventory(`${HEAD}notify:\n${notify}`, 'inv.yaml', { home: '/h', cwd: '/w' });
function problems(notify: string): string[] {
  try {
    parse(notify);
  } catch (e) {
    expect(e).toBeInstanceOf(InventoryError);
    return [...(e as InventoryError).details];
  }
  throw new Error('expected the inventory to be refused');
}

describe('notify:', () => {
  it('reads webhooks and commands with their events and timeouts', () => {
    const inv = parse(
      '  - webhook: https://hooks.example.com/services/T1/B2/xyz\n    events: [rollout.done, rollout.halted]\n    timeoutSeconds: 2.5\n  - command: ./tell-the-team.sh\n',
    );
    expect(inv.notify).toEqual([
      {
        kind: 'webhook',
        url: 'https://hooks.example.com/services/T1/B2/xyz',
        events: ['rollout.done', 'rollout.halted'],
        timeoutSeconds: 2.5,
      },
      {
        kind: 'command',
        command: './tell-the-team.sh',
        events: [
          'rollout.started',
          'rollout.awaiting-approval',
          'node.done',
          'rollout.paused',
          'rollout.halted',
          'rollout.done',
        ],
        timeoutSeconds: 5,
      },
    ]);
    expect(parseInventory(HEAD, 'inv.yaml', { home: '/h', cwd: '/w' }).notify).toBeUndefined();
    expect(parseInventory(`${HEAD}notify: []\n`, 'inv.yaml', { home: '/h', cwd: '/w' }).notify).toEqual([]);
  });

  it('reports each problem at its line and column', () => {
    const p = problems(
      [
        '  - webhook: ftp://files.example.com/drop?token=SECRET123', // line 6
        '  - webhook: "not a url with token SECRET456"', // 7
        '  - command: ./x.sh', // 8
        '    events: [rollout.done, node.dnoe, rollout.done]', // 9
        '    timeoutSeconds: 0', // 10
        '  - {webhook: "https://a.example/", command: "cat"}', // 11
        '  - {events: [log]}', // 12
        '  - {webhok: "https://a.example/"}', // 13
        '  - just-a-string', // 14
      ].join('\n') + '\n',
    );
    expect(p).toEqual(
      [
        'inv.yaml:6:14 notify[0].webhook: expected an http:// or https:// URL, found a ftp: URL; only http and https are supported',
        'inv.yaml:7:14 notify[1].webhook: expected an http:// or https:// URL, found text that is not a URL',
        'inv.yaml:9:28 notify[2].events[1]: unknown event type "node.dnoe"; did you mean `node.done`?',
        'inv.yaml:9:39 notify[2].events[2]: event type "rollout.done" is listed twice',
        'inv.yaml:10:21 notify[2].timeoutSeconds: expected a number of seconds > 0 and ≤ 300, found 0',
        'inv.yaml:11:37 notify[3].command: a receiver is either `webhook` or `command`, not both; make it two receivers',
        'inv.yaml:12:5 notify[4].webhook: is required: expected `webhook: https://…` or `command: "…"`, found neither',
        'inv.yaml:13:6 notify[5].webhok: unknown key "webhok"; did you mean `webhook`?',
        'inv.yaml:13:5 notify[5].webhook: is required: expected `webhook: https://…` or `command: "…"`, found neither',
        'inv.yaml:14:5 notify[6]: expected a receiver mapping with `webhook` or `command`, found "just-a-string"',
      ].sort((a, b) => {
        const pos = (s: string) =>
          s
            .match(/:(\d+):(\d+)/)!
            .slice(1)
            .map(Number);
        const [la, ca] = pos(a);
        const [lb, cb] = pos(b);
        return la - lb || ca - cb;
      }),
    );
    expect(p.join('\n')).not.toMatch(/SECRET/);
  });

  it('is a list', () => {
    expect(problems('  webhook: https://a.example/\n')).toEqual([
      'inv.yaml:6:3 notify: expected a list of receivers such as [{webhook: "https://…"}, {command: "…"}], found a mapping',
    ]);
  });
});
