/** Formats a byte count for people: `1.5 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Formats an ISO time as local date and time to the minute. */
export function formatTime(iso: string | Date | undefined): string {
  if (iso === undefined) return '—';
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** Splits a fingerprint into groups of four hex digits for reading aloud and comparing. */
export function groupHex(hex: string): string {
  return hex.replace(/(.{4})(?=.)/g, '$1 ');
}

// C0 and C1 controls (except tab, line feed and carriage return), the bidirectional
// formatting characters of Unicode UAX #9 (ALM, LRM, RLM, LRE to RLO, LRI to PDI), zero-width
// characters and the byte order mark. A right-to-left override in a file or system name would
// otherwise reverse the text after it in a message, and a zero-width character would make two
// names look alike.
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/gu;

/** Returns the first invisible formatting or control character of `text`, or undefined. */
export function findInvisible(text: string): string | undefined {
  return text.match(new RegExp(INVISIBLE.source, 'u'))?.[0];
}

/** Names a code point as `U+202E`. */
export function codePointName(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Returns `text` with each invisible formatting or control character shown as `[U+202E]`,
 * for names that come from files or people (system names, file names, messages quoting them).
 */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE, (char) => `[${codePointName(char)}]`);
}
