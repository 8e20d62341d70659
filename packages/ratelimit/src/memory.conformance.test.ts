import { limiterConformance } from "../test/conformance";
import { createLimiter } from "./memory";

limiterConformance({
  name: "memory",
  exact: true,
  create: ({ rate, burst }) => createLimiter({ rate, burst }),
});
