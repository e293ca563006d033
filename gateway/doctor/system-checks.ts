import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { isVitrinError } from '../errors.js';
import { loadRosterKey } from '../identity/roster-key.js';
import { PACKAGE_ROOT } from '../package-root.js';
import type { ModelCheckReport } from '../scoring/manifest.js';
import type { DoctorCheck, DoctorHost } from './host.js';

// Node itself, the clock, the disk, the model package and the roster key.

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export type CheckModel = (file: string, manifestFile: string | undefined) => Promise<ModelCheckReport>;

export function runtimeCheck(host: DoctorHost): DoctorCheck {
  const { version, arch, platform } = host.node;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const detail = `Node ${version} on ${platform} ${arch}`;
  if (arch !== 'x64' && arch !== 'arm64') {
    return { id: 'runtime', status: 'fail', detail: `${detail}: ONNX Runtime ships 64-bit binaries only`, fix: 'use a 64-bit OS and Node: Raspberry Pi OS (64-bit), Debian amd64; Node from NodeSource' };
  }
  if (major < 20 || (major === 20 && minor < 12)) {
    return { id: 'runtime', status: 'fail', detail: `${detail}: Vitrin needs Node 20.12 or newer`, fix: 'install Node 20 from NodeSource: curl -fsSL https://deb.nodesource.com/setup_20.x | sudo bash - && sudo apt-get install -y nodejs' };
  }
  if (platform !== 'linux') return { id: 'runtime', status: 'warn', detail: `${detail}: Bluetooth, systemd and these checks are made for Linux` };
  return { id: 'runtime', status: 'ok', detail };
}

/** EIDs are computed from the clock: a wrong clock means members are not recognised. */
export async function clockCheck(config: Config | undefined, host: DoctorHost): Promise<DoctorCheck> {
  const { synchronised, source } = await host.clock();
  const period = 2 ** (config?.identity.rotationExponent ?? 10);
  const why = `the app's identifiers change every ${period} s and the gateway tolerates about one period of skew; a clock further off recognises nobody`;
  if (synchronised === true) return { id: 'clock', status: 'ok', detail: `synchronised (${source})` };
  if (synchronised === false) {
    return {
      id: 'clock',
      status: 'warn',
      detail: `not synchronised (${source}): ${why}`,
      fix: 'sudo timedatectl set-ntp true, let the box reach an NTP server (UDP 123; `timedatectl timesync-status`); a Raspberry Pi has no battery clock and needs network time after every boot',
    };
  }
  return {
    id: 'clock',
    status: 'warn',
    detail: `cannot tell whether the clock is synchronised (no answer from timedatectl, no /run/systemd/timesync/synchronized): ${why}`,
    fix: 'run a time sync service: sudo apt-get install systemd-timesyncd (or chrony), then `timedatectl` should say "System clock synchronized: yes"',
  };
}

function size(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / MiB)} MiB`;
}

export async function diskCheck(config: Config, host: DoctorHost): Promise<DoctorCheck> {
  const dir = resolve(config.data.dir);
  const space = await host.diskSpace(dir);
  if (space === undefined) return { id: 'disk', status: 'warn', detail: `cannot measure the free space for data.dir ${dir}` };
  const where = space.path === dir ? dir : `${dir} (not made yet; measured on ${space.path})`;
  const detail = `${size(space.freeBytes)} free of ${size(space.totalBytes)} for data.dir ${where}`;
  const fix = 'free space (sudo journalctl --vacuum-size=200M, sudo apt-get clean, old files), or move data.dir to a larger disk';
  if (space.freeBytes < 100 * MiB) return { id: 'disk', status: 'fail', detail: `${detail}: too little for the event store and its outbox`, fix };
  if (space.freeBytes < GiB || space.freeBytes < space.totalBytes * 0.05) return { id: 'disk', status: 'warn', detail: `${detail}: running low`, fix };
  return { id: 'disk', status: 'ok', detail };
}

export async function modelCheck(config: Config, checkModel: CheckModel | undefined): Promise<DoctorCheck> {
  const dir = isAbsolute(config.model.dir) ? config.model.dir : join(PACKAGE_ROOT, config.model.dir);
  const file = join(dir, 'model.onnx');
  if (checkModel === undefined) return { id: 'model', status: 'warn', detail: `this build cannot check models (no ONNX Runtime); ${file} not checked` };
  const fix = `put back the shipped package (run install.sh again) or one that passes \`vitrin model check ${file} --manifest ${join(dir, 'manifest.json')}\` in model.dir`;
  let report: ModelCheckReport;
  try {
    report = await checkModel(file, join(dir, 'manifest.json'));
  } catch (err) {
    return { id: 'model', status: 'fail', detail: `${file}: ${err instanceof Error ? err.message : String(err)}`, fix };
  }
  if (!report.ok) {
    return { id: 'model', status: 'fail', detail: `${report.code ?? 'VITRIN_ERR_MODEL_UNSUPPORTED'}: ${file}: ${report.problems.join('; ')}`, fix };
  }
  const name = report.manifest === undefined ? file : `${report.manifest.id} ${report.manifest.version}`;
  return { id: 'model', status: 'ok', detail: `${name} in ${dir}: loads and scores on ONNX Runtime` };
}

export function rosterKeyCheck(config: Config, env: NodeJS.ProcessEnv): DoctorCheck {
  let key: Buffer | undefined;
  try {
    key = loadRosterKey(env);
  } catch (err) {
    if (!isVitrinError(err)) throw err;
    return { id: 'roster.key', status: 'fail', detail: `${err.code}: ${err.message}`, fix: 'put the 64 hex digits back in /etc/vitrin/roster-key (from the backup: it must be the key the roster was imported with)' };
  }
  if (key !== undefined) return { id: 'roster.key', status: 'ok', detail: 'present and well-formed (the systemd credential roster-key, or VITRIN_ROSTER_KEY)' };
  if (config.mode === 'demo') return { id: 'roster.key', status: 'ok', detail: 'none; demo mode needs none (stored members would)' };
  return {
    id: 'roster.key',
    status: 'fail',
    detail: 'no roster key (VITRIN_ERR_ROSTER_KEY): production mode keeps identity keys encrypted and will not start without it',
    fix: "install.sh makes it; by hand: sudo sh -c 'umask 077; openssl rand -hex 32 > /etc/vitrin/roster-key' (a roster imported before needs its own key back, from the backup); run the doctor as root (sudo vitrin doctor) so it can read it",
  };
}
