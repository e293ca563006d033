import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { carriesAppIdentifier } from '../ble/app-frames.js';
import { CaptureRecorder } from '../ble/capture-recorder.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { VitrinError } from '../errors.js';
import { createRootLogger, type Logger } from '../log.js';
import type { AdvertisementSource } from '../ports.js';
import { stringFlag, type ParsedArgs } from './args.js';
import type { Output } from './config-command.js';

export interface RecordDeps {
  /** One local adapter (the first, or the one reporting as `receiverId`), not started. */
  readonly openRadio: (config: Config, receiverId: string | undefined, log: Logger) => AdvertisementSource;
  readonly env: NodeJS.ProcessEnv;
  readonly io: Output;
  /** Resolves when the recording should end early (Ctrl-C). */
  readonly interrupted?: Promise<unknown>;
}

const MAX_SECONDS = 3600;

function secondsOf(args: ParsedArgs): number {
  const text = stringFlag(args, 'seconds') ?? '60';
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_SECONDS) {
    throw new VitrinError('VITRIN_ERR_CLI_USAGE', `--seconds needs a number from 1 to ${MAX_SECONDS}`);
  }
  return seconds;
}

/**
 * `vitrin record --out file.btsnoop [--seconds N] [--scope app|all] [--receiver id]`:
 * what an adapter hears, for store IT to send when something is wrong. By default
 * only advertisements carrying the app's identifiers are kept, so the file holds no
 * data of anyone else; `--scope all` keeps every device and says so.
 */
export async function recordCommand(args: ParsedArgs, deps: RecordDeps): Promise<number> {
  const out = stringFlag(args, 'out');
  if (out === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', 'vitrin record needs --out file.btsnoop');
  const seconds = secondsOf(args);
  const scope = stringFlag(args, 'scope') ?? 'app';
  if (scope !== 'app' && scope !== 'all') throw new VitrinError('VITRIN_ERR_CLI_USAGE', '--scope is app or all');
  const { config } = loadConfig({ file: stringFlag(args, 'config'), env: deps.env });
  const log = createRootLogger(config.log.level === 'info' ? 'warn' : config.log.level, process.stderr);

  const file = createWriteStream(out, { flags: 'w' });
  await Promise.race([
    once(file, 'open'),
    once(file, 'error').then(([cause]) => {
      throw new VitrinError('VITRIN_ERR_CAPTURE_WRITE', `cannot write ${out}`, { cause });
    }),
  ]);
  const recorder = new CaptureRecorder((bytes) => file.write(bytes));
  const appUuid = config.identity.appUuid.toLowerCase();
  let heard = 0;
  const radio = deps.openRadio(config, stringFlag(args, 'receiver'), log);
  radio.onAdvertisement((ad) => {
    heard++;
    if (scope === 'all' || carriesAppIdentifier(ad.data, appUuid)) recorder.add(ad);
  });
  if (scope === 'all') deps.io.err('recording every nearby device: the file holds other people\'s device addresses; delete it once the problem is solved');
  try {
    await radio.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, seconds * 1000))), deps.interrupted ?? new Promise(() => undefined)]);
    clearTimeout(timer);
  } finally {
    await radio.stop().catch(() => undefined);
    file.end();
    await once(file, 'finish');
  }
  deps.io.err(`wrote ${recorder.records} of ${heard} advertisements heard in ${seconds} s to ${out} (scope ${scope})`);
  return 0;
}
