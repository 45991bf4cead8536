import { parseCommand, takeWord, type OptionSpec, type Parsed } from "./args.js";
import { Context } from "./context.js";
import { UsageError } from "./errors.js";

/**
 * The shape of a command group (`staple agent ...`) and its dispatcher. A group is either a set of
 * subcommands or, for groups without any (`staple activity`), a single default subcommand.
 * Invariant: a subcommand validates all of its arguments before its first request, so a usage
 * error (exit 2) never depends on the server being there.
 */
export interface Subcommand {
  /** Options beyond the global ones. */
  options?: OptionSpec;
  // biome-ignore lint/suspicious/noConfusingVoidType: commands without an exit code of their own simply return.
  run(ctx: Context, parsed: Parsed): Promise<number | void>;
}

export interface CommandGroup {
  name: string;
  /** One line for `staple --help`. */
  summary: string;
  /** Full help text of the group (`staple <group> --help`). */
  usage: string;
  subcommands: Record<string, Subcommand>;
  /** Subcommand used when the group is called without one (e.g. `activity`). */
  default?: string;
}

export async function runGroup(group: CommandGroup, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { word, rest } = takeWord(argv);
  let name = word;
  let args = rest;
  if (word === undefined || !(word in group.subcommands)) {
    if (group.default) {
      name = group.default;
      args = [...argv];
    } else if (word === undefined) {
      if (argv.includes("--help") || argv.includes("-h")) return printUsage(group);
      throw new UsageError(`missing subcommand for \`staple ${group.name}\``, group.usage);
    } else {
      throw new UsageError(`unknown subcommand \`staple ${group.name} ${word}\``, group.usage);
    }
  }
  const sub = group.subcommands[name!]!;
  const parsed = parseCommand(args, sub.options ?? {}, group.usage);
  if (parsed.globals.help) return printUsage(group);
  // --home is STAPLE_HOME for everything the command does (token file, doctor, start).
  const commandEnv = parsed.globals.home ? { ...env, STAPLE_HOME: parsed.globals.home } : env;
  const code = await sub.run(new Context(parsed.globals, commandEnv), parsed);
  return code ?? 0;
}

function printUsage(group: CommandGroup): number {
  process.stdout.write(group.usage.endsWith("\n") ? group.usage : `${group.usage}\n`);
  return 0;
}
