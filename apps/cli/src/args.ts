import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./errors.js";

/**
 * Command-line parsing on top of node:util parseArgs (strict: unknown options are usage errors).
 *
 * Shape of a command line: `staple [global options] <group> [<subcommand>] [options] [args] [-- rest]`.
 * Global options are accepted anywhere; options of a subcommand only after its name.
 */

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Options every command accepts. Those taking a value are listed in VALUE_GLOBALS. */
export const GLOBAL_OPTIONS = {
  api: { type: "string" },
  "api-key": { type: "string" },
  company: { type: "string" },
  home: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionSpec;

const VALUE_GLOBALS = new Set(["--api", "--api-key", "--company", "--home"]);

export interface GlobalOptions {
  /** Base URL of the server (flag, else STAPLE_API_URL, else the default). */
  api: string | undefined;
  apiKey: string | undefined;
  company: string | undefined;
  /** Data dir (STAPLE_HOME) of the local server: where its board token file is. */
  home: string | undefined;
  json: boolean;
  help: boolean;
}

/**
 * Takes the first positional word (a group or subcommand name) out of argv, skipping global
 * options and their values. Returns `word: undefined` when there is none.
 */
export function takeWord(argv: readonly string[]): { word: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") break;
    if (VALUE_GLOBALS.has(token)) {
      i++;
      continue;
    }
    if (!token.startsWith("-") || token === "-") return { word: token, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { word: undefined, rest: [...argv] };
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Words after a literal `--` (not included in `positionals`). */
  rest: string[];
  globals: GlobalOptions;
}

/** Parses argv against the global options plus `options`; parse problems become UsageErrors. */
export function parseCommand(argv: readonly string[], options: OptionSpec, usage: string): Parsed {
  const parse = () =>
    parseArgs({ args: [...argv], options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true, tokens: true });
  let result: ReturnType<typeof parse>;
  try {
    result = parse();
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, "") : String(error),
      usage,
    );
  }
  const terminator = result.tokens.find((t) => t.kind === "option-terminator");
  const positionals: string[] = [];
  const rest: string[] = [];
  for (const token of result.tokens) {
    if (token.kind !== "positional") continue;
    (terminator && token.index > terminator.index ? rest : positionals).push(token.value);
  }
  const values = result.values as Parsed["values"];
  return {
    values,
    positionals,
    rest,
    globals: {
      api: values.api as string | undefined,
      apiKey: values["api-key"] as string | undefined,
      company: values.company as string | undefined,
      home: values.home as string | undefined,
      json: values.json === true,
      help: values.help === true,
    },
  };
}

/** The n-th positional, or a usage error naming it. */
export function requirePositional(parsed: Parsed, index: number, name: string, usage: string): string {
  const value = parsed.positionals[index];
  if (value === undefined || value === "") throw new UsageError(`missing <${name}>`, usage);
  return value;
}

/** Rejects positionals beyond the `max` a command takes. */
export function noExtraPositionals(parsed: Parsed, max: number, usage: string) {
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument: ${parsed.positionals[max]}`, usage);
}

export function stringOption(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

/** A non-negative integer option (`--limit 20`), or a usage error. */
export function intOption(parsed: Parsed, name: string, usage: string): number | undefined {
  const raw = stringOption(parsed, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number (got "${raw}")`, usage);
  return Number(raw);
}
