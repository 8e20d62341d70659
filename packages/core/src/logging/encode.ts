import { exceedsUtf8Bytes, utf8Length } from "@groundwork/platform";
import type { Span } from "@opentelemetry/api";
import type { LogLevel } from "./levels";
import { type FieldPart, fitRecord, type PartFormat } from "./line-limit";
import {
  fieldValueJson,
  quoteJson,
  type SerializeOptions,
  serializeJson,
  truncate,
} from "./serialize";
import type { LogRecord } from "./sinks";
import { emptyFields, type JsonMember, type LogFields, type LogRoot, type LogState } from "./state";

// Encoding one record: JSON lines, text lines, records for record sinks and
// span-event attributes. Field JSON is cached per log (see LogState).

const RESERVED = new Set([
  "ts",
  "level",
  "msg",
  "trace_id",
  "span_id",
  "trace_flags",
  "service",
  "version",
]);

/** W3C trace flags as two hex digits: `"01"` when sampled, `"00"` when not. */
function flagsHex(flags: number): string {
  return (flags & 0xff).toString(16).padStart(2, "0");
}

let lastMs = -1;
let lastIso = "";
// `YYYY-MM-DDTHH:MM:` of the minute starting at `minuteStart`: within it, a timestamp is
// that prefix and the seconds and milliseconds, written without a Date.
let minuteStart = Number.NaN;
let minutePrefix = "";

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}

/** `ms` as RFC 3339 UTC with milliseconds, as `new Date(ms).toISOString()` writes it. */
function isoTime(ms: number): string {
  if (ms === lastMs) return lastIso;
  // Truncated, as the Date constructor does with a fractional time.
  const whole = Math.trunc(ms);
  const offset = whole - minuteStart;
  if (offset >= 0 && offset < 60_000) {
    lastIso = `${minutePrefix}${pad2(Math.floor(offset / 1000))}.${pad3(offset % 1000)}Z`;
  } else {
    lastIso = new Date(ms).toISOString();
    minuteStart = Math.floor(whole / 60_000) * 60_000;
    minutePrefix = lastIso.slice(0, lastIso.length - 7);
  }
  lastMs = ms;
  return lastIso;
}

// Distinct key names whose prefixes a root caches; keys beyond are computed each time.
const MAX_CACHED_MEMBERS = 4096;

function memberOf(root: LogRoot, key: string): JsonMember {
  let member = root.members.get(key);
  if (member === undefined) {
    const redact = root.serialize.redact;
    member = {
      prefix: `,${quoteJson(RESERVED.has(key) ? `fields.${key}` : key)}:`,
      redacted: redact?.has(key.toLowerCase()) === true,
    };
    if (root.members.size < MAX_CACHED_MEMBERS) root.members.set(key, member);
  }
  return member;
}

// Primitives, the common case, skip the general serialiser.
function valueJson(v: unknown, s: SerializeOptions): string {
  switch (typeof v) {
    case "string":
      return v.length <= s.limits.maxStringLength ? quoteJson(v) : serializeJson(v, s);
    case "number":
      return Number.isFinite(v) ? String(v) : `"${String(v)}"`;
    case "boolean":
      return v ? "true" : "false";
    default:
      return serializeJson(v, s);
  }
}

function jsonMembers(fields: LogFields, root: LogRoot): string {
  let out = "";
  const s = root.serialize;
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined) continue;
    const member = memberOf(root, key);
    out += member.prefix + (member.redacted ? quoteJson(s.redactWith) : valueJson(v, s));
  }
  return out;
}

function fieldsJson(state: LogState): string {
  state.json ??= jsonMembers(state.fields, state.root);
  return state.json;
}

/** The call's fields as JSON members, or null when one shadows a log field (the slow, merging path). */
function callFieldsJson(state: LogState, fields: LogFields): string | null {
  for (const key in fields) if (key in state.fields) return null;
  return jsonMembers(fields, state.root);
}

/** The log's fields with the call's over them. A getter that throws propagates (the caller retries with a safe copy). */
export function mergedFields(state: LogState, fields: LogFields | undefined): LogFields {
  const merged = emptyFields();
  for (const key in state.fields) merged[key] = state.fields[key];
  if (fields) for (const key in fields) merged[key] = fields[key];
  return merged;
}

