import type { GlobalOptions } from "./args.js";
import { resolveCredential, unauthorizedHint } from "./credentials.js";
import type { StapleClient } from "@staple/api-client";
import { Connection, DEFAULT_API_URL, normalizeBaseUrl, type Answer } from "./http-client.js";
import { Progress } from "./progress.js";
import { jsonForTerminal, safeText } from "./safe-text.js";

/**
 * What a command runs with: the parsed global options, a lazily built connection (commands that
 * never talk to a server, like `doctor`, never validate --api), the spinner, and the outputs.
 * A request reads `await ctx.call(ctx.client.GET("/api/...", {params}))`: typed by the generated
 * client, failures turned into the CLI's errors by `call`.
 * Invariants: data goes to stdout (tables, JSON, logs); notes, hints and the spinner go to stderr,
 * so `staple ... --json | jq` always sees pure JSON. Human output (`print`, `note`) passes through
 * safeText, so text written by agents cannot drive the terminal; JSON is printed exactly.
 */
export class Context {
  readonly progress = new Progress();
  private connection: Connection | undefined;

  constructor(
    readonly globals: GlobalOptions,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get api(): Connection {
    if (!this.connection) {
      const baseUrl = normalizeBaseUrl(this.globals.api || this.env.STAPLE_API_URL || DEFAULT_API_URL);
      const credential = resolveCredential({ flag: this.globals.apiKey, env: this.env, baseUrl });
      this.connection = new Connection({
        baseUrl,
        apiKey: credential.apiKey,
        progress: this.progress,
        unauthorizedHint: () => unauthorizedHint(credential, baseUrl),
      });
    }
    return this.connection;
  }

  /** The generated client of the command's server. */
  get client(): StapleClient {
    return this.api.client;
  }

  /** The data of one call of `client`, or the CLI's error for it (see Connection.call). */
  call<T>(pending: Promise<Answer<T>>): Promise<T> {
    return this.api.call(pending);
  }

  /** The company flag, else STAPLE_COMPANY_ID (may be undefined: see scope.ts). */
  get companyFlag(): string | undefined {
    return this.globals.company || this.env.STAPLE_COMPANY_ID || undefined;
  }

  print(text: string) {
    this.writeLine(process.stdout, safeText(text));
  }

  /** The server's JSON, pretty-printed, unchanged (terminal-active characters written as \u escapes). */
  printJson(value: unknown) {
    this.printJsonText(JSON.stringify(value, null, 2));
  }

  /** One JSON text as the server sent it (an NDJSON log line, say). */
  printJsonText(json: string) {
    this.writeLine(process.stdout, jsonForTerminal(json));
  }

  note(text: string) {
    this.writeLine(process.stderr, safeText(text));
  }

  private writeLine(stream: NodeJS.WriteStream, text: string) {
    this.progress.clear();
    stream.write(text.endsWith("\n") ? text : `${text}\n`);
  }
}
