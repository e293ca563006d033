import { eventOf, type BtsnoopCapture, type BtsnoopProblem } from './btsnoop.js';
import { ExtendedFragments } from './extended-fragments.js';
import { parseHciEvent, type AdvertisingReport } from './hci-events.js';

export interface TimedReport {
  readonly recordIndex: number;
  readonly timestampMs: number;
  readonly report: AdvertisingReport;
}

export type RecordKind = 'advertising' | 'other' | 'malformed';

export interface ReplayOutcome {
  readonly reports: number;
  readonly problem: BtsnoopProblem | undefined;
}

/** Hears what a replay feeds: every record, and every report with the member it resolved to. */
export interface ReplayObserver {
  record(kind: RecordKind, index: number): void;
  report(report: AdvertisingReport, memberId: string | undefined): void;
}

/**
 * The advertising reports in a capture, in file order, the fragments of a long extended
 * advertisement joined into one report at its last fragment (extended-fragments.ts).
 * `onRecord` hears about every record, so counts include what carries no report;
 * reading stops at the first corrupt record (the capture's `problem()` then says which).
 */
export function* captureReports(capture: BtsnoopCapture, onRecord: (kind: RecordKind, index: number) => void): Generator<TimedReport> {
  const fragments = new ExtendedFragments();
  for (const record of capture.records) {
    const event = eventOf(capture.datalink, record);
    if (event === undefined) {
      onRecord('other', record.index);
      continue;
    }
    const parsed = parseHciEvent(event.bytes, event.withIndicator);
    if (!parsed.ok) {
      onRecord('malformed', record.index);
      continue;
    }
    onRecord(parsed.reports.length === 0 ? 'other' : 'advertising', record.index);
    for (const report of parsed.reports) {
      const whole = fragments.push(report, record.timestampMs);
      if (whole !== undefined) yield { recordIndex: record.index, timestampMs: record.timestampMs, report: whole };
    }
  }
}
