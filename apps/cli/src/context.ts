import type { GlobalOptions } from "./args.js";
import { ApiClient, DEFAULT_API_URL } from "./http-client.js";
import { Progress } from "./progress.js";

/**
 * What a command runs with: the parsed global options, a lazily built API client (commands that
 * never talk to a server, like `doctor`, never validate --api), the spinner, and the outputs.
 * Invariant: data goes to stdout (tables, JSON, logs); notes, hints and the spinner go to stderr,
 * so `staple ... --json | jq` always sees pure JSON.
 */
export class Context {
  readonly progress = new Progress();
  private apiClient: ApiClient | undefined;

  constructor(
    readonly globals: GlobalOptions,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get client(): ApiClient {
    this.apiClient ??= new ApiClient({
      baseUrl: this.globals.api || this.env.STAPLE_API_URL || DEFAULT_API_URL,
      apiKey: this.globals.apiKey || this.env.STAPLE_API_KEY,
      progress: this.progress,
    });
    return this.apiClient;
  }

  /** The company flag, else STAPLE_COMPANY_ID (may be undefined: see scope.ts). */
  get companyFlag(): string | undefined {
    return this.globals.company || this.env.STAPLE_COMPANY_ID || undefined;
  }

  print(text: string) {
    this.progress.clear();
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** The server's JSON, pretty-printed, unchanged. */
  printJson(value: unknown) {
    this.print(JSON.stringify(value, null, 2));
  }

  note(text: string) {
    this.progress.clear();
    process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
  }
}
