import { cliScenario, NODE24 } from "./cli-scenario.js";

// paperclipai 2026.916.1 needs Node >= 24.11: the Node 24 that compat/install.sh installs.
cliScenario("2026.916.1", NODE24, { sendsAllowDuplicate: true });
