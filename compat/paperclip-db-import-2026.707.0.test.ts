import { paperclipDbScenario } from "./paperclip-db-scenario.js";

// paperclipai 2026.707.0's server runs on the lane's own Node (20).
paperclipDbScenario("2026.707.0", process.execPath);
