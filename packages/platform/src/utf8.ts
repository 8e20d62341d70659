/**
 * UTF-8 length of `s` as a `TextEncoder` writes it (a lone surrogate becomes U+FFFD,
 * 3 bytes), without allocating its encoding.
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      // A pair: 4 bytes for its 2 units.
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/**
 * Whether `s` takes more than `maxBytes` UTF-8 bytes. Cheap for most strings: a UTF-16
 * unit takes 1 to 3 bytes, so only strings between `maxBytes / 3` and `maxBytes` units
 * are counted.
 */
export function exceedsUtf8Bytes(s: string, maxBytes: number): boolean {
  if (s.length > maxBytes) return true;
  if (s.length * 3 <= maxBytes) return false;
  return utf8Length(s) > maxBytes;
}
