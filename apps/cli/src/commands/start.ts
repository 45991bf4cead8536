import { spawn } from "node:child_process";
import { noExtraPositionals, stringOption } from "../args.js";
import type { CommandGroup } from "../command.js";
import { requireBuiltServer } from "./server-package.js";

const usage = `Usage: staple start [--port <n>] [--host <addr>] [--home <dir>]

Runs the built server (apps/server/dist/main.js) in the foreground, like \`npm start\` without the
build step: it prints one JSON log line with its URL once ready; Ctrl-C stops it gracefully.
The flags set PORT, HOST and STAPLE_HOME for it (see README.md, Configuration).
`;

/**
 * The server runs as a child inheriting stdio (its own process, so its signal handling and exit
 * codes are exactly those of `node apps/server/dist/main.js`). Invariant: the CLI exits only after
 * the child has, with the child's exit code; SIGINT/SIGTERM are passed on, not acted on.
 */
export const startGroup: CommandGroup = {
  name: "start",
  summary: "run the Staple server in the foreground",
  usage,
  default: "server",
  subcommands: {
    server: {
      options: { port: { type: "string" }, host: { type: "string" }, home: { type: "string" } },
      async run(_ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const main = requireBuiltServer();
        const env = { ...process.env };
        for (const [flag, variable] of [["port", "PORT"], ["host", "HOST"], ["home", "STAPLE_HOME"]] as const) {
          const value = stringOption(parsed, flag);
          if (value !== undefined) env[variable] = value;
        }
        const child = spawn(process.execPath, [main], { env, stdio: "inherit" });
        const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
        const onInt = forward("SIGINT");
        const onTerm = forward("SIGTERM");
        process.on("SIGINT", onInt);
        process.on("SIGTERM", onTerm);
        return new Promise<number>((resolve, reject) => {
          child.once("error", reject);
          child.once("exit", (code, signal) => {
            process.off("SIGINT", onInt);
            process.off("SIGTERM", onTerm);
            resolve(code ?? (signal ? 1 : 0));
          });
        });
      },
    },
  },
};
