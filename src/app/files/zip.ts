import { Inflate, zipSync } from 'fflate';
import { ProvkitError } from '../../errors.js';
import { MAX_INPUT_BYTES } from './io.js';
import { baseName, extensionOf } from './naming.js';
import type { NamedFile } from './named-file.js';

/** Maximum number of entries read from one archive. */
export const MAX_ZIP_ENTRIES = 5000;
/** Maximum bytes one archive may expand to (a guard against zip bombs). */
export const MAX_ZIP_EXPANDED_BYTES = 256 * 1024 * 1024;
/** Maximum size of one expanded entry: no entry may exceed a file that could be picked on its own. */
export const MAX_ZIP_ENTRY_BYTES = MAX_INPUT_BYTES;

// Compressed input is inflated in slices of this size and the output counted after each
// slice. DEFLATE expands at most about 1032:1, so one slice yields at most about 16.5 MiB,
// and a lying size field costs at most that much work beyond its limit.
const INFLATE_SLICE = 16 * 1024;

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_MARKER = 0xffffffff;

/** One entry of the central directory, as far as extraction needs it. */
interface CentralEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/**
 * Expands a .zip into its files (directories and hidden entries such as `__MACOSX/` are
 * skipped; entry paths are reduced to their last part, so `../` in a name reaches nothing).
 * Entry count and declared sizes are checked before anything is inflated, and each entry's
 * real output is counted while it inflates, so a header that understates a size is caught
 * too. Throws ProvkitError('malformed') for a damaged or encrypted archive and 'oversized'
 * beyond the limits above.
 */
