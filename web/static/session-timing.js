// When the staff session warning opens, and which one (pure: no page, no clock of its own).
//
// The server says how long the session lasts (seconds left before the idle end and the absolute
// end) and how long before each its warning opens (server/people/session_rules.py); this module
// decides. The idle warning can be renewed ("Continue"); the absolute one cannot.

/**
 * What the page shows with this much time left: {kind, seconds} where kind is "ended", "idle"
 * (renewable), "absolute" (not) or null (nothing yet), seconds the time shown; and wakeIn, the
 * seconds until this answer may change when nothing happens.
 */
export function decide({ idle, absolute, idleWarning, absoluteWarning }) {
  const ends = Math.min(idle, absolute);
  if (ends <= 0) return { kind: "ended", seconds: 0, wakeIn: 0 };
  const toIdleWarning = idle - idleWarning;
  const toAbsoluteWarning = absolute - absoluteWarning;
  // The idle end comes first and is near: "Continue" helps, so offer it.
  if (idle < absolute && toIdleWarning <= 0) return { kind: "idle", seconds: idle, wakeIn: idle };
  if (toAbsoluteWarning <= 0) {
    return { kind: "absolute", seconds: absolute, wakeIn: Math.min(Math.max(0, toIdleWarning), absolute) };
  }
  return { kind: null, seconds: ends, wakeIn: Math.max(0, Math.min(toIdleWarning, toAbsoluteWarning)) };
}

/**
 * The time left in words, in the page's language: whole minutes (rounded up) from a minute on,
 * seconds below it. Intl's unit names, so no plural rules are copied here.
 */
export function spoken(seconds, language) {
  const long = (unit, value) =>
    new Intl.NumberFormat(language, { style: "unit", unit, unitDisplay: "long" }).format(value);
  const whole = Math.max(0, Math.ceil(seconds));
  return whole >= 60 ? long("minute", Math.ceil(whole / 60)) : long("second", whole);
}
