// A small MaxMind DB (MMDB 2.0) writer for tests: a binary search tree with 24-bit
// records, a data section without pointers, and the metadata map. Enough to build
// City-, Country- and ASN-shaped databases with IPv4 and IPv6 networks.

/** A value the data section can hold. */
export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue };

/** One network (CIDR) and the record it maps to. */
export interface MmdbNetwork {
  network: string;
  data: { [key: string]: MmdbValue };
}

/** Options of {@link writeMmdb}. */
export interface MmdbWriterOptions {
  /** `database_type` in the metadata. Default `"GeoLite2-City"`. */
  databaseType?: string;
  /** Default 6 (IPv4 networks go under `::/96`, as MaxMind's files do). */
  ipVersion?: 4 | 6;
}

const METADATA_MARKER = [0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")];

interface TreeNode {
  children: [Child, Child];
}
type Child = TreeNode | { data: number } | undefined;

function parseBits(address: string, ipVersion: 4 | 6): number[] {
  const bytes: number[] = [];
  if (address.includes(".") && !address.includes(":")) {
    if (ipVersion === 6) bytes.push(...new Array<number>(12).fill(0));
    bytes.push(...address.split(".").map(Number));
  } else {
    const [head = "", tail] = address.split("::");
    const groups = (part: string) => (part === "" ? [] : part.split(":"));
    const h = groups(head);
    const t = tail === undefined ? [] : groups(tail);
    const all = [...h, ...new Array<string>(8 - h.length - t.length).fill("0"), ...t];
    for (const g of all) {
      const v = Number.parseInt(g, 16);
      bytes.push(v >> 8, v & 0xff);
    }
  }
  const bits: number[] = [];
  for (const b of bytes) for (let i = 7; i >= 0; i--) bits.push((b >> i) & 1);
  return bits;
}

function control(type: number, size: number): number[] {
  let bits: number;
  const extra: number[] = [];
  if (size < 29) bits = size;
  else if (size < 285) {
    bits = 29;
    extra.push(size - 29);
  } else if (size < 65_821) {
    bits = 30;
    const s = size - 285;
    extra.push(s >> 8, s & 0xff);
  } else {
    bits = 31;
    const s = size - 65_821;
    extra.push((s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff);
  }
  const head = type <= 7 ? [(type << 5) | bits] : [bits, type - 7];
  return [...head, ...extra];
}

/** Encodes one value in the MMDB data format. */
export function encodeValue(value: MmdbValue): number[] {
  if (typeof value === "string") {
    const bytes = [...new TextEncoder().encode(value)];
    return [...control(2, bytes.length), ...bytes];
  }
  if (typeof value === "boolean") return control(14, value ? 1 : 0);
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) {
      const bytes: number[] = [];
      for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
      return [...control(6, bytes.length), ...bytes];
    }
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value);
    return [...control(3, 8), ...new Uint8Array(view.buffer)];
  }
  if (Array.isArray(value)) return [...control(11, value.length), ...value.flatMap(encodeValue)];
  const entries = Object.entries(value);
  return [
    ...control(7, entries.length),
    ...entries.flatMap(([k, v]) => [...encodeValue(k), ...encodeValue(v)]),
  ];
}

/**
 * Builds an MMDB file mapping each network to its record.
 *
 * @param networks - non-overlapping networks in CIDR notation with their records
 * @param options - database type and IP version
 * @returns the file's bytes
 */
export function writeMmdb(
  networks: readonly MmdbNetwork[],
  options: MmdbWriterOptions = {},
): Uint8Array {
  const ipVersion = options.ipVersion ?? 6;
  const data: number[] = [];
  const root: TreeNode = { children: [undefined, undefined] };
  for (const { network, data: record } of networks) {
    const [address = "", prefixText = ""] = network.split("/");
    const isV4 = !address.includes(":");
    const prefix = Number(prefixText) + (isV4 && ipVersion === 6 ? 96 : 0);
    const bits = parseBits(address, ipVersion);
    const leaf = { data: data.length };
    data.push(...encodeValue(record));
    let node = root;
    for (let depth = 0; depth < prefix; depth++) {
      const bit = bits[depth] as 0 | 1;
      if (depth === prefix - 1) {
        if (node.children[bit] !== undefined) throw new Error(`overlapping network ${network}`);
        node.children[bit] = leaf;
        break;
      }
      let next = node.children[bit];
      if (next === undefined) {
        next = { children: [undefined, undefined] };
        node.children[bit] = next;
      }
      if (!("children" in next)) throw new Error(`overlapping network ${network}`);
      node = next;
    }
  }
  // Number the nodes breadth-first, root first.
  const order: TreeNode[] = [root];
  const index = new Map<TreeNode, number>([[root, 0]]);
  for (let i = 0; i < order.length; i++) {
    for (const child of (order[i] as TreeNode).children) {
      if (child !== undefined && "children" in child) {
        index.set(child, order.length);
        order.push(child);
      }
    }
  }
  const nodeCount = order.length;
  const recordOf = (child: Child): number => {
    if (child === undefined) return nodeCount;
    if ("children" in child) return index.get(child) as number;
    return nodeCount + 16 + child.data;
  };
  const tree: number[] = [];
  for (const node of order) {
    for (const child of node.children) {
      const r = recordOf(child);
      tree.push((r >> 16) & 0xff, (r >> 8) & 0xff, r & 0xff);
    }
  }
  const metadata = encodeValue({
    node_count: nodeCount,
    record_size: 24,
    ip_version: ipVersion,
    database_type: options.databaseType ?? "GeoLite2-City",
    languages: ["en", "fr"],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_764_633_600,
    description: { en: "Groundwork test database" },
  });
  return new Uint8Array([
    ...tree,
    ...new Array<number>(16).fill(0),
    ...data,
    ...METADATA_MARKER,
    ...metadata,
  ]);
}
