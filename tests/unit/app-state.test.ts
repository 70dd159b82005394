import { describe, expect, it } from 'vitest';
import { parseHardwareIds } from '../../src/app/state/hardware-ids.js';
import { fileNameFor, extensionOf, baseName, batchName } from '../../src/app/files/naming.js';
import { unzipFiles, zipFiles, expandArchives } from '../../src/app/files/zip.js';
import { zipSync } from 'fflate';

describe('parseHardwareIds', () => {
  it('reads one id per line, skipping blanks and comments', () => {
    expect(parseHardwareIds('SN-1\n\n# spare units\nSN-2\r\nSN-3\n')).toEqual({ ids: ['SN-1', 'SN-2', 'SN-3'], duplicates: [], invalid: [] });
  });

  it('takes the first CSV column and skips the header', () => {
    const csv = 'hardwareId,site\n"SN-10",Berlin\nSN-11;Paris\nSN-10,again\n';
    expect(parseHardwareIds(csv)).toEqual({ ids: ['SN-10', 'SN-11'], duplicates: ['SN-10'], invalid: [] });
  });

  it('reports invalid ids with their line', () => {
    const result = parseHardwareIds('SN-1\nhas space\n' + 'x'.repeat(37));
    expect(result.ids).toEqual(['SN-1']);
    expect(result.invalid.map((entry) => [entry.line, entry.value])).toEqual([[2, 'has space'], [3, 'x'.repeat(37)]]);
  });
});

describe('file naming', () => {
  it('names files after the hardware id and type', () => {
    expect(fileNameFor('SN-0042', 'mcpr')).toBe('SN-0042.mcpr');
    expect(fileNameFor('00:1b:63:84:45:e6', 'mcp')).toBe('00_1b_63_84_45_e6.mcp');
    expect(fileNameFor('..hidden', 'mcpi')).toBe('_hidden.mcpi');
    expect(() => fileNameFor('  ', 'mcpr')).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });

  it('splits names and paths', () => {
    expect(extensionOf('SN-1.MCPR')).toBe('mcpr');
    expect(extensionOf('.hidden')).toBe('');
    expect(baseName('batch/out/SN-1.mcp')).toBe('SN-1.mcp');
    expect(batchName('requests', 'zip', new Date('2026-05-06T07:08:09Z'))).toBe('provkit-requests-20260506-0708.zip');
  });
});

describe('zip files', () => {
  it('round-trips files through an archive', () => {
    const files = [
      { name: 'SN-1.mcpr', bytes: new Uint8Array([1, 2, 3]) },
      { name: 'SN-2.mcpr', bytes: new Uint8Array(1000).fill(7) },
    ];
    const archive = zipFiles(files);
    expect(unzipFiles({ name: 'batch.zip', bytes: archive })).toEqual(files);
  });

  it('drops folders and hidden entries and flattens paths', () => {
    const archive = zipSync({ 'out/': new Uint8Array(), 'out/SN-1.mcp': new Uint8Array([5]), '__MACOSX/out/._SN-1.mcp': new Uint8Array([0]), 'out/.DS_Store': new Uint8Array([0]) });
    expect(expandArchives([{ name: 'p.zip', bytes: archive }, { name: 'SN-2.mcp', bytes: new Uint8Array([6]) }])).toEqual([
      { name: 'SN-1.mcp', bytes: new Uint8Array([5]) },
      { name: 'SN-2.mcp', bytes: new Uint8Array([6]) },
    ]);
  });

  it('rejects a truncated archive and a duplicate name', () => {
    const archive = zipFiles([{ name: 'a.mcp', bytes: new Uint8Array(50).fill(1) }]);
    expect(() => unzipFiles({ name: 'cut.zip', bytes: archive.subarray(0, archive.length - 10) })).toThrow(expect.objectContaining({ code: 'malformed', file: 'cut.zip' }));
    expect(() => zipFiles([{ name: 'a', bytes: new Uint8Array() }, { name: 'a', bytes: new Uint8Array() }])).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});
