import { utf8Length } from "@groundwork/platform";
import { truncate } from "./serialize";

// The cap on a whole record (`limits.maxLineBytes`). Every part of a record is
// already bounded on its own (string length, keys, items, depth); many parts
// near their bounds can still add up to megabytes. An encoder writes the line
// as usual and asks `exceedsUtf8Bytes` (a length comparison for any line shorter than
// a third of the cap, so small lines pay nothing more); only a line over the
// cap is written again through `fitRecord`, from parts.

/** One field of a record as its format writes it. */
export interface FieldPart {
  /** What precedes the value: `,"key":` or ` key=`. */
  readonly head: string;
  /** The field's value when it is a string that may keep its beginning (not redacted), else undefined. */
  readonly value: unknown;
  /** The value as written. */
  text: string;
}

/** How a format writes a string value, and the head of the summary field. */
export interface PartFormat {
  encodeString(s: string): string;
  /** Head of the field that says how many fields were dropped (`,"…":` or ` …=`). */
  readonly summaryHead: string;
}

/** A record cut to fit: its message (raw and as written) and its fields as written. */
export interface FittedRecord {
  msg: string;
  msgText: string;
  fields: string;
}

// A summary field such as `,"…":"12 fields cut"` is at most this long; room for
// it is kept whenever there are fields, so they can always be dropped.
const SUMMARY_RESERVE = 32;

/**
 * `value` cut to keep its beginning, marked as `serialize` marks long
 * strings, and encoded in at most `room` bytes; undefined when even a short
 * beginning does not fit.
 */
function shorterString(
  value: string,
  text: string,
  room: number,
  encodeString: (s: string) => string,
): { raw: string; text: string } | undefined {
  // Bytes per kept character, from the text as written (escapes make it more than 1).
  const perChar = Math.max(1, utf8Length(text) / Math.max(1, value.length));
  // Less room for the marker `…[truncated N chars]` and the quotes.
  let keep = Math.min(value.length - 1, Math.floor((room - 32) / perChar));
  for (let attempt = 0; attempt < 4 && keep > 0; attempt++) {
    const code = value.charCodeAt(keep - 1);
    // A surrogate pair stays whole.
    const at = code >= 0xd800 && code <= 0xdbff ? keep - 1 : keep;
    const raw = truncate(value, at);
    const cut = encodeString(raw);
    const bytes = utf8Length(cut);
    if (bytes <= room) return { raw, text: cut };
    keep = Math.floor((at * room) / bytes) - 1;
  }
  return undefined;
}

/**
 * Cuts a record's fields (and, only if the rest cannot fit, its message) so
 * that `envelopeBytes` plus the message plus the fields take at most `max`
 * bytes. The largest fields go first: a string keeps its beginning, any other
 * value becomes `"[Cut: N bytes]"`; if that is not enough, whole fields are
 * dropped, largest first, and one summary field says how many.
 *
 * @param max - the cap in bytes.
 * @param envelopeBytes - bytes of everything but the message and the fields.
 * @param msg - the message as given.
 * @param encodeMsg - how the format writes the message.
 * @param parts - the fields, in order, as the format writes them (changed in place).
 * @param format - how the format writes a string and the summary field.
 * @returns the message and fields to write.
 */
export function fitRecord(
  max: number,
  envelopeBytes: number,
  msg: string,
  encodeMsg: (s: string) => string,
  parts: FieldPart[],
  format: PartFormat,
): FittedRecord {
  const sizes = parts.map((p) => utf8Length(p.head) + utf8Length(p.text));
  let fieldBytes = 0;
  for (const size of sizes) fieldBytes += size;
  let msgText = encodeMsg(msg);
  let msgBytes = utf8Length(msgText);
  // The message is cut only when the envelope, the message and a summary of
  // the fields cannot fit together.
  const reserve = parts.length > 0 ? SUMMARY_RESERVE : 0;
  if (envelopeBytes + msgBytes + reserve > max) {
    const room = max - envelopeBytes - reserve;
    const raw = truncate(msg, 0);
    const cut = shorterString(msg, msgText, room, encodeMsg) ?? { raw, text: encodeMsg(raw) };
    const bytes = utf8Length(cut.text);
    if (bytes < msgBytes) {
      msg = cut.raw;
      msgText = cut.text;
      msgBytes = bytes;
    }
  }
  const budget = max - envelopeBytes - msgBytes;
  const bySize = (a: number, b: number) => (sizes[b] as number) - (sizes[a] as number);
  const order = sizes.map((_, i) => i).sort(bySize);
  // First the values of the largest fields, all cut to one size: the largest
  // `limit` for which the fields fit (the smaller fields stay whole).
  if (fieldBytes > budget) {
    let rest = fieldBytes;
    let limit = 0;
    for (let k = 1; k <= order.length; k++) {
      rest -= sizes[order[k - 1] as number] as number;
      limit = Math.floor((budget - rest) / k);
      if (k === order.length || (sizes[order[k] as number] as number) <= limit) break;
    }
    for (const i of order) {
      const size = sizes[i] as number;
      if (size <= limit) break;
      const part = parts[i] as FieldPart;
      const headBytes = utf8Length(part.head);
      const room = limit - headBytes;
      const text =
        (typeof part.value === "string" && room > 0
          ? shorterString(part.value, part.text, room, format.encodeString)?.text
          : undefined) ?? format.encodeString(`[Cut: ${utf8Length(part.text)} bytes]`);
      const next = headBytes + utf8Length(text);
      if (next < size) {
        part.text = text;
        fieldBytes += next - size;
        sizes[i] = next;
      }
    }
  }
  // Then whole fields, largest first, leaving room for the summary.
  const dropped = new Set<number>();
  if (fieldBytes > budget) {
    for (const i of order.sort(bySize)) {
      if (fieldBytes + SUMMARY_RESERVE <= budget) break;
      dropped.add(i);
      fieldBytes -= sizes[i] as number;
    }
  }
  let fields = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as FieldPart;
    // A field of the summary's name (a call's "N more keys") would be written twice.
    if (dropped.size > 0 && part.head === format.summaryHead) dropped.add(i);
    if (!dropped.has(i)) fields += part.head + part.text;
  }
  if (dropped.size > 0) {
    fields += format.summaryHead + format.encodeString(`${dropped.size} fields cut`);
  }
  return { msg, msgText, fields };
}
