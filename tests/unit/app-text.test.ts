import { describe, expect, it } from 'vitest';
import { findInvisible, visibleText } from '../../src/app/format.js';
import { checkSystemName } from '../../src/app/state/system-name.js';

describe('visibleText', () => {
  it('shows bidirectional overrides and isolates as code points', () => {
    expect(visibleText('Infusion \u202Etxt.exe')).toBe('Infusion [U+202E]txt.exe');
    expect(visibleText('a\u2066b\u2069c\u200Fd')).toBe('a[U+2066]b[U+2069]c[U+200F]d');
  });

  it('shows controls and zero-width characters but keeps line breaks and tabs', () => {
    expect(visibleText('SN\u0000-1\u200B\uFEFF')).toBe('SN[U+0000]-1[U+200B][U+FEFF]');
    expect(visibleText('line 1\nline 2\tend\r')).toBe('line 1\nline 2\tend\r');
  });

  it('leaves markup and ordinary Unicode as they are', () => {
    expect(visibleText('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
    expect(visibleText('Prüfstand שלום 工厂')).toBe('Prüfstand שלום 工厂');
    expect(findInvisible('Prüfstand שלום')).toBeUndefined();
  });
});

describe('checkSystemName', () => {
  it('rejects an override character with its code point', () => {
    expect(() => checkSystemName('Plant \u202Eevil')).toThrow(expect.objectContaining({ code: 'invalid-argument', message: 'the system name contains the invisible character U+202E; type the name again without it' }));
  });

  it('rejects an empty name', () => {
    expect(() => checkSystemName('   ')).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });

  it('accepts names with markup characters and scripts', () => {
    expect(() => checkSystemName('<b>Plant</b> שלום')).not.toThrow();
  });
});
