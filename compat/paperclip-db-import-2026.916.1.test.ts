import { NODE24 } from "./cli-scenario.js";
import { paperclipDbScenario } from "./paperclip-db-scenario.js";

// paperclipai 2026.916.1's server needs Node >= 24.11 (compat/install.sh puts Node 24 in the cache)
// and sharp's platform binaries (installed by compat/install.sh next to it).
paperclipDbScenario("2026.916.1", NODE24);
