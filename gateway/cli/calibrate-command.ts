import { readFileSync } from 'node:fs';
import { captureReports } from '../ble/capture-reports.js';
import { isCapture, readBtsnoop } from '../ble/btsnoop.js';
import { advertisementOf } from '../ble/report-advertisement.js';
import { loadConfig } from '../config/load.js';
import { VitrinError } from '../errors.js';
import { createRootLogger } from '../log.js';
import type { Advertisement } from '../ports.js';
import { calibrate, type CalibrationReport } from '../presence/calibration.js';
import { stringFlag, type ParsedArgs } from './args.js';
import type { RecordDeps } from './record-command.js';

type CalibrateDeps = Omit<RecordDeps, 'openRadio'> & { readonly openRadio?: RecordDeps['openRadio'] };

const MAX_SECONDS = 600;

function fromCapture(file: string, receiverId: string): Advertisement[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_CAPTURE_READ', `cannot read ${file}`, { cause });
  }
  const capture = readBtsnoop(bytes);
  if (!isCapture(capture)) throw new VitrinError('VITRIN_ERR_CAPTURE_READ', `${file}: ${capture.reason}`);
  return [...captureReports(capture, () => undefined)].map((r) => advertisementOf(r.report, receiverId, r.timestampMs));
}

async function fromRadio(deps: CalibrateDeps, args: ParsedArgs, receiverId: string, seconds: number): Promise<Advertisement[]> {
  if (deps.openRadio === undefined) throw new VitrinError('VITRIN_ERR_BLE_SOURCE', 'this build has no radio to calibrate with; use --replay');
  const { config } = loadConfig({ file: stringFlag(args, 'config'), env: deps.env });
  const radio = deps.openRadio(config, receiverId, createRootLogger('warn', process.stderr));
  const heard: Advertisement[] = [];
  radio.onAdvertisement((ad) => heard.push(ad));
  await radio.start();
  deps.io.err(`listening on ${receiverId} for ${seconds} s: hold the reference phone, app open, 1 m from the receiver`);
  await Promise.race([new Promise((resolve) => setTimeout(resolve, seconds * 1000)), deps.interrupted ?? new Promise(() => undefined)]);
  await radio.stop();
  return heard;
}

/**
 * `vitrin calibrate --receiver <id> [--replay file] [--seconds N] [--address a]`: the RSSI
 * statistics of a reference phone at 1 m and the receivers[].rssiOffset to configure.
 * With --replay the samples come from a capture (e.g. made with vitrin record);
 * otherwise from the receiver's own adapter for N seconds (default 30).
 */
export async function calibrateCommand(args: ParsedArgs, deps: CalibrateDeps): Promise<number> {
  const receiverId = stringFlag(args, 'receiver');
  if (receiverId === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', 'vitrin calibrate needs --receiver <id>');
  const { config } = loadConfig({ file: stringFlag(args, 'config'), env: deps.env });
  const receiver = config.receivers.find((r) => r.id === receiverId);
  if (receiver === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', `no receiver "${receiverId}" in the config's receivers`);
  const seconds = Number(stringFlag(args, 'seconds') ?? '30');
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_SECONDS) throw new VitrinError('VITRIN_ERR_CLI_USAGE', `--seconds needs a number from 1 to ${MAX_SECONDS}`);
  const replay = stringFlag(args, 'replay');
  const heard = replay !== undefined ? fromCapture(replay, receiverId) : await fromRadio(deps, args, receiverId, seconds);
  const report: CalibrationReport & { currentOffset: number } = {
    ...calibrate(receiverId, heard, config.identity.appUuid.toLowerCase(), stringFlag(args, 'address')?.toLowerCase()),
    currentOffset: receiver.rssiOffset,
  };
  deps.io.out(JSON.stringify(report));
  if (report.rssiOffset !== undefined) deps.io.err(`put in config: receivers: - { id: ${receiverId}, ..., rssiOffset: ${report.rssiOffset} }`);
  return report.samples > 0 ? 0 : 1;
}
