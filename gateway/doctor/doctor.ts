import type { Config } from '../config/schema.js';
import { bluetoothChecks } from './bluetooth-checks.js';
import type { DoctorCheck, DoctorHost } from './host.js';
import { brokerCheck, brokerTlsCheck, cloudCheck, serviceCheck } from './network-checks.js';
import { clockCheck, diskCheck, modelCheck, rosterKeyCheck, runtimeCheck, type CheckModel } from './system-checks.js';

export interface DoctorInput {
  /** undefined when the config is invalid: only the checks that need none run. */
  readonly config: Config | undefined;
  /** The result of reading the config, made by the caller. */
  readonly configCheck: DoctorCheck;
  readonly env: NodeJS.ProcessEnv;
  readonly host: DoctorHost;
  readonly checkModel?: CheckModel | undefined;
}

/** `ok` is false when any check failed: something blocks operation. Warnings do not. */
export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
}

function defined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** Every check, in the order store IT reads them: the machine, the radio, then the network and the data. */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const { config, host, env } = input;
  const checks: DoctorCheck[] = [runtimeCheck(host), input.configCheck];
  if (config === undefined) {
    checks.push(await clockCheck(undefined, host));
  } else if (config.ble.mode === 'receiver') {
    const [clock, broker] = await Promise.all([clockCheck(config, host), brokerCheck(config, host, false)]);
    checks.push(...bluetoothChecks(config, host), clock, broker, ...[brokerTlsCheck(config, host)].filter(defined));
  } else {
    // The service first: a running gateway holds the broker's ports itself.
    const service = await serviceCheck(config, host);
    const [clock, broker, cloud, disk, model] = await Promise.all([
      clockCheck(config, host),
      brokerCheck(config, host, service.running),
      cloudCheck(config, host),
      diskCheck(config, host),
      modelCheck(config, input.checkModel),
    ]);
    checks.push(...bluetoothChecks(config, host), clock, broker, ...[brokerTlsCheck(config, host)].filter(defined), service.check, cloud, disk, model, rosterKeyCheck(config, env));
  }
  return { ok: checks.every((check) => check.status !== 'fail'), checks };
}

const LABEL = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

/** The report for a terminal: one line per check, its fix under it, and a verdict. */
export function formatReport(report: DoctorReport, heading: string): string[] {
  const width = Math.max(...report.checks.map((check) => check.id.length));
  const lines = [heading];
  for (const check of report.checks) {
    lines.push(`${LABEL[check.status]}  ${check.id.padEnd(width)}  ${check.detail}`);
    if (check.fix !== undefined && check.status !== 'ok') lines.push(`${' '.repeat(width + 8)}fix: ${check.fix}`);
  }
  const failed = report.checks.filter((check) => check.status === 'fail').length;
  const warned = report.checks.filter((check) => check.status === 'warn').length;
  const counts = `${failed} failed, ${warned} warning${warned === 1 ? '' : 's'}`;
  lines.push(failed > 0 ? `${counts}: the gateway cannot run as configured until the failures are fixed.` : `${counts}: nothing blocks operation.`);
  return lines;
}
