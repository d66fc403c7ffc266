// The editor schema and the loader must agree on every known key and every default, so that
// neither can drift: adding a key to one without the other fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULTS_KEYS,
  GATES_DEFAULTS,
  GATES_KEYS,
  NOTIFY_DEFAULTS,
  NOTIFY_KEYS,
  MQTT_GATE_DEFAULTS,
  MQTT_GATE_KEYS,
  NODE_DEFAULTS,
  NODE_KEYS,
  RESTART_DEFAULTS,
  RESTART_KEYS,
  TOP_KEYS,
  WEEKDAYS,
  WINDOW_KEYS,
} from '../../src/inventory/fields.js';
import { parseInventory } from '../../src/inventory/load.js';
import { EVENT_TYPES } from '../../src/notify/eventNames.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schema = JSON.parse(readFileSync(path.join(repo, 'schema/inventory.schema.json'), 'utf8'));
type Obj = {
  properties: Record<string, { default?: unknown; description?: string }>;
  additionalProperties: boolean;
  required?: string[];
};
const defs = schema.$defs as Record<string, Obj>;
const sorted = (xs: readonly string[]) => [...xs].sort();

describe('schema/inventory.schema.json', () => {
  it('is draft 2020-12 and closed everywhere', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const o of [schema, ...Object.values(defs)]) expect(o.additionalProperties).toBe(false);
  });

  it('knows exactly the keys the loader knows', () => {
    expect(sorted(Object.keys(schema.properties))).toEqual(sorted(TOP_KEYS));
    expect(sorted(schema.required)).toEqual(['cluster', 'nodes']);
    expect(sorted(Object.keys(defs.node.properties))).toEqual(sorted(NODE_KEYS));
    expect(sorted(defs.node.required ?? [])).toEqual(['host', 'name']);
    expect(sorted(Object.keys(defs.defaults.properties))).toEqual(sorted(DEFAULTS_KEYS));
    expect(sorted(Object.keys(defs.gates.properties))).toEqual(sorted(GATES_KEYS));
    expect(sorted(Object.keys(defs.restart.properties))).toEqual(sorted(RESTART_KEYS));
    expect(sorted(Object.keys(defs.mqttGate.properties))).toEqual(sorted(MQTT_GATE_KEYS));
    expect(sorted(Object.keys(defs.window.properties))).toEqual(sorted(WINDOW_KEYS));
    expect((defs.window.properties.days as unknown as { items: { enum: string[] } }).items.enum).toEqual([...WEEKDAYS]);
    expect(sorted(Object.keys(defs.notify.properties))).toEqual(sorted(NOTIFY_KEYS));
    expect((defs.notify.properties.events as unknown as { items: { enum: string[] } }).items.enum).toEqual([
      ...EVENT_TYPES,
    ]);
  });

  it('notify: the schema states the loader defaults, and the loader applies them', () => {
    expect(defs.notify.properties.events.default).toEqual([...NOTIFY_DEFAULTS.events]);
    expect(defs.notify.properties.timeoutSeconds.default).toBe(NOTIFY_DEFAULTS.timeoutSeconds);
    for (const [k, p] of Object.entries(defs.notify.properties)) expect(p.description, k).toBeTruthy();
    const inv = parseInventory(
      'cluster: c\ndefaults: {user: u}\nnodes: [{name: a@b, host: b}]\nnotify: [{webhook: "https://h.example/x"}, {command: "cat"}]\n',
      'x.yaml',
      { home: '/h', cwd: '/w' },
    );
    expect(inv.notify).toEqual([
      {
        kind: 'webhook',
        url: 'https://h.example/x',
        events: [...NOTIFY_DEFAULTS.events],
        timeoutSeconds: NOTIFY_DEFAULTS.timeoutSeconds,
      },
      {
        kind: 'command',
        command: 'cat',
        events: [...NOTIFY_DEFAULTS.events],
        timeoutSeconds: NOTIFY_DEFAULTS.timeoutSeconds,
      },
    ]);
  });

  it('states the loader defaults, and every key has a description', () => {
    for (const [k, v] of Object.entries(NODE_DEFAULTS)) {
      expect(defs.node.properties[k].default, k).toEqual(v);
      expect(defs.defaults.properties[k].default, k).toEqual(v);
    }
    for (const [k, v] of Object.entries(GATES_DEFAULTS)) expect(defs.gates.properties[k].default, k).toEqual(v);
    for (const [k, v] of Object.entries(MQTT_GATE_DEFAULTS)) expect(defs.mqttGate.properties[k].default, k).toEqual(v);
    expect(defs.restart.properties.command.default).toBe(RESTART_DEFAULTS.command);
    for (const o of [defs.node, defs.gates, defs.mqttGate, defs.restart, defs.window])
      for (const [k, p] of Object.entries(o.properties)) if (k !== 'days') expect(p.description, k).toBeTruthy();
    // …and the loader really applies those defaults.
    const inv = parseInventory('cluster: c\ndefaults: {user: u}\nnodes: [{name: a@b, host: b}]\n', 'x.yaml', {
      home: '/h',
      cwd: '/w',
    });
    expect(inv.nodes[0]).toMatchObject({
      port: NODE_DEFAULTS.port,
      knownHosts: '/h/.ssh/known_hosts',
      rootDir: NODE_DEFAULTS.rootDir,
      stagingDir: NODE_DEFAULTS.stagingDir,
      backupDir: NODE_DEFAULTS.backupDir,
    });
    expect(inv.gates).toEqual(GATES_DEFAULTS);
    expect(inv.restart).toEqual(RESTART_DEFAULTS);
  });

  it('the shipped inventories point editors at it', () => {
    for (const f of ['example.yaml', 'minimal.yaml'])
      expect(readFileSync(path.join(repo, 'inventories', f), 'utf8').split('\n')[0]).toBe(
        '# yaml-language-server: $schema=../schema/inventory.schema.json',
      );
  });
});
