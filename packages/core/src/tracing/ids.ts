// Character codes of the lowercase hex digits. An id is built in one String.fromCharCode
// call from 32-bit random words: no buffer, no hex encoding pass, no concatenated string
// to flatten later (this is most of what an unsampled root costs).
const HEX: readonly number[] = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/** 32 random bits (`Math.random`, as the OpenTelemetry SDK's own id generator). */
function word(): number {
  return (Math.random() * 0x1_0000_0000) >>> 0;
}

/** The hex digit of bits `shift`..`shift + 3` of `w`, as a character code. */
function digit(w: number, shift: number): number {
  return HEX[(w >>> shift) & 0xf] as number;
}

function hex16(a: number, b: number): string {
  // biome-ignore format: one 32-bit word per two rows of four digits
  return String.fromCharCode(
    digit(a, 28), digit(a, 24), digit(a, 20), digit(a, 16),
    digit(a, 12), digit(a, 8), digit(a, 4), digit(a, 0),
    digit(b, 28), digit(b, 24), digit(b, 20), digit(b, 16),
    digit(b, 12), digit(b, 8), digit(b, 4), digit(b, 0),
  );
}

function hex32(a: number, b: number, c: number, d: number): string {
  // biome-ignore format: one 32-bit word per two rows of four digits
  return String.fromCharCode(
    digit(a, 28), digit(a, 24), digit(a, 20), digit(a, 16),
    digit(a, 12), digit(a, 8), digit(a, 4), digit(a, 0),
    digit(b, 28), digit(b, 24), digit(b, 20), digit(b, 16),
    digit(b, 12), digit(b, 8), digit(b, 4), digit(b, 0),
    digit(c, 28), digit(c, 24), digit(c, 20), digit(c, 16),
    digit(c, 12), digit(c, 8), digit(c, 4), digit(c, 0),
    digit(d, 28), digit(d, 24), digit(d, 20), digit(d, 16),
    digit(d, 12), digit(d, 8), digit(d, 4), digit(d, 0),
  );
}

/**
 * A random W3C trace id: 32 lowercase hex digits, every bit random (so the Level 2 `random`
 * flag holds for it), never all zeros (which W3C Trace Context forbids).
 *
 * @returns a new trace id.
 */
export function randomTraceId(): string {
  const a = word();
  const b = word();
  const c = word();
  const d = word();
  return (a | b | c | d) === 0 ? randomTraceId() : hex32(a, b, c, d);
}

/**
 * A random W3C span id: 16 lowercase hex digits, never all zeros.
 *
 * @returns a new span id.
 */
export function randomSpanId(): string {
  const a = word();
  const b = word();
  return (a | b) === 0 ? randomSpanId() : hex16(a, b);
}
