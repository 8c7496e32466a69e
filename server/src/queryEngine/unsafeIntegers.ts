/**
 * Whole numbers in a JSON text that JavaScript numbers cannot hold exactly (above 2^53 − 1): JSON.parse
 * rounds them without a word, so a result built from them says so instead.
 */

export interface UnsafeIntegers {
  count: number;
  /** The first one as written in the text. */
  example: string | undefined;
}

const SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER).length;

/** Scans number tokens outside strings; a number with a fraction or exponent is not a count and is left alone. */
export function unsafeIntegersIn(json: string): UnsafeIntegers {
  const found: UnsafeIntegers = { count: 0, example: undefined };
  let index = 0;
  const length = json.length;
  while (index < length) {
    const char = json.charCodeAt(index);
    if (char === 0x22) {
      // A string: skip to its closing quote, past escapes.
      index++;
      while (index < length) {
        const inner = json.charCodeAt(index);
        if (inner === 0x5c) index += 2;
        else if (inner === 0x22) break;
        else index++;
      }
      index++;
      continue;
    }
    if (char === 0x2d || (char >= 0x30 && char <= 0x39)) {
      const start = index;
      index++;
      while (index < length && /[0-9.eE+-]/.test(json[index])) index++;
      const token = json.slice(start, index);
      const digits = token.startsWith('-') ? token.slice(1) : token;
      if (/^\d+$/.test(digits) && digits.length >= SAFE_DIGITS && BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER)) {
        found.count++;
        found.example ??= token;
      }
      continue;
    }
    index++;
  }
  return found;
}
