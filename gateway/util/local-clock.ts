// The store's own clock: hour, weekday and date in its time zone, where shopping
// habits, quiet hours and daily caps live. Formatters are costly to make; one per zone.

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export interface LocalTime {
  readonly hour: number;
  /** Minutes since local midnight. */
  readonly minutes: number;
  /** 0 Monday to 6 Sunday. */
  readonly weekday: number;
  /** YYYY-MM-DD. */
  readonly date: string;
}

/** The last answer per zone, by minute: formatting costs tens of microseconds, and a card asks several times. */
const lastMinute = new Map<string, { minute: number; time: LocalTime }>();

export function localClock(at: number, timezone: string): LocalTime {
  const minute = Math.floor(at / 60_000);
  const cached = lastMinute.get(timezone);
  if (cached?.minute === minute) return cached.time;
  const time = format(at, timezone);
  lastMinute.set(timezone, { minute, time });
  return time;
}

function format(at: number, timezone: string): LocalTime {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
      weekday: 'short',
    });
    formatters.set(timezone, formatter);
  }
  const parts = new Map(formatter.formatToParts(at).map((p) => [p.type, p.value]));
  const hour = Number(parts.get('hour') ?? 12);
  return {
    hour,
    minutes: hour * 60 + Number(parts.get('minute') ?? 0),
    weekday: Math.max(0, WEEKDAYS.indexOf(parts.get('weekday') ?? '')),
    date: `${parts.get('year')}-${parts.get('month')}-${parts.get('day')}`,
  };
}

const HOUR_MS = 3_600_000;

/**
 * The start of the store's local hour that holds `at` (ms). In most zones that is a UTC
 * hour too; in India (+5:30), Nepal (+5:45), Newfoundland (-3:30) or Adelaide (+9:30)
 * it is not, and a summary of 09:00-10:00 UTC there would cut every local hour in two.
 */
export function localHourStart(at: number, timezone: string): number {
  const { minutes } = localClock(at, timezone);
  return at - (minutes % 60) * 60_000 - (((at % 60_000) + 60_000) % 60_000);
}

/** Every UTC offset in use is a whole number of quarter hours (Nepal's +5:45, Chatham's +12:45). */
const QUARTER_HOUR_MS = 900_000;

/**
 * The first local hour boundary (local :00) after `hourStart`: an hour later, except across
 * a clock change of half an hour (Lord Howe Island), where the period runs to the next local
 * :00 after the change, 90 minutes on. Never more than two hours on, never backwards.
 */
export function nextLocalHour(hourStart: number, timezone: string): number {
  for (let at = hourStart + QUARTER_HOUR_MS; at <= hourStart + 2 * HOUR_MS; at += QUARTER_HOUR_MS) {
    if (at - hourStart >= HOUR_MS / 2 && localClock(at, timezone).minutes % 60 === 0) return at;
  }
  return hourStart + HOUR_MS;
}