export function unzipFiles(archive: NamedFile): NamedFile[] {
  const entries = readCentralDirectory(archive);
  let declared = 0;
  for (const entry of entries) {
    declared += entry.size;
    if (entry.size > MAX_ZIP_ENTRY_BYTES) throw entryTooLarge(archive, entry.name);
    if (declared > MAX_ZIP_EXPANDED_BYTES) throw archiveTooLarge(archive);
  }
  const files: NamedFile[] = [];
  for (const entry of entries) {
    const name = baseName(entry.name.replaceAll('\\', '/'));
    if (entry.name.endsWith('/') || entry.name.startsWith('__MACOSX/') || name === '' || name.startsWith('.')) continue;
    files.push({ name, bytes: extractEntry(archive, entry) });
  }
  return files;
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

function damaged(archive: NamedFile, detail: string): ProvkitError {
  return new ProvkitError('malformed', `the .zip archive is damaged or truncated and cannot be read (${detail}); create the archive again`, { file: archive.name });
}

function entryTooLarge(archive: NamedFile, entryName: string): ProvkitError {
  return new ProvkitError(
    'oversized',
    `archive entry ${entryName} expands beyond ${MAX_ZIP_ENTRY_BYTES / 1024 / 1024} MiB, far more than any provkit file; check that it is the right archive`,
    { file: archive.name, field: entryName },
  );
}

function archiveTooLarge(archive: NamedFile): ProvkitError {
  return new ProvkitError('oversized', `the archive holds more than ${MAX_ZIP_ENTRIES} files or ${MAX_ZIP_EXPANDED_BYTES / 1024 / 1024} MiB; split it into smaller archives`, { file: archive.name });
}

/**
 * Reads the central directory (PKWARE APPNOTE 6.3.10, 4.3.12 and 4.3.16):
 *   end of central directory: signature 0x06054b50, disk numbers (2 + 2), entries on this
 *     disk (2), total entries (2), directory size (4), directory offset (4), comment length (2);
 *   directory header: signature 0x02014b50, versions (2 + 2), flags (2), method (2),
 *     time and date (2 + 2), CRC-32 (4), compressed size (4), size (4), name, extra and
 *     comment lengths (2 + 2 + 2), disk (2), attributes (2 + 4), local header offset (4), name.
 * ZIP64 archives are rejected: no batch of provkit files comes near 4 GiB.
 */
function readCentralDirectory(archive: NamedFile): CentralEntry[] {
  const bytes = archive.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.length - 22;
  // The comment after the record is at most 65535 bytes.
  const lowest = Math.max(0, bytes.length - 22 - 65535);
  while (eocd >= lowest && view.getUint32(eocd, true) !== EOCD_SIGNATURE) eocd--;
  if (eocd < lowest) throw damaged(archive, 'no end of central directory record');
  const count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === ZIP64_MARKER) throw archiveTooLarge(archive);
  if (count > MAX_ZIP_ENTRIES) throw archiveTooLarge(archive);
  const decoder = new TextDecoder();
  const entries: CentralEntry[] = [];
  for (let index = 0; index < count; index++) {
    if (offset + 46 > eocd || view.getUint32(offset, true) !== CENTRAL_SIGNATURE) throw damaged(archive, `central directory entry ${index + 1}`);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    if (offset + 46 + nameLength > eocd) throw damaged(archive, `central directory entry ${index + 1}`);
    const entry: CentralEntry = {
      name: decoder.decode(bytes.subarray(offset + 46, offset + 46 + nameLength)),
      flags: view.getUint16(offset + 8, true),
      method: view.getUint16(offset + 10, true),
      crc: view.getUint32(offset + 16, true),
      compressedSize: view.getUint32(offset + 20, true),
      size: view.getUint32(offset + 24, true),
      localOffset: view.getUint32(offset + 42, true),
    };
    if (entry.compressedSize === ZIP64_MARKER || entry.size === ZIP64_MARKER || entry.localOffset === ZIP64_MARKER) throw archiveTooLarge(archive);
    entries.push(entry);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Inflates one entry from its local header (APPNOTE 4.3.7: signature 0x04034b50, then at
 * offset 26 the name and extra lengths, then the data). Stops as soon as the output passes
 * the declared size, and checks the size and CRC-32 at the end.
 */
function extractEntry(archive: NamedFile, entry: CentralEntry): Uint8Array {
  const bytes = archive.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if ((entry.flags & 1) !== 0) {
    throw new ProvkitError('malformed', `archive entry ${entry.name} is encrypted; provkit reads only unencrypted archives`, { file: archive.name, field: entry.name });
  }
  const local = entry.localOffset;
  if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL_SIGNATURE) throw damaged(archive, `local header of ${entry.name}`);
  const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw damaged(archive, `data of ${entry.name}`);
  const data = bytes.subarray(start, end);

  let output: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw damaged(archive, `size of ${entry.name}`);
    output = data.slice();
  } else if (entry.method === 8) {
    output = inflateBounded(archive, entry, data);
  } else {
    throw new ProvkitError('malformed', `archive entry ${entry.name} uses compression method ${entry.method}; provkit reads stored and deflated entries`, { file: archive.name, field: entry.name });
  }
  if (crc32(output) !== entry.crc) throw damaged(archive, `CRC-32 of ${entry.name}`);
  return output;
}

function inflateBounded(archive: NamedFile, entry: CentralEntry, data: Uint8Array): Uint8Array {
  const output = new Uint8Array(entry.size);
  let written = 0;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    if (written + chunk.length > entry.size) {
      // The header understates the size: a zip bomb's usual trick, or damage.
      throw written + chunk.length > MAX_ZIP_ENTRY_BYTES ? entryTooLarge(archive, entry.name) : damaged(archive, `size of ${entry.name}`);
    }
    output.set(chunk, written);
    written += chunk.length;
    finished = final;
  });
  try {
    for (let at = 0; at < data.length && !finished; at += INFLATE_SLICE) {
      const slice = data.subarray(at, at + INFLATE_SLICE);
      inflater.push(slice, at + INFLATE_SLICE >= data.length);
    }
  } catch (error) {
    if (error instanceof ProvkitError) throw error;
    throw damaged(archive, `data of ${entry.name}`);
  }
  if (!finished || written !== entry.size) throw damaged(archive, `size of ${entry.name}`);
  return output;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 as ZIP uses it (ISO 3309, reflected polynomial 0xEDB88320). */
function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
