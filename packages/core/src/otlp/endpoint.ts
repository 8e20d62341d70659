/** The marker that replaces a credential wherever an endpoint could be printed. */
export const REDACTED = "[REDACTED]";

/** An endpoint URL split into what is sent and what may be printed. */
export interface OtlpEndpoint {
  /** The URL requests go to: the given one without its `user:password@` part. */
  readonly url: string;
  /** The URL with every query-string value and any user information replaced by `[REDACTED]`. */
  readonly display: string;
  /** `Basic …` built from the URL's user information, if it had any. */
  readonly authorization: string | undefined;
  /** Replaces every credential of the URL found in `text` by `[REDACTED]`. */
  redact(text: string): string;
}

const URL_PARTS = /^(https?:\/\/)(?:([^@/?#]*)@)?([^/?#]+)([^?#]*)(\?[^#]*)?(#.*)?$/i;

/**
 * Splits an OTLP endpoint into the URL to post to, a printable form and the credentials
 * it carried. `undefined` when `endpoint` is not an http(s) URL with a host.
 */
export function parseOtlpEndpoint(endpoint: string): OtlpEndpoint | undefined {
  const match = URL_PARTS.exec(endpoint);
  if (match === null) return undefined;
  const [, scheme = "", userinfo, host = "", path = "", query = "", fragment = ""] = match;
  const secrets = new Set<string>();
  let displayQuery = "";
  if (query.length > 1) {
    displayQuery = `?${query
      .slice(1)
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=");
        if (eq < 0) return pair;
        const value = pair.slice(eq + 1);
        if (value !== "") secrets.add(value);
        return `${pair.slice(0, eq + 1)}${REDACTED}`;
      })
      .join("&")}`;
  }
  let authorization: string | undefined;
  if (userinfo !== undefined && userinfo !== "") {
    secrets.add(userinfo);
    const colon = userinfo.indexOf(":");
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    const password = colon < 0 ? "" : userinfo.slice(colon + 1);
    if (password !== "") secrets.add(password);
    authorization = `Basic ${base64(utf8Bytes(`${decode(user)}:${decode(password)}`))}`;
  }
  const url = `${scheme}${host}${path}${query}${fragment}`;
  const display = `${scheme}${userinfo ? `${REDACTED}@` : ""}${host}${path}${displayQuery}${fragment}`;
  // Longest first, so that a secret containing another is replaced whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  const redact = (text: string): string => {
    let out = text.split(endpoint).join(display).split(url).join(display);
    for (const secret of ordered) out = out.split(secret).join(REDACTED);
    for (const secret of ordered) {
      const decoded = decode(secret);
      if (decoded !== secret && decoded !== "") out = out.split(decoded).join(REDACTED);
    }
    return out;
  };
  return { url, display, authorization, redact };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function utf8Bytes(text: string): number[] {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) {
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    } else {
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 63),
        0x80 | ((code >> 6) & 63),
        0x80 | (code & 63),
      );
    }
  }
  return bytes;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function base64(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[(n >> 18) & 63];
    out += ALPHABET[(n >> 12) & 63];
    out += b === undefined ? "=" : ALPHABET[(n >> 6) & 63];
    out += c === undefined ? "=" : ALPHABET[n & 63];
  }
  return out;
}
