import { cliScenario } from "./cli-scenario.js";

// paperclipai 2026.707.0 runs on the lane's own Node (20).
cliScenario("2026.707.0", process.execPath, { sendsAllowDuplicate: false });
