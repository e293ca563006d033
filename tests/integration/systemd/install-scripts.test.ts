import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../gateway/errors.js';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import { hasSystemdAnalyze, verifyUnit } from '../../support/systemd-analyze.js';

// systemd/install.sh and uninstall.sh, run for real into a throwaway root
// (VITRIN_ROOT, like DESTDIR): the host's user database and systemd are left alone,
// and what the scripts would have run there is checked from their "skipped:" lines.
// npm ci is skipped (VITRIN_SKIP_NPM=1): it would download the production
// dependencies, which says nothing about the scripts.
//
// The package installed is a copy of this checkout's shipped files with a stand-in
// for the build (dist/gateway/bin.js), so the test needs no `npm run build`.

const work = mkdtempSync(join(tmpdir(), 'vitrin-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sourcePackage(): string {
  const src = join(work, 'src');
  for (const dir of ['systemd', 'config', 'models', 'docs']) cpSync(join(PACKAGE_ROOT, dir), join(src, dir), { recursive: true });
  for (const file of ['package.json', 'package-lock.json', '.npmrc', 'README.md']) cpSync(join(PACKAGE_ROOT, file), join(src, file));
  mkdirSync(join(src, 'dist', 'gateway'), { recursive: true });
  writeFileSync(join(src, 'dist', 'gateway', 'bin.js'), '// stand-in for the build\n');
  return src;
}
const SRC = sourcePackage();

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function script(name: 'install.sh' | 'uninstall.sh', root: string, env: Record<string, string> = {}, args: string[] = []): Run {
  const result = spawnSync('bash', [join(SRC, 'systemd', name), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: work, VITRIN_ROOT: root, VITRIN_SKIP_NPM: '1', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every file and folder under root: mode and, for files, the sha256 of the content. */
function tree(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isDirectory()) {
        entries[`${relative(root, path)}/`] = mode;
        walk(path);
      } else entries[relative(root, path)] = `${mode} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}`;
    }
  };
  walk(root);
  return entries;
}

const mode = (path: string) => (lstatSync(path).mode & 0o777).toString(8);
const NODE = realpathSync(process.execPath);

describe('systemd/install.sh into a throwaway root', () => {
  const root = join(work, 'root');

  it('installs the code, the command, a starter config, a roster key, the data folder and the unit', () => {
    const run = script('install.sh', root);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const file of ['dist/gateway/bin.js', 'config/default.yaml', 'config/examples/store.yaml', 'models/propensity/model.onnx', 'package.json', 'package-lock.json', '.npmrc', 'systemd/uninstall.sh']) {
      expect(existsSync(join(root, 'opt/vitrin', file)), file).toBe(true);
    }
    expect(readFileSync(join(root, 'etc/vitrin/config.yaml'), 'utf8')).toBe(readFileSync(join(SRC, 'config/examples/starter.yaml'), 'utf8'));
    expect(mode(join(root, 'etc/vitrin'))).toBe('750');
    expect(mode(join(root, 'etc/vitrin/config.yaml'))).toBe('640');
    expect(readFileSync(join(root, 'etc/vitrin/roster-key'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(mode(join(root, 'etc/vitrin/roster-key'))).toBe('600');
    expect(mode(join(root, 'var/lib/vitrin'))).toBe('700');
    const command = readFileSync(join(root, 'usr/local/bin/vitrin'), 'utf8');
    expect(command).toContain(`NODE=${NODE}\n`);
    expect(mode(join(root, 'usr/local/bin/vitrin'))).toBe('755');
    expect(spawnSync('sh', ['-n', join(root, 'usr/local/bin/vitrin')]).status).toBe(0);
    const unit = readFileSync(join(root, 'etc/systemd/system/vitrin.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${NODE} /opt/vitrin/dist/gateway/bin.js start --config /etc/vitrin/config.yaml\n`);
    for (const line of ['useradd --system vitrin', 'npm ci --omit=dev in /opt/vitrin', 'systemctl daemon-reload', 'systemctl enable vitrin.service', 'systemctl restart vitrin.service', 'chown root:root /etc/vitrin/roster-key']) {
      expect(run.stdout).toContain(`vitrin install: skipped: ${line}\n`);
    }
  });

  it.skipIf(!hasSystemdAnalyze())('installs a unit that systemd-analyze verifies as it stands', () => {
    expect(verifyUnit(join(root, 'etc/systemd/system/vitrin.service'))).toEqual({ status: 0, output: '' });
  });

  it('is idempotent: a second run changes nothing and keeps the store\'s edited config and its key', () => {
    appendFileSync(join(root, 'etc/vitrin/config.yaml'), '# edited by store IT\n');
    const before = tree(root);
    const run = script('install.sh', root);
    expect(run.status).toBe(0);
    expect(tree(root)).toEqual(before);
    expect(readFileSync(join(root, 'etc/vitrin/config.yaml'), 'utf8')).toContain('# edited by store IT');
    expect(run.stdout).toContain('kept the store\'s config /etc/vitrin/config.yaml');
    expect(run.stdout).toContain('kept the roster key /etc/vitrin/roster-key');
    expect(run.stdout).toContain('unit /etc/systemd/system/vitrin.service unchanged');
  });

  it('upgrades the code in place and leaves no stale file of the old version behind', () => {
    writeFileSync(join(root, 'opt/vitrin/dist/gateway/removed-in-this-version.js'), '');
    expect(script('install.sh', root).status).toBe(0);
    expect(existsSync(join(root, 'opt/vitrin/dist/gateway/removed-in-this-version.js'))).toBe(false);
    expect(readdirSync(join(root, 'opt/vitrin')).filter((name) => name.endsWith('.new'))).toEqual([]);
  });
});

describe('systemd/install.sh refuses machines it cannot serve, before changing anything', () => {
  it.each([
    ['a 32-bit Raspberry Pi OS', { VITRIN_TEST_UNAME_M: 'armv7l' }, '32-bit OS (uname -m: armv7l)'],
    ['a 64-bit kernel with a 32-bit userland', { VITRIN_TEST_UNAME_M: 'aarch64', VITRIN_TEST_LONG_BIT: '32' }, 'the OS is 32-bit (getconf LONG_BIT: 32)'],
    ['a 32-bit Node', { VITRIN_TEST_NODE_ARCH: 'arm' }, 'is a arm (32-bit) build'],
    ['Node 18', { VITRIN_TEST_NODE_VERSION: 'v18.19.0' }, 'Node 18.19.0 is too old'],
    ['Node 20 before 20.12', { VITRIN_TEST_NODE_VERSION: 'v20.11.1' }, 'Node 20.11.1 is too old'],
  ])('%s', (_name, env, reason) => {
    const root = join(work, `refused-${Object.values(env).join('-')}`);
    const run = script('install.sh', root, env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('VITRIN_ERR_INSTALL_UNSUPPORTED: ');
    expect(ERROR_CODES).toHaveProperty('VITRIN_ERR_INSTALL_UNSUPPORTED');
    expect(run.stderr).toContain(reason);
    expect(run.stderr).toMatch(/\n {2}fix: /);
    expect(existsSync(root)).toBe(false);
  });

  it('accepts Node 22 on arm64', () => {
    const run = script('install.sh', join(work, 'node22'), { VITRIN_TEST_UNAME_M: 'aarch64', VITRIN_TEST_NODE_VERSION: 'v22.11.0', VITRIN_TEST_NODE_ARCH: 'arm64' });
    expect(run.status).toBe(0);
  });
});

describe('systemd/uninstall.sh', () => {
  const root = join(work, 'uninstall');

  it('removes what install created, keeps the config, the roster key and the data, and can run twice', () => {
    expect(script('install.sh', root).status).toBe(0);
    writeFileSync(join(root, 'var/lib/vitrin/vitrin.db'), 'events');
    const key = readFileSync(join(root, 'etc/vitrin/roster-key'), 'utf8');
    const run = script('uninstall.sh', root);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('vitrin uninstall: skipped: systemctl disable --now vitrin.service\n');
    for (const gone of ['opt/vitrin', 'usr/local/bin/vitrin', 'etc/systemd/system/vitrin.service']) expect(existsSync(join(root, gone)), gone).toBe(false);
    expect(readFileSync(join(root, 'etc/vitrin/roster-key'), 'utf8')).toBe(key);
    expect(existsSync(join(root, 'etc/vitrin/config.yaml'))).toBe(true);
    expect(readFileSync(join(root, 'var/lib/vitrin/vitrin.db'), 'utf8')).toBe('events');
    expect(script('uninstall.sh', root).status).toBe(0);

    // Installing again picks the same key and config up.
    expect(script('install.sh', root).status).toBe(0);
    expect(readFileSync(join(root, 'etc/vitrin/roster-key'), 'utf8')).toBe(key);
  });

  it('--purge removes the config, the key, the data and the user too', () => {
    const run = script('uninstall.sh', root, {}, ['--purge']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('vitrin uninstall: skipped: userdel vitrin\n');
    for (const gone of ['etc/vitrin', 'var/lib/vitrin', 'opt/vitrin']) expect(existsSync(join(root, gone)), gone).toBe(false);
  });

  it('refuses an unknown argument', () => {
    const run = script('uninstall.sh', root, {}, ['--everything']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('VITRIN_ERR_CLI_USAGE');
  });
});
