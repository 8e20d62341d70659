export type { AsyncLocalStorageConstructor, AsyncLocalStorageLike } from "./manager";
export {
  createAsyncLocalStorageContextManager,
  createStackContextManager,
  installContextManager,
} from "./manager";
