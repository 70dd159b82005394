import { ProvkitError } from '../../errors.js';
import { validateHardwareId } from '../../provisioning/subject.js';

/** Hardware ids read from pasted text or a CSV file. */
export interface HardwareIdList {
  /** Valid ids in input order, each once. */
  ids: string[];
  /** Ids that appeared more than once (kept once in `ids`). */
  duplicates: string[];
  /** Lines that are not a valid hardware id, with the line number. */
  invalid: { line: number; value: string; message: string }[];
}

/** Header names accepted in the first column of a CSV's first line. */
const HEADER = /^(hardware[ _-]?id|serial([ _-]?number)?|hwid|id)$/i;

/**
 * Reads hardware ids, one per line: the first column when the line has commas or semicolons
 * (a CSV export), with quotes removed and a header line skipped. Blank lines and lines
 * starting with `#` are ignored.
 */
export function parseHardwareIds(text: string): HardwareIdList {
  const ids: string[] = [];
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const invalid: HardwareIdList['invalid'] = [];
  const lines = text.split(/\r\n|\n|\r/);
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const value = (trimmed.split(/[,;\t]/)[0] ?? '').trim().replace(/^"(.*)"$/, '$1').trim();
    if (index === 0 && HEADER.test(value)) return;
    try {
      validateHardwareId(value);
    } catch (error) {
      invalid.push({ line: index + 1, value, message: error instanceof ProvkitError ? error.message : String(error) });
      return;
    }
    if (seen.has(value)) {
      duplicates.push(value);
      return;
    }
    seen.add(value);
    ids.push(value);
  });
  return { ids, duplicates, invalid };
}
