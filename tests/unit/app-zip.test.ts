import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { MAX_ZIP_ENTRIES, MAX_ZIP_ENTRY_BYTES, unzipFiles } from '../../src/app/files/zip.js';

/** Offsets of the central directory header of each entry (signature 0x02014b50). */
function centralHeaders(archive: Uint8Array): number[] {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
  const offsets: number[] = [];
  for (let at = 0; at + 4 <= archive.length; at++) if (view.getUint32(at, true) === 0x02014b50) offsets.push(at);
  return offsets;
}

/** Overwrites the declared uncompressed size of every entry, in the central and the local headers. */
function declareSize(archive: Uint8Array, size: number): Uint8Array {
  const copy = archive.slice();
  const view = new DataView(copy.buffer);
  for (const central of centralHeaders(copy)) {
    view.setUint32(central + 24, size, true);
    view.setUint32(view.getUint32(central + 42, true) + 22, size, true);
  }
  return copy;
}

describe('unzipFiles limits', () => {
  it('rejects more entries than allowed before inflating', () => {
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i <= MAX_ZIP_ENTRIES; i++) entries[`SN-${i}.mcpr`] = new Uint8Array([1]);
    const archive = zipSync(entries, { level: 0 });
    expect(() => unzipFiles({ name: 'many.zip', bytes: archive })).toThrow(expect.objectContaining({ code: 'oversized', file: 'many.zip' }));
  });

  it('rejects an entry declared larger than a file', () => {
    const archive = zipSync({ 'big.mcpr': new Uint8Array(MAX_ZIP_ENTRY_BYTES + 1) }, { level: 1 });
    expect(() => unzipFiles({ name: 'big.zip', bytes: archive })).toThrow(expect.objectContaining({ code: 'oversized', file: 'big.zip', field: 'big.mcpr' }));
  });

  it('rejects 200 MiB declared in one entry', () => {
    const archive = declareSize(zipSync({ 'bomb.mcp': new Uint8Array(1024) }), 200 * 1024 * 1024);
    expect(() => unzipFiles({ name: 'bomb.zip', bytes: archive })).toThrow(expect.objectContaining({ code: 'oversized', field: 'bomb.mcp' }));
  });

  it('stops an entry whose header understates its size', () => {
    // 80 MiB of zeros deflate to about 80 kB; the headers claim 100 bytes.
    const archive = declareSize(zipSync({ 'bomb.mcp': new Uint8Array(80 * 1024 * 1024) }, { level: 9 }), 100);
    expect(archive.length).toBeLessThan(200_000);
    expect(() => unzipFiles({ name: 'liar.zip', bytes: archive })).toThrow(expect.objectContaining({ code: 'malformed', file: 'liar.zip' }));
  });

  it('rejects an entry whose CRC-32 does not match', () => {
    const archive = zipSync({ 'SN-1.mcp': new Uint8Array(64).fill(3) }, { level: 0 });
    const damaged = archive.slice();
    damaged[40] = damaged[40]! ^ 0xff;
    expect(() => unzipFiles({ name: 'crc.zip', bytes: damaged })).toThrow(expect.objectContaining({ code: 'malformed', file: 'crc.zip' }));
  });

  it('rejects an encrypted entry', () => {
    const archive = zipSync({ 'SN-1.mcp': new Uint8Array([1, 2, 3]) });
    const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
    const central = centralHeaders(archive)[0]!;
    view.setUint16(central + 8, view.getUint16(central + 8, true) | 1, true);
    expect(() => unzipFiles({ name: 'locked.zip', bytes: archive })).toThrow(expect.objectContaining({ code: 'malformed', field: 'SN-1.mcp' }));
  });
});

describe('unzipFiles names', () => {
  it('keeps only the last part of traversal paths', () => {
    const archive = zipSync({
      '../../etc/SN-1.mcpr': new Uint8Array([1]),
      '..\\..\\Windows\\SN-2.mcpr': new Uint8Array([2]),
      '/abs/SN-3.mcpr': new Uint8Array([3]),
      '../..': new Uint8Array([4]),
    });
    expect(unzipFiles({ name: 'paths.zip', bytes: archive })).toEqual([
      { name: 'SN-1.mcpr', bytes: new Uint8Array([1]) },
      { name: 'SN-2.mcpr', bytes: new Uint8Array([2]) },
      { name: 'SN-3.mcpr', bytes: new Uint8Array([3]) },
    ]);
  });

  it('reads an empty archive as no files', () => {
    expect(unzipFiles({ name: 'empty.zip', bytes: zipSync({}) })).toEqual([]);
  });
});
