import { runtimeGlobal } from "@groundwork/platform";

/** The parts of a WHATWG `URL` the tracker reads. */
export interface ParsedUrl {
  readonly protocol: string;
  readonly host: string;
  readonly origin: string;
  readonly pathname: string;
  readonly searchParams: { get(name: string): string | null };
}

type UrlConstructor = new (input: string) => ParsedUrl;

/** Parses an absolute URL; `undefined` where it is not one. */
export function parseUrl(text: string): ParsedUrl | undefined {
  const Url = runtimeGlobal<UrlConstructor>("URL");
  if (Url === undefined) return undefined;
  try {
    return new Url(text);
  } catch {
    return undefined;
  }
}
