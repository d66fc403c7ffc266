// The command table: flags parsed once, each command loaded on demand. main.ts runs it and owns
// the exit code; describeError is the one mapping from typed errors to exit codes and prose.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BadInputError, RolloutError } from '../util/errors.js';
import { EXIT, exitFor, type ExitCode } from './exitCodes.js';
import type { CliIO } from './io.js';
import { DEFAULT_AWAIT_SECONDS } from './approvalMode.js';
import { VERSION } from './version.js';

function int(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

/**
 * Like int(), but a bad value is collected instead of stopping the parse, so `upgrade` reports it
 * together with every other input problem (cli/inputs.ts).
 */
function intCollected(name: string, min: number, into: BadInputError[]) {
  return (v: string): number | undefined => {
    const n = Number(v);
    if (Number.isInteger(n) && n >= min) return n;
    into.push(
      new BadInputError(`${name} must be an integer ≥ ${min}, found ${JSON.stringify(v)}`, {
        hint: `e.g. ${name} ${min}`,
      }),
    );
    return undefined;
  };
}

export function buildProgram(io: CliIO, argv: readonly string[]): Command {
  const flagProblems: BadInputError[] = [];
  const program = new Command('emqx-rollout')
    .description(
      'Roll an EMQX Enterprise cluster through a patch-version hot upgrade (emqx ctl relup), one node at a time, with health gates.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .addHelpText(
      'after',
      '\nExamples:\n  emqx-rollout demo     # a simulated 3-node cluster upgraded live, with MQTT traffic (~20 s, no set-up)\n  emqx-rollout plan -i prod.yaml --tarball emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz\n  emqx-rollout upgrade -i prod.yaml --tarball emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz\n  emqx-rollout status -i prod.yaml\n\nRun `emqx-rollout <command> --help` for its options and examples.\n',
    );

  const inv = () =>
    new Option('-i, --inventory <file>', 'inventory YAML (ours, or an Ansible YAML inventory)').makeOptionMandatory();
  const stateDir = () =>
    new Option(
      '--state-dir <dir>',
      'where the journal and reports go (default: .emqx-rollout/<cluster>/ next to the inventory)',
    );
  const sshCfg = () =>
    new Option(
      '--ssh-config <file>',
      'OpenSSH client config to resolve host aliases through (default: defaults.sshConfig, else ~/.ssh/config if it exists; "none" turns it off)',
    );
  /** The io a command sees: with --ssh-config, the loader reads that file. */
  const ioWith = (o: { sshConfig?: string }): CliIO =>
    o.sshConfig === undefined ? io : { ...io, sshConfigFile: o.sshConfig };

  program
    .command('plan')
    .description(
      'Observe every node (read-only) and print the plan: per node from → to, the steps, what blocks it and why. Exit 0 if the rollout could proceed, 3 if preflight blocks it.',
    )
    .addOption(inv())
    .addOption(sshCfg())
    .option('--tarball <path>', 'target release tarball (its .sha256 sidecar must sit next to it)')
    .option(
      '--to <version>',
      'without a tarball: check that every node has a hot hop to VERSION (exit 0) or say why not (exit 3)',
    )
    .option(
      '--releases <dir>',
      'a directory of tarballs + sidecars: pick and check the one for the hop (instead of --tarball)',
    )
    .option('--window <spec>', 'schedule in a window: enforce | wait | ignore, or "sat,sun 02:00-05:00 Europe/Berlin"')
    .option('--json', 'NDJSON events on stdout (the plan is the plan.ready event)', false)
    .option('--force', 'plan as if `relup upgrade --force` (keep data/patches/*.beam)', false)
    .option('--no-backup', 'plan without the backup step')
    .addOption(stateDir())
    .addHelpText(
      'after',
      '\nExamples:\n  emqx-rollout plan -i prod.yaml --to 5.10.5                 # which hops exist, no tarball needed\n  emqx-rollout plan -i prod.yaml --releases ./releases --to 5.10.5 --window "sat 02:00-05:00 Europe/Berlin"\n  emqx-rollout plan -i prod.yaml --tarball emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz\n  emqx-rollout plan -i prod.yaml --tarball … --json | jq \'select(.type=="plan.ready").plan\'\n',
    )
    .action(async (o) => {
      const { planCommand } = await import('./commands/plan.js');
      await planCommand(
        ioWith(o),
        {
          inventory: o.inventory,
          tarball: o.tarball,
          to: o.to,
          releases: o.releases,
          window: o.window,
          json: o.json,
          force: o.force,
          noBackup: !o.backup,
          stateDir: o.stateDir,
        },
        argv,
      );
    });

  program
    .command('upgrade')
    .description(
      'The rollout: preflight, stage on all nodes (parallel, bounded), then back up and `relup upgrade` one node at a time, gating each before the next. The first failure halts the run.',
    )
    .addOption(inv())
    .addOption(sshCfg())
    .option('--tarball <path>', 'target release tarball (its .sha256 sidecar must sit next to it)')
    .option('-y, --yes', 'do not ask for confirmation', false)
    .option('--json', 'NDJSON events on stdout', false)
    .option('--plain', 'plain timestamped lines even on a terminal', false)
    .option(
      '--window <mode|spec>',
      'enforce | wait | ignore the inventory window, or give one: "sat,sun 02:00-05:00 Europe/Berlin"',
    )
    .option(
      '--pause-after <n>',
      'after upgrading N nodes, ask to continue on a terminal; elsewhere pause (exit 5) — re-run to continue',
      intCollected('--pause-after', 1, flagProblems),
    )
    .option(
      '--await-approval [seconds]',
      'at --pause-after, hold the lock and wait up to SECONDS (default 3600) for `emqx-rollout approve` from another shell; exit 5 if none comes',
      intCollected('--await-approval', 1, flagProblems),
    )
    .option('--resume', 'continue the last unfinished run (refuses if the cluster no longer matches it)', false)
    .option('--no-backup', 'skip the backup of data/ etc/ log/ (there is no in-place rollback!)')
    .option('--force', 'pass --force to relup upgrade: keep stale data/patches/*.beam', false)
    .option('--break-lock', 'take the cluster lock from another controller you know is gone', false)
    .option(
      '--stage-concurrency <n>',
      'nodes uploading at once',
      intCollected('--stage-concurrency', 1, flagProblems),
      4,
    )
    .addOption(stateDir())
    .addHelpText(
      'after',
      '\nExamples:\n  emqx-rollout upgrade -i prod.yaml --tarball emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz\n  emqx-rollout upgrade -i prod.yaml --tarball … --yes --json > rollout.ndjson\n  emqx-rollout upgrade -i prod.yaml --tarball … --yes --window wait --pause-after 1\n  emqx-rollout upgrade -i prod.yaml --tarball … --yes --json --pause-after 1 --await-approval 1800   # then, from another shell: emqx-rollout approve -i prod.yaml\n\nExit codes: 0 done · 2 bad input · 3 preflight blocked · 4 halted · 5 paused · 6 locked · 130 interrupted\n',
    )
    .action(async (o) => {
      const { upgradeCommand } = await import('./commands/upgrade.js');
      await upgradeCommand(
        ioWith(o),
        {
          inventory: o.inventory,
          tarball: o.tarball,
          yes: o.yes,
          json: o.json,
          plain: o.plain,
          window: o.window,
          pauseAfter: o.pauseAfter,
          awaitApproval: o.awaitApproval === true ? DEFAULT_AWAIT_SECONDS : o.awaitApproval,
          resume: o.resume,
          backup: o.backup,
          force: o.force,
          breakLock: o.breakLock,
          stateDir: o.stateDir,
          stageConcurrency: o.stageConcurrency,
          flagProblems,
        },
        argv,
      );
    });

  program
    .command('approve')
    .description(
      'Answer a run waiting at --pause-after with --await-approval: let it continue (exit 0), or --reject to end it paused (it exits 5). Exit 2 when no run is waiting.',
    )
    .addOption(inv())
    .option('--reject', 'stop the waiting run instead: it ends paused (exit 5), resumable', false)
    .addOption(stateDir())
    .addHelpText(
      'after',
      '\nExamples:\n  emqx-rollout approve -i prod.yaml            # the canary looks good: go on\n  emqx-rollout approve -i prod.yaml --reject   # stop here; the waiting run exits 5\n',
    )
    .action(async (o) => {
      const { approveCommand } = await import('./commands/approve.js');
      await approveCommand(io, { inventory: o.inventory, reject: o.reject, stateDir: o.stateDir });
    });

  program
    .command('status')
    .description(
      'Per node: reachable, running version, relup status, relup/current marker, plugin version, cluster membership, connections.',
    )
    .addOption(inv())
    .addOption(sshCfg())
    .option('--json', 'one JSON object per node on stdout', false)
    .option('--tarball <path>', 'also report whether this tarball is staged on each node')
    .addOption(stateDir())
    .addHelpText('after', '\nExample:\n  emqx-rollout status -i prod.yaml\n')
    .action(async (o) => {
      const { statusCommand } = await import('./commands/status.js');
      await statusCommand(
        ioWith(o),
        { inventory: o.inventory, json: o.json, tarball: o.tarball, stateDir: o.stateDir },
        argv,
      );
    });

  program
    .command('restart')
    .description(
      'Step 6: rolling restart into the new release tree, one node at a time, gated (booted from relup/<vsn>/, running, rejoined).',
    )
    .addOption(inv())
    .addOption(sshCfg())
    .option('--evacuate', 'drain MQTT clients off each node first (emqx ctl rebalance start --evacuation)', false)
    .option('-y, --yes', 'do not ask for confirmation', false)
    .option('--json', 'NDJSON events on stdout', false)
    .option('--plain', 'plain timestamped lines even on a terminal', false)
    .option('--break-lock', 'take the cluster lock from another controller you know is gone', false)
    .addOption(stateDir())
    .addHelpText('after', '\nExample:\n  emqx-rollout restart -i prod.yaml --evacuate\n')
    .action(async (o) => {
      const { restartCommand } = await import('./commands/restart.js');
      await restartCommand(
        ioWith(o),
        {
          inventory: o.inventory,
          evacuate: o.evacuate,
          yes: o.yes,
          json: o.json,
          plain: o.plain,
          breakLock: o.breakLock,
          stateDir: o.stateDir,
        },
        argv,
      );
    });

  program
    .command('cleanup')
    .description(
      'Step 7: remove the staged tarball and sidecar from every node, only when every node reports the target version.',
    )
    .addOption(inv())
    .addOption(sshCfg())
    .option('--tarball <path>', 'the release that was rolled (names the staged files and the target version)')
    .option('-y, --yes', 'do not ask for confirmation', false)
    .option('--json', 'NDJSON events on stdout', false)
    .option('--break-lock', 'take the cluster lock from another controller you know is gone', false)
    .addOption(stateDir())
    .addHelpText(
      'after',
      '\nExample:\n  emqx-rollout cleanup -i prod.yaml --tarball emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz\n',
    )
    .action(async (o) => {
      const { cleanupCommand } = await import('./commands/cleanup.js');
      await cleanupCommand(
        ioWith(o),
        {
          inventory: o.inventory,
          tarball: o.tarball,
          yes: o.yes,
          json: o.json,
          breakLock: o.breakLock,
          stateDir: o.stateDir,
        },
        argv,
      );
    });

  program
    .command('logs')
    .description('Collect `emqx ctl relup logs` from the nodes as one timeline (or clear them, with confirmation).')
    .addOption(inv())
    .addOption(sshCfg())
    .option('--node <name>', 'only this node')
    .option('--clear', 'run `relup logs-clear` (asks for confirmation)', false)
    .option('-y, --yes', 'do not ask for confirmation', false)
    .option('--json', 'one JSON object per row on stdout', false)
    .option('--break-lock', 'take the cluster lock from another controller you know is gone', false)
    .addOption(stateDir())
    .addHelpText(
      'after',
      '\nExamples:\n  emqx-rollout logs -i prod.yaml\n  emqx-rollout logs -i prod.yaml --node emqx@10.0.0.12 --clear\n',
    )
    .action(async (o) => {
      const { logsCommand } = await import('./commands/logs.js');
      await logsCommand(
        ioWith(o),
        {
          inventory: o.inventory,
          node: o.node,
          clear: o.clear,
          yes: o.yes,
          json: o.json,
          breakLock: o.breakLock,
          stateDir: o.stateDir,
        },
        argv,
      );
    });

  program
    .command('recover-boot')
    .description(
      'The documented limited rollback: remove relup/current (and optionally relup/<vsn>/) and restart that node into the old tree. Refuses once the node booted from the new tree.',
    )
    .addOption(inv())
    .addOption(sshCfg())
    .requiredOption('--node <name>', 'the node to recover')
    .option('--remove-tree', 'also remove relup/<vsn>/', false)
    .option('-y, --yes', 'do not ask for confirmation', false)
    .option('--json', 'NDJSON events on stdout', false)
    .option('--break-lock', 'take the cluster lock from another controller you know is gone', false)
    .addOption(stateDir())
    .addHelpText('after', '\nExample:\n  emqx-rollout recover-boot -i prod.yaml --node emqx@10.0.0.12 --remove-tree\n')
    .action(async (o) => {
      const { recoverBootCommand } = await import('./commands/recoverBoot.js');
      await recoverBootCommand(
        ioWith(o),
        {
          inventory: o.inventory,
          node: o.node,
          removeTree: o.removeTree,
          yes: o.yes,
          json: o.json,
          breakLock: o.breakLock,
          stateDir: o.stateDir,
        },
        argv,
      );
    });

  program
    .command('inventory')
    .description(
      'Print the resolved inventory: every node after defaults, Ansible vars and ssh_config, with where each value came from. Contacts no node.',
    )
    .addOption(inv())
    .addOption(sshCfg())
    .option('--json', 'one JSON object {cluster, nodes: [...]} with a sources map per node', false)
    .addHelpText(
      'after',
      '\nExamples:\n  emqx-rollout inventory -i prod.yaml\n  emqx-rollout inventory -i hosts.yaml --ssh-config ~/.ssh/config.prod --json | jq .nodes[0].sources\n',
    )
    .action(async (o) => {
      const { inventoryCommand } = await import('./commands/inventory.js');
      await inventoryCommand(ioWith(o), { inventory: o.inventory, json: o.json });
    });

  const sandbox = program
    .command('sandbox')
    .description('A simulated EMQX cluster running in the background, for rehearsing rollouts and testing runbooks.')
    .addHelpText(
      'after',
      '\nExamples:\n  emqx-rollout sandbox up --dir /tmp/sbx --nodes 3\n  emqx-rollout sandbox down --dir /tmp/sbx\n',
    );
  sandbox
    .command('up')
    .description(
      'Start a simulated cluster and leave it running; writes DIR/inventory.yaml, known_hosts, client key, and a target tarball + sidecar.',
    )
    .requiredOption('--dir <dir>', 'directory for the sandbox (created)')
    .option('--nodes <n>', 'number of nodes', int('--nodes', 1), 3)
    .option('--from <vsn>', 'version the nodes run', '5.10.4')
    .option('--to <vsn>', 'version of the target tarball', '5.10.5')
    .option(
      '--layout <tgz|pkg>',
      'install layout: tgz (all under the root) or pkg (deb-like: separate etc/data/log, service user, sudo)',
      'tgz',
    )
    .option('--ssh-user <name>', 'with --layout pkg: the simulated non-root SSH login user', 'operator')
    .option(
      '--ctl-latency-ms <ms>',
      'each `emqx ctl` call waits this long, like a real node (two VM starts)',
      int('--ctl-latency-ms', 0),
      0,
    )
    .addHelpText(
      'after',
      '\nExample:\n  emqx-rollout sandbox up --dir /tmp/sbx && emqx-rollout plan -i /tmp/sbx/inventory.yaml --tarball /tmp/sbx/release/*.tar.gz\n',
    )
    .action(async (o) => {
      const { sandboxUpCommand } = await import('./commands/sandbox.js');
      await sandboxUpCommand(io, {
        dir: o.dir,
        nodes: o.nodes,
        from: o.from,
        to: o.to,
        layout: o.layout,
        sshUser: o.sshUser,
        ctlLatencyMs: o.ctlLatencyMs,
      });
    });
  sandbox
    .command('down')
    .description('Stop a sandbox and everything it started.')
    .requiredOption('--dir <dir>', 'the sandbox directory')
    .addHelpText('after', '\nExample:\n  emqx-rollout sandbox down --dir /tmp/sbx\n')
    .action(async (o) => {
      const { sandboxDownCommand } = await import('./commands/sandbox.js');
      await sandboxDownCommand(io, { dir: o.dir });
    });

  program
    .command('demo')
    .description(
      'Start a simulated cluster on this machine (real SSH, real MQTT, real tarball) with MQTT clients attached, and run the real upgrade against it with the live view.',
    )
    .option('--nodes <n>', 'number of nodes', int('--nodes', 1), 3)
    .option('--clients <n>', 'MQTT clients per node', int('--clients', 1), 10)
    .option('--plain', 'plain timestamped lines even on a terminal', false)
    .option('--json', 'NDJSON events on stdout', false)
    .option('--keep', 'leave the sandbox running afterwards (prints its directory)', false)
    .option(
      '--layout <tgz|pkg>',
      'install layout of the simulated nodes (pkg: deb-like, reached as a non-root user with sudo)',
      'tgz',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  emqx-rollout demo                         # 3 nodes, 10 MQTT clients each, live view; ~20 s\n  emqx-rollout demo --nodes 5 --clients 20\n  emqx-rollout demo --plain | tee demo.log\n  emqx-rollout demo --keep                  # leave the sandbox running; stop it with `sandbox down --dir …`\n',
    )
    .action(async (o) => {
      const { demoCommand } = await import('./commands/demo.js');
      await demoCommand(io, {
        nodes: o.nodes,
        clients: o.clients,
        plain: o.plain,
        json: o.json,
        keep: o.keep,
        layout: o.layout,
      });
    });

  return program;
}

export function describeError(e: unknown): { code: ExitCode; text: string } {
  if (e instanceof CommanderError) {
    // `--help` and `--version` succeed; help shown because no command was given (commander.help) is a usage error.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return { code: EXIT.ok, text: '' };
    return { code: EXIT.badInput, text: '' }; // commander already printed the message
  }
  if (e instanceof RolloutError) {
    const { code, label } = exitFor(e.kind);
    return { code, text: `emqx-rollout: ${code === EXIT.internal ? 'error' : label}: ${e.long()}\n` };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    code: EXIT.internal,
    text: `emqx-rollout: internal error (a bug): ${err.message}\n  emqx-rollout ${VERSION}, node ${process.version}, ${process.platform}-${process.arch}\n  Please report it with this output and the journal under .emqx-rollout/.\n${process.env.EMQX_ROLLOUT_DEBUG ? `${err.stack}\n` : ''}`,
  };
}
