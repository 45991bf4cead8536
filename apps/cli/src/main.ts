import { createRequire } from "node:module";
import { takeWord } from "./args.js";
import { runGroup, type CommandGroup } from "./command.js";
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from "./errors.js";
import { safeText } from "./safe-text.js";
import { activityGroup } from "./commands/activity.js";
import { agentGroup } from "./commands/agent.js";
import { boardGroup } from "./commands/board.js";
import { companyGroup } from "./commands/company.js";
import { doctorGroup } from "./commands/doctor.js";
import { importGroup } from "./commands/import-paperclip.js";
import { initGroup } from "./commands/init.js";
import { issueGroup } from "./commands/issue.js";
import { loginGroup, logoutGroup } from "./commands/login.js";
import { routineGroup } from "./commands/routine.js";
import { runnerGroup } from "./commands/runner.js";
import { runGroup as runsGroup } from "./commands/run.js";
import { secretGroup } from "./commands/secret.js";
import { startGroup } from "./commands/start.js";

/** Every command group, in the order `staple --help` lists them. */
const GROUPS: readonly CommandGroup[] = [
  startGroup,
  boardGroup,
  loginGroup,
  logoutGroup,
  doctorGroup,
  companyGroup,
  initGroup,
  importGroup,
  agentGroup,
  issueGroup,
  routineGroup,
  runsGroup,
  activityGroup,
  secretGroup,
  runnerGroup,
];

function version(): string {
  return (createRequire(import.meta.url)("../package.json") as { version: string }).version;
}

function usage(): string {
  const width = Math.max(...GROUPS.map((g) => g.name.length));
  return `staple ${version()}: the command-line client of a Staple server

Usage: staple <command> [options]

Commands:
${GROUPS.map((g) => `  ${g.name.padEnd(width)}  ${g.summary}`).join("\n")}

Global options:
  --api <url>         server URL (env STAPLE_API_URL, default http://127.0.0.1:3100)
  --api-key <key>     API key, sent as "Authorization: Bearer <key>" (env STAPLE_API_KEY;
                      without one, the board token file $STAPLE_HOME/board-token is sent
                      to a server on this machine)
  --home <dir>        the server's data dir, where its board token file is
                      (env STAPLE_HOME, default ~/.staple)
  --company <id>      company for company-scoped commands, by id, issue prefix or name
                      (env STAPLE_COMPANY_ID; optional when there is exactly one company)
  --json              print the server's JSON instead of a table
  -h, --help          help; \`staple <command> --help\` for a command's options

Exit codes: 0 success, 1 failure (server error, server unreachable, failed check), 2 usage error.
`;
}

/** Runs one command line; returns the exit code. The only place errors become exit codes. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    if (argv[0] === "--version" || argv[0] === "-v") {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    const { word, rest } = takeWord(argv);
    if (word === undefined || word === "help") {
      // `staple`, `staple --help`, `staple help [<command>]`. A bare `staple` is a usage error.
      const group = word === "help" ? GROUPS.find((g) => g.name === takeWord(rest).word) : undefined;
      process.stdout.write(group ? group.usage : usage());
      return word === undefined && !argv.includes("--help") && !argv.includes("-h") ? EXIT_USAGE : 0;
    }
    const group = GROUPS.find((g) => g.name === word);
    if (!group) throw new UsageError(`unknown command: ${word}`, usage());
    return await runGroup(group, rest, env);
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K"); // a spinner may still be on the line
  if (error instanceof UsageError) {
    process.stderr.write(`staple: ${safeText(error.message)}\n${error.usage ? `\n${error.usage}` : ""}`);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    // Error text often quotes the server (and through it, agents): never raw to the terminal.
    process.stderr.write(`staple: ${safeText(error.message)}\n`);
    return error.exitCode;
  }
  process.stderr.write(`staple: unexpected error: ${safeText(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
  return EXIT_FAILURE;
}
