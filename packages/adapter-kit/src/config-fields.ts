import { z } from "zod";
/**
 * Field schemas shared by the adapters' config schemas, and the one way a config is parsed.
 *
 * Browser-safe (`@staple/adapter-kit/config`): imports zod only, so the board's forms validate with the
 * very schemas the API (at save time) and the run (at start) use. A field is refused here when a run
 * with it would fail: a config the API accepts must be a config the adapter can start.
 */

/** One configured environment variable as an adapter uses it; `secret` values are registered for redaction. */
export interface EnvEntry {
  value: string;
  secret: boolean;
  /** Set only for an unresolved secret_ref (never seen by a run: the engine resolves refs first). */
  secretRef?: string;
}

/** Longest duration in seconds a config may name: a week. Longer timers overflow Node's setTimeout (~24.8 days). */
export const MAX_CONFIG_SECONDS = 7 * 24 * 3600;

/** Portable environment variable names: what every shell and `env` accept. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const noNul = (value: string) => !value.includes("\0");
const NUL_MESSAGE = "must not contain a NUL character";

/** A string a child process can receive (argv, env, path): NUL ends a C string, so spawn refuses it. */
export const ProcessText = z.string().refine(noNul, NUL_MESSAGE);

/** A string that is not blank (and, being passed to a process, has no NUL). */
export const NonBlankText = ProcessText.refine((s) => s.trim() !== "", "must be a non-empty string");

/** `null` is read as "not set", like an absent key, so `.default()` applies to both. */
export function nullAsUnset<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema);
}

/** An optional non-blank string: absent or null -> null. */
export const OptionalText = NonBlankText.nullable().default(null);

/** The executable to start, or `fallback` when unset. */
export const commandField = (fallback?: string) => (fallback === undefined ? NonBlankText : nullAsUnset(NonBlankText.default(fallback)));

/** A working directory (as configured; may be relative): absent or null -> null. */
export const CwdField = OptionalText;

/** Extra command-line arguments; never secrets (argv is visible to every local user). */
export const ArgsField = nullAsUnset(z.array(ProcessText).default([]));

/** Seconds, 0..MAX_CONFIG_SECONDS; absent or null -> `fallback`. */
export const secondsField = (fallback: number) =>
  nullAsUnset(
    z.number().min(0, "must be a number >= 0").max(MAX_CONFIG_SECONDS, `must be at most ${MAX_CONFIG_SECONDS} (7 days)`).default(fallback),
  );

/**
 * An env value as written in a config: a bare string (plain) or `{type: "plain" | "secret", value}`. The
 * masked read form of a secret (`{type: "secret", masked: true, fingerprint}`) is not a value: the server
 * replaces it with the stored secret before validating, so runs never see it.
 */
export const EnvValue = z
  .union(
    [
      z.string(),
      z.strictObject({ type: z.enum(["plain", "secret"]), value: z.string() }),
      // A reference to a company secret: the run engine replaces it with {type: "secret", value} before
      // the adapter parses, so an adapter never starts with one; at save time it validates as a secret.
      z.strictObject({
        type: z.literal("secret_ref"),
        secretId: z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "must be a uuid"),
        version: z.union([z.literal("latest"), z.number().int().positive()]).optional(),
      }),
    ],
    { error: 'must be a string, {type: "plain" | "secret", value: string} or {type: "secret_ref", secretId: uuid}' },
  )
  .transform(
    (v): EnvEntry =>
      typeof v === "string"
        ? { value: v, secret: false }
        : v.type === "secret_ref"
          ? { value: "", secret: true, secretRef: v.secretId }
          : { value: v.value, secret: v.type === "secret" },
  )
  .refine((entry) => noNul(entry.value), NUL_MESSAGE);

/** `adapterConfig.env`: portable names, NUL-free values; absent or null -> {}. */
export const EnvField = nullAsUnset(
  z
    .record(z.string().regex(ENV_NAME_PATTERN), EnvValue, {
      error: (issue) =>
        issue.code === "invalid_key"
          ? "invalid name: use letters, digits and _, not starting with a digit"
          : issue.code === "invalid_type"
            ? "must be an object"
            : undefined,
    })
    .default({}),
);

export type ParsedConfig<T> = { ok: true; config: T } | { ok: false; message: string; issues: ConfigIssue[] };

/** One problem of a config; `path` is relative to the config (`["env", "A"]`). */
export interface ConfigIssue {
  /** zod's issue code (`too_small`, `invalid_type`, `custom`, …). */
  code: string;
  path: (string | number)[];
  message: string;
}

/** The config's issues, paths relative to `adapterConfig`. */
export function configIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({
    code: issue.code,
    path: issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message: issue.message,
  }));
}

/** "adapterConfig.maxTurns must be a positive integer; adapterConfig.url: Invalid input: …" (a "must …" message reads on from the path). */
export function describeConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((i) => {
      const path = ["adapterConfig", ...i.path].join(".");
      return /^must\b/.test(i.message) ? `${path} ${i.message}` : `${path}: ${i.message}`;
    })
    .join("; ");
}

/** Parses a raw `adapterConfig` with an adapter's schema; never throws. */
export function parseAdapterConfig<S extends z.ZodType>(schema: S, raw: unknown): ParsedConfig<z.output<S>> {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, config: result.data };
  const issues = configIssues(result.error);
  return { ok: false, message: describeConfigIssues(issues), issues };
}