export function jsonLine(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span | undefined,
  time: number,
): string {
  const root = state.root;
  let line = `{"ts":"${isoTime(time)}","level":"${level}","msg":${quoteJson(msg)}`;
  if (fields === undefined) line += fieldsJson(state);
  else {
    const call = callFieldsJson(state, fields);
    line +=
      call === null ? jsonMembers(mergedFields(state, fields), root) : fieldsJson(state) + call;
  }
  if (span !== undefined) line += traceJson(span);
  line = `${line + root.serviceJson}}`;
  return exceedsUtf8Bytes(line, root.serialize.limits.maxLineBytes)
    ? cutJsonLine(state, level, msg, fields, span, time)
    : line;
}

function traceJson(span: Span): string {
  const sc = span.spanContext();
  return `,"trace_id":"${sc.traceId}","span_id":"${sc.spanId}","trace_flags":"${flagsHex(sc.traceFlags)}"`;
}

// A record over `maxLineBytes` is written again from its parts (see line-limit.ts).

function jsonFormat(root: LogRoot): PartFormat {
  return { encodeString: quoteJson, summaryHead: memberOf(root, "…").prefix };
}

/**
 * Fields as JSON members, as a JSON line writes them (reserved keys renamed)
 * or, for records, as `serializeJson` writes an object (keys as they are,
 * functions and symbols left out).
 */
function jsonParts(fields: LogFields, root: LogRoot, record: boolean): FieldPart[] {
  const s = root.serialize;
  const parts: FieldPart[] = [];
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined) continue;
    if (record && (typeof v === "function" || typeof v === "symbol")) continue;
    const member = record
      ? { prefix: `,${quoteJson(key)}:`, redacted: s.redact?.has(key.toLowerCase()) === true }
      : memberOf(root, key);
    parts.push(
      member.redacted
        ? { head: member.prefix, value: undefined, text: quoteJson(s.redactWith) }
        : { head: member.prefix, value: v, text: record ? serializeJson(v, s) : valueJson(v, s) },
    );
  }
  return parts;
}

function cutJsonLine(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span | undefined,
  time: number,
): string {
  const root = state.root;
  const s = root.serialize;
  const before = `{"ts":"${isoTime(time)}","level":"${level}","msg":`;
  const after = `${span === undefined ? "" : traceJson(span)}${root.serviceJson}}`;
  const parts = jsonParts(mergedFields(state, fields), root, false);
  const fit = fitRecord(
    s.limits.maxLineBytes,
    utf8Length(before) + utf8Length(after),
    msg,
    quoteJson,
    parts,
    jsonFormat(root),
  );
  root.stats.oversized++;
  return before + fit.msgText + fit.fields + after;
}

const TEXT_LEVEL: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO ",
  warn: "WARN ",
  error: "ERROR",
  fatal: "FATAL",
};

// Characters that could end or rewrite a terminal line: C0 controls, DEL, C1
// controls (NEL among them) and the Unicode line and paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const TEXT_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const TEXT_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(c: string): string {
  return TEXT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** `s` with every line-breaking or control character written as an escape, so one record stays one line. */
export function escapeText(s: string): string {
  TEXT_UNSAFE.lastIndex = 0;
  return TEXT_UNSAFE.test(s) ? s.replace(TEXT_UNSAFE, escapeChar) : s;
}

