import { describeThrow, isErrorValue, truncate } from "./serialize";
import { emptyFields, type LogFields, type LogRoot } from "./state";

// The fields argument of a log call, read once into a fields object without
// inherited keys (see emptyFields) under the same limits as nested values: at
// most `maxObjectKeys` keys (the rest summarised under "…"), keys cut to
// `maxStringLength`. Everything
// after this works on the copy, so a throwing getter or Proxy costs one
// replaced value, never the record.

/** The key under which a fields argument that cannot be read at all is reported. */
const UNREADABLE_KEY = "fields";

/**
 * The fields argument as the encoders may read it directly: the caller's own
 * object when it is an ordinary object within the limits (the common case,
 * which then costs no copy), else the copy {@link readCallFields} makes. An
 * encoder that still trips over it (a throwing getter) retries with the copy.
 */
export function callFields(arg: unknown, root: LogRoot): LogFields {
  try {
    if (
      typeof arg === "object" &&
      arg !== null &&
      Object.getPrototypeOf(arg) === Object.prototype &&
      !Array.isArray(arg)
    ) {
      const limits = root.serialize.limits;
      const keys = Object.keys(arg);
      if (keys.length <= limits.maxObjectKeys) {
        let i = 0;
        for (; i < keys.length; i++) if ((keys[i] as string).length > limits.maxStringLength) break;
        if (i === keys.length) return arg as LogFields;
      }
    }
  } catch {
    // A Proxy whose traps throw: the copy below reports it.
  }
  return readCallFields(arg, root);
}

/**
 * Reads a log call's second argument. An object gives its own enumerable
 * fields; any other value (an Error, a string, an array, whatever a `catch`
 * caught) becomes `{ err: value }`. Never throws; each part that could not be
 * read is replaced by `"[Throws: …]"` and counted in `stats.invalidInput`.
 */
export function readCallFields(arg: unknown, root: LogRoot): LogFields {
  const out = emptyFields();
  let keys: string[];
  try {
    if (arg === null || typeof arg !== "object" || Array.isArray(arg) || isErrorValue(arg)) {
      out.err = arg;
      return out;
    }
    keys = Object.keys(arg);
  } catch (error) {
    root.stats.invalidInput++;
    out[UNREADABLE_KEY] = describeThrow(error);
    return out;
  }
  const limits = root.serialize.limits;
  const n = Math.min(keys.length, limits.maxObjectKeys);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    let value: unknown;
    try {
      value = (arg as Record<string, unknown>)[key];
    } catch (error) {
      root.stats.invalidInput++;
      value = describeThrow(error);
    }
    out[key.length > limits.maxStringLength ? truncate(key, limits.maxStringLength) : key] = value;
  }
  if (keys.length > n) out["…"] = `${keys.length - n} more keys`;
  return out;
}
