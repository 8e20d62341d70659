import { describe, expect, it } from "vitest";
import { hashSlot } from "./slot";

// Reference values from CLUSTER KEYSLOT on a real Redis (the cluster test
// also checks our slots against the server's).
describe("hashSlot", () => {
  it("matches Redis Cluster's slots", () => {
    expect(hashSlot("foo")).toBe(12182);
    expect(hashSlot("bar")).toBe(5061);
    expect(hashSlot("123456789")).toBe(0x31c3 & 0x3fff);
  });

  it("hashes only a non-empty hash tag", () => {
    expect(hashSlot("{user1000}.following")).toBe(hashSlot("user1000"));
    expect(hashSlot("foo{}{bar}")).toBe(hashSlot("foo{}{bar}"));
    expect(hashSlot("foo{{bar}}zap")).toBe(hashSlot("{bar"));
  });
});
