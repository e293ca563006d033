import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import { timed, type Part, type Row } from '../report.js';

// Item 3: the cloud sync's own ledger test (numbered events through a cloud that fails,
// throttles, hangs and drops connections, all delivered once it recovers), run here as
// it is written; the soak runs it five times over. It belongs to the sync work: when the
// build has no such test, the row says so instead.

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
  testResults: { assertionResults: { title: string; status: string; failureMessages?: string[] }[] }[];
}

function findLedgerTests(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findLedgerTests(path));
    else if (/ledger.*\.test\.ts$/.test(name)) found.push(path);
  }
  return found;
}

function runVitest(files: readonly string[], outputFile: string): Promise<number> {
  const vitest = join(PACKAGE_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, 'run', ...files, '--reporter=json', `--outputFile=${outputFile}`], { cwd: PACKAGE_ROOT, stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

export const cloudOutage: Part = {
  id: '3',
  title: 'cloud outage',
  async run(mode) {
    const files = findLedgerTests(join(PACKAGE_ROOT, 'tests')).filter((file) => !file.includes('/reliability/'));
    if (files.length === 0) {
      return [{ id: '3', check: 'cloud outage', tried: 'the sync ledger test (tests/**/ledger*.test.ts)', happened: 'not run: sync not in this build', status: 'not run', seconds: 0 }];
    }
    const names = files.map((file) => relative(PACKAGE_ROOT, file)).join(', ');
    const rounds = mode.soak ? 5 : 1;
    const row: Row = await timed('3', 'cloud outage', `${names}, ${rounds === 1 ? 'once' : `${rounds} times`} (vitest, as the sync work wrote it)`, async () => {
      let passed = 0;
      let total = 0;
      const failures: string[] = [];
      for (let round = 1; round <= rounds; round++) {
        const output = join(mode.dir, `ledger-${round}.json`);
        const exit = await runVitest(files, output);
        if (!existsSync(output)) {
          failures.push(`round ${round}: vitest exited ${exit} without a report`);
          continue;
        }
        const report = JSON.parse(readFileSync(output, 'utf8')) as VitestReport;
        passed += report.numPassedTests;
        total += report.numTotalTests;
        for (const test of report.testResults.flatMap((r) => r.assertionResults).filter((t) => t.status === 'failed')) {
          failures.push(`${test.title}: ${(test.failureMessages?.[0] ?? '').split('\n')[0]}`);
        }
      }
      const titles = [...new Set(failures)].slice(0, 3).join('; ');
      return { happened: `${passed}/${total} ledger tests passed${failures.length > 0 ? `; ${titles}` : ''}`, status: failures.length === 0 && total > 0 ? 'pass' : 'fail' };
    });
    return [row];
  },
};
