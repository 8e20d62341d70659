export type { FetchFunction, InstrumentFetchOptions } from "./instrument-fetch";
export { instrumentFetch } from "./instrument-fetch";
