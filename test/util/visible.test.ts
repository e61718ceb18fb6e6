/**
 * The one function every surface uses to show request text: invisible, reordering and
 * look-alike-space characters are written out, everything else is left exactly as it is.
 */
import { describe, expect, test } from 'vitest';
import stringWidth from 'string-width';
import { charWidth, displayWidth, hasInvisible, visibleDeep, visibleText } from '../../src/util/visible.js';

describe('visibleText', () => {
  test('a bidi override cannot make a command read differently: it is written out', () => {
    // "rm -rf /tmp/<RLO>gpj.exe" displays as "rm -rf /tmp/exe.jpg" in a bidi-aware renderer
    expect(visibleText('rm -rf /tmp/\u202egpj.exe')).toBe('rm -rf /tmp/<U+202E>gpj.exe');
    for (const cp of [0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x2066, 0x2067, 0x2068, 0x2069, 0x061c])
      expect(visibleText(String.fromCodePoint(cp))).toBe(`<U+${cp.toString(16).toUpperCase().padStart(4, '0')}>`);
  });

  test('zero-width, tag, variation-selector and blank-letter characters are written out', () => {
    const cases: [string, string][] = [
      ['\u200b', '<U+200B>'],
      ['\u200d', '<U+200D>'],
      ['\u2060', '<U+2060>'],
      ['\ufeff', '<U+FEFF>'],
      ['\u00ad', '<U+00AD>'],
      ['\u{e0041}', '<U+E0041>'],
      ['\ufe0f', '<U+FE0F>'],
      ['\u3164', '<U+3164>'],
      ['\u2800', '<U+2800>'],
      ['\u034f', '<U+034F>'],
    ];
    for (const [input, shown] of cases) expect(visibleText(`a${input}b`)).toBe(`a${shown}b`);
  });

  test('spaces that pass for a plain space, line separators and control characters are written out', () => {
    expect(visibleText('rm\u00a0-rf')).toBe('rm<U+00A0>-rf');
    expect(visibleText('a\u2003b\u3000c')).toBe('a<U+2003>b<U+3000>c');
    expect(visibleText('a\u2028b')).toBe('a<U+2028>b');
    expect(visibleText('printf \u001b[2J\r\u0085')).toBe('printf <U+001B>[2J<U+000D><U+0085>');
  });

  test('ordinary text is untouched: spaces, newlines, tabs, accents, CJK, emoji', () => {
    const plain = 'echo "héllo wörld" \t日本語 ✅ 🔒\nnext line';
    expect(visibleText(plain)).toBe(plain);
    expect(hasInvisible(plain)).toBe(false);
    expect(hasInvisible('x\u202ey')).toBe(true);
  });

  test('visibleDeep reaches every string of a payload, keys included', () => {
    expect(visibleDeep({ a: ['x\u202e', 1, null], 'k\u200b': { b: 'y' } })).toEqual({
      a: ['x<U+202E>', 1, null],
      'k<U+200B>': { b: 'y' },
    });
  });
});

describe('displayWidth: terminal columns, as the TUI lays text out', () => {
  test('CJK, kana, Hangul, fullwidth forms and emoji take two columns; combining marks none', () => {
    expect(displayWidth('rm -rf /')).toBe(8);
    expect(displayWidth('削除')).toBe(4);
    expect(displayWidth('カタカナ')).toBe(8);
    expect(displayWidth('한국어')).toBe(6);
    expect(displayWidth('ＡＢＣ')).toBe(6);
    expect(displayWidth('🚀')).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(charWidth('a')).toBe(1);
    expect(charWidth('中')).toBe(2);
  });

  test('agrees with string-width (what Ink measures with) on mixed text', () => {
    const samples = [
      'kubectl delete ns 生产环境',
      'psql -c "DROP TABLE 顧客"',
      '데이터베이스 삭제 --force',
      'ｆｕｌｌｗｉｄｔｈ and half',
      'deploy 🚀 to prod ✅',
      'café naïve Ångström',
      'Ελληνικά кириллица עברית',
    ];
    for (const s of samples) expect({ s, w: displayWidth(s) }).toEqual({ s, w: stringWidth(s) });
  });
});
