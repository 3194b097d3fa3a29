// When the staff session warning opens, and which one (pure: no page, no clock of its own).
//
// The server says how long the session lasts (seconds left before the idle limit and the absolute
// limit, and the limits themselves); this module decides. The idle warning opens two minutes
// before the idle end, or at a fifth of the idle limit if that is shorter, and "Continue" can
// renew it. The absolute limit cannot be renewed, so its warning opens earlier (ten minutes, or
// a fifth of the limit), leaving time to save what is being written.

const IDLE_LEAD_S = 120;
const ABSOLUTE_LEAD_S = 600;
const LEAD_SHARE = 0.2;

/** Seconds before the idle end that its warning opens. */
export function idleLead(idleLimitSeconds) {
  return Math.min(IDLE_LEAD_S, LEAD_SHARE * idleLimitSeconds);
}

/** Seconds before the absolute end that its warning opens. */
export function absoluteLead(absoluteLimitSeconds) {
  return Math.min(ABSOLUTE_LEAD_S, LEAD_SHARE * absoluteLimitSeconds);
}

/**
 * What the page shows with this much time left: {kind, seconds} where kind is "ended", "idle"
 * (renewable), "absolute" (not) or null (nothing yet), seconds the time shown; and wakeIn, the
 * seconds until this answer may change when nothing happens.
 */
export function decide({ idle, absolute, idleLimit, absoluteLimit }) {
  const ends = Math.min(idle, absolute);
  if (ends <= 0) return { kind: "ended", seconds: 0, wakeIn: 0 };
  const toIdleWarning = idle - idleLead(idleLimit);
  const toAbsoluteWarning = absolute - absoluteLead(absoluteLimit);
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
