// gates.mqtt in the inventory: the key turns the gate on, every field has a default or is optional,
// bad values are positioned problems (file:line:col), and the password never comes from the file.
import { describe, expect, it } from 'vitest';
import { MQTT_GATE_DEFAULTS } from '../../src/inventory/fields.js';
import { InventoryError } from '../../src/inventory/errors.js';
import { parseInventory } from '../../src/inventory/load.js';

const base = 'cluster: c\ndefaults: {user: u}\nnodes: [{name: a@b, host: b}]\ngates:\n';
const parse = (gates: string) => parseInventory(`${base}${gates}`, 'inv.yaml', { home: '/h', cwd: '/' });
const problems = (gates: string): readonly string[] => {
  try {
    parse(gates);
  } catch (e) {
    if (e instanceof InventoryError) return e.details;
    throw e;
  }
  throw new Error('expected problems');
};

describe('gates.mqtt', () => {
  it('is off without the key', () => {
    expect(parse('  soakSeconds: 1\n').gates.mqtt).toBeUndefined();
  });

  it.each([
    ['  mqtt: {}\n', {}],
    ['  mqtt:\n', {}],
    ['  mqtt: {host: "{host}", port: 8883}\n', { host: '{host}', port: 8883 }],
    [
      '  mqtt: {host: 10.0.0.5, username: probe, passwordEnv: EMQX_PROBE_PW, topicPrefix: ops/probe}\n',
      { host: '10.0.0.5', username: 'probe', passwordEnv: 'EMQX_PROBE_PW', topicPrefix: 'ops/probe' },
    ],
    ['  mqtt: {port: "1884"}\n', { port: 1884 }],
  ])('%j → defaults plus what is written', (yaml, over) => {
    expect(parse(yaml).gates.mqtt).toEqual({
      ...MQTT_GATE_DEFAULTS,
      username: undefined,
      passwordEnv: undefined,
      ...over,
    });
  });

  it.each([
    [
      '  mqtt: true\n',
      'inv.yaml:5:9 gates.mqtt: expected a mapping such as {port: 1883, username: probe, passwordEnv: EMQX_PROBE_PASSWORD} (or {}), found true',
    ],
    ['  mqtt: {port: 0}\n', 'inv.yaml:5:16 gates.mqtt.port: expected an integer 1–65535, found 0'],
    ['  mqtt: {hots: x}\n', 'inv.yaml:5:10 gates.mqtt.hots: unknown key "hots"; did you mean `host`?'],
    [
      '  mqtt: {host: "u@h"}\n',
      'inv.yaml:5:16 gates.mqtt.host: expected a host or IP address as the node sees it (no user@, no spaces), or {host} for the node\'s own SSH host, found "u@h"',
    ],
    [
      '  mqtt: {username: p, passwordEnv: "s3cret pw"}\n',
      'inv.yaml:5:36 gates.mqtt.passwordEnv: expected the NAME of an environment variable such as EMQX_PROBE_PASSWORD, found something else (not shown: it may be a password); the password itself never goes in the inventory',
    ],
    [
      '  mqtt: {passwordEnv: PW}\n',
      'inv.yaml:5:23 gates.mqtt.passwordEnv: passwordEnv needs username: MQTT sends a password only with a user name; set gates.mqtt.username',
    ],
    [
      '  mqtt: {topicPrefix: "a/#"}\n',
      'inv.yaml:5:23 gates.mqtt.topicPrefix: expected a topic prefix without wildcards (+ #), not starting with $ or / and not ending with /, such as emqx-rollout/probe, found "a/#"',
    ],
    [
      '  mqtt: {topicPrefix: "$SYS/x"}\n',
      'inv.yaml:5:23 gates.mqtt.topicPrefix: expected a topic prefix without wildcards (+ #), not starting with $ or / and not ending with /, such as emqx-rollout/probe, found "$SYS/x"',
    ],
    [
      '  mqtt: {topicPrefix: "a/"}\n',
      'inv.yaml:5:23 gates.mqtt.topicPrefix: expected a topic prefix without wildcards (+ #), not starting with $ or / and not ending with /, such as emqx-rollout/probe, found "a/"',
    ],
  ])('%j is a positioned problem', (yaml, message) => {
    expect(problems(yaml)).toEqual([message]);
  });

  it('a password written into the file is refused as an unknown key (it belongs in an environment variable)', () => {
    const ps = problems('  mqtt: {username: p, password: hunter2}\n');
    expect(ps[0]).toMatch(
      /^inv\.yaml:5:23 gates\.mqtt\.password: unknown key "password"; expected one of .*`passwordEnv`/,
    );
    expect(ps.join('\n')).not.toContain('hunter2');
  });
});
