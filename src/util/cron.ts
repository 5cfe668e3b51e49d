/**
 * Cron schedules as Kubernetes parses them (github.com/robfig/cron/v3 ParseStandard): five fields
 * (minute hour day-of-month month day-of-week), lists, ranges, steps, month/day names, `?`, the
 * descriptors @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly and `@every <duration>`,
 * an optional `TZ=`/`CRON_TZ=` prefix. Error texts are robfig's, since validation messages quote them.
 * Times are epoch ms; wall-clock fields are read in the schedule's IANA time zone (UTC by default).
 */

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const minutes: Bounds = { min: 0, max: 59 };
const hours: Bounds = { min: 0, max: 23 };
const dom: Bounds = { min: 1, max: 31 };
const months: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const dow: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** A field: the set of matching values, and whether it was written as `*`/`?` (robfig's starBit). */
interface Field {
  values: Set<number>;
  star: boolean;
}

export interface CronSchedule {
  /** IANA zone from a TZ=/CRON_TZ= prefix, if any. */
  readonly timeZone?: string;
  /** The first activation strictly after `after` (epoch ms), or undefined if none within 5 years. */
  next(after: number, timeZone?: string): number | undefined;
}

export class CronParseError extends Error {}

function mustParseInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) throw new CronParseError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number.parseInt(expr, 10);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, b: Bounds): number {
  const named = b.names?.[expr.toLowerCase()];
  return named ?? mustParseInt(expr);
}

function getRange(expr: string, b: Bounds, into: Field): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    if (single) end = b.max; // "N/step" means "N-max/step"
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) throw new CronParseError(`too many slashes: ${expr}`);
  if (start < b.min) throw new CronParseError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronParseError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) into.values.add(v);
  if (star) into.star = true;
}

function getField(text: string, b: Bounds): Field {
  const f: Field = { values: new Set(), star: false };
  for (const part of text.split(',')) getRange(part, b, f);
  return f;
}

/** A Go duration (`1h30m`, `90s`, `1.5h`) in ms, or undefined. */
function parseGoDuration(s: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^([0-9.]+(ns|us|µs|ms|s|m|h))+$/.test(s)) return s === '0' ? 0 : undefined;
  let total = 0;
  for (const m of s.matchAll(/([0-9.]+)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]!]!;
  return Number.isFinite(total) ? total : undefined;
}

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Whether Intl knows the zone (Go's time.LoadLocation). */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule; throws CronParseError with robfig/cron's message. */
export function parseCronSchedule(input: string): CronSchedule {
  let spec = input;
  if (spec.length === 0) throw new CronParseError('empty spec string');
  let timeZone: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const name = spec.slice(eq + 1, i < 0 ? undefined : i).trim();
    if (!isValidTimeZone(name) || name === '') throw new CronParseError(`provided bad location ${name}: unknown time zone ${name}`);
    timeZone = name;
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      const d = parseGoDuration(spec.slice('@every '.length).trim());
      if (d === undefined) throw new CronParseError(`failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(spec.slice(7).trim())}`);
      return everySchedule(d, timeZone);
    }
    const expanded = descriptors[spec];
    if (!expanded) throw new CronParseError(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  return specSchedule(
    {
      minute: getField(fields[0]!, minutes),
      hour: getField(fields[1]!, hours),
      dom: getField(fields[2]!, dom),
      month: getField(fields[3]!, months),
      dow: getField(fields[4]!, dow),
    },
    timeZone,
  );
}

function everySchedule(ms: number, timeZone: string | undefined): CronSchedule {
  // ConstantDelaySchedule: at least one second, whole seconds, from the next whole second.
  const delay = Math.max(1000, Math.floor(ms / 1000) * 1000);
  return { timeZone, next: (after) => Math.floor(after / 1000) * 1000 + delay };
}

interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  weekday: number; // 0 = Sunday
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallOf(t: number, tz: string): Wall {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
    formatters.set(tz, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(t)) parts[p.type] = p.value;
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday!);
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour) % 24, minute: Number(parts.minute), weekday };
}

/** The instant a wall-clock time names in `tz` (the later one when a DST gap skips it). */
function instantOf(year: number, month: number, day: number, hour: number, minute: number, tz: string): number {
  const asUTC = Date.UTC(year, month - 1, day, hour, minute);
  let guess = asUTC;
  for (let i = 0; i < 3; i++) {
    const w = wallOf(guess, tz);
    const offset = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(guess / 60_000) * 60_000;
    const next = asUTC - offset;
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

function specSchedule(f: { minute: Field; hour: Field; dom: Field; month: Field; dow: Field }, timeZone: string | undefined): CronSchedule {
  const dayMatches = (w: Wall) => {
    const d = f.dom.values.has(w.day);
    const wd = f.dow.values.has(w.weekday);
    return f.dom.star || f.dow.star ? d && wd : d || wd;
  };
  return {
    timeZone,
    next(after: number, zone?: string): number | undefined {
      const tz = timeZone ?? zone ?? 'UTC';
      // start at the next whole minute
      let t = Math.floor(after / 60_000) * 60_000 + 60_000;
      const limit = after + 5 * 366 * 86_400_000;
      while (t <= limit) {
        const w = wallOf(t, tz);
        if (!f.month.values.has(w.month)) {
          t = instantOf(w.month === 12 ? w.year + 1 : w.year, w.month === 12 ? 1 : w.month + 1, 1, 0, 0, tz);
          continue;
        }
        if (!dayMatches(w)) {
          t = instantOf(w.year, w.month, w.day + 1, 0, 0, tz);
          continue;
        }
        if (!f.hour.values.has(w.hour)) {
          const nextHour = instantOf(w.year, w.month, w.day, w.hour + 1, 0, tz);
          t = nextHour > t ? nextHour : t + 3_600_000 - (t % 3_600_000);
          continue;
        }
        if (!f.minute.values.has(w.minute)) {
          t += 60_000;
          continue;
        }
        return t;
      }
      return undefined;
    },
  };
}
