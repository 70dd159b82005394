import { unzipSync, zipSync, type Unzipped } from 'fflate';
import { ProvkitError } from '../../errors.js';
import { baseName, extensionOf } from './naming.js';
import type { NamedFile } from './named-file.js';

/** Most entries read from one archive. */
export const MAX_ZIP_ENTRIES = 5000;
/** Most bytes one archive may expand to (a guard against zip bombs). */
export const MAX_ZIP_EXPANDED_BYTES = 256 * 1024 * 1024;

/**
 * Expands a .zip into its files (directories and hidden entries such as `__MACOSX/` are
 * skipped). Throws ProvkitError('malformed') for a damaged archive and 'oversized' beyond
 * the limits above.
 */
export function unzipFiles(archive: NamedFile): NamedFile[] {
  let entries = 0;
  let expanded = 0;
  let files: Unzipped;
  try {
    files = unzipSync(archive.bytes, {
      filter(entry) {
        entries += 1;
        expanded += entry.originalSize;
        if (entries > MAX_ZIP_ENTRIES || expanded > MAX_ZIP_EXPANDED_BYTES) {
          throw new ProvkitError('oversized', `the archive holds more than ${MAX_ZIP_ENTRIES} files or ${MAX_ZIP_EXPANDED_BYTES / 1024 / 1024} MiB; split it into smaller archives`, { file: archive.name });
        }
        const name = baseName(entry.name);
        return !entry.name.endsWith('/') && !entry.name.startsWith('__MACOSX/') && !name.startsWith('.');
      },
    });
  } catch (error) {
    if (error instanceof ProvkitError) throw error;
    throw new ProvkitError('malformed', 'the .zip archive is damaged or truncated and cannot be read', { file: archive.name }, { cause: error });
  }
  return Object.entries(files).map(([path, bytes]) => ({ name: baseName(path), bytes }));
}

/** Writes files into one .zip (deflated; names must be unique). */
export function zipFiles(files: readonly NamedFile[]): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const file of files) {
    if (file.name in entries) throw new ProvkitError('invalid-argument', `two files in the archive would both be named ${file.name}`);
    entries[file.name] = file.bytes;
  }
  return zipSync(entries, { level: 6 });
}

/** Replaces every .zip in `files` by its entries, leaving other files as they are. */
export function expandArchives(files: readonly NamedFile[]): NamedFile[] {
  return files.flatMap((file) => (extensionOf(file.name) === 'zip' ? unzipFiles(file) : [file]));
}
