// What the suite prints: one markdown row per check, with what was tried and what
// happened in numbers. A row fails the run only when its check fails; a check that could
// not run (the soak, outside its manual mode) is shown as such.

export type Status = 'pass' | 'fail' | 'not run';

export interface Row {
  /** The item number and a letter for its parts: 1a, 6c. */
  readonly id: string;
  readonly check: string;
  readonly tried: string;
  readonly happened: string;
  readonly status: Status;
  readonly seconds: number;
}

export interface Mode {
  readonly soak: boolean;
  /** Where every part keeps its throwaway files. */
  readonly dir: string;
  progress(line: string): void;
}

/** One part of the suite: runs its checks and says what happened, never throws for a failed check. */
export interface Part {
  readonly id: string;
  readonly title: string;
  readonly inSoakOnly?: boolean;
  run(mode: Mode): Promise<Row[]>;
}

const LABEL: Record<Status, string> = { pass: 'PASS', fail: '**FAIL**', 'not run': 'not run' };

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| # | check | what was tried | what happened | result | time |', '| --- | --- | --- | --- | --- | --- |'];
  for (const row of rows) {
    lines.push(`| ${row.id} | ${cell(row.check)} | ${cell(row.tried)} | ${cell(row.happened)} | ${LABEL[row.status]} | ${row.seconds.toFixed(1)} s |`);
  }
  return lines.join('\n');
}

/** Times a check and turns an unexpected exception into a failed row, so one broken part never hides the others. */
export async function timed(id: string, check: string, tried: string, body: () => Promise<{ happened: string; status: Status }>): Promise<Row> {
  const started = performance.now();
  try {
    const { happened, status } = await body();
    return { id, check, tried, happened, status, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { id, check, tried, happened: `the check itself broke: ${reason}`, status: 'fail', seconds: (performance.now() - started) / 1000 };
  }
}

export const count = (n: number) => n.toLocaleString('en-US');

export function verdict(ok: boolean): Status {
  return ok ? 'pass' : 'fail';
}
