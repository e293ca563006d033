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
