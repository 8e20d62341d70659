import { builtinModule, runtimeGlobal } from "@groundwork/platform";
import { SettingsError } from "./errors";

/**
 * Reads a file as UTF-8 text. It may stop after `maxBytes + 1` bytes: the
 * caller rejects anything larger anyway.
 */
export type ReadFile = (path: string, options: { readonly maxBytes: number }) => Promise<string>;

/** The part of `node:fs/promises` that {@link fsReadFile} uses. */
export interface FsLike {
  open(
    path: string,
    flags: string,
  ): Promise<{
    read(
      buffer: Uint8Array,
      offset: number,
      length: number,
      position: number,
    ): Promise<{ bytesRead: number }>;
    close(): Promise<void>;
  }>;
}

type TextDecoderConstructor = new () => { decode(bytes: Uint8Array): string };

/**
 * A {@link ReadFile} over a `node:fs/promises`-shaped module that reads at most
 * `maxBytes + 1` bytes, so an oversized file costs no more than the limit.
 *
 * @param fs - `node:fs/promises` or an object with the same `open`
 * @returns a file reader
 * @throws {@link SettingsError} `ERR_INVALID_OPTION` when `fs` has no `open` function
 * @example
 * ```ts
 * import * as fs from "node:fs/promises";
 * await Settings.load({ files: ["app.yaml"], readFile: fsReadFile(fs) });
 * ```
 */
export function fsReadFile(fs: FsLike): ReadFile {
  if (typeof (fs as Partial<FsLike> | undefined)?.open !== "function") {
    throw new SettingsError(
      [{ code: "invalid", path: [], message: "fsReadFile needs a module with an open() function" }],
      { code: "ERR_INVALID_OPTION" },
    );
  }
  return async (path, { maxBytes }) => {
    const handle = await fs.open(path, "r");
    try {
      const buffer = new Uint8Array(maxBytes + 1);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      const Decoder = runtimeGlobal<TextDecoderConstructor>("TextDecoder")!;
      return new Decoder().decode(buffer.subarray(0, filled));
    } finally {
      await handle.close();
    }
  };
}

/**
 * The runtime's file reader: `node:fs` where the runtime provides it through
 * `process.getBuiltinModule` (Node ≥ 20.16, workerd with `nodejs_compat`), else none.
 */
export function runtimeReadFile(): ReadFile | undefined {
  const fs = builtinModule<FsLike>("node:fs/promises");
  return fs && typeof fs.open === "function" ? fsReadFile(fs) : undefined;
}
