import os from "node:os";
import path from "node:path";
import { noExtraPositionals } from "../args.js";
import type { CommandGroup } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../errors.js";
import {
  checkAdapterBinaries,
  checkBoardToken,
  checkConfig,
  checkDataDir,
  checkDatabase,
  checkNode,
  checkPort,
  type Check,
} from "./doctor-checks.js";

const usage = `Usage: staple doctor [--json]

Checks that this machine can run a Staple server: Node.js version, configuration, data directory
(STAPLE_HOME, default ~/.staple, or --home), the board token file in it (mode 0600), database (opens and migrates it: the embedded one, or DATABASE_URL),
port (PORT, default 3100) and the adapter CLIs (claude, codex; missing ones are only warnings).
Each failure comes with its fix. Exit code 1 when any check failed.
`;

const MARK: Record<Check["status"], string> = { ok: "ok", warn: "warn", fail: "FAIL", skip: "skip" };

async function runChecks(env: NodeJS.ProcessEnv): Promise<Check[]> {
  const checks: Check[] = [checkNode()];
  const { check: configCheck, config } = await checkConfig(env);
  checks.push(configCheck);
  const home = config?.home ?? path.resolve(env.STAPLE_HOME || path.join(os.homedir(), ".staple"));
  const dataDir = checkDataDir(home);
  checks.push(dataDir);
  checks.push(
    dataDir.status === "fail"
      ? { name: "board token", status: "skip", detail: "skipped: the data dir is not usable" }
      : checkBoardToken(home),
  );
  if (!config) checks.push({ name: "database", status: "skip", detail: `skipped: ${configCheck.name} failed` });
  else if (dataDir.status === "fail" && !config.databaseUrl)
    checks.push({ name: "database", status: "skip", detail: "skipped: the data dir is not usable" });
  else checks.push(await checkDatabase(config));
  if (config) checks.push(await checkPort(config.host, config.port));
  else checks.push({ name: "port", status: "skip", detail: `skipped: ${configCheck.name} failed` });
  checks.push(...checkAdapterBinaries(env));
  return checks;
}

function render(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.flatMap((c) => [
    `${MARK[c.status].padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`,
    ...(c.fix && c.status !== "ok" ? [`${" ".repeat(6 + width)}  fix: ${c.fix}`] : []),
  ]);
  const failed = checks.filter((c) => c.status === "fail").length;
  const warned = checks.filter((c) => c.status === "warn").length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  lines.push(
    "",
    failed
      ? `${plural(failed, "check")} failed${warned ? `, ${plural(warned, "warning")}` : ""}.`
      : `All checks passed${warned ? ` (${plural(warned, "warning")})` : ""}.`,
  );
  return `${lines.join("\n")}\n`;
}

export const doctorGroup: CommandGroup = {
  name: "doctor",
  summary: "check that this machine can run a Staple server",
  usage,
  default: "check",
  subcommands: {
    check: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        ctx.progress.start("checking");
        const checks = await runChecks(ctx.env);
        ctx.progress.clear();
        const ok = !checks.some((c) => c.status === "fail");
        if (ctx.globals.json) ctx.printJson({ ok, checks });
        else ctx.print(render(checks));
        return ok ? EXIT_OK : EXIT_FAILURE;
      },
    },
  },
};
