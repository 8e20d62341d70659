export type { AsyncLocalStorageConstructor, AsyncLocalStorageLike } from "./manager";
export {
  createAsyncLocalStorageContextManager,
  createStackContextManager,
  ensureContextManager,
  installContextManager,
} from "./manager";
