import { describe, expect, it } from "vitest";
import { clearTimer, setRefTimeout } from "./index";

describe("referenced timeouts", () => {
  it("fires once, and never when cleared", async () => {
    const ran: string[] = [];
    setRefTimeout(() => ran.push("a"), 1);
    const cancelled = setRefTimeout(() => ran.push("b"), 1);
    clearTimer(cancelled);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ran).toEqual(["a"]);
  });
});
