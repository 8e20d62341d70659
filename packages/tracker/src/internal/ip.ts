// Client addresses: parsing, truncation (IPv4 /24, IPv6 /48) and the network they belong to.

/** A parsed client address, already truncated when anonymisation is on. */
export interface ClientIp {
  ip: string;
  version: 4 | 6;
  /** The truncated network in CIDR notation, e.g. `203.0.113.0/24`. */
  network: string;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): number[] | undefined {
  const m = V4.exec(text);
  if (m === null) return undefined;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** Eight 16-bit groups, or undefined; accepts `::` and an embedded IPv4 tail. */
function parseV6(text: string): number[] | undefined {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as string;
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = parseV4(item);
        if (v4 === undefined) return undefined;
        out.push(
          ((v4[0] as number) << 8) | (v4[1] as number),
          ((v4[2] as number) << 8) | (v4[3] as number),
        );
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
        out.push(Number.parseInt(item, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

function formatV6(groups: readonly number[]): string {
  // Only the /48 prefix survives truncation, so the short form is always `a:b:c::`.
  const hex = groups.map((g) => g.toString(16));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/**
 * Parses a client address (IPv4, IPv6, IPv4-mapped IPv6, with an optional zone or
 * brackets) and truncates it when `anonymize` is set.
 */
export function clientIp(raw: string, anonymize: boolean): ClientIp | undefined {
  let text = raw.trim();
  if (text.startsWith("[") && text.includes("]")) text = text.slice(1, text.indexOf("]"));
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  let v4 = parseV4(text);
  if (v4 === undefined) {
    const v6 = parseV6(text);
    if (v6 === undefined) return undefined;
    const mapped = v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff;
    if (!mapped) {
      const kept = anonymize ? [v6[0], v6[1], v6[2], 0, 0, 0, 0, 0] : v6;
      const prefix = formatV6([v6[0], v6[1], v6[2], 0, 0, 0, 0, 0] as number[]);
      return { ip: formatV6(kept as number[]), version: 6, network: `${prefix}/48` };
    }
    const hi = v6[6] as number;
    const lo = v6[7] as number;
    v4 = [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
  }
  const net = `${v4[0]}.${v4[1]}.${v4[2]}.0`;
  return { ip: anonymize ? net : v4.join("."), version: 4, network: `${net}/24` };
}

/**
 * The network of `prefix` bits that holds `address`, in CIDR notation
 * (`cidr("203.0.113.77", 16)` is `203.0.0.0/16`), or `undefined` for an address or
 * prefix length that is not valid.
 */
export function cidr(address: string, prefix: number): string | undefined {
  const v4 = parseV4(address);
  const bits = v4 === undefined ? 128 : 32;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const parts = v4 ?? parseV6(address);
  if (parts === undefined) return undefined;
  const width = v4 === undefined ? 16 : 8;
  const masked = parts.map((part, i) => {
    const keep = Math.min(Math.max(prefix - i * width, 0), width);
    return keep === 0 ? 0 : part & (((1 << keep) - 1) << (width - keep));
  });
  return `${v4 === undefined ? formatV6(masked) : masked.join(".")}/${prefix}`;
}
