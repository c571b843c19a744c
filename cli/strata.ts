#!/usr/bin/env node
/**
 * `strata`: the command line of a Strata API. Reads STRATA_URL and STRATA_TOKEN (or --url,
 * --token). Exit codes: 0 success (a followed deployment succeeded), 1 a followed deployment
 * failed, 2 a usage or API error, 3 a followed deployment was cancelled or superseded.
 */
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ApiError, client, followEvents, listAll, type Client } from './client';
import { changeSummary, renderer } from './render';

interface Deployment {
  id: string;
  environment: string;
  operation: string;
  layers: string[];
  status: string;
  trigger: { kind: string; actor?: string };
  layerRuns: Record<string, { status: string; changes?: Record<string, number>; error?: string }>;
  queuePosition?: number;
  approval?: { plannedSteps: Record<string, { urn: string; op: string }[]>; approvedBy?: string };
  error?: string;
  createdAt: string;
  finishedAt?: string;
}

interface Environment {
  name: string;
  stage: string;
  status: string;
  blueprint?: string;
  drift?: boolean;
  ttl?: string;
  expiresAt?: string;
  layers: Record<string, { target: string; status: string; outputs: Record<string, unknown> }>;
}

const EXIT = { ok: 0, failed: 1, error: 2, cancelled: 3 } as const;

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Masks what the API marks secret, and anything it might not have: the CLI prints no secret. */
function shown(value: unknown): string {
  if (value === '[secret]') return '********';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function describeDeployment(d: Deployment): string {
  const lines = [
    `deployment  ${d.id}`,
    `environment ${d.environment}`,
    `operation   ${d.operation} (${d.layers.join(', ')})`,
    `status      ${d.status}${d.queuePosition ? ` (position ${d.queuePosition} in line)` : ''}`,
    `trigger     ${d.trigger.kind}${d.trigger.actor ? ` by ${d.trigger.actor}` : ''}`,
    `created     ${d.createdAt}${d.finishedAt ? `, finished ${d.finishedAt}` : ''}`,
  ];
  for (const [layer, run] of Object.entries(d.layerRuns)) {
    lines.push(
      `  ${layer.padEnd(14)} ${run.status.padEnd(10)} ${run.changes ? changeSummary(run.changes) : ''}${run.error ? ` ${run.error}` : ''}`,
    );
  }
  if (d.status === 'pending_approval' && d.approval) {
    lines.push('planned steps (approve to apply exactly these):');
    for (const [layer, steps] of Object.entries(d.approval.plannedSteps)) {
      for (const step of steps)
        lines.push(`  ${layer.padEnd(14)} ${step.op.padEnd(8)} ${step.urn}`);
    }
  }
  if (d.error) lines.push(`error       ${d.error}`);
  return lines.join('\n');
}

function exitFor(status: string | undefined): number {
  if (status === 'succeeded') return EXIT.ok;
  if (status === 'cancelled' || status === 'superseded') return EXIT.cancelled;
  return EXIT.failed;
}

async function follow(api: Client, id: string, progress: boolean): Promise<number> {
  const view = renderer(id, process.stdout, { progress });
  try {
    await followEvents(
      api,
      id,
      (event) => view.event(event),
      () => view.reconnecting(),
    );
  } finally {
    view.finish();
  }
  const final = await api.request<Deployment>('GET', `/v1/deployments/${encodeURIComponent(id)}`);
  print(
    `${final.operation} ${final.environment}: ${final.status}${final.error ? ` (${final.error})` : ''}`,
  );
  return exitFor(final.status);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

export function program(): Command {
  const cmd = new Command('strata')
    .description('Command line of a Strata API (environments as ordered layers of Pulumi stacks)')
    .addOption(
      new Option('--url <url>', 'Strata API URL')
        .env('STRATA_URL')
        .default('http://127.0.0.1:3000'),
    )
    .addOption(new Option('--token <token>', 'API token').env('STRATA_TOKEN'))
    .option('--json', 'print JSON as the API returns it')
    .showHelpAfterError()
    .exitOverride();

  const api = (): Client => {
    const { url, token } = cmd.opts<{ url: string; token?: string }>();
    if (!token) throw new ApiError(0, 'no token: set STRATA_TOKEN or pass --token');
    return client(url, token);
  };
  const json = (): boolean => cmd.opts<{ json?: boolean }>().json === true;
  const progressOption = () =>
    new Option('--progress', 'live progress display (default on a terminal)').default(undefined);
  const useProgress = (opts: { progress?: boolean }) =>
    opts.progress ?? process.stdout.isTTY === true;
  let exitCode: number = EXIT.ok;

  const afterStart = async (
    deployment: Deployment,
    opts: { follow?: boolean; progress?: boolean },
  ) => {
    if (json()) print(JSON.stringify(deployment, null, 2));
    else
      print(
        `deployment ${deployment.id} ${deployment.status} (${deployment.operation} ${deployment.environment})`,
      );
    if (opts.follow) exitCode = await follow(api(), deployment.id, useProgress(opts));
  };

  cmd
    .command('environments')
    .alias('envs')
    .description('list environments')
    .action(async () => {
      const environments = await listAll<'environments', Environment>(
        api(),
        '/v1/environments',
        'environments',
      );
      if (json()) return print(JSON.stringify(environments, null, 2));
      if (environments.length === 0) return print('no environments');
      print(
        table([
          ['NAME', 'STAGE', 'STATUS', 'LAYERS', 'TTL', 'DRIFT'],
          ...environments.map((e) => [
            e.name,
            e.stage,
            e.status,
            Object.entries(e.layers)
              .map(([l, s]) => `${l}:${s.target}`)
              .join(','),
            e.ttl ? `${e.ttl} (until ${e.expiresAt ?? '?'})` : '-',
            e.drift === undefined ? '-' : e.drift ? 'drifted' : 'in sync',
          ]),
        ]),
      );
    });

  cmd
    .command('environment <name>')
    .alias('env')
    .description('show an environment: layers, status and outputs (secrets masked)')
    .action(async (name: string) => {
      const e = await api().request<Environment>(
        'GET',
        `/v1/environments/${encodeURIComponent(name)}`,
      );
      if (json()) return print(JSON.stringify(e, null, 2));
      print(`${e.name}  ${e.stage}  ${e.status}${e.blueprint ? `  blueprint ${e.blueprint}` : ''}`);
      if (e.ttl) print(`ttl ${e.ttl}, expires ${e.expiresAt ?? '?'}`);
      if (e.drift !== undefined) print(`drift: ${e.drift ? 'drifted' : 'in sync'}`);
      for (const [layer, state] of Object.entries(e.layers)) {
        print(`${layer} (${state.target}): ${state.status}`);
        for (const [key, value] of Object.entries(state.outputs))
          print(`  ${key} = ${shown(value)}`);
      }
    });

  cmd
    .command('create [name]')
    .description('create an environment from a blueprint, layers, or a JSON file, and deploy it')
    .option('-b, --blueprint <blueprint>', 'blueprint name')
    .option('-f, --file <spec.json>', 'request body of POST /v1/environments')
    .option('-s, --stage <stage>', 'dev, staging or prod')
    .option(
      '-l, --layer <layer=target>',
      'a layer and its target, e.g. data=local (repeatable)',
      collect,
    )
    .option('--ttl <duration>', 'destroy that long after the last deployment (90s, 15m, 8h, 7d)')
    .option('--require-approval', 'hold every up for approval')
    .option('--follow', 'follow the first deployment; exit with its result')
    .addOption(progressOption())
    .action(async (name: string | undefined, opts: Record<string, unknown>) => {
      const body: Record<string, unknown> = opts.file
        ? (JSON.parse(fs.readFileSync(String(opts.file), 'utf8')) as Record<string, unknown>)
        : {};
      if (name) body.name = name;
      if (opts.blueprint) body.blueprint = opts.blueprint;
      if (opts.stage) body.stage = opts.stage;
      if (opts.ttl) body.ttl = opts.ttl;
      if (opts.requireApproval) body.requireApproval = true;
      for (const pair of (opts.layer as string[] | undefined) ?? []) {
        const [layer, target] = pair.split('=');
        if (!layer || !target)
          throw new ApiError(0, `--layer ${pair}: expected layer=target, e.g. data=local`);
        body.layers = { ...(body.layers as object), [layer]: { target } };
      }
      const created = await api().request<{ deployment: Deployment; deployHook: string }>(
        'POST',
        '/v1/environments',
        body,
      );
      if (!json()) print(`deploy hook (shown once): ${created.deployHook}`);
      await afterStart(created.deployment, opts);
    });

  cmd
    .command('deploy <name> <operation>')
    .description('run an operation: up, preview, refresh, destroy or drift')
    .option('-l, --layer <layer>', 'only these layers (repeatable or comma-separated)', collect)
    .option('--no-refresh', 'up or preview without refreshing first (drift is not repaired)')
    .option('--follow', 'follow the deployment; exit with its result')
    .addOption(progressOption())
    .action(
      async (
        name: string,
        operation: string,
        opts: { layer?: string[]; refresh: boolean; follow?: boolean; progress?: boolean },
      ) => {
        const deployment = await api().request<Deployment>(
          'POST',
          `/v1/environments/${encodeURIComponent(name)}/deployments`,
          {
            operation,
            ...(opts.layer ? { layers: opts.layer } : {}),
            ...(opts.refresh ? {} : { refresh: false }),
          },
        );
        await afterStart(deployment, opts);
      },
    );

  cmd
    .command('deployments <name>')
    .description("an environment's deployments, newest first")
    .action(async (name: string) => {
      const deployments = await listAll<'deployments', Deployment>(
        api(),
        `/v1/environments/${encodeURIComponent(name)}/deployments`,
        'deployments',
      );
      if (json()) return print(JSON.stringify(deployments, null, 2));
      print(
        table([
          ['ID', 'OPERATION', 'STATUS', 'TRIGGER', 'CREATED'],
          ...deployments.map((d) => [d.id, d.operation, d.status, d.trigger.kind, d.createdAt]),
        ]),
      );
    });

  cmd
    .command('deployment <id>')
    .description('show a deployment: status, layers, planned steps while it waits for approval')
    .action(async (id: string) => {
      const d = await api().request<Deployment>('GET', `/v1/deployments/${encodeURIComponent(id)}`);
      print(json() ? JSON.stringify(d, null, 2) : describeDeployment(d));
    });

  cmd
    .command('logs <id>')
    .alias('follow')
    .description("follow a deployment's engine log live; exit with its result")
    .addOption(progressOption())
    .action(async (id: string, opts: { progress?: boolean }) => {
      exitCode = await follow(api(), id, useProgress(opts));
    });

  cmd
    .command('dotenv <name>')
    .description("write the environment's .env bundle to a file (needs secrets:read)")
    .option('-o, --output <file>', 'where to write it (default <name>.env; - for standard output)')
    .option('-l, --layer <layer>', 'only this layer')
    .action(async (name: string, opts: { output?: string; layer?: string }) => {
      const query = opts.layer ? `?layer=${encodeURIComponent(opts.layer)}` : '';
      const response = await api().raw(`/v1/environments/${encodeURIComponent(name)}/env${query}`);
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { message?: string };
        throw new ApiError(response.status, body.message ?? `${response.status}`);
      }
      const text = await response.text();
      const output = opts.output ?? `${name}.env`;
      if (output === '-') return void process.stdout.write(text);
      fs.writeFileSync(output, text, { mode: 0o600 });
      fs.chmodSync(output, 0o600);
      print(`wrote ${output}`);
    });

  for (const [verb, description] of [
    ['approve', 'approve a deployment held for approval: apply what its preview showed'],
    ['reject', 'reject a deployment held for approval'],
    ['cancel', 'cancel a queued or running deployment'],
  ] as const) {
    cmd
      .command(`${verb} <id>`)
      .description(description)
      .option('--follow', 'follow the deployment afterwards; exit with its result')
      .addOption(progressOption())
      .action(async (id: string, opts: { follow?: boolean; progress?: boolean }) => {
        const d = await api().request<Deployment>(
          'POST',
          `/v1/deployments/${encodeURIComponent(id)}/${verb}`,
        );
        await afterStart(d, opts);
      });
  }

  cmd
    .command('destroy <name>')
    .description('destroy every layer in reverse order, then forget the environment')
    .option('--follow', 'follow the destroy; exit with its result')
    .addOption(progressOption())
    .action(async (name: string, opts: { follow?: boolean; progress?: boolean }) => {
      const d = await api().request<Deployment>(
        'DELETE',
        `/v1/environments/${encodeURIComponent(name)}`,
      );
      await afterStart(d, opts);
    });

  cmd.hook('postAction', () => {
    process.exitCode = exitCode;
  });
  return cmd;
}

async function main(): Promise<void> {
  try {
    await program().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT.error;
      return;
    }
    process.stderr.write(`strata: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.error;
  }
}

if (require.main === module) void main();
