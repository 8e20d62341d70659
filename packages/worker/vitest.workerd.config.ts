import { defineProject } from "vitest/config";
import { workerdProject } from "../../vitest.shared";

export default defineProject(workerdProject("worker"));
