import { limiterConformance } from "../test/conformance";
import { limiter } from "./memory";

limiterConformance({
  name: "memory",
  exact: true,
  create: ({ rate, burst }) => limiter({ rate, burst }),
});
