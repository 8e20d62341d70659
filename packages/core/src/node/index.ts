import { AsyncLocalStorage } from "node:async_hooks";
import { installContextManager } from "../context/manager";

export type { FdSink, FdSinkOptions } from "./fd-sink";
export { fileSink, stderrSink, stdoutSink } from "./fd-sink";

// Importing the Node entry registers the AsyncLocalStorage context manager
// explicitly (rather than by detection), unless one is registered already.
installContextManager(AsyncLocalStorage);
