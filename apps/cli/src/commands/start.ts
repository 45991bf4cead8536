import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { noExtraPositionals, stringOption } from "../args.js";
import type { CommandGroup } from "../command.js";
import type { Context } from "../context.js";
import { stapleHome } from "../credentials.js";
import { requireBuiltServer } from "./server-package.js";

const usage = `Usage: staple start [--port <n>] [--host <addr>] [--home <dir>]

Runs the built server (apps/server/dist/main.js) in the foreground, like \`npm start\` without the
build step: it prints one JSON log line with its URL once ready, then a line with the board's
one-time login link for your browser; Ctrl-C stops it gracefully.
The flags set PORT, HOST and STAPLE_HOME for it (see README.md, Configuration).
`;

/** The human summary of the server's "staple listening" log line, or undefined for any other line. */
export function listeningSummary(line: string): string | undefined {
  if (!line.includes('"staple listening"')) return undefined;
  let entry: { msg?: unknown; url?: unknown; boardLoginUrl?: unknown; boardTokenFile?: unknown; home?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return undefined;
  }
  if (entry.msg !== "staple listening" || typeof entry.url !== "string") return undefined;
  const lines = [`Staple is running at ${entry.url}`];
  if (typeof entry.boardLoginUrl === "string") lines.push(`Open the board (one-time sign-in link): ${entry.boardLoginUrl}`);
  const homeFlag = typeof entry.home === "string" && entry.home !== stapleHome({}) ? ` --home ${entry.home}` : "";
  lines.push(`Another link for another browser: npx staple board${homeFlag}`);
  if (typeof entry.boardTokenFile === "string") lines.push(`The CLI and curl use the board token in ${entry.boardTokenFile}`);
  return lines.join("\n");
}

/**
 * The server runs as a child (its own process, so its signal handling and exit codes are exactly
 * those of `node apps/server/dist/main.js`). Its stdout is passed through line by line, and its
 * listening line is followed by a human summary on stderr (the login link). Invariant: the CLI exits
 * only after the child has, with the child's exit code; SIGINT/SIGTERM are passed on, not acted on.
 */
export const startGroup: CommandGroup = {
  name: "start",
  summary: "run the Staple server in the foreground",
  usage,
  default: "server",
  subcommands: {
    server: {
      options: { port: { type: "string" }, host: { type: "string" } },
      async run(ctx: Context, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const main = requireBuiltServer();
        const env = { ...ctx.env }; // --home is already STAPLE_HOME here
        for (const [flag, variable] of [
          ["port", "PORT"],
          ["host", "HOST"],
        ] as const) {
          const value = stringOption(parsed, flag);
          if (value !== undefined) env[variable] = value;
        }
        const child = spawn(process.execPath, [main], { env, stdio: ["inherit", "pipe", "inherit"] });
        const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
        lines.on("line", (line) => {
          process.stdout.write(`${line}\n`);
          const summary = listeningSummary(line);
          if (summary) process.stderr.write(`\n${summary}\n\n`);
        });
        const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
        const onInt = forward("SIGINT");
        const onTerm = forward("SIGTERM");
        process.on("SIGINT", onInt);
        process.on("SIGTERM", onTerm);
        return new Promise<number>((resolve, reject) => {
          child.once("error", reject);
          // "close", not "exit": every line the server printed has been passed on by then.
          child.once("close", (code, signal) => {
            process.off("SIGINT", onInt);
            process.off("SIGTERM", onTerm);
            resolve(code ?? (signal ? 1 : 0));
          });
        });
      },
    },
  },
};
