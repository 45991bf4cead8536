import os from "node:os";
import { noExtraPositionals } from "../args.js";
import type { CommandGroup, Subcommand } from "../command.js";
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import { Connection, DEFAULT_API_URL, normalizeBaseUrl } from "../http-client.js";
import { detectAdapterTypes } from "../runner/detect.js";

const usage = `Usage: staple runner [--token <runner token>] [--label <label>]... [--name <name>] [--once]

Registers this machine as a runner of a Staple server (docs/runners.md) with a runner token the
board created (env STAPLE_RUNNER_TOKEN), advertising its labels and the adapter types found here
(process and http always; claude_local / codex_local when claude / codex is on PATH), then
heartbeats until SIGTERM or SIGINT, when it drains and exits.

Partly built: the runner registers, heartbeats and drains; taking runs (claim, execution, log
streaming, finish) is not built yet, so a registered runner executes nothing.

Options:
  --token <token>     runner token (strn_…; env STAPLE_RUNNER_TOKEN)
  --label <label>     a label agents bind to with runtimeConfig.runner (repeatable)
  --name <name>       the runner's name (default: this host's name)
  --once              register, heartbeat once, drain and exit (a check of the token and server)

Global options: --json, --api <url>
`;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

const start: Subcommand = {
  options: { token: { type: "string" }, label: { type: "string", multiple: true }, name: { type: "string" }, once: { type: "boolean" } },
  async run(ctx: Context, parsed) {
    noExtraPositionals(parsed, 0, usage);
    const token = (parsed.values.token as string | undefined) ?? ctx.env.STAPLE_RUNNER_TOKEN;
    if (!token) throw new UsageError("a runner token is required: --token <strn_…> or STAPLE_RUNNER_TOKEN", usage);
    const labels = (parsed.values.label as string[] | undefined) ?? [];
    const baseUrl = normalizeBaseUrl(ctx.globals.api || ctx.env.STAPLE_API_URL || DEFAULT_API_URL);
    const api = new Connection({ baseUrl, apiKey: token, progress: ctx.progress });
    const body = {
      name: (parsed.values.name as string | undefined) ?? os.hostname(),
      hostname: os.hostname(),
      labels,
      adapterTypes: detectAdapterTypes(ctx.env.PATH),
    };
    const runner = await api.call(api.client.POST("/api/runners/register", { body }));
    if (ctx.globals.json) ctx.printJson(runner);
    else
      ctx.print(
        `Registered runner ${runner.name} (${runner.id}) with labels [${runner.labels.join(", ")}] and adapters [${runner.adapterTypes.join(", ")}]`,
      );

    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    try {
      // Executing runs would be listed here; the claim loop is not built yet (docs/runners.md#build-state).
      const executing: string[] = [];
      do {
        const beat = await api.call(
          api.client.POST("/api/runners/{runnerId}/heartbeat", { params: { path: { runnerId: runner.id } }, body: { runIds: executing } }),
        );
        if (beat.stopRunIds.length > 0) ctx.note(`Stopping runs no longer leased to this runner: ${beat.stopRunIds.join(", ")}`);
        if (parsed.values.once) break;
        await sleep(runner.heartbeatMs, stop.signal);
      } while (!stop.signal.aborted);
    } finally {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    }
    await api.call(api.client.POST("/api/runners/{runnerId}/drain", { params: { path: { runnerId: runner.id } }, body: {} }));
    ctx.note(`Runner ${runner.id} drained and stopped.`);
  },
};

export const runnerGroup: CommandGroup = {
  name: "runner",
  summary: "run agents of this server on this machine (registers with a runner token)",
  usage,
  subcommands: { start },
  default: "start",
};
