import { describe, expect, it } from 'vitest';
import { localClock, localHourStart, nextLocalHour } from '../../gateway/util/local-clock.js';

// Hourly summaries follow the store's clock. Offsets and clock changes below are the IANA
// time zone database's, as Node's ICU carries it.

const utc = (h: number, m = 0, day = 23, month = 10) => Date.UTC(2026, month, day, h, m);

describe('local hours', () => {
  it('is the UTC hour where the offset is whole hours', () => {
    expect(localHourStart(utc(11, 37), 'Europe/Istanbul')).toBe(utc(11));
    expect(nextLocalHour(utc(11), 'Europe/Istanbul')).toBe(utc(12));
  });

  it('starts at local :00 in a half-hour zone (India, +5:30) and a 45-minute one (Nepal, +5:45)', () => {
    // 08:40 UTC is 14:10 in Kolkata: its hour began at 14:00 local, 08:30 UTC.
    expect(localHourStart(utc(8, 40), 'Asia/Kolkata')).toBe(utc(8, 30));
    expect(localHourStart(utc(8, 20), 'Asia/Kolkata')).toBe(utc(7, 30));
    expect(localClock(localHourStart(utc(8, 40), 'Asia/Kolkata'), 'Asia/Kolkata').minutes % 60).toBe(0);
    expect(localHourStart(utc(8, 40), 'Asia/Kathmandu')).toBe(utc(8, 15));
    expect(nextLocalHour(utc(8, 15), 'Asia/Kathmandu')).toBe(utc(9, 15));
  });

  it('drops seconds and milliseconds too', () => {
    expect(localHourStart(utc(8, 40) + 12_345, 'Asia/Kolkata')).toBe(utc(8, 30));
  });

  it('gives an hour of 23 or 25 local-clock hours across daylight saving in Berlin, and always moves forward', () => {
    // 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    const beforeSpring = Date.UTC(2026, 2, 29, 0, 0); // 01:00 CET
    expect(nextLocalHour(beforeSpring, 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 1, 0)); // 03:00 CEST
    // 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:00-03:00 local happens twice.
    const firstTwo = Date.UTC(2026, 9, 25, 0, 0); // 02:00 CEST
    expect(nextLocalHour(firstTwo, 'Europe/Berlin')).toBe(Date.UTC(2026, 9, 25, 1, 0)); // 02:00 CET
  });

  it('makes a half-hour clock change (Lord Howe Island) one 90-minute period, every boundary at local :00', () => {
    const tz = 'Australia/Lord_Howe';
    // 5 April 2026, 02:00 +11 becomes 01:30 +10:30; 4 October 2026, 02:00 +10:30 becomes 02:30 +11.
    for (const from of [Date.UTC(2026, 3, 4, 10, 0), Date.UTC(2026, 9, 3, 10, 30)]) {
      let hour = localHourStart(from, tz);
      const lengths: number[] = [];
      for (let i = 0; i < 12; i++) {
        const next = nextLocalHour(hour, tz);
        expect(localClock(next, tz).minutes % 60).toBe(0);
        lengths.push((next - hour) / 60_000);
        hour = next;
      }
      expect(lengths.filter((l) => l !== 60)).toEqual([90]);
    }
  });

  it('moves a boundary left off the hour (a summary written under the old UTC rule, in India) to the next local :00', () => {
    expect(nextLocalHour(utc(8, 0), 'Asia/Kolkata')).toBe(utc(8, 30)); // 13:30 local to 14:00
  });
});
