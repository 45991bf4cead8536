import { z } from "zod";
import {
  ArgsField,
  CwdField,
  EnvField,
  commandField,
  parseAdapterConfig,
  secondsField,
  type EnvEntry,
  type ParsedConfig as Parsed,
} from "@staple/adapter-kit/config";
/**
 * The `process` adapter's config: the one schema the API checks at save time, the board's form
 * validates with, and `execute`/`testEnvironment` parse with at run start (browser-safe:
 * `@staple/adapter-process/config`, imports zod and the kit's field schemas only).
 *
 * Invariants: a parsed config has a non-blank command, NUL-free args, portable env names with NUL-free
 * values, and durations in 0..7 days. An unset (absent or null) timeoutSec is DEFAULT_TIMEOUT_SEC; only
 * an explicit 0 means no timeout (see the README). Unknown keys are kept.
 */

export const DEFAULT_GRACE_SEC = 15;
/**
 * A run without a configured timeout is stopped after one hour: a process that never exits (a loop, a
 * hung network call) would otherwise hold its agent's run slot and keep writing output for ever.
 */
export const DEFAULT_TIMEOUT_SEC = 3600;

export const processConfigSchema = z.looseObject({
  command: commandField(),
  args: ArgsField,
  cwd: CwdField,
  env: EnvField,
  timeoutSec: secondsField(DEFAULT_TIMEOUT_SEC),
  graceSec: secondsField(DEFAULT_GRACE_SEC),
});

/** An env entry as written in config: a bare string is plain. */
export type ProcessEnvValue = string | { type: "plain"; value: string } | { type: "secret"; value: string };
export type ProcessEnvEntry = EnvEntry;
export type ProcessAdapterConfig = z.output<typeof processConfigSchema>;
export type ParsedConfig = Parsed<ProcessAdapterConfig>;

export function parseProcessConfig(raw: unknown): ParsedConfig {
  return parseAdapterConfig(processConfigSchema, raw);
}
