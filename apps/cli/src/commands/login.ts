import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { noExtraPositionals } from "../args.js";
import type { CommandGroup, Subcommand } from "../command.js";
import { saveLogin, savedLogin } from "../credentials.js";
import { CliError } from "../errors.js";
import { Connection } from "../http-client.js";

const loginUsage = `Usage: staple login [--no-wait]

Signs the CLI in to a server (authenticated mode) as you. Prints a link: open it in a browser where
you are signed in to the board and approve. The CLI waits (polling) and saves the new board API key
for this server URL in $STAPLE_HOME/cli-credentials.json (mode 0600); later commands to the same
--api / STAPLE_API_URL send it. The key is yours: it reaches the companies you are a member of,
with your roles. \`staple logout\` revokes it.

Global options: --json, --api <url>, --home <dir>
`;

const logoutUsage = `Usage: staple logout

Revokes the key \`staple login\` saved for this server URL and forgets it.

Global options: --api <url>, --home <dir>
`;

/** Longest wait for the approval, whatever the server suggests (the challenge expires before). */
const MAX_WAIT_MS = 15 * 60_000;

const login: Subcommand = {
  async run(ctx, parsed) {
    noExtraPositionals(parsed, 0, loginUsage);
    const baseUrl = ctx.api.baseUrl;
    const challenge = await ctx.call(
      ctx.client.POST("/api/cli-auth/challenges", { body: { command: "staple login", clientName: `staple CLI on ${os.hostname()}` } }),
    );
    if (typeof challenge?.id !== "string" || typeof challenge.boardApiToken !== "string") {
      throw new CliError("the server did not start a sign-in (is it a Staple server in authenticated mode?)");
    }
    ctx.print(challenge.approvalUrl);
    ctx.note(`Open this link in a browser where you are signed in to the board, and approve (valid until ${challenge.expiresAt}).`);
    const interval = Math.min(Math.max(challenge.suggestedPollIntervalMs, 250), 5000);
    const deadline = Date.now() + Math.min(MAX_WAIT_MS, Math.max(0, Date.parse(challenge.expiresAt) - Date.now()) + interval);
    // Bounded: at most until the challenge expires (and never beyond MAX_WAIT_MS).
    while (Date.now() < deadline) {
      const state = await ctx.call(
        ctx.client.GET("/api/cli-auth/challenges/{id}", { params: { path: { id: challenge.id }, query: { token: challenge.token } } }),
      );
      if (state.status === "approved") {
        const file = saveLogin(ctx.env, baseUrl, { apiKey: challenge.boardApiToken, userId: state.approvedByUserId ?? "" });
        const signedIn = new Connection({ baseUrl, apiKey: challenge.boardApiToken, progress: ctx.progress });
        const me = await signedIn.call(signedIn.client.GET("/api/auth/me"));
        if (ctx.globals.json) ctx.printJson({ ...me, credentialsFile: file });
        else ctx.note(`Signed in to ${baseUrl} as ${me.user.email ?? me.user.id}; key saved in ${file}.`);
        return 0;
      }
      if (state.status !== "pending") throw new CliError(`sign-in ${state.status}; run \`staple login\` again`);
      await sleep(interval);
    }
    throw new CliError("nobody approved the sign-in in time; run `staple login` again");
  },
};

const logout: Subcommand = {
  async run(ctx, parsed) {
    noExtraPositionals(parsed, 0, logoutUsage);
    const baseUrl = ctx.api.baseUrl;
    const saved = savedLogin(ctx.env, baseUrl);
    if (!saved) {
      ctx.note(`Not signed in to ${baseUrl} (no saved key).`);
      return 0;
    }
    const connection = new Connection({ baseUrl, apiKey: saved.apiKey, progress: ctx.progress });
    try {
      await connection.call(connection.client.POST("/api/cli-auth/revoke-current", { body: {} }));
    } catch (error) {
      // An already revoked key cannot be revoked again: forgetting it is all that is left to do.
      if (!(error instanceof CliError)) throw error;
      ctx.note(`The server did not revoke the key (${error.message}); forgetting it anyway.`);
    }
    saveLogin(ctx.env, baseUrl, null);
    ctx.note(`Signed out of ${baseUrl}.`);
    return 0;
  },
};

export const loginGroup: CommandGroup = {
  name: "login",
  summary: "sign the CLI in to a server as you (approve in the board; saves a board API key)",
  usage: loginUsage,
  default: "login",
  subcommands: { login },
};

export const logoutGroup: CommandGroup = {
  name: "logout",
  summary: "revoke and forget the key `staple login` saved for this server",
  usage: logoutUsage,
  default: "logout",
  subcommands: { logout },
};
