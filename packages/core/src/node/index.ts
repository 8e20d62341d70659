export type { FdSink, FdSinkOptions } from "./fd-sink";
export { fileSink, stderrSink, stdoutSink } from "./fd-sink";
