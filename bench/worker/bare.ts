import { Counter, handler } from "./app";

export default handler;
export { Counter };
