export type { TrackerDashboardOptions } from "./dashboard";
export { renderTrackerDashboard } from "./dashboard";
export type { TrackerErrorCode } from "./errors";
export { TrackerError } from "./errors";
export type { TrackerEvent, TrackerPropValue } from "./event";
export type { GeoInfo, GeoLookup } from "./geo";
export type {
  TrackerHandler,
  TrackerHandlerOptions,
  TrackerRequest,
  TrackerRequestContext,
  TrackerResponse,
  TrackerResponseLike,
} from "./handler";
export { createTrackerHandler } from "./handler";
