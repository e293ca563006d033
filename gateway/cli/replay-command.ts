import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureSummary } from '../ble/capture-summary.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { VitrinError } from '../errors.js';
import { createRootLogger } from '../log.js';
import type { GatewayOptions, RunningGateway } from '../main.js';
import { stringFlag, type ParsedArgs } from './args.js';
import type { Output } from './config-command.js';

export interface ReplayDeps {
  readonly startGateway: (options: GatewayOptions) => Promise<RunningGateway>;
  readonly env: NodeJS.ProcessEnv;
  readonly io: Output;
}

function speedOf(args: ParsedArgs): number {
  const speed = stringFlag(args, 'speed');
  if (args.flags.has('max')) {
    if (speed !== undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', '--speed and --max exclude each other');
    return 0;
  }
  if (speed === undefined) return 1;
  const value = Number(speed);
  if (!Number.isFinite(value) || value <= 0) throw new VitrinError('VITRIN_ERR_CLI_USAGE', '--speed needs a number above 0, e.g. --speed 10');
  return value;
}

/**
 * A replay must never disturb the store it runs in: its own broker on a free
 * loopback port (no card reaches a real till), HTTP on a free loopback port, and a
 * throwaway data directory (no replayed event reaches the store's database or the cloud).
 */
function sandboxed(loaded: LoadedConfig, dataDir: string, quiet: boolean): LoadedConfig {
  const { config } = loaded;
  return {
    files: loaded.files,
    config: {
      ...config,
      mqtt: { ...config.mqtt, url: '', username: '', password: '', embedded: { host: '127.0.0.1', port: 0 }, tls: { ...config.mqtt.tls, cert: '', key: '' } },
      http: { ...config.http, host: '127.0.0.1', port: 0 },
      data: { ...config.data, dir: dataDir },
      log: { level: quiet ? 'warn' : config.log.level },
    },
  };
}

/** `vitrin replay <file> [--speed N | --max] [--summary] [--receiver id] [--config file]` */
export async function replayCommand(file: string | undefined, args: ParsedArgs, deps: ReplayDeps): Promise<number> {
  if (file === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', 'vitrin replay needs a btsnoop file');
  const speed = speedOf(args);
  const summaryWanted = args.flags.has('summary');
  const loaded = loadConfig({ file: stringFlag(args, 'config'), env: deps.env });
  const receiverId = stringFlag(args, 'receiver') ?? loaded.config.receivers[0]!.id;
  if (!loaded.config.receivers.some((r) => r.id === receiverId)) {
    throw new VitrinError('VITRIN_ERR_CLI_USAGE', `--receiver ${receiverId} is not in the config's receivers`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'vitrin-replay-'));
  const box = sandboxed(loaded, dataDir, summaryWanted);
  // With --summary, stdout carries exactly one JSON object; logs go to stderr.
  const log = createRootLogger(box.config.log.level, summaryWanted ? process.stderr : process.stdout);
  const summary = new CaptureSummary();
  try {
    const gateway = await deps.startGateway({ loaded: box, env: {}, log, replay: { file, speed, receiverId, observer: summary } });
    const outcome = await gateway.replayFinished;
    await gateway.stop();
    if (outcome?.problem !== undefined) summary.fail(outcome.problem);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const json = summary.toJSON();
  if (summaryWanted) deps.io.out(JSON.stringify(json));
  else log.info({ summary: json }, 'replay finished');
  return json.problem === undefined ? 0 : 1;
}
