import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../gateway/cli/vitrin.js';
import { startGateway } from '../../../gateway/main.js';
import { storeCapture } from '../../support/store-capture.js';

// `vitrin replay` runs the real gateway (embedded broker, SQLite, ONNX model,
// pipeline) on a capture written by the project's btsnoop writer.

const dir = mkdtempSync(join(tmpdir(), 'vitrin-replay-test-'));
const capture = storeCapture({ seconds: 20 });
const file = join(dir, 'store.btsnoop');
writeFileSync(file, capture.bytes);

async function replay(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['replay', ...argv], { startGateway, env: {}, io: { out: (l) => out.push(l), err: (l) => err.push(l) } });
  return { code, out, err };
}

const replayDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith('vitrin-replay-') && !name.startsWith('vitrin-replay-test-'));

describe('vitrin replay', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--max --summary prints one JSON object with the counts the capture holds', async () => {
    const before = new Set(replayDirs());
    const result = await replay([file, '--max', '--summary']);
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.out).toHaveLength(1);
    const summary = JSON.parse(result.out[0]!) as Record<string, unknown>;
    expect(summary).toMatchObject({
      records: capture.records,
      advertisingReports: capture.reports.length,
      legacyReports: capture.reports.filter((r) => r.kind === 'legacy').length,
      extendedReports: capture.reports.filter((r) => r.kind === 'extended').length,
      addresses: new Set(capture.reports.map((r) => r.address)).size,
      members: 3,
      dropped: capture.reports.filter((r) => r.memberId === undefined).length,
    });
    expect(summary['frames']).toMatchObject({ 'eddystone-eid': expect.any(Number), ibeacon: expect.any(Number), altbeacon: expect.any(Number) });
    // The sandbox's data directory is gone: nothing replayed stays on disk.
    expect(replayDirs().filter((d) => !before.has(d))).toEqual([]);
  });

  it('replays the good part of a truncated capture and names the damaged record', async () => {
    const cut = join(dir, 'cut.btsnoop');
    writeFileSync(cut, capture.bytes.subarray(0, capture.bytes.length - 10));
    const result = await replay([cut, '--max', '--summary']);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.out[0]!) as { advertisingReports: number; problem: { index: number; reason: string } };
    expect(summary.advertisingReports).toBe(capture.reports.length - 1);
    expect(summary.problem).toEqual({ index: capture.records - 1, reason: expect.stringContaining('is cut short') });
  });

  it('refuses a file that is not a capture with VITRIN_ERR_CAPTURE_READ', async () => {
    const bogus = join(dir, 'notes.txt');
    writeFileSync(bogus, 'not a capture at all');
    const result = await replay([bogus, '--max', '--summary']);
    expect(result.code).toBe(1);
    expect(result.err[0]).toMatch(/^VITRIN_ERR_CAPTURE_READ: .*not a btsnoop file/);
  });

  it('refuses --speed with --max, and a speed that is not a positive number', async () => {
    expect((await replay([file, '--max', '--speed', '2'])).code).toBe(2);
    expect((await replay([file, '--speed', '-1'])).err[0]).toContain('--speed needs a number above 0');
  });
});
