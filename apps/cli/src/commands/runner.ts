import os from "node:os";
import path from "node:path";
import { intOption, noExtraPositionals } from "../args.js";
import type { CommandGroup, Subcommand } from "../command.js";
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import { DEFAULT_API_URL, normalizeBaseUrl } from "../http-client.js";
import { RUNNER_ADAPTERS } from "../runner/adapters.js";
import { RunnerApi, RunnerRequestError } from "../runner/api.js";
import { detectAdapterTypes } from "../runner/detect.js";
import { runLoop } from "../runner/loop.js";
import { stopOrphans } from "../runner/orphans.js";

const usage = `Usage: staple runner [--token <runner token>] [--label <label>]... [--name <name>]
                    [--max-runs <n>] [--drain-grace <seconds>] [--claim-wait <ms>] [--once]

Runs agents of a Staple server on this machine (docs/runners.md). Registers with a runner token the
board created (env STAPLE_RUNNER_TOKEN), advertising its labels and the adapter types found here
(process and http always; claude_local / codex_local when claude / codex is on PATH), then claims
runs of agents bound to one of its labels (runtimeConfig.runner), executes them with their adapter,
streams their log and events back and reports how they ended. Heartbeats renew the runs' leases and
stop runs the server cancelled. On SIGTERM or SIGINT it drains: no more claims, running runs get
--drain-grace to finish, the rest are aborted (the server retries each once), then it exits.

Agents a killed runner left running on the same home are stopped at start (their runs were lost to
the server, which retries them once). Workspaces live under the runner's home: $STAPLE_RUNNER_HOME, else <STAPLE_HOME or ~/.staple>/runner
(a run's cwd is <runner home>/agents/<agent id>/workspace unless the agent's adapter config names one).

Options:
  --token <token>         runner token (strn_…; env STAPLE_RUNNER_TOKEN)
  --label <label>         a label agents bind to with runtimeConfig.runner (repeatable)
  --name <name>           the runner's name (default: this host's name)
  --max-runs <n>          runs executed at once (default 2)
  --drain-grace <s>       seconds running runs may take to finish after SIGTERM (default 600)
  --claim-wait <ms>       how long one claim waits on the server for work (default 20000, at most 25000)
  --once                  register, heartbeat once, drain and exit (a check of the token and server)

Global options: --api <url> (the server; env STAPLE_API_URL), --home <dir>, --json
`;

const start: Subcommand = {
  options: {
    token: { type: "string" },
    label: { type: "string", multiple: true },
    name: { type: "string" },
    once: { type: "boolean" },
    "max-runs": { type: "string" },
    "drain-grace": { type: "string" },
    "claim-wait": { type: "string" },
  },
  async run(ctx: Context, parsed) {
    noExtraPositionals(parsed, 0, usage);
    const token = (parsed.values.token as string | undefined) ?? ctx.env.STAPLE_RUNNER_TOKEN;
    if (!token) throw new UsageError("a runner token is required: --token <strn_…> or STAPLE_RUNNER_TOKEN", usage);
    const maxRuns = intOption(parsed, "max-runs", usage) ?? 2;
    if (maxRuns < 1 || maxRuns > 32) throw new UsageError("--max-runs must be from 1 to 32", usage);
    const drainGraceSec = intOption(parsed, "drain-grace", usage) ?? 600;
    const claimWaitMs = intOption(parsed, "claim-wait", usage) ?? 20_000;
    if (claimWaitMs > 25_000) throw new UsageError("--claim-wait must be at most 25000 (ms)", usage);
    const labels = (parsed.values.label as string[] | undefined) ?? [];
    const baseUrl = normalizeBaseUrl(ctx.globals.api || ctx.env.STAPLE_API_URL || DEFAULT_API_URL);
    const home = path.resolve(ctx.env.STAPLE_RUNNER_HOME || path.join(ctx.env.STAPLE_HOME || path.join(os.homedir(), ".staple"), "runner"));
    // Agents a previous runner on this home left running (it was killed) are stopped before anything
    // is claimed: their runs are the server's to retry, their output goes nowhere.
    await stopOrphans(home, { note: (message) => ctx.note(message) });
    const api = new RunnerApi(baseUrl, token);
    const adapterTypes = detectAdapterTypes(ctx.env.PATH).filter((type) => type in RUNNER_ADAPTERS);
    let runner: Awaited<ReturnType<RunnerApi["register"]>>;
    try {
      runner = await api.register({
        name: (parsed.values.name as string | undefined) ?? os.hostname(),
        hostname: os.hostname(),
        labels,
        adapterTypes,
      });
    } catch (error) {
      ctx.note(`Registering with ${baseUrl} failed: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    if (ctx.globals.json) ctx.printJson(runner);
    else
      ctx.print(
        `Registered runner ${runner.name} (${runner.id}) with labels [${runner.labels.join(", ")}] and adapters [${runner.adapterTypes.join(", ")}]; home ${home}`,
      );

    if (parsed.values.once) {
      await api.heartbeat(runner.id, []);
      await api.drain(runner.id);
      ctx.note(`Runner ${runner.id} drained and stopped.`);
      return 0;
    }

    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    try {
      const outcome = await runLoop({
        api,
        runner,
        home,
        hostname: os.hostname(),
        adapters: RUNNER_ADAPTERS,
        maxRuns,
        claimWaitMs,
        drainGraceMs: drainGraceSec * 1000,
        stop: stop.signal,
        note: (message) => ctx.note(message),
      });
      if (outcome === "revoked") {
        ctx.note("The runner token was revoked: running runs were aborted; exiting.");
        return 1;
      }
    } catch (error) {
      if (error instanceof RunnerRequestError) ctx.note(error.message);
      throw error;
    } finally {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    }
    ctx.note(`Runner ${runner.id} drained and stopped.`);
    return 0;
  },
};

export const runnerGroup: CommandGroup = {
  name: "runner",
  summary: "run agents of this server on this machine (registers with a runner token)",
  usage,
  subcommands: { start },
  default: "start",
};