// A bare word, or JSON-quoted when it is empty or holds space, `=`, quote or backslash.
function textWord(s: string): string {
  return s.length > 0 && !/[\s"=\\]/.test(s) ? escapeText(s) : escapeText(quoteJson(s));
}

function textString(value: string, s: SerializeOptions): string {
  const json = serializeJson(value, s);
  const bare = json.slice(1, -1);
  return json.length > 2 && !/[\s"=\\]/.test(bare) ? escapeText(bare) : escapeText(json);
}

function textValue(key: string, value: unknown, s: SerializeOptions): string {
  if (s.redact?.has(key.toLowerCase())) return s.redactWith;
  return typeof value === "string" ? textString(value, s) : escapeText(serializeJson(value, s));
}

function traceText(span: Span): string {
  const sc = span.spanContext();
  return ` trace_id=${sc.traceId} span_id=${sc.spanId} trace_flags=${flagsHex(sc.traceFlags)}`;
}

export function textLine(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span | undefined,
  time: number,
): string {
  const root = state.root;
  let line = `${isoTime(time)} ${TEXT_LEVEL[level]} ${escapeText(msg)}`;
  const merged = fields === undefined ? state.fields : mergedFields(state, fields);
  for (const key in merged) {
    const v = merged[key];
    if (v === undefined) continue;
    line += ` ${textWord(key)}=${textValue(key, v, root.serialize)}`;
  }
  if (span !== undefined) line += traceText(span);
  return exceedsUtf8Bytes(line, root.serialize.limits.maxLineBytes)
    ? cutTextLine(state, level, msg, fields, span, time)
    : line;
}

function cutTextLine(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span | undefined,
  time: number,
): string {
  const root = state.root;
  const s = root.serialize;
  const before = `${isoTime(time)} ${TEXT_LEVEL[level]} `;
  const after = span === undefined ? "" : traceText(span);
  const merged = fields === undefined ? state.fields : mergedFields(state, fields);
  const parts: FieldPart[] = [];
  for (const key in merged) {
    const v = merged[key];
    if (v === undefined) continue;
    const head = ` ${textWord(key)}=`;
    parts.push(
      s.redact?.has(key.toLowerCase())
        ? { head, value: undefined, text: s.redactWith }
        : { head, value: v, text: textValue(key, v, s) },
    );
  }
  const fit = fitRecord(
    s.limits.maxLineBytes,
    utf8Length(before) + utf8Length(after),
    msg,
    escapeText,
    parts,
    { encodeString: (v) => textString(v, s), summaryHead: " …=" },
  );
  root.stats.oversized++;
  return before + fit.msgText + fit.fields + after;
}

/** Record fields as plain JSON values, and the message, cut to `maxLineBytes` as a JSON line would be. */
function plainFields(
  state: LogState,
  level: LogLevel,
  msg: string,
  merged: LogFields,
  span: Span | undefined,
  time: number,
): { msg: string; fields: LogFields; cut: boolean } {
  const root = state.root;
  const s = root.serialize;
  let json = serializeJson(merged, s);
  let cut = false;
  // Measured as the JSON line of the record: the fields' members, the message,
  // and the envelope (timestamp, level, trace ids, service).
  const max = s.limits.maxLineBytes;
  if ((json.length + msg.length + root.serviceJson.length + ENVELOPE_CHARS) * 3 > max) {
    const before = `{"ts":"${isoTime(time)}","level":"${level}","msg":`;
    const after = `${span === undefined ? "" : traceJson(span)}${root.serviceJson}}`;
    const envelope = utf8Length(before) + utf8Length(after);
    // `json` is `{…}`; as members of the line it loses the braces and gains a comma.
    if (envelope + utf8Length(quoteJson(msg)) + utf8Length(json) - 1 > max) {
      const parts = jsonParts(merged, root, true);
      const fit = fitRecord(max, envelope, msg, quoteJson, parts, RECORD_FORMAT);
      msg = fit.msg;
      json = `{${fit.fields.slice(1)}}`;
      cut = true;
    }
  }
  let plain: unknown;
  try {
    plain = JSON.parse(json);
  } catch {
    plain = null;
  }
  return {
    msg,
    fields: plain !== null && typeof plain === "object" ? (plain as LogFields) : {},
    cut,
  };
}

// Room for the envelope of a JSON line (timestamp, level, trace ids, the keys) in the
// quick check; a record near the cap is measured exactly.
const ENVELOPE_CHARS = 200;

const RECORD_FORMAT: PartFormat = { encodeString: quoteJson, summaryHead: ',"…":' };

export function buildRecord(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span | undefined,
  time: number,
): LogRecord {
  const root = state.root;
  const plain = plainFields(state, level, msg, mergedFields(state, fields), span, time);
  if (plain.cut) root.stats.oversized++;
  const record: LogRecord = { time, level, msg: plain.msg, fields: plain.fields };
  if (span !== undefined) {
    const sc = span.spanContext();
    record.traceId = sc.traceId;
    record.spanId = sc.spanId;
    record.traceFlags = sc.traceFlags;
  }
  if (root.serviceName !== undefined) record.service = root.serviceName;
  if (root.serviceVersion !== undefined) record.version = root.serviceVersion;
  return record;
}

type AttributeValue = string | number | boolean;

/** A log record as span-event attributes, its fields cut to `maxLineBytes` as for a record sink (not counted again). */
export function spanEventAttributes(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span,
  time: number,
): Record<string, AttributeValue> {
  const merged = mergedFields(state, fields);
  return (
    directAttributes(state, level, msg, merged) ??
    plainAttributes(state, level, msg, merged, span, time)
  );
}

/**
 * The attributes through the record's plain JSON form: the fields serialised
 * as one object, cut to `maxLineBytes` when over it, and parsed back. The
 * reference {@link directAttributes} must agree with.
 */
export function plainAttributes(
  state: LogState,
  level: LogLevel,
  msg: string,
  merged: LogFields,
  span: Span,
  time: number,
): Record<string, AttributeValue> {
  const attrs: Record<string, AttributeValue> = { "log.severity": level };
  const plain = plainFields(state, level, msg, merged, span, time).fields;
  for (const key in plain) {
    const v = plain[key];
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") attrs[key] = v;
    else if (v !== null && v !== undefined) attrs[key] = JSON.stringify(v);
  }
  return attrs;
}

// Bytes of a JSON line's envelope besides the message and service (timestamp,
// level, trace ids, keys and punctuation) are under this.
const ENVELOPE_BYTES = 200;

/**
 * The attributes {@link plainAttributes} gives, without serialising the
 * record and parsing it back: a primitive field becomes its attribute as
 * JSON would carry it, and only an object field is serialised (and parsed
 * and written again, as the record's JSON form would give it). Null when the
 * record may be over `maxLineBytes` (an upper bound of its JSON line's size
 * says so), when the depth limit leaves no room for fields, or when
 * serialising a field throws: those take the reference path.
 */
export function directAttributes(
  state: LogState,
  level: LogLevel,
  msg: string,
  merged: LogFields,
): Record<string, AttributeValue> | null {
  const root = state.root;
  const s = root.serialize;
  const limits = s.limits;
  if (limits.maxDepth < 1) return null;
  const attrs: Record<string, AttributeValue> = { "log.severity": level };
  // An upper bound of the record's JSON line in UTF-8 bytes: an escaped UTF-16
  // unit is at most 6 bytes, an unescaped one at most 3.
  let bytes = ENVELOPE_BYTES + 6 * msg.length + 3 * root.serviceJson.length;
  try {
    const keys = Object.keys(merged);
    const n = Math.min(keys.length, limits.maxObjectKeys);
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      bytes += 6 * key.length + 4;
      if (s.redact?.has(key.toLowerCase()) === true) {
        attrs[key] = s.redactWith;
        bytes += 6 * s.redactWith.length + 2;
        continue;
      }
      const v = merged[key];
      switch (typeof v) {
        case "undefined":
        case "function":
        case "symbol":
          break;
        case "string": {
          const cut = truncate(v, limits.maxStringLength);
          attrs[key] = cut;
          bytes += 6 * cut.length + 2;
          break;
        }
        case "number":
          // JSON has no -0, NaN or Infinity: -0 comes back as 0, the others as strings.
          attrs[key] = Number.isFinite(v) ? v + 0 : String(v);
          bytes += 32;
          break;
        case "boolean":
          attrs[key] = v;
          bytes += 5;
          break;
        case "bigint": {
          const text = v.toString();
          attrs[key] = text;
          bytes += text.length + 2;
          break;
        }
        default: {
          if (v === null) {
            bytes += 4;
            break;
          }
          const text = fieldValueJson(v, s);
          bytes += 3 * text.length;
          const parsed: unknown = JSON.parse(text);
          if (
            typeof parsed === "string" ||
            typeof parsed === "number" ||
            typeof parsed === "boolean"
          )
            attrs[key] = parsed;
          else if (parsed !== null) attrs[key] = JSON.stringify(parsed);
        }
      }
    }
    if (keys.length > n) {
      attrs["…"] = `${keys.length - n} more keys`;
      bytes += 40;
    }
  } catch {
    return null;
  }
  return bytes <= limits.maxLineBytes ? attrs : null;
}
